# C twin of the parser core: _sipscan.h scans octets into spans; a str is made only when read.
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
#
# Same names, results and exceptions as _parser_py.py. Value parsers take a str and scan its UTF-8
# form (offsets in their errors are turned back into character indices); the message tokenizer
# works on the input bytes (offsets are byte offsets).
cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_Check, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.exc cimport PyErr_Clear
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_AsEncodedString, PyUnicode_Check
from libc.stdint cimport int32_t, uint64_t
from libc.string cimport memchr, memcpy, memmove

from . import _headers, _strict
from ._values import URI, Auth, CSeq, NameAddr, Via
from .errors import SIPParseError


cdef extern from "Python.h":
    const char *_utf8 "PyUnicode_AsUTF8AndSize"(object s, Py_ssize_t *n)
    str _decode "PyUnicode_DecodeUTF8"(const char *s, Py_ssize_t n, const char *errors)
    str PyUnicode_New(Py_ssize_t n, Py_UCS4 maxchar)
    void *PyUnicode_DATA(object s)
    PyObject *PyDict_SetDefault(object d, object key, object value) except NULL
    long long PyLong_AsLongLongAndOverflow(object v, int *overflow) except? -1
    const Py_ssize_t PY_SSIZE_T_MAX
    const Py_ssize_t PY_SSIZE_T_MIN

cdef extern from "_sipscan.h":
    enum:
        SF_E_TOO_LARGE, SF_E_VERSION, SF_E_MEMORY, SF_LOWER, SF_UNQUOTE, SF_UNESCAPE
        SF_KIND_SIP, SF_KIND_SIPS, SF_KIND_TEL, SF_DISPLAY_QUOTED, SF_DISPLAY_PLAIN
    ctypedef struct sf_err:
        int code
        Py_ssize_t off
        const char *detail
    ctypedef struct sf_list:
        pass
    ctypedef struct sf_param:
        Py_ssize_t na, nb, va, vb
    ctypedef struct sf_params:
        pass
    ctypedef struct sf_uri:
        int kind
        Py_ssize_t ta, tb, sa, sb, ua, ub, wa, wb, ha, hb, pa, pb, qa
        long port
    ctypedef struct sf_naddr:
        int display
        Py_ssize_t da, db, pstart
        sf_uri uri
    ctypedef struct sf_via:
        Py_ssize_t pa[3]
        Py_ssize_t pb[3]
        Py_ssize_t ha, hb, pstart
        long port
    ctypedef struct sf_auth:
        Py_ssize_t sa, sb, ta, tb
    ctypedef struct sf_header:
        Py_ssize_t line, name_end, va, vb
        int32_t id, folded
        PyObject *value
    ctypedef struct sf_msg:
        const unsigned char *p
        Py_ssize_t n, start, ma, mb, ua, ub, va, vb, ra, rb, body_start, body_end, count
        int status, request
        sf_header *h
        sf_header inl[1]
        int32_t first[1]
    int sf_id_content_length, sf_id_cseq
    void sf_init_classes()
    int sf_names_add(const char *lower, Py_ssize_t n, int id)
    void sf_names_build()
    int sf_name_lookup(const unsigned char *s, Py_ssize_t n)
    int sf_ieq(const unsigned char *a, const unsigned char *b, Py_ssize_t n)
    Py_ssize_t sf_transform(unsigned char *dst, const unsigned char *s, Py_ssize_t n, int op)
    int sf_is_ascii(const unsigned char *s, Py_ssize_t n)
    object sf_tuple_alloc(object cls, Py_ssize_t n)
    Py_ssize_t sf_skip_ws(const unsigned char *s, Py_ssize_t i, Py_ssize_t n)
    Py_ssize_t sf_rstrip(const unsigned char *s, Py_ssize_t a, Py_ssize_t b)
    Py_ssize_t sf_find(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int c)
    int sf_list_begin(const unsigned char *s, Py_ssize_t n, int strict, sf_list *it, sf_err *e)
    int sf_list_next(const unsigned char *s, Py_ssize_t n, int strict, sf_list *it,
                     Py_ssize_t *a, Py_ssize_t *b, sf_err *e)
    int sf_params_begin(const unsigned char *s, Py_ssize_t start, Py_ssize_t n, sf_params *it, sf_err *e)
    int sf_params_next(const unsigned char *s, int strict, sf_params *it, sf_param *p, sf_err *e)
    int sf_params_find(const unsigned char *s, Py_ssize_t start, Py_ssize_t n, int strict, const char *lower,
                       sf_param *out, sf_err *e)
    int sf_uri_scan(const unsigned char *s, Py_ssize_t a, Py_ssize_t n, int strict, sf_uri *u, sf_err *e)
    int sf_uri_param(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int strict, sf_param *p, sf_err *e)
    int sf_uri_header(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int strict, sf_param *p, sf_err *e)
    int sf_naddr_scan(const unsigned char *s, Py_ssize_t n, int strict, sf_naddr *na, sf_err *e)
    int sf_via_scan(const unsigned char *s, Py_ssize_t n, int strict, sf_via *v, sf_err *e)
    int sf_cseq_scan(const unsigned char *s, Py_ssize_t n, int strict, uint64_t *number,
                     Py_ssize_t *ma, Py_ssize_t *mb, sf_err *e)
    int sf_auth_begin(const unsigned char *s, Py_ssize_t n, sf_auth *it, sf_err *e)
    int sf_auth_next(const unsigned char *s, Py_ssize_t n, int strict, sf_auth *it, sf_param *p,
                     int *quoted, sf_err *e)
    int sf_value(const sf_msg *m, Py_ssize_t i, const unsigned char **p, Py_ssize_t *n, unsigned char **tmp)
    int sf_header_param(const unsigned char *s, Py_ssize_t n, Py_ssize_t room, int via, const char *lower,
                        Py_ssize_t len, Py_ssize_t *va, Py_ssize_t *vb, Py_ssize_t *origin, sf_err *e)
    int sf_parse_message(sf_msg *m, int strict, Py_ssize_t max_headers, sf_err *e)
    Py_ssize_t sf_frame_headers(const unsigned char *b, Py_ssize_t n, Py_ssize_t *scan)
    long long sf_frame_length(const unsigned char *b, Py_ssize_t n, Py_ssize_t hend, sf_err *e)


