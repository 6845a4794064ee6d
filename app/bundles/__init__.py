"""高效办成一件事: bundles of items of several agencies, applied for once."""
