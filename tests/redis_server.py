"""A redis-server for the tests: the one CI started (``SIPFAST_REDIS_URL``), or a private one.

Use it from a fixture: ``yield from redis_server.serve(tmp_path_factory)`` yields a URL. Without the
redis package or the redis-server program the test skips, and fails under
``SIPFAST_REQUIRE_INTEROP=1``. Each test then takes its own key prefix (``unique_prefix()``) and
clears it afterwards, so tests never see each other's keys, even on a shared server.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
HERE = Path(__file__).resolve().parent


def _suite() -> ModuleType:
    """tests/conftest.py (its missing and need_program), also when imported from the
    benchmarks, whose own conftest holds that module name."""
    loaded = sys.modules.get("conftest")
    if loaded is not None and Path(loaded.__file__ or "").resolve().parent == HERE:
        return loaded
    spec = importlib.util.spec_from_file_location("sipfast_tests_conftest", HERE / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _skip_or_fail(msg: str) -> None:
    _suite().missing(msg)


def redis_module() -> Any:
    """The redis package, or skip (fail under SIPFAST_REQUIRE_INTEROP=1)."""
    try:
        import redis
    except ImportError:
        _skip_or_fail("the redis package is not installed (pip install 'sipfast[redis]')")
    return redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ping(url: str, deadline: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """True once the server answers PING; False at the deadline or when ``proc`` has exited."""
    client = redis_module().Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
    try:
        while time.monotonic() < deadline and (proc is None or proc.poll() is None):
            try:
                if client.ping():
                    return True
            except Exception:  # not listening yet
                pass
            time.sleep(0.02)
        return False
    finally:
        client.close()


def start(directory: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start a private redis-server in ``directory``; returns its URL and process (PING answered)."""
    program = _suite().need_program("redis-server")
    for _ in range(3):  # the free port may be taken between the probe and the start
        port = _free_port()
        log = open(directory / f"redis-{port}.log", "wb")  # noqa: SIM115 - handed to the process
        proc = subprocess.Popen(
            [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
        log.close()
        url = f"redis://127.0.0.1:{port}/0"
        try:
            if _ping(url, time.monotonic() + START_TIMEOUT, proc):
                return url, proc
        except BaseException:
            stop(proc)
            raise
        stop(proc)
    pytest.fail(f"redis-server did not answer PING within {START_TIMEOUT} s (log in {directory})")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a redis-server started by ``start``: SIGTERM, then SIGKILL after a timeout."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)


def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yield a Redis URL for the duration of a fixture (see the module docstring)."""
    redis_module()
    url = os.environ.get("SIPFAST_REDIS_URL")
    if url:
        if not _ping(url, time.monotonic() + START_TIMEOUT):
            pytest.fail(f"SIPFAST_REDIS_URL={url} does not answer PING")
        yield url
        return
    url, proc = start(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        stop(proc)


def unique_prefix() -> str:
    """A key prefix no other test uses."""
    return f"sipfast-test:{uuid.uuid4().hex}:"