DEFAULT_MAX_SIZE = 65536
DEFAULT_MAX_HEADERS = 256

cdef enum:
    STACK = 256  # lowercased / unquoted text up to this size stays on the stack

cdef enum:
    # the objects a MessageIndex makes when first read
    C_DATA, C_BODY, C_METHOD, C_URI, C_VERSION, C_REASON, C_BRANCH, C_FROM_TAG, C_TO_TAG, C_NAMES, N_CACHED

cdef tuple _REASONS = (
    None, "bad-quoted-string", "bad-list", "bad-params", "bad-uri", "bad-name-addr", "bad-via",
    "bad-cseq", "bad-auth", "too-large", "bad-start-line", "bad-version", "bad-status-code",
    "bad-method", "bad-request-uri", "bad-header", "bad-header-name", "no-end-of-headers",
    "bad-content-length", "cseq-method-mismatch",
)
cdef tuple _CANONICAL = tuple(_headers.CANONICAL)
cdef char _IS_LIST[256]
cdef int _VIA = _headers.VIA, _FROM = _headers.FROM, _TO = _headers.TO
cdef int _CALL_ID = _headers.CALL_ID, _CSEQ = _headers.CSEQ
cdef dict _ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


cdef int _init() except -1:
    sf_init_classes()
    if len(_CANONICAL) > 256 or max(_VIA, _FROM, _TO, _CALL_ID, _CSEQ, _headers.CONTENT_LENGTH) >= 16:
        raise ImportError("sipfast._parser_c: header table does not fit")
    for key, (hid, _) in _headers.LOOKUP.items():
        raw = key.encode("ascii")
        if sf_names_add(raw, len(raw), hid) < 0:
            raise ImportError(f"sipfast._parser_c: header name {key!r} does not fit")
    sf_names_build()
    for hid in range(256):
        _IS_LIST[hid] = hid in _headers.LIST_IDS
    global sf_id_content_length, sf_id_cseq
    sf_id_content_length = _headers.CONTENT_LENGTH
    sf_id_cseq = _headers.CSEQ
    return 0


_init()


# --------------------------------------------------------------------------------------------
# errors, text and small builders

cdef int _raise(const sf_err *e, object offset) except -1:
    # the one place where a C error code becomes an exception
    if e.code == SF_E_MEMORY:
        raise MemoryError()
    status = 513 if e.code == SF_E_TOO_LARGE else 505 if e.code == SF_E_VERSION else 400
    detail = e.detail.decode("ascii") if e.detail != NULL else ""
    raise SIPParseError(_REASONS[e.code], offset, detail, status)


