# Header-name data shared by both parser twins: canonical spellings, compact forms, list grammars.
from __future__ import annotations

# Canonical spellings of the headers sipfast knows (RFC 3261 §20 and common extensions). The order
# is the header id used by the parser twins: never reorder, only append.
KNOWN: tuple[str, ...] = (
    "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Content-Length",
    "Content-Type", "Route", "Record-Route", "Expires", "Min-Expires", "Authorization",
    "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate", "Authentication-Info",
    "Allow", "Supported", "Require", "Proxy-Require", "Unsupported", "User-Agent", "Server",
    "Subject", "Date", "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Call-Info",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Error-Info", "In-Reply-To",
    "MIME-Version", "Organization", "Priority", "Reply-To", "Retry-After", "Timestamp", "Warning",
    "Event", "Allow-Events", "Subscription-State", "Refer-To", "Referred-By", "Replaces",
    "Session-Expires", "Min-SE", "RSeq", "RAck", "Path", "Service-Route", "P-Asserted-Identity",
    "P-Preferred-Identity", "Privacy", "P-Charging-Vector", "P-Access-Network-Info",
    "P-Called-Party-ID", "P-Associated-URI", "P-Visited-Network-ID", "Diversion", "History-Info",
    "Reason", "Accept-Contact", "Reject-Contact", "Request-Disposition", "Identity",
    "Identity-Info", "SIP-ETag", "SIP-If-Match", "Security-Client", "Security-Server",
    "Security-Verify", "Target-Dialog", "Join", "Max-Breadth", "Flow-Timer", "Geolocation",
    "Resource-Priority", "Accept-Resource-Priority", "Answer-Mode", "Priv-Answer-Mode",
    "Refer-Sub", "Feature-Caps", "Info-Package", "Recv-Info", "Content-ID", "Permission-Missing",
    "Trigger-Consent", "Suppress-If-Match", "Policy-ID", "Policy-Contact",
)

# Compact forms (RFC 3261 §7.3.3 and the extensions that registered one).
COMPACT: dict[str, str] = {
    "i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length",
    "c": "Content-Type", "f": "From", "s": "Subject", "k": "Supported", "t": "To", "v": "Via",
    "o": "Event", "r": "Refer-To", "b": "Referred-By", "u": "Allow-Events",
    "x": "Session-Expires", "a": "Accept-Contact", "j": "Reject-Contact",
    "d": "Request-Disposition", "y": "Identity", "n": "Identity-Info",
}

# Headers whose grammar is a comma-separated list (`header = name HCOLON elem *(COMMA elem)`):
# get_headers() splits their values outside quotes and <>. Not here on purpose: Date, the
# authentication headers (their params are comma-separated), From/To, Call-ID, free text.
LIST_HEADERS: frozenset[str] = frozenset({
    "Via", "Contact", "Route", "Record-Route", "Allow", "Supported", "Require", "Proxy-Require",
    "Unsupported", "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Call-Info",
    "Content-Encoding", "Content-Language", "Error-Info", "In-Reply-To", "Warning",
    "Allow-Events", "Path", "Service-Route", "P-Asserted-Identity", "P-Preferred-Identity",
    "P-Associated-URI", "P-Visited-Network-ID", "Diversion", "History-Info", "Reason",
    "Accept-Contact", "Reject-Contact", "Request-Disposition", "Security-Client",
    "Security-Server", "Security-Verify", "Resource-Priority", "Accept-Resource-Priority",
    "Recv-Info", "Permission-Missing",
})

# lowercase name (long or compact) -> (header id, canonical spelling)
LOOKUP: dict[str, tuple[int, str]] = {name.lower(): (i, name) for i, name in enumerate(KNOWN)}
LOOKUP.update({short: LOOKUP[long.lower()] for short, long in COMPACT.items()})
CANONICAL = KNOWN
LIST_IDS: frozenset[int] = frozenset(LOOKUP[n.lower()][0] for n in LIST_HEADERS)

# ids the parsers look at directly
VIA, FROM, TO, CALL_ID, CSEQ, CONTACT, MAX_FORWARDS, CONTENT_LENGTH, CONTENT_TYPE = range(9)
