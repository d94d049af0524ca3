"""sipfast: SIP (RFC 3261) parsing, digest authentication and a registrar at C speed.

``sipfast.BACKEND`` says which twin of the core runs: ``"c"`` (the compiled one) or ``"python"``
(set ``SIPFAST_PURE_PYTHON=1`` to choose it).
"""

from __future__ import annotations

from . import stores
from ._speedups import BACKEND
from ._speedups import parser as _parser
from ._values import URI, Auth, CSeq, NameAddr, Via
from .auth import Authenticator, AuthResult, authorize
from .errors import DigestError, SDPParseError, SIPError, SIPParseError
from .message import REASONS, Packet, Request, Response, parse
from .registrar import Registrar
from .sdp import SDP, find_sdp

__version__ = "0.1.0"

Framer = _parser.Framer
parse_uri = _parser.parse_uri
parse_name_addr = _parser.parse_name_addr
parse_via = _parser.parse_via
parse_params = _parser.parse_params
parse_auth = _parser.parse_auth
parse_cseq = _parser.parse_cseq
split_list = _parser.split_list
canonical_name = _parser.canonical_name

__all__ = (
    "BACKEND",
    "REASONS",
    "SDP",
    "URI",
    "Auth",
    "AuthResult",
    "Authenticator",
    "CSeq",
    "DigestError",
    "Framer",
    "NameAddr",
    "Packet",
    "Registrar",
    "Request",
    "Response",
    "SDPParseError",
    "SIPError",
    "SIPParseError",
    "Via",
    "__version__",
    "authorize",
    "canonical_name",
    "find_sdp",
    "parse",
    "parse_auth",
    "parse_cseq",
    "parse_name_addr",
    "parse_params",
    "parse_uri",
    "parse_via",
    "split_list",
    "stores",
)