cdef struct Text:
    # octets being scanned: the UTF-8 form of a str (surrogates passed through), or message octets
    const unsigned char *p
    Py_ssize_t n
    bint raw           # message octets: decode with surrogateescape
    const char *errors


cdef object _text(object s, Text *t):
    # Fill t with the UTF-8 form of s; returns the object that owns those octets.
    cdef Py_ssize_t n
    cdef const char *p
    if not PyUnicode_Check(s):
        raise TypeError(f"expected str, not {type(s).__name__}")
    t.raw = False
    t.errors = b"surrogatepass"
    p = _utf8(s, &n)
    if p == NULL:  # lone surrogates: encode them as they are, decode them back the same way
        PyErr_Clear()
        s = PyUnicode_AsEncodedString(s, "utf-8", "surrogatepass")
        p = PyBytes_AS_STRING(s)
        n = PyBytes_GET_SIZE(s)
    t.p = <const unsigned char *>p
    t.n = n
    return s


cdef inline void _raw_text(Text *t, const unsigned char *p, Py_ssize_t n) noexcept:
    t.p = p
    t.n = n
    t.raw = True
    t.errors = b"surrogateescape"


cdef Py_ssize_t _chars(const Text *t, Py_ssize_t off) except -1:
    # the character index of octet offset off
    cdef Py_ssize_t k, count = 0
    off = min(off, t.n)
    if t.raw:
        return len(_decode(<const char *>t.p, off, t.errors))
    for k in range(off):
        count += (t.p[k] & 0xC0) != 0x80
    return count


cdef inline int _fail(const Text *t, const sf_err *e) except -1:
    return _raise(e, _chars(t, e.off))


cdef inline str _text_of(const unsigned char *p, Py_ssize_t n, const char *errors):
    # ASCII (nearly every SIP value) is copied into a new str directly, the rest decoded
    cdef str u
    if sf_is_ascii(p, n):
        u = PyUnicode_New(n, 127)
        memcpy(PyUnicode_DATA(u), p, n)
        return u
    return _decode(<const char *>p, n, errors)


cdef inline str _str(const Text *t, Py_ssize_t a, Py_ssize_t b):
    return _text_of(t.p + a, b - a, t.errors)


cdef str _transformed(const unsigned char *p, Py_ssize_t n, int op, const char *errors):
    # sf_transform into a stack buffer (the heap for long text), then a str
    cdef unsigned char stack[STACK]
    cdef unsigned char *buf = stack
    if n > STACK:
        buf = <unsigned char *>PyMem_Malloc(n)
        if buf == NULL:
            raise MemoryError()
    try:
        return _text_of(buf, sf_transform(buf, p, n, op), errors)
    finally:
        if buf != stack:
            PyMem_Free(buf)


cdef str _lower_str(const Text *t, Py_ssize_t a, Py_ssize_t b):
    # ASCII-only lowercase, as the Python twin's _lower
    cdef Py_ssize_t k
    for k in range(a, b):
        if 65 <= t.p[k] <= 90:
            return _transformed(t.p + a, b - a, SF_LOWER, t.errors)
    return _str(t, a, b)


cdef str _unescaped(const Text *t, Py_ssize_t a, Py_ssize_t b):
    if memchr(t.p + a, b"%", b - a) == NULL:
        return _str(t, a, b)
    return unescape(_str(t, a, b))


cdef str _unquoted(const Text *t, Py_ssize_t a, Py_ssize_t b):
    # t.p[a:b] is a whole quoted-string: drop the quotes, resolve quoted-pairs
    if memchr(t.p + a + 1, b"\\", b - a - 2) == NULL:
        return _str(t, a + 1, b - 1)
    return _transformed(t.p + a + 1, b - a - 2, SF_UNQUOTE, t.errors)


cdef object _ntuple(object cls, tuple values):
    # a named tuple of _values filled the way tuple.__new__ fills it, without the Python-level __new__
    cdef Py_ssize_t i
    t = sf_tuple_alloc(cls, len(values))
    for i in range(len(values)):
        v = values[i]
        Py_INCREF(v)
        PyTuple_SET_ITEM(t, i, v)
    return t


cdef inline Py_ssize_t _limit(object v) except? -1:
    # a size limit as given (any int, clamped): the twin compares Python ints
    cdef int overflow
    cdef long long x = PyLong_AsLongLongAndOverflow(v, &overflow)
    if overflow:
        return PY_SSIZE_T_MAX if overflow > 0 else PY_SSIZE_T_MIN
    return <Py_ssize_t>x


