# The exceptions of sipfast: pure Python, imported by both twins so they raise the very same types.
from __future__ import annotations

__all__ = ("DigestError", "SDPParseError", "SIPError", "SIPParseError")


class SIPError(Exception):
    """Base class of every error sipfast raises on purpose."""


class SIPParseError(SIPError, ValueError):
    """A SIP message or header value that does not parse.

    ``reason`` is a short stable code (``bad-start-line``, ``bad-content-length``,
    ``too-large``, ...), ``offset`` the position in the input where the problem was
    found (or -1), and ``status`` the response code a server should answer with.
    """

    def __init__(self, reason: str, offset: int = -1, detail: str = "", status: int = 400) -> None:
        self.reason = reason
        self.offset = offset
        self.detail = detail
        self.status = status
        text = reason
        if detail:
            text += f": {detail}"
        if offset >= 0:
            text += f" (at offset {offset})"
        super().__init__(text)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.reason, self.offset, self.detail, self.status))


class SDPParseError(SIPError, ValueError):
    """An SDP body that does not parse; ``line`` is the 1-based line number (0: whole body)."""

    def __init__(self, message: str, line: int = 0) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)

    def __reduce__(self) -> tuple[object, ...]:
        msg = str(self)
        if self.line:
            msg = msg.split(": ", 1)[1]
        return (type(self), (msg, self.line))


class DigestError(SIPError, ValueError):
    """Digest inputs that cannot give an answer: unknown algorithm, malformed stored HA1, ..."""
