# Bindings in Redis: one hash per address-of-record; one Lua script checks the ordering and writes.
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Optional

from .base import Binding, Change, OutOfOrder

__all__ = ("RedisStore",)

# One hash per address-of-record: field = contact key, value = JSON
# [contact, q, expires_at, call_id, cseq, updated]. Redis runs a script alone, so the check and the
# write are one step for every registrar process sharing the server. The key's TTL follows its
# longest-lived binding, so an address-of-record nobody refreshes leaves Redis by itself; a binding
# that expires before its siblings is skipped by every reader and deleted on the next write.
#
# KEYS[1] the hash; ARGV[1] now, ARGV[2] Call-ID, ARGV[3] CSeq, ARGV[4] "1" for Contact: *,
# then per change: key, expires_at ("0": remove), JSON value.
# Returns {-1, key, stored CSeq} when out of order (nothing written), else {dropped, key, value, ...}
# for the live bindings afterwards.
_APPLY = """
local now = tonumber(ARGV[1])
local call_id = ARGV[2]
local cseq = tonumber(ARGV[3])
local wildcard = ARGV[4] == '1'
local raw = redis.call('HGETALL', KEYS[1])
local live = {}
local dead = {}
for i = 1, #raw, 2 do
  local b = cjson.decode(raw[i + 1])
  if b[3] > now then live[raw[i]] = {b, raw[i + 1]} else dead[#dead + 1] = raw[i] end
end
local function stale(key, entry)
  if entry ~= nil and entry[1][4] == call_id and cseq <= entry[1][5] then
    return {-1, key, entry[1][5]}
  end
  return nil
end
if wildcard then
  for key, entry in pairs(live) do
    local out = stale(key, entry)
    if out then return out end
  end
  for key in pairs(live) do dead[#dead + 1] = key end
  live = {}
else
  for i = 5, #ARGV, 3 do
    local out = stale(ARGV[i], live[ARGV[i]])
    if out then return out end
  end
end
local dropped = #dead
for _, key in ipairs(dead) do redis.call('HDEL', KEYS[1], key) end
for i = 5, #ARGV, 3 do
  local key = ARGV[i]
  if ARGV[i + 1] == '0' then
    if live[key] then
      live[key] = nil
      redis.call('HDEL', KEYS[1], key)
    end
  else
    live[key] = {{0, 0, tonumber(ARGV[i + 1])}, ARGV[i + 2]}
    redis.call('HSET', KEYS[1], key, ARGV[i + 2])
  end
end
local out = {dropped}
local last = nil
for key, entry in pairs(live) do
  out[#out + 1] = key
  out[#out + 1] = entry[2]
  if last == nil or entry[1][3] > last then last = entry[1][3] end
end
if last == nil then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], math.ceil((last - now) * 1000) + 1000)
end
return out
"""


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisStore:
    """Bindings in Redis (``redis://host:port/db``), shared by registrar processes on several hosts.

    Needs the ``redis`` package (``pip install 'sipfast[redis]'``). Keys are ``prefix`` + the
    address-of-record; ``client`` may be a ready ``redis.Redis`` made with ``decode_responses=True``.
    """

    expires_by_itself = True

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        prefix: str = "sipfast:aor:",
        client: Optional[Any] = None,
    ) -> None:
        if client is None:
            try:
                import redis
            except ImportError as exc:
                raise ImportError(
                    "RedisStore needs the redis package: install the 'redis' extra (pip install 'sipfast[redis]')"
                ) from exc
            # surrogateescape: header text that was not UTF-8 goes back to Redis as the same bytes
            client = redis.Redis.from_url(url, decode_responses=True, encoding_errors="surrogateescape")
        self.url = url
        self.prefix = prefix
        self._redis: Any = client
        self._apply = client.register_script(_APPLY)

    def _decode(self, key: str, value: str) -> Binding:
        contact, q, expires_at, call_id, cseq, updated = json.loads(value)
        return Binding(key, contact, q, expires_at, call_id, cseq, updated)

    def _run(self, aor: str, args: list[Any]) -> list[Any]:
        return self._apply(keys=[self.prefix + aor], args=args)  # type: ignore[no-any-return]

    def apply(
        self,
        aor: str,
        call_id: str,
        cseq: int,
        changes: Sequence[Change],
        now: float,
        wildcard: bool = False,
    ) -> list[Binding]:
        if not changes and not wildcard:
            return self.lookup(aor, now)
        args: list[Any] = [repr(now), call_id, cseq, "1" if wildcard else "0"]
        dumps = json.dumps
        for c in changes:
            if c.expires <= 0:
                args += (c.key, "0", "")
            else:
                expires_at = now + c.expires
                value = dumps([c.contact, c.q, expires_at, call_id, cseq, now], ensure_ascii=False)
                args += (c.key, repr(expires_at), value)
        out = self._run(aor, args)
        if out[0] == -1:
            raise OutOfOrder(out[1], int(out[2]), cseq)
        decode = self._decode
        return [decode(out[i], out[i + 1]) for i in range(1, len(out), 2)]

    def lookup(self, aor: str, now: float) -> list[Binding]:
        decode = self._decode
        stored: dict[str, str] = self._redis.hgetall(self.prefix + aor)  # decode_responses: str
        found = [decode(k, v) for k, v in stored.items()]
        return [b for b in found if b.expires_at > now]

    def _keys(self) -> Any:
        return self._redis.scan_iter(match=_glob_escape(self.prefix) + "*", count=1000)

    def expire(self, now: float) -> int:
        # Redis drops whole keys by their TTL; this also drops the expired bindings of keys that
        # still hold live ones (a script run with no changes deletes them and writes nothing else)
        dropped = 0
        strip = len(self.prefix)
        for key in self._keys():
            dropped += int(self._run(key[strip:], [repr(now), "", 0, "0"])[0])
        return dropped

    def clear(self) -> None:
        batch: list[str] = []
        for key in self._keys():
            batch.append(key)
            if len(batch) >= 1000:
                self._redis.delete(*batch)
                batch = []
        if batch:
            self._redis.delete(*batch)

    def close(self) -> None:
        self._redis.close()

    def __len__(self) -> int:
        """Number of stored bindings (expired ones included until dropped)."""
        return sum(int(self._redis.hlen(key)) for key in self._keys())

