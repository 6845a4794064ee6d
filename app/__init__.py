"""Yiwang: the Sanic application and the government domains."""