# --------------------------------------------------------------------------------------------
# header names

cdef object _name_octets(object name, const unsigned char **p, Py_ssize_t *n):
    # the stripped UTF-8 (surrogateescape) form of a header name; returns its owner
    cdef const char *s
    cdef Py_ssize_t a, b
    if not PyUnicode_Check(name):
        raise TypeError(f"expected str, not {type(name).__name__}")
    s = _utf8(name, &b)
    if s == NULL:
        PyErr_Clear()
        name = PyUnicode_AsEncodedString(name, "utf-8", "surrogateescape")
        s = PyBytes_AS_STRING(name)
        b = PyBytes_GET_SIZE(name)
    a = sf_skip_ws(<const unsigned char *>s, 0, b)
    b = sf_rstrip(<const unsigned char *>s, a, b)
    p[0] = <const unsigned char *>s + a
    n[0] = b - a
    return name


def canonical_name(name):
    cdef const unsigned char *p
    cdef Py_ssize_t n
    cdef int hid
    keep = _name_octets(name, &p, &n)
    hid = sf_name_lookup(p, n)
    if hid >= 0:
        return _CANONICAL[hid]
    return _decode(<const char *>p, n, b"surrogateescape")


def is_list_header(name):
    cdef const unsigned char *p
    cdef Py_ssize_t n
    cdef int hid
    keep = _name_octets(name, &p, &n)
    hid = sf_name_lookup(p, n)
    return hid >= 0 and _IS_LIST[hid] != 0


# --------------------------------------------------------------------------------------------
# value parsers

def unquote(s):
    cdef Text t
    keep = _text(s, &t)
    if t.n >= 2 and t.p[0] == 34 and t.p[t.n - 1] == 34:
        return _unquoted(&t, 0, t.n)
    return s


def unescape(s):
    if "%" not in s:
        return s
    raw = PyUnicode_AsEncodedString(s, "utf-8", "surrogateescape")
    return _transformed(<const unsigned char *>PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), SF_UNESCAPE,
                        b"surrogateescape")


def split_list(value, bint strict=False):
    cdef Text t
    cdef sf_list it
    cdef sf_err e
    cdef Py_ssize_t a, b
    cdef int r
    keep = _text(value, &t)
    out = []
    if sf_list_begin(t.p, t.n, strict, &it, &e) < 0:
        _fail(&t, &e)
    while True:
        r = sf_list_next(t.p, t.n, strict, &it, &a, &b, &e)
        if r == 0:
            return out
        if r < 0:
            _fail(&t, &e)
        out.append(value if a == 0 and b == t.n else _str(&t, a, b))


cdef dict _params(const Text *t, Py_ssize_t start, bint strict):
    # parse_params over t[start:]
    cdef sf_params it
    cdef sf_param p
    cdef sf_err e
    cdef int r
    params = {}
    if sf_params_begin(t.p, start, t.n, &it, &e) < 0:
        _fail(t, &e)
    while True:
        r = sf_params_next(t.p, strict, &it, &p, &e)
        if r == 0:
            return params
        if r < 0:
            _fail(t, &e)
        PyDict_SetDefault(params, _lower_str(t, p.na, p.nb), None if p.va < 0 else _str(t, p.va, p.vb))


def parse_params(s, bint strict=False):
    cdef Text t
    keep = _text(s, &t)
    return _params(&t, 0, strict)


cdef dict _uri_elems(const Text *t, Py_ssize_t a, Py_ssize_t b, bint params, bint strict):
    # the uri-parameters (params) or the headers of a URI that sf_uri_scan accepted
    cdef sf_param p
    cdef sf_err e
    cdef Py_ssize_t end
    out = {}
    while True:
        end = sf_find(t.p, a, b, 59 if params else 38)
        if end < 0:
            end = b
        if params:
            sf_uri_param(t.p, a, end, strict, &p, &e)
            if memchr(t.p + p.na, b"%", p.nb - p.na) == NULL:
                key = _lower_str(t, p.na, p.nb)
            else:
                key = _lower(unescape(_str(t, p.na, p.nb)))
            PyDict_SetDefault(out, key, None if p.va < 0 else _unescaped(t, p.va, p.vb))
        else:
            sf_uri_header(t.p, a, end, strict, &p, &e)
            PyDict_SetDefault(out, _unescaped(t, p.na, p.nb), _unescaped(t, p.va, p.vb))
        if end >= b:
            return out
        a = end + 1


