"""Traffic violations (交通违法): vehicles, drivers, violations, decisions and late fees.

The traffic police push their records in through the signed agency API; residents look
them up with a proof of ownership and pay decided ones through the payment platform.
"""
