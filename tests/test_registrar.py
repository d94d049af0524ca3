"""The Registrar (RFC 3261 §10.3): every behaviour once per store (memory, SQLite, Redis)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import NamedTuple, Optional

import pytest

import sipfast
from sipfast import Request, Response
from sipfast.registrar import Registrar
from sipfast.stores import Binding, BindingStore, MemoryStore

T0 = 1_700_000_000.25  # a clock reading with a fraction, so rounding shows


class Clock:
    """The injected clock: tests move it instead of sleeping."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds




@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make(store: BindingStore, clock: Clock) -> Callable[..., Registrar]:
    def make_(**kwargs: object) -> Registrar:
        kwargs.setdefault("domains", "example.com")
        kwargs.setdefault("max_expires", 3600)
        return Registrar(store=store, clock=clock, **kwargs)  # type: ignore[arg-type]

    return make_


@pytest.fixture
def reg(make: Callable[..., Registrar]) -> Registrar:
    return make()


_UNSET: Sequence[str] = ("<sip:alice@192.0.2.1:5060>",)


def register(
    user: str = "alice",
    domain: str = "example.com",
    contacts: Optional[Sequence[str]] = _UNSET,
    expires: Optional[str] = None,
    call_id: Optional[str] = "call-1@192.0.2.1",
    cseq: Optional[str] = "1 REGISTER",
    to: Optional[str] = None,
    extra: Sequence[tuple[str, str]] = (),
    method: str = "REGISTER",
    uri: Optional[str] = None,
    wire: bool = True,
) -> Request:
    """A request as it arrives: built as bytes, then parsed (``wire=False``: built as an object,
    for what the parser already refuses)."""
    headers = [
        ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" + str(abs(hash((user, call_id, cseq))))),
        ("Max-Forwards", "70"),
        ("From", f"<sip:{user}@{domain}>;tag=f1"),
    ]
    if to is None:
        to = f"<sip:{user}@{domain}>"
    if to != "":
        headers.append(("To", to))
    if call_id is not None:
        headers.append(("Call-ID", call_id))
    if cseq is not None:
        headers.append(("CSeq", cseq))
    headers.extend(("Contact", contact) for contact in contacts or ())
    if expires is not None:
        headers.append(("Expires", expires))
    headers.extend(extra)
    uri = uri or f"sip:{domain}"
    if not wire:
        return Request(method, uri, headers)
    lines = [f"{method} {uri} SIP/2.0", *(f"{name}: {value}" for name, value in headers), "Content-Length: 0", "", ""]
    msg = sipfast.parse("\r\n".join(lines).encode())
    assert isinstance(msg, Request)
    return msg


def answer(reg: Registrar, request: Request) -> Response:
    resp = reg.receive(request)
    assert resp is not None
    # what the transport sends must parse again
    again = sipfast.parse(bytes(resp))
    assert isinstance(again, Response)
    return again


def listed(resp: Response) -> dict[str, tuple[int, Optional[str]]]:
    """The bindings a 200 lists: contact URI -> (expires, q)."""
    out: dict[str, tuple[int, Optional[str]]] = {}
    for value in resp.get_headers("Contact"):
        na = sipfast.parse_name_addr(value)
        expires = na.params["expires"]
        assert expires is not None
        out[na.uri.text] = (int(expires), na.params.get("q"))
    return out


def snapshot(store: BindingStore, aor: str = "sip:alice@example.com", now: float = T0) -> list[Binding]:
    return sorted(store.lookup(aor, now))


# --------------------------------------------------------------------------------------------
# only REGISTER; the location service for the rest


def test_register_gets_200_listing_the_binding(reg: Registrar, backend: str) -> None:
    resp = answer(reg, register())
    assert resp.code == 200
    assert listed(resp) == {"sip:alice@192.0.2.1:5060": (3600, None)}
    assert reg.query("sip:alice@example.com") == ["sip:alice@192.0.2.1:5060"]
    # the 200 answers this request: To tag added, Call-ID and CSeq echoed
    assert resp.call_id == "call-1@192.0.2.1" and resp.cseq == "1 REGISTER" and resp.to_tag


def test_200_carries_date_from_the_clock(reg: Registrar, clock: Clock) -> None:
    clock.now = 784111777.9  # RFC 1123's own example instant, Sun, 06 Nov 1994 08:49:37 GMT
    resp = answer(reg, register())
    date = resp.get_header("Date")
    assert date == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert parsedate_to_datetime(date).timestamp() == int(clock.now)


