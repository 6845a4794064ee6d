"""Billing: turns what a room owns (a notice, a fine, a held seat) into payment orders, and
carries payment results back to the room that owns the payable."""
