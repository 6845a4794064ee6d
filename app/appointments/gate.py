"""The Redis admission gate: turns the rush away before it reaches PostgreSQL.

Per resource-session (the "group": one doctor or window, one date, one session) Redis keeps
two hashes under one cluster hash tag, so every script touches a single slot:

- ``appt:{group}:left``  slot id → places the gate may still admit;
- ``appt:{group}:seat``  holder → slot id it holds (a citizen id, ``offer:<entry id>``
  for a place offered to a waiter, or ``release:<id>`` for a freed seat waiting for its
  re-release moment).

``take`` admits atomically: the group is loaded, the holder holds nothing in the group
("already booked"), and a place is left. PostgreSQL then decides for real; on failure the
place is given back (``give``). The gate is rebuilt from the database when ``left`` is
missing (a Redis restart, a flush, a republished schedule): see ``install``. Operations that
land while the group is not loaded are written into ``seat`` as intents (a held seat, or a
``-slot`` tombstone for a seat given back), and ``install`` folds them into its database
snapshot, so requests in flight across a flush leave no drift.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

TAKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local left = redis.call('HGET', KEYS[1], ARGV[1])
if not left then return -2 end
local seat = redis.call('HGET', KEYS[2], ARGV[2])
if seat then return -1 end
if tonumber(left) <= 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

GIVE = """
local seat = redis.call('HGET', KEYS[2], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  if (not seat) or seat == ARGV[1] then
    redis.call('HSET', KEYS[2], ARGV[2], '-' .. ARGV[1])
  end
  return 0
end
if seat == ARGV[1] then
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
  return 1
end
return 0
"""

CONFIRM = """
local seat = redis.call('HGET', KEYS[2], ARGV[2])
if seat == ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
end
return 1
"""

MOVE = """
local from = redis.call('HGET', KEYS[2], ARGV[2])
local loaded = redis.call('EXISTS', KEYS[1]) == 1
if not loaded then
  redis.call('HSET', KEYS[2], ARGV[2], '-' .. ARGV[1])
elseif from == ARGV[1] then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
local to = redis.call('HGET', KEYS[2], ARGV[3])
if to == ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
if loaded and from ~= ARGV[1] then
  redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
end
return 1
"""

# ARGV: expire_at, n_slots, slot1, left1, ..., holder1, slot1, ...
INSTALL = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = tonumber(ARGV[2])
local left = {}
local i = 3
for _ = 1, n do
  left[ARGV[i]] = tonumber(ARGV[i + 1])
  i = i + 2
end
local snap = {}
while i <= #ARGV do
  snap[ARGV[i]] = ARGV[i + 1]
  i = i + 2
end
local existing = redis.call('HGETALL', KEYS[2])
for j = 1, #existing, 2 do
  local holder, value = existing[j], existing[j + 1]
  if string.sub(value, 1, 1) == '-' then
    local slot = string.sub(value, 2)
    if snap[holder] == slot then
      snap[holder] = nil
      if left[slot] then left[slot] = left[slot] + 1 end
    end
    redis.call('HDEL', KEYS[2], holder)
  elseif snap[holder] == nil and left[value] then
    left[value] = left[value] - 1
  end
end
for holder, slot in pairs(snap) do
  redis.call('HSET', KEYS[2], holder, slot)
end
for slot, count in pairs(left) do
  redis.call('HSET', KEYS[1], slot, count)
end
redis.call('EXPIREAT', KEYS[1], ARGV[1])
redis.call('EXPIREAT', KEYS[2], ARGV[1])
return 1
"""


class Admission(enum.IntEnum):
    ADMITTED = 1
    FULL = 0
    HELD = -1
    NOT_LOADED = -2


def offer_holder(entry_id: int) -> str:
    return f"offer:{entry_id}"


def release_holder(rerelease_id: int) -> str:
    """A freed seat held out of the pool until its drawn re-release moment."""
    return f"release:{rerelease_id}"


def keys(group: str) -> list[str]:
    return [f"appt:{{{group}}}:left", f"appt:{{{group}}}:seat"]


@dataclass(frozen=True)
class Snapshot:
    """One group as PostgreSQL sees it, read in a single statement."""

    left: Mapping[int, int]
    seats: Mapping[str, int]


@dataclass(frozen=True)
class GateView:
    """One group as Redis sees it (intents excluded)."""

    loaded: bool
    left: Mapping[int, int]
    seats: Mapping[str, int]


class AdmissionGate:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._take = redis.register_script(TAKE)
        self._give = redis.register_script(GIVE)
        self._confirm = redis.register_script(CONFIRM)
        self._move = redis.register_script(MOVE)
        self._install = redis.register_script(INSTALL)

    async def take(self, group: str, slot_id: int, holder: str) -> Admission:
        return Admission(int(await self._take(keys=keys(group), args=[slot_id, holder])))

    async def give(self, group: str, slot_id: int, holder: str) -> None:
        await self._give(keys=keys(group), args=[slot_id, holder])

    async def confirm(self, group: str, slot_id: int, holder: str) -> None:
        await self._confirm(keys=keys(group), args=[slot_id, holder])

    async def move(self, group: str, slot_id: int, src: str, dst: str) -> None:
        await self._move(keys=keys(group), args=[slot_id, src, dst])

    async def install(self, group: str, snapshot: Snapshot, expire_at: int) -> bool:
        args: list[object] = [expire_at, len(snapshot.left)]
        for slot_id, left in snapshot.left.items():
            args += [slot_id, left]
        for holder, slot_id in snapshot.seats.items():
            args += [holder, slot_id]
        return bool(await self._install(keys=keys(group), args=args))

    async def reset(self, group: str) -> None:
        """Forget the group, exactly like a flush: the next take reloads it from the database."""
        await self.redis.delete(*keys(group))

    async def view(self, group: str) -> GateView:
        left_key, seat_key = keys(group)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(left_key)
            pipe.hgetall(seat_key)
            left_raw, seat_raw = await pipe.execute()
        seats = {k.decode(): int(v) for k, v in seat_raw.items() if not v.startswith(b"-")}
        return GateView(
            loaded=bool(left_raw),
            left={int(k): int(v) for k, v in left_raw.items()},
            seats=seats,
        )
