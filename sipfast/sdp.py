"""SDP bodies (RFC 8866 / RFC 4566) for SIP offer/answer (RFC 3264): parse, query, edit, build.

``SDP.parse(data)`` keeps every line in order, unknown ones included, so ``bytes(sdp)`` of an
unmodified parse is the input byte for byte; after an edit the body is written with CRLF line
ends. ``find_sdp(content_type, body)`` finds the SDP in a SIP message body, multipart included.
"""

# Strategy: each section (session, media) is an ordered list of "x=value" strings taken straight
# from one split of the body; structured fields (Origin, Connection, rtpmap, ...) are views
# parsed when read, and edits rewrite lines. Only o=, c=, m= and t= are checked while parsing.
# The m= line is kept as plain attributes of Media and written back only when they changed.

from __future__ import annotations

import binascii
import time
from collections.abc import Iterable, Mapping
from typing import ClassVar, NamedTuple, Union

from .errors import SDPParseError

__all__ = (
    "DIRECTIONS",
    "SDP",
    "STATIC_PAYLOAD_TYPES",
    "Connection",
    "Media",
    "Origin",
    "find_sdp",
    "split_multipart",
)

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_DIRECTION_LINES = frozenset("a=" + d for d in DIRECTIONS)

# RFC 3551 section 6, tables 4 and 5: payload types with a static meaning. Channels are None
# where the rtpmap line would leave them out (one channel), as RFC 8866 section 6.6 allows.
STATIC_PAYLOAD_TYPES: dict[str, tuple[str, int, int | None]] = {
    "0": ("PCMU", 8000, None),
    "3": ("GSM", 8000, None),
    "4": ("G723", 8000, None),
    "5": ("DVI4", 8000, None),
    "6": ("DVI4", 16000, None),
    "7": ("LPC", 8000, None),
    "8": ("PCMA", 8000, None),
    "9": ("G722", 8000, None),
    "10": ("L16", 44100, 2),
    "11": ("L16", 44100, None),
    "12": ("QCELP", 8000, None),
    "13": ("CN", 8000, None),
    "14": ("MPA", 90000, None),
    "15": ("G728", 8000, None),
    "16": ("DVI4", 11025, None),
    "17": ("DVI4", 22050, None),
    "18": ("G729", 8000, None),
    "25": ("CelB", 90000, None),
    "26": ("JPEG", 90000, None),
    "28": ("nv", 90000, None),
    "31": ("H261", 90000, None),
    "32": ("MPV", 90000, None),
    "33": ("MP2T", 90000, None),
    "34": ("H263", 90000, None),
}

Attribute = Union[str, tuple[str, Union[str, None]]]


class Origin(NamedTuple):
    """The ``o=`` line: who made the session, its id and its version (RFC 8866 section 5.2)."""

    username: str
    sess_id: str
    sess_version: int
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "127.0.0.1"

    def __str__(self) -> str:
        return f"{self.username} {self.sess_id} {self.sess_version} {self.nettype} {self.addrtype} {self.address}"


class Connection(NamedTuple):
    """A ``c=`` line (RFC 8866 section 5.7).

    ``ttl`` (IPv4) and ``numaddr`` (the number of addresses) are only given for multicast.
    """

    nettype: str
    addrtype: str
    address: str
    ttl: int | None = None
    numaddr: int | None = None

    @classmethod
    def for_address(cls, address: str) -> Connection:
        """``IN IP6`` for an address with a colon, ``IN IP4`` otherwise."""
        return cls("IN", "IP6" if ":" in address else "IP4", address)

    def __str__(self) -> str:
        text = f"{self.nettype} {self.addrtype} {self.address}"
        if self.ttl is not None:
            text += f"/{self.ttl}"
        if self.numaddr is not None:
            text += f"/{self.numaddr}"
        return text


def _digits(text: str) -> bool:
    # str.isdigit alone accepts non-ASCII digits, which int() would then read
    return text.isdigit() and text.isascii()


def _fields(value: str) -> list[str]:
    # The grammar separates fields with one SP; runs of SP / HT are read as one separator.
    # str.split() is not used: it also splits at Unicode spaces such as U+00A0, which are
    # legal inside a username (non-ws-string = 1*(VCHAR/%x80-FF)).
    parts = value.split(" ")
    if "\t" in value or "" in parts:
        parts = [p for p in value.replace("\t", " ").split(" ") if p]
    return parts


def _line(kind: str, value: object) -> str:
    text = f"{kind}={value}"
    if "\r" in text or "\n" in text:
        raise ValueError(f"an SDP value cannot hold a line break: {text!r}")
    return text


def _attr_line(attr: object) -> str:
    # an attribute given as "name:value" text or as a (name, value-or-None) pair
    if isinstance(attr, tuple) and len(attr) == 2:
        name, value = attr
        return _line("a", name if value is None else f"{name}:{value}")
    return _line("a", attr)


def _as_connection(conn: Connection | str) -> Connection:
    return Connection.for_address(conn) if isinstance(conn, str) else conn


