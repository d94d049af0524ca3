/* Hash primitives of the digest C twin: one-shot MD5 (RFC 1321), SHA-256 and SHA-512/256 (FIPS 180-4)
 * over a contiguous buffer; SHA-256 blocks run on the x86 SHA extensions when the CPU has them. */
#ifndef SIPFAST_HASH_H
#define SIPFAST_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define SF_X86_SHA 1
#include <cpuid.h>
#include <immintrin.h>
#endif

enum { SF_MD5 = 0, SF_SHA256 = 1, SF_SHA512_256 = 2 };

#define SF_ROTL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define SF_ROTR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define SF_ROTR64(x, n) (((x) >> (n)) | ((x) << (64 - (n))))

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Little-endian GCC / Clang: whole-word moves, byte swaps where the format is big-endian. */
static inline uint32_t sf_load_le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint32_t sf_load_be32(const uint8_t *p) { return __builtin_bswap32(sf_load_le32(p)); }
static inline uint64_t sf_load_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}
static inline void sf_store_le32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void sf_store_be32(uint8_t *p, uint32_t v) { v = __builtin_bswap32(v); memcpy(p, &v, 4); }
static inline void sf_store_be64(uint8_t *p, uint64_t v) { v = __builtin_bswap64(v); memcpy(p, &v, 8); }
#else
static inline uint32_t sf_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint32_t sf_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t sf_load_be64(const uint8_t *p)
{
    return ((uint64_t)sf_load_be32(p) << 32) | sf_load_be32(p + 4);
}

static inline void sf_store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void sf_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void sf_store_be64(uint8_t *p, uint64_t v)
{
    sf_store_be32(p, (uint32_t)(v >> 32));
    sf_store_be32(p + 4, (uint32_t)v);
}
#endif

/* RFC 1321 §3.1-3.2 and FIPS 180-4 §5.1: append the bit "1", then zeros up to 56 mod 64 (112 mod 128),
 * then the message length in bits: 64 bits little-endian for MD5, 64 (128 for SHA-512) big-endian for
 * SHA.  Writes the one or two final blocks of the message whose last `tail_len` bytes are `tail` into
 * `out` (room for two blocks) and returns how many blocks that is. */
static inline size_t sf_pad(uint8_t *out, const uint8_t *tail, size_t tail_len, uint64_t msg_len,
                            size_t block, int little_endian)
{
    size_t len_size = block == 128 ? 16 : 8;
    size_t total = tail_len + 1 + len_size <= block ? block : 2 * block;

    memcpy(out, tail, tail_len);
    out[tail_len] = 0x80;
    memset(out + tail_len + 1, 0, total - tail_len - 1);
    if (little_endian) {
        sf_store_le32(out + total - 8, (uint32_t)(msg_len << 3));
        sf_store_le32(out + total - 4, (uint32_t)(msg_len >> 29));
    } else {
        sf_store_be64(out + total - 8, msg_len << 3);
        if (len_size == 16)
            sf_store_be64(out + total - 16, msg_len >> 61);
    }
    return total / block;
}

/* ---- MD5, RFC 1321 §3.4 ----
 * F(X,Y,Z) = XY v not(X) Z      G(X,Y,Z) = XZ v Y not(Z)
 * H(X,Y,Z) = X xor Y xor Z      I(X,Y,Z) = Y xor (X v not(Z))
 * step [abcd k s i]: a = b + ((a + F(b,c,d) + X[k] + T[i]) <<< s)
 * b is the result of the step just before, so each step adds X[k] + T[i] first and the part of the
 * function that needs b last: that part is the critical path.  G's two halves share no bits, so its
 * "v" is "+" and the half without b is added early; F and H are rearranged the same way. */
#define SF_MD5_F_EARLY(c, d) 0
#define SF_MD5_F_LATE(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define SF_MD5_G_EARLY(c, d) ((c) & ~(d))
#define SF_MD5_G_LATE(b, c, d) ((b) & (d))
#define SF_MD5_H_EARLY(c, d) 0
#define SF_MD5_H_LATE(b, c, d) ((b) ^ ((c) ^ (d)))
#define SF_MD5_I_EARLY(c, d) 0
#define SF_MD5_I_LATE(b, c, d) ((c) ^ ((b) | ~(d)))
#define SF_MD5_STEP(f, a, b, c, d, xk, t, s) \
    do { \
        (a) += (xk) + (t) + SF_MD5_##f##_EARLY(c, d); \
        (a) += SF_MD5_##f##_LATE(b, c, d); \
        (a) = SF_ROTL32((a), (s)) + (b); \
    } while (0);

