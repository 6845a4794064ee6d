"""The unified payment platform (统一支付): orders, notifications, refunds, reconciliation.

It knows channels only through ``channels.base.Pay`` and domains not at all: an order is
opened from a quote the caller computed, and its consequences leave through the outbox.
"""
