# C twin of the digest core: each RFC step joined in a C buffer, hashed by _hash.h; one str out.
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_1BYTE_DATA, PyUnicode_AsUTF8AndSize, PyUnicode_Check, PyUnicode_New
from libc.stdint cimport uint8_t
from libc.string cimport memcmp, memcpy, memset

from .errors import DigestError


cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)
    const void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)

cdef extern from "_hash.h" nogil:
    enum:
        SF_MD5
    size_t sf_hash_hex(int alg, const uint8_t *p, size_t n, char *out)
    void sf_hash_hex_pair(int alg, const uint8_t *p, size_t n, char *out, const uint8_t *q, size_t m, char *out2)
    void sf_hex(const uint8_t *d, size_t n, char *out)
    int sf_hash_init(int portable)


ALGORITHMS = ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess")

cdef enum:
    # Joined inputs up to this size stay on the stack; SIP inputs are far shorter.
    STACK_SIZE = 1024

cdef enum:
    QOP_NONE
    QOP_AUTH
    QOP_AUTH_INT

cdef enum:
    # Error codes of the C steps; _raise turns them into exceptions.
    E_ALGORITHM = 1
    E_CREDENTIALS
    E_HA1
    E_QOP
    E_NC_MISSING
    E_CNONCE_MISSING
    E_SESS_CNONCE
    E_NC_RANGE
    E_MEMORY


ctypedef struct Span:
    const char *p
    Py_ssize_t n

ctypedef struct Inputs:
    int alg          # SF_MD5, SF_SHA256 or SF_SHA512_256
    bint sess
    bint have_ha1    # ha1 holds a stored H(username:realm:password) instead of password
    int qop          # QOP_NONE, QOP_AUTH or QOP_AUTH_INT
    Span username
    Span realm
    Span password
    Span ha1
    Span method
    Span uri
    Span nonce
    Span nc
    Span cnonce
    Span qop_name
    Span body


cdef int _raise(int code, object value=None) except -1:
    if code == E_MEMORY:
        raise MemoryError()
    if code == E_ALGORITHM:
        message = f"unknown digest algorithm {value!r}"
    elif code == E_CREDENTIALS:
        message = "give exactly one of password and ha1"
    elif code == E_HA1:
        message = f"ha1 must be {value} hex digits"
    elif code == E_QOP:
        message = f"unsupported qop {value!r}"
    elif code == E_NC_MISSING:
        message = "qop needs nc"
    elif code == E_CNONCE_MISSING:
        message = "qop needs cnonce"
    elif code == E_SESS_CNONCE:
        message = f"{value} needs cnonce"
    else:
        message = f"nc out of range: {value!r}"
    raise DigestError(message)


cdef inline int _algorithm_index(const char *s, Py_ssize_t n) noexcept:
    # The six names have six different lengths, so the length picks the one candidate to compare
    # (ASCII case-insensitively).  The empty name is RFC 2617's default, MD5.
    cdef const char *want
    cdef int index
    cdef Py_ssize_t i
    cdef char c
    if n == 0:
        return 0
    elif n == 3:
        index = 0
        want = b"md5"
    elif n == 8:
        index = 1
        want = b"md5-sess"
    elif n == 7:
        index = 2
        want = b"sha-256"
    elif n == 12:
        index = 3
        want = b"sha-256-sess"
    elif n == 11:
        index = 4
        want = b"sha-512-256"
    elif n == 16:
        index = 5
        want = b"sha-512-256-sess"
    else:
        return -1
    for i in range(n):
        c = s[i]
        if c'A' <= c <= c'Z':
            c += 32
        if c != want[i]:
            return -1
    return index


