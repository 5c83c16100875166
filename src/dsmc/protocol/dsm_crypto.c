/*
 * CRC-32 (IEEE 802.3, reflected 0xEDB88320), SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104),
 * written for size rather than speed: the link, not the CPU, bounds a migration.
 */
#include <string.h>
#include "dsm_internal.h"

#ifdef DSM_SMALL_CRC
/* Bit at a time: no table, 76 bytes less, about 3 times the cycles (40 a byte on a Cortex-M3). */
uint32_t dsm_crc32_update(uint32_t crc, const uint8_t *data, uint32_t len)
{
    unsigned k;
    while (len--)
        for (crc ^= *data++, k = 8; k--;) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    return crc;
}
#else
/* CRC of each nibble value; 64 bytes of flash instead of a 1 KiB table. The flash offer runs it over
 * all flash, so its speed is part of the downtime. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu
};

uint32_t dsm_crc32_update(uint32_t crc, const uint8_t *data, uint32_t len)
{
    while (len--) {
        crc ^= *data++;
        crc = (crc >> 4) ^ crc_nibble[crc & 15u];
        crc = (crc >> 4) ^ crc_nibble[crc & 15u];
    }
    return crc;
}
#endif

static const uint32_t sha_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u
};

static const uint32_t sha_iv[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u
};

static uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

/* The Sigma functions of the compression step: three rotations xor-ed. */
static uint32_t big_sigma(uint32_t x, unsigned a, unsigned b, unsigned c) { return ror(x, a) ^ ror(x, b) ^ ror(x, c); }

/* Message bytes are stored at index ^ 3, so each w[] word already holds its big-endian value
 * (little-endian target, checked in dsm_protocol.h): no load or store conversion loops. */
static uint8_t *sha_byte_at(uint32_t *words, uint32_t i) { return (uint8_t *)words + (i ^ 3u); }

static void sha_block(dsm_sha256_t *c)
{
    uint32_t *w = c->w, a = c->h[0], b = c->h[1], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6],
             h = c->h[7], cc = c->h[2], t1, t2, i;
    for (i = 0; i < 64u; i++) {
        /* The message schedule lives in the 16-word block itself, as a ring. */
        if (i >= 16u) {
            uint32_t s0 = w[(i + 1u) & 15u], s1 = w[(i + 14u) & 15u];
            w[i & 15u] += (ror(s0, 7) ^ ror(s0, 18) ^ (s0 >> 3)) + (ror(s1, 17) ^ ror(s1, 19) ^ (s1 >> 10)) +
                          w[(i + 9u) & 15u];
        }
        t1 = h + big_sigma(e, 6, 11, 25) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i & 15u];
        t2 = big_sigma(a, 2, 13, 22) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g; g = f; f = e; e = d + t1;
        d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
    c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

void dsm_sha_init(dsm_sha256_t *c)
{
    memcpy(c->h, sha_iv, sizeof sha_iv);
    c->bytes = 0;
}

void dsm_sha_byte(dsm_sha256_t *c, uint8_t b)
{
    *sha_byte_at(c->w, c->bytes & 63u) = b;
    if ((++c->bytes & 63u) == 0) sha_block(c);
}

void dsm_sha_update(dsm_sha256_t *c, const uint8_t *p, uint32_t n)
{
    while (n--) dsm_sha_byte(c, *p++);
}

void dsm_sha_final(dsm_sha256_t *c, uint8_t out[32])
{
    /* Messages are shorter than 4 GiB (lengths are 32-bit): the bit count's high word is bytes >> 29. */
    uint32_t bytes = c->bytes, i;
    dsm_sha_byte(c, 0x80);
    while ((c->bytes & 63u) != 56u) dsm_sha_byte(c, 0);
    c->w[14] = bytes >> 29;
    c->w[15] = bytes << 3;
    sha_block(c);
    for (i = 0; i < 32u; i++) out[i] = *sha_byte_at(c->h, i);
}

void dsm_sha256(const uint8_t *data, uint32_t len, uint8_t out[32])
{
    dsm_sha256_t c;
    dsm_sha_init(&c);
    dsm_sha_update(&c, data, len);
    dsm_sha_final(&c, out);
}

void dsm_hmac_sha256(const uint8_t *key, uint32_t key_len, const uint8_t *msg, uint32_t msg_len, uint8_t out[32])
{
    dsm_sha256_t c;
    uint8_t inner[32], pad = 0x36;
    unsigned i;
    /* Keys longer than a SHA-256 block are not supported (DSM_MAX_KEY): no key hashing needed.
     * Two passes: H(key ^ ipad || msg) into inner, then H(key ^ opad || inner) into out. */
    for (;;) {
        dsm_sha_init(&c);
        for (i = 0; i < 64u; i++) dsm_sha_byte(&c, (uint8_t)((i < key_len ? key[i] : 0u) ^ pad));
        dsm_sha_update(&c, msg, msg_len);
        if (pad == 0x5c) break;
        dsm_sha_final(&c, inner);
        msg = inner;
        msg_len = sizeof inner;
        pad = 0x5c;
    }
    dsm_sha_final(&c, out);
}
