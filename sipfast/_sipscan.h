/* The byte loops of the C parser twin: scanners over (const unsigned char *, length) that fill
 * structs of spans and report an error code with a byte offset; no Python object is touched here.
 *
 * Every scanner follows the pure-Python twin (_parser_py.py) step by step, so that both find the
 * same first fault at the same place. Positions are absolute byte offsets into the buffer given. */
#ifndef SIPFAST_SIPSCAN_H
#define SIPFAST_SIPSCAN_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * errors */

enum {
    SF_E_QUOTED = 1, SF_E_LIST, SF_E_PARAMS, SF_E_URI, SF_E_NAME_ADDR, SF_E_VIA, SF_E_CSEQ,
    SF_E_AUTH, SF_E_TOO_LARGE, SF_E_START_LINE, SF_E_VERSION, SF_E_STATUS, SF_E_METHOD,
    SF_E_REQUEST_URI, SF_E_HEADER, SF_E_HEADER_NAME, SF_E_NO_END, SF_E_CONTENT_LENGTH,
    SF_E_CSEQ_METHOD, SF_E_MEMORY
};

typedef struct {
    int code;
    Py_ssize_t off;
    const char *detail;
} sf_err;

static inline int sf_fail(sf_err *e, int code, Py_ssize_t off, const char *detail)
{
    e->code = code;
    e->off = off;
    e->detail = detail;
    return -1;
}

/* ---------------------------------------------------------------------------------------------
 * character classes (RFC 3261 §25.1) */

enum {
    SF_TOKEN = 1u << 0, SF_DIGIT = 1u << 1, SF_HEX = 1u << 2, SF_ALPHA = 1u << 3,
    SF_WS = 1u << 4, SF_HOST = 1u << 5, SF_IPV6 = 1u << 6, SF_GENVAL = 1u << 7,
    SF_USER = 1u << 8, SF_PASSWORD = 1u << 9, SF_PARAM = 1u << 10, SF_HNV = 1u << 11,
    SF_URIC = 1u << 12, SF_SCHEME = 1u << 13, SF_TEL = 1u << 14, SF_BADHOST = 1u << 15,
    SF_BADABS = 1u << 16, SF_NAMEBAD = 1u << 17, SF_REASONBAD = 1u << 18, SF_TOKEN68 = 1u << 19,
    /* stop sets of the scanning loops */
    SF_LISTSTOP = 1u << 20, SF_HPSTOP = 1u << 21, SF_COLON = 1u << 22, SF_EQSEMI = 1u << 23,
    /* the octets that end a plain run (see sf_delims64) */
    SF_DELIM = 1u << 24
};

static uint32_t sf_cls[256];

static void sf_class_add(uint32_t bit, const char *chars)
{
    for (; *chars; chars++)
        sf_cls[(unsigned char)*chars] |= bit;
}

static void sf_init_classes(void)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    /* mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")";  unreserved = alphanum / mark */
    static const char unreserved[] = "-_.!~*'()";
    int c;
    uint32_t ur = SF_USER | SF_PASSWORD | SF_PARAM | SF_HNV | SF_URIC;
    memset(sf_cls, 0, sizeof(sf_cls));
    sf_class_add(SF_ALPHA, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    sf_class_add(SF_DIGIT, "0123456789");
    sf_class_add(SF_HEX, "0123456789abcdefABCDEF");
    sf_class_add(SF_WS, " \t");
    /* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
    sf_class_add(SF_TOKEN | SF_GENVAL, alnum);
    sf_class_add(SF_TOKEN | SF_GENVAL, "-.!%*_+`'~");
    /* gen-value = token / host / quoted-string */
    sf_class_add(SF_GENVAL, "[]:");
    /* hostname = *( domainlabel "." ) toplabel [ "." ];  IPv6reference = "[" IPv6address "]" */
    sf_class_add(SF_HOST | SF_SCHEME | SF_TEL | SF_TOKEN68 | ur, alnum);
    sf_class_add(SF_HOST, "-.");
    sf_class_add(SF_IPV6, "0123456789abcdefABCDEF:.");
    sf_class_add(ur, unreserved);
    /* user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" (and escaped) */
    sf_class_add(SF_USER, "&=+$,;?/%");
    /* password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
    sf_class_add(SF_PASSWORD, "&=+$,%");
    /* param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" */
    sf_class_add(SF_PARAM, "[]/:&+$%");
    /* hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$" */
    sf_class_add(SF_HNV, "[]/?:+$%");
    /* uric (RFC 2396) */
    sf_class_add(SF_URIC, ";/?:@&=+$,%#[]");
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    sf_class_add(SF_SCHEME, "+-.");
    /* telephone-subscriber characters (RFC 3966), checked loosely */
    sf_class_add(SF_TEL, "-_.!~*'()%+#");
    sf_class_add(SF_BADHOST, " \t;,?<>\"@[]");
    sf_class_add(SF_BADABS, " \t\r\n<>\"");
    /* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
    sf_class_add(SF_TOKEN68, "-._~+/");
    sf_class_add(SF_LISTSTOP, "\"<>,");
    sf_class_add(SF_HPSTOP, ";?");
    sf_class_add(SF_COLON, ":");
    sf_class_add(SF_EQSEMI, "=;");
    sf_class_add(SF_DELIM, "\",:;<=>?@[\\]");
    for (c = 0; c <= 0x20; c++)
        sf_cls[c] |= SF_NAMEBAD | SF_DELIM;
    for (c = 0x80; c <= 0xff; c++)
        sf_cls[c] |= SF_DELIM;
    sf_cls[0x7f] |= SF_NAMEBAD | SF_REASONBAD | SF_DELIM;
    for (c = 0; c < 0x20; c++)
        if (c != '\t')
            sf_cls[c] |= SF_REASONBAD;
}

static inline int sf_is(unsigned char c, uint32_t cls) { return (sf_cls[c] & cls) != 0; }

static inline int sf_all(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, uint32_t cls)
{
    for (; a < b; a++)
        if (!(sf_cls[s[a]] & cls))
            return 0;
    return 1;
}

static inline int sf_any(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, uint32_t cls)
{
    for (; a < b; a++)
        if (sf_cls[s[a]] & cls)
            return 1;
    return 0;
}

/* Word-at-a-time comparisons need the octets of a word in memory order from its low end. */
#if PY_LITTLE_ENDIAN
#define SF_WORDS 1
#else
#define SF_WORDS 0
#endif
#define SF_FOLD 0x2020202020202020ULL /* ORed into ASCII letters: lowercase */

/* Code that runs for nearly every message is kept small and apart from what runs for few. */
#if defined(__GNUC__)
#define SF_NOINLINE __attribute__((noinline))
#define SF_COLD __attribute__((noinline, cold))
#define SF_CTZ64(x) __builtin_ctzll(x)
#define SF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SF_UNLIKELY(x) (x)
#define SF_NOINLINE
#define SF_COLD
static inline int sf_ctz64(uint64_t x) /* x != 0 */
{
    int k = 0;
    for (; !(x & 1); x >>= 1)
        k++;
    return k;
}
#define SF_CTZ64(x) sf_ctz64(x)
#endif

/* The first of one or two octets in s[a:b], or -1. SIP spans are short, so an inline loop beats a
 * call to memchr: 16 octets at a time with SSE2, then one by one. No load reaches past b. */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline Py_ssize_t sf_find2(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int c1, int c2)
{
#if defined(__SSE2__)
    const __m128i v1 = _mm_set1_epi8((char)c1), v2 = _mm_set1_epi8((char)c2);
    __m128i v;
    int mask;
    for (; a + 16 <= b; a += 16) {
        v = _mm_loadu_si128((const __m128i *)(s + a));
        mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, v1), _mm_cmpeq_epi8(v, v2)));
        if (mask)
            return a + __builtin_ctz((unsigned)mask);
    }
#endif
    for (; a < b; a++)
        if (s[a] == c1 || s[a] == c2)
            return a;
    return -1;
}

static inline Py_ssize_t sf_find(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int c)
{
    return sf_find2(s, a, b, c, c);
}

/* the first octet of s[a:b] in class cls (which holds the up to four octets c1..c4), or b */
static inline Py_ssize_t sf_find_class(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, uint32_t cls,
                                       int c1, int c2, int c3, int c4)
{
#if defined(__SSE2__)
    const __m128i v1 = _mm_set1_epi8((char)c1), v2 = _mm_set1_epi8((char)c2);
    const __m128i v3 = _mm_set1_epi8((char)c3), v4 = _mm_set1_epi8((char)c4);
    __m128i x;
    int mask;
    for (; a + 16 <= b; a += 16) {
        x = _mm_loadu_si128((const __m128i *)(s + a));
        mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, v1), _mm_cmpeq_epi8(x, v2)),
                                              _mm_or_si128(_mm_cmpeq_epi8(x, v3), _mm_cmpeq_epi8(x, v4))));
        if (mask)
            return a + __builtin_ctz((unsigned)mask);
    }
#else
    (void)c1, (void)c2, (void)c3, (void)c4;
#endif
    while (a < b && !(sf_cls[s[a]] & cls))
        a++;
    return a;
}

