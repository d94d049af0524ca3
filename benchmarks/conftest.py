"""Benchmark helpers: run the message layer on one twin, and print ratios at the end of a run.

Every benchmark has an ``impl`` parameter (``c``, ``py`` or a peer's name) and a group
(``parse:invite_sdp``, ...). After the run each median is printed as a multiple of the ``c`` and ``py``
medians of its group, so every ratio comes from one run on one machine.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).parent / "corpus"


@contextmanager
def twin(name: str) -> Iterator[None]:
    """Run sipfast on the C (``"c"``) or Python (``"py"``) twin of the core inside the block."""
    from sipfast import _speedups

    saved = (_speedups.parser, _speedups.digest)
    try:
        _speedups.parser = importlib.import_module(f"sipfast._parser_{name}")
        _speedups.digest = importlib.import_module(f"sipfast._digest_{name}")
    except ImportError as exc:
        pytest.skip(f"twin {name} not built: {exc}")
    try:
        yield
    finally:
        _speedups.parser, _speedups.digest = saved


def _median(bench: Any) -> float:
    """Median time of one operation: a benchmark that loops ``extra_info["batch"]`` times per call
    is divided by that."""
    stats = bench.stats
    batch = (getattr(bench, "extra_info", None) or {}).get("batch", 1)
    return float(getattr(stats, "stats", stats).median) / batch


def pytest_terminal_summary(terminalreporter: Any, config: Any) -> None:
    session = getattr(config, "_benchmarksession", None)
    benches = getattr(session, "benchmarks", None)
    if not benches:
        return
    groups: dict[str, dict[str, float]] = {}
    for bench in benches:
        params = getattr(bench, "params", None) or {}
        impl = str(params.get("impl", bench.name))
        groups.setdefault(bench.group or "", {})[impl] = _median(bench)
    tr = terminalreporter
    tr.section("medians, and each as a multiple of the c twin's and the py twin's median in the same run")
    for group in sorted(groups):
        row = groups[group]
        parts = []
        for impl, median in sorted(row.items(), key=lambda kv: kv[1]):
            rel = [f"{median / row[b]:.1f}x {b}" for b in ("c", "py") if b in row and b != impl]
            parts.append(f"{impl} {median * 1e6:.2f}us" + (f" ({', '.join(rel)})" if rel else ""))
        tr.write_line(f"{group:28} " + " | ".join(parts))
