"""Digest authentication above the core: the client's authorize() and the server's Authenticator,
on both twins; every answer is checked against RFC 7616 written out here over hashlib."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

import pytest
from digest_reference import reference, reference_ha1

import sipfast
from sipfast import DigestError, Request, Response
from sipfast import auth as sipauth
from sipfast.auth import Authenticator, AuthResult, authorize

CORPUS = Path(__file__).parent.parent / "benchmarks" / "corpus"
REGISTER = (CORPUS / "register.sip").read_bytes()
REGISTER_AUTH = (CORPUS / "register_auth.sip").read_bytes()
UNAUTHORIZED = (CORPUS / "unauthorized_401.sip").read_bytes()
REALM = "biloxi.example.com"
# credentials for a realm no test server has
FOREIGN = 'Digest username="x", realm="other.example.com", nonce="k", uri="u", response="r"'
ALGORITHMS = ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess")



def register() -> Request:
    msg = sipfast.parse(REGISTER)
    assert isinstance(msg, Request)
    return msg


def unauthorized() -> Response:
    msg = sipfast.parse(UNAUTHORIZED)
    assert isinstance(msg, Response)
    return msg


def challenge_response(*challenges: str, code: int = 401, header: str = "WWW-Authenticate", cseq: int = 1) -> Response:
    """A 401 / 407 to the REGISTER carrying the given challenges, one header line each."""
    headers = [
        ("Via", "SIP/2.0/UDP 192.0.2.201:5060;branch=z9hG4bKnashds7"),
        ("From", '"Bob" <sip:bob@biloxi.example.com>;tag=a73kszlfl'),
        ("To", '"Bob" <sip:bob@biloxi.example.com>;tag=37GkEhwl6'),
        ("Call-ID", "1j9FpLxk3uxtm8tn@192.0.2.201"),
        ("CSeq", f"{cseq} REGISTER"),
    ]
    headers += [(header, c) for c in challenges]
    return Response(code, None, headers)


def params_of(value: Optional[str]) -> dict[str, str]:
    assert value is not None
    parsed = sipfast.parse_auth(value)
    assert parsed.scheme == "Digest"
    return parsed.params


def check_answer(request: Request, value: Optional[str], password: str, body: bytes = b"") -> dict[str, str]:
    """The answer's response recomputed from its own fields with hashlib."""
    p = params_of(value)
    algorithm = p.get("algorithm", "MD5")
    expected = reference(
        algorithm,
        p["username"],
        p["realm"],
        password,
        request.method,
        p["uri"],
        p["nonce"],
        p.get("qop"),
        p.get("nc", ""),
        p.get("cnonce", ""),
        body,
    )
    assert p["response"] == expected
    assert p["uri"] == request.uri
    return p