def test_other_methods_are_routed_to_the_best_contact(reg: Registrar) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>;q=0.4", "<sip:alice@192.0.2.2;transport=tcp>;q=0.9"]))
    invite = register(method="INVITE", uri="sip:alice@EXAMPLE.com:5060;user=phone", cseq="1 INVITE", contacts=None)
    assert reg.receive(invite) is None
    assert invite.uri == "sip:alice@192.0.2.2;transport=tcp"
    assert bytes(invite).startswith(b"INVITE sip:alice@192.0.2.2;transport=tcp SIP/2.0\r\n")


def test_other_methods_for_unknown_users_are_left_alone(reg: Registrar, store: BindingStore) -> None:
    answer(reg, register())
    before = snapshot(store)
    options = register(method="OPTIONS", uri="sip:bob@example.com", cseq="1 OPTIONS", contacts=None)
    assert reg.receive(options) is None
    assert options.uri == "sip:bob@example.com"
    # a Contact on a non-REGISTER binds nothing
    invite = register(method="INVITE", uri="sip:carol@example.com", cseq="1 INVITE", user="carol")
    assert reg.receive(invite) is None
    assert reg.query("sip:carol@example.com") == []
    assert snapshot(store) == before


def test_expired_binding_does_not_route(reg: Registrar, clock: Clock) -> None:
    answer(reg, register(expires="60"))
    clock.advance(61)
    invite = register(method="INVITE", uri="sip:alice@example.com", cseq="1 INVITE", contacts=None)
    assert reg.receive(invite) is None
    assert invite.uri == "sip:alice@example.com"


# --------------------------------------------------------------------------------------------
# domains


def test_domain_matches_exactly_and_case_insensitively(make: Callable[..., Registrar]) -> None:
    reg = make(domains=["Example.COM", "other.example.org"])
    assert answer(reg, register(domain="EXAMPLE.com")).code == 200
    assert answer(reg, register(domain="other.example.org", user="bob")).code == 200
    assert reg.query("sip:alice@example.com") == ["sip:alice@192.0.2.1:5060"]


@pytest.mark.parametrize("domain", ["evilexample.com", "sub.example.com", "example.com.evil.org", "example.co"])
def test_foreign_domain_gets_404_and_binds_nothing(reg: Registrar, store: BindingStore, domain: str) -> None:
    resp = answer(reg, register(domain=domain))
    assert resp.code == 404
    assert store.lookup(f"sip:alice@{domain}", T0) == []


def test_foreign_domain_dropped_with_drop_foreign(make: Callable[..., Registrar], store: BindingStore) -> None:
    reg = make(drop_foreign=True)
    assert reg.receive(register(domain="evilexample.com")) is None
    assert store.lookup("sip:alice@evilexample.com", T0) == []
    assert answer(reg, register()).code == 200


@pytest.mark.parametrize("domains", [None, "*", ["example.com", "*"]])
def test_no_domains_or_star_serves_every_domain(make: Callable[..., Registrar], domains: object) -> None:
    reg = make(domains=domains)
    assert answer(reg, register(domain="anything.example.net")).code == 200
    assert reg.query("sip:alice@anything.example.net") == ["sip:alice@192.0.2.1:5060"]


def test_domain_is_the_to_host_not_the_request_uri(reg: Registrar) -> None:
    resp = answer(reg, register(to="<sip:alice@evilexample.com>", uri="sip:example.com"))
    assert resp.code == 404


# --------------------------------------------------------------------------------------------
# authentication and authorization


class FakeResult(NamedTuple):
    ok: bool
    user: Optional[str]
    stale: bool
    reason: str


class FakeAuthenticator:
    """The Authenticator's two methods; verify() reads ``Authorization: Fake user=U, state=S``."""

    def __init__(self) -> None:
        self.challenges: list[bool] = []

    def challenge(self, request: Request, stale: bool = False) -> Response:
        self.challenges.append(stale)
        value = 'Digest realm="example.com", nonce="n0"' + (", stale=true" if stale else "")
        return request.create_response(401, headers={"WWW-Authenticate": value})

    def verify(self, request: Request) -> FakeResult:
        value = request.get_header("Authorization")
        if value is None:
            return FakeResult(False, None, False, "missing-credentials")
        params = sipfast.parse_auth(value).params
        state = params["state"]
        return FakeResult(state == "ok", params["user"], state == "stale", state)