# origin-field = %s"o" "=" username SP sess-id SP sess-version SP
#                nettype SP addrtype SP unicast-address CRLF
# sess-id = 1*DIGIT ; sess-version = 1*DIGIT
# sess-id is kept as an opaque string (only its identity matters); sess-version must be a
# number because RFC 3264 section 8 compares and increments it.
def _parse_origin(value: str, lineno: int) -> Origin:
    f = _fields(value)
    if len(f) != 6:
        raise SDPParseError(
            f"o= needs 6 fields (username sess-id sess-version nettype addrtype address), got {len(f)}",
            lineno,
        )
    if not _digits(f[2]):
        raise SDPParseError(f"o= sess-version is not a number: {f[2]!r}", lineno)
    return Origin(f[0], f[1], int(f[2]), f[3], f[4], f[5])


def _check_origin(value: str, lineno: int) -> None:
    # the parse-time half of _parse_origin: same checks, no Origin built
    f = _fields(value)
    if len(f) != 6 or not (f[2].isdigit() and f[2].isascii()):
        _parse_origin(value, lineno)


# connection-field = [%s"c" "=" nettype SP addrtype SP connection-address CRLF]
# connection-address = multicast-address / unicast-address / extn-addr
# IP4-multicast = m1 3( "." decimal-uchar ) "/" ttl [ "/" numaddr ]
# IP6-multicast = IP6-address [ "/" numaddr ]
def _parse_connection(value: str, lineno: int) -> Connection:
    f = _fields(value)
    if len(f) != 3:
        raise SDPParseError(f"c= is not 'nettype addrtype address': {value!r}", lineno)
    nettype, addrtype, address = f
    ttl = count = None
    if "/" in address and nettype == "IN":
        kind = addrtype.upper()
        if kind in ("IP4", "IP6"):
            base, *extra = address.split("/")
            if not base or len(extra) > (2 if kind == "IP4" else 1) or not all(_digits(e) for e in extra):
                raise SDPParseError(f"c= has a bad multicast address: {address!r}", lineno)
            if kind == "IP4":
                ttl = int(extra[0])
                if len(extra) == 2:
                    count = int(extra[1])
            else:
                count = int(extra[0])
            address = base
    return Connection(nettype, addrtype, address, ttl, count)


def _check_connection(value: str, lineno: int) -> None:
    f = _fields(value)
    if len(f) != 3 or "/" in f[2]:
        _parse_connection(value, lineno)


def _connection_address(value: str) -> str:
    f = _fields(value)
    if len(f) == 3 and "/" not in f[2]:
        return f[2]
    return _parse_connection(value, 0).address


# time-fields = 1*( %s"t" "=" start-time SP stop-time *(CRLF repeat-fields) CRLF)
# start-time = time / "0" ; stop-time = time / "0" ; time = POS-DIGIT 9*DIGIT
def _parse_timing(value: str, lineno: int) -> tuple[int, int]:
    f = _fields(value)
    if len(f) != 2 or not (_digits(f[0]) and _digits(f[1])):
        raise SDPParseError(f"t= is not 'start-time stop-time': {value!r}", lineno)
    return int(f[0]), int(f[1])


