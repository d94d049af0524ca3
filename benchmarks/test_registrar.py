"""Registrar.receive throughput from bytes (parse included), one REGISTER per distinct user.

Per store (memory, SQLite, Redis) and, on the memory store, with digest authentication: the
challenge (a REGISTER without credentials gets its 401) and the authenticated REGISTER (verify,
store, 200), which together are one registration of a client that answers a challenge. Each on the
C twin and the Python twin of the core. REGISTERs per second = 1 / median (also stored as
``extra_info["registers_per_s"]`` in the JSON output).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Optional

import pytest

import sipfast
from sipfast import _speedups
from sipfast.registrar import Registrar
from sipfast.stores import BindingStore, MemoryStore, RedisStore, SQLiteStore

ROUNDS = 3000
TEMPLATE = (Path(__file__).parent / "corpus" / "register.sip").read_bytes()
REALM = "biloxi.example.com"
PASSWORD = "zanzibar"
T0 = 1_700_000_000.0


def registers(count: int, cseq: int = 1) -> list[bytes]:
    """The corpus REGISTER for users u0..u<count-1>: own Call-ID, branch and Contact each."""
    out = []
    for i in range(count):
        data = TEMPLATE.replace(b"bob@", b"u%d@" % i).replace(b"nashds7", b"nashds7x%d" % i)
        data = data.replace(b"1j9FpLxk3uxtm8tn@", b"%dj9FpLxk3uxtm8tn@" % i)
        out.append(data.replace(b"CSeq: 1 REGISTER", b"CSeq: %d REGISTER" % cseq))
    return out


@pytest.fixture(params=["c", "py"])
def twin(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The core the registrar runs on."""
    name = request.param
    parser = pytest.importorskip(f"sipfast._parser_{name}")
    digest = pytest.importorskip(f"sipfast._digest_{name}")
    monkeypatch.setattr(_speedups, "parser", parser)
    monkeypatch.setattr(_speedups, "digest", digest)
    return str(name)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    try:
        redis_server: ModuleType = __import__("redis_server")
    finally:
        sys.path.pop(0)
    yield from redis_server.serve(tmp_path_factory)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BindingStore]:
    made: BindingStore
    if request.param == "memory":
        made = MemoryStore()
    elif request.param == "sqlite":
        made = SQLiteStore(tmp_path / "bench.db")
    else:
        made = RedisStore(request.getfixturevalue("redis_url"), prefix="sipfast-bench:")
    made.clear()
    yield made
    made.clear()
    made.close()


def run(benchmark: Any, reg: Registrar, stream: list[bytes], code: int) -> None:
    """Time receive(parse(data)) once per message of stream, each message used once."""
    feed = iter(stream)
    parse = sipfast.parse
    receive = reg.receive
    last: list[Optional[sipfast.Response]] = [None]

    def setup() -> tuple[tuple[bytes], dict[str, Any]]:
        return (next(feed),), {}

    def one(data: bytes) -> None:
        last[0] = receive(parse(data))  # type: ignore[arg-type]

    benchmark.pedantic(one, setup=setup, rounds=len(stream) - 50, warmup_rounds=50, iterations=1)
    resp = last[0]
    assert resp is not None and resp.code == code, resp
    benchmark.extra_info["registers_per_s"] = round(1 / benchmark.stats.stats.median)


@pytest.mark.benchmark(group="registrar: REGISTER -> 200, no auth")
def test_register(benchmark: Any, twin: str, store: BindingStore) -> None:
    reg = Registrar(domains=REALM, max_expires=3600, store=store)
    run(benchmark, reg, registers(ROUNDS), 200)


def _authenticator(algorithm: str) -> Any:
    auth = pytest.importorskip("sipfast.auth")
    return auth.Authenticator(REALM, lambda user: PASSWORD, algorithms=(algorithm,))


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
@pytest.mark.benchmark(group="registrar: REGISTER -> 401, digest challenge, memory store")
def test_register_challenged(benchmark: Any, twin: str, algorithm: str) -> None:
    reg = Registrar(domains=REALM, max_expires=3600, authenticator=_authenticator(algorithm))
    run(benchmark, reg, registers(ROUNDS), 401)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
@pytest.mark.benchmark(group="registrar: REGISTER with credentials -> 200, digest, memory store")
def test_register_authenticated(benchmark: Any, twin: str, algorithm: str) -> None:
    authenticator = _authenticator(algorithm)
    reg = Registrar(domains=REALM, max_expires=3600, authenticator=authenticator)
    answered: list[bytes] = []
    # each request answers its own challenge (a fresh nonce, nc=1), as a client does: the
    # Authenticator refuses a replayed nc, so no request is sent twice
    for first, second in zip(registers(ROUNDS), registers(ROUNDS, cseq=2)):
        challenge = authenticator.challenge(sipfast.parse(first))
        request = sipfast.parse(second)
        assert request.authorize(challenge, (_user(request), PASSWORD))  # type: ignore[union-attr]
        answered.append(bytes(request))
    run(benchmark, reg, answered, 200)


def _user(request: sipfast.Packet) -> str:
    to: Callable[[str], Any] = sipfast.parse_name_addr
    return str(to(request.get_header("To") or "").uri.user)
