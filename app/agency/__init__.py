"""The signed inbound API for agencies: keys, request signatures and replay protection."""