/* The 64 steps of RFC 1321 §3.4 (rounds 1 to 4, sixteen steps each) as S(function, a, b, c, d,
 * k, T[i], s); S says how to run one step. */
#define SF_MD5_STEPS(S) \
    S(F, a, b, c, d,  0, 0xd76aa478u,  7) S(F, d, a, b, c,  1, 0xe8c7b756u, 12) \
    S(F, c, d, a, b,  2, 0x242070dbu, 17) S(F, b, c, d, a,  3, 0xc1bdceeeu, 22) \
    S(F, a, b, c, d,  4, 0xf57c0fafu,  7) S(F, d, a, b, c,  5, 0x4787c62au, 12) \
    S(F, c, d, a, b,  6, 0xa8304613u, 17) S(F, b, c, d, a,  7, 0xfd469501u, 22) \
    S(F, a, b, c, d,  8, 0x698098d8u,  7) S(F, d, a, b, c,  9, 0x8b44f7afu, 12) \
    S(F, c, d, a, b, 10, 0xffff5bb1u, 17) S(F, b, c, d, a, 11, 0x895cd7beu, 22) \
    S(F, a, b, c, d, 12, 0x6b901122u,  7) S(F, d, a, b, c, 13, 0xfd987193u, 12) \
    S(F, c, d, a, b, 14, 0xa679438eu, 17) S(F, b, c, d, a, 15, 0x49b40821u, 22) \
    S(G, a, b, c, d,  1, 0xf61e2562u,  5) S(G, d, a, b, c,  6, 0xc040b340u,  9) \
    S(G, c, d, a, b, 11, 0x265e5a51u, 14) S(G, b, c, d, a,  0, 0xe9b6c7aau, 20) \
    S(G, a, b, c, d,  5, 0xd62f105du,  5) S(G, d, a, b, c, 10, 0x02441453u,  9) \
    S(G, c, d, a, b, 15, 0xd8a1e681u, 14) S(G, b, c, d, a,  4, 0xe7d3fbc8u, 20) \
    S(G, a, b, c, d,  9, 0x21e1cde6u,  5) S(G, d, a, b, c, 14, 0xc33707d6u,  9) \
    S(G, c, d, a, b,  3, 0xf4d50d87u, 14) S(G, b, c, d, a,  8, 0x455a14edu, 20) \
    S(G, a, b, c, d, 13, 0xa9e3e905u,  5) S(G, d, a, b, c,  2, 0xfcefa3f8u,  9) \
    S(G, c, d, a, b,  7, 0x676f02d9u, 14) S(G, b, c, d, a, 12, 0x8d2a4c8au, 20) \
    S(H, a, b, c, d,  5, 0xfffa3942u,  4) S(H, d, a, b, c,  8, 0x8771f681u, 11) \
    S(H, c, d, a, b, 11, 0x6d9d6122u, 16) S(H, b, c, d, a, 14, 0xfde5380cu, 23) \
    S(H, a, b, c, d,  1, 0xa4beea44u,  4) S(H, d, a, b, c,  4, 0x4bdecfa9u, 11) \
    S(H, c, d, a, b,  7, 0xf6bb4b60u, 16) S(H, b, c, d, a, 10, 0xbebfbc70u, 23) \
    S(H, a, b, c, d, 13, 0x289b7ec6u,  4) S(H, d, a, b, c,  0, 0xeaa127fau, 11) \
    S(H, c, d, a, b,  3, 0xd4ef3085u, 16) S(H, b, c, d, a,  6, 0x04881d05u, 23) \
    S(H, a, b, c, d,  9, 0xd9d4d039u,  4) S(H, d, a, b, c, 12, 0xe6db99e5u, 11) \
    S(H, c, d, a, b, 15, 0x1fa27cf8u, 16) S(H, b, c, d, a,  2, 0xc4ac5665u, 23) \
    S(I, a, b, c, d,  0, 0xf4292244u,  6) S(I, d, a, b, c,  7, 0x432aff97u, 10) \
    S(I, c, d, a, b, 14, 0xab9423a7u, 15) S(I, b, c, d, a,  5, 0xfc93a039u, 21) \
    S(I, a, b, c, d, 12, 0x655b59c3u,  6) S(I, d, a, b, c,  3, 0x8f0ccc92u, 10) \
    S(I, c, d, a, b, 10, 0xffeff47du, 15) S(I, b, c, d, a,  1, 0x85845dd1u, 21) \
    S(I, a, b, c, d,  8, 0x6fa87e4fu,  6) S(I, d, a, b, c, 15, 0xfe2ce6e0u, 10) \
    S(I, c, d, a, b,  6, 0xa3014314u, 15) S(I, b, c, d, a, 13, 0x4e0811a1u, 21) \
    S(I, a, b, c, d,  4, 0xf7537e82u,  6) S(I, d, a, b, c, 11, 0xbd3af235u, 10) \
    S(I, c, d, a, b,  2, 0x2ad7d2bbu, 15) S(I, b, c, d, a,  9, 0xeb86d391u, 21)

