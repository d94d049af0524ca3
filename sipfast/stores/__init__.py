"""Where a Registrar keeps its bindings: ``MemoryStore`` (default), ``SQLiteStore``, ``RedisStore``.

Each implements ``BindingStore``: one atomic ``apply`` per REGISTER (ordering check and every change,
or nothing), ``lookup``, ``expire``, ``clear`` and ``close``. ``RedisStore`` needs the ``redis`` extra
only when it is instantiated.
"""

from __future__ import annotations

from .base import Binding, BindingStore, Change, OutOfOrder, merge
from .memory import MemoryStore
from .redis import RedisStore
from .sqlite import SQLiteStore

__all__ = (
    "Binding",
    "BindingStore",
    "Change",
    "MemoryStore",
    "OutOfOrder",
    "RedisStore",
    "SQLiteStore",
    "merge",
)
