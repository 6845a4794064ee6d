"""Tags of the violation lookup caches: a vehicle's entry and a citizen's proofs.

The mechanism (generation counters, so an agency update is never served stale) is
infra.gencache's; writers call ``invalidate`` after their commit.
"""

from __future__ import annotations

from infra.gencache import Cached, decode, fill, invalidate, read_command

__all__ = ["Cached", "citizen_tag", "decode", "fill", "invalidate", "plate_tag", "read_command"]


def plate_tag(plate_type: str, plate_no: str) -> str:
    return f"vio:{{p:{plate_type}:{plate_no}}}"


def citizen_tag(citizen_id: str) -> str:
    return f"vio:{{c:{citizen_id}}}"
