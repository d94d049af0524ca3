"""HTTP Digest authentication for SIP (RFC 3261 §22, RFC 7616, RFC 8760) above the digest core.

Client side: :func:`authorize` answers the challenges of a 401 / 407 in the request that caused it
(what ``Request.authorize`` calls). Server side: :class:`Authenticator` issues challenges whose
nonces carry their own issue time and an HMAC, and verifies credentials into an :class:`AuthResult`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from binascii import a2b_base64
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional, Union

from . import _speedups
from .errors import DigestError, SIPParseError

if TYPE_CHECKING:
    from .message import Request, Response

__all__ = ("AuthResult", "Authenticator", "authorize")

UserPassword = tuple[str, str]
ClientAuth = Union[Sequence[str], Mapping[str, Sequence[str]], Callable[[str], Optional[Sequence[str]]]]
# A credentials entry: the password, or the stored HA1 per algorithm ({"MD5": hex, "SHA-256": hex}).
Secret = Union[str, Mapping[str, str]]
Credentials = Union[Mapping[str, Secret], Callable[[str], Optional[Secret]]]

# (challenge header in the response, credentials header the answer goes in)
_PAIRS = (("WWW-Authenticate", "Authorization"), ("Proxy-Authenticate", "Proxy-Authorization"))


def _quote(value: str) -> str:
    # quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
    # quoted-pair   = "\" (%x00-09 / %x0B-0C / %x0E-7F)
    if '"' in value or "\\" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


# ---------------------------------------------------------------------------------------------
# client


# nc per nonce across calls: a thread-safe LRU of the last ``size`` nonces answered.
class _NonceCounts:
    def __init__(self, size: int) -> None:
        self._size = size
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def next(self, nonce: str) -> int:
        with self._lock:
            counts = self._counts
            nc = counts.pop(nonce, 0) + 1
            counts[nonce] = nc
            if len(counts) > self._size:
                counts.popitem(last=False)
            return nc


_NONCE_COUNTS = _NonceCounts(4096)


# (user, password) for a realm from the three forms ``auth`` may take, or None.
def _lookup(auth: Any, realm: str) -> Optional[UserPassword]:
    found: Optional[Sequence[Any]]
    if isinstance(auth, (tuple, list)):
        found = auth
    elif isinstance(auth, Mapping):
        found = auth.get(realm)
    elif callable(auth):
        found = auth(realm)
    else:
        raise TypeError("auth must be (user, password), {realm: (user, password)} or a callable")
    if found is None:
        return None
    user, password = found
    return str(user), str(password)


# realm -> nonce of the credentials a request already carries (unparsable ones ignored).
def _answered(values: list[str]) -> dict[str, str]:
    parse_auth = _speedups.parser.parse_auth
    out: dict[str, str] = {}
    for value in values:
        try:
            params = parse_auth(value).params
        except SIPParseError:
            continue
        realm = params.get("realm")
        if realm is not None and realm not in out:
            out[realm] = params.get("nonce", "")
    return out


# (usable, qop to answer with) for a challenge's qop-options.
def _pick_qop(offered: Optional[str]) -> tuple[bool, Optional[str]]:
    # qop-options = "qop" EQUAL DQUOTE qop-value *("," qop-value) DQUOTE
    # qop-value   = "auth" / "auth-int" / token
    if offered is None:
        return True, None  # RFC 2069 form
    if offered == "auth":
        return True, "auth"
    values = {v.strip().lower() for v in offered.split(",")}
    # auth-int only when the server offers nothing else: auth answers the same challenge more cheaply
    # and does not tie the answer to the body.
    if "auth" in values:
        return True, "auth"
    if "auth-int" in values:
        return True, "auth-int"
    return False, None


def _answer(
    request: Request, params: dict[str, str], user: str, password: str, algorithm: str, qop: Optional[str]
) -> str:
    realm = params["realm"]
    nonce = params["nonce"]
    uri = request.uri
    sess = algorithm.endswith("-sess")
    nc = _NONCE_COUNTS.next(nonce) if qop is not None else None
    cnonce = secrets.token_hex(8) if qop is not None or sess else None
    response = _speedups.digest.digest_response(
        algorithm,
        username=user,
        realm=realm,
        password=password,
        method=request.method,
        uri=uri,
        nonce=nonce,
        qop=qop,
        nc=nc,
        cnonce=cnonce,
        body=request.body if qop == "auth-int" else b"",
    )
    # RFC 7616 §3.4:
    #   credentials      = "Digest" digest-response
    #   digest-response  = username / realm / nonce / digest-uri / response / [ algorithm ] /
    #                      [ cnonce ] / [ opaque ] / [ message-qop ] / [ nonce-count ] / [ auth-param ]
    # username, realm, nonce, uri, response, cnonce and opaque are quoted-strings; algorithm,
    # qop and nc are tokens.
    parts = [
        f"Digest username={_quote(user)}",
        f"realm={_quote(realm)}",
        f"nonce={_quote(nonce)}",
        f"uri={_quote(uri)}",
        f'response="{response}"',
    ]
    if "algorithm" in params:
        parts.append(f"algorithm={algorithm}")
    if cnonce is not None:
        parts.append(f'cnonce="{cnonce}"')
    if "opaque" in params:
        parts.append(f"opaque={_quote(params['opaque'])}")
    if qop is not None:
        parts.append(f"qop={qop}")
        parts.append(f"nc={nc:08x}")
    return ", ".join(parts)


def authorize(request: Request, response: Response, auth: ClientAuth) -> bool:
    """Answer the Digest challenges of a 401 / 407 ``response`` in ``request``.

    ``auth`` is ``(user, password)``, ``{realm: (user, password)}`` or a callable
    ``realm -> (user, password) | None``. WWW-Authenticate is answered in Authorization,
    Proxy-Authenticate in Proxy-Authorization, one answer per realm:

    - among several challenges of one realm the topmost usable one is answered (RFC 8760 §2.4:
      the server lists them most preferred first); non-Digest schemes, unknown algorithms
      (AKAv1-MD5, ...) and qop-options without ``auth`` or ``auth-int`` are passed over;
    - qop ``auth`` is preferred to ``auth-int`` (which hashes the body); no qop gives the
      RFC 2069 form; ``nc`` counts per nonce across calls, ``cnonce`` comes from ``secrets``;
      ``opaque`` is echoed, and ``algorithm`` when the challenge named it;
    - a realm the request already answers is skipped (as Net::SIP does: a second 401 for it means
      the credentials were refused), unless the challenge says ``stale=true`` with a new nonce:
      then the old answer is replaced (RFC 7616 §3.3: retry with the new nonce, same credentials);
    - the CSeq number is raised to the response's plus one when it is not above it already (the
      method is kept). The Via branch is left as is: a new transaction's branch is for the layer
      that sends the request.

    Returns False, the request left untouched, when nothing could be answered.
    """
    parse_auth = _speedups.parser.parse_auth
    canonical = _speedups.digest.canonical_algorithm
    answers: list[tuple[str, str]] = []  # (header, value) to add
    replace: list[tuple[str, str]] = []  # (header, realm) whose old answer goes
    for challenge_name, answer_name in _PAIRS:
        challenges = response.get_headers(challenge_name)
        if not challenges:
            continue
        answered = _answered(request.get_headers(answer_name))
        done: set[str] = set()
        for value in challenges:
            try:
                scheme, params, _ = parse_auth(value)
            except SIPParseError:
                continue
            realm = params.get("realm")
            nonce = params.get("nonce")
            if scheme.lower() != "digest" or realm is None or nonce is None or realm in done:
                continue
            old_nonce = answered.get(realm)
            stale = params.get("stale", "").lower() == "true"
            if old_nonce is not None and not (stale and old_nonce != nonce):
                continue
            try:
                algorithm = canonical(params.get("algorithm"))
            except DigestError:
                continue
            usable, qop = _pick_qop(params.get("qop"))
            if not usable:
                continue
            done.add(realm)  # the topmost usable challenge of a realm is the one answered
            found = _lookup(auth, realm)
            if found is None:
                continue
            answers.append((answer_name, _answer(request, params, found[0], found[1], algorithm, qop)))
            if old_nonce is not None:
                replace.append((answer_name, realm))
    if not answers:
        return False

    cseq = _next_cseq(request, response)  # read before the first change, while the request is as parsed
    for name, realm in replace:
        kept = [v for v in request.get_headers(name) if _answered([v]).get(realm) is None]
        request.set_header(name, kept or None)
    for name, value in answers:
        request.add_header(name, value)
    if cseq is not None:
        request.set_header("CSeq", cseq)
    return True


# The request's new CSeq value, or None to keep it.
def _next_cseq(request: Request, response: Response) -> Optional[str]:
    # RFC 3261 §8.1.3.5: the retried request is a new request, with a higher CSeq number.
    # CSeq = "CSeq" HCOLON 1*DIGIT LWS Method
    parse_cseq = _speedups.parser.parse_cseq
    floor: Optional[int] = None
    value = response.cseq
    if value is not None:
        try:
            floor = parse_cseq(value).number
        except SIPParseError:
            pass
    value = request.cseq
    if value is None:
        return f"{1 if floor is None else floor + 1} {request.method}"
    number, method = parse_cseq(value)
    if floor is None:
        return f"{number + 1} {method}"
    return f"{floor + 1} {method}" if number <= floor else None


# ---------------------------------------------------------------------------------------------
# server


class AuthResult(NamedTuple):
    """What :meth:`Authenticator.verify` found.

    ``ok``: the credentials are good; ``user``: the username they claim (None when there was no
    usable credentials header); ``stale``: answer with a new challenge carrying ``stale=true``
    (the credentials were right but the nonce too old); ``reason``: a short stable code, one of
    ``ok``, ``missing-credentials``, ``malformed-credentials``, ``not-digest``, ``wrong-realm``,
    ``missing-fields``, ``unsupported-algorithm``, ``uri-mismatch``, ``qop-not-offered``,
    ``forged-nonce``, ``unknown-user``, ``wrong-response``, ``expired-nonce``, ``replayed-nc``.
    """

    ok: bool
    user: Optional[str]
    stale: bool
    reason: str


_MISSING = AuthResult(False, None, False, "missing-credentials")
_MALFORMED = AuthResult(False, None, False, "malformed-credentials")
_NOT_DIGEST = AuthResult(False, None, False, "not-digest")
_WRONG_REALM = AuthResult(False, None, False, "wrong-realm")
_MISSING_FIELDS = AuthResult(False, None, False, "missing-fields")
_new_result = tuple.__new__

# A nonce: issue time (uint32 seconds, big-endian), 8 random bytes, the first 12 bytes of
# HMAC-SHA256(key, time + random); base64url, 32 characters, no padding.
_NONCE_RAW = 24
_NONCE_TEXT = 32
_MAC_SIZE = 12
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


# Highest nc verified per nonce: bounded in count (oldest first seen goes first) and in age.
# A nonce pushed out by the count bound could be replayed once it is forgotten; the issue time of
# the newest such nonce is kept, and a nonce not remembered but issued no later than that is
# refused as stale (the client takes a fresh nonce and carries on).
class _SeenNonces:
    def __init__(self, size: int, ttl: float) -> None:
        self.size = size
        self._ttl = ttl
        # raw nonce -> issue time << 32 | highest nc: one int, not a container the GC must walk
        self._seen: OrderedDict[bytes, int] = OrderedDict()
        self._first_issued = 0  # issue time of the first entry (entries only join at the end)
        self._forgotten = -1  # issue time of the newest nonce evicted by the count bound
        self._lock = threading.Lock()

    def admit(self, raw: bytes, issued: int, nc: int, now: float) -> Optional[str]:
        # Record nc for a nonce; the reason it is refused, or None.
        with self._lock:
            seen = self._seen
            entry = seen.get(raw)
            if entry is None:
                if issued <= self._forgotten:
                    return "expired-nonce"
                if not seen:
                    self._first_issued = issued
                seen[raw] = issued << 32 | nc
                if len(seen) > self.size or self._first_issued < now - self._ttl:
                    self._trim(now)
                return None
            if nc <= entry & 0xFFFFFFFF:
                return "replayed-nc"
            seen[raw] = entry >> 32 << 32 | nc
            return None

    def _trim(self, now: float) -> None:
        seen = self._seen
        # nonces past their lifetime are refused for age anyway: forgetting them is free
        limit = now - self._ttl
        while seen and next(iter(seen.values())) >> 32 < limit:
            seen.popitem(last=False)
        while len(seen) > self.size:
            issued = seen.popitem(last=False)[1] >> 32
            if issued > self._forgotten:
                self._forgotten = issued
        if seen:
            self._first_issued = next(iter(seen.values())) >> 32

    def __len__(self) -> int:
        return len(self._seen)


class Authenticator:
    """The server side of Digest: challenges (401 / 407) and verification of credentials.

    ``credentials`` maps a username to its password, or to its stored HA1 per algorithm
    (``{"MD5": hex, "SHA-256": hex}``: H(username:realm:password) with that algorithm's hash;
    a ``-sess`` algorithm uses the HA1 of its base algorithm); or it is a callable
    ``user -> password | {algorithm: ha1} | None``.

    ``algorithms`` are offered in that order, most preferred first (RFC 8760 §2.3). ``qop`` is
    ``"auth"``, ``"auth-int"``, both (``"auth,auth-int"`` or a sequence), or None for the RFC 2069
    form (which cannot detect a replay within the nonce lifetime). Nonces carry their issue time
    and an HMAC under ``secret`` (bytes or str; random per instance when None): instances sharing a secret
    accept each other's nonces without sharing state. A nonce older than ``nonce_ttl`` seconds
    (by ``clock``) is refused with ``stale``. ``max_nonces`` bounds the memory that refuses a
    replayed ``nc``. ``proxy=True`` speaks Proxy-Authenticate / Proxy-Authorization and 407.
    """

    def __init__(
        self,
        realm: str,
        credentials: Credentials,
        algorithms: Sequence[str] = ("SHA-256", "MD5"),
        qop: Union[str, Sequence[str], None] = "auth",
        nonce_ttl: float = 300,
        proxy: bool = False,
        secret: Union[bytes, str, None] = None,
        clock: Callable[[], float] = time.time,
        max_nonces: int = 100_000,
    ) -> None:
        if isinstance(algorithms, str):
            algorithms = (algorithms,)
        canonical = _speedups.digest.canonical_algorithm
        self.realm = realm
        self.algorithms: tuple[str, ...] = tuple(dict.fromkeys(canonical(a) for a in algorithms))
        if not self.algorithms:
            raise ValueError("no digest algorithm to offer")
        # the algorithm parameter as sent (lowercased; None: absent, which means MD5) -> canonical
        self._accepted: dict[Optional[str], str] = {a.lower(): a for a in self.algorithms}
        if "MD5" in self.algorithms:
            self._accepted[None] = self._accepted[""] = "MD5"
        if qop is None:
            offered: tuple[str, ...] = ()
        else:
            items = qop.split(",") if isinstance(qop, str) else qop
            offered = tuple(dict.fromkeys(q.strip().lower() for q in items))
            if not offered or any(q not in ("auth", "auth-int") for q in offered):
                raise ValueError(f"qop must be 'auth', 'auth-int', both or None, not {qop!r}")
        self.qop = offered
        self.nonce_ttl = nonce_ttl
        self.proxy = proxy
        self.clock = clock
        self._find_user = credentials.get if isinstance(credentials, Mapping) else credentials
        if secret is None:
            secret = secrets.token_bytes(32)
        elif isinstance(secret, str):
            secret = secret.encode("utf-8")
        # One key per realm, so a nonce of one realm is no nonce of another under the same secret.
        key = hmac.digest(secret, b"sipfast nonce\0" + realm.encode("utf-8"), "sha256")
        # RFC 2104: HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)); the two keyed states are
        # hashed once here and copied per nonce, which is half the cost of hmac.digest().
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self._opaque = self._mac(b"opaque").hex()
        self._seen = _SeenNonces(max_nonces, nonce_ttl)
        self._code, self._challenge_name, self._credentials_name = (
            (407, "Proxy-Authenticate", "Proxy-Authorization") if proxy else (401, "WWW-Authenticate", "Authorization")
        )
        self._qop_param = f', qop="{",".join(offered)}"' if offered else ""
        self._quoted_realm = _quote(realm)

    # --- nonces -------------------------------------------------------------------------------

    def _mac(self, data: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[:_MAC_SIZE]

    def new_nonce(self) -> str:
        """A fresh nonce: base64url of issue time, randomness and a truncated HMAC-SHA256."""
        stamp = (int(self.clock()) & 0xFFFFFFFF).to_bytes(4, "big") + secrets.token_bytes(8)
        return base64.urlsafe_b64encode(stamp + self._mac(stamp)).decode("ascii")

    # --- challenge ----------------------------------------------------------------------------

    def challenge(self, request: Request, stale: bool = False) -> Response:
        """The 401 (407 with ``proxy=True``) for ``request``: one challenge per algorithm, in
        the configured order, sharing one fresh nonce; ``stale=true`` when asked."""
        # RFC 7616 §3.3:
        #   challenge = "Digest" digest-challenge
        #   digest-challenge = 1#( realm | [ domain ] | nonce | [ opaque ] | [ stale ]
        #                          | [ algorithm ] | qop-options | [auth-param] )
        tail = f'{self._qop_param}, opaque="{self._opaque}"'
        if stale:
            tail += ", stale=true"
        head = f'Digest realm={self._quoted_realm}, nonce="{self.new_nonce()}", algorithm='
        values = [head + algorithm + tail for algorithm in self.algorithms]
        return request.create_response(self._code, headers={self._challenge_name: values})

    # --- verify -------------------------------------------------------------------------------

    def verify(self, request: Request) -> AuthResult:
        """Check the request's credentials (Authorization, or Proxy-Authorization with
        ``proxy=True``) for this realm; see :class:`AuthResult` for the reasons.

        The ``uri`` parameter must equal the Request-URI exactly as written: no normalisation
        (the digest covers the text, and a rewritten URI means another resource). The digest uses
        the request's own method, so an ACK or CANCEL carrying its INVITE's credentials does not
        verify (RFC 3261 §22.1: those requests are not to be challenged)."""
        # The registrar's hot path: one header read and parsed, the nonce opened and the digest
        # computed once, nothing else of the message touched (body only for auth-int).
        value = request.get_header(self._credentials_name)
        if value is None:
            return _MISSING
        parse_auth = _speedups.parser.parse_auth
        params: Optional[dict[str, str]]
        failure: Optional[AuthResult]
        try:
            scheme, params, _ = parse_auth(value)
        except SIPParseError:
            params, failure = None, _MALFORMED
        else:
            if params.get("realm") == self.realm and scheme.lower() == "digest":
                failure = None
            else:
                failure = self._misfit(scheme, params)
        if failure is not None:
            # more credentials headers, for other realms (proxies on the way) and maybe ours
            for value in request.get_headers(self._credentials_name)[1:]:
                try:
                    scheme, params, _ = parse_auth(value)
                except SIPParseError:
                    continue
                if self._misfit(scheme, params) is None:
                    break
            else:
                return failure
        assert params is not None

        # RFC 7616 §3.4: username, realm, nonce, uri and response are required; with a qop,
        # cnonce and nc as well.
        user = params.get("username")
        nonce = params.get("nonce")
        uri = params.get("uri")
        answer = params.get("response")
        if user is None or nonce is None or uri is None or answer is None:
            return AuthResult(False, user, False, "missing-fields")
        qop = params.get("qop")
        cnonce = params.get("cnonce")
        nc_text = params.get("nc")
        nc = 0
        if qop is not None:
            if cnonce is None or nc_text is None:
                return AuthResult(False, user, False, "missing-fields")
            # nc-value = 8LHEX
            if len(nc_text) != 8:
                return AuthResult(False, user, False, "malformed-credentials")
            try:
                nc = int(nc_text, 16)
            except ValueError:
                return AuthResult(False, user, False, "malformed-credentials")

        # algorithm = "algorithm" EQUAL ( "MD5" / "MD5-sess" / "SHA-256" / ... / token ); absent: MD5
        named = params.get("algorithm")
        algorithm = self._accepted.get(named if named is None else named.lower())
        if algorithm is None:
            return AuthResult(False, user, False, "unsupported-algorithm")
        if uri != request.uri:
            return AuthResult(False, user, False, "uri-mismatch")
        if (qop not in self.qop) if qop is not None else bool(self.qop):
            return AuthResult(False, user, False, "qop-not-offered")

        # The nonce: its HMAC first (inlined: this runs once per request).
        if len(nonce) != _NONCE_TEXT:
            return AuthResult(False, user, False, "forged-nonce")
        try:
            raw = a2b_base64(nonce.encode("ascii").translate(_FROM_URLSAFE))
        except ValueError:  # binascii.Error, or non-ASCII text
            return AuthResult(False, user, False, "forged-nonce")
        # a2b_base64 skips characters outside the alphabet: the length check catches them
        stamp = raw[:12]
        inner = self._inner.copy()
        inner.update(stamp)
        outer = self._outer.copy()
        outer.update(inner.digest())
        if len(raw) != _NONCE_RAW or not hmac.compare_digest(outer.digest()[:_MAC_SIZE], raw[12:]):
            return AuthResult(False, user, False, "forged-nonce")

        entry = self._find_user(user)
        if entry is None:
            return AuthResult(False, user, False, "unknown-user")
        if isinstance(entry, str):
            password: Optional[str] = entry
            ha1: Optional[str] = None
        else:
            password = None
            ha1 = entry.get(algorithm)
            if ha1 is None and algorithm.endswith("-sess"):
                ha1 = entry.get(algorithm[:-5])
            if ha1 is None:
                # no stored HA1 for this user and algorithm
                return AuthResult(False, user, False, "unsupported-algorithm")
        if cnonce is None and algorithm.endswith("-sess"):
            return AuthResult(False, user, False, "missing-fields")
        # a malformed stored HA1 raises DigestError: a configuration error, not a client's
        expected = _speedups.digest.digest_response(
            algorithm,
            username=user,
            realm=self.realm,
            password=password,
            ha1=ha1,
            method=request.method,
            uri=uri,
            nonce=nonce,
            qop=qop,
            nc=nc_text,
            cnonce=cnonce,
            body=request.body if qop == "auth-int" else b"",
        )
        if not (answer.isascii() and hmac.compare_digest(expected, answer.lower())):
            return AuthResult(False, user, False, "wrong-response")

        # RFC 7616 §3.3: stale=true only once the answer is known to be right otherwise.
        now = self.clock()
        issued = int.from_bytes(stamp[:4], "big")
        age = now - issued
        if age > self.nonce_ttl or age < -self.nonce_ttl:
            return AuthResult(False, user, True, "expired-nonce")
        if qop is not None:
            refused = self._seen.admit(raw, issued, nc, now)
            if refused is not None:
                return AuthResult(False, user, refused == "expired-nonce", refused)
        return _new_result(AuthResult, (True, user, False, "ok"))  # tuple.__new__: no Python frame

    def _misfit(self, scheme: str, params: dict[str, str]) -> Optional[AuthResult]:
        # Why these credentials are not Digest ones for this realm, or None.
        if scheme.lower() != "digest":
            return _NOT_DIGEST
        realm = params.get("realm")
        if realm == self.realm:
            return None
        return _MISSING_FIELDS if realm is None else _WRONG_REALM