def creds(user: str, state: str = "ok") -> list[tuple[str, str]]:
    return [("Authorization", f"Fake user={user}, state={state}")]


def test_auth_missing_credentials_gets_401_and_binds_nothing(
    make: Callable[..., Registrar], store: BindingStore
) -> None:
    auth = FakeAuthenticator()
    reg = make(authenticator=auth)
    resp = answer(reg, register())
    assert resp.code == 401
    assert resp.get_header("WWW-Authenticate") == 'Digest realm="example.com", nonce="n0"'
    assert auth.challenges == [False]
    assert snapshot(store) == []


def test_auth_stale_nonce_gets_401_with_stale(make: Callable[..., Registrar], store: BindingStore) -> None:
    auth = FakeAuthenticator()
    reg = make(authenticator=auth)
    resp = answer(reg, register(extra=creds("alice", "stale")))
    assert resp.code == 401
    assert "stale=true" in (resp.get_header("WWW-Authenticate") or "")
    assert auth.challenges == [True]
    assert snapshot(store) == []


def test_auth_refused_credentials_get_a_new_challenge(make: Callable[..., Registrar], store: BindingStore) -> None:
    auth = FakeAuthenticator()
    reg = make(authenticator=auth)
    for state in ("wrong-response", "unknown-user", "forged-nonce"):
        resp = answer(reg, register(extra=creds("alice", state)))
        assert resp.code == 401
    assert auth.challenges == [False, False, False]
    assert snapshot(store) == []


def test_auth_ok_registers_own_aor(make: Callable[..., Registrar]) -> None:
    reg = make(authenticator=FakeAuthenticator())
    assert answer(reg, register(extra=creds("alice"))).code == 200
    assert reg.query("sip:alice@example.com") == ["sip:alice@192.0.2.1:5060"]


def test_auth_user_may_not_register_another_aor(make: Callable[..., Registrar], store: BindingStore) -> None:
    reg = make(authenticator=FakeAuthenticator())
    resp = answer(reg, register(user="bob", extra=creds("alice")))
    assert resp.code == 403
    assert store.lookup("sip:bob@example.com", T0) == []
    # the user part compares exactly (RFC 3261 §19.1.4: user parts are case-sensitive)
    assert answer(reg, register(user="Alice", extra=creds("alice"))).code == 403


def test_authorize_callable_may_allow_another_aor(make: Callable[..., Registrar]) -> None:
    asked: list[tuple[str, str]] = []

    def authorize(user: str, aor: str) -> bool:
        asked.append((user, aor))
        return user == "admin"

    reg = make(authenticator=FakeAuthenticator(), authorize=authorize)
    assert answer(reg, register(user="bob", extra=creds("admin"))).code == 200
    assert reg.query("sip:bob@example.com") == ["sip:alice@192.0.2.1:5060"]
    assert answer(reg, register(user="bob", extra=creds("carol"))).code == 403
    assert asked == [("admin", "sip:bob@example.com"), ("carol", "sip:bob@example.com")]
    # the own address-of-record needs no permission
    assert answer(reg, register(user="carol", extra=creds("carol"))).code == 200
    assert len(asked) == 2


def test_foreign_domain_is_refused_before_any_challenge(make: Callable[..., Registrar]) -> None:
    auth = FakeAuthenticator()
    reg = make(authenticator=auth)
    assert answer(reg, register(domain="evilexample.com")).code == 404
    assert auth.challenges == []


