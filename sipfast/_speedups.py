# The one place that picks the C twin of the core or its pure-Python twin.
from __future__ import annotations

import os
import platform
import warnings
from typing import TYPE_CHECKING

PURE_PYTHON = bool(os.environ.get("SIPFAST_PURE_PYTHON")) or platform.python_implementation() != "CPython"

if TYPE_CHECKING or PURE_PYTHON:
    from . import _digest_py as digest
    from . import _parser_py as parser

    BACKEND = "python"
else:
    try:
        from . import _digest_c as digest  # type: ignore[no-redef]
        from . import _parser_c as parser  # type: ignore[no-redef]

        BACKEND = "c"
    except ImportError as exc:  # built without a compiler, or a broken build
        warnings.warn(
            f"sipfast: C twins unavailable ({exc}); using the pure-Python twins", RuntimeWarning, stacklevel=2
        )
        from . import _digest_py as digest
        from . import _parser_py as parser

        BACKEND = "python"

__all__ = ("BACKEND", "digest", "parser")