#define SF_MD5_ONE(f, a, b, c, d, k, t, s) SF_MD5_STEP(f, a, b, c, d, x[k], t, s)
#define SF_MD5_TWO(f, a, b, c, d, k, t, s) \
    SF_MD5_STEP(f, a, b, c, d, x[k], t, s) SF_MD5_STEP(f, a##2, b##2, c##2, d##2, y[k], t, s)

static inline void sf_md5_blocks(uint32_t st[4], const uint8_t *p, size_t nblocks)
{
    uint32_t x[16];
    int i;

    for (; nblocks; nblocks--, p += 64) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        for (i = 0; i < 16; i++)
            x[i] = sf_load_le32(p + 4 * i);
        SF_MD5_STEPS(SF_MD5_ONE)
        st[0] += a; st[1] += b; st[2] += c; st[3] += d;
    }
}

/* One block each of two independent messages, step by step side by side: a single MD5 is one long
 * dependency chain, and the second chain runs in its gaps. */
static inline void sf_md5_block_x2(uint32_t st[4], const uint8_t *p, uint32_t st2[4], const uint8_t *q)
{
    uint32_t x[16], y[16];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t a2 = st2[0], b2 = st2[1], c2 = st2[2], d2 = st2[3];
    int i;

    for (i = 0; i < 16; i++) {
        x[i] = sf_load_le32(p + 4 * i);
        y[i] = sf_load_le32(q + 4 * i);
    }
    SF_MD5_STEPS(SF_MD5_TWO)
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
    st2[0] += a2; st2[1] += b2; st2[2] += c2; st2[3] += d2;
}

/* ---- SHA-256, FIPS 180-4 §4.1.2, §4.2.2, §6.2 ---- */
static const uint32_t sf_sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

/* Ch(x,y,z) = (x AND y) XOR (NOT x AND z)     Maj(x,y,z) = (x AND y) XOR (x AND z) XOR (y AND z)
 * Σ0 = ROTR2 ^ ROTR13 ^ ROTR22   Σ1 = ROTR6 ^ ROTR11 ^ ROTR25
 * σ0 = ROTR7 ^ ROTR18 ^ SHR3     σ1 = ROTR17 ^ ROTR19 ^ SHR10
 * T1 = h + Σ1(e) + Ch(e,f,g) + K[t] + W[t]   T2 = Σ0(a) + Maj(a,b,c)
 * Maj(a,b,c) is computed as b ^ ((a ^ b) & (b ^ c)), the same value, where b ^ c is the a ^ b of
 * the round before (kept in bc); each round renames the eight working variables instead of moving
 * them. */
#define SF_CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define SF_SHA256_S0(x) (SF_ROTR32(x, 2) ^ SF_ROTR32(x, 13) ^ SF_ROTR32(x, 22))
#define SF_SHA256_S1(x) (SF_ROTR32(x, 6) ^ SF_ROTR32(x, 11) ^ SF_ROTR32(x, 25))
#define SF_SHA256_s0(x) (SF_ROTR32(x, 7) ^ SF_ROTR32(x, 18) ^ ((x) >> 3))
#define SF_SHA256_s1(x) (SF_ROTR32(x, 17) ^ SF_ROTR32(x, 19) ^ ((x) >> 10))
#define SF_SHA256_ROUND(a, b, c, d, e, f, g, h, t) \
    do { \
        uint32_t t1_ = (h) + SF_SHA256_S1(e) + SF_CH(e, f, g) + sf_sha256_k[t] + w[t]; \
        uint32_t ab_ = (a) ^ (b); \
        (d) += t1_; \
        (h) = t1_ + SF_SHA256_S0(a) + ((b) ^ (ab_ & bc)); \
        bc = ab_; \
    } while (0)