static inline Py_ssize_t sf_skip_ws(const unsigned char *s, Py_ssize_t i, Py_ssize_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

static inline Py_ssize_t sf_rstrip(const unsigned char *s, Py_ssize_t a, Py_ssize_t b)
{
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
        b--;
    return b;
}

static inline Py_ssize_t sf_scan_class(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, uint32_t cls)
{
    while (i < n && (sf_cls[s[i]] & cls))
        i++;
    return i;
}

/* the first octet at or after i in class cls, or n */
static inline Py_ssize_t sf_scan_until(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, uint32_t cls)
{
    while (i < n && !(sf_cls[s[i]] & cls))
        i++;
    return i;
}

/* s[0:n] equals the NUL-terminated lowercase text, ASCII case-insensitively */
static inline int sf_lower_eq(const unsigned char *s, Py_ssize_t n, const char *lower)
{
    Py_ssize_t k;
    for (k = 0; k < n; k++) {
        unsigned char c = s[k];
        if (c >= 'A' && c <= 'Z')
            c += 32;
        if (c != (unsigned char)lower[k] || !lower[k])
            return 0;
    }
    return lower[n] == 0;
}

/* no octet above 0x7f? */
static inline int sf_is_ascii(const unsigned char *s, Py_ssize_t n)
{
    uint64_t w, acc = 0;
    uint32_t h;
    Py_ssize_t k = 0;
    if (n >= 8) {
        /* words, the last one overlapping its predecessor */
        for (; k + 8 < n; k += 8) {
            memcpy(&w, s + k, 8);
            acc |= w;
        }
        memcpy(&w, s + n - 8, 8);
        acc |= w;
    } else if (n >= 4) {
        memcpy(&h, s, 4);
        acc = h;
        memcpy(&h, s + n - 4, 4);
        acc |= h;
    } else
        for (; k < n; k++)
            acc |= s[k];
    return (acc & 0x8080808080808080ULL) == 0;
}

/* ASCII case-insensitive equality of two n-octet strings */
static inline int sf_hex(unsigned char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

enum { SF_LOWER, SF_UNQUOTE, SF_UNESCAPE };

/* dst (room for n octets) = s[0:n] with ASCII letters lowercased (SF_LOWER), with each quoted-pair
 * replaced by its character (SF_UNQUOTE: a lone trailing backslash stays), or with each %HH
 * replaced by its octet (SF_UNESCAPE: any other '%' stays); returns the length written. */
static inline Py_ssize_t sf_transform(unsigned char *dst, const unsigned char *s, Py_ssize_t n, int op)
{
    Py_ssize_t k = 0, j = 0;
    while (k < n) {
        if (op == SF_LOWER)
            dst[j] = s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k];
        else if (op == SF_UNQUOTE && s[k] == '\\' && k + 1 < n)
            dst[j] = s[++k];
        else if (op == SF_UNESCAPE && s[k] == '%' && k + 2 < n && sf_hex(s[k + 1]) >= 0 && sf_hex(s[k + 2]) >= 0) {
            dst[j] = (unsigned char)(sf_hex(s[k + 1]) * 16 + sf_hex(s[k + 2]));
            k += 2;
        } else
            dst[j] = s[k];
        j++;
        k++;
    }
    return j;
}

static inline int sf_ieq(const unsigned char *a, const unsigned char *b, Py_ssize_t n)
{
    Py_ssize_t k;
    for (k = 0; k < n; k++) {
        unsigned char x = a[k], y = b[k];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return 0;
    }
    return 1;
}

/* A tuple-subclass instance (the named tuples of _values) with n empty slots, as tuple.__new__
 * allocates it; the caller fills every slot before the object is used. */
static inline PyObject *sf_tuple_alloc(PyObject *type, Py_ssize_t n)
{
    return ((PyTypeObject *)type)->tp_alloc((PyTypeObject *)type, n);
}

/* quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE;  quoted-pair = "\" (any char)
 * The end (exclusive) of the quoted-string opening at s[i], or -1 when it is not closed. */
static inline Py_ssize_t sf_scan_quoted(const unsigned char *s, Py_ssize_t i, Py_ssize_t n)
{
    Py_ssize_t j = i + 1;
    while ((j = sf_find2(s, j, n, '"', '\\')) >= 0) {
        if (s[j] == '"')
            return j + 1;
        j += 2;
    }
    return -1;
}

/* qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII; a quoted-pair excludes CR and LF */
static inline int sf_check_quoted(const unsigned char *s, Py_ssize_t i, Py_ssize_t j, sf_err *e)
{
    Py_ssize_t k = i + 1;
    while (k < j - 1) {
        unsigned char c = s[k];
        if (c == '\\') {
            if (s[k + 1] == '\r' || s[k + 1] == '\n')
                return sf_fail(e, SF_E_QUOTED, k, "CR or LF in a quoted-pair");
            k += 2;
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return sf_fail(e, SF_E_QUOTED, k, "control character in a quoted string");
        k++;
    }
    return 0;
}

/* escaped = "%" HEXDIG HEXDIG; every other octet must be in cls */
static inline int sf_check_chars(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, uint32_t cls,
                                 int code, sf_err *e)
{
    Py_ssize_t k = a;
    while (k < b) {
        unsigned char c = s[k];
        if (!(sf_cls[c] & cls))
            return sf_fail(e, code, k, "character not allowed here");
        if (c == '%') {
            if (k + 2 >= b || !sf_is(s[k + 1], SF_HEX) || !sf_is(s[k + 2], SF_HEX))
                return sf_fail(e, code, k, "bad escape");
            k += 3;
            continue;
        }
        k++;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * lists: elements separated by commas outside quotes and <> */

typedef struct {
    Py_ssize_t i, start;
    int angle, done;
} sf_list;

static inline int sf_list_begin(const unsigned char *s, Py_ssize_t n, int strict, sf_list *it, sf_err *e)
{
    it->i = it->start = 0;
    it->angle = it->done = 0;
    /* an empty value is no element at all; blank text (no comma either) is an empty element */
    if (sf_skip_ws(s, 0, n) >= n) {
        it->done = 1;
        if (strict && n > 0)
            return sf_fail(e, SF_E_LIST, 0, "empty list element");
    }
    return 0;
}

/* 1: the next element is s[*a:*b] (stripped); 0: no more; -1: error */
static inline int sf_list_next(const unsigned char *s, Py_ssize_t n, int strict, sf_list *it,
                               Py_ssize_t *a, Py_ssize_t *b, sf_err *e)
{
    Py_ssize_t i = it->i, pa, pb;
    *a = *b = 0;
    if (it->done)
        return 0;
    while ((i = sf_find_class(s, i, n, SF_LISTSTOP, '"', '<', '>', ',')) < n) {
        unsigned char c = s[i];
        if (c == '"' && !it->angle) {
            Py_ssize_t j = sf_scan_quoted(s, i, n);
            if (j < 0)
                return sf_fail(e, SF_E_QUOTED, i, "quoted string is not closed");
            i = j;
            continue;
        }
        if (c == '<')
            it->angle = 1;
        else if (c == '>')
            it->angle = 0;
        else if (c == ',' && !it->angle) {
            pa = sf_skip_ws(s, it->start, i);
            pb = sf_rstrip(s, pa, i);
            it->start = it->i = i + 1;
            if (pa < pb) {
                *a = pa;
                *b = pb;
                return 1;
            }
            if (strict)
                return sf_fail(e, SF_E_LIST, i, "empty list element");
        }
        i++;
    }
    it->i = i;
    it->done = 1;
    pa = sf_skip_ws(s, it->start, n);
    pb = sf_rstrip(s, pa, n);
    if (pa < pb) {
        *a = pa;
        *b = pb;
        return 1;
    }
    if (strict)
        return sf_fail(e, SF_E_LIST, n, "empty list element");
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * generic-param = token [ EQUAL gen-value ];  gen-value = token / host / quoted-string */

typedef struct {
    Py_ssize_t na, nb, va, vb; /* name, value (as written); va < 0 for a flag */
} sf_param;

typedef struct {
    Py_ssize_t i, n;
    int done, quotes;
} sf_params;

/* Start parse_params over s[from:n] (a leading ';' is optional). The whole list is split before any
 * element is looked at, so an unclosed quote anywhere is the first fault. */
static inline int sf_params_begin(const unsigned char *s, Py_ssize_t from, Py_ssize_t n, sf_params *it, sf_err *e)
{
    Py_ssize_t i = sf_skip_ws(s, from, n), j;
    it->n = n;
    it->i = i;
    it->quotes = 0;
    it->done = i >= n;
    if (it->done)
        return 0;
    if (s[i] == ';')
        i++;
    it->i = i;
    while ((i = sf_find(s, i, n, '"')) >= 0) {
        it->quotes = 1;
        j = sf_scan_quoted(s, i, n);
        if (j < 0)
            return sf_fail(e, SF_E_QUOTED, i, "quoted string is not closed");
        i = j;
    }
    return 0;
}

/* one element s[a:b]; eq is its first '=' (-1: none), or -2 when still to be found */
static inline int sf_param_elem(const unsigned char *s, Py_ssize_t n, Py_ssize_t a, Py_ssize_t b, Py_ssize_t eq,
                                int strict, sf_param *p, sf_err *e)
{
    Py_ssize_t ne, va, vb, end;
    if (eq == -2)
        eq = sf_find(s, a, b, '=');
    ne = eq < 0 ? b : eq;
    p->na = sf_skip_ws(s, a, ne);
    p->nb = sf_rstrip(s, p->na, ne);
    if (p->na == p->nb)
        return sf_fail(e, SF_E_PARAMS, a, "empty parameter");
    if (strict && !sf_all(s, p->na, p->nb, SF_TOKEN))
        return sf_fail(e, SF_E_PARAMS, a, "parameter name is not a token");
    p->va = p->vb = -1;
    if (eq < 0)
        return 0;
    va = sf_skip_ws(s, eq + 1, b);
    vb = sf_rstrip(s, va, b);
    if (va < vb && s[va] == '"') {
        /* the quoted string may run past this element when quotes pair up differently here */
        end = sf_scan_quoted(s, va, n);
        if (end < 0)
            return sf_fail(e, SF_E_QUOTED, va, "quoted string is not closed");
        if (end < b && sf_skip_ws(s, end, b) < b)
            return sf_fail(e, SF_E_PARAMS, end, "text after a quoted parameter value");
        if (strict && sf_check_quoted(s, va, end, e) < 0)
            return -1;
    } else if (va == vb || (strict && !sf_all(s, va, vb, SF_GENVAL)))
        return sf_fail(e, SF_E_PARAMS, eq + 1, "bad parameter value");
    p->va = va;
    p->vb = vb;
    return 0;
}

/* 1: *p holds the next parameter; 0: no more; -1: error */
static inline int sf_params_next(const unsigned char *s, int strict, sf_params *it, sf_param *p, sf_err *e)
{
    Py_ssize_t a = it->i, b = a, n = it->n, j, eq = -2;
    p->na = p->nb = p->va = p->vb = -1;
    if (it->done)
        return 0;
    if (!it->quotes) {
        /* one pass finds '=' and the end of the element */
        b = sf_scan_until(s, a, n, SF_EQSEMI);
        eq = -1;
        if (b < n && s[b] == '=') {
            eq = b;
            b = sf_find(s, b + 1, n, ';');
            if (b < 0)
                b = n;
        }
    }
    while (b < n && s[b] != ';') {
        if (s[b] == '"') {
            j = sf_scan_quoted(s, b, n);
            b = j < 0 ? n : j;
        } else
            b++;
    }
    if (b >= n) {
        b = n;
        it->done = 1;
    } else
        it->i = b + 1;
    return sf_param_elem(s, n, a, b, eq, strict, p, e) < 0 ? -1 : 1;
}

/* The value span of the first parameter called `lower` (a flag gives va < 0); every parameter is
 * checked. 1: found, 0: absent, -1: error. */
static inline int sf_params_find(const unsigned char *s, Py_ssize_t from, Py_ssize_t n, int strict,
                                 const char *lower, sf_param *out, sf_err *e)
{
    sf_params it;
    sf_param p;
    int r, found = 0;
    out->na = out->nb = out->va = out->vb = -1;
    if (sf_params_begin(s, from, n, &it, e) < 0)
        return -1;
    while ((r = sf_params_next(s, strict, &it, &p, e)) > 0)
        if (!found && sf_lower_eq(s + p.na, p.nb - p.na, lower)) {
            *out = p;
            found = 1;
        }
    return r < 0 ? -1 : found;
}

/* ---------------------------------------------------------------------------------------------
 * URIs: SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
 *       userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
 *       hostport = host [ ":" port ];  host = hostname / IPv4address / IPv6reference */

enum { SF_KIND_OTHER = 0, SF_KIND_SIP, SF_KIND_SIPS, SF_KIND_TEL };

typedef struct {
    int kind;
    Py_ssize_t ta, tb;   /* the URI text (stripped when lenient) */
    Py_ssize_t sa, sb;   /* scheme */
    Py_ssize_t ua, ub;   /* user (the number of a tel: URI); ua < 0 when absent */
    Py_ssize_t wa, wb;   /* password; wa < 0 when absent */
    Py_ssize_t ha, hb;   /* host; ha < 0 when absent */
    long port;           /* -1 when absent */
    Py_ssize_t pa, pb;   /* uri-parameters after ';'; pa < 0 when absent */
    Py_ssize_t qa;       /* headers after '?', up to tb; qa < 0 when absent */
} sf_uri;

/* port = 1*DIGIT, at most 65535; errors at `base` */
static inline long sf_port(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, Py_ssize_t base, int code, sf_err *e)
{
    long v = 0;
    Py_ssize_t k;
    if (a >= b || b - a > 5)
        return sf_fail(e, code, base, "bad port");
    for (k = a; k < b; k++) {
        if (s[k] < '0' || s[k] > '9')
            return sf_fail(e, code, base, "bad port");
        v = v * 10 + (s[k] - '0');
    }
    if (v > 65535)
        return sf_fail(e, code, base, "port out of range");
    return v;
}

static inline int sf_check_host(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int strict, Py_ssize_t base,
                                int code, sf_err *e)
{
    if (a >= b)
        return sf_fail(e, code, base, "empty host");
    if (s[a] == '[') {
        if (b - a < 4 || s[b - 1] != ']' || sf_find(s, a, b, ':') < 0 || !sf_all(s, a + 1, b - 1, SF_IPV6))
            return sf_fail(e, code, base, "bad IPv6 reference");
    } else if (strict) {
        if (!sf_all(s, a, b, SF_HOST))
            return sf_fail(e, code, base, "bad host");
    } else if (sf_any(s, a, b, SF_BADHOST))
        return sf_fail(e, code, base, "bad host");
    return 0;
}

/* hostport in s[a:b]; offsets reported from `base` plus the position inside s[a:b] */
static inline int sf_hostport(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int strict, Py_ssize_t base,
                              sf_uri *u, sf_err *e)
{
    Py_ssize_t split, close;
    if (a < b && s[a] == '[') {
        close = sf_find(s, a, b, ']');
        split = close >= 0 ? close + 1 : b;
        if (split < b && s[split] != ':')
            return sf_fail(e, SF_E_URI, base + (split - a), "text after the IPv6 reference");
    } else {
        split = sf_find(s, a, b, ':');
        if (split < 0)
            split = b;
    }
    if (sf_check_host(s, a, split, strict, base, SF_E_URI, e) < 0)
        return -1;
    u->ha = a;
    u->hb = split;
    if (split < b) {
        u->port = sf_port(s, split + 1, b, base + (split + 1 - a), SF_E_URI, e);
        if (u->port < 0)
            return -1;
    }
    return 0;
}

/* uri-parameter = pname [ "=" pvalue ]: one element s[a:b]; name and value stripped for the caller */
static inline int sf_uri_param(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int strict, sf_param *p, sf_err *e)
{
    Py_ssize_t pa = a, pb = b, eq, ne;
    p->na = p->nb = p->va = p->vb = -1;
    if (!strict) {
        pa = sf_skip_ws(s, a, b);
        pb = sf_rstrip(s, pa, b);
    }
    if (pa == pb)
        return sf_fail(e, SF_E_URI, a, "empty URI parameter");
    eq = sf_find(s, pa, pb, '=');
    ne = eq < 0 ? pb : eq;
    if (strict) {
        if (sf_check_chars(s, pa, ne, SF_PARAM, SF_E_URI, e) < 0)
            return -1;
        if (eq >= 0 && sf_check_chars(s, eq + 1, pb, SF_PARAM, SF_E_URI, e) < 0)
            return -1;
    }
    if (ne == pa || (strict && eq >= 0 && eq + 1 == pb))
        return sf_fail(e, SF_E_URI, a, "bad URI parameter");
    p->na = sf_skip_ws(s, pa, ne);
    p->nb = sf_rstrip(s, p->na, ne);
    p->va = p->vb = -1;
    if (eq >= 0) {
        p->va = sf_skip_ws(s, eq + 1, pb);
        p->vb = sf_rstrip(s, p->va, pb);
    }
    return 0;
}

/* header = hname "=" hvalue: one element s[a:b] */
static inline int sf_uri_header(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int strict, sf_param *p, sf_err *e)
{
    Py_ssize_t eq = sf_find(s, a, b, '=');
    p->na = p->nb = p->va = p->vb = -1;
    if (eq <= a)
        return sf_fail(e, SF_E_URI, a, "bad URI header");
    if (strict && (sf_check_chars(s, a, eq, SF_HNV, SF_E_URI, e) < 0 ||
                   sf_check_chars(s, eq + 1, b, SF_HNV, SF_E_URI, e) < 0))
        return -1;
    p->na = a;
    p->nb = eq;
    p->va = eq + 1;
    p->vb = b;
    return 0;
}

/* every element of s[a:b] split at sep, checked by one of the two element scanners above */
static inline int sf_uri_elems(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int sep, int strict, sf_err *e)
{
    sf_param p;
    Py_ssize_t end;
    for (;;) {
        end = sf_find(s, a, b, sep);
        if (end < 0)
            end = b;
        if ((sep == ';' ? sf_uri_param(s, a, end, strict, &p, e) : sf_uri_header(s, a, end, strict, &p, e)) < 0)
            return -1;
        if (end >= b)
            return 0;
        a = end + 1;
    }
}

static inline int sf_uri_scan(const unsigned char *s, Py_ssize_t a0, Py_ssize_t n0, int strict, sf_uri *u, sf_err *e)
{
    Py_ssize_t ta = a0, tb = n0, colon, start, at, uc, hp_start, hp_end, hpa, hpb, q, p_end, semi, k;
    if (!strict) {
        ta = sf_skip_ws(s, a0, n0);
        tb = sf_rstrip(s, ta, n0);
    }
    u->kind = SF_KIND_OTHER;
    u->ta = ta;
    u->tb = tb;
    u->ua = u->wa = u->ha = u->pa = u->qa = -1;
    u->ub = u->wb = u->hb = u->pb = -1;
    u->port = -1;
    colon = sf_find(s, ta, tb, ':');
    if (colon <= ta)
        return sf_fail(e, SF_E_URI, ta, "no scheme");
    if (!sf_is(s[ta], SF_ALPHA) || !sf_all(s, ta, colon, SF_SCHEME))
        return sf_fail(e, SF_E_URI, ta, "bad scheme");
    u->sa = ta;
    u->sb = colon;
    k = colon - ta;
    if (k == 3 && sf_lower_eq(s + ta, 3, "sip"))
        u->kind = SF_KIND_SIP;
    else if (k == 4 && sf_lower_eq(s + ta, 4, "sips"))
        u->kind = SF_KIND_SIPS;
    else if (k == 3 && sf_lower_eq(s + ta, 3, "tel"))
        u->kind = SF_KIND_TEL;
    start = colon + 1;
    if (u->kind == SF_KIND_SIP || u->kind == SF_KIND_SIPS) {
        at = sf_find(s, start, tb, '@');
        hp_start = start;
        if (at >= 0) {
            uc = sf_find(s, start, at, ':');
            u->ua = start;
            u->ub = uc >= 0 ? uc : at;
            if (uc >= 0) {
                u->wa = uc + 1;
                u->wb = at;
            }
            if (strict) {
                if (u->ua == u->ub)
                    return sf_fail(e, SF_E_URI, start, "empty user");
                if (sf_check_chars(s, u->ua, u->ub, SF_USER, SF_E_URI, e) < 0)
                    return -1;
                if (uc >= 0 && sf_check_chars(s, u->wa, u->wb, SF_PASSWORD, SF_E_URI, e) < 0)
                    return -1;
            }
            hp_start = at + 1;
        }
        hp_end = sf_find_class(s, hp_start, tb, SF_HPSTOP, ';', '?', ';', '?');
        hpa = hp_start;
        hpb = hp_end;
        if (!strict) {
            hpa = sf_skip_ws(s, hpa, hpb);
            hpb = sf_rstrip(s, hpa, hpb);
        }
        if (sf_hostport(s, hpa, hpb, strict, hp_start, u, e) < 0)
            return -1;
        q = sf_find(s, hp_end, tb, '?');
        p_end = q >= 0 ? q : tb;
        if (hp_end < p_end && s[hp_end] == ';') {
            u->pa = hp_end + 1;
            u->pb = p_end;
            if (sf_uri_elems(s, u->pa, u->pb, ';', strict, e) < 0)
                return -1;
        }
        if (q >= 0) {
            u->qa = q + 1;
            if (sf_uri_elems(s, u->qa, tb, '&', strict, e) < 0)
                return -1;
        }
        return 0;
    }
    if (u->kind == SF_KIND_TEL) {
        /* telephone-subscriber = global-number / local-number (RFC 3966), then ;params */
        semi = sf_find(s, start, tb, ';');
        u->ua = start;
        u->ub = semi >= 0 ? semi : tb;
        if (u->ua == u->ub || (strict && !sf_all(s, u->ua, u->ub, SF_TEL)))
            return sf_fail(e, SF_E_URI, start, "bad telephone number");
        if (semi >= 0) {
            u->pa = semi + 1;
            u->pb = tb;
            if (sf_uri_elems(s, u->pa, u->pb, ';', strict, e) < 0)
                return -1;
        }
        return 0;
    }
    if (start >= tb || sf_any(s, start, tb, SF_BADABS))
        return sf_fail(e, SF_E_URI, start, "bad absolute URI");
    if (strict && sf_check_chars(s, start, tb, SF_URIC, SF_E_URI, e) < 0)
        return -1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * name-addr = [ display-name ] LAQUOT addr-spec RAQUOT;  display-name = *(token LWS)/ quoted-string
 * In the addr-spec form the URI ends at the first ';' (what follows are header params). */

enum { SF_DISPLAY_NONE = 0, SF_DISPLAY_QUOTED, SF_DISPLAY_PLAIN };

typedef struct {
    int display;
    Py_ssize_t da, db;   /* display-name (quotes included when quoted) */
    sf_uri uri;
    Py_ssize_t pstart;   /* header params: parse_params over s[pstart:n]; -1 when there are none */
} sf_naddr;

static inline int sf_naddr_scan(const unsigned char *s, Py_ssize_t n, int strict, sf_naddr *na, sf_err *e)
{
    Py_ssize_t i = sf_skip_ws(s, 0, n), j, lt, gt, k, semi, spec_end;
    na->display = SF_DISPLAY_NONE;
    na->pstart = -1;
    if (i >= n)
        return sf_fail(e, SF_E_NAME_ADDR, 0, "empty address");
    if (s[i] == '"') {
        j = sf_scan_quoted(s, i, n);
        if (j < 0)
            return sf_fail(e, SF_E_QUOTED, i, "quoted string is not closed");
        if (strict && sf_check_quoted(s, i, j, e) < 0)
            return -1;
        na->display = SF_DISPLAY_QUOTED;
        na->da = i;
        na->db = j;
        lt = sf_skip_ws(s, j, n);
        if (lt >= n || s[lt] != '<')
            return sf_fail(e, SF_E_NAME_ADDR, lt, "expected '<' after the display name");
    } else {
        /* a display name holds no ';' (params follow the address), so a '<' after the first ';'
         * belongs to a param value of an addr-spec: sip:a@b;p="<" */
        semi = sf_find(s, i, n, ';');
        lt = sf_find(s, i, semi < 0 ? n : semi, '<');
        if (lt >= 0) {
            na->da = i;
            na->db = sf_rstrip(s, i, lt);
            if (na->da < na->db) {
                na->display = SF_DISPLAY_PLAIN;
                if (strict && !sf_all(s, na->da, na->db, SF_TOKEN | SF_WS))
                    return sf_fail(e, SF_E_NAME_ADDR, i, "display name with non-token characters must be quoted");
            }
        }
    }
    if (lt >= 0) {
        gt = sf_find(s, lt + 1, n, '>');
        if (gt < 0)
            return sf_fail(e, SF_E_NAME_ADDR, lt, "'<' is not closed");
        if (strict && gt > lt + 1 && (sf_is(s[lt + 1], SF_WS) || sf_is(s[gt - 1], SF_WS)))
            return sf_fail(e, SF_E_NAME_ADDR, lt + 1, "whitespace inside <>");
        if (sf_uri_scan(s, lt + 1, gt, strict, &na->uri, e) < 0)
            return -1;
        k = sf_skip_ws(s, gt + 1, n);
        if (k >= n)
            return 0;
        if (s[k] != ';')
            return sf_fail(e, SF_E_NAME_ADDR, k, "text after '>'");
        na->pstart = k;
        return 0;
    }
    semi = sf_find(s, i, n, ';');
    if (semi < 0)
        semi = n;
    spec_end = sf_rstrip(s, i, semi);
    if (strict && (sf_find(s, i, spec_end, ',') >= 0 || sf_find(s, i, spec_end, '?') >= 0))
        return sf_fail(e, SF_E_NAME_ADDR, i, "an address with ',' or '?' must be enclosed in <>");
    if (strict && sf_any(s, i, spec_end, SF_WS))
        return sf_fail(e, SF_E_NAME_ADDR, i, "whitespace inside the address");
    if (sf_uri_scan(s, i, spec_end, strict, &na->uri, e) < 0)
        return -1;
    if (semi < n)
        na->pstart = semi;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 * sent-protocol = protocol-name SLASH protocol-version SLASH transport;  SLASH = SWS "/" SWS
 * sent-by = host [ COLON port ] */

typedef struct {
    Py_ssize_t pa[3], pb[3]; /* protocol-name, protocol-version, transport */
    Py_ssize_t ha, hb;
    long port;
    Py_ssize_t pstart;       /* parse_params over s[pstart:n]; -1 when there are none */
} sf_via;

static inline int sf_via_scan(const unsigned char *s, Py_ssize_t n, int strict, sf_via *v, sf_err *e)
{
    Py_ssize_t i = sf_skip_ws(s, 0, n), j = i, h, close, p;
    int k;
    v->port = -1;
    v->pstart = -1;
    k = 0;
    if (n - i >= 8 && memcmp(s + i, "SIP/2.0/", 8) == 0) {
        /* the usual protocol: the scan below would find these two tokens and slashes */
        v->pa[0] = i;
        v->pb[0] = i + 3;
        v->pa[1] = i + 4;
        v->pb[1] = i + 7;
        i = sf_skip_ws(s, i + 8, n);
        k = 2;
    }
    for (; k < 3; k++) {
        j = sf_scan_class(s, i, n, SF_TOKEN);
        if (j == i)
            return sf_fail(e, SF_E_VIA, i, "bad sent-protocol");
        v->pa[k] = i;
        v->pb[k] = j;
        i = sf_skip_ws(s, j, n);
        if (k < 2) {
            if (i >= n || s[i] != '/')
                return sf_fail(e, SF_E_VIA, i, "expected '/' in sent-protocol");
            i = sf_skip_ws(s, i + 1, n);
        }
    }
    if (i == j)
        return sf_fail(e, SF_E_VIA, i, "expected whitespace before sent-by");
    h = i;
    if (!strict && h < n && s[h] != '[') {
        /* lenient host: one scan up to the first of " \t;:," or of the octets a host may not hold */
        i = sf_scan_until(s, h, n, SF_BADHOST | SF_COLON);
        if (i == h || (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != ';' && s[i] != ':' && s[i] != ','))
            return sf_fail(e, SF_E_VIA, h, i == h ? "empty host" : "bad host");
    } else {
        if (h < n && s[h] == '[') {
            close = sf_find(s, h, n, ']');
            i = close < 0 ? n : close + 1;
        }
        while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != ';' && s[i] != ':' && s[i] != ',')
            i++;
        if (sf_check_host(s, h, i, strict, h, SF_E_VIA, e) < 0)
            return -1;
    }
    v->ha = h;
    v->hb = i;
    i = sf_skip_ws(s, i, n);
    if (i < n && s[i] == ':') { /* COLON = SWS ":" SWS */
        p = i = sf_skip_ws(s, i + 1, n);
        i = sf_scan_class(s, i, n, SF_DIGIT);
        v->port = sf_port(s, p, i, p, SF_E_VIA, e);
        if (v->port < 0)
            return -1;
        i = sf_skip_ws(s, i, n);
    }
    if (i < n) {
        if (s[i] != ';')
            return sf_fail(e, SF_E_VIA, i, "expected ';' after sent-by");
        v->pstart = i;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * CSeq = 1*DIGIT LWS Method; the number fits 32 bits (under 2**31 when strict) */

static inline int sf_cseq_scan(const unsigned char *s, Py_ssize_t n, int strict, uint64_t *number,
                               Py_ssize_t *ma, Py_ssize_t *mb, sf_err *e)
{
    Py_ssize_t i = sf_skip_ws(s, 0, n), j = sf_scan_class(s, i, n, SF_DIGIT), z = i, k, m;
    uint64_t v = 0;
    *number = 0;
    *ma = *mb = 0;
    if (j == i)
        return sf_fail(e, SF_E_CSEQ, i, "CSeq has no number");
    while (z < j && s[z] == '0')
        z++;
    if (j - z > 10)
        return sf_fail(e, SF_E_CSEQ, i, "CSeq number out of range");
    for (k = z; k < j; k++)
        v = v * 10 + (uint64_t)(s[k] - '0');
    if (v > (strict ? 2147483647ULL : 4294967295ULL))
        return sf_fail(e, SF_E_CSEQ, i, "CSeq number out of range");
    k = sf_skip_ws(s, j, n);
    if (k == j)
        return sf_fail(e, SF_E_CSEQ, j, "expected whitespace after the CSeq number");
    m = sf_scan_class(s, k, n, SF_TOKEN);
    if (m == k || sf_skip_ws(s, m, n) != n)
        return sf_fail(e, SF_E_CSEQ, k, "bad CSeq method");
    *number = v;
    *ma = k;
    *mb = m;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * one param of the topmost Via or of a From / To, for MessageIndex.branch and the tags
 *
 * The usual shapes of these values (plain forms) are decided by one short walk from delimiter to
 * delimiter. Any other shape, and every fault, is left to the general scanners, which find the
 * same answer for a plain form, and the fault and its offset for the rest. The walk is kept small:
 * it runs for nearly every message, next to the interpreter's own hot code.
 *
 * A plain run is a stretch of printable ASCII holding none of the octets a lenient scanner splits
 * at or rejects: SP, HT, CTL, DEL, non-ASCII and " , : ; < = > ? @ [ \ ] end it. */

/* the delimiters among the 64 octets at p, one bit each */
static SF_NOINLINE uint64_t sf_delims64(const unsigned char *p)
{
    uint64_t m = 0;
    int k;
#if defined(__SSE2__)
    /* x + (0x80 - first) < 0x80 + count, signed: first <= x < first + count; x + 1 < 0x22, signed,
     * holds for CTL, SP, DEL and every octet above 0x7f */
    const __m128i one = _mm_set1_epi8(1), low = _mm_set1_epi8(0x22);
    const __m128i quote = _mm_set1_epi8('"'), comma = _mm_set1_epi8(',');
    const __m128i r1 = _mm_set1_epi8((char)(0x80 - ':')), n1 = _mm_set1_epi8((char)(0x80 + 7)); /* :;<=>?@ */
    const __m128i r2 = _mm_set1_epi8((char)(0x80 - '[')), n2 = _mm_set1_epi8((char)(0x80 + 3)); /* [\] */
    __m128i x, d;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 1
#endif
    for (k = 0; k < 64; k += 16) {
        x = _mm_loadu_si128((const __m128i *)(p + k));
        d = _mm_or_si128(_mm_cmplt_epi8(_mm_add_epi8(x, one), low),
                         _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, comma)));
        d = _mm_or_si128(d, _mm_or_si128(_mm_cmplt_epi8(_mm_add_epi8(x, r1), n1),
                                         _mm_cmplt_epi8(_mm_add_epi8(x, r2), n2)));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(d) << k;
    }
#else
    for (k = 0; k < 64; k++)
        m |= (uint64_t)((sf_cls[p[k]] & SF_DELIM) != 0) << k;
#endif
    return m;
}

/* the delimiters of s[base:base+64] before n, one bit each; `room` octets from s are readable */
static SF_NOINLINE uint64_t sf_delims_at(const unsigned char *s, Py_ssize_t base, Py_ssize_t n, Py_ssize_t room)
{
    unsigned char buf[64];
    uint64_t m;
    if (base + 64 <= room)
        m = sf_delims64(s + base);
    else {
        memset(buf, 0, sizeof(buf));
        memcpy(buf, s + base, (size_t)(room - base));
        m = sf_delims64(buf);
    }
    return n - base < 64 ? m & (((uint64_t)1 << (n - base)) - 1) : m;
}

/* Hands out the delimiters of s[0:n] one after the other, from a start on, finding them 64 octets
 * at a time. Only the finding is a call: the walks below keep the cursor in registers. */
typedef struct {
    const unsigned char *s;
    Py_ssize_t n, room, base;
    uint64_t m; /* the delimiters of s[base:base+64] before n not handed out yet */
} sf_cursor;

static inline void sf_cursor_init(sf_cursor *c, const unsigned char *s, Py_ssize_t from, Py_ssize_t n,
                                  Py_ssize_t room)
{
    c->s = s;
    c->n = n;
    c->room = room;
    c->base = from;
    c->m = sf_delims_at(s, from, n, room);
}

/* the next delimiter, or n when there is none */
static inline Py_ssize_t sf_cursor_next(sf_cursor *c)
{
    Py_ssize_t at;
    while (SF_UNLIKELY(c->m == 0)) {
        if (c->base + 64 >= c->n)
            return c->n;
        c->base += 64;
        c->m = sf_delims_at(c->s, c->base, c->n, c->room);
    }
    at = c->base + SF_CTZ64(c->m);
    c->m &= c->m - 1;
    return at;
}

/* port = 1*DIGIT, as sf_port accepts it (up to five digits, at most 65535) */
static inline int sf_port_ok(const unsigned char *s, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t k;
    if (a >= b || b - a > 5)
        return 0;
    for (k = a; k < b; k++)
        if ((unsigned)(s[k] - '0') > 9)
            return 0;
    return b - a < 5 || memcmp(s + a, "65535", 5) <= 0;
}

/* s[0:len] is `lower`, a name of letters only, ASCII case-insensitively; `room` octets from s are
 * readable. For a letter, c | 0x20 matches it exactly when c is that letter in either case. */
static inline int sf_name_is(const unsigned char *s, Py_ssize_t len, Py_ssize_t room, const char *lower)
{
    uint64_t w, want = 0;
    if (!SF_WORDS || len > 8 || room < 8)
        return sf_lower_eq(s, len, lower);
    memcpy(&w, s, 8);
    memcpy(&want, lower, (size_t)len);
    return ((w | SF_FOLD) & (~0ULL >> (8 * (8 - len)))) == want;
}

/* *( SEMI generic-param ) from the delimiter at j on (or j == n), each a plain name with an
 * optional "=" and plain value: then parse_params (lenient) finds every element with a name, every
 * '=' with a value, and no quoted-string. With comma, a ',' ends the via-parm, and the rest of the
 * value must hold no '"' (which is all that split_list checks there). 1: `lower` found with a
 * value (*va, *vb); 0: absent or a flag; -1: not plain. */
static inline int sf_params_walk(sf_cursor *c, Py_ssize_t j, int comma, const char *lower, Py_ssize_t len,
                                 Py_ssize_t *va, Py_ssize_t *vb)
{
    const unsigned char *s = c->s;
    const Py_ssize_t n = c->n;
    Py_ssize_t i, k;
    int seen = 0, r = 0;
    while (j < n && s[j] == ';') {
        i = j + 1;
        k = j = sf_cursor_next(c);
        if (k == i)
            return -1;
        if (j < n && s[j] == '=') {
            j = sf_cursor_next(c);
            if (j == k + 1)
                return -1;
        }
        /* the first param of a name wins, as in the dict parse_params builds */
        if (!seen && k - i == len && sf_name_is(s + i, len, c->room - i, lower)) {
            seen = 1;
            if (j > k) {
                *va = k + 1;
                *vb = j;
                r = 1;
            }
        }
    }
    if (j >= n)
        return r;
    if (comma && s[j] == ',' && memchr(s + j + 1, '"', (size_t)(n - j - 1)) == NULL)
        return r;
    return -1;
}

/* via-parm = "SIP/2.0/" transport SP host [ ":" port ] *( ";" via-params ), then the end or a ','
 * (the first element of the list). sf_via_scan (lenient) reads the same host: its run stops at
 * the first of " \t;:," and the octets a host may not hold, all of them delimiters here. */
static SF_NOINLINE int sf_via_param_plain(const unsigned char *s, Py_ssize_t n, Py_ssize_t room, const char *lower,
                                          Py_ssize_t len, Py_ssize_t *va, Py_ssize_t *vb)
{
    sf_cursor c;
    Py_ssize_t i, j;
    if (n < 10 || memcmp(s, "SIP/2.0/", 8) != 0)
        return -1;
    sf_cursor_init(&c, s, 8, n, room);
    j = sf_cursor_next(&c);
    if (j == 8 || j >= n || s[j] != ' ' || !sf_all(s, 8, j, SF_TOKEN))
        return -1;
    i = j + 1;
    j = sf_cursor_next(&c);
    if (j == i)
        return -1;
    if (j < n && s[j] == ':') {
        i = j + 1;
        j = sf_cursor_next(&c);
        if (!sf_port_ok(s, i, j))
            return -1;
    }
    return sf_params_walk(&c, j, 1, lower, len, va, vb);
}

/* name-addr = [ display-name ] LAQUOT SIP-URI RAQUOT *( SEMI generic-param ), the URI plain:
 *   ( "sip:" / "sips:" ) [ user "@" ] host [ ":" port ] *( ";" pname [ "=" pvalue ] )
 * The display-name is found as sf_naddr_scan finds it (lenient mode does not look inside it): a
 * quoted-string without quoted-pairs, or text up to a '<' that comes before any ';'. User, host,
 * pname and pvalue are plain runs: so the first '@' ends the user (or there is none), the host
 * ends at the first ':' or ';', no '?' opens URI headers, and every uri-parameter has a name, which
 * is all that sf_uri_scan checks in lenient mode. The addr-spec form is left to sf_naddr_scan. */
static SF_NOINLINE int sf_naddr_param_plain(const unsigned char *s, Py_ssize_t n, Py_ssize_t room, const char *lower,
                                            Py_ssize_t len, Py_ssize_t *va, Py_ssize_t *vb)
{
    sf_cursor c;
    Py_ssize_t i, j;
    if (n == 0 || s[0] == ' ' || s[0] == '\t')
        return -1;
    sf_cursor_init(&c, s, 0, n, room);
    j = sf_cursor_next(&c);
    if (s[0] == '"') {
        /* the closing quote, then LWS, then '<' */
        do
            j = sf_cursor_next(&c);
        while (j < n && s[j] != '"' && s[j] != '\\');
        if (j >= n || s[j] != '"')
            return -1;
        i = j + 1;
        while ((j = sf_cursor_next(&c)) < n && (s[j] == ' ' || s[j] == '\t') && j == i)
            i++;
        if (j != i)
            return -1;
    } else
        while (j < n && s[j] != '<' && s[j] != ';')
            j = sf_cursor_next(&c);
    if (j >= n || s[j] != '<' || n - j < 7 || (s[j + 1] | 0x20) != 's' || (s[j + 2] | 0x20) != 'i' ||
        (s[j + 3] | 0x20) != 'p')
        return -1;
    /* the scheme's ':' is the next delimiter */
    i = j + 4 + ((s[j + 4] | 0x20) == 's');
    if (sf_cursor_next(&c) != i || s[i] != ':')
        return -1;
    i++;
    j = sf_cursor_next(&c);
    if (j < n && s[j] == '@') {
        i = j + 1;
        j = sf_cursor_next(&c);
    }
    if (j == i)
        return -1;
    if (j < n && s[j] == ':') {
        i = j + 1;
        j = sf_cursor_next(&c);
        if (!sf_port_ok(s, i, j))
            return -1;
    }
    while (j < n && s[j] == ';') {
        i = j + 1;
        j = sf_cursor_next(&c);
        if (j == i)
            return -1;
        if (j < n && s[j] == '=')
            j = sf_cursor_next(&c);
    }
    if (j >= n || s[j] != '>')
        return -1;
    i = j + 1;
    if (i >= n)
        return 0;
    /* what follows the '>' must be a ';' (the next delimiter, as a ';' is one) */
    if (sf_cursor_next(&c) != i || s[i] != ';')
        return -1;
    return sf_params_walk(&c, i, 0, lower, len, va, vb);
}

/* sf_header_param by the general scanners: the whole list is split first, then the first via-parm
 * or the name-addr is scanned, every param included */
static SF_COLD int sf_header_param_general(const unsigned char *s, Py_ssize_t n, int via, const char *lower,
                                           Py_ssize_t *va, Py_ssize_t *vb, Py_ssize_t *origin, sf_err *e)
{
    sf_list it;
    sf_via v;
    sf_naddr na;
    sf_param prm;
    Py_ssize_t a = 0, b = n, x, y, start;
    int r, rest;
    if (via) {
        sf_list_begin(s, n, 0, &it, e);
        r = rest = sf_list_next(s, n, 0, &it, &a, &b, e);
        while (rest > 0)
            rest = sf_list_next(s, n, 0, &it, &x, &y, e);
        if (r <= 0 || rest < 0)
            return r < 0 || rest < 0 ? -1 : 0;
        *origin = a;
        if (sf_via_scan(s + a, b - a, 0, &v, e) < 0)
            return -1;
        start = v.pstart;
    } else {
        if (sf_naddr_scan(s, n, 0, &na, e) < 0)
            return -1;
        start = na.pstart;
    }
    if (start < 0)
        return 0;
    r = sf_params_find(s + a, start, b - a, 0, lower, &prm, e);
    if (r <= 0 || prm.va < 0)
        return r < 0 ? -1 : 0;
    *va = a + prm.va;
    *vb = a + prm.vb;
    return 1;
}

/* The value span of param `lower` (letters only, len of them) with the checks and the errors of
 * parse_via(split_list(value)[0]) (via) or of parse_name_addr(value), lenient; `room` (at least n)
 * octets from s are readable. 1: found with a value; 0: absent, a flag, or no via-parm; -1: error,
 * its offset counted from *origin (the via-parm or the value). */
static inline int sf_header_param(const unsigned char *s, Py_ssize_t n, Py_ssize_t room, int via, const char *lower,
                                  Py_ssize_t len, Py_ssize_t *va, Py_ssize_t *vb, Py_ssize_t *origin, sf_err *e)
{
    int r;
    *origin = *va = *vb = 0;
    r = via ? sf_via_param_plain(s, n, room, lower, len, va, vb) : sf_naddr_param_plain(s, n, room, lower, len, va, vb);
    if (r >= 0)
        return r;
    return sf_header_param_general(s, n, via, lower, va, vb, origin, e);
}

/* ---------------------------------------------------------------------------------------------
 * challenge = auth-scheme LWS auth-param *(COMMA auth-param)
 * auth-param = auth-param-name EQUAL ( token / quoted-string ); or a token68 (RFC 7235 §2.1) */

typedef struct {
    Py_ssize_t sa, sb, p;
    Py_ssize_t ta, tb;  /* the token68, when the credentials are one */
} sf_auth;

/* The scheme; 1 when the rest is a token68 (it->ta..tb), 0 when auth-params follow (or nothing).
 * token68 allows '=' only at its end, where no auth-param can be: whatever matches it is one. */
static inline int sf_auth_begin(const unsigned char *s, Py_ssize_t n, sf_auth *it, sf_err *e)
{
    Py_ssize_t i = sf_skip_ws(s, 0, n), j = sf_scan_class(s, i, n, SF_TOKEN), k, w;
    it->sa = it->sb = it->ta = it->tb = it->p = 0;
    if (j == i)
        return sf_fail(e, SF_E_AUTH, i, "no auth scheme");
    it->sa = i;
    it->sb = j;
    k = sf_skip_ws(s, j, n);
    it->p = k;
    if (k >= n)
        return 0;
    if (k == j)
        return sf_fail(e, SF_E_AUTH, j, "expected whitespace after the auth scheme");
    it->ta = k;
    it->tb = sf_rstrip(s, k, n);
    w = sf_scan_class(s, it->ta, it->tb, SF_TOKEN68);
    if (w > it->ta) {
        while (w < it->tb && s[w] == '=')
            w++;
        if (w == it->tb)
            return 1;
    }
    return 0;
}

/* 1: a param (*quoted set when its value is a quoted-string); 0: no more; -1: error */
static inline int sf_auth_next(const unsigned char *s, Py_ssize_t n, int strict, sf_auth *it, sf_param *p,
                               int *quoted, sf_err *e)
{
    Py_ssize_t pos = it->p, q, eq, v, w;
    p->na = p->nb = p->va = p->vb = -1;
    while (pos < n) {
        unsigned char c = s[pos];
        if (c == ' ' || c == '\t' || c == ',') {
            pos++;
            continue;
        }
        q = sf_scan_class(s, pos, n, SF_TOKEN);
        eq = sf_skip_ws(s, q, n);
        if (q == pos || eq >= n || s[eq] != '=')
            return sf_fail(e, SF_E_AUTH, pos, "expected name=value");
        p->na = pos;
        p->nb = q;
        v = sf_skip_ws(s, eq + 1, n);
        if (v < n && s[v] == '"') {
            w = sf_scan_quoted(s, v, n);
            if (w < 0)
                return sf_fail(e, SF_E_QUOTED, v, "quoted string is not closed");
            if (strict && sf_check_quoted(s, v, w, e) < 0)
                return -1;
            *quoted = 1;
        } else {
            w = v;
            while (w < n && s[w] != ' ' && s[w] != '\t' && s[w] != ',')
                w++;
            if (w == v || (strict && !sf_all(s, v, w, SF_TOKEN)))
                return sf_fail(e, SF_E_AUTH, v, "bad auth-param value");
            *quoted = 0;
        }
        p->va = v;
        p->vb = w;
        pos = sf_skip_ws(s, w, n);
        if (pos < n && s[pos] != ',')
            return sf_fail(e, SF_E_AUTH, pos, "expected ',' between auth params");
        it->p = pos;
        return 1;
    }
    it->p = pos;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * header names: lowercase long and compact forms -> header id, by a collision-free hash */

#define SF_NAME_BITS 10
#define SF_NAME_SLOTS (1 << SF_NAME_BITS)
#define SF_NAME_MAX 47
#define SF_NAMES_KNOWN 255

/* A name is hashed from its length and its first sixteen octets (lowercase, zero-padded) with a
 * multiplier chosen at import so that no two known names share a slot: one probe then decides,
 * without a loop whose exit the branch predictor would have to guess. A slot holds one octet,
 * the index of a known name (0 is an empty entry), so the table stays in L1. */
typedef struct {
    uint64_t w0, w1;               /* octets 0-7 and 8-15 */
    char name[SF_NAME_MAX + 1];    /* lowercase, NUL-terminated */
    Py_ssize_t len;                /* 0 for the empty entry */
    int id;
} sf_name_entry;

static unsigned char sf_slots[SF_NAME_SLOTS];
static sf_name_entry sf_known[SF_NAMES_KNOWN + 1];
static int sf_nknown = 1;
static uint64_t sf_k = 0x9E3779B97F4A7C15ULL;
static int sf_perfect;             /* 0: no collision-free multiplier found; slots are probed */

static inline uint32_t sf_name_hash(uint64_t w0, uint64_t w1, Py_ssize_t n)
{
    return (uint32_t)(((w0 ^ (w1 >> 3) ^ ((uint64_t)n << 56)) * sf_k) >> (64 - SF_NAME_BITS));
}

/* the two words of a name already lowercased */
static inline void sf_name_words(const char *lower, Py_ssize_t len, uint64_t *w0, uint64_t *w1)
{
    *w0 = *w1 = 0;
    memcpy(w0, lower, (size_t)(len < 8 ? len : 8));
    if (len > 8)
        memcpy(w1, lower + 8, (size_t)(len < 16 ? len - 8 : 8));
}

/* Known names are spelled with [a-z0-9-] only: then, for a name that passed the header-name check
 * (no CTL, SP or ':'), `c | 0x20` equals a known octet exactly when c matches it case-insensitively. */
static int sf_names_add(const char *lower, Py_ssize_t len, int id)
{
    Py_ssize_t k;
    sf_name_entry *entry;
    if (len <= 0 || len > SF_NAME_MAX || sf_nknown > SF_NAMES_KNOWN)
        return -1;
    for (k = 0; k < len; k++)
        if (!((lower[k] >= 'a' && lower[k] <= 'z') || (lower[k] >= '0' && lower[k] <= '9') || lower[k] == '-'))
            return -1;
    entry = &sf_known[sf_nknown++];
    memcpy(entry->name, lower, (size_t)len);
    entry->name[len] = 0;
    entry->len = len;
    entry->id = id;
    sf_name_words(lower, len, &entry->w0, &entry->w1);
    return 0;
}

static int sf_names_place(int probe)
{
    int i;
    uint32_t idx;
    memset(sf_slots, 0, sizeof(sf_slots));
    for (i = 1; i < sf_nknown; i++) {
        idx = sf_name_hash(sf_known[i].w0, sf_known[i].w1, sf_known[i].len);
        while (sf_slots[idx]) {
            if (!probe)
                return -1;
            idx = (idx + 1) & (SF_NAME_SLOTS - 1);
        }
        sf_slots[idx] = (unsigned char)i;
    }
    return 0;
}

/* fill the table once every known name was added */
static void sf_names_build(void)
{
    uint64_t x = 0x243F6A8885A308D3ULL;
    int tries;
    for (tries = 0; tries < 100000; tries++) {
        /* splitmix64 draws the next odd multiplier */
        x += 0x9E3779B97F4A7C15ULL;
        sf_k = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL) | 1;
        if (sf_names_place(0) == 0) {
            sf_perfect = 1;
            return;
        }
    }
    sf_perfect = 0;
    sf_names_place(1);
}

/* the entry a name hashes to, then the next ones when probing (0 ends) */
static inline int sf_name_find(uint64_t w0, uint64_t w1, Py_ssize_t n, const char *lower,
                               const unsigned char *raw)
{
    const sf_name_entry *entry;
    uint32_t idx;
    Py_ssize_t k;
    for (idx = sf_name_hash(w0, w1, n); sf_slots[idx]; idx = (idx + 1) & (SF_NAME_SLOTS - 1)) {
        entry = &sf_known[sf_slots[idx]];
        if (entry->len == n && entry->w0 == w0 && entry->w1 == w1) {
            if (lower)
                k = memcmp(entry->name, lower, (size_t)n) == 0 ? n : 0;
            else
                for (k = 16; k < n && (raw[k] | 0x20) == (unsigned char)entry->name[k]; k++)
                    ;
            if (k >= n)
                return entry->id;
        }
        if (sf_perfect)
            break;
    }
    return -1;
}

/* The id of a header name as received (it passed the header-name check), or -1. The common case
 * (sixteen octets readable, one probe) takes no branch but the final test. */
static inline int sf_name_id(const unsigned char *s, Py_ssize_t n, Py_ssize_t room)
{
    const sf_name_entry *entry;
    uint64_t w0, w1;
    Py_ssize_t k;
    if (n > SF_NAME_MAX)
        return -1;
    if (SF_WORDS && room >= 16) {
        memcpy(&w0, s, 8);
        memcpy(&w1, s + 8, 8);
        w0 = (w0 | SF_FOLD) & (~0ULL >> (8 * (8 - (n < 8 ? n : 8))));
        w1 = n > 8 ? (w1 | SF_FOLD) & (~0ULL >> (8 * (16 - (n < 16 ? n : 16)))) : 0;
        if (sf_perfect && n <= 16) {
            entry = &sf_known[sf_slots[sf_name_hash(w0, w1, n)]];
            return entry->len == n && entry->w0 == w0 && entry->w1 == w1 ? entry->id : -1;
        }
    } else {
        w0 = w1 = 0;
        for (k = 0; k < n && k < 16; k++)
            ((unsigned char *)(k < 8 ? &w0 : &w1))[k & 7] = s[k] | 0x20;
    }
    return sf_name_find(w0, w1, n, NULL, s);
}

/* the id of any text (a name given by a caller), or -1 */
static inline int sf_name_lookup(const unsigned char *s, Py_ssize_t n)
{
    char lower[SF_NAME_MAX + 1];
    uint64_t w0, w1;
    Py_ssize_t k;
    if (n <= 0 || n > SF_NAME_MAX)
        return -1;
    for (k = 0; k < n; k++)
        lower[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k]);
    lower[n] = 0;
    sf_name_words(lower, n, &w0, &w1);
    return sf_name_find(w0, w1, n, lower, NULL);
}

/* ---------------------------------------------------------------------------------------------
 * the message: start line, header lines, framing */

#define SF_INLINE 32
#define SF_NFIRST 16

typedef struct {
    Py_ssize_t line;     /* offset of the header line */
    Py_ssize_t name_end; /* end of the name (trailing whitespace dropped) */
    Py_ssize_t va, vb;   /* the value, stripped; folded: vb ends the last continuation line */
    int32_t id;          /* header id, -1 for a name sipfast does not know */
    int32_t folded;
    PyObject *value;     /* the value as str, once read */
} sf_header;

typedef struct {
    const unsigned char *p;
    Py_ssize_t n;
    Py_ssize_t start;                  /* first octet of the start line */
    Py_ssize_t ma, mb, ua, ub, va, vb, ra, rb;  /* method, Request-URI, version, reason */
    int status, request;
    Py_ssize_t body_start, body_end;
    Py_ssize_t count, cap;
    sf_header *h;
    int32_t first[SF_NFIRST + 1];      /* first header with each id below SF_NFIRST, or -1 (the
                                          last slot collects every other id) */
    sf_header inl[SF_INLINE];
} sf_msg;

/* ids from _headers, set by the module at import */
static int sf_id_content_length = -1, sf_id_cseq = -1;

/* A folded value: the pieces of each line stripped and joined by one SP, empty pieces dropped
 * (LWS = [*WSP CRLF] 1*WSP reads as one SP). `out` holds at least vend - va octets. */
static Py_ssize_t sf_unfold(const unsigned char *s, Py_ssize_t va, Py_ssize_t vend, unsigned char *out)
{
    Py_ssize_t pos = va, k = 0, le, end, a, b;
    const unsigned char *q;
    int first = 1;
    for (;;) {
        q = pos < vend ? (const unsigned char *)memchr(s + pos, '\n', (size_t)(vend - pos)) : NULL;
        le = q ? q - s : vend;
        end = le;
        if (q && end > pos && s[end - 1] == '\r')
            end--;
        a = sf_skip_ws(s, pos, end);
        b = sf_rstrip(s, a, end);
        if (first) {
            memcpy(out, s + a, (size_t)(b - a));
            k = b - a;
            first = 0;
        } else if (a < b) {
            if (k)
                out[k++] = ' ';
            memcpy(out + k, s + a, (size_t)(b - a));
            k += b - a;
        }
        if (!q)
            return k;
        pos = le + 1;
    }
}

/* The value octets of header i: into the message, or unfolded into *tmp (PyMem_Free it). */
static inline int sf_value(const sf_msg *m, Py_ssize_t i, const unsigned char **p, Py_ssize_t *n, unsigned char **tmp)
{
    const sf_header *h = &m->h[i];
    *tmp = NULL;
    if (!h->folded) {
        *p = m->p + h->va;
        *n = h->vb - h->va;
        return 0;
    }
    *tmp = (unsigned char *)PyMem_Malloc((size_t)(h->vb - h->va) + 1);
    if (*tmp == NULL)
        return -1;
    *n = sf_unfold(m->p, h->va, h->vb, *tmp);
    *p = *tmp;
    return 0;
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; sipfast speaks SIP/2.0 only */
static inline int sf_version_ok(const unsigned char *s, Py_ssize_t a, Py_ssize_t b)
{
    return b - a == 7 && sf_lower_eq(s + a, 7, "sip/2.0");
}

static inline Py_ssize_t sf_first_ws(const unsigned char *s, Py_ssize_t a, Py_ssize_t b)
{
    while (a < b && s[a] != ' ' && s[a] != '\t')
        a++;
    return a;
}

static int sf_start_line(sf_msg *m, Py_ssize_t a, Py_ssize_t b, int strict, sf_err *e)
{
    const unsigned char *s = m->p;
    Py_ssize_t off = a, sp, r, first, last, k, p1, p2;
    if (b - a >= 4 && sf_lower_eq(s + a, 4, "sip/")) {
        /* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF */
        sp = sf_first_ws(s, a, b);
        if (!sf_version_ok(s, a, sp))
            return sf_fail(e, SF_E_VERSION, off, "unsupported version");
        m->request = 0;
        m->va = a;
        m->vb = sp;
        if (strict) {
            if (sp >= b || s[sp] != ' ')
                return sf_fail(e, SF_E_STATUS, off, "status code is not three digits");
            r = sp + 1;
        } else
            r = sf_skip_ws(s, sp, b);
        if (b - r < 3 || !sf_all(s, r, r + 3, SF_DIGIT) || s[r] == '0' ||
            (b - r > 3 && s[r + 3] != ' ' && s[r + 3] != '\t'))
            return sf_fail(e, SF_E_STATUS, off, "status code is not three digits");
        m->status = (s[r] - '0') * 100 + (s[r + 1] - '0') * 10 + (s[r + 2] - '0');
        if (m->status > 699)
            return sf_fail(e, SF_E_STATUS, off, "status code out of range");
        if (strict) {
            /* the SP is required even before an empty Reason-Phrase */
            if (b - r == 3 || s[r + 3] != ' ')
                return sf_fail(e, SF_E_START_LINE, off, "expected SP after the status code");
            m->ra = r + 4;
            m->rb = b;
            if (sf_any(s, m->ra, m->rb, SF_REASONBAD))
                return sf_fail(e, SF_E_START_LINE, off, "control character in the reason phrase");
        } else {
            m->ra = sf_skip_ws(s, r + 3, b);
            m->rb = sf_rstrip(s, m->ra, b);
        }
        return 0;
    }
    /* Request-Line = Method SP Request-URI SP SIP-Version CRLF */
    if (strict) {
        p1 = sf_find(s, a, b, ' ');
        p2 = p1 < 0 ? -1 : sf_find(s, p1 + 1, b, ' ');
        if (p2 < 0 || sf_find(s, p2 + 1, b, ' ') >= 0 || p1 == a || p2 == p1 + 1 || p2 + 1 == b ||
            sf_find(s, a, b, '\t') >= 0)
            return sf_fail(e, SF_E_START_LINE, off, "request line is not 'Method SP Request-URI SP SIP-Version'");
        m->ma = a;
        m->mb = p1;
        m->ua = p1 + 1;
        m->ub = p2;
        m->va = p2 + 1;
        m->vb = b;
    } else {
        a = sf_skip_ws(s, a, b);
        b = sf_rstrip(s, a, b);
        first = sf_first_ws(s, a, b);
        last = -1;
        for (k = b - 1; k >= a; k--)
            if (s[k] == ' ' || s[k] == '\t') {
                last = k;
                break;
            }
        if (first >= last)
            return sf_fail(e, SF_E_START_LINE, off, "request line is not 'Method SP Request-URI SP SIP-Version'");
        m->ma = a;
        m->mb = first;
        m->ua = sf_skip_ws(s, first, last);
        m->ub = sf_rstrip(s, m->ua, last);
        m->va = last + 1;
        m->vb = b;
    }
    if (m->ma == m->mb || !sf_all(s, m->ma, m->mb, SF_TOKEN))
        return sf_fail(e, SF_E_METHOD, off, "method is not a token");
    if (!sf_version_ok(s, m->va, m->vb))
        return sf_fail(e, SF_E_VERSION, off, "unsupported version");
    m->request = 1;
    m->status = 0;
    if (strict) {
        sf_uri u;
        sf_err ue;
        if (sf_uri_scan(s, m->ua, m->ub, 1, &u, &ue) < 0)
            return sf_fail(e, SF_E_REQUEST_URI, off, ue.detail);
        k = sf_find(s, m->ua, m->ub, '@');
        if (u.qa >= 0 || ((u.kind == SF_KIND_SIP || u.kind == SF_KIND_SIPS) && sf_find(s, k < 0 ? m->ua : k + 1, m->ub, '?') >= 0))
            return sf_fail(e, SF_E_REQUEST_URI, off, "headers are not allowed in a Request-URI");
    }
    return 0;
}

/* Does the LF at x end the header section (LF followed by LF or CRLF)? */
static inline int sf_is_end(const unsigned char *s, Py_ssize_t n, Py_ssize_t x)
{
    return (x + 1 < n && s[x + 1] == '\n') || (x + 2 < n && s[x + 1] == '\r' && s[x + 2] == '\n');
}

/* is there an LF at or after `from` followed by LF or CRLF (the end of the header section)? */
static inline int sf_has_end(const unsigned char *s, Py_ssize_t n, Py_ssize_t from)
{
    Py_ssize_t x = from;
    while ((x = sf_find(s, x, n, '\n')) >= 0) {
        if (sf_is_end(s, n, x))
            return 1;
        x++;
    }
    return 0;
}

#define SF_BATCH 64

/* The positions of the next LFs from *from on, up to SF_BATCH, stopping after the one that ends
 * the header section (*end set). Collecting them first keeps the octet scan free of the line
 * work, which then overlaps from line to line. */
static inline int sf_collect_lf(const unsigned char *s, Py_ssize_t n, Py_ssize_t *from, Py_ssize_t *lf, int *end)
{
    Py_ssize_t a = *from, x;
    int k = 0;
#if defined(__SSE2__)
    const __m128i vl = _mm_set1_epi8('\n');
    unsigned mask;
    for (; a + 16 <= n; a += 16) {
        mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + a)), vl));
        while (mask) {
            x = a + __builtin_ctz(mask);
            mask &= mask - 1;
            lf[k++] = x;
            if ((*end = sf_is_end(s, n, x)) || k == SF_BATCH) {
                *from = x + 1;
                return k;
            }
        }
    }
#endif
    for (; a < n; a++) {
        if (s[a] != '\n')
            continue;
        lf[k++] = a;
        if ((*end = sf_is_end(s, n, a)) || k == SF_BATCH) {
            *from = a + 1;
            return k;
        }
    }
    *from = n;
    return k;
}

static inline int sf_grow(sf_msg *m, sf_err *e)
{
    Py_ssize_t cap = m->cap * 2;
    sf_header *h;
    if ((size_t)cap > PY_SSIZE_T_MAX / sizeof(sf_header))
        return sf_fail(e, SF_E_MEMORY, 0, "out of memory");
    if (m->h == m->inl) {
        h = (sf_header *)PyMem_Malloc((size_t)cap * sizeof(sf_header));
        if (h)
            memcpy(h, m->inl, (size_t)m->count * sizeof(sf_header));
    } else
        h = (sf_header *)PyMem_Realloc(m->h, (size_t)cap * sizeof(sf_header));
    if (h == NULL)
        return sf_fail(e, SF_E_MEMORY, 0, "out of memory");
    m->h = h;
    m->cap = cap;
    return 0;
}

/* field-name = token (strict); lenient: no CTL, SP or DEL. s[a:b] holds no ':'. */
static inline int sf_name_ok(const unsigned char *s, Py_ssize_t a, Py_ssize_t b, int strict)
{
    return strict ? sf_all(s, a, b, SF_TOKEN) : !sf_any(s, a, b, SF_NAMEBAD);
}

/* The common form of a header line: name octets straight up to the ':'. Returns the colon, or -1
 * for anything else (an empty name, whitespace before the colon, a bad octet, no colon), which the
 * general path then judges. A CR or LF stops the scan, so the colon found lies inside the line. */
static inline Py_ssize_t sf_name_colon(const unsigned char *s, Py_ssize_t pos, Py_ssize_t n, int strict)
{
    Py_ssize_t a = pos;
    unsigned char c;
#if defined(__SSE2__)
    if (!strict) {
        const __m128i colon = _mm_set1_epi8(':'), low = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7f);
        __m128i x;
        unsigned stop, mc;
        for (; a + 16 <= n; a += 16) {
            x = _mm_loadu_si128((const __m128i *)(s + a));
            mc = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, colon));
            /* octets below 0x21 (max(x, 0x21) != x) or equal to 0x7f */
            stop = mc | ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, low), x)) ^ 0xffffu) |
                   (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, del));
            if (stop) {
                stop &= 0u - stop;
                return (mc & stop) && (a > pos || stop > 1) ? a + __builtin_ctz(stop) : -1;
            }
        }
    }
