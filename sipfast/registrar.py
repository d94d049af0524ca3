"""The registrar of RFC 3261 §10.3, Sans-I/O: ``receive(request)`` returns the Response to send.

It keeps Net::SIP::Registrar's constructor and its location-service behaviour for other methods,
and follows the RFC where Net::SIP does not (per-contact bindings, Call-ID / CSeq ordering, 423 with
Min-Expires, exact domain match, authorization of the address-of-record).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from email.utils import formatdate
from secrets import token_hex
from typing import Callable, Optional, Protocol, Union

from . import _speedups
from ._values import URI
from .errors import SIPParseError
from .message import Request, Response
from .stores.base import Binding, BindingStore, Change, OutOfOrder
from .stores.memory import MemoryStore

__all__ = ("Registrar",)


class _AuthResult(Protocol):
    @property
    def ok(self) -> bool: ...

    @property
    def user(self) -> Optional[str]: ...

    @property
    def stale(self) -> bool: ...


class _Authenticator(Protocol):
    def challenge(self, request: Request, stale: bool = False) -> Response: ...

    def verify(self, request: Request) -> _AuthResult: ...


# qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)\Z")
# RFC 3261 §20.19: "Malformed values SHOULD be treated as equivalent to 3600" (the same is done for
# a Contact's expires param); values beyond the 32-bit range it gives are read as its maximum.
# Either way the result is then capped at max_expires.
_MALFORMED_EXPIRES = 3600
_EXPIRES_MAX = 2**32 - 1
# how often (clock seconds) receive() also drops expired bindings from the store
_EXPIRE_EVERY = 60.0


class _Reject(Exception):
    def __init__(self, code: int, reason: Optional[str] = None, headers: Optional[list[tuple[str, str]]] = None):
        self.code = code
        self.reason = reason
        self.headers = headers


def _delta_seconds(value: Optional[str]) -> int:
    # delta-seconds = 1*DIGIT
    if value is None:
        return _MALFORMED_EXPIRES
    value = value.strip()
    if not value.isascii() or not value.isdigit():
        return _MALFORMED_EXPIRES
    if len(value) > 10:
        return _EXPIRES_MAX
    return min(int(value), _EXPIRES_MAX)


def _not_utf8(text: str) -> bool:
    # bytes that were not UTF-8 reach us surrogate-escaped; no store can keep them as text, and
    # the grammar allows none (Call-ID is ASCII; a URI escapes other octets as %HH)
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _contact_key(uri: URI) -> str:
    # RFC 3261 §19.1.4 compares scheme and host case-insensitively and the user part exactly; the
    # rest of the rules (parameters in any order, escapes) are not applied: the key is the URI text
    # with scheme and host lowercased, which is what a client re-sending its own Contact writes.
    text = uri.text
    rest = text[text.find(":") + 1 :]
    host = uri.host
    if host:
        at = rest.find("@") + 1
        if rest.startswith(host, at):
            rest = rest[:at] + host.lower() + rest[at + len(host) :]
    return f"{uri.scheme}:{rest}"


def _reply(
    request: Request,
    code: int,
    reason: Optional[str],
    to: Optional[str],
    tagged: bool,
    extra: Optional[list[tuple[str, str]]] = None,
) -> Response:
    # RFC 3261 §8.2.6.2: Via (all), From, To, Call-ID and CSeq copied, a To tag added. Not
    # create_response(): §10.3 says registrars "MUST NOT include a Record-Route header field in
    # any response to a REGISTER request", and the To header is parsed here already.
    headers = [("Via", v) for v in request.get_headers("Via")]
    value = request.get_header("From")
    if value is not None:
        headers.append(("From", value))
    if to is not None:
        headers.append(("To", to if tagged else f"{to};tag={token_hex(6)}"))
    value = request.call_id
    if value is not None:
        headers.append(("Call-ID", value))
    value = request.cseq
    if value is not None:
        headers.append(("CSeq", value))
    if extra:
        headers.extend(extra)
    return Response(code, reason, headers)


def _rank(b: Binding) -> tuple[float, float, str]:
    # highest q first (no q counts as 1.0, as in RFC 7231 §5.3.1), then the most recent, then the
    # URI text so that the order never depends on the store
    return (-(float(b.q) if b.q else 1.0), -b.updated, b.contact)


class Registrar:
    """A SIP registrar (RFC 3261 §10.3) over a binding store.

    ``domains``: a domain or list of domains whose address-of-records it serves (the To URI's host,
    compared exactly and case-insensitively; ``"*"`` or None: every domain). A REGISTER for another
    domain gets 404, or is dropped (``receive`` returns None) with ``drop_foreign=True``.
    Expiry times are capped at ``max_expires``; a non-zero one under ``min_expires`` gets 423;
    ``default_expires`` (None: ``max_expires``) applies when the request gives none.
    ``store``: a ``sipfast.stores`` store (default: a new MemoryStore). ``authenticator``: an object
    with ``challenge(request, stale=False) -> Response`` and ``verify(request) -> AuthResult``, such
    as ``sipfast.Authenticator``; then every REGISTER must carry valid credentials (401 otherwise),
    and the authenticated user may register only the address-of-record whose user part is its name,
    unless ``authorize(user, aor)`` returns True (403 otherwise). ``clock``: seconds, as time.time.
    """

    def __init__(
        self,
        domains: Union[str, Iterable[str], None] = None,
        min_expires: int = 30,
        max_expires: int = 300,
        default_expires: Optional[int] = None,
        store: Optional[BindingStore] = None,
        authenticator: Optional[_Authenticator] = None,
        clock: Callable[[], float] = time.time,
        drop_foreign: bool = False,
        authorize: Optional[Callable[[str, str], bool]] = None,
    ) -> None:
        if isinstance(domains, str):
            domains = [domains]
        names = None if domains is None else frozenset(d.strip().lower() for d in domains)
        self.domains: Optional[frozenset[str]] = None if names is None or "*" in names else names
        if default_expires is None:
            default_expires = max_expires
        if not 0 <= min_expires <= max_expires:
            raise ValueError(f"min_expires {min_expires} must be between 0 and max_expires {max_expires}")
        if not min_expires <= default_expires <= max_expires:
            raise ValueError(f"default_expires {default_expires} is outside [{min_expires}, {max_expires}]")
        self.min_expires = int(min_expires)
        self.max_expires = int(max_expires)
        self.default_expires = int(default_expires)
        self.store: BindingStore = MemoryStore() if store is None else store
        self.authenticator = authenticator
        self.authorize = authorize
        self.clock = clock
        self.drop_foreign = drop_foreign
        self._next_expire = 0.0
        self._date_second = -1
        self._date = ""

    # --- the request path ---------------------------------------------------------------------

    def receive(self, request: Request, addr: object = None) -> Optional[Response]:
        """Handle one request: a REGISTER gets the Response to send; None for a REGISTER of a
        foreign domain with ``drop_foreign=True``. Any other request returns None; if its
        Request-URI is a registered address-of-record, its URI is first set to the best contact
        (Net::SIP's location service). ``addr`` (the sender) is accepted for symmetry with a
        transport and not used."""
        if request.method != "REGISTER":
            self._locate(request)
            return None
        try:
            return self._register(request)
        except _Reject as rej:
            if rej.code == 0:
                return None
            to = request.get_header("To")
            try:
                tagged = to is None or "tag" in _speedups.parser.parse_name_addr(to).params
            except SIPParseError:
                tagged = True  # a To that does not parse goes back as it came
            return _reply(request, rej.code, rej.reason, to, tagged, rej.headers)

    def _register(self, request: Request) -> Response:
        core = _speedups.parser
        # RFC 3261 §8.1.1: To, Call-ID and CSeq are mandatory; §21.4.1: the 400's reason phrase
        # names the problem.
        to = request.get_header("To")
        if to is None:
            raise _Reject(400, "Missing To Header Field")
        try:
            to_na = core.parse_name_addr(to)
        except SIPParseError:
            raise _Reject(400, "Malformed To Header Field") from None
        to_uri = to_na.uri
        call_id = request.call_id
        if not call_id:
            raise _Reject(400, "Missing Call-ID Header Field")
        if _not_utf8(call_id):
            raise _Reject(400, "Malformed Call-ID Header Field")
        cseq_text = request.cseq
        if cseq_text is None:
            raise _Reject(400, "Missing CSeq Header Field")
        try:
            cseq = core.parse_cseq(cseq_text)
        except SIPParseError:
            raise _Reject(400, "Malformed CSeq Header Field") from None
        if cseq.method != "REGISTER":
            raise _Reject(400, "CSeq Method Does Not Match")

        # §10.3 steps 1 and 5: only our domains (checked before authentication: no challenge is
        # spent on a request we will not serve). The host compares exactly, as a whole.
        domains = self.domains
        if domains is not None:
            host = to_uri.host
            if host is None or host.lower() not in domains:
                raise _Reject(0 if self.drop_foreign else 404)
        aor = to_uri.aor
        if _not_utf8(aor):
            raise _Reject(400, "Malformed To Header Field")

        # §10.3 step 2 / §8.2.2.3: Require = "Require" HCOLON option-tag *(COMMA option-tag).
        # This registrar implements no extension a client could require: 420 naming them all.
        required = request.get_headers("Require")
        if required:
            raise _Reject(420, None, [("Unsupported", ", ".join(required))])

        # §10.3 steps 3 and 4. A request without valid credentials gets a new challenge, whatever
        # was wrong with them (RFC 3261 §22.2 / RFC 7235 §3.1: a 401 to a request with credentials
        # says they were refused, and the client does not re-send refused ones); stale=true when
        # only the nonce was too old, so the client retries without asking its user. 403 is kept for
        # an authenticated user asking for an address-of-record that is not its own (§21.4.4:
        # authorization will not help).
        auth = self.authenticator
        if auth is not None:
            result = auth.verify(request)
            if not result.ok:
                return auth.challenge(request, stale=bool(result.stale))
            user = result.user
            if user is None or (user != to_uri.user and not (self.authorize is not None and self.authorize(user, aor))):
                raise _Reject(403)

        wildcard, changes = self._changes(request)
        now = self.clock()
        store = self.store
        if now >= self._next_expire and not store.expires_by_itself:
            # housekeeping, as Net::SIP does on receive: at most once a minute, drop what expired
            self._next_expire = now + _EXPIRE_EVERY
            store.expire(now)
        try:
            bindings = store.apply(aor, call_id, cseq.number, changes, now, wildcard)
        except OutOfOrder:
            # §10.3 step 7: "the update MUST be aborted and the request fails" (nothing changed)
            raise _Reject(500, "Out Of Order CSeq") from None

        # §10.3 step 8: every current binding with its expires; and a Date header
        extra = []
        if bindings:
            if len(bindings) > 1:
                bindings.sort(key=_rank)
            extra = [("Contact", self._contact_value(b, now)) for b in bindings]
        extra.append(("Date", self._date_header(now)))
        return _reply(request, 200, None, to, "tag" in to_na.params, extra)

    def _changes(self, request: Request) -> tuple[bool, list[Change]]:
        # Contact = ("Contact" / "m") HCOLON ( STAR / (contact-param *(COMMA contact-param)) )
        # contact-param = (name-addr / addr-spec) *(SEMI contact-params)
        # contact-params = c-p-q / c-p-expires / contact-extension
        # c-p-q = "q" EQUAL qvalue;  c-p-expires = "expires" EQUAL delta-seconds
        # Expires = "Expires" HCOLON delta-seconds
        parse_name_addr = _speedups.parser.parse_name_addr
        try:
            values = request.get_headers("Contact")
        except SIPParseError:
            raise _Reject(400, "Malformed Contact Header Field") from None
        if not values:
            return False, []
        header = request.get_header("Expires")
        if "*" in values:
            # §10.3 step 6: "*" only alone and with Expires: 0
            if len(values) != 1:
                raise _Reject(400, "Contact * With Other Contacts")
            zero = "" if header is None else header.strip()
            if not zero or zero.strip("0"):
                raise _Reject(400, "Contact * Needs Expires: 0")
            return True, []
        if header is None:
            fallback = self.default_expires
        else:
            fallback = min(_delta_seconds(header), self.max_expires)
        max_expires = self.max_expires
        min_expires = self.min_expires
        changes: dict[str, Change] = {}
        for value in values:
            try:
                na = parse_name_addr(value)
            except SIPParseError:
                raise _Reject(400, "Malformed Contact Header Field") from None
            params = na.params
            if params:
                if "expires" in params:
                    expires = min(_delta_seconds(params["expires"]), max_expires)
                else:
                    expires = fallback
                q = params.get("q")
                if q is not None and not _QVALUE.match(q):
                    raise _Reject(400, "Malformed q Value In Contact")
            else:
                expires = fallback
                q = None
            if 0 < expires < min_expires:
                # §10.3 step 7: 423 with the shortest interval we accept; nothing is changed
                raise _Reject(423, None, [("Min-Expires", str(min_expires))])
            uri = na.uri
            if _not_utf8(uri.text):
                raise _Reject(400, "Malformed Contact Header Field")
            key = _contact_key(uri)
            # the same contact twice in one REGISTER: the last one counts
            changes[key] = Change(key, uri.text, q, expires)
        return False, list(changes.values())

    def _contact_value(self, b: Binding, now: float) -> str:
        remaining = b.expires_at - now
        # whole seconds, rounded up (but a float's last bit must not turn 300 into 301)
        seconds = max(1, int(remaining - 1e-6) + 1)
        if b.q is None:
            return f"<{b.contact}>;expires={seconds}"
        return f"<{b.contact}>;expires={seconds};q={b.q}"

    def _date_header(self, now: float) -> str:
        # Date = "Date" HCOLON SIP-date;  SIP-date = rfc1123-date (always GMT)
        second = int(now)
        if second != self._date_second:
            self._date = formatdate(second, usegmt=True)
            self._date_second = second
        return self._date

    def _locate(self, request: Request) -> None:
        try:
            uri = _speedups.parser.parse_uri(request.uri)
        except SIPParseError:
            return
        if _not_utf8(uri.aor):
            return
        contacts = self._ranked(uri.aor)
        if contacts:
            request.set_uri(contacts[0])

    # --- the location service -----------------------------------------------------------------

    def _ranked(self, aor: str) -> list[str]:
        bindings = self.store.lookup(aor, self.clock())
        bindings.sort(key=_rank)
        return [b.contact for b in bindings]

    def query(self, aor: str) -> list[str]:
        """The contact URIs bound to an address-of-record (any SIP URI of it: port and parameters
        are ignored), highest q first, then the most recently registered."""
        key = _speedups.parser.parse_uri(aor).aor
        return [] if _not_utf8(key) else self._ranked(key)

    def bindings(self, aor: str) -> list[Binding]:
        """The live bindings of an address-of-record, in ``query`` order."""
        key = _speedups.parser.parse_uri(aor).aor
        if _not_utf8(key):
            return []
        found = self.store.lookup(key, self.clock())
        found.sort(key=_rank)
        return found

    def expire(self) -> int:
        """Drop the bindings that have expired by now (``clock()``); returns how many."""
        return self.store.expire(self.clock())

    def close(self) -> None:
        """Close the store."""
        self.store.close()