def test_with_the_real_authenticator(make: Callable[..., Registrar], clock: Clock) -> None:
    auth_mod = pytest.importorskip("sipfast.auth")
    auth = auth_mod.Authenticator("example.com", {"alice": "wonderland", "bob": "builder"}, clock=clock)
    reg = make(authenticator=auth)

    first = register()
    challenge = answer(reg, first)
    assert challenge.code == 401 and challenge.get_header("WWW-Authenticate")
    retry = register(cseq="2 REGISTER")
    assert retry.authorize(challenge, ("alice", "wonderland"))
    assert answer(reg, retry).code == 200
    assert reg.query("sip:alice@example.com") == ["sip:alice@192.0.2.1:5060"]

    wrong = register(cseq="3 REGISTER", contacts=["<sip:alice@192.0.2.9>"])
    assert wrong.authorize(challenge, ("alice", "rabbit-hole"))
    assert answer(reg, wrong).code == 401
    assert reg.query("sip:alice@example.com") == ["sip:alice@192.0.2.1:5060"]

    bob_for_alice = register(cseq="4 REGISTER", contacts=["<sip:bob@192.0.2.7>"])
    assert bob_for_alice.authorize(challenge, ("bob", "builder"))
    assert answer(reg, bob_for_alice).code == 403

    clock.advance(auth.nonce_ttl + 1)
    late = register(cseq="5 REGISTER")
    assert late.authorize(challenge, ("alice", "wonderland"))
    stale = answer(reg, late)
    assert stale.code == 401
    assert "stale=true" in (stale.get_header("WWW-Authenticate") or "").lower()


# --------------------------------------------------------------------------------------------
# expiry of each Contact


def test_contact_expires_param_wins_over_expires_header(reg: Registrar) -> None:
    resp = answer(reg, register(contacts=["<sip:alice@192.0.2.1>;expires=120", "<sip:alice@192.0.2.2>"], expires="600"))
    assert listed(resp) == {"sip:alice@192.0.2.1": (120, None), "sip:alice@192.0.2.2": (600, None)}


def test_default_expires_when_none_given(make: Callable[..., Registrar]) -> None:
    reg = make(default_expires=900)
    assert listed(answer(reg, register())) == {"sip:alice@192.0.2.1:5060": (900, None)}


def test_default_expires_none_means_max_expires(make: Callable[..., Registrar]) -> None:
    reg = make(max_expires=1200)
    assert listed(answer(reg, register())) == {"sip:alice@192.0.2.1:5060": (1200, None)}


def test_expires_capped_at_max(make: Callable[..., Registrar]) -> None:
    reg = make(max_expires=300)
    contacts = ["<sip:alice@192.0.2.1>;expires=7200", "<sip:alice@192.0.2.2>"]
    resp = answer(reg, register(contacts=contacts, expires="99999999999999"))
    assert listed(resp) == {"sip:alice@192.0.2.1": (300, None), "sip:alice@192.0.2.2": (300, None)}


def test_malformed_expires_reads_as_3600(make: Callable[..., Registrar]) -> None:
    # RFC 3261 §20.19: "Malformed values SHOULD be treated as equivalent to 3600"
    reg = make(max_expires=7200)
    resp = answer(reg, register(contacts=["<sip:alice@192.0.2.1>;expires=soon", "<sip:alice@192.0.2.2>"], expires="-5"))
    assert listed(resp) == {"sip:alice@192.0.2.1": (3600, None), "sip:alice@192.0.2.2": (3600, None)}


def test_expires_under_min_gets_423_and_changes_nothing(make: Callable[..., Registrar], store: BindingStore) -> None:
    reg = make(min_expires=60)
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>"]))
    before = snapshot(store)
    contacts = ["<sip:alice@192.0.2.2>", "<sip:alice@192.0.2.3>;expires=59"]
    resp = answer(reg, register(contacts=contacts, cseq="2 REGISTER"))
    assert resp.code == 423
    assert resp.get_header("Min-Expires") == "60"
    assert snapshot(store) == before
    # from the Expires header too; exactly the minimum is fine
    assert answer(reg, register(expires="59", cseq="3 REGISTER")).code == 423
    assert answer(reg, register(expires="60", cseq="4 REGISTER")).code == 200


def test_expires_zero_is_not_too_brief(make: Callable[..., Registrar]) -> None:
    reg = make(min_expires=60)
    answer(reg, register())
    resp = answer(reg, register(expires="0", cseq="2 REGISTER"))
    assert resp.code == 200
    assert listed(resp) == {}


def test_constructor_checks_the_limits() -> None:
    with pytest.raises(ValueError):
        Registrar(min_expires=600, max_expires=300)
    with pytest.raises(ValueError):
        Registrar(min_expires=60, max_expires=300, default_expires=30)


# --------------------------------------------------------------------------------------------
# Contact: *