#endif
    for (; a < n; a++) {
        c = s[a];
        if (c == ':')
            return a > pos ? a : -1;
        if (strict ? !(sf_cls[c] & SF_TOKEN) : (sf_cls[c] & SF_NAMEBAD) != 0)
            return -1;
    }
    return -1;
}

/* append header line s[pos:end]: name s[pos:ne], its ':' at colon */
static inline int sf_add_header(sf_msg *m, Py_ssize_t pos, Py_ssize_t ne, Py_ssize_t colon, Py_ssize_t end,
                                Py_ssize_t max_headers, sf_err *e)
{
    const unsigned char *s = m->p;
    Py_ssize_t va, vb;
    sf_header *hd;
    int id, k;
    if (m->count >= max_headers)
        return sf_fail(e, SF_E_TOO_LARGE, pos, "too many headers");
    if (m->count == m->cap && sf_grow(m, e) < 0)
        return -1;
    id = sf_name_id(s + pos, ne - pos, m->n - pos);
    va = colon + 1;
    while (va < end && (s[va] == ' ' || s[va] == '\t'))
        va++;
    vb = end;
    while (vb > va && (s[vb - 1] == ' ' || s[vb - 1] == '\t'))
        vb--;
    hd = &m->h[m->count];
    hd->line = pos;
    hd->name_end = ne;
    hd->va = va;
    hd->vb = vb;
    hd->id = id;
    hd->folded = 0;
    hd->value = NULL;
    k = (uint32_t)id < SF_NFIRST ? id : SF_NFIRST;
    if (m->first[k] < 0)
        m->first[k] = (int32_t)m->count;
    m->count++;
    return 0;
}

