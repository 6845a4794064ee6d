"""Everything that talks to WeChat, Alipay or the provincial app.

Nothing here imports ``app`` or ``payments``: the domains see channels only through the
protocols in :mod:`channels.base`.
"""