def test_star_with_expires_zero_removes_every_binding(reg: Registrar, store: BindingStore) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>", "<sip:alice@192.0.2.2>"]))
    answer(reg, register(contacts=["<sip:alice@192.0.2.3>"], call_id="other-phone", cseq="7 REGISTER"))
    answer(reg, register(user="bob"))
    resp = answer(reg, register(contacts=["*"], expires="0", cseq="2 REGISTER"))
    assert resp.code == 200
    assert resp.get_headers("Contact") == []
    assert reg.query("sip:alice@example.com") == []
    assert reg.query("sip:bob@example.com") == ["sip:alice@192.0.2.1:5060"]


@pytest.mark.parametrize(
    ("contacts", "expires"),
    [
        (["*", "<sip:alice@192.0.2.9>"], "0"),
        (["*, <sip:alice@192.0.2.9>"], "0"),
        (["*"], None),
        (["*"], "10"),
        (["*"], "zero"),
    ],
)
def test_star_misused_gets_400_and_changes_nothing(
    reg: Registrar, store: BindingStore, contacts: list[str], expires: Optional[str]
) -> None:
    answer(reg, register())
    before = snapshot(store)
    resp = answer(reg, register(contacts=contacts, expires=expires, cseq="2 REGISTER"))
    assert resp.code == 400
    assert "*" in resp.reason
    assert snapshot(store) == before


def test_star_obeys_the_cseq_ordering(reg: Registrar, store: BindingStore) -> None:
    answer(reg, register(cseq="5 REGISTER"))
    before = snapshot(store)
    resp = answer(reg, register(contacts=["*"], expires="0", cseq="5 REGISTER"))
    assert resp.code == 500
    assert snapshot(store) == before
    # another Call-ID removes regardless of its CSeq
    assert answer(reg, register(contacts=["*"], expires="0", cseq="1 REGISTER", call_id="new")).code == 200
    assert snapshot(store) == []


def test_register_without_contact_lists_bindings(reg: Registrar, store: BindingStore, clock: Clock) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>;q=0.5"], expires="600", cseq="9 REGISTER"))
    before = snapshot(store)
    clock.advance(100.5)
    # an older CSeq is fine: nothing is being changed
    resp = answer(reg, register(contacts=None, cseq="1 REGISTER"))
    assert resp.code == 200
    assert listed(resp) == {"sip:alice@192.0.2.1": (500, "0.5")}
    assert snapshot(store) == before


def test_register_without_contact_for_nobody_lists_nothing(reg: Registrar) -> None:
    resp = answer(reg, register(contacts=None))
    assert resp.code == 200
    assert resp.get_headers("Contact") == []
    assert resp.get_header("Date")


# --------------------------------------------------------------------------------------------
# per-binding Call-ID / CSeq ordering


@pytest.mark.parametrize("cseq", ["3 REGISTER", "2 REGISTER"])
def test_same_call_id_old_cseq_gets_500_and_changes_nothing(reg: Registrar, store: BindingStore, cseq: str) -> None:
    answer(reg, register(cseq="3 REGISTER"))
    before = snapshot(store)
    resp = answer(reg, register(contacts=["<sip:alice@192.0.2.1:5060>;expires=0"], cseq=cseq))
    assert resp.code == 500
    assert snapshot(store) == before


def test_same_call_id_higher_cseq_refreshes(reg: Registrar, store: BindingStore, clock: Clock) -> None:
    answer(reg, register(cseq="3 REGISTER", expires="100"))
    clock.advance(50)
    resp = answer(reg, register(cseq="4 REGISTER", expires="100"))
    assert listed(resp) == {"sip:alice@192.0.2.1:5060": (100, None)}
    [b] = store.lookup("sip:alice@example.com", clock.now)
    assert b.cseq == 4 and b.updated == clock.now


def test_other_call_id_replaces_whatever_its_cseq(reg: Registrar, store: BindingStore) -> None:
    answer(reg, register(cseq="50 REGISTER", expires="100"))
    resp = answer(reg, register(cseq="1 REGISTER", call_id="rebooted-phone", expires="200"))
    assert resp.code == 200
    assert listed(resp) == {"sip:alice@192.0.2.1:5060": (200, None)}
    [b] = store.lookup("sip:alice@example.com", T0)
    assert (b.call_id, b.cseq) == ("rebooted-phone", 1)


