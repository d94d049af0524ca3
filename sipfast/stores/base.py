# The binding-store protocol and the one merge rule every store applies inside a single atomic step.
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, Optional, Protocol, runtime_checkable

from ..errors import SIPError

__all__ = ("Binding", "BindingStore", "Change", "OutOfOrder", "merge")


class Binding(NamedTuple):
    """One contact bound to an address-of-record.

    ``key`` is the contact URI in comparison form (scheme and host lowercased), ``contact`` the URI
    as the client wrote it, ``q`` the q-value as written (None: none given), ``expires_at`` and
    ``updated`` clock times (seconds), ``call_id`` / ``cseq`` those of the REGISTER that wrote it.
    """

    key: str
    contact: str
    q: Optional[str]
    expires_at: float
    call_id: str
    cseq: int
    updated: float


class Change(NamedTuple):
    """One Contact of a REGISTER: bind ``contact`` for ``expires`` seconds, or remove it (0)."""

    key: str
    contact: str
    q: Optional[str]
    expires: int


class OutOfOrder(SIPError):
    """A REGISTER that is not newer than a binding it touches (same Call-ID, CSeq not higher).

    Nothing was changed; a registrar answers 500 (RFC 3261 §10.3 steps 6 and 7).
    """

    def __init__(self, key: str, stored_cseq: int, cseq: int) -> None:
        self.key = key
        self.stored_cseq = stored_cseq
        self.cseq = cseq
        super().__init__(f"CSeq {cseq} is not above {stored_cseq} stored for {key}")


@runtime_checkable
class BindingStore(Protocol):
    """Where a Registrar keeps bindings. Every method is safe to call from several threads.

    ``apply`` is the one write: it checks the Call-ID / CSeq ordering against the live bindings of
    ``aor`` and writes every change, or raises OutOfOrder and writes nothing, in one atomic step
    (also against other processes sharing the same SQLite file or Redis). It returns the live
    bindings afterwards; with no changes it only reads. Bindings whose ``expires_at`` is not after
    ``now`` are gone: never returned, never compared, dropped when next written. A store whose
    backend deletes expired bindings by itself sets ``expires_by_itself`` (the Registrar then
    leaves ``expire`` to explicit calls).
    """

    expires_by_itself: bool

    def apply(
        self,
        aor: str,
        call_id: str,
        cseq: int,
        changes: Sequence[Change],
        now: float,
        wildcard: bool = False,
    ) -> list[Binding]:
        """Apply one REGISTER's changes (``wildcard``: ``Contact: *``, remove every binding)."""
        ...

    def lookup(self, aor: str, now: float) -> list[Binding]:
        """The live bindings of ``aor``, in no particular order."""
        ...

    def expire(self, now: float) -> int:
        """Drop every binding expired at ``now``; returns how many were dropped (an estimate
        where the backend drops them by itself)."""
        ...

    def clear(self) -> None:
        """Drop every binding."""
        ...

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...


def merge(
    current: Iterable[Binding],
    call_id: str,
    cseq: int,
    changes: Sequence[Change],
    now: float,
    wildcard: bool = False,
) -> tuple[dict[str, Binding], list[str], list[Binding]]:
    """RFC 3261 §10.3 steps 6 and 7 over one address-of-record's bindings.

    Returns (live bindings afterwards by key, keys to delete, bindings to write); raises OutOfOrder
    before deciding anything when the request is not newer than a binding it touches.
    """
    live: dict[str, Binding] = {}
    dead: list[str] = []
    for b in current:
        if b.expires_at > now:
            live[b.key] = b
        else:
            dead.append(b.key)
    # Step 6 (Contact: *) checks every binding, step 7 each binding named by a Contact: with the
    # same Call-ID the request must carry a higher CSeq, or the whole update is aborted.
    touched: Iterable[Binding | None] = live.values() if wildcard else (live.get(c.key) for c in changes)
    for old in touched:
        if old is not None and old.call_id == call_id and cseq <= old.cseq:
            raise OutOfOrder(old.key, old.cseq, cseq)
    written: list[Binding] = []
    if wildcard:
        dead.extend(live)
        live = {}
    for c in changes:
        if c.expires <= 0:
            if live.pop(c.key, None) is not None:
                dead.append(c.key)
        else:
            b = Binding(c.key, c.contact, c.q, now + c.expires, call_id, cseq, now)
            live[c.key] = b
            written.append(b)
    return live, dead, written