@pytest.fixture(autouse=True)
def fresh_nonce_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test counts nc from scratch (the table is module-wide on purpose)."""
    monkeypatch.setattr(sipauth, "_NONCE_COUNTS", sipauth._NonceCounts(4096))


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# =============================================================================================
# client


def test_corpus_answer(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # register_auth.sip carries the RFC 2617 answer for bob / zanzibar with cnonce 0a4f113b
    monkeypatch.setattr(sipauth, "secrets", SimpleNamespace(token_hex=lambda n: "0a4f113b"))
    request = register()
    assert authorize(request, unauthorized(), ("bob", "zanzibar")) is True
    want = sipfast.parse(REGISTER_AUTH)
    assert params_of(request.get_header("Authorization")) == params_of(want.get_header("Authorization"))
    assert request.cseq == want.cseq == "2 REGISTER"


def test_request_method_delegates(backend: str) -> None:
    request = register()
    assert request.authorize(unauthorized(), ("bob", "zanzibar")) is True
    check_answer(request, request.get_header("Authorization"), "zanzibar")


def test_wire_format(backend: str) -> None:
    request = register()
    authorize(request, unauthorized(), ("bob", "zanzibar"))
    value = request.get_header("Authorization")
    assert value is not None
    # RFC 7616 §3.4: quoted-strings for username, realm, nonce, uri, response, cnonce, opaque;
    # tokens for algorithm, qop and nc
    for name in ("username", "realm", "nonce", "uri", "response", "cnonce", "opaque"):
        assert f'{name}="' in value
    for token in ("algorithm=MD5", "qop=auth", "nc=00000001"):
        assert f", {token}" in value
    # the wire form parses back to the same answer
    again = sipfast.parse(bytes(request))
    assert again.get_header("Authorization") == value


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("qop", ["auth", "auth-int", None])
def test_answer_recomputed(backend: str, algorithm: str, qop: Optional[str]) -> None:
    challenge = f'Digest realm="{REALM}", nonce="n0nce-{algorithm}", algorithm={algorithm}'
    if qop is not None:
        challenge += f', qop="{qop}"'
    request = Request(
        "MESSAGE",
        "sip:bob@biloxi.example.com",
        [("Call-ID", "x@y"), ("CSeq", "7 MESSAGE")],
        body=b"Watson, come here.",
    )
    assert authorize(request, challenge_response(challenge), ("bob", "zanzibar"))
    p = check_answer(request, request.get_header("Authorization"), "zanzibar", body=request.body)
    assert p["algorithm"] == algorithm
    assert p.get("qop") == qop
    if qop is None:
        assert "nc" not in p
        assert ("cnonce" in p) == algorithm.endswith("-sess")  # -sess hashes a cnonce in HA1
    else:
        assert p["nc"] == "00000001"
        assert len(p["cnonce"]) == 16
        int(p["cnonce"], 16)


def test_auth_int_hashes_the_body(backend: str) -> None:
    challenge = f'Digest realm="{REALM}", nonce="abc", qop="auth-int"'
    one = Request("MESSAGE", "sip:bob@biloxi.example.com", [("CSeq", "1 MESSAGE")], body=b"one")
    two = Request("MESSAGE", "sip:bob@biloxi.example.com", [("CSeq", "1 MESSAGE")], body=b"two")
    for request in (one, two):
        assert authorize(request, challenge_response(challenge), ("bob", "zanzibar"))
        check_answer(request, request.get_header("Authorization"), "zanzibar", body=request.body)
    with pytest.raises(AssertionError):  # the body is in the hash: one's answer does not fit two's body
        check_answer(two, one.get_header("Authorization"), "zanzibar", body=two.body)


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [('"auth,auth-int"', "auth"), ('"auth-int, auth"', "auth"), ('"auth-int"', "auth-int"), ("auth", "auth")],
)
def test_qop_preference(backend: str, offered: str, chosen: str) -> None:
    request = register()
    assert authorize(request, challenge_response(f'Digest realm="{REALM}", nonce="n", qop={offered}'), ("u", "p"))
    assert check_answer(request, request.get_header("Authorization"), "p")["qop"] == chosen


def test_unknown_qop_only_is_passed_over(backend: str) -> None:
    request = register()
    before = bytes(request)
    assert not authorize(request, challenge_response(f'Digest realm="{REALM}", nonce="n", qop="auth-conf"'), ("u", "p"))
    assert bytes(request) == before


def test_rfc2069_form_without_qop(backend: str) -> None:
    request = register()
    assert authorize(request, challenge_response(f'Digest realm="{REALM}", nonce="n"'), ("bob", "zanzibar"))
    p = check_answer(request, request.get_header("Authorization"), "zanzibar")
    assert set(p) == {"username", "realm", "nonce", "uri", "response"}


def test_auth_forms(backend: str) -> None:
    other = 'Digest realm="atlanta.example.com", nonce="n2", qop="auth"'
    ours = f'Digest realm="{REALM}", nonce="n1", qop="auth"'
    # a tuple or a list answers every realm
    for creds in (("bob", "zanzibar"), ["bob", "zanzibar"]):
        request = register()
        assert authorize(request, challenge_response(ours, other), creds)
        answers = request.get_headers("Authorization")
        assert [params_of(a)["realm"] for a in answers] == [REALM, "atlanta.example.com"]
        for a in answers:
            check_answer(request, a, "zanzibar")
    # a dict answers the realms it knows
    request = register()
    assert authorize(request, challenge_response(ours, other), {"atlanta.example.com": ("alice", "wonderland")})
    (answer,) = request.get_headers("Authorization")
    assert check_answer(request, answer, "wonderland")["username"] == "alice"
    # a callable is asked per realm and may decline
    asked: list[str] = []

    def lookup(realm: str) -> Optional[tuple[str, str]]:
        asked.append(realm)
        return ("bob", "zanzibar") if realm == REALM else None

    request = register()
    assert authorize(request, challenge_response(ours, other), lookup)
    assert asked == [REALM, "atlanta.example.com"]
    (answer,) = request.get_headers("Authorization")
    assert check_answer(request, answer, "zanzibar")["realm"] == REALM


def test_nothing_to_answer_leaves_request_untouched(backend: str) -> None:
    cases: list[tuple[Response, Any]] = [
        (unauthorized(), lambda realm: None),
        (unauthorized(), {"elsewhere.example.com": ("u", "p")}),
        (challenge_response(f'Digest realm="{REALM}", nonce="n", algorithm=AKAv1-MD5'), ("u", "p")),
        (challenge_response('Basic realm="x"'), ("u", "p")),
        (challenge_response(f'Digest realm="{REALM}"'), ("u", "p")),  # no nonce
        (challenge_response("Digest realm=, =broken"), ("u", "p")),
        (challenge_response(), ("u", "p")),
    ]
    for response, creds in cases:
        request = register()
        assert authorize(request, response, creds) is False
        assert bytes(request) == REGISTER
        assert request.cseq == "1 REGISTER"


def test_proxy_and_www(backend: str) -> None:
    request = register()
    proxy = challenge_response(
        'Digest realm="proxy.example.com", nonce="p", qop="auth"', code=407, header="Proxy-Authenticate"
    )
    assert authorize(request, proxy, ("bob", "zanzibar"))
    assert request.get_header("Authorization") is None
    p = check_answer(request, request.get_header("Proxy-Authorization"), "zanzibar")
    assert p["realm"] == "proxy.example.com"

    both = challenge_response(f'Digest realm="{REALM}", nonce="w"')
    both.add_header("Proxy-Authenticate", 'Digest realm="proxy.example.com", nonce="p2"')
    request = register()
    assert authorize(request, both, ("bob", "zanzibar"))
    assert params_of(request.get_header("Authorization"))["nonce"] == "w"
    assert params_of(request.get_header("Proxy-Authorization"))["nonce"] == "p2"


def test_answered_realm_is_skipped(backend: str) -> None:
    request = register()
    assert authorize(request, unauthorized(), ("bob", "zanzibar"))
    answered = bytes(request)
    # the server challenges again (wrong password): Net::SIP's rule, no second answer
    again = challenge_response(f'Digest realm="{REALM}", nonce="fresh", qop="auth"', cseq=2)
    assert not authorize(request, again, ("bob", "zanzibar"))
    assert bytes(request) == answered
    # a new realm in the same response is still answered, the old one kept
    again.add_header("WWW-Authenticate", 'Digest realm="other.example.com", nonce="o"')
    assert authorize(request, again, ("bob", "zanzibar"))
    answers = request.get_headers("Authorization")
    assert [params_of(a)["realm"] for a in answers] == [REALM, "other.example.com"]
    assert params_of(answers[0])["nonce"] == "dcd98b7102dd2f0e8b11d0f600bfb0c093"


def test_stale_challenge_replaces_the_answer(backend: str) -> None:
    request = register()
    request.add_header("Authorization", FOREIGN)
    assert authorize(request, unauthorized(), ("bob", "zanzibar"))
    stale = challenge_response(f'Digest realm="{REALM}", nonce="newer", qop="auth", stale=TRUE', cseq=2)
    assert authorize(request, stale, ("bob", "zanzibar"))
    answers = request.get_headers("Authorization")
    assert [params_of(a)["realm"] for a in answers] == ["other.example.com", REALM]
    p = check_answer(request, answers[1], "zanzibar")
    assert p["nonce"] == "newer"
    assert request.cseq == "3 REGISTER"
    # stale=true with the very nonce already answered is no news: skipped
    before = bytes(request)
    assert not authorize(request, stale, ("bob", "zanzibar"))
    assert bytes(request) == before


def test_topmost_supported_challenge(backend: str) -> None:
    response = challenge_response(
        f'Digest realm="{REALM}", nonce="aka", algorithm=AKAv1-MD5, qop="auth"',
        f'Digest realm="{REALM}", nonce="sha", algorithm=SHA-256, qop="auth"',
        f'Digest realm="{REALM}", nonce="md5", algorithm=MD5, qop="auth"',
        'Basic realm="biloxi.example.com"',
    )
    request = register()
    assert authorize(request, response, ("bob", "zanzibar"))
    (answer,) = request.get_headers("Authorization")
    p = check_answer(request, answer, "zanzibar")
    assert (p["algorithm"], p["nonce"]) == ("SHA-256", "sha")


def test_algorithm_and_opaque_echo(backend: str) -> None:
    request = register()
    assert authorize(request, challenge_response(f'Digest realm="{REALM}", nonce="n", qop="auth"'), ("u", "p"))
    p = check_answer(request, request.get_header("Authorization"), "p")
    assert "algorithm" not in p and "opaque" not in p

    request = register()
    response = challenge_response(f'Digest realm="{REALM}", nonce="n", algorithm=sha-256, opaque="o p\\"q"')
    assert authorize(request, response, ("u", "p"))
    p = check_answer(request, request.get_header("Authorization"), "p")
    assert p["algorithm"] == "SHA-256"
    assert p["opaque"] == 'o p"q'


def test_quoting_round_trips(backend: str) -> None:
    request = register()
    user = 'o"brien\\x'
    assert authorize(request, unauthorized(), (user, "pw"))
    p = check_answer(request, request.get_header("Authorization"), "pw")
    assert p["username"] == user


def test_line_break_in_credentials_is_refused_untouched(backend: str) -> None:
    request = register()
    with pytest.raises(ValueError):
        authorize(request, unauthorized(), ("bob\r\nX-Evil: 1", "pw"))
    assert bytes(request) == REGISTER


def test_nc_counts_per_nonce(backend: str) -> None:
    seen = []
    for _ in range(3):
        request = register()
        assert authorize(request, unauthorized(), ("bob", "zanzibar"))
        seen.append(check_answer(request, request.get_header("Authorization"), "zanzibar")["nc"])
    assert seen == ["00000001", "00000002", "00000003"]
    request = register()
    assert authorize(request, challenge_response(f'Digest realm="{REALM}", nonce="another", qop="auth"'), ("u", "p"))
    assert params_of(request.get_header("Authorization"))["nc"] == "00000001"
    # distinct cnonces
    cnonces = set()
    for _ in range(5):
        request = register()
        authorize(request, unauthorized(), ("bob", "zanzibar"))
        cnonces.add(params_of(request.get_header("Authorization"))["cnonce"])
    assert len(cnonces) == 5


def test_nonce_counts_bounded_and_thread_safe() -> None:
    counts = sipauth._NonceCounts(3)
    for nonce in ("a", "b", "c"):
        assert counts.next(nonce) == 1
    assert counts.next("a") == 2  # a is now the most recent
    assert counts.next("d") == 1  # b, the least recent, goes
    assert counts.next("b") == 1
    assert counts.next("a") == 3

    shared = sipauth._NonceCounts(10)
    got: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [shared.next("n") for _ in range(500)]
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(got) == list(range(1, 2001))


@pytest.mark.parametrize(("request_cseq", "response_cseq", "expected"), [(1, 1, 2), (5, 7, 8), (9, 5, 9)])
def test_cseq_raised_above_response(backend: str, request_cseq: int, response_cseq: int, expected: int) -> None:
    request = Request("INVITE", "sip:bob@biloxi.example.com", [("Call-ID", "c@h"), ("CSeq", f"{request_cseq} INVITE")])
    response = challenge_response(f'Digest realm="{REALM}", nonce="n"', cseq=response_cseq)
    assert authorize(request, response, ("u", "p"))
    assert request.cseq == f"{expected} INVITE"


def test_bad_auth_argument(backend: str) -> None:
    with pytest.raises(TypeError):
        authorize(register(), unauthorized(), 42)


# =============================================================================================
# server


@pytest.fixture
def clock() -> Clock:
    return Clock()


def server(clock: Clock, **kw: Any) -> Authenticator:
    kw.setdefault("secret", b"k" * 32)
    return Authenticator(REALM, kw.pop("credentials", {"bob": "zanzibar"}), clock=clock, **kw)


def answered(auth: Authenticator, creds: Any = ("bob", "zanzibar"), request: Optional[Request] = None) -> Request:
    """A REGISTER answering a fresh challenge of ``auth`` with the sipfast client."""
    request = request or register()
    assert authorize(request, auth.challenge(request), creds)
    return request


def with_credentials(value: str, uri: str = "sip:biloxi.example.com", body: bytes = b"") -> Request:
    return Request(
        "REGISTER",
        uri,
        [("Call-ID", "c@h"), ("CSeq", "2 REGISTER"), ("Authorization", value)],
        body=body or None,
    )


def handmade(
    auth: Authenticator,
    nonce: Optional[str] = None,
    password: str = "zanzibar",
    drop: tuple[str, ...] = (),
    **over: str,
) -> Request:
    """Credentials written out by hand (response from hashlib), with fields dropped or replaced."""
    p = {
        "username": "bob",
        "realm": REALM,
        "nonce": nonce or auth.new_nonce(),
        "uri": "sip:biloxi.example.com",
        "algorithm": "MD5",
        "cnonce": "c0ffee",
        "qop": "auth",
        "nc": "00000001",
    }
    p.update(over)
    for name in drop:
        p.pop(name, None)
    if "response" not in over and "response" not in drop:
        p["response"] = reference(
            p.get("algorithm", "MD5"),
            p.get("username", ""),
            p.get("realm", ""),
            password,
            "REGISTER",
            p.get("uri", ""),
            p.get("nonce", ""),
            p.get("qop"),
            p.get("nc", ""),
            p.get("cnonce", ""),
        )
    tokens = ("algorithm", "qop", "nc")
    text = ", ".join(f"{k}={v}" if k in tokens else f'{k}="{v}"' for k, v in p.items())
    return with_credentials("Digest " + text)


def test_challenge_shape(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("SHA-512-256", "sha-256", "MD5"))
    request = register()
    resp = auth.challenge(request)
    assert resp.code == 401
    assert resp.call_id == request.call_id and resp.cseq == request.cseq and resp.to_tag
    assert resp.get_header("Proxy-Authenticate") is None
    challenges = [sipfast.parse_auth(v) for v in resp.get_headers("WWW-Authenticate")]
    assert [c.params["algorithm"] for c in challenges] == ["SHA-512-256", "SHA-256", "MD5"]
    nonces = {c.params["nonce"] for c in challenges}
    assert len(nonces) == 1
    for c in challenges:
        assert c.scheme == "Digest"
        assert c.params["realm"] == REALM
        assert c.params["qop"] == "auth"
        assert c.params["opaque"]
        assert "stale" not in c.params
    assert len(next(iter(nonces))) == 32
    again = auth.challenge(request, stale=True)
    for v in again.get_headers("WWW-Authenticate"):
        assert sipfast.parse_auth(v).params["stale"] == "true"
    assert sipfast.parse_auth(again.get_header("WWW-Authenticate") or "").params["nonce"] not in nonces


def test_challenge_proxy(backend: str, clock: Clock) -> None:
    auth = server(clock, proxy=True, algorithms="MD5", qop="auth,auth-int")
    request = register()
    resp = auth.challenge(request)
    assert resp.code == 407
    assert resp.get_header("WWW-Authenticate") is None
    (value,) = resp.get_headers("Proxy-Authenticate")
    assert sipfast.parse_auth(value).params["qop"] == "auth,auth-int"
    assert authorize(request, resp, ("bob", "zanzibar"))
    assert auth.verify(request) == AuthResult(True, "bob", False, "ok")
    # the proxy reads Proxy-Authorization only
    www = server(clock, algorithms="MD5")
    assert www.verify(request).reason == "missing-credentials"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("qop", ["auth", "auth-int", None])
def test_round_trip(backend: str, clock: Clock, algorithm: str, qop: Optional[str]) -> None:
    auth = server(clock, algorithms=(algorithm,), qop=qop)
    request = Request(
        "INVITE",
        "sip:bob@biloxi.example.com;transport=udp",
        [("Call-ID", "r@t"), ("CSeq", "1 INVITE")],
        body=b"v=0\r\n",
    )
    request = answered(auth, request=request)
    check_answer(request, request.get_header("Authorization"), "zanzibar", body=request.body)
    assert auth.verify(request) == AuthResult(True, "bob", False, "ok")
    # the same answer again is a replay when it carries an nc; without qop nothing can tell
    assert auth.verify(request).ok is (qop is None)


def test_server_prefers_first_algorithm_and_client_follows(backend: str, clock: Clock) -> None:
    auth = server(clock)
    request = answered(auth)
    assert params_of(request.get_header("Authorization"))["algorithm"] == "SHA-256"
    assert auth.verify(request).ok


def test_corpus_credentials_have_a_foreign_nonce(backend: str, clock: Clock) -> None:
    msg = sipfast.parse(REGISTER_AUTH)
    assert isinstance(msg, Request)
    check_answer(msg, msg.get_header("Authorization"), "zanzibar")
    auth = server(clock, algorithms=("MD5",))
    assert auth.verify(msg) == AuthResult(False, "bob", False, "forged-nonce")


def test_reason_missing_credentials(backend: str, clock: Clock) -> None:
    assert server(clock).verify(register()) == AuthResult(False, None, False, "missing-credentials")


def test_reason_malformed(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",))
    assert auth.verify(with_credentials('Digest username="bob')).reason == "malformed-credentials"
    assert auth.verify(with_credentials(f'Digest username="bob" realm="{REALM}"')).reason == "malformed-credentials"
    assert auth.verify(handmade(auth, nc="zz000001")).reason == "malformed-credentials"
    assert auth.verify(handmade(auth, nc="1")).reason == "malformed-credentials"


def test_reason_not_digest(backend: str, clock: Clock) -> None:
    result = server(clock).verify(with_credentials("Basic Ym9iOnphbnppYmFy"))
    assert result == AuthResult(False, None, False, "not-digest")


def test_reason_wrong_realm(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",))
    assert auth.verify(handmade(auth, realm="atlanta.example.com")).reason == "wrong-realm"
    # credentials for another realm beside ours are passed over
    request = answered(auth)
    request.insert_header("Authorization", FOREIGN)
    assert auth.verify(request).ok


@pytest.mark.parametrize("field", ["username", "nonce", "uri", "response", "cnonce", "nc", "realm"])
def test_reason_missing_fields(backend: str, clock: Clock, field: str) -> None:
    auth = server(clock, algorithms=("MD5",))
    assert auth.verify(handmade(auth, drop=(field,))).reason == "missing-fields"


def test_reason_missing_cnonce_for_sess(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5-sess",), qop=None)
    request = handmade(auth, algorithm="MD5-sess", drop=("cnonce", "qop", "nc"), response="0" * 32)
    assert auth.verify(request).reason == "missing-fields"


def test_reason_unknown_user(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",))
    assert auth.verify(handmade(auth, username="mallory")) == AuthResult(False, "mallory", False, "unknown-user")
    by_callable = server(clock, algorithms=("MD5",), credentials=lambda user: "zanzibar" if user == "bob" else None)
    assert by_callable.verify(handmade(by_callable, username="mallory")).reason == "unknown-user"
    assert by_callable.verify(handmade(by_callable)).ok


@pytest.mark.parametrize("algorithm", ["SHA-512-256", "AKAv1-MD5", "MD5-sess"])
def test_reason_unsupported_algorithm(backend: str, clock: Clock, algorithm: str) -> None:
    auth = server(clock, algorithms=("SHA-256", "MD5"))
    request = handmade(auth, algorithm=algorithm, response="0" * 64)
    assert auth.verify(request).reason == "unsupported-algorithm"


def test_absent_algorithm_means_md5(backend: str, clock: Clock) -> None:
    only_sha = server(clock, algorithms=("SHA-256",))
    assert only_sha.verify(handmade(only_sha, drop=("algorithm",))).reason == "unsupported-algorithm"
    md5 = server(clock, algorithms=("SHA-256", "MD5"))
    assert md5.verify(handmade(md5, drop=("algorithm",))).ok


def test_reason_uri_mismatch(backend: str, clock: Clock) -> None:
    auth = server(clock)
    request = answered(auth)
    request.set_uri("sip:BILOXI.example.com")  # the same resource written otherwise: no normalisation
    assert auth.verify(request).reason == "uri-mismatch"


def test_reason_qop_not_offered(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",), qop="auth")
    assert auth.verify(handmade(auth, qop="auth-int")).reason == "qop-not-offered"
    # the RFC 2069 form when a qop was offered: a downgrade that loses nc
    assert auth.verify(handmade(auth, drop=("qop", "nc", "cnonce"))).reason == "qop-not-offered"
    none = server(clock, algorithms=("MD5",), qop=None)
    assert none.verify(handmade(none)).reason == "qop-not-offered"
    assert none.verify(handmade(none, drop=("qop", "nc", "cnonce"))).ok


def test_reason_forged_nonce(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",))
    nonce = auth.new_nonce()
    flipped = nonce[:5] + ("A" if nonce[5] != "A" else "B") + nonce[6:]
    for bad in (flipped, nonce[:-1], nonce + "A", "*" * 32, "\u00e9" * 32, "dcd98b7102dd2f0e8b11d0f600bfb0c093"):
        assert auth.verify(handmade(auth, nonce=bad)) == AuthResult(False, "bob", False, "forged-nonce")


def test_reason_wrong_response(backend: str, clock: Clock) -> None:
    auth = server(clock)
    request = answered(auth, creds=("bob", "wrong"))
    assert auth.verify(request) == AuthResult(False, "bob", False, "wrong-response")
    assert auth.verify(handmade(auth, response="\u00e9" * 32)).reason == "wrong-response"


def test_response_in_capitals_accepted(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",))
    good = handmade(auth)
    value = good.get_header("Authorization") or ""
    answer = params_of(value)["response"]
    assert auth.verify(with_credentials(value.replace(answer, answer.upper()))).ok


def test_reason_expired_nonce_is_stale(backend: str, clock: Clock) -> None:
    auth = server(clock, nonce_ttl=300)
    request = answered(auth)
    clock.now += 301
    assert auth.verify(request) == AuthResult(False, "bob", True, "expired-nonce")
    # a wrong answer with an old nonce is wrong, not stale (RFC 7616 §3.3)
    wrong = answered(auth, creds=("bob", "nope"))
    clock.now += 301
    assert auth.verify(wrong) == AuthResult(False, "bob", False, "wrong-response")
    # within the lifetime: fine
    fresh = answered(auth)
    clock.now += 299
    assert auth.verify(fresh).ok


def test_stale_round_trip(backend: str, clock: Clock) -> None:
    auth = server(clock)
    request = answered(auth)
    clock.now += 1000
    result = auth.verify(request)
    assert result.stale
    assert authorize(request, auth.challenge(request, stale=True), ("bob", "zanzibar"))
    assert len(request.get_headers("Authorization")) == 1
    assert auth.verify(request).ok


def test_reason_replayed_nc(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",))
    nonce = auth.new_nonce()
    assert auth.verify(handmade(auth, nonce=nonce, nc="00000002")).ok
    for nc in ("00000002", "00000001"):
        assert auth.verify(handmade(auth, nonce=nonce, nc=nc)) == AuthResult(False, "bob", False, "replayed-nc")
    assert auth.verify(handmade(auth, nonce=nonce, nc="0000000A")).ok
    # a wrong answer does not use up an nc
    assert auth.verify(handmade(auth, nonce=nonce, nc="0000000b", password="x")).reason == "wrong-response"
    assert auth.verify(handmade(auth, nonce=nonce, nc="0000000b")).ok


def test_client_counts_nc_the_server_accepts(backend: str, clock: Clock) -> None:
    auth = server(clock)
    first = register()
    challenge = auth.challenge(first)
    for _ in range(3):
        request = register()
        assert authorize(request, challenge, ("bob", "zanzibar"))
        assert auth.verify(request).ok


def test_shared_secret(backend: str, clock: Clock) -> None:
    one = server(clock, secret=b"shared-secret")
    two = server(clock, secret="shared-secret")  # str: its UTF-8 bytes
    other = server(clock, secret=b"another-secret")
    request = answered(one)
    assert other.verify(request).reason == "forged-nonce"
    assert two.verify(request).ok
    random_secret = Authenticator(REALM, {"bob": "zanzibar"}, clock=clock)
    assert random_secret.verify(answered(one)).reason == "forged-nonce"
    # the realm is part of the key: same secret, other realm, the nonce means nothing
    elsewhere = Authenticator("atlanta.example.com", {"bob": "zanzibar"}, secret=b"shared-secret", clock=clock)
    request = answered(one)
    value = (request.get_header("Authorization") or "").replace(f'realm="{REALM}"', 'realm="atlanta.example.com"')
    assert elsewhere.verify(with_credentials(value)).reason == "forged-nonce"


def test_stored_ha1(backend: str, clock: Clock) -> None:
    stored = {a: reference_ha1(a, "bob", REALM, "zanzibar") for a in ("MD5", "SHA-256", "SHA-512-256")}
    for algorithm in ALGORITHMS:
        auth = server(clock, algorithms=(algorithm,), credentials={"bob": stored})
        assert auth.verify(answered(auth)).ok, algorithm
        assert auth.verify(answered(auth, creds=("bob", "zanzibar!"))).reason == "wrong-response"
    partial = server(clock, algorithms=("SHA-256", "MD5"), credentials={"bob": {"MD5": stored["MD5"]}})
    assert partial.verify(answered(partial)).reason == "unsupported-algorithm"  # client picked SHA-256
    assert partial.verify(handmade(partial)).ok  # MD5
    by_callable = server(clock, credentials=lambda user: stored if user == "bob" else None)
    assert by_callable.verify(answered(by_callable)).ok
    broken = server(clock, algorithms=("MD5",), credentials={"bob": {"MD5": "not hex"}})
    with pytest.raises(DigestError):
        broken.verify(handmade(broken))


def test_nc_memory_is_bounded(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",), max_nonces=3)
    requests = []
    for _ in range(5):  # five nonces, a second apart
        clock.now += 1
        requests.append(handmade(auth))
        assert auth.verify(requests[-1]).ok
    assert len(auth._seen) == 3
    # the first two were forgotten: their replay is refused as stale, never accepted
    for request in requests:
        result = auth.verify(request)
        assert not result.ok
        assert result.reason in ("replayed-nc", "expired-nonce")
    assert [auth.verify(r).stale for r in requests[:2]] == [True, True]
    # a nonce issued later is still welcome
    clock.now += 1
    assert auth.verify(handmade(auth)).ok


def test_nc_memory_drops_old_nonces(backend: str, clock: Clock) -> None:
    auth = server(clock, algorithms=("MD5",), nonce_ttl=60)
    for _ in range(4):
        assert auth.verify(handmade(auth)).ok
    assert len(auth._seen) == 4
    clock.now += 61
    assert auth.verify(handmade(auth)).ok
    assert len(auth._seen) == 1


def test_authenticator_arguments(backend: str) -> None:
    with pytest.raises(DigestError):
        Authenticator(REALM, {}, algorithms=("AKAv1-MD5",))
    with pytest.raises(ValueError):
        Authenticator(REALM, {}, algorithms=())
    with pytest.raises(ValueError):
        Authenticator(REALM, {}, qop="auth-conf")
    auth = Authenticator(REALM, {}, algorithms=("md5", "MD5", "sha-256"), qop=["auth-int", "auth"])
    assert auth.algorithms == ("MD5", "SHA-256")
    assert auth.qop == ("auth-int", "auth")


def test_nonce_encodes_clock(backend: str, clock: Clock) -> None:
    import base64

    auth = server(clock)
    nonce = auth.new_nonce()
    raw = base64.urlsafe_b64decode(nonce)
    assert len(nonce) == 32 and len(raw) == 24  # time, randomness, truncated HMAC
    assert int.from_bytes(raw[:4], "big") == int(clock.now)
    assert len({auth.new_nonce() for _ in range(50)}) == 50


def test_time_comes_from_the_clock(backend: str, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(time, "time", lambda: 0.0)  # a wall clock read would make the nonce 56 years old
    auth = server(clock)
    assert auth.verify(answered(auth)).ok