/* one header line s[pos:end] (line end excluded)
 * message-header = field-name ":" [ field-value ];  field-name = token */
static inline int sf_header_line(sf_msg *m, Py_ssize_t pos, Py_ssize_t end, int strict, Py_ssize_t max_headers,
                                 sf_err *e)
{
    const unsigned char *s = m->p;
    Py_ssize_t colon, ne;
    sf_header *hd;
    if (s[pos] == ' ' || s[pos] == '\t') {
        /* a folded continuation: LWS = [*WSP CRLF] 1*WSP, read as one SP */
        if (m->count == 0)
            return sf_fail(e, SF_E_HEADER, pos, "continuation line before the first header");
        hd = &m->h[m->count - 1];
        hd->folded = 1;
        hd->vb = end;
        return 0;
    }
    colon = sf_find(s, pos, end, ':');
    if (colon < 0)
        return sf_fail(e, SF_E_HEADER, pos, "header line without ':'");
    ne = sf_rstrip(s, pos, colon);
    if (ne == pos)
        return sf_fail(e, SF_E_HEADER_NAME, pos, "empty header name");
    if (!sf_name_ok(s, pos, ne, strict))
        return sf_fail(e, SF_E_HEADER_NAME, pos, strict ? "header name is not a token" : "bad header name");
    return sf_add_header(m, pos, ne, colon, end, max_headers, e);
}