class _Section:
    """Lines shared by the session part and each media description."""

    __slots__ = ("_lines",)

    _lines: list[str]
    # RFC 8866 section 5 order, used to place a line that is added
    _RANK: ClassVar[dict[str, int]]
    # index of the first line an insertion may go before (after v= in the session part)
    _FIRST: ClassVar[int]

    def _first(self, kind: str) -> str | None:
        for line in self._lines:
            if line[0] == kind:
                return line[2:]
        return None

    def _all(self, kind: str) -> list[str]:
        return [line[2:] for line in self._lines if line[0] == kind]

    def _insert_at(self, kind: str) -> int:
        # after the last line of this kind; else before the first line that RFC 8866 puts
        # later (letters it does not define stay where they are and are stepped over)
        lines = self._lines
        for i in range(len(lines) - 1, self._FIRST - 1, -1):
            if lines[i][0] == kind:
                return i + 1
        rank = self._RANK
        mine = rank[kind]
        for i in range(self._FIRST, len(lines)):
            if rank.get(lines[i][0], -1) > mine:
                return i
        return len(lines)

    def _replace_kind(self, kind: str, new: list[str]) -> None:
        # all lines of one kind give way to `new`, placed where the first old one stood
        lines = self._lines
        where = [i for i, line in enumerate(lines) if line[0] == kind]
        for i in reversed(where):
            del lines[i]
        at = where[0] if where else self._insert_at(kind)
        lines[at:at] = new

    def _set_single(self, kind: str, value: object | None) -> None:
        self._replace_kind(kind, [] if value is None else [_line(kind, value)])

    @property
    def info(self) -> str | None:
        """The ``i=`` line's text, or None."""
        return self._first("i")

    @info.setter
    def info(self, value: str | None) -> None:
        self._set_single("i", value)

    @property
    def connection(self) -> Connection | None:
        """This section's own ``c=`` line (the first one), or None; set None to remove it."""
        value = self._first("c")
        return None if value is None else _parse_connection(value, 0)

    @connection.setter
    def connection(self, value: Connection | str | None) -> None:
        self._set_single("c", None if value is None else _as_connection(value))

    # bandwidth-fields = *(%s"b" "=" bwtype ":" bandwidth CRLF) ; bandwidth = 1*DIGIT
    @property
    def bandwidths(self) -> dict[str, int]:
        """``b=`` lines as {bwtype: value} (first line of a type wins; malformed ones skipped)."""
        out: dict[str, int] = {}
        for value in self._all("b"):
            bwtype, sep, amount = value.partition(":")
            amount = amount.strip()
            if sep and _digits(amount):
                out.setdefault(bwtype.strip(), int(amount))
        return out

    @bandwidths.setter
    def bandwidths(self, value: Mapping[str, int]) -> None:
        self._replace_kind("b", [_line("b", f"{k}:{v}") for k, v in value.items()])

    # attribute-fields = *(%s"a" "=" attribute CRLF)
    # attribute = (attribute-name ":" attribute-value) / attribute-name
    @property
    def attributes(self) -> list[tuple[str, str | None]]:
        """A copy of the ``a=`` lines in order as (name, value); value is None for a flag."""
        out: list[tuple[str, str | None]] = []
        for line in self._lines:
            if line[0] == "a":
                name, sep, value = line[2:].partition(":")
                out.append((name, value if sep else None))
        return out

    @attributes.setter
    def attributes(self, value: Iterable[Attribute]) -> None:
        self._replace_kind("a", [_attr_line(a) for a in value])

    def _attr_indexes(self, name: str) -> list[int]:
        flag = "a=" + name
        prefix = flag + ":"
        return [i for i, line in enumerate(self._lines) if line == flag or line.startswith(prefix)]

    def has_attribute(self, name: str) -> bool:
        """Whether an ``a=name`` or ``a=name:value`` line is present."""
        return bool(self._attr_indexes(name))

    def get_attributes(self, name: str) -> list[str | None]:
        """Values of every ``a=`` line with this name, in order (None for a flag)."""
        out: list[str | None] = []
        for i in self._attr_indexes(name):
            _, sep, value = self._lines[i][2:].partition(":")
            out.append(value if sep else None)
        return out

    def get_attribute(self, name: str) -> str | None:
        """Value of the first ``a=name:value`` line; None if absent or a flag."""
        values = self.get_attributes(name)
        return values[0] if values else None

    def add_attribute(self, name: str, value: str | None = None) -> None:
        """Append an ``a=`` line after the other attributes."""
        line = _attr_line((name, value))
        self._lines.insert(self._insert_at("a"), line)

    def set_attribute(self, name: str, value: str | None = None) -> None:
        """Replace the first ``a=`` line of this name (dropping the others), or add one."""
        where = self._attr_indexes(name)
        line = _attr_line((name, value))
        if not where:
            self._lines.insert(self._insert_at("a"), line)
            return
        self._lines[where[0]] = line
        for i in reversed(where[1:]):
            del self._lines[i]

    def remove_attribute(self, name: str) -> int:
        """Drop every ``a=`` line of this name; returns how many went."""
        where = self._attr_indexes(name)
        for i in reversed(where):
            del self._lines[i]
        return len(where)

    def _own_direction(self) -> str | None:
        return _direction_in(self._lines)

    def _set_direction(self, direction: str) -> None:
        lines = self._lines
        where = [i for i, line in enumerate(lines) if line in _DIRECTION_LINES]
        if not where:
            lines.insert(self._insert_at("a"), "a=" + direction)
            return
        lines[where[0]] = "a=" + direction
        for i in reversed(where[1:]):
            del lines[i]


# a=sendrecv / a=sendonly / a=recvonly / a=inactive (RFC 8866 sections 6.7.1 to 6.7.4)
def _direction_in(lines: list[str] | None) -> str | None:
    if lines:
        for line in lines:
            if line in _DIRECTION_LINES:
                return line[2:]
    return None


def _is_rtp(proto: str) -> bool:
    # RTP/AVP, RTP/SAVP, RTP/AVPF, UDP/TLS/RTP/SAVPF ...: each stream is an RTP + RTCP pair
    return "RTP/" in proto.upper()


# media-field = %s"m" "=" media SP port ["/" integer] SP proto 1*(SP fmt) CRLF
# media = token ; port = 1*DIGIT ; proto = token *("/" token) ; fmt = token
def _split_mline(line: str, lineno: int) -> tuple[str, int, int | None, str, list[str]]:
    f = _fields(line[2:])
    if len(f) < 4:
        raise SDPParseError(f"m= needs media, port, proto and at least one format: {line!r}", lineno)
    port_text = f[1]
    count = None
    if "/" in port_text:
        port_text, _, count_text = port_text.partition("/")
        if not (count_text.isdigit() and count_text.isascii()):
            raise SDPParseError(f"m= has a bad port count: {f[1]!r}", lineno)
        count = int(count_text)
    if not (port_text.isdigit() and port_text.isascii()) or int(port_text) > 65535:
        raise SDPParseError(f"m= has a bad port: {f[1]!r}", lineno)
    return f[0], int(port_text), count, f[2], f[3:]