cdef str _lower(str s):
    return s.lower() if s.isascii() else s.translate(_ASCII_LOWER)


cdef object _uri(const Text *t, const sf_uri *u, object whole, bint strict):
    text = whole if whole is not None and u.ta == 0 and u.tb == t.n else _str(t, u.ta, u.tb)
    user = password = host = port = None
    params = {}
    headers = {}
    if u.kind == SF_KIND_SIP or u.kind == SF_KIND_SIPS:
        scheme = "sip" if u.kind == SF_KIND_SIP else "sips"
        if u.ua >= 0:
            user = _unescaped(t, u.ua, u.ub)
        if u.wa >= 0:
            password = _unescaped(t, u.wa, u.wb)
        host = _str(t, u.ha, u.hb)
        if u.port >= 0:
            port = u.port
    elif u.kind == SF_KIND_TEL:
        scheme = "tel"
        user = _unescaped(t, u.ua, u.ub)
    else:
        scheme = _lower_str(t, u.sa, u.sb)
    if u.pa >= 0:
        params = _uri_elems(t, u.pa, u.pb, True, strict)
    if u.qa >= 0:
        headers = _uri_elems(t, u.qa, u.tb, False, strict)
    return _ntuple(URI, (scheme, user, password, host, port, params, headers, text))


def parse_uri(s, bint strict=False):
    cdef Text t
    cdef sf_uri u
    cdef sf_err e
    keep = _text(s, &t)
    if sf_uri_scan(t.p, 0, t.n, strict, &u, &e) < 0:
        _fail(&t, &e)
    return _uri(&t, &u, s, strict)


def parse_name_addr(s, bint strict=False):
    cdef Text t
    cdef sf_naddr na
    cdef sf_err e
    keep = _text(s, &t)
    if sf_naddr_scan(t.p, t.n, strict, &na, &e) < 0:
        _fail(&t, &e)
    display = None
    if na.display == SF_DISPLAY_QUOTED:
        display = _unquoted(&t, na.da, na.db)
    elif na.display == SF_DISPLAY_PLAIN:
        display = _str(&t, na.da, na.db)
    uri = _uri(&t, &na.uri, None, strict)
    params = {} if na.pstart < 0 else _params(&t, na.pstart, strict)
    return _ntuple(NameAddr, (display, uri, params))


def parse_via(s, bint strict=False):
    cdef Text t
    cdef sf_via v
    cdef sf_err e
    keep = _text(s, &t)
    if sf_via_scan(t.p, t.n, strict, &v, &e) < 0:
        _fail(&t, &e)
    params = {} if v.pstart < 0 else _params(&t, v.pstart, strict)
    if v.pb[0] + 1 == v.pa[1] and t.p[v.pb[0]] == 47:
        protocol = _str(&t, v.pa[0], v.pb[1])
    else:
        protocol = _str(&t, v.pa[0], v.pb[0]) + "/" + _str(&t, v.pa[1], v.pb[1])
    transport = _str(&t, v.pa[2], v.pb[2]).upper()
    port = None if v.port < 0 else v.port
    return _ntuple(Via, (protocol, transport, _str(&t, v.ha, v.hb), port, params))


def parse_cseq(s, bint strict=False):
    cdef Text t
    cdef sf_err e
    cdef uint64_t number
    cdef Py_ssize_t ma, mb
    keep = _text(s, &t)
    if sf_cseq_scan(t.p, t.n, strict, &number, &ma, &mb, &e) < 0:
        _fail(&t, &e)
    return _ntuple(CSeq, (number, _str(&t, ma, mb)))


def parse_auth(s, bint strict=False):
    cdef Text t
    cdef sf_auth it
    cdef sf_param p
    cdef sf_err e
    cdef int r, quoted = 0
    keep = _text(s, &t)
    r = sf_auth_begin(t.p, t.n, &it, &e)
    if r < 0:
        _fail(&t, &e)
    scheme = _str(&t, it.sa, it.sb)
    if r == 1:
        return _ntuple(Auth, (scheme, {}, _str(&t, it.ta, it.tb)))
    params = {}
    while True:
        r = sf_auth_next(t.p, t.n, strict, &it, &p, &quoted, &e)
        if r == 0:
            return _ntuple(Auth, (scheme, params, None))
        if r < 0:
            _fail(&t, &e)
        value = _unquoted(&t, p.va, p.vb) if quoted else _str(&t, p.va, p.vb)
        PyDict_SetDefault(params, _lower_str(&t, p.na, p.nb), value)


