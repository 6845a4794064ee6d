"""Non-tax revenue (非税收入): fee items, payment notices and their 20-digit payment codes."""