cdef int _algorithm(object name) except -1:
    # Index into ALGORITHMS; index >> 1 is the base hash, index & 1 the -sess flag.
    cdef Py_ssize_t n
    cdef const char *s
    cdef int index
    if name is None:
        return 0
    if not PyUnicode_Check(name):
        raise TypeError(f"algorithm must be str or None, not {type(name).__name__}")
    s = PyUnicode_AsUTF8AndSize(name, &n)
    index = _algorithm_index(s, n)
    if index < 0:
        _raise(E_ALGORITHM, name)
    return index


cdef inline int _span(object text, Span *out) except -1:
    # UTF-8 of a str without copying: an ASCII str is its own UTF-8; CPython encodes any other once
    # and keeps it in the str.  TypeError for anything but a str.
    if PyUnicode_Check(text) and PyUnicode_IS_ASCII(text):
        out.p = <const char *>PyUnicode_DATA(text)
        out.n = PyUnicode_GET_LENGTH(text)
    else:
        out.p = PyUnicode_AsUTF8AndSize(text, &out.n)
    return 0


cdef inline bint _is_hex(Span s) noexcept:
    cdef Py_ssize_t i
    cdef char c
    for i in range(s.n):
        c = s.p[i]
        if not (c'0' <= c <= c'9' or c'a' <= c <= c'f' or c'A' <= c <= c'F'):
            return False
    return True


cdef int _nc(object nc, char *buf, Span *out) except -1:
    # nc-value = 8LHEX (RFC 7616 §3.4): an int is written as eight lowercase hex digits into buf;
    # a str is taken as given.
    cdef int overflow = 0
    cdef long long value
    cdef uint8_t octets[4]
    if PyUnicode_Check(nc):
        return _span(nc, out)
    if not PyLong_Check(nc):
        raise TypeError(f"nc must be int or str, not {type(nc).__name__}")
    value = PyLong_AsLongLongAndOverflow(nc, &overflow)
    if overflow or value < 0 or value >> 32:
        _raise(E_NC_RANGE, nc)
    octets[0] = <uint8_t>(value >> 24)
    octets[1] = <uint8_t>(value >> 16)
    octets[2] = <uint8_t>(value >> 8)
    octets[3] = <uint8_t>value
    sf_hex(octets, 4, buf)
    out.p = buf
    out.n = 8
    return 0


cdef inline Py_ssize_t _hash_hex(int alg, const char *p, Py_ssize_t n, char *out) noexcept:
    # Lowercase hex of the digest of p[0..n) into out; returns its length.
    return <Py_ssize_t>sf_hash_hex(alg, <const uint8_t *>p, <size_t>n, out)


cdef inline str _ascii(const char *p, Py_ssize_t n):
    # The one object a call creates: a compact ASCII str filled in place.
    cdef str text = PyUnicode_New(n, 127)
    memcpy(PyUnicode_1BYTE_DATA(text), p, n)
    return text


cdef inline char *_put(char *w, const char *p, Py_ssize_t n) noexcept:
    memcpy(w, p, n)
    return w + n


cdef inline char *_field(char *w, Span s) noexcept:
    # ":" then the field
    w[0] = c':'
    memcpy(w + 1, s.p, s.n)
    return w + 1 + s.n


cdef inline char *_buffer(char *stack, Py_ssize_t need) noexcept:
    if need <= STACK_SIZE:
        return stack
    return <char *>PyMem_Malloc(need)


cdef inline void _release(char *buf, char *stack) noexcept:
    if buf != stack:
        PyMem_Free(buf)


cdef inline char *_a1(const Inputs *r, char *w) noexcept:
    # RFC 7616 §3.4.2:  A1 = unq(username) ":" unq(realm) ":" passwd
    w = _put(w, r.username.p, r.username.n)
    w = _field(w, r.realm)
    return _field(w, r.password)


