"""Digest authentication end to end, on both twins and on sippy (the ``bench`` extra).

Run: ``python -m pytest benchmarks/test_digest.py --benchmark-only``.

- ``digest client``: parse unauthorized_401.sip and register.sip, answer the challenge
  (MD5, qop=auth), serialize the REGISTER. sippy: ``SipResponse`` / ``SipRequest`` over str,
  ``SipWWWAuthenticate.supportedAlgorithm`` + ``genAuthHF``, a new ``SipHeader``, CSeq bumped,
  ``str()`` — what its registration agent does with a 401.
- ``digest verify``: a registrar checking the credentials of a REGISTER it has parsed already
  (``Authenticator.verify``; sippy: ``getHFBody("authorization").verify(password, method)``,
  which checks its own AES-sealed nonce and the response). ``digest parse+verify`` adds parsing
  the datagram. Every call verifies a different message answering a challenge of its own, as a
  registrar mostly sees them: sipfast checks the nonce's HMAC and records it in its replay memory;
  sippy has no replay check.
- ``sipfast.auth.authorize`` is called directly; ``Request.authorize`` delegates to it.
- ``digest_response ...``: the response computation alone in the core, C twin against Python twin.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any, Callable

import pytest
from conftest import CORPUS, twin

import sipfast
from sipfast import _digest_py
from sipfast.auth import Authenticator, authorize

UNAUTHORIZED = (CORPUS / "unauthorized_401.sip").read_bytes()
REGISTER = (CORPUS / "register.sip").read_bytes()
REALM = "biloxi.example.com"
USER, PASSWORD = "bob", "zanzibar"
IMPLS = ["c", "py", "sippy"]

# verify: each call takes a new message, so all are built first: CHECKED before the timing, then
# one warm-up round, the timed rounds, and the one call pytest-benchmark makes for the result
ROUNDS, ITERATIONS, CHECKED = 100, 50, 10
MESSAGES = CHECKED + (ROUNDS + 1) * ITERATIONS + 1


def md5_answer_ok(value: str, method: str = "REGISTER") -> bool:
    """The credentials' response recomputed from their own fields (MD5, qop=auth) with hashlib."""
    import hashlib

    p = sipfast.parse_auth(value).params

    def h(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = h(f"{p['username']}:{p['realm']}:{PASSWORD}")
    ha2 = h(f"{method}:{p['uri']}")
    return p["response"] == h(f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:{p['qop']}:{ha2}")


# --- client ----------------------------------------------------------------------------------


def sipfast_client() -> bytes:
    challenge = sipfast.parse(UNAUTHORIZED)
    request = sipfast.parse(REGISTER)
    authorize(request, challenge, (USER, PASSWORD))
    return bytes(request)


def sippy_client() -> Callable[[], bytes]:
    sip_request = pytest.importorskip("sippy.SipRequest").SipRequest
    sip_response = pytest.importorskip("sippy.SipResponse").SipResponse
    sip_header = pytest.importorskip("sippy.SipHeader").SipHeader

    def client() -> bytes:
        response = sip_response(UNAUTHORIZED.decode())
        request = sip_request(REGISTER.decode())
        challenge = response.getHFBody("www-authenticate")
        _, qop = challenge.supportedAlgorithm()
        auth = challenge.genAuthHF(USER, PASSWORD, request.getMethod(), str(request.getRURI()), qop=qop)
        request.appendHeader(sip_header(name="authorization", body=auth))
        request.getHFBody("cseq").incCSeqNum()
        return str(request).encode()

    return client


@pytest.mark.parametrize("impl", IMPLS)
def test_client(benchmark: Any, impl: str) -> None:
    benchmark.group = "digest client:register"
    if impl == "sippy":
        wire = benchmark(sippy_client())
    else:
        with twin(impl):
            wire = benchmark(sipfast_client)
    answered = sipfast.parse(wire)
    assert answered.cseq_number == 2
    assert md5_answer_ok(answered.get_header("Authorization") or "")


# --- server ----------------------------------------------------------------------------------


def credentials_for(nonce: str, nc: int, cnonce: str) -> str:
    """An MD5 qop=auth answer for bob, computed by the Python twin (outside the timing)."""
    from sipfast import _digest_py

    uri = "sip:biloxi.example.com"
    response = _digest_py.digest_response(
        "MD5",
        username=USER,
        realm=REALM,
        password=PASSWORD,
        method="REGISTER",
        uri=uri,
        nonce=nonce,
        qop="auth",
        nc=nc,
        cnonce=cnonce,
    )
    return (
        f'Digest username="{USER}", realm="{REALM}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm=MD5, cnonce="{cnonce}", qop=auth, nc={nc:08x}'
    )


def datagrams(new_nonce: Callable[[], str]) -> list[bytes]:
    """MESSAGES copies of register.sip, CSeq 2, each answering a challenge of its own (nc 1):
    the registrar's usual case, a nonce seen for the first time."""
    head, _, tail = REGISTER.replace(b"CSeq: 1 REGISTER", b"CSeq: 2 REGISTER").partition(b"Allow:")
    return [
        head + b"Authorization: " + credentials_for(new_nonce(), 1, "0a4f113b").encode() + b"\r\nAllow:" + tail
        for _ in range(MESSAGES)
    ]


def sipfast_verifier(parsed: bool) -> tuple[Callable[[Any], Any], list[Any]]:
    auth = Authenticator(REALM, {USER: PASSWORD}, algorithms=("MD5",), max_nonces=MESSAGES)
    request = sipfast.parse(REGISTER)

    def new_nonce() -> str:
        challenge = auth.challenge(request)
        return sipfast.parse_auth(challenge.get_header("WWW-Authenticate") or "").params["nonce"]

    data = datagrams(new_nonce)
    verify = auth.verify
    if parsed:
        return verify, [sipfast.parse(d) for d in data]
    parse = sipfast.parse

    def parse_verify(datagram: bytes) -> Any:
        return verify(parse(datagram))

    return parse_verify, data


def sippy_verifier(parsed: bool) -> tuple[Callable[[Any], Any], list[Any]]:
    sip_request = pytest.importorskip("sippy.SipRequest").SipRequest
    www_authenticate = pytest.importorskip("sippy.SipWWWAuthenticate").SipWWWAuthenticate

    def new_nonce() -> str:
        return str(www_authenticate(realm=REALM, algorithm="MD5").nonce)  # sealed by sippy's HashOracle

    data = [d.decode() for d in datagrams(new_nonce)]

    def verify(request: Any) -> bool:
        return bool(request.getHFBody("authorization").verify(PASSWORD, request.getMethod()))

    if parsed:
        return verify, [sip_request(d) for d in data]

    def parse_verify(datagram: str) -> bool:
        return verify(sip_request(datagram))

    return parse_verify, data


def run_verify(benchmark: Any, impl: str, parsed: bool) -> None:
    benchmark.group = "digest verify:register" if parsed else "digest parse+verify:register"
    if impl == "sippy":
        func, inputs = sippy_verifier(parsed)
        run(benchmark, func, inputs, lambda result: result is True)
    else:
        with twin(impl):
            func, inputs = sipfast_verifier(parsed)
            run(benchmark, func, inputs, lambda result: result.ok)


def run(benchmark: Any, func: Callable[[Any], Any], inputs: list[Any], ok: Callable[[Any], bool]) -> None:
    for message in inputs[:CHECKED]:  # the path works before it is timed
        assert ok(func(message))
    it: Iterator[Any] = iter(inputs[CHECKED:])
    last = benchmark.pedantic(lambda: func(next(it)), rounds=ROUNDS, iterations=ITERATIONS, warmup_rounds=1)
    assert ok(last)  # still verifying, not failing fast, at the end of the run


@pytest.mark.parametrize("impl", IMPLS)
def test_verify(benchmark: Any, impl: str) -> None:
    run_verify(benchmark, impl, parsed=True)


@pytest.mark.parametrize("impl", IMPLS)
def test_parse_verify(benchmark: Any, impl: str) -> None:
    run_verify(benchmark, impl, parsed=False)


# --- the response computation alone -----------------------------------------------------------


# A client answering a 401 to an INVITE: a registrar-style base64 nonce, a 16-hex-digit cnonce.
# The call spells out its keywords, as the auth layer does; a **dict would add a dict copy per call.
def answer(twin: ModuleType, algorithm: str) -> Callable[[], str]:
    respond = twin.digest_response

    def call() -> str:
        return respond(
            algorithm,
            username="alice",
            realm="atlanta.example.com",
            password="9Xq!p2r7Lm-wV",
            method="INVITE",
            uri="sip:bob@biloxi.example.com",
            nonce="wSIvhpJ1ZjbBl0dw/kJ3YHX+RJg9W6MwmTUk+Wr8sbs=",
            qop="auth",
            nc=1,
            cnonce="5e6f3c0a9b8d7e21",
        )

    return call


# One call takes well under a microsecond, so each round runs many calls (after a warmup) and the
# timer's own cost does not land on a single call.
TIMING: dict[str, Any] = {"warmup": True, "min_time": 0.0001}


@pytest.fixture(params=["c", "py"])
def impl(request: pytest.FixtureRequest) -> str:
    """The twin under test; conftest.py reports each median against both twins by this name."""
    return str(request.param)


def run_response(benchmark: Any, impl: str, algorithm: str) -> None:
    call = answer(pytest.importorskip(f"sipfast._digest_{impl}"), algorithm)
    assert benchmark(call) == answer(_digest_py, algorithm)()


@pytest.mark.benchmark(group="digest_response MD5 qop=auth", **TIMING)
def test_response_md5(benchmark: Any, impl: str) -> None:
    run_response(benchmark, impl, "MD5")


@pytest.mark.benchmark(group="digest_response SHA-256 qop=auth", **TIMING)
def test_response_sha256(benchmark: Any, impl: str) -> None:
    run_response(benchmark, impl, "SHA-256")


@pytest.mark.benchmark(group="digest_response SHA-512-256 qop=auth", **TIMING)
def test_response_sha512_256(benchmark: Any, impl: str) -> None:
    run_response(benchmark, impl, "SHA-512-256")


@pytest.mark.benchmark(group="digest_response MD5-sess qop=auth", **TIMING)
def test_response_md5_sess(benchmark: Any, impl: str) -> None:
    run_response(benchmark, impl, "MD5-sess")
