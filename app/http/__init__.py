"""The only package that imports sanic: one blueprint per domain, auth, and the error map."""