# --------------------------------------------------------------------------------------------
# the message tokenizer

cdef object _header_param(const unsigned char *p, Py_ssize_t n, Py_ssize_t room, bint via, const char *param,
                          Py_ssize_t plen):
    # the value of param in a header value (octets of the message, room of them readable, or
    # unfolded), or None
    cdef Py_ssize_t va, vb, origin
    cdef Text t
    cdef sf_err e
    cdef int r = sf_header_param(p, n, room, via, param, plen, &va, &vb, &origin, &e)
    if r < 0:
        _raw_text(&t, p + origin, n - origin)
        _fail(&t, &e)
    return None if r == 0 else _text_of(p + va, vb - va, b"surrogateescape")


@cython.final
@cython.no_gc
@cython.freelist(8)
cdef class MessageIndex:
    """A parsed message: start line, header spans, body. Values are decoded when first read."""

    cdef:
        sf_msg m
        object _input
        PyObject *_cached[N_CACHED]  # NULL until made; C pointers, so a new index costs no refcounts

    def __dealloc__(self):
        cdef Py_ssize_t i
        for i in range(N_CACHED):
            Py_XDECREF(self._cached[i])
        if self.m.h == NULL:
            return
        for i in range(self.m.count):
            Py_XDECREF(self.m.h[i].value)
        if self.m.h != self.m.inl:
            PyMem_Free(self.m.h)

    cdef inline object _keep(self, int k, object v):
        Py_INCREF(v)
        self._cached[k] = <PyObject *>v
        return v

    def __len__(self):
        return self.m.count

    cdef Py_ssize_t _at(self, Py_ssize_t i) except -1:
        if i < 0:
            i += self.m.count
        if not 0 <= i < self.m.count:
            raise IndexError("header index out of range")
        return i

    cdef object _value(self, Py_ssize_t i):
        cdef sf_header *h = &self.m.h[i]
        cdef const unsigned char *p
        cdef unsigned char *tmp
        cdef Py_ssize_t n
        if h.value != NULL:
            return <object>h.value
        if not h.folded:
            v = _text_of(self.m.p + h.va, h.vb - h.va, b"surrogateescape")
        else:
            if sf_value(&self.m, i, &p, &n, &tmp) < 0:
                raise MemoryError()
            try:
                v = _text_of(p, n, b"surrogateescape")
            finally:
                PyMem_Free(tmp)
        Py_INCREF(v)
        h.value = <PyObject *>v
        return v

    cdef object _name(self, Py_ssize_t i):
        cdef sf_header *h = &self.m.h[i]
        if h.id >= 0:
            return _CANONICAL[h.id]
        if self._cached[C_NAMES] == NULL:
            self._keep(C_NAMES, [None] * self.m.count)
        names = <list>self._cached[C_NAMES]
        name = names[i]
        if name is None:
            name = names[i] = _decode(<const char *>self.m.p + h.line, h.name_end - h.line, b"surrogateescape")
        return name

    cdef inline Py_ssize_t _first(self, int hid) noexcept:
        return self.m.first[hid]

    cdef Py_ssize_t _find(self, object name, Py_ssize_t start, list into) except -2:
        # the first header called name from start on (any form), or -1; with into: every match
        cdef const unsigned char *p
        cdef Py_ssize_t n, j
        cdef sf_header *h
        cdef int hid
        keep = _name_octets(name, &p, &n)
        hid = sf_name_lookup(p, n)
        for j in range(start, self.m.count):
            h = &self.m.h[j]
            if h.id == hid and (hid >= 0 or (h.name_end - h.line == n and sf_ieq(self.m.p + h.line, p, n))):
                if into is None:
                    return j
                into.append(self._value(j))
        return -1

    def name(self, Py_ssize_t i):
        """Canonical name of header i."""
        return self._name(self._at(i))

    def value(self, Py_ssize_t i):
        """Value of header i: folding replaced by one space, surrounding whitespace stripped."""
        return self._value(self._at(i))

    def offset(self, Py_ssize_t i):
        """Byte offset of header i's line in the input."""
        return self.m.h[self._at(i)].line

    def items(self):
        """Every header as (canonical name, value), in order."""
        return [(self._name(j), self._value(j)) for j in range(self.m.count)]

    def index_of(self, name):
        """Position of the first header called name (any form), or -1."""
        return self._find(name, 0, None)

    def get(self, name):
        """Value of the first header called name (any form), or None."""
        j = self._find(name, 0, None)
        return None if j < 0 else self._value(j)

    def get_all(self, name):
        """Values of every header called name (any form), one per header line."""
        out = []
        self._find(name, 0, out)
        return out

    @property
    def data(self):
        if self._cached[C_DATA] != NULL:
            return <object>self._cached[C_DATA]
        if self.m.start == 0 and self.m.body_end == self.m.n:
            return self._keep(C_DATA, self._input)
        return self._keep(C_DATA, PyBytes_FromStringAndSize(<const char *>self.m.p + self.m.start,
                                                           self.m.body_end - self.m.start))

    @property
    def body(self):
        if self._cached[C_BODY] != NULL:
            return <object>self._cached[C_BODY]
        return self._keep(C_BODY, PyBytes_FromStringAndSize(<const char *>self.m.p + self.m.body_start,
                                                           self.m.body_end - self.m.body_start))

    @property
    def is_request(self):
        return self.m.request != 0

    @property
    def status_code(self):
        return self.m.status

    @property
    def method(self):
        if not self.m.request:
            return None
        if self._cached[C_METHOD] == NULL:
            self._keep(C_METHOD, _decode(<const char *>self.m.p + self.m.ma, self.m.mb - self.m.ma, NULL))
        return <object>self._cached[C_METHOD]

    @property
    def uri(self):
        if not self.m.request:
            return None
        if self._cached[C_URI] == NULL:
            self._keep(C_URI, _decode(<const char *>self.m.p + self.m.ua, self.m.ub - self.m.ua, b"surrogateescape"))
        return <object>self._cached[C_URI]

    @property
    def version(self):
        if self._cached[C_VERSION] == NULL:
            self._keep(C_VERSION, _decode(<const char *>self.m.p + self.m.va, self.m.vb - self.m.va, NULL))
        return <object>self._cached[C_VERSION]

    @property
    def reason(self):
        if self.m.request:
            return None
        if self._cached[C_REASON] == NULL:
            self._keep(C_REASON, _decode(<const char *>self.m.p + self.m.ra, self.m.rb - self.m.ra, b"surrogateescape"))
        return <object>self._cached[C_REASON]

    @property
    def call_id(self):
        cdef Py_ssize_t i = self._first(_CALL_ID)
        return None if i < 0 else self._value(i)

    @property
    def cseq(self):
        cdef Py_ssize_t i = self._first(_CSEQ)
        return None if i < 0 else self._value(i)

    @property
    def branch(self):
        """The branch param of the topmost Via, or None."""
        if self._cached[C_BRANCH] == NULL:
            self._keep(C_BRANCH, self._scan_value(_VIA, b"branch", 6))
        return <object>self._cached[C_BRANCH]

    @property
    def from_tag(self):
        if self._cached[C_FROM_TAG] == NULL:
            self._keep(C_FROM_TAG, self._scan_value(_FROM, b"tag", 3))
        return <object>self._cached[C_FROM_TAG]

    @property
    def to_tag(self):
        if self._cached[C_TO_TAG] == NULL:
            self._keep(C_TO_TAG, self._scan_value(_TO, b"tag", 3))
        return <object>self._cached[C_TO_TAG]

    cdef object _scan_value(self, int hid, const char *param, Py_ssize_t plen):
        # parse_via(split_list(value)[0]) or parse_name_addr(value), done in C with the same checks
        # and errors; only the wanted param becomes a str
        cdef Py_ssize_t i = self._first(hid)
        cdef const unsigned char *p
        cdef unsigned char *tmp
        cdef Py_ssize_t n
        cdef sf_header *h
        if i < 0:
            return None
        h = &self.m.h[i]
        if not h.folded:
            return _header_param(self.m.p + h.va, h.vb - h.va, self.m.n - h.va, hid == _VIA, param, plen)
        if sf_value(&self.m, i, &p, &n, &tmp) < 0:
            raise MemoryError()
        try:
            return _header_param(p, n, n, hid == _VIA, param, plen)
        finally:
            PyMem_Free(tmp)


