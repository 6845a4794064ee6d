"""The one catalog (一张网): service items, mini-apps, publishing, search, channel mirroring."""