/* The header lines after the start line (its LF at nl), up to the first empty line. Strict mode
 * requires that empty line, and its absence is reported before any fault in the lines. */
/* A batch of header lines: s[lf[i-1] + 1 : lf[i]] (lf[-1] is x). The common lines go through
 * simple passes (the colons, the ids, the entries) that keep each loop short and its iterations
 * independent; a batch with any other line (a fold, an odd name, too many headers) goes line by
 * line through sf_header_line instead, which gives the same entries and finds the faults. */
static inline int sf_batch(sf_msg *m, Py_ssize_t x, const Py_ssize_t *lf, int k, int strict,
                           Py_ssize_t max_headers, sf_err *e)
{
    const unsigned char *s = m->p;
    const Py_ssize_t n = m->n;
    Py_ssize_t colon[SF_BATCH], pos, end, va, vb, count = m->count;
    int id[SF_BATCH], i, slot, common = count + k <= max_headers;
    int32_t cur;
    sf_header *hd;
    for (i = 0; i < k; i++) {
        pos = (i ? lf[i - 1] : x) + 1;
        colon[i] = s[pos] == ' ' || s[pos] == '\t' ? -1 : sf_name_colon(s, pos, n, strict);
        common &= colon[i] >= 0;
    }
    while (common && count + k > m->cap)
        if (sf_grow(m, e) < 0)
            return -1;
    if (!common) {
        for (i = 0; i < k; i++) {
            pos = (i ? lf[i - 1] : x) + 1;
            end = lf[i] > pos && s[lf[i] - 1] == '\r' ? lf[i] - 1 : lf[i];
            if (sf_header_line(m, pos, end, strict, max_headers, e) < 0) {
                if (strict && e->code != SF_E_MEMORY && !sf_has_end(s, n, lf[i]))
                    return sf_fail(e, SF_E_NO_END, n, "the header section is not closed by an empty line");
                return -1;
            }
        }
        return 0;
    }
    for (i = 0; i < k; i++) {
        pos = (i ? lf[i - 1] : x) + 1;
        id[i] = sf_name_id(s + pos, colon[i] - pos, n - pos);
    }
    for (i = 0; i < k; i++) {
        pos = (i ? lf[i - 1] : x) + 1;
        end = lf[i] > pos && s[lf[i] - 1] == '\r' ? lf[i] - 1 : lf[i];
        /* field-value, without the LWS around it */
        va = colon[i] + 1;
        while (va < end && (s[va] == ' ' || s[va] == '\t'))
            va++;
        vb = end;
        while (vb > va && (s[vb - 1] == ' ' || s[vb - 1] == '\t'))
            vb--;
        hd = &m->h[count + i];
        hd->line = pos;
        hd->name_end = colon[i];
        hd->va = va;
        hd->vb = vb;
        hd->id = id[i];
        hd->folded = 0;
        hd->value = NULL;
    }
    /* the first header of each id: walking back, the earliest of this batch is written last;
     * a header of an earlier batch is kept */
    for (i = k - 1; i >= 0; i--) {
        slot = (uint32_t)id[i] < SF_NFIRST ? id[i] : SF_NFIRST;
        cur = m->first[slot];
        m->first[slot] = cur >= 0 && cur < count ? cur : (int32_t)(count + i);
    }
    m->count = count + k;
    return 0;
}

