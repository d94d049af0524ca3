# Bindings in one SQLite table (WAL); each apply is one BEGIN IMMEDIATE transaction: read, merge, write.
from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Sequence
from typing import Union

from .base import Binding, Change, merge

__all__ = ("SQLiteStore",)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sipfast_bindings (
    aor TEXT NOT NULL,
    key TEXT NOT NULL,
    contact TEXT NOT NULL,
    q TEXT,
    expires_at REAL NOT NULL,
    call_id TEXT NOT NULL,
    cseq INTEGER NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (aor, key)
) WITHOUT ROWID;
"""
# No index on expires_at: it would add a B-tree page to every commit (a third more CPU and WAL
# frames per REGISTER, so more checkpoints and their fsyncs), to speed up only expire(), which
# runs once a minute and then scans the table.
_COLUMNS = "key, contact, q, expires_at, call_id, cseq, updated"
_SELECT = f"SELECT {_COLUMNS} FROM sipfast_bindings WHERE aor = ?"
_SELECT_LIVE = _SELECT + " AND expires_at > ?"
_DELETE = "DELETE FROM sipfast_bindings WHERE aor = ? AND key = ?"
_UPSERT = f"INSERT OR REPLACE INTO sipfast_bindings (aor, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_EXPIRE = "DELETE FROM sipfast_bindings WHERE expires_at <= ?"


class _Connection(sqlite3.Connection):
    # a subclass can be weakly referenced: a thread's connection closes when the thread ends
    pass


class SQLiteStore:
    """Bindings in an SQLite file, shared by threads (one connection each) and processes.

    A REGISTER that got its 200 survives the registrar process being killed (``kill -9``), not a
    power cut (see the comment at ``synchronous``). ``timeout``: seconds to wait for another
    writer's lock before ``sqlite3.OperationalError``.
    """

    expires_by_itself = False

    def __init__(self, path: Union[str, os.PathLike[str]], timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: no implicit transactions; apply() says BEGIN IMMEDIATE itself, which
            # takes the write lock before the read, so the ordering check and the write are one step
            # even against other processes on the same file.
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False, factory=_Connection
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # WAL with synchronous=NORMAL: COMMIT has written the transaction into the -wal file
            # (the kernel holds it) before it returns, but fsync waits for a checkpoint. A killed
            # process loses nothing that was committed; a power cut or OS crash may lose the last
            # commits. FULL would fsync on every REGISTER, which costs more than all the rest.
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._conns.add(conn)
        return conn

    def apply(
        self,
        aor: str,
        call_id: str,
        cseq: int,
        changes: Sequence[Change],
        now: float,
        wildcard: bool = False,
    ) -> list[Binding]:
        conn = self._conn()
        if not changes and not wildcard:
            return [Binding(*row) for row in conn.execute(_SELECT_LIVE, (aor, now))]
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = [Binding(*row) for row in conn.execute(_SELECT, (aor,))]
            live, dead, written = merge(current, call_id, cseq, changes, now, wildcard)
            if dead:
                conn.executemany(_DELETE, [(aor, key) for key in dead])
            if written:
                conn.executemany(_UPSERT, [(aor, *b) for b in written])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return list(live.values())

    def lookup(self, aor: str, now: float) -> list[Binding]:
        return [Binding(*row) for row in self._conn().execute(_SELECT_LIVE, (aor, now))]

    def expire(self, now: float) -> int:
        return self._conn().execute(_EXPIRE, (now,)).rowcount

    def clear(self) -> None:
        self._conn().execute("DELETE FROM sipfast_bindings")

    def close(self) -> None:
        """Close every thread's connection (call it when no thread uses the store any more)."""
        with self._lock:
            conns, self._conns = list(self._conns), weakref.WeakSet()
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def __len__(self) -> int:
        """Number of stored bindings (expired ones included until dropped)."""
        row = self._conn().execute("SELECT count(*) FROM sipfast_bindings").fetchone()
        return int(row[0])