def test_ordering_is_per_binding(reg: Registrar) -> None:
    # another phone's Call-ID has no say over a binding it does not touch
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>"], call_id="phone-a", cseq="10 REGISTER"))
    resp = answer(reg, register(contacts=["<sip:alice@192.0.2.2>"], call_id="phone-b", cseq="1 REGISTER"))
    assert resp.code == 200
    assert set(listed(resp)) == {"sip:alice@192.0.2.1", "sip:alice@192.0.2.2"}


def test_one_stale_contact_aborts_the_whole_register(reg: Registrar, store: BindingStore) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>"], call_id="c", cseq="5 REGISTER"))
    answer(reg, register(contacts=["<sip:alice@192.0.2.2>"], call_id="d", cseq="1 REGISTER"))
    before = snapshot(store)
    resp = answer(
        reg,
        register(
            contacts=["<sip:alice@192.0.2.3>", "<sip:alice@192.0.2.2>;expires=0", "<sip:alice@192.0.2.1>"],
            call_id="c",
            cseq="5 REGISTER",
        ),
    )
    assert resp.code == 500
    assert snapshot(store) == before


def test_expires_zero_removes_only_that_binding(reg: Registrar) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>", "<sip:alice@192.0.2.2>", "<sip:alice@192.0.2.3>"]))
    resp = answer(reg, register(contacts=["<sip:alice@192.0.2.2>;expires=0"], cseq="2 REGISTER"))
    assert set(listed(resp)) == {"sip:alice@192.0.2.1", "sip:alice@192.0.2.3"}
    # Expires: 0 applies to the contacts without their own expires
    contacts = ["<sip:alice@192.0.2.1>", "<sip:alice@192.0.2.4>;expires=60"]
    resp = answer(reg, register(contacts=contacts, expires="0", cseq="3 REGISTER"))
    assert listed(resp) == {"sip:alice@192.0.2.3": (3600, None), "sip:alice@192.0.2.4": (60, None)}


def test_new_contact_adds_and_keeps_the_others(reg: Registrar) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>"]))
    resp = answer(reg, register(contacts=["<sip:alice@192.0.2.2>"], cseq="2 REGISTER"))
    assert set(listed(resp)) == {"sip:alice@192.0.2.1", "sip:alice@192.0.2.2"}


# --------------------------------------------------------------------------------------------
# the 200 and the lookup order


def test_200_lists_remaining_seconds_and_keeps_q(reg: Registrar, clock: Clock, backend: str) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>;q=0.7;expires=300"]))
    clock.advance(120.4)
    resp = answer(reg, register(contacts=['"Alice" <sip:alice@192.0.2.2>;q=1.0'], expires="600", cseq="2 REGISTER"))
    assert listed(resp) == {"sip:alice@192.0.2.1": (180, "0.7"), "sip:alice@192.0.2.2": (600, "1.0")}
    values = resp.get_headers("Contact")
    assert values[0] == "<sip:alice@192.0.2.2>;expires=600;q=1.0"
    assert values[1] == "<sip:alice@192.0.2.1>;expires=180;q=0.7"


def test_query_orders_by_q_then_most_recent(reg: Registrar, clock: Clock) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>;q=0.5"], call_id="a"))
    clock.advance(1)
    answer(reg, register(contacts=["<sip:alice@192.0.2.2>;q=0.9"], call_id="b"))
    clock.advance(1)
    answer(reg, register(contacts=["<sip:alice@192.0.2.3>;q=0.5"], call_id="c"))
    clock.advance(1)
    answer(reg, register(contacts=["<sip:alice@192.0.2.4>"], call_id="d"))  # no q ranks as 1.0
    assert reg.query("sip:alice@example.com") == [
        "sip:alice@192.0.2.4",
        "sip:alice@192.0.2.2",
        "sip:alice@192.0.2.3",
        "sip:alice@192.0.2.1",
    ]
    # refreshing makes a binding the most recent of its q
    clock.advance(1)
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>;q=0.5"], call_id="a", cseq="2 REGISTER"))
    assert reg.query("sip:alice@example.com")[2:] == ["sip:alice@192.0.2.1", "sip:alice@192.0.2.3"]
    # any URI of the address-of-record asks the same
    assert reg.query("sips:alice@example.com") == []
    assert reg.query("sip:alice@EXAMPLE.COM:5060;transport=tcp") == reg.query("sip:alice@example.com")


