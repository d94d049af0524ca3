"""``sipfast bench``: parse, digest and registrar throughput of both twins, side by side.

A quick look for a user's machine; the project's own figures come from pytest-benchmark (see the
``benchmarks/`` folder of the source tree), which also runs the peer libraries.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable, Optional, cast

from . import _speedups

__all__ = ("run",)

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.101:5060>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@contextmanager
def _twin(name: str) -> Iterator[bool]:
    saved = (_speedups.parser, _speedups.digest)
    try:
        _speedups.parser = importlib.import_module(f"sipfast._parser_{name}")
        _speedups.digest = importlib.import_module(f"sipfast._digest_{name}")
    except ImportError:
        yield False
        return
    try:
        yield True
    finally:
        _speedups.parser, _speedups.digest = saved


def _rate(func: Callable[[int], None], seconds: float) -> float:
    """Calls per second of func(i), i counting up, measured over about `seconds`."""
    n = 1
    i = 0
    while True:
        start = time.perf_counter()
        for _ in range(n):
            func(i)
            i += 1
        took = time.perf_counter() - start
        if took >= seconds or n >= 1 << 24:
            return n / took
        n *= 2 if took < seconds / 8 else max(2, int(seconds / max(took, 1e-9)))


def _workloads() -> dict[str, Callable[[int], None]]:
    from .auth import Authenticator
    from .message import Packet, Request
    from .registrar import Registrar

    def parse(i: int) -> None:
        msg = Packet.parse(INVITE)
        _ = (msg.call_id, msg.cseq, msg.branch, msg.from_tag)

    def digest(i: int) -> None:
        _speedups.digest.digest_response(
            "MD5", "bob", "biloxi.example.com", "zanzibar", None, "REGISTER", "sip:biloxi.example.com",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth", i & 0xFFFF, "0a4f113b",
        )

    registrar = Registrar(domains="example.com", max_expires=3600)

    def register(i: int) -> None:
        data = (
            f"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK{i}\r\n"
            f"From: <sip:u{i}@example.com>;tag={i}\r\nTo: <sip:u{i}@example.com>\r\nCall-ID: {i}@h\r\n"
            f"CSeq: 1 REGISTER\r\nContact: <sip:u{i}@192.0.2.9>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n"
        ).encode()
        registrar.receive(cast(Request, Packet.parse(data)))

    # qop=None (RFC 2069 form): no nc to replay, so every call does the whole check
    auth = Authenticator("example.com", {"bob": "zanzibar"}, algorithms=("MD5",), qop=None)
    challenge = auth.challenge(Request("REGISTER", "sip:example.com", {"CSeq": "1 REGISTER", "Call-ID": "c"}))
    signed = Request(
        "REGISTER",
        "sip:example.com",
        {"From": "<sip:bob@example.com>;tag=1", "To": "<sip:bob@example.com>", "CSeq": "1 REGISTER",
         "Call-ID": "c", "Via": "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1"},
    )
    signed.authorize(challenge, ("bob", "zanzibar"))
    wire = bytes(signed)

    def verify(i: int) -> None:
        auth.verify(cast(Request, Packet.parse(wire)))

    return {"parse + 4 fields": parse, "digest MD5 auth": digest, "REGISTER (memory)": register,
            "verify (MD5)": verify}


def run(seconds: float = 0.5) -> int:
    rows: dict[str, dict[str, Optional[float]]] = {}
    for name in ("c", "py"):
        with _twin(name) as ok:
            for label, func in _workloads().items():
                rows.setdefault(label, {})[name] = _rate(func, seconds) if ok else None
    print(f"sipfast bench (default backend: {_speedups.BACKEND}); operations per second")
    print(f"{'':24}{'c twin':>14}{'python twin':>14}{'c / python':>12}")
    for label, row in rows.items():
        c, py = row.get("c"), row.get("py")
        ratio = f"{c / py:.1f}x" if c and py else "-"
        cs = f"{c:,.0f}" if c else "not built"
        ps = f"{py:,.0f}" if py else "-"
        print(f"{label:24}{cs:>14}{ps:>14}{ratio:>12}")
    return 0