def parse_message(data, bint strict=False, max_size=DEFAULT_MAX_SIZE, max_headers=DEFAULT_MAX_HEADERS):
    """Parse one SIP message from a datagram (or a Framer): start line, headers, body."""
    cdef MessageIndex ix
    cdef sf_err e
    cdef Py_ssize_t n
    if not PyBytes_Check(data):
        data = PyUnicode_AsEncodedString(data, "utf-8", "surrogateescape") if PyUnicode_Check(data) else bytes(data)
    n = PyBytes_GET_SIZE(data)
    if n > _limit(max_size):
        e.code = SF_E_TOO_LARGE
        e.detail = b"message exceeds the size limit"
        _raise(&e, max_size)
    ix = MessageIndex.__new__(MessageIndex)
    ix._input = data
    ix.m.p = <const unsigned char *>PyBytes_AS_STRING(data)
    ix.m.n = n
    if sf_parse_message(&ix.m, strict, _limit(max_headers), &e) < 0:
        _raise(&e, e.off)
    if strict:
        _strict.check_headers(ix, _STRICT_PARSERS)
    return ix


# --------------------------------------------------------------------------------------------
# stream framing

@cython.final
cdef class Framer:
    """Cut a byte stream (TCP, TLS) into whole SIP messages, framed by Content-Length."""

    cdef:
        unsigned char *_buf
        Py_ssize_t _start, _len, _cap, _need, _scan
        public object max_size

    def __cinit__(self):
        self._cap = 4096
        self._buf = <unsigned char *>PyMem_Malloc(self._cap)
        if self._buf == NULL:
            raise MemoryError()
        self._need = -1

    def __init__(self, max_size=DEFAULT_MAX_SIZE):
        self.max_size = max_size

    def __dealloc__(self):
        PyMem_Free(self._buf)

    @property
    def buffered(self):
        """Octets received but not yet returned as a message."""
        return self._len

    def feed(self, data):
        cdef Py_buffer view
        cdef Py_ssize_t limit, skip, hend
        cdef long long length
        cdef unsigned char *b
        cdef sf_err e
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            self._append(<const unsigned char *>view.buf, view.len)
        finally:
            PyBuffer_Release(&view)
        limit = _limit(self.max_size)
        out = []
        while True:
            if self._need < 0:
                b = self._buf + self._start
                skip = 0
                while skip < self._len and (b[skip] == 13 or b[skip] == 10):
                    skip += 1
                if skip:
                    self._consume(skip)
                    self._scan = 0
                hend = sf_frame_headers(self._buf + self._start, self._len, &self._scan)
                if hend < 0:
                    if self._len > limit:
                        self._too_large()
                    break
                length = sf_frame_length(self._buf + self._start, self._len, hend, &e)
                if length < 0:
                    _raise(&e, e.off)
                self._need = hend + length
                if self._need > limit:
                    self._too_large()
            if self._len < self._need:
                break
            out.append(PyBytes_FromStringAndSize(<const char *>self._buf + self._start, self._need))
            self._consume(self._need)
            self._need = -1
            self._scan = 0
        return out

    cdef int _too_large(self) except -1:
        cdef sf_err e
        e.code = SF_E_TOO_LARGE
        e.detail = b"message exceeds the size limit"
        return _raise(&e, self.max_size)

    cdef int _append(self, const unsigned char *p, Py_ssize_t n) except -1:
        cdef Py_ssize_t cap = self._cap
        cdef unsigned char *buf
        if self._start + self._len + n > cap and self._start:
            memmove(self._buf, self._buf + self._start, self._len)
            self._start = 0
        if self._len + n > cap:
            if self._len + n > PY_SSIZE_T_MAX // 2:
                raise MemoryError()
            while self._len + n > cap:
                cap *= 2
            buf = <unsigned char *>PyMem_Realloc(self._buf, cap)
            if buf == NULL:
                raise MemoryError()
            self._buf = buf
            self._cap = cap
        memcpy(self._buf + self._start + self._len, p, n)
        self._len += n
        return 0

    cdef void _consume(self, Py_ssize_t n) noexcept:
        self._start += n
        self._len -= n
        if self._len == 0:
            self._start = 0


_STRICT_PARSERS = {
    "split_list": split_list,
    "parse_params": parse_params,
    "parse_uri": parse_uri,
    "parse_name_addr": parse_name_addr,
    "parse_via": parse_via,
    "parse_auth": parse_auth,
    "parse_cseq": parse_cseq,
}

__all__ = (
    "DEFAULT_MAX_HEADERS",
    "DEFAULT_MAX_SIZE",
    "Framer",
    "MessageIndex",
    "canonical_name",
    "is_list_header",
    "parse_auth",
    "parse_cseq",
    "parse_message",
    "parse_name_addr",
    "parse_params",
    "parse_uri",
    "parse_via",
    "split_list",
    "unescape",
    "unquote",
)