def test_expired_bindings_are_not_listed_and_expire_drops_them(
    reg: Registrar, store: BindingStore, clock: Clock
) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>;expires=60", "<sip:alice@192.0.2.2>;expires=120"]))
    answer(reg, register(user="bob", expires="60"))
    clock.advance(60)
    assert reg.query("sip:alice@example.com") == ["sip:alice@192.0.2.2"]
    assert reg.query("sip:bob@example.com") == []
    assert len(store) == 3  # type: ignore[arg-type]
    assert reg.expire() == 2
    assert len(store) == 1  # type: ignore[arg-type]
    resp = answer(reg, register(contacts=None))
    assert listed(resp) == {"sip:alice@192.0.2.2": (60, None)}
    clock.advance(60)
    reg.expire()
    assert len(store) == 0  # type: ignore[arg-type]


def test_receive_drops_expired_bindings_now_and_then(reg: Registrar, store: BindingStore, clock: Clock) -> None:
    for user in ("u1", "u2", "u3"):
        answer(reg, register(user=user, expires="60"))
    assert len(store) == 3  # type: ignore[arg-type]
    clock.advance(61)
    answer(reg, register(user="u4"))
    clock.advance(61)
    answer(reg, register(user="u5"))
    # at most once a minute of clock time; a backend that expires keys by itself (Redis, on its
    # own clock) is left to do so
    assert len(store) == (5 if store.expires_by_itself else 2)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# contact URI comparison


def test_contact_compares_scheme_and_host_case_insensitively(reg: Registrar, backend: str) -> None:
    answer(reg, register(contacts=["<sip:alice@PHONE.example.com:5060;transport=udp>"]))
    again = "<SIP:alice@phone.EXAMPLE.com:5060;transport=udp>;expires=0"
    resp = answer(reg, register(contacts=[again], cseq="2 REGISTER"))
    assert listed(resp) == {}


def test_contact_user_part_is_case_sensitive(reg: Registrar) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.1>"]))
    resp = answer(reg, register(contacts=["<sip:ALICE@192.0.2.1>"], cseq="2 REGISTER"))
    assert set(listed(resp)) == {"sip:alice@192.0.2.1", "sip:ALICE@192.0.2.1"}


def test_same_contact_twice_counts_once_the_last(reg: Registrar) -> None:
    resp = answer(reg, register(contacts=["<sip:alice@192.0.2.1>;expires=100", "<sip:alice@192.0.2.1>;expires=200"]))
    assert listed(resp) == {"sip:alice@192.0.2.1": (200, None)}


def test_compact_contact_and_list_form(reg: Registrar) -> None:
    req = register(contacts=None, extra=[("m", "<sip:alice@192.0.2.1>;q=0.1, sip:alice@192.0.2.2;q=0.2")])
    resp = answer(reg, req)
    assert listed(resp) == {"sip:alice@192.0.2.2": (3600, "0.2"), "sip:alice@192.0.2.1": (3600, "0.1")}


# --------------------------------------------------------------------------------------------
# 400 for what is missing or broken


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"to": ""}, "Missing To"),
        ({"to": "<sip:alice@example.com"}, "Malformed To"),
        ({"to": "<no-scheme>"}, "Malformed To"),
        ({"call_id": None}, "Missing Call-ID"),
        ({"cseq": None}, "Missing CSeq"),
        ({"cseq": "one REGISTER", "wire": False}, "Malformed CSeq"),
        ({"cseq": "1 INVITE", "wire": False}, "CSeq Method"),
        ({"contacts": ["<sip:alice@192.0.2.1"]}, "Malformed Contact"),
        ({"contacts": ["<sip:alice@[192.0.2.1>"]}, "Malformed Contact"),
        ({"contacts": ["<sip:alice@192.0.2.1>;q=2"]}, "q Value"),
        ({"contacts": ["<sip:alice@192.0.2.1>;q=0.5555"]}, "q Value"),
    ],
)
def test_broken_request_gets_400_naming_the_problem(
    reg: Registrar, store: BindingStore, kwargs: dict[str, object], reason: str, backend: str
) -> None:
    answer(reg, register(contacts=["<sip:alice@192.0.2.200>"], call_id="setup", cseq="1 REGISTER"))
    before = snapshot(store)
    # (not through answer(): the 400 echoes the broken header, which the parser would refuse)
    resp = reg.receive(register(**kwargs))  # type: ignore[arg-type]
    assert resp is not None and resp.code == 400
    assert reason.lower() in resp.reason.lower()
    assert snapshot(store) == before


