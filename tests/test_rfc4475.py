"""RFC 4475 torture messages through the parser core, on both twins.

Every fact of tests/data/rfc4475/MANIFEST.json that the core can answer is checked by one checker
per fact name; an unknown fact name fails, so a fact added to the manifest is never skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Optional, Union

import pytest

from sipfast.errors import SIPParseError

DIR = Path(__file__).parent / "data" / "rfc4475"
MANIFEST: list[dict[str, Any]] = json.loads((DIR / "MANIFEST.json").read_text(encoding="utf-8"))
BY_FILE = {entry["file"]: entry for entry in MANIFEST}
INVALID = [e for e in MANIFEST if e["class"] == "invalid-syntax"]
ACCEPTED = [e for e in MANIFEST if e["class"] != "invalid-syntax" and e["file"] != "mcl01.dat"]


def _data(entry: dict[str, Any]) -> bytes:
    return (DIR / str(entry["file"])).read_bytes()


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [e["file"].removesuffix(".dat") for e in entries]


# --------------------------------------------------------------------------------------------
# one checker per manifest fact: (parser, index, input bytes, expected value) -> None

Checker = Callable[[ModuleType, Any, bytes, Any], None]


def _elements(p: ModuleType, ix: Any, name: str) -> list[str]:
    """Every list element of every header called name, in order."""
    return [elem for value in ix.get_all(name) for elem in p.split_list(value)]


def _header_int(name: str) -> Checker:
    def check(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
        value = ix.get(name)
        assert value is not None, f"no {name} header"
        assert int(value) == want

    return check


def _header_text(name: str) -> Checker:
    def check(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
        assert ix.get(name) == want

    return check


def _present(name: str) -> Checker:
    def check(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
        assert (ix.index_of(name) >= 0) is want
        assert (ix.get(name) is not None) is want

    return check


def _count(name: str) -> Checker:
    def check(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
        assert len(_elements(p, ix, name)) == want

    return check


def _tokens(name: str) -> Checker:
    def check(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
        assert _elements(p, ix, name) == want

    return check


def _addr_uri(name: str) -> Checker:
    def check(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
        value = ix.get(name)
        assert value is not None, f"no {name} header"
        assert p.parse_name_addr(value).uri.text == want

    return check


def _attr(attr: str) -> Checker:
    def check(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
        assert getattr(ix, attr) == want

    return check


def _cseq_number(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert p.parse_cseq(ix.cseq).number == want


def _cseq_method(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert p.parse_cseq(ix.cseq).method == want


def _body_length(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert len(ix.body) == want


def _vias(p: ModuleType, ix: Any) -> list[Any]:
    return [p.parse_via(elem) for elem in _elements(p, ix, "Via")]


def _top_via_branch(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert ix.branch == want
    assert _vias(p, ix)[0].branch == want


def _via_transports(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert [v.transport for v in _vias(p, ix)] == want


def _via_sent_by(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert [v.sent_by for v in _vias(p, ix)] == want


def _bottom_via_received(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert _vias(p, ix)[-1].params.get("received") == want


def _contact_uri(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    elems = _elements(p, ix, "Contact")
    assert p.parse_name_addr(elems[0]).uri.text == want


def _contact_uris(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert [p.parse_name_addr(e).uri.text for e in _elements(p, ix, "Contact")] == want


def _contact_params(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    elems = _elements(p, ix, "Contact")
    assert p.parse_name_addr(elems[0]).params == want


def _headers(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    for name, value in want.items():
        assert ix.get(name) == value, name


def _header_counts(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    for name, count in want.items():
        assert len(ix.get_all(name)) == count, name


def _call_ids(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert ix.get_all("Call-ID") == want


def _trailing_octets(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    # the datagram's junk after the framed message is not part of the message, nor of its body
    assert len(data) - len(ix.data) == want
    assert data.startswith(ix.data)
    assert ix.body == b""


def _body_nul_octets(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert ix.body.count(b"\x00") == want


def _missing_headers(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    for name in want:
        assert ix.get(name) is None, name
        assert ix.index_of(name) == -1, name
        assert ix.get_all(name) == [], name


def _authorization(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    value = ix.get("Authorization")
    assert value == want
    assert p.parse_auth(value).scheme == want.split()[0]


def _size(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert len(data) == want


def _reject(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    assert want is False  # a message that parsed must not be one the manifest wants rejected


def _not_for_the_core(p: ModuleType, ix: Any, data: bytes, want: Any) -> None:
    # what an application answers; the rejections' status codes are checked in test_invalid_*
    pass


CHECKERS: dict[str, Checker] = {
    "reject": _reject,
    "size": _size,
    "rfc_response": _not_for_the_core,
    "method": _attr("method"),
    "request_uri": _attr("uri"),
    "sip_version": _attr("version"),
    "status_code": _attr("status_code"),
    "reason": _attr("reason"),
    "call_id": _attr("call_id"),
    "from_tag": _attr("from_tag"),
    "to_tag": _attr("to_tag"),
    "cseq_number": _cseq_number,
    "cseq_method": _cseq_method,
    "max_forwards": _header_int("Max-Forwards"),
    "content_length": _header_int("Content-Length"),
    "body_length": _body_length,
    "via_count": _count("Via"),
    "top_via_branch": _top_via_branch,
    "contact_count": _count("Contact"),
    "contact_uri": _contact_uri,
    "contact_uris": _contact_uris,
    "contact_params": _contact_params,
    "to_uri": _addr_uri("To"),
    "from_uri": _addr_uri("From"),
    "via_transports": _via_transports,
    "via_sent_by": _via_sent_by,
    "bottom_via_received": _bottom_via_received,
    "headers": _headers,
    "subject": _header_text("Subject"),
    "content_type": _header_text("Content-Type"),
    "accept": _header_text("Accept"),
    "route_count": _count("Route"),
    "accept_count": _count("Accept"),
    "require": _tokens("Require"),
    "proxy_require": _tokens("Proxy-Require"),
    "header_counts": _header_counts,
    "call_ids": _call_ids,
    "trailing_octets": _trailing_octets,
    "body_nul_octets": _body_nul_octets,
    "missing_headers": _missing_headers,
    "authorization": _authorization,
    "has_content_length": _present("Content-Length"),
    "has_max_forwards": _present("Max-Forwards"),
}

# facts of rejected messages, checked by the rejection tests below rather than on an index
REJECTION_FACTS = frozenset(
    {"reject", "size", "why", "level", "rfc_response", "lenient_may_accept", "content_length_values"}
)


def test_every_manifest_fact_has_a_checker() -> None:
    for entry in MANIFEST:
        facts = set(entry["expect"])
        known = REJECTION_FACTS if entry["expect"]["reject"] else set(CHECKERS)
        unknown = facts - known
        assert not unknown, f"{entry['file']}: no checker for {sorted(unknown)}"


def test_manifest_covers_the_archive() -> None:
    assert len(MANIFEST) == 49
    assert sorted(p.name for p in DIR.glob("*.dat")) == sorted(BY_FILE)
    assert len(INVALID) == 19
    for entry in MANIFEST:
        assert len(_data(entry)) == entry["expect"]["size"], entry["file"]


# --------------------------------------------------------------------------------------------
# messages a parser must accept


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("entry", ACCEPTED, ids=_ids(ACCEPTED))
def test_accepted_message_facts(parser: ModuleType, entry: dict[str, Any], strict: bool) -> None:
    data = _data(entry)
    ix = parser.parse_message(data, strict=strict)
    assert ix.is_request is ("method" in entry["expect"])
    for fact, want in entry["expect"].items():
        CHECKERS[fact](parser, ix, data, want)


@pytest.mark.parametrize("entry", ACCEPTED, ids=_ids(ACCEPTED))
def test_accepted_message_index_is_consistent(parser: ModuleType, entry: dict[str, Any]) -> None:
    data = _data(entry)
    ix = parser.parse_message(data)
    items = ix.items()
    assert len(items) == len(ix)
    for i, (name, value) in enumerate(items):
        assert ix.name(i) == name
        assert ix.value(i) == value
        assert parser.canonical_name(name) == name
        assert ix.index_of(name) <= i
        # offset(i) is where header i's line starts: right after a line end, at its name
        off = ix.offset(i)
        assert data[off - 1 : off] == b"\n"
        raw_name = data[off:].split(b":", 1)[0].decode("utf-8", "surrogateescape")
        assert parser.canonical_name(raw_name) == name
    assert data.startswith(ix.data)
    assert ix.data.endswith(ix.body)


def test_wsinv_folding_and_odd_spacing(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["wsinv.dat"]))
    assert ix.get("To") == "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n"
    assert ix.get("CSeq") == "0009 INVITE"
    via = parser.parse_via(parser.split_list(ix.get("Via"))[0])
    assert (via.protocol, via.transport, via.host, via.port) == ("SIP/2.0", "UDP", "192.0.2.2", None)
    frm = parser.parse_name_addr(ix.get("f"))
    assert frm.display_name == 'J Rosenberg \\"'
    assert frm.uri.text == "sip:jdrosen@example.com"


def test_esc01_escapes_are_resolved_once(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["esc01.dat"]))
    contact = parser.parse_name_addr(ix.get("Contact"))
    assert contact.uri.user == "caller"
    assert contact.uri.params == {"lr": None, "name": "value%41"}
    assert parser.parse_name_addr(ix.get("To")).uri.user == "user"
    ruri = parser.parse_uri(ix.uri)
    assert (ruri.user, ruri.host) == ("sips:user@example.com", "example.net")


def test_escnull_keeps_nul_octets_in_the_user(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["escnull.dat"]))
    users = [parser.parse_name_addr(e).uri.user for e in _elements(parser, ix, "Contact")]
    assert users == ["\x00", "\x00\x00"]


def test_semiuri_semicolon_belongs_to_the_user(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["semiuri.dat"]))
    uri = parser.parse_uri(ix.uri)
    assert (uri.user, uri.host, uri.params) == ("user;par=u@example.net", "example.com", {})


def test_cparam_addr_spec_params_are_header_params(parser: ModuleType) -> None:
    one = parser.parse_name_addr(parser.parse_message(_data(BY_FILE["cparam01.dat"])).get("Contact"))
    two = parser.parse_name_addr(parser.parse_message(_data(BY_FILE["cparam02.dat"])).get("Contact"))
    assert (one.uri.params, one.params) == ({}, {"unknownparam": None})
    assert (two.uri.params, two.params) == ({"unknownparam": None}, {})


def test_regescrt_keeps_the_escaped_header(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["regescrt.dat"]))
    uri = parser.parse_name_addr(ix.get("Contact")).uri
    assert uri.headers == {"Route": "<sip:sip.example.com>"}


def test_intmeth_quoted_pairs_with_control_characters(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["intmeth.dat"]), strict=True)
    to = parser.parse_name_addr(ix.get("To"))
    assert to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    frm = parser.parse_name_addr(ix.get("From"))
    assert frm.display_name == "token1~` token2'+_ token3*%!.-"
    assert frm.params["fromparam''~+*_!.-%"] == '"работающий"'


def test_mpart01_body_is_framed_by_content_length(parser: ModuleType) -> None:
    data = _data(BY_FILE["mpart01.dat"])
    ix = parser.parse_message(data)
    assert ix.body == data[len(data) - 553 :]
    assert b"\r\n\r\n" in ix.body  # the body's own empty lines do not confuse the framing


# --------------------------------------------------------------------------------------------
# syntactically invalid messages: strict mode rejects every one, with a stable reason

# file -> (reason, where the offset points, status). "where": an int offset, "end" (the input's
# length), "body" (the first octet after the header section), or a header line's leading bytes.
Where = Union[int, str, bytes]
STRICT_REJECTIONS: dict[str, tuple[str, Where, int]] = {
    # Via "...;;,;,,": split into list elements first, and ",," is an empty element
    "badinv01.dat": ("bad-list", b"Via:", 400),
    # RFC 3261 §18.3: a datagram shorter than its Content-Length is an error
    "clerr.dat": ("bad-content-length", "body", 400),
    # Content-Length = 1*DIGIT; "-999" is not one
    "ncl.dat": ("bad-content-length", b"Content-Length:", 400),
    # CSeq number must be below 2**31 (RFC 3261 §8.1.1.5); it is the first out-of-range header
    "scalar02.dat": ("bad-cseq", b"CSeq:", 400),
    # 9292394834772304023312 does not even fit 32 bits
    "scalarlg.dat": ("bad-cseq", b"CSeq:", 400),
    # To's display name opens a quoted-string that never closes
    "quotbal.dat": ("bad-quoted-string", b"To:", 400),
    # Request-URI = SIP-URI / SIPS-URI / absoluteURI: "<sip:...>" has no scheme
    "ltgtruri.dat": ("bad-request-uri", 0, 400),
    # Request-Line = Method SP Request-URI SP SIP-Version CRLF: exactly two single SPs
    "lwsruri.dat": ("bad-start-line", 0, 400),
    "lwsstart.dat": ("bad-start-line", 0, 400),
    "trws.dat": ("bad-start-line", 0, 400),
    # RFC 3261 §19.1.1: headers are not allowed in a Request-URI
    "escruri.dat": ("bad-request-uri", 0, 400),
    # rfc1123-date ... "GMT"
    "baddate.dat": ("bad-date", b"Date:", 400),
    # RFC 3261 §20: an addr-spec with ',' '?' or ';' must be enclosed in <>
    "regbadct.dat": ("bad-name-addr", b"Contact:", 400),
    # name-addr = [ display-name ] LAQUOT addr-spec RAQUOT: no LWS inside <>
    "badaspec.dat": ("bad-name-addr", b"To:", 400),
    # the file ends after "l: 0" CRLF: the header section is never closed (framing comes first;
    # test_baddn_display_names_alone checks the display-name fault the RFC is about)
    "baddn.dat": ("no-end-of-headers", "end", 400),
    # RFC 3261 §8.2.2 / §21.5.6: an unsupported version is answered with 505
    "badvers.dat": ("bad-version", 0, 505),
    # RFC 3261 §8.1.1.5: the CSeq method MUST match the request's method
    "mismatch01.dat": ("cseq-method-mismatch", b"CSeq:", 400),
    "mismatch02.dat": ("cseq-method-mismatch", b"CSeq:", 400),
    # Status-Code = 3DIGIT
    "bigcode.dat": ("bad-status-code", 0, 400),
}

# lenient_may_accept == false: what lenient mode does instead of accepting. None: parse_message
# raises the strict reason; otherwise the attribute of the index whose structural read raises it.
LENIENT_REFUSALS: dict[str, Optional[str]] = {
    "badinv01.dat": "branch",
    "clerr.dat": None,
    "ncl.dat": None,
    "scalar02.dat": None,
    "scalarlg.dat": None,
    "badvers.dat": None,
    "mismatch01.dat": None,
    "mismatch02.dat": None,
    "bigcode.dat": None,
}
# badinv01 read structurally: the top Via's ";;" is an empty parameter
LENIENT_STRUCTURAL_REASON = {"badinv01.dat": "bad-params"}


def test_rejection_tables_cover_the_invalid_class() -> None:
    assert sorted(STRICT_REJECTIONS) == sorted(e["file"] for e in INVALID)
    refused = sorted(e["file"] for e in INVALID if not e["expect"]["lenient_may_accept"])
    assert sorted(LENIENT_REFUSALS) == refused
    for entry in INVALID:
        rfc_status = entry["expect"]["rfc_response"]
        if isinstance(rfc_status, int):
            assert STRICT_REJECTIONS[entry["file"]][2] == rfc_status, entry["file"]


def _assert_offset(data: bytes, offset: int, where: Where) -> None:
    if isinstance(where, int):
        assert offset == where
    elif where == "end":
        assert offset == len(data)
    elif where == "body":
        assert offset == data.index(b"\r\n\r\n") + 4
    else:
        assert isinstance(where, bytes)
        assert data[offset - 2 : offset] == b"\r\n"
        assert data[offset:].startswith(where), data[offset : offset + 20]


@pytest.mark.parametrize("entry", INVALID, ids=_ids(INVALID))
def test_invalid_rejected_in_strict_mode(parser: ModuleType, entry: dict[str, Any]) -> None:
    data = _data(entry)
    reason, where, status = STRICT_REJECTIONS[entry["file"]]
    with pytest.raises(SIPParseError) as info:
        parser.parse_message(data, strict=True)
    exc = info.value
    assert exc.reason == reason
    assert exc.status == status
    assert isinstance(exc, ValueError)
    _assert_offset(data, exc.offset, where)


@pytest.mark.parametrize("entry", INVALID, ids=_ids(INVALID))
def test_invalid_in_lenient_mode(parser: ModuleType, entry: dict[str, Any]) -> None:
    data = _data(entry)
    name = entry["file"]
    reason, where, status = STRICT_REJECTIONS[name]
    if entry["expect"]["lenient_may_accept"]:
        # lenient mode accepts it; what it makes of the message is pinned in the tests below
        ix = parser.parse_message(data)
        assert ix.call_id is not None
        return
    attr = LENIENT_REFUSALS[name]
    if attr is None:
        with pytest.raises(SIPParseError) as info:
            parser.parse_message(data)
        assert info.value.reason == reason
        assert info.value.status == status
        _assert_offset(data, info.value.offset, where)
    else:
        ix = parser.parse_message(data)
        with pytest.raises(SIPParseError) as info:
            getattr(ix, attr)
        assert info.value.reason == LENIENT_STRUCTURAL_REASON[name]


def test_badinv01_lenient_reads(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["badinv01.dat"]))
    assert ix.from_tag == "134161461246"
    assert ix.get("Via") == "SIP/2.0/UDP 192.0.2.15;;,;,,"
    with pytest.raises(SIPParseError) as info:
        parser.parse_name_addr(ix.get("Contact"))
    assert info.value.reason == "bad-params"


def test_mcl01_rejected_in_both_modes(parser: ModuleType) -> None:
    entry = BY_FILE["mcl01.dat"]
    data = _data(entry)
    first, second = entry["expect"]["content_length_values"]
    assert first != second
    for strict in (False, True):
        with pytest.raises(SIPParseError) as info:
            parser.parse_message(data, strict=strict)
        assert info.value.reason == "bad-content-length"
        # the offset names the second, conflicting Content-Length line
        off = info.value.offset
        name, _, value = data[off:].split(b"\r\n", 1)[0].partition(b":")
        assert parser.canonical_name(name.decode()) == "Content-Length"
        assert int(value) == second
    # nor can a stream frame it
    with pytest.raises(SIPParseError) as info:
        parser.Framer().feed(data)
    assert info.value.reason == "bad-content-length"


def test_baddn_display_names_alone(parser: ModuleType) -> None:
    # closing the header section leaves the fault RFC 4475 §3.1.2.12 is about
    data = _data(BY_FILE["baddn.dat"]) + b"\r\n"
    with pytest.raises(SIPParseError) as info:
        parser.parse_message(data, strict=True)
    assert info.value.reason == "bad-name-addr"
    _assert_offset(data, info.value.offset, b"From:")
    ix = parser.parse_message(data)
    assert parser.parse_name_addr(ix.get("From")).display_name == "Bell, Alexander"
    assert ix.from_tag == "43"


def test_baddn_lenient_reads_to_the_end(parser: ModuleType) -> None:
    data = _data(BY_FILE["baddn.dat"])
    ix = parser.parse_message(data)
    assert ix.get("Content-Length") == "0"
    assert ix.body == b""
    assert len(ix) == 8


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        ("lwsstart.dat", "sip:user@example.com"),
        ("trws.dat", "sip:remote-target@example.com"),
        ("lwsruri.dat", "sip:user@example.com; lr"),
        ("ltgtruri.dat", "<sip:user@example.com>"),
        ("escruri.dat", "sip:user@example.com?Route=%3Csip:example.com%3E"),
    ],
)
def test_lenient_start_lines(parser: ModuleType, name: str, uri: str) -> None:
    # extra SP around the elements is ignored; the Request-URI is kept as written
    ix = parser.parse_message(_data(BY_FILE[name]))
    assert ix.is_request
    assert ix.uri == uri
    assert ix.version == "SIP/2.0"
    assert ix.method == parser.parse_cseq(ix.cseq).method


def test_quotbal_lenient_structural_read(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["quotbal.dat"]))
    with pytest.raises(SIPParseError) as info:
        ix.to_tag  # noqa: B018
    assert info.value.reason == "bad-quoted-string"
    assert ix.from_tag == "93334"


def test_regbadct_lenient_infers_brackets(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["regbadct.dat"]))
    contact = parser.parse_name_addr(ix.get("Contact"))
    assert contact.uri.headers == {"Route": "<sip:sip.example.com>"}
    with pytest.raises(SIPParseError) as info:
        parser.parse_name_addr(ix.get("Contact"), strict=True)
    assert info.value.reason == "bad-name-addr"


def test_badaspec_lenient_ignores_spaces_in_brackets(parser: ModuleType) -> None:
    ix = parser.parse_message(_data(BY_FILE["badaspec.dat"]))
    to = parser.parse_name_addr(ix.get("To"))
    assert (to.display_name, to.uri.text) == ("Watson, Thomas", "sip:t.watson@example.org")


def test_badvers_status_hint(parser: ModuleType) -> None:
    with pytest.raises(SIPParseError) as info:
        parser.parse_message(_data(BY_FILE["badvers.dat"]))
    assert (info.value.reason, info.value.status, info.value.offset) == ("bad-version", 505, 0)