def _media_from_line(line: str, lineno: int, session: list[str] | None) -> Media:
    m = Media.__new__(Media)
    m.media, m.port, m.port_count, m.proto, m.formats = _split_mline(line, lineno)
    m._lines = []
    m._mline = line
    m._sess = session
    return m


class Media(_Section):
    """One media description: the ``m=`` line and its ``i c b k a`` lines.

    ``media``, ``port``, ``port_count`` (None when the m= line has no ``/count``), ``proto``
    and ``formats`` (list of str) are plain attributes; changing them rewrites the m= line.
    ``addr`` and ``direction`` fall back to the session level when the media has none.
    """

    __slots__ = ("_mline", "_sess", "formats", "media", "port", "port_count", "proto")

    _RANK: ClassVar[dict[str, int]] = {k: i for i, k in enumerate("micbka")}
    _FIRST: ClassVar[int] = 0

    media: str
    port: int
    port_count: int | None
    proto: str
    formats: list[str]
    _mline: str | None
    _sess: list[str] | None

    def __init__(
        self,
        media: str,
        port: int,
        proto: str = "RTP/AVP",
        formats: Iterable[str | int] = (),
        *,
        port_count: int | None = None,
        connection: Connection | str | None = None,
        bandwidths: Mapping[str, int] | None = None,
        attributes: Iterable[Attribute] = (),
        info: str | None = None,
    ) -> None:
        self.media = media
        self.port = int(port)
        self.port_count = port_count
        self.proto = proto
        self.formats = [str(f) for f in formats]
        self._mline = None
        self._sess = None
        lines: list[str] = []
        if info is not None:
            lines.append(_line("i", info))
        if connection is not None:
            lines.append(_line("c", _as_connection(connection)))
        for bwtype, amount in (bandwidths or {}).items():
            lines.append(_line("b", f"{bwtype}:{amount}"))
        lines.extend(_attr_line(a) for a in attributes)
        self._lines = lines

    def _m_line(self) -> str:
        # the parsed line while its fields are unchanged (it may space them its own way)
        port = str(self.port) if self.port_count is None else f"{self.port}/{self.port_count}"
        formats = " ".join(str(f) for f in self.formats)
        line = _line("m", f"{self.media} {port} {self.proto} {formats}")
        parsed = self._mline
        if parsed is None or parsed == line:
            return line
        if _split_mline(parsed, 0) == (
            self.media,
            self.port,
            self.port_count,
            self.proto,
            self.formats,
        ):
            return parsed
        return line

    @property
    def lines(self) -> list[str]:
        """A copy of this description's lines, ``m=`` first, as ``x=value`` strings."""
        return [self._m_line(), *self._lines]

    @property
    def range(self) -> int:
        """Ports the stream needs from ``port`` on (Net::SIP's ``range``): RTP counts RTCP too."""
        count = self.port_count or 1
        return count * 2 if _is_rtp(self.proto) else count

    @property
    def addr(self) -> str | None:
        """The address media goes to: this media's ``c=``, else the session's, else None."""
        value = self._first("c")
        if value is None and self._sess is not None:
            for line in self._sess:
                if line[0] == "c":
                    value = line[2:]
                    break
        return None if value is None else _connection_address(value)

    @property
    def direction(self) -> str:
        """``sendrecv`` / ``sendonly`` / ``recvonly`` / ``inactive`` (RFC 3264 section 5.1)."""
        return self._own_direction() or _direction_in(self._sess) or "sendrecv"

    # a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
    @property
    def rtpmap(self) -> dict[str, tuple[str, int, int | None]]:
        """{payload type: (encoding, clock rate, channels or None)} for this media.

        Covers every ``a=rtpmap`` line (malformed ones are skipped) and, for RTP profiles, the
        static payload types of RFC 3551 listed in the m= line without an rtpmap line.
        Formats come first, in m= line order.
        """
        given: dict[str, tuple[str, int, int | None]] = {}
        for line in self._lines:
            if line[:9] == "a=rtpmap:":
                pt, _, rest = line[9:].partition(" ")
                parts = rest.split("/")
                count = len(parts)
                if count < 2 or count > 3:
                    continue
                clock = parts[1].strip()
                if not (clock.isdigit() and clock.isascii()):
                    continue
                channels = None
                if count == 3:
                    text = parts[2].strip()
                    if not (text.isdigit() and text.isascii()):
                        continue
                    channels = int(text)
                pt = pt.strip()
                if pt not in given:
                    given[pt] = (parts[0].strip(), int(clock), channels)
        out: dict[str, tuple[str, int, int | None]] = {}
        static = _is_rtp(self.proto)
        for fmt in self.formats:
            key = str(fmt)
            entry = given.pop(key, None)
            if entry is None and static:
                entry = STATIC_PAYLOAD_TYPES.get(key)
            if entry is not None:
                out[key] = entry
        out.update(given)
        return out

    # a=fmtp:<format> <format specific parameters>
    @property
    def fmtp(self) -> dict[str, str]:
        """{format: parameters} from the ``a=fmtp`` lines (first line per format wins)."""
        out: dict[str, str] = {}
        for line in self._lines:
            if line.startswith("a=fmtp:"):
                fmt, _, params = line[7:].strip().partition(" ")
                out.setdefault(fmt, params.strip())
        return out

    def set_direction(self, direction: str) -> None:
        """Set this media's direction attribute (replacing any other one)."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        self._set_direction(direction)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Media):
            return NotImplemented
        return self._m_line() == other._m_line() and self._lines == other._lines

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Media {self._m_line()[2:]!r}>"


_SESSION_KEYS = "vosiuepcbtrzka"
_MEDIA_KEYS = frozenset(("m", "media", "port", "range", "proto", "fmt", "addr", *"icbka"))


def _values(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


class SDP(_Section):
    """A session description: session-level lines plus a list of ``Media``.

    Build one with ``SDP(origin=..., connection=..., media=[...])``, from Net::SIP-shaped dicts
    with ``SDP.from_parts``, or from a body with ``SDP.parse``. ``bytes(sdp)`` is the body
    (CRLF lines); ``str(sdp)`` its text. Two SDPs are equal when their lines are.
    """

    __slots__ = ("_media", "_raw", "_snap", "_text")

    content_type: ClassVar[str] = "application/sdp"
    _RANK: ClassVar[dict[str, int]] = {k: i for i, k in enumerate(_SESSION_KEYS)}
    _FIRST: ClassVar[int] = 1

    _media: list[Media]
    _raw: bytes | None
    _text: str | None
    _snap: list[str] | None

    def __init__(
        self,
        origin: Origin | str | None = None,
        session_name: str = "-",
        connection: Connection | str | None = None,
        media: Iterable[Media] = (),
        attributes: Iterable[Attribute] = (),
        timing: tuple[int, int] | None = (0, 0),
        *,
        info: str | None = None,
        uri: str | None = None,
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
        bandwidths: Mapping[str, int] | None = None,
    ) -> None:
        conn = None if connection is None else _as_connection(connection)
        if origin is None:
            # RFC 3264 section 5: sess-id and sess-version from a clock (NTP is suggested)
            now = int(time.time())
            origin = Origin(
                "-",
                str(now),
                now,
                "IN",
                conn.addrtype if conn else "IP4",
                conn.address if conn else "127.0.0.1",
            )
        elif isinstance(origin, str):
            origin = _parse_origin(origin, 0)
        lines = ["v=0", _line("o", origin), _line("s", session_name)]
        if info is not None:
            lines.append(_line("i", info))
        if uri is not None:
            lines.append(_line("u", uri))
        lines.extend(_line("e", e) for e in emails)
        lines.extend(_line("p", p) for p in phones)
        if conn is not None:
            lines.append(_line("c", conn))
        lines.extend(_line("b", f"{k}:{v}") for k, v in (bandwidths or {}).items())
        if timing is not None:
            lines.append(_line("t", f"{timing[0]} {timing[1]}"))
        lines.extend(_attr_line(a) for a in attributes)
        self._lines = lines
        self._media = list(media)
        for m in self._media:
            m._sess = lines
        self._raw = self._text = self._snap = None

    # session-description = version-field origin-field session-name-field ...
    # RFC 8866 section 5: v= first; receivers take the other lines in any order, keep letters
    # they do not know, and a media description runs from its m= line to the next one.
    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview | str) -> SDP:
        """Parse an SDP body (bytes are read as UTF-8, invalid bytes kept as they are).

        Raises ``SDPParseError`` with the 1-based line number on a body that is not SDP.
        """
        if isinstance(data, str):
            text = data
            raw = None
        else:
            raw = bytes(data)
            text = raw.decode("utf-8", "surrogateescape")
        # CRLF is the line end; a bare LF is accepted (RFC 8866 section 5)
        lines = text.split("\r\n")
        if text.count("\n") != len(lines) - 1:
            lines = [ln[:-1] if ln[-1:] == "\r" else ln for ln in text.split("\n")]
        if not lines[-1]:
            lines.pop()
        if not lines or lines[0] != "v=0":
            raise SDPParseError("an SDP body starts with the line v=0", 1)
        session = [lines[0]]
        media: list[Media] = []
        current = session
        blank = False
        lineno = 1
        for line in lines[1:]:
            lineno += 1
            if line[1:2] != "=":
                if not line:
                    # an empty line is not SDP, but it is harmless (some phones end with one)
                    blank = True
                    continue
                raise SDPParseError(f"not a 'x=value' line: {line[:40]!r}", lineno)
            kind = line[0]
            if kind == "a":
                current.append(line)
                continue
            if not "a" <= kind <= "z":
                raise SDPParseError(f"the type of a line is one lowercase letter: {kind!r}", lineno)
            if kind == "m":
                m = _media_from_line(line, lineno, session)
                media.append(m)
                current = m._lines
                continue
            if kind == "c":
                _check_connection(line[2:], lineno)
            elif kind == "o":
                _check_origin(line[2:], lineno)
            elif kind == "t" and line != "t=0 0":
                _parse_timing(line[2:], lineno)
            current.append(line)
        sdp = cls.__new__(cls)
        sdp._lines = session
        sdp._media = media
        sdp._raw = raw
        sdp._text = text
        sdp._snap = [ln for ln in lines if ln] if blank else lines
        return sdp

    @classmethod
    def from_parts(cls, session_data: Mapping[str, object], *media: Mapping[str, object]) -> SDP:
        """Build from Net::SIP-shaped dicts.

        ``session_data``: ``addr`` (the session ``c=`` address) and any one-letter SDP key
        (``o s i u e p c b t r z k a``; a value or a list of values). Defaults: ``o=`` from the
        clock and ``addr``, ``s=-``, ``t=0 0``.
        Each media: ``media``, ``port``, ``proto``, ``fmt`` (one or a list), optional
        ``range`` (ports to use, RTP + RTCP counted: 2 per stream for RTP), ``addr`` (a media
        ``c=`` is written when it differs from the session's), ``a`` (attributes: strings
        like ``"rtpmap:0 PCMU/8000"`` or (name, value) pairs) and ``i c b k``; or ``m`` with
        the whole m= line value instead of media / port / proto / fmt.
        """
        g = dict(session_data)
        addr = g.pop("addr", None)
        bad = sorted(k for k in g if k not in _SESSION_KEYS)
        if bad:
            raise ValueError(f"unknown session keys: {bad}")
        addr = None if addr is None else str(addr)
        if addr is not None and g.get("c") is None:
            g["c"] = str(Connection.for_address(addr))
        if not g.get("o"):
            now = int(time.time())
            given = _values(g.get("c"))
            conn = _parse_connection(str(given[0]), 0) if given else None
            atype = conn.addrtype if conn else "IP4"
            host = addr or (conn.address if conn else "127.0.0.1")
            g["o"] = f"- {now} {now} IN {atype} {host}"
        g.setdefault("s", "-")
        g.setdefault("t", "0 0")
        lines = [_line("v", g.pop("v", 0))]
        for key in _SESSION_KEYS[1:]:
            for value in _values(g.get(key)):
                lines.append(_attr_line(value) if key == "a" else _line(key, value))
        sdp = cls.__new__(cls)
        sdp._lines = lines
        sdp._media = [_media_from_parts(m, addr, lines) for m in media]
        sdp._raw = sdp._text = sdp._snap = None
        return sdp

    @property
    def media(self) -> list[Media]:
        """The media descriptions, in order (the list itself: append / remove edit the SDP)."""
        session = self._lines
        for m in self._media:
            m._sess = session
        return self._media

    @media.setter
    def media(self, value: Iterable[Media]) -> None:
        self._media = list(value)
        for m in self._media:
            m._sess = self._lines

    @property
    def lines(self) -> list[str]:
        """Every line of the body in order, as ``x=value`` strings (a copy)."""
        out = list(self._lines)
        for m in self._media:
            out.append(m._m_line())
            out += m._lines
        return out

    @property
    def origin(self) -> Origin | None:
        """The ``o=`` line, or None."""
        value = self._first("o")
        return None if value is None else _parse_origin(value, 0)

    @origin.setter
    def origin(self, value: Origin) -> None:
        self._set_single("o", value)

    @property
    def session_name(self) -> str | None:
        """The ``s=`` text, or None."""
        return self._first("s")

    @session_name.setter
    def session_name(self, value: str) -> None:
        self._set_single("s", value)

    @property
    def uri(self) -> str | None:
        """The ``u=`` line, or None."""
        return self._first("u")

    @property
    def emails(self) -> list[str]:
        """The ``e=`` lines."""
        return self._all("e")

    @property
    def phones(self) -> list[str]:
        """The ``p=`` lines."""
        return self._all("p")

    @property
    def addr(self) -> str | None:
        """The session-level ``c=`` address, or None."""
        conn = self.connection
        return None if conn is None else conn.address

    @property
    def timing(self) -> tuple[int, int] | None:
        """(start, stop) of the first ``t=`` line, or None."""
        value = self._first("t")
        return None if value is None else _parse_timing(value, 0)

    @timing.setter
    def timing(self, value: tuple[int, int]) -> None:
        self._set_single("t", f"{int(value[0])} {int(value[1])}")

    @property
    def direction(self) -> str:
        """The session-level direction attribute, else ``sendrecv``."""
        return self._own_direction() or "sendrecv"

    def set_direction(self, direction: str, media_index: int | None = None) -> None:
        """Set the direction (hold: ``sendonly``; resume: ``sendrecv``; RFC 3264 section 8.4).

        With ``media_index`` only that media changes; otherwise every media does (and a
        session-level direction attribute, if there is one; with no media, the session gets it).
        """
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        if media_index is not None:
            self._media[media_index]._set_direction(direction)
            return
        if not self._media or self._own_direction() is not None:
            self._set_direction(direction)
        for m in self._media:
            m._set_direction(direction)

    def bump_version(self) -> int:
        """Add one to the o= sess-version (RFC 3264 section 8, a changed offer); returns it."""
        origin = self.origin
        if origin is None:
            raise ValueError("this SDP has no o= line")
        origin = origin._replace(sess_version=origin.sess_version + 1)
        self.origin = origin
        return origin.sess_version

    def get_media_addr(self) -> list[tuple[str | None, int]]:
        """[(address, port), ...] per media, as ``replace_media_listen`` takes them."""
        return [(m.addr, m.port) for m in self.media]

    def replace_media_listen(self, pairs: Iterable[tuple[str, int]]) -> None:
        """Point each media at a new (address, port), e.g. for NAT or a re-INVITE.

        One pair per media, in order. Port 0 also drops a port count (a rejected stream).
        The session ``c=`` takes the new address of the media that relied on it; a media whose
        new address differs from that gets its own ``c=``; ``IN IP4`` / ``IN IP6`` follows the
        address.
        """
        new = [(str(a), int(p)) for a, p in pairs]
        media = self.media
        if len(new) != len(media):
            raise ValueError(f"{len(new)} (address, port) pairs for {len(media)} media")
        session_addr: str | None = None
        session_conn = self.connection
        if session_conn is not None and new:
            relying = [new[i][0] for i, m in enumerate(media) if m._first("c") is None]
            session_addr = relying[0] if relying else new[0][0]
            if session_conn.address != session_addr or session_conn.ttl is not None:
                self.connection = Connection.for_address(session_addr)
        for m, (addr, port) in zip(media, new):
            if port == 0:
                m.port_count = None
            m.port = port
            own = m.connection
            if own is not None:
                if own.address != addr or own.ttl is not None or own.numaddr is not None:
                    m.connection = Connection.for_address(addr)
            elif addr != session_addr:
                m.connection = Connection.for_address(addr)

    def as_bytes(self) -> bytes:
        """The body: the input bytes if nothing changed since parsing, else CRLF lines."""
        lines = self.lines
        if self._snap is not None and lines == self._snap:
            if self._raw is not None:
                return self._raw
            assert self._text is not None
            return self._text.encode("utf-8", "surrogateescape")
        return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")

    def __bytes__(self) -> bytes:
        return self.as_bytes()

    def __str__(self) -> str:
        lines = self.lines
        if self._snap is not None and self._text is not None and lines == self._snap:
            return self._text
        return "\r\n".join(lines) + "\r\n"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SDP):
            return NotImplemented
        return self.lines == other.lines

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        kinds = " ".join(f"{m.media}:{m.port}" for m in self._media)
        return f"<SDP o={self._first('o')!r} media=[{kinds}]>"


def _media_from_parts(spec: Mapping[str, object], session_addr: str | None, session: list[str]) -> Media:
    d = dict(spec)
    bad = sorted(k for k in d if k not in _MEDIA_KEYS)
    if bad:
        raise ValueError(f"unknown media keys: {bad}")
    if d.get("m"):
        m = _media_from_line(_line("m", d["m"]), 0, session)
    else:
        missing = [k for k in ("media", "port", "proto", "fmt") if d.get(k) is None]
        if missing:
            raise ValueError(f"media description without {missing}")
        proto = str(d["proto"])
        port_range = int(str(d.get("range") or (2 if _is_rtp(proto) else 1)))
        count = port_range // 2 if _is_rtp(proto) else port_range
        m = Media(
            str(d["media"]),
            int(str(d["port"])),
            proto,
            [str(f) for f in _values(d["fmt"])],
            port_count=count if count > 1 else None,
        )
        m._sess = session
    lines = m._lines
    for value in _values(d.get("i")):
        lines.append(_line("i", value))
    conns = _values(d.get("c"))
    addr = d.get("addr")
    if not conns:
        if addr is not None:
            if str(addr) != session_addr:
                conns = [Connection.for_address(str(addr))]
        elif session_addr is None and not any(ln[0] == "c" for ln in session):
            raise ValueError("neither the media nor the session has an address")
    lines.extend(_line("c", c) for c in conns)
    for key in "bk":
        lines.extend(_line(key, v) for v in _values(d.get(key)))
    lines.extend(_attr_line(a) for a in _values(d.get("a")))
    return m


# ---- SIP message bodies ---------------------------------------------------------------------


# Content-Type = ( "Content-Type" / "c" ) HCOLON media-type        (RFC 3261 section 20.15)
# media-type = m-type SLASH m-subtype *(SEMI m-parameter)
# m-parameter = m-attribute EQUAL m-value ; m-value = token / quoted-string
def _content_type(value: str) -> tuple[str, dict[str, str]]:
    mtype, _, rest = value.partition(";")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        eq = rest.find("=", i)
        semi = rest.find(";", i)
        if eq < 0 or 0 <= semi < eq:
            i = n if semi < 0 else semi + 1
            continue
        name = rest[i:eq].strip().lower()
        j = eq + 1
        while j < n and rest[j] in " \t":
            j += 1
        if j < n and rest[j] == '"':
            # quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
            chars: list[str] = []
            j += 1
            while j < n and rest[j] != '"':
                if rest[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(rest[j])
                j += 1
            value_text = "".join(chars)
            semi = rest.find(";", j)
        else:
            semi = rest.find(";", j)
            value_text = rest[j : n if semi < 0 else semi].strip()
        if name:
            params.setdefault(name, value_text)
        i = n if semi < 0 else semi + 1
    return mtype.strip().lower(), params


def _part_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    name: str | None = None
    for raw in block.decode("utf-8", "surrogateescape").split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line[:1] in (" ", "\t"):
            if name is not None:
                headers[name] = (headers[name] + " " + line.strip()).strip()
            continue
        key, sep, value = line.partition(":")
        name = None
        key = key.strip().lower()
        if not sep or key in headers:
            continue  # not a header, or a repeated one: the first counts
        headers[key] = value.strip()
        name = key
    return headers


# body-part := MIME-part-headers [CRLF *OCTET]
def _split_part(part: bytes) -> tuple[dict[str, str], bytes]:
    if part.startswith(b"\r\n"):
        return {}, part[2:]
    if part.startswith(b"\n"):
        return {}, part[1:]
    ends = [(i, k) for i, k in ((part.find(b"\r\n\r\n"), 4), (part.find(b"\n\n"), 2)) if i >= 0]
    if not ends:
        return _part_headers(part), b""
    at, size = min(ends)
    return _part_headers(part[:at]), part[at + size :]


# RFC 2046 section 5.1.1:
# multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
#                   body-part *encapsulation close-delimiter transport-padding [CRLF epilogue]
# encapsulation := delimiter transport-padding CRLF body-part
# delimiter := CRLF dash-boundary ; dash-boundary := "--" boundary
# close-delimiter := delimiter "--" ; transport-padding := *LWSP-char
# A bare LF is accepted where CRLF is due; a missing close-delimiter ends the last part at
# the end of the body.
def split_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart body into (headers, raw part bytes) per part (RFC 2046).

    Header names are lowercased; part bodies are byte slices of ``body``, never decoded.
    Raises ValueError when the Content-Type has no boundary parameter.
    """
    _, params = _content_type(content_type)
    boundary = params.get("boundary")
    if not boundary:
        raise ValueError(f"no boundary parameter in {content_type!r}")
    dash = b"--" + boundary.encode("utf-8", "surrogateescape")
    parts: list[tuple[dict[str, str], bytes]] = []
    n = len(body)
    start: int | None = None
    pos = 0
    while True:
        i = body.find(dash, pos)
        if i < 0:
            break
        pos = i + 1
        if i > 0 and body[i - 1] != 0x0A:
            continue
        j = i + len(dash)
        close = body.startswith(b"--", j)
        if close:
            j += 2
        while j < n and body[j] in (0x20, 0x09):
            j += 1
        if body.startswith(b"\r\n", j):
            j += 2
        elif j < n and body[j] == 0x0A:
            j += 1
        elif j < n:
            continue  # the boundary string is a prefix of something else on this line
        if start is not None:
            end = i
            if body[end - 2 : end] == b"\r\n":
                end -= 2
            elif body[end - 1 : end] == b"\n":
                end -= 1
            parts.append(_split_part(body[start : max(end, start)]))
        if close:
            return parts
        start = pos = j
    if start is not None:
        parts.append(_split_part(body[start:]))
    return parts


