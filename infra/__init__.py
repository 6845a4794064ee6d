"""The ground every room stands on: database, Redis, outbox, jobs, personal-data crypto, logs.

``infra`` imports nothing from ``app``, ``payments`` or ``channels``.
"""
