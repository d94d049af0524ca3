# In-process bindings: a dict per address-of-record behind one lock, a heap of expiry times for expire().
from __future__ import annotations

import heapq
import threading
from collections.abc import Sequence

from .base import Binding, Change, merge

__all__ = ("MemoryStore",)


class MemoryStore:
    """Bindings in a dict of this process (the default store, and the fastest): lost on exit.

    One lock makes every ``apply`` atomic, so Registrar instances in several threads may share one.
    """

    expires_by_itself = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._aors: dict[str, dict[str, Binding]] = {}
        # (time, aor) of the earliest expiry of each address-of-record; _due holds the time that is
        # current for an aor, so an entry whose time differs is stale and skipped when popped
        self._heap: list[tuple[float, str]] = []
        self._due: dict[str, float] = {}

    def apply(
        self,
        aor: str,
        call_id: str,
        cseq: int,
        changes: Sequence[Change],
        now: float,
        wildcard: bool = False,
    ) -> list[Binding]:
        with self._lock:
            current = self._aors.get(aor)
            if not changes and not wildcard:
                if current is None:
                    return []
                return [b for b in current.values() if b.expires_at > now]
            live, _, _ = merge(current.values() if current else (), call_id, cseq, changes, now, wildcard)
            if live:
                self._aors[aor] = live
                self._schedule(aor, live)
            elif current is not None:
                del self._aors[aor]
            return list(live.values())

    def _schedule(self, aor: str, live: dict[str, Binding]) -> None:
        first = min(b.expires_at for b in live.values())
        due = self._due.get(aor)
        if due is None or first < due:
            self._due[aor] = first
            heapq.heappush(self._heap, (first, aor))

    def lookup(self, aor: str, now: float) -> list[Binding]:
        with self._lock:
            current = self._aors.get(aor)
            if current is None:
                return []
            return [b for b in current.values() if b.expires_at > now]

    def expire(self, now: float) -> int:
        dropped = 0
        with self._lock:
            heap = self._heap
            while heap and heap[0][0] <= now:
                due, aor = heapq.heappop(heap)
                if self._due.get(aor) != due:
                    continue
                del self._due[aor]
                current = self._aors.get(aor)
                if current is None:
                    continue
                live = {k: b for k, b in current.items() if b.expires_at > now}
                dropped += len(current) - len(live)
                if live:
                    self._aors[aor] = live
                    self._schedule(aor, live)
                else:
                    del self._aors[aor]
        return dropped

    def clear(self) -> None:
        with self._lock:
            self._aors.clear()
            self._heap.clear()
            self._due.clear()

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        """Number of stored bindings (expired ones included until dropped)."""
        with self._lock:
            return sum(len(v) for v in self._aors.values())