/* The header lines after the start line (its LF at nl), up to the first empty line. Strict mode
 * requires that empty line, and its absence is reported before any fault in the lines. */
static inline int sf_headers(sf_msg *m, Py_ssize_t nl, int strict, Py_ssize_t max_headers, sf_err *e)
{
    const unsigned char *s = m->p;
    const Py_ssize_t n = m->n;
    Py_ssize_t x = nl, from = nl + 1, pos, lf[SF_BATCH];
    int k, done = sf_is_end(s, n, nl);
    while (!done) {
        k = sf_collect_lf(s, n, &from, lf, &done);
        if (k && sf_batch(m, x, lf, k, strict, max_headers, e) < 0)
            return -1;
        if (k)
            x = lf[k - 1];
        if (!done && from >= n) {
            /* no empty line: strict mode wants one; otherwise the rest is the last header line */
            if (strict)
                return sf_fail(e, SF_E_NO_END, n, "the header section is not closed by an empty line");
            pos = x + 1;
            if (pos < n && sf_header_line(m, pos, s[n - 1] == '\r' ? n - 1 : n, strict, max_headers, e) < 0)
                return -1;
            m->body_start = n;
            return 0;
        }
    }
    m->body_start = s[x + 1] == '\n' ? x + 2 : x + 3;
    return 0;
}

/* Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT; huge values clamp to 10**12 */
static inline long long sf_content_length(const unsigned char *p, Py_ssize_t n)
{
    Py_ssize_t k = 0;
    long long v = 0;
    if (n == 0 || !sf_all(p, 0, n, SF_DIGIT))
        return -1;
    while (k < n && p[k] == '0')
        k++;
    if (n - k > 12)
        return 1000000000000LL;
    for (; k < n; k++)
        v = v * 10 + (p[k] - '0');
    return v;
}

/* The whole message: size was checked by the caller. m->p, m->n set; everything else filled here. */
static int sf_parse_message(sf_msg *m, int strict, Py_ssize_t max_headers, sf_err *e)
{
    const unsigned char *s = m->p, *vp;
    Py_ssize_t n = m->n, start = 0, nl, end, i, vn, ma, mb;
    long long length = -1, v;
    unsigned char *tmp;
    uint64_t number;
    int r;
    m->h = m->inl;
    m->cap = SF_INLINE;
    m->count = 0;
    memset(m->first, 0xff, sizeof(m->first));
    m->ma = m->mb = m->ua = m->ub = m->ra = m->rb = 0;
    /* RFC 3261 §7.5: empty lines before the start line are ignored */
    while (start < n && (s[start] == '\r' || s[start] == '\n'))
        start++;
    m->start = start;
    nl = sf_find(s, start, n, '\n');
    if (nl < 0)
        return sf_fail(e, SF_E_START_LINE, start, "no complete start line");
    end = nl > start && s[nl - 1] == '\r' ? nl - 1 : nl;
    if (sf_start_line(m, start, end, strict, e) < 0)
        return -1;
    if (sf_headers(m, nl, strict, max_headers, e) < 0)
        return -1;
    /* framing: Content-Length (RFC 3261 §18.3, §20.14) */
    for (i = sf_id_content_length >= 0 && sf_id_content_length < SF_NFIRST ? m->first[sf_id_content_length] : 0;
         i >= 0 && i < m->count; i++) {
        if (m->h[i].id != sf_id_content_length)
            continue;
        if (sf_value(m, i, &vp, &vn, &tmp) < 0)
            return sf_fail(e, SF_E_MEMORY, 0, "out of memory");
        v = sf_content_length(vp, vn);
        PyMem_Free(tmp);
        if (v < 0)
            return sf_fail(e, SF_E_CONTENT_LENGTH, m->h[i].line, "Content-Length is not a number");
        if (length >= 0 && (strict || v != length))
            return sf_fail(e, SF_E_CONTENT_LENGTH, m->h[i].line, "more than one Content-Length");
        length = v;
    }
    if (length < 0)
        m->body_end = n;
    else {
        m->body_end = m->body_start + (Py_ssize_t)length;
        if (m->body_end > n)
            return sf_fail(e, SF_E_CONTENT_LENGTH, m->body_start, "Content-Length exceeds the octets received");
    }
    /* the transaction layer relies on CSeq: check it whenever present (RFC 3261 §8.2.2 / §20.16) */
    i = sf_id_cseq >= 0 && sf_id_cseq < SF_NFIRST ? m->first[sf_id_cseq] : -1;
    if (i >= 0) {
        if (sf_value(m, i, &vp, &vn, &tmp) < 0)
            return sf_fail(e, SF_E_MEMORY, 0, "out of memory");
        r = sf_cseq_scan(vp, vn, strict, &number, &ma, &mb, e);
        if (r == 0 && m->request && (mb - ma != m->mb - m->ma || memcmp(vp + ma, s + m->ma, (size_t)(mb - ma)) != 0))
            r = sf_fail(e, SF_E_CSEQ_METHOD, 0, "CSeq method is not the request method");
        PyMem_Free(tmp);
        if (r < 0) {
            e->off = m->h[i].line;
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * stream framing (Framer): where each message ends in a buffer that may hold only part of it */

/* The end of the header section of b[0:n] (just after its empty line: LF then LF or CRLF),
 * searching from *scan; -1 when it has not arrived yet, *scan then saying where to resume. */
static inline Py_ssize_t sf_frame_headers(const unsigned char *b, Py_ssize_t n, Py_ssize_t *scan)
{
    Py_ssize_t i = sf_find(b, *scan, n, '\n');
    while (i >= 0) {
        if (i + 1 < n && b[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && b[i + 1] == '\r' && b[i + 2] == '\n')
            return i + 3;
        if (i + 1 == n || (i + 2 == n && b[i + 1] == '\r')) {
            *scan = i; /* the rest has not arrived yet */
            return -1;
        }
        i = sf_find(b, i + 1, n, '\n');
    }
    *scan = n > 0 ? n - 1 : 0;
    return -1;
}

/* The Content-Length ("Content-Length" or "l", no folding) of the header section b[0:hend], 0 when
 * absent; -1 with e set for a bad or a conflicting value (at the offset of its line). */
static inline long long sf_frame_length(const unsigned char *b, Py_ssize_t n, Py_ssize_t hend, sf_err *e)
{
    Py_ssize_t pos = sf_find(b, 0, n, '\n') + 1, nl, colon, ne, va, vb;
    long long length = -1, value;
    while (pos < hend) {
        nl = sf_find(b, pos, n, '\n');
        if (nl < 0)
            break;
        colon = sf_find(b, pos, nl, ':');
        if (colon > 0 && b[pos] != ' ' && b[pos] != '\t') {
            ne = sf_rstrip(b, pos, colon);
            if ((ne - pos == 14 && sf_lower_eq(b + pos, 14, "content-length")) || (ne - pos == 1 && (b[pos] | 0x20) == 'l')) {
                va = colon + 1;
                vb = nl;
                while (va < vb && (b[va] == ' ' || b[va] == '\t' || b[va] == '\r'))
                    va++;
                while (vb > va && (b[vb - 1] == ' ' || b[vb - 1] == '\t' || b[vb - 1] == '\r'))
                    vb--;
                value = sf_content_length(b + va, vb - va);
                if (value < 0 || (length >= 0 && value != length))
                    return sf_fail(e, SF_E_CONTENT_LENGTH, pos, "bad or conflicting Content-Length");
                length = value;
            }
        }
        pos = nl + 1;
    }
    return length < 0 ? 0 : length;
}

#endif /* SIPFAST_SIPSCAN_H */
