/*
 * A small greedy encoder for the standard LZ4 block format.
 *
 * One hash probe per position, no skipping heuristics: the output is a pure function of the
 * input and DSM_LZ4_HASH_BITS, so the C# port (Dsm.Protocol.Lz4BlockEncoder) emits the same bytes
 * for the same table size. Block-format end rules: the last 5 bytes are literals and the last
 * match starts at least 12 bytes before the end.
 */
#include "dsm_internal.h"

#define MIN_MATCH 4u
#define LAST_LITERALS 5u
#define MATCH_START_LIMIT 12u

struct lz4_out {
    dsm_sink_fn sink;   /* NULL: only count */
    void *ctx;
    uint32_t produced;
};

static void put(struct lz4_out *o, uint8_t b)
{
    o->produced++;
    if (o->sink) o->sink(o->ctx, b);
}

static uint32_t read32(const uint8_t *p)
{
    uint32_t v;
    /* Little-endian target (dsm_protocol.h); the builtin is one unaligned load on ARMv7-M even where the
     * firmware builds with -fno-builtin (a memcpy call per input byte was 2 ms of a 1 Mbaud session). */
    __builtin_memcpy(&v, p, 4);
    return v;
}

/* A 4-bit token field, extended by 255-bytes when it saturates. */
static void put_length_rest(struct lz4_out *o, uint32_t n)
{
    if (n < 15u) return;
    for (n -= 15u; n >= 255u; n -= 255u) put(o, 255);
    put(o, (uint8_t)n);
}

/* One sequence: literals, then (match_len != 0) a match. */
static void put_sequence(struct lz4_out *o, const uint8_t *lit, uint32_t lit_len, uint32_t offset, uint32_t match_len)
{
    uint32_t ml = match_len - MIN_MATCH;
    put(o, (uint8_t)((lit_len >= 15u ? 15u : lit_len) << 4 | (match_len == 0 ? 0u : ml >= 15u ? 15u : ml)));
    put_length_rest(o, lit_len);
    while (lit_len--) put(o, *lit++);
    if (match_len == 0) return;
    put(o, (uint8_t)offset);
    put(o, (uint8_t)(offset >> 8));
    put_length_rest(o, ml);
}

uint32_t dsm_lz4_encode(const uint8_t *src, uint32_t len, uint16_t *hash_table, dsm_sink_fn sink, void *ctx)
{
    struct lz4_out o;
    uint32_t anchor = 0, ip = 0, cand = 0, ml;
    o.sink = sink;
    o.ctx = ctx;
    o.produced = 0;
    {
        /* Word stores, four a turn: the application's memset may go a byte at a time (the sample's does: 1 ms of a
         * 1 Mbaud session for two clears per block). The table is a multiple of 16 bytes, any alignment. */
        uint8_t *t = (uint8_t *)hash_table, *end = t + (sizeof(uint16_t) << DSM_LZ4_HASH_BITS);
        const uint32_t zero = 0;
        for (; t < end; t += 16) {
            __builtin_memcpy(t, &zero, 4);
            __builtin_memcpy(t + 4, &zero, 4);
            __builtin_memcpy(t + 8, &zero, 4);
            __builtin_memcpy(t + 12, &zero, 4);
        }
    }
    do {
        ml = 0;
        if (ip + MATCH_START_LIMIT > len) {
            ip = len;   /* the last sequence: literals only */
        } else {
            uint32_t seq = read32(src + ip), h = (seq * 2654435761u) >> (32 - DSM_LZ4_HASH_BITS);
            cand = hash_table[h];
            hash_table[h] = (uint16_t)ip;
            if (cand >= ip || read32(src + cand) != seq) {
                ip++;
                continue;
            }
            while (ip > anchor && cand > 0 && src[ip - 1] == src[cand - 1]) {
                ip--;
                cand--;
            }
            ml = MIN_MATCH;
            /* A word at a time while whole words match (zero runs make long matches), then byte by byte. */
            while (ip + ml + 4u <= len - LAST_LITERALS && read32(src + cand + ml) == read32(src + ip + ml)) ml += 4u;
            while (ip + ml < len - LAST_LITERALS && src[cand + ml] == src[ip + ml]) ml++;
        }
        put_sequence(&o, src + anchor, ip - anchor, ip - cand, ml);
        ip += ml;
        anchor = ip;
    } while (ml != 0 || ip < len);
    return o.produced;
}

static void to_buffer(void *ctx, uint8_t b)
{
    uint8_t **p = ctx;
    *(*p)++ = b;
}

uint32_t dsm_lz4_compress(const uint8_t *src, uint32_t len, uint8_t *out, uint16_t *hash_table)
{
    return dsm_lz4_encode(src, len, hash_table, out ? to_buffer : 0, &out);
}