static inline void sf_sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    uint32_t w[64];
    int t;

    for (; nblocks; nblocks--, p += 64) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
        uint32_t bc = b ^ c;
        for (t = 0; t < 16; t++)
            w[t] = sf_load_be32(p + 4 * t);
        for (t = 16; t < 64; t++)
            w[t] = SF_SHA256_s1(w[t - 2]) + w[t - 7] + SF_SHA256_s0(w[t - 15]) + w[t - 16];
        for (t = 0; t < 64; t += 8) {
            SF_SHA256_ROUND(a, b, c, d, e, f, g, h, t);
            SF_SHA256_ROUND(h, a, b, c, d, e, f, g, t + 1);
            SF_SHA256_ROUND(g, h, a, b, c, d, e, f, t + 2);
            SF_SHA256_ROUND(f, g, h, a, b, c, d, e, t + 3);
            SF_SHA256_ROUND(e, f, g, h, a, b, c, d, t + 4);
            SF_SHA256_ROUND(d, e, f, g, h, a, b, c, t + 5);
            SF_SHA256_ROUND(c, d, e, f, g, h, a, b, t + 6);
            SF_SHA256_ROUND(b, c, d, e, f, g, h, a, t + 7);
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
    }
}

#ifdef SF_X86_SHA
/* The same compression on the SHA extensions.  The state lives as two vectors, ABEF and CDGH, the
 * layout sha256rnds2 wants; each sha256rnds2 does two rounds, so four rounds take two calls with
 * W+K for rounds t..t+3 in one vector.  The schedule for rounds t..t+3 is
 * msg2(msg1(W[t-16..t-13], W[t-12..t-9]) + W[t-7..t-4], W[t-4..t-1]). */
#define SF_NI_ROUNDS(m, t) \
    do { \
        __m128i wk_ = _mm_add_epi32((m), _mm_loadu_si128((const __m128i *)(sf_sha256_k + (t)))); \
        s1 = _mm_sha256rnds2_epu32(s1, s0, wk_); \
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk_, 0x0e)); \
    } while (0)
#define SF_NI_SCHEDULE(m0, m1, m2, m3) \
    ((m0) = _mm_sha256msg2_epu32( \
         _mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)), _mm_alignr_epi8((m3), (m2), 4)), (m3)))

__attribute__((target("sha,sse4.1")))
static inline void sf_sha256_blocks_ni(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)st);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(st + 4));
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
    __m128i s0 = _mm_alignr_epi8(cdab, efgh, 8);      /* ABEF */
    __m128i s1 = _mm_blend_epi16(efgh, cdab, 0xf0);   /* CDGH */
    int t;

    for (; nblocks; nblocks--, p += 64) {
        __m128i abef = s0, cdgh = s1;
        __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), swap);
        __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), swap);
        __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), swap);
        __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), swap);

        SF_NI_ROUNDS(m0, 0);
        SF_NI_ROUNDS(m1, 4);
        SF_NI_ROUNDS(m2, 8);
        SF_NI_ROUNDS(m3, 12);
        for (t = 16; t < 64; t += 16) {
            SF_NI_SCHEDULE(m0, m1, m2, m3); SF_NI_ROUNDS(m0, t);
            SF_NI_SCHEDULE(m1, m2, m3, m0); SF_NI_ROUNDS(m1, t + 4);
            SF_NI_SCHEDULE(m2, m3, m0, m1); SF_NI_ROUNDS(m2, t + 8);
            SF_NI_SCHEDULE(m3, m0, m1, m2); SF_NI_ROUNDS(m3, t + 12);
        }
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    {
        __m128i feba = _mm_shuffle_epi32(s0, 0x1b);
        __m128i dchg = _mm_shuffle_epi32(s1, 0xb1);
        _mm_storeu_si128((__m128i *)st, _mm_blend_epi16(feba, dchg, 0xf0));      /* DCBA */
        _mm_storeu_si128((__m128i *)(st + 4), _mm_alignr_epi8(dchg, feba, 8));   /* HGFE */
    }
}

static inline int sf_cpu_has_sha_ni(void)
{
    unsigned int a, b, c, d;

    /* CPUID leaf 1: ECX bit 9 SSSE3, bit 19 SSE4.1; leaf 7 subleaf 0: EBX bit 29 SHA. */
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
        return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    return (b >> 29) & 1;
}
#else
static inline int sf_cpu_has_sha_ni(void) { return 0; }
#endif

/* 1 while SHA-256 blocks go to the SHA extensions; set once by sf_hash_init. */
static int sf_sha256_accelerated = 0;

/* Chooses the SHA-256 block function: the SHA extensions when present unless `portable`.
 * Returns 1 when the accelerated one is in use. */