cdef int _respond(const Inputs *r, char *out) noexcept:
    # Writes the request-digest (RFC 7616 §3.4.1; RFC 2069 form without qop) as hex into out.
    cdef char stack[STACK_SIZE]
    cdef char ha1[64]
    cdef char ha2[64]
    cdef char body[64]
    cdef char *buf
    cdef char *a2_end
    cdef char *w
    cdef Py_ssize_t hexlen = 32 if r.alg == SF_MD5 else 64
    cdef Py_ssize_t i, need
    cdef char c
    # The longest of the joined inputs below: A2 and A1 side by side, the -sess A1, the response.
    need = r.method.n + r.uri.n + hexlen + 2 + r.username.n + r.realm.n + r.password.n + 2
    need = max(need, hexlen + r.nonce.n + r.cnonce.n + 2)
    need = max(need, 2 * hexlen + r.nonce.n + r.nc.n + r.cnonce.n + r.qop_name.n + 5)
    buf = _buffer(stack, need)
    if buf == NULL:
        return E_MEMORY

    # A2 = Method ":" request-uri                                  (qop "auth" or absent)
    # A2 = Method ":" request-uri ":" H(entity-body)               (qop "auth-int")
    if r.qop == QOP_AUTH_INT:
        _hash_hex(r.alg, r.body.p, r.body.n, body)
    w = _put(buf, r.method.p, r.method.n)
    w = _field(w, r.uri)
    if r.qop == QOP_AUTH_INT:
        w[0] = c':'
        w = _put(w + 1, body, hexlen)
    a2_end = w
    if r.have_ha1:
        # A stored HA1 is hex already; RFC 7616 writes it in lowercase, so that is what is hashed.
        for i in range(hexlen):
            c = r.ha1.p[i]
            ha1[i] = c + 32 if c'A' <= c <= c'F' else c
        _hash_hex(r.alg, buf, a2_end - buf, ha2)
    else:
        # H(A1) and H(A2) do not depend on each other, so they are hashed as a pair.
        w = _a1(r, a2_end)
        sf_hash_hex_pair(
            r.alg, <const uint8_t *>a2_end, <size_t>(w - a2_end), ha1, <const uint8_t *>buf, <size_t>(a2_end - buf), ha2
        )
    if r.sess:
        # RFC 7616 §3.4.2, -sess:
        #   A1 = H( unq(username) ":" unq(realm) ":" passwd )
        #        ":" unq(nonce-prefix) ":" unq(cnonce-prefix)
        w = _put(buf, ha1, hexlen)
        w = _field(w, r.nonce)
        w = _field(w, r.cnonce)
        _hash_hex(r.alg, buf, w - buf, ha1)

    # response = KD(H(A1), unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop) ":" H(A2))
    # RFC 2069:  KD(H(A1), unq(nonce) ":" H(A2))
    # with KD(secret, data) = H(concat(secret, ":", data))
    w = _put(buf, ha1, hexlen)
    w = _field(w, r.nonce)
    if r.qop != QOP_NONE:
        w = _field(w, r.nc)
        w = _field(w, r.cnonce)
        w = _field(w, r.qop_name)
    w[0] = c':'
    w = _put(w + 1, ha2, hexlen)
    _hash_hex(r.alg, buf, w - buf, out)
    _release(buf, stack)
    return 0


cdef int _qop(object qop, Inputs *r) except -1:
    # qop-value = "auth" / "auth-int" / token; only the first two define a response.
    if PyUnicode_Check(qop):
        _span(qop, &r.qop_name)
        if r.qop_name.n == 4 and memcmp(r.qop_name.p, b"auth", 4) == 0:
            r.qop = QOP_AUTH
            return 0
        if r.qop_name.n == 8 and memcmp(r.qop_name.p, b"auth-int", 8) == 0:
            r.qop = QOP_AUTH_INT
            return 0
    return _raise(E_QOP, qop)


def canonical_algorithm(name):
    """The RFC 7616 spelling of an algorithm name (case-insensitive); None or "" is MD5."""
    return ALGORITHMS[_algorithm(name)]


