"""好差评: ratings of used services, invitations, rectification of bad reviews, statistics."""