static inline int sf_hash_init(int portable)
{
    sf_sha256_accelerated = !portable && sf_cpu_has_sha_ni();
    return sf_sha256_accelerated;
}

static inline void sf_sha256_blocks(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
#ifdef SF_X86_SHA
    if (sf_sha256_accelerated) {
        sf_sha256_blocks_ni(st, p, nblocks);
        return;
    }
#endif
    sf_sha256_blocks_portable(st, p, nblocks);
}

/* ---- SHA-512 compression, FIPS 180-4 §4.1.3, §4.2.3, §6.4 ---- */
static const uint64_t sf_sha512_k[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

/* Σ0 = ROTR28 ^ ROTR34 ^ ROTR39   Σ1 = ROTR14 ^ ROTR18 ^ ROTR41
 * σ0 = ROTR1 ^ ROTR8 ^ SHR7       σ1 = ROTR19 ^ ROTR61 ^ SHR6
 * Maj and the renaming as for SHA-256. */
#define SF_SHA512_S0(x) (SF_ROTR64(x, 28) ^ SF_ROTR64(x, 34) ^ SF_ROTR64(x, 39))
#define SF_SHA512_S1(x) (SF_ROTR64(x, 14) ^ SF_ROTR64(x, 18) ^ SF_ROTR64(x, 41))
#define SF_SHA512_s0(x) (SF_ROTR64(x, 1) ^ SF_ROTR64(x, 8) ^ ((x) >> 7))
#define SF_SHA512_s1(x) (SF_ROTR64(x, 19) ^ SF_ROTR64(x, 61) ^ ((x) >> 6))
#define SF_SHA512_ROUND(a, b, c, d, e, f, g, h, t) \
    do { \
        uint64_t t1_ = (h) + SF_SHA512_S1(e) + SF_CH(e, f, g) + sf_sha512_k[t] + w[t]; \
        uint64_t ab_ = (a) ^ (b); \
        (d) += t1_; \
        (h) = t1_ + SF_SHA512_S0(a) + ((b) ^ (ab_ & bc)); \
        bc = ab_; \
    } while (0)

static inline void sf_sha512_blocks(uint64_t st[8], const uint8_t *p, size_t nblocks)
{
    uint64_t w[80];
    int t;

    for (; nblocks; nblocks--, p += 128) {
        uint64_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
        uint64_t bc = b ^ c;
        for (t = 0; t < 16; t++)
            w[t] = sf_load_be64(p + 8 * t);
        for (t = 16; t < 80; t++)
            w[t] = SF_SHA512_s1(w[t - 2]) + w[t - 7] + SF_SHA512_s0(w[t - 15]) + w[t - 16];
        for (t = 0; t < 80; t += 8) {
            SF_SHA512_ROUND(a, b, c, d, e, f, g, h, t);
            SF_SHA512_ROUND(h, a, b, c, d, e, f, g, t + 1);
            SF_SHA512_ROUND(g, h, a, b, c, d, e, f, t + 2);
            SF_SHA512_ROUND(f, g, h, a, b, c, d, e, t + 3);
            SF_SHA512_ROUND(e, f, g, h, a, b, c, d, t + 4);
            SF_SHA512_ROUND(d, e, f, g, h, a, b, c, t + 5);
            SF_SHA512_ROUND(c, d, e, f, g, h, a, b, t + 6);
            SF_SHA512_ROUND(b, c, d, e, f, g, h, a, t + 7);
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
    }
}

/* ---- one-shot digests ---- */

/* RFC 1321 §3.3: A = 01 23 45 67, B = 89 ab cd ef, C = fe dc ba 98, D = 76 54 32 10 (low byte first). */
static inline void sf_md5(const uint8_t *p, size_t n, uint8_t out[16])
{
    uint32_t st[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
    uint8_t last[128];
    size_t full = n / 64, k;
    int i;

    sf_md5_blocks(st, p, full);
    k = sf_pad(last, p + 64 * full, n % 64, n, 64, 1);
    sf_md5_blocks(st, last, k);
    for (i = 0; i < 4; i++)
        sf_store_le32(out + 4 * i, st[i]);
}

/* MD5 of two independent messages, their blocks hashed side by side while both have one left. */
static inline void sf_md5_pair(const uint8_t *p, size_t n, uint8_t out[16],
                               const uint8_t *q, size_t m, uint8_t out2[16])
{
    uint32_t st[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
    uint32_t st2[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
    uint8_t last[128], last2[128];
    size_t full = n / 64, full2 = m / 64, i;
    size_t blocks = full + sf_pad(last, p + 64 * full, n % 64, n, 64, 1);
    size_t blocks2 = full2 + sf_pad(last2, q + 64 * full2, m % 64, m, 64, 1);

#define SF_BLOCK(i, msg, whole, tail) ((i) < (whole) ? (msg) + 64 * (i) : (tail) + 64 * ((i) - (whole)))
    for (i = 0; i < blocks && i < blocks2; i++)
        sf_md5_block_x2(st, SF_BLOCK(i, p, full, last), st2, SF_BLOCK(i, q, full2, last2));
    for (; i < blocks; i++)
        sf_md5_blocks(st, SF_BLOCK(i, p, full, last), 1);
    for (; i < blocks2; i++)
        sf_md5_blocks(st2, SF_BLOCK(i, q, full2, last2), 1);
#undef SF_BLOCK
    for (i = 0; i < 4; i++) {
        sf_store_le32(out + 4 * i, st[i]);
        sf_store_le32(out2 + 4 * i, st2[i]);
    }
}

/* FIPS 180-4 §5.3.3: the initial hash value of SHA-256. */
static inline void sf_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    uint32_t st[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                      0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    uint8_t last[128];
    size_t full = n / 64, k;
    int i;

    sf_sha256_blocks(st, p, full);
    k = sf_pad(last, p + 64 * full, n % 64, n, 64, 0);
    sf_sha256_blocks(st, last, k);
    for (i = 0; i < 8; i++)
        sf_store_be32(out + 4 * i, st[i]);
}

/* FIPS 180-4 §5.3.6.2: SHA-512/256 has its own initial hash value (from the SHA-512/t IV generation
 * function), and its digest is the leftmost 256 bits of the final SHA-512 state. */
static inline void sf_sha512_256(const uint8_t *p, size_t n, uint8_t out[32])
{
    uint64_t st[8] = {0x22312194fc2bf72cULL, 0x9f555fa3c84c64c2ULL, 0x2393b86b6f53b151ULL,
                      0x963877195940eabdULL, 0x96283ee2a88effe3ULL, 0xbe5e1e2553863992ULL,
                      0x2b0199fc2c85b8aaULL, 0x0eb72ddc81c52ca2ULL};
    uint8_t last[256];
    size_t full = n / 128, k;
    int i;

    sf_sha512_blocks(st, p, full);
    k = sf_pad(last, p + 128 * full, n % 128, n, 128, 0);
    sf_sha512_blocks(st, last, k);
    for (i = 0; i < 4; i++)
        sf_store_be64(out + 8 * i, st[i]);
}

/* Digest of p[0..n) with SF_MD5, SF_SHA256 or SF_SHA512_256 into out (room for 32 bytes); returns the
 * digest size in bytes. */
static inline size_t sf_hash(int alg, const uint8_t *p, size_t n, uint8_t *out)
{
    switch (alg) {
    case SF_MD5:
        sf_md5(p, n, out);
        return 16;
    case SF_SHA256:
        sf_sha256(p, n, out);
        return 32;
    default:
        sf_sha512_256(p, n, out);
        return 32;
    }
}

/* ---- lowercase hex ---- */
static const char sf_hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f"
    "505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f"
    "707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f"
    "909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* Lowercase hex of d[0..n) into out[0..2n), one table load per byte. */
static inline void sf_hex(const uint8_t *d, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        memcpy(out + 2 * i, sf_hex_pairs + 2 * d[i], 2);
}

/* Lowercase hex digest of p[0..n) into out (room for 64 chars); returns its length. */
static inline size_t sf_hash_hex(int alg, const uint8_t *p, size_t n, char *out)
{
    uint8_t digest[32];
    size_t size = sf_hash(alg, p, n, digest);

    sf_hex(digest, size, out);
    return 2 * size;
}

/* sf_hash_hex of two independent messages; MD5 hashes them side by side. */
static inline void sf_hash_hex_pair(int alg, const uint8_t *p, size_t n, char *out,
                                    const uint8_t *q, size_t m, char *out2)
{
    uint8_t digest[16], digest2[16];

    if (alg != SF_MD5) {
        sf_hash_hex(alg, p, n, out);
        sf_hash_hex(alg, q, m, out2);
        return;
    }
    sf_md5_pair(p, n, digest, q, m, digest2);
    sf_hex(digest, 16, out);
    sf_hex(digest2, 16, out2);
}

#endif /* SIPFAST_HASH_H */
