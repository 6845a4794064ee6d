"""The composition root: builds the rooms, wires their reactions, runs the server, the
worker and the data set. No room imports it (tests/test_architecture.py)."""