def hash_hex(algorithm, data):
    """Lowercase hex digest of data (str as UTF-8) with the algorithm's base hash."""
    cdef int alg = _algorithm(algorithm) >> 1
    cdef char out[64]
    cdef Span s
    cdef Py_buffer view
    cdef Py_ssize_t n
    if PyUnicode_Check(data):
        _span(data, &s)
        n = _hash_hex(alg, s.p, s.n, out)
    else:
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        n = _hash_hex(alg, <const char *>view.buf, view.len, out)
        PyBuffer_Release(&view)
    return _ascii(out, n)


def digest_ha1(algorithm, username, realm, password):
    """H(username ":" realm ":" password) as hex, which a server may store instead of a password."""
    cdef Inputs r
    cdef char stack[STACK_SIZE]
    cdef char out[64]
    cdef char *buf
    cdef char *end
    memset(&r, 0, sizeof(r))
    r.alg = _algorithm(algorithm) >> 1
    _span(username, &r.username)
    _span(realm, &r.realm)
    _span(password, &r.password)
    buf = _buffer(stack, r.username.n + r.realm.n + r.password.n + 2)
    if buf == NULL:
        _raise(E_MEMORY)
    end = _a1(&r, buf)
    _hash_hex(r.alg, buf, end - buf, out)
    _release(buf, stack)
    return _ascii(out, 32 if r.alg == SF_MD5 else 64)


def digest_response(algorithm="MD5", username="", realm="", password=None, ha1=None, method="",
                    uri="", nonce="", qop=None, nc=None, cnonce=None, body=b""):
    """The request-digest of RFC 2617 / RFC 7616 as lowercase hex; see the pure-Python twin."""
    cdef Inputs r
    cdef Py_buffer view
    cdef char out[64]
    cdef char nc_text[8]
    cdef int index = _algorithm(algorithm)
    cdef int code
    cdef Py_ssize_t hexlen
    memset(&r, 0, sizeof(r))
    r.alg = index >> 1
    r.sess = index & 1
    hexlen = 32 if r.alg == SF_MD5 else 64

    if password is not None and ha1 is None:
        _span(username, &r.username)
        _span(realm, &r.realm)
        _span(password, &r.password)
    elif ha1 is not None and password is None:
        if not PyUnicode_Check(ha1):
            raise TypeError(f"ha1 must be str, not {type(ha1).__name__}")
        # Checked as characters first, so a non-ASCII or unencodable str is a DigestError.
        if not PyUnicode_IS_ASCII(ha1):
            _raise(E_HA1, hexlen)
        _span(ha1, &r.ha1)
        if r.ha1.n != hexlen or not _is_hex(r.ha1):
            _raise(E_HA1, hexlen)
        r.have_ha1 = True
    else:
        _raise(E_CREDENTIALS)

    if qop is not None:
        _qop(qop, &r)
        if nc is None:
            _raise(E_NC_MISSING)
        if cnonce is None:
            _raise(E_CNONCE_MISSING)
    if r.sess and cnonce is None:
        _raise(E_SESS_CNONCE, ALGORITHMS[index])
    if nc is not None:
        _nc(nc, nc_text, &r.nc)
    _span(nonce, &r.nonce)
    if cnonce is not None:
        _span(cnonce, &r.cnonce)
    _span(method, &r.method)
    _span(uri, &r.uri)

    if r.qop == QOP_AUTH_INT:
        PyObject_GetBuffer(body, &view, PyBUF_SIMPLE)
        r.body.p = <const char *>view.buf
        r.body.n = view.len
        code = _respond(&r, out)
        PyBuffer_Release(&view)
    else:
        code = _respond(&r, out)
    if code:
        _raise(code)
    return _ascii(out, hexlen)


def _force_portable(flag):
    # Tests only: True routes SHA-256 to the portable C even on a CPU with the SHA extensions.
    # Returns whether the SHA extensions are in use afterwards.
    return bool(sf_hash_init(1 if flag else 0))


sf_hash_init(0)
