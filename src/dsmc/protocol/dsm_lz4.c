/*
 * A small greedy encoder for the standard LZ4 block format.
 *
 * One hash probe per position, no skipping heuristics: the output is a pure function of the
 * input and DSM_LZ4_HASH_BITS, so the C# port (Dsm.Protocol.Lz4BlockEncoder) emits the same bytes.
 * Block-format end rules: the last 5 bytes are literals and the last match starts at least
 * 12 bytes before the end.
 */
#include <string.h>
#include "dsm_internal.h"

#define MIN_MATCH 4u
#define LAST_LITERALS 5u
#define MATCH_START_LIMIT 12u

static uint32_t read32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t hash32(uint32_t v)
{
    return (v * 2654435761u) >> (32 - DSM_LZ4_HASH_BITS);
}

static uint32_t put_length(uint32_t rest, dsm_sink_fn sink, void *ctx)
{
    uint32_t n = 0;
    for (; rest >= 255u; rest -= 255u, n++) sink(ctx, 255);
    sink(ctx, (uint8_t)rest);
    return n + 1;
}

static uint32_t put_sequence(const uint8_t *lit, uint32_t lit_len, uint32_t offset, uint32_t match_len,
                             dsm_sink_fn sink, void *ctx)
{
    uint32_t n = 1, i, ml = match_len - MIN_MATCH;
    uint8_t token = (uint8_t)((lit_len >= 15u ? 15u : lit_len) << 4);
    if (match_len) token |= (uint8_t)(ml >= 15u ? 15u : ml);
    sink(ctx, token);
    if (lit_len >= 15u) n += put_length(lit_len - 15u, sink, ctx);
    for (i = 0; i < lit_len; i++) sink(ctx, lit[i]);
    n += lit_len;
    if (!match_len) return n;
    sink(ctx, (uint8_t)offset);
    sink(ctx, (uint8_t)(offset >> 8));
    n += 2;
    if (ml >= 15u) n += put_length(ml - 15u, sink, ctx);
    return n;
}

uint32_t dsm_lz4_encode(const uint8_t *src, uint32_t len, uint16_t *hash_table, dsm_sink_fn sink, void *ctx)
{
    uint32_t anchor = 0, ip = 0, out = 0;
    memset(hash_table, 0, sizeof(uint16_t) << DSM_LZ4_HASH_BITS);
    while (len >= MATCH_START_LIMIT && ip + MATCH_START_LIMIT <= len) {
        uint32_t seq = read32(src + ip), h = hash32(seq), cand = hash_table[h], ml;
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
        while (ip + ml < len - LAST_LITERALS && src[cand + ml] == src[ip + ml]) ml++;
        out += put_sequence(src + anchor, ip - anchor, ip - cand, ml, sink, ctx);
        ip += ml;
        anchor = ip;
    }
    return out + put_sequence(src + anchor, len - anchor, 0, 0, sink, ctx);
}

struct buffer_sink { uint8_t *p; };

static void to_buffer(void *ctx, uint8_t b) { struct buffer_sink *s = ctx; *s->p++ = b; }
static void to_nowhere(void *ctx, uint8_t b) { (void)ctx; (void)b; }

uint32_t dsm_lz4_compress(const uint8_t *src, uint32_t len, uint8_t *out, uint16_t *hash_table)
{
    struct buffer_sink s;
    s.p = out;
    return dsm_lz4_encode(src, len, hash_table, out ? to_buffer : to_nowhere, &s);
}