def _decoded(headers: Mapping[str, str], part: bytes) -> bytes:
    encoding = headers.get("content-transfer-encoding", "").strip().lower()
    if encoding == "base64":
        return binascii.a2b_base64(part)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(part)
    return part


def _find(content_type: str, body: bytes, depth: int) -> SDP | None:
    mtype, params = _content_type(content_type)
    if mtype == "application/sdp":
        return SDP.parse(body)
    if not mtype:
        # Net::SIP's rule: no Content-Type, but the body reads like SDP
        if body.startswith(b"v=0\r\n") or body.startswith(b"v=0\n"):
            try:
                return SDP.parse(body)
            except SDPParseError:
                return None
        return None
    if not mtype.startswith("multipart/") or not params.get("boundary") or depth > 8:
        return None
    for headers, part in split_multipart(content_type, body):
        part_type = headers.get("content-type")
        if part_type is None:
            continue  # RFC 2046 section 5.1: the default is text/plain
        found = _find(part_type, _decoded(headers, part), depth + 1)
        if found is not None:
            return found
    return None


def find_sdp(content_type: str | None, body: bytes) -> SDP | None:
    """The SDP in a SIP message body, or None.

    ``application/sdp`` (any case, parameters ignored) is parsed and a broken body raises
    ``SDPParseError``; with no Content-Type a body starting with ``v=0`` is tried; a
    ``multipart/*`` body is split and its first ``application/sdp`` part (nested multiparts
    included) is returned. Other bodies give None.
    """
    if not body:
        return None
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogateescape")
    return _find(content_type or "", bytes(body), 0)
