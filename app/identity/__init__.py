"""Citizens, their channel accounts, real-name verification and sessions (统一认证)."""