def test_registrar_with_default_store_and_clock() -> None:
    reg = Registrar()
    resp = reg.receive(register())
    assert resp is not None and resp.code == 200
    assert isinstance(reg.store, MemoryStore)
    assert listed(resp) == {"sip:alice@192.0.2.1:5060": (300, None)}


def test_non_utf8_text_gets_400_and_utf8_text_is_kept(reg: Registrar, store: BindingStore) -> None:
    def raw_register(call_id: bytes, to_user: bytes, contact: bytes, cseq: int) -> Request:
        data = (
            b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKu" + str(cseq).encode()
            + b"\r\nFrom: <sip:" + to_user + b"@example.com>;tag=1\r\nTo: <sip:" + to_user + b"@example.com>\r\n"
            + b"Call-ID: " + call_id + b"\r\nCSeq: " + str(cseq).encode() + b" REGISTER\r\nContact: <" + contact
            + b">\r\nContent-Length: 0\r\n\r\n"
        )
        msg = sipfast.parse(data)
        assert isinstance(msg, Request)
        return msg

    ok = raw_register("é@x".encode(), b"%C3%A9", "sip:é@192.0.2.1".encode(), 2)
    resp = reg.receive(ok)
    assert resp is not None and resp.code == 200
    assert reg.query("sip:%C3%A9@example.com") == ["sip:é@192.0.2.1"]
    before = snapshot(store, "sip:é@example.com")
    # the same non-ASCII Call-ID compares equal: an older CSeq fails
    old = reg.receive(raw_register("é@x".encode(), b"%C3%A9", "sip:é@192.0.2.1".encode(), 1))
    assert old is not None and old.code == 500
    for call_id, user, contact, reason in (
        (b"\xff@x", b"bob", b"sip:bob@192.0.2.1", "Call-ID"),
        (b"c@x", b"%FF", b"sip:bob@192.0.2.1", "To"),
        (b"c@x", b"bob", b"sip:\xfe@192.0.2.1", "Contact"),
    ):
        resp = reg.receive(raw_register(call_id, user, contact, 3))
        assert resp is not None and resp.code == 400
        assert reason in resp.reason
    assert snapshot(store, "sip:é@example.com") == before
    assert reg.query("sip:bob@example.com") == []
    invite = register(method="INVITE", uri="sip:%FF@example.com", cseq="1 INVITE", contacts=None)
    assert reg.receive(invite) is None


def test_responses_copy_the_request_headers_but_not_record_route(reg: Registrar) -> None:
    # RFC 3261 §10.3: "Registrars MUST NOT include a Record-Route header field in any response to
    # a REGISTER request"; §8.2.6.2: Via (all), From, To (plus a tag), Call-ID and CSeq copied
    extra = [("Record-Route", "<sip:proxy.example.com;lr>"), ("Via", "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp")]
    ok = register(extra=extra)
    bad = register(extra=extra, contacts=["<sip:alice@192.0.2.1>;q=9"])
    for req, code in ((ok, 200), (bad, 400)):
        resp = answer(reg, req)
        assert resp.code == code
        assert resp.get_header("Record-Route") is None
        assert resp.get_headers("Via") == req.get_headers("Via") and len(req.get_headers("Via")) == 2
        assert resp.get_header("From") == "<sip:alice@example.com>;tag=f1"
        assert (resp.call_id, resp.cseq) == (req.call_id, req.cseq)
        assert (resp.get_header("To") or "").startswith("<sip:alice@example.com>;tag=")
    tagged = answer(reg, register(to="<sip:alice@example.com>;tag=abc", cseq="2 REGISTER"))
    assert tagged.code == 200
    assert tagged.get_header("To") == "<sip:alice@example.com>;tag=abc"


def test_required_extensions_get_420(reg: Registrar, store: BindingStore) -> None:
    # RFC 3261 §10.3 step 2 and §8.2.2.3: nothing is supported, so every required option is listed
    resp = answer(reg, register(extra=[("Require", "path, gruu"), ("Require", "outbound")]))
    assert resp.code == 420
    assert resp.get_headers("Unsupported") == ["path", "gruu", "outbound"]
    assert snapshot(store) == []
    # Supported is no requirement
    assert answer(reg, register(extra=[("Supported", "path, gruu")])).code == 200
