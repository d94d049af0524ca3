"""Fixtures shared by the whole suite: the two twins of the core, data files, interop gates."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest
import redis_server

from sipfast.stores import BindingStore, MemoryStore, RedisStore, SQLiteStore

DATA = Path(__file__).parent / "data"
REQUIRE_INTEROP = os.environ.get("SIPFAST_REQUIRE_INTEROP") == "1"


def _twin(name: str) -> ModuleType:
    """Import a twin by module name; a C twin that is not built skips (the guard test fails)."""
    try:
        return importlib.import_module(f"sipfast.{name}")
    except ImportError as exc:
        pytest.skip(f"sipfast.{name} is not built: {exc}")


@pytest.fixture(params=["_parser_c", "_parser_py"], ids=["c", "py"], scope="session")
def parser(request: pytest.FixtureRequest) -> ModuleType:
    """The parser core, once per twin."""
    return _twin(request.param)


@pytest.fixture(params=["_digest_c", "_digest_py"], ids=["c", "py"], scope="session")
def digest(request: pytest.FixtureRequest) -> ModuleType:
    """The digest core, once per twin."""
    return _twin(request.param)


@pytest.fixture(params=["c", "py"], scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """Run a message-level test with the message classes on top of each twin."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _use_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that take ``backend`` run the layers above the core on that twin."""
    if "backend" not in request.fixturenames:
        return
    from sipfast import _speedups

    name = request.getfixturevalue("backend")
    monkeypatch.setattr(_speedups, "parser", _twin(f"_parser_{name}"))
    monkeypatch.setattr(_speedups, "digest", _twin(f"_digest_{name}"))
    monkeypatch.setattr(_speedups, "BACKEND", "c" if name == "c" else "python")


def missing(msg: str) -> NoReturn:
    """Skip a test for want of an outside program, or fail under SIPFAST_REQUIRE_INTEROP=1."""
    if REQUIRE_INTEROP:
        pytest.fail(msg + "; SIPFAST_REQUIRE_INTEROP=1 forbids skipping")
    pytest.skip(msg)


def need_program(name: str) -> str:
    """Path of an external program, or skip (fail under SIPFAST_REQUIRE_INTEROP=1)."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (see .ci/run for the Debian package)")
    return path


@pytest.fixture(scope="session")
def perl() -> str:
    """perl with Net::SIP (Debian libnet-sip-perl)."""
    path = need_program("perl")
    check = subprocess.run([path, "-MNet::SIP", "-e1"], capture_output=True, timeout=30)
    if check.returncode != 0:
        missing("Net::SIP is not installed (Debian: libnet-sip-perl)")
    return path


# --- binding stores, shared by the registrar and store tests ------------------------------------


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from redis_server.serve(tmp_path_factory)


StoreFactory = Callable[[], BindingStore]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens store objects over one backend: each call is another client of the same bindings
    (memory: the same object; SQLite: the same file; Redis: the same server and key prefix)."""
    factory: StoreFactory
    if request.param == "memory":
        shared = MemoryStore()
        factory = lambda: shared  # noqa: E731
    elif request.param == "sqlite":
        path = tmp_path / "bindings.db"
        factory = lambda: SQLiteStore(path)  # noqa: E731
    else:
        url = request.getfixturevalue("redis_url")
        prefix = redis_server.unique_prefix()
        factory = lambda: RedisStore(url, prefix=prefix)  # noqa: E731
    opened: list[BindingStore] = []

    def open_() -> BindingStore:
        store = factory()
        opened.append(store)
        return store

    yield open_
    if opened:
        opened[0].clear()
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: StoreFactory) -> BindingStore:
    return open_store()
