/*
 * Device side of a migration session: a plan of frames walked one step at a time.
 *
 * Every device data frame is a pure function of (configuration, CPU state, memory, ACCEPT,
 * flash request bitmap) and its sequence number. That is what makes retransmission cheap in RAM:
 * on a NACK the session rewinds to the start and replays the plan without sending (only the
 * transcript hash is fed) until it reaches the requested frame. No frame is ever buffered.
 *
 * Written for code size (the whole DSMC has 4 KiB): wire fields that sit in memory in wire order
 * (little-endian) are sent straight from memory, and every byte goes through one sink.
 */
#include <string.h>
#include "dsm_internal.h"

enum {
    PH_HELLO, PH_WAIT_ACCEPT, PH_OFFER, PH_SRAM, PH_FLASH, PH_CPU, PH_COMMIT, PH_WAIT_COMMITTED, PH_DONE
};

#define RX_GARBAGE_BUDGET 1024u
/* A host sends each frame in one piece, so a silence this long inside one means bytes were lost: the held
 * bytes are searched for a frame behind the broken one's start. (Waiting for the broken frame's length
 * instead swallowed the host's next copies, a reply timeout each.) DSM_SMALL_RX (the small builds) leaves
 * this and DSM_RX_AFTER_LOSS out: such a frame then costs a reply timeout. */
#ifndef RX_GAP_MS
#define RX_GAP_MS 5u
#endif
/* The flash diff needs the host's answers: a push-only build has no code for it. */
#define FLASH_DIFF (DSM_HAS_FLASH_DIFF && DSM_HAS_BACKCHANNEL)
#define HASH_TABLE_BYTES (DSM_HAS_LZ4 ? 2u << DSM_LZ4_HASH_BITS : 0u)

/* Wire fields of host frames (little-endian target): one unaligned load each. */
static uint32_t rd16(const uint8_t *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

/* ---- transcript: SHA-256, or CRC-32 with DSM_CRC_TRANSCRIPT (the digest's first 4 bytes, rest 0) ---- */

static void transcript_init(dsm_session_t *s)
{
#ifdef DSM_CRC_TRANSCRIPT
    s->transcript = 0xFFFFFFFFu;
#else
    dsm_sha_init(&s->sha);
#endif
}

static void transcript_add(dsm_session_t *s, const uint8_t *p, uint32_t n)
{
#ifdef DSM_CRC_TRANSCRIPT
    s->transcript = dsm_crc32_update(s->transcript, p, n);
#else
    dsm_sha_update(&s->sha, p, n);
#endif
}

/* Into s->digest. The CRC form leaves bytes 4-31 as dsm_session_start cleared them. */
static void transcript_final(dsm_session_t *s)
{
#ifdef DSM_CRC_TRANSCRIPT
    uint32_t crc = ~s->transcript;
    memcpy(s->digest, &crc, 4);
#else
    dsm_sha_final(&s->sha, s->digest);
#endif
}

/* ---- transmit sink: wire (CRC + port) and transcript ---- */

/* Every frame byte goes through here: into the frame's CRC and to the port (unless a NACK's replay
 * silences the wire), and into the transcript while a data frame's payload is sent. */
static void pay_bytes(dsm_session_t *s, const void *p, uint32_t n)
{
    const uint8_t *q = p;
    uint32_t i;
    if (!DSM_HAS_BACKCHANNEL || s->emit) {
        s->crc = dsm_crc32_update(s->crc, q, n);
        for (i = 0; i < n; i++) s->io->put(s->io->ctx, q[i]);
    }
    if (s->in_transcript) transcript_add(s, q, n);
}

static void pay(void *ctx, uint8_t b)
{
    pay_bytes(ctx, &b, 1);
}

/* The low n bytes of v, little-endian. */
static void pay_le(dsm_session_t *s, uint32_t v, unsigned n)
{
    pay_bytes(s, &v, n);
}

/* Starts a frame. Data frames (transcript = 1) consume a sequence number; control frames do not. */
static void frame_begin(dsm_session_t *s, uint32_t type, uint32_t len, int transcript)
{
    uint32_t h[2];
    h[0] = DSM_SYNC0 | DSM_SYNC1 << 8 | type << 16;   /* flags 0 */
    h[1] = len | (uint32_t)s->seq << 16;
    s->crc = 0xFFFFFFFFu;
    s->in_transcript = 0;
    pay_bytes(s, h, DSM_HEADER_SIZE);
    if (transcript) {
        /* The transcript holds type and length of each data frame, then its payload. */
        uint32_t head = type | len << 8;   /* type (1), length (2) */
        transcript_add(s, (const uint8_t *)&head, 3);
        s->in_transcript = 1;
        s->seq++;
    }
}

static void frame_end(dsm_session_t *s)
{
    uint32_t crc = ~s->crc;
    s->in_transcript = 0;
    pay_bytes(s, &crc, 4);
}

/* Control frames (NACK, ABORT, DONE) are never sent during a replay, so they always reach the wire. */
static void send_control(dsm_session_t *s, uint8_t type, const uint8_t *payload, uint32_t len)
{
    frame_begin(s, type, len, 0);
    pay_bytes(s, payload, len);
    frame_end(s);
}

static void send_nack(dsm_session_t *s)
{
    uint32_t expected = s->host_seq;   /* expected sequence (2), reserved (2) */
    send_control(s, DSM_MSG_NACK, (const uint8_t *)&expected, 4);
}

/* ---- plan helpers ---- */

static uint32_t block_count(uint32_t size) { return (size + DSM_BLOCK_SIZE - 1u) / DSM_BLOCK_SIZE; }

static int has_flash_diff(const dsm_session_t *s) { return FLASH_DIFF && (s->options & DSM_OPT_FLASH_DIFF); }

/* Bit index of block 0 of flash region r in the request bitmap (r = region_count: bits in all). */
static uint32_t flash_bit_base(const dsm_config_t *cfg, uint32_t r)
{
    uint32_t bits = 0;
    const dsm_region_t *g = cfg->regions;
    for (; r--; g++)
        if (g->kind == DSM_REGION_FLASH) bits += block_count(g->size);
    return bits;
}

static const dsm_region_t *cur_region(const dsm_session_t *s) { return &s->cfg->regions[s->region]; }

/* Whether the block at offset of the current region is sent: always, except flash blocks the host
 * did not request after a flash offer. */
static int block_selected(const dsm_session_t *s, uint32_t offset)
{
    uint32_t bit;
    if (s->phase != PH_FLASH || !has_flash_diff(s)) return 1;
    bit = flash_bit_base(s->cfg, s->region) + offset / DSM_BLOCK_SIZE;
    return (s->flash_bitmap[bit >> 3] >> (bit & 7u)) & 1u;
}

/* Moves (region, offset) to the next block (offer phase: the next run of offered blocks) of the
 * current phase; 0 when the phase is over. */
static int seek(dsm_session_t *s)
{
    uint32_t kind = s->phase == PH_SRAM ? DSM_REGION_SRAM : DSM_REGION_FLASH;
    for (; s->region < s->cfg->region_count; s->region++, s->offset = 0) {
        const dsm_region_t *r = cur_region(s);
        if (r->kind != kind) continue;
        while (s->offset < r->size && !block_selected(s, s->offset)) s->offset += DSM_BLOCK_SIZE;
        if (s->offset < r->size) return 1;
    }
    return 0;
}

/* DSM_ENC_ZERO if p[0..n) is all zero, DSM_ENC_FILL if it repeats one little-endian 32-bit word
 * (then in *pattern), else DSM_ENC_RAW. Blocks under 4 bytes always go raw. */
static uint32_t uniform_kind(const uint8_t *p, uint32_t n, uint32_t *pattern)
{
    uint32_t i = 4;
    if (n < 4u) return DSM_ENC_RAW;
#ifndef DSM_SMALL_SCAN
    uint32_t w0, w;
    /* Whole words first (4x fewer iterations), then the tail bytes. The builtin is one LDR, safe for any
     * alignment, even where the firmware builds with -fno-builtin. */
    for (; i + 4u <= n; i += 4u) {
        __builtin_memcpy(&w0, p, 4);
        __builtin_memcpy(&w, p + i, 4);
        if (w != w0) return DSM_ENC_RAW;
    }
#endif
    for (; i < n; i++)
        if (p[i] != p[i & 3u]) return DSM_ENC_RAW;
    __builtin_memcpy(pattern, p, 4);   /* little-endian target */
    if (*pattern == 0) return DSM_ENC_ZERO;
    return (n & 3u) ? DSM_ENC_RAW : DSM_ENC_FILL;
}

static uint32_t block_len(const dsm_region_t *r, uint32_t offset)
{
    uint32_t len = r->size - offset;
    return len > DSM_BLOCK_SIZE ? DSM_BLOCK_SIZE : len;
}

static void send_block(dsm_session_t *s)
{
    const dsm_region_t *r = cur_region(s);
    const uint8_t *p = r->data + s->offset;
    uint32_t len = block_len(r, s->offset), pattern = 0, packed, next, other;
    uint32_t enc = uniform_kind(p, len, &pattern);
    if (enc != DSM_ENC_RAW) {
        /* Runs of equal blocks travel as one frame. */
        for (next = s->offset + len; next < r->size && block_selected(s, next); next += DSM_BLOCK_SIZE) {
            uint32_t n = block_len(r, next);
            if (uniform_kind(r->data + next, n, &other) != enc || other != pattern) break;
            len += n;
        }
        packed = enc == DSM_ENC_FILL ? 4u : 0u;
    } else {
        packed = DSM_HAS_LZ4 ? dsm_lz4_encode(p, len, s->hash_table, 0, 0) : len;
        if (packed < len) enc = DSM_ENC_LZ4;
        else packed = len;
    }
    frame_begin(s, DSM_MSG_BLOCK, 12u + packed, 1);
    {
        /* region, encoding, reserved (2); offset; length; the fill pattern if any */
        uint32_t head[4];
        head[0] = s->region | enc << 8;
        head[1] = s->offset;
        head[2] = len;
        head[3] = pattern;
        pay_bytes(s, head, enc == DSM_ENC_FILL ? 16u : 12u);
    }
    if (enc == DSM_ENC_RAW) pay_bytes(s, p, len);
    else if (DSM_HAS_LZ4 && enc == DSM_ENC_LZ4) dsm_lz4_encode(p, len, s->hash_table, pay, s);
    frame_end(s);
    s->offset += len;
}

static void send_hello(dsm_session_t *s)
{
    const dsm_config_t *c = s->cfg;
    const dsm_region_t *g = c->regions;
    uint32_t i, caps = (c->capabilities & ~DSM_CAP_KEY) | (DSM_HAS_LZ4 ? DSM_CAP_LZ4 : 0u);
    if (DSM_HAS_KEY && c->key_len) caps |= DSM_CAP_KEY;
    if (!DSM_HAS_FLASH_DIFF) caps &= ~DSM_CAP_FLASH_CRC;
    if (!DSM_HAS_BACKCHANNEL) caps &= ~DSM_CAP_BACKCHANNEL;
#ifdef DSM_CRC_TRANSCRIPT
    caps |= DSM_CAP_CRC_TRANSCRIPT;
#endif
    frame_begin(s, DSM_MSG_HELLO, 36u + c->build_id_len + c->board_id_len + 9u * c->region_count, 1);
    {
        /* version, capabilities, region count, build id length; board id length, reserved, IRQ count */
        uint32_t head[2];
        head[0] = DSM_PROTOCOL_VERSION | caps << 8 | (uint32_t)c->region_count << 16 | (uint32_t)c->build_id_len << 24;
        head[1] = c->board_id_len | (uint32_t)c->irq_count << 16;
        pay_bytes(s, head, 8);
    }
    pay_bytes(s, c->device_id, DSM_DEVICE_ID_SIZE + 12u);   /* device id, CPUID, core clock, resume address */
    pay_bytes(s, c->build_id, c->build_id_len);
    pay_bytes(s, c->board_id, c->board_id_len);
    for (i = c->region_count; i--; g++) {
        pay(s, g->kind);
        pay_bytes(s, &g->base, 8);   /* base, size */
    }
    frame_end(s);
}

/* The ACCEPT enters the transcript right after HELLO, binding nonce and options. */
static void hash_accept(dsm_session_t *s)
{
    uint32_t head = DSM_MSG_ACCEPT | 18u << 8, tail = s->options;   /* type, length (2) */
    transcript_add(s, (const uint8_t *)&head, 3);
    transcript_add(s, s->nonce, DSM_NONCE_SIZE);
    transcript_add(s, (const uint8_t *)&tail, 2);
}

#if FLASH_DIFF
/* Pieces a block's CRC is computed in: the UART shifts one byte of the previous block's CRC during each, so
 * the offer's bytes cost no time of their own (at 1 Mbaud a byte and a quarter block take about as long). */
#define OFFER_PIECES 4u

/* The CRC-32 of a whole block of erased flash (DSM_BLOCK_SIZE bytes of 0xFF). Most of a part's flash is usually
 * erased: such a block is only read, in well under half the cycles of feeding it to the CRC unit. */
#define ERASED_BLOCK_CRC 0xF154670Au
_Static_assert(DSM_BLOCK_SIZE == 4096u, "ERASED_BLOCK_CRC is the CRC-32 of 4096 bytes of 0xFF");

/* 1 if the n bytes at p (n a multiple of 32) are all 0xFF. Eight words a turn: the loop's own cycles were a third of
 * the scan at four. The builtin is one LDR, safe for any alignment, even where the firmware builds with -fno-builtin. */
static int erased(const uint8_t *p, uint32_t n)
{
    const uint8_t *end = p + n;
    for (; p < end; p += 32) {
        uint32_t a, b, c, d, e, f, g, h;
        __builtin_memcpy(&a, p, 4);
        __builtin_memcpy(&b, p + 4, 4);
        __builtin_memcpy(&c, p + 8, 4);
        __builtin_memcpy(&d, p + 12, 4);
        __builtin_memcpy(&e, p + 16, 4);
        __builtin_memcpy(&f, p + 20, 4);
        __builtin_memcpy(&g, p + 24, 4);
        __builtin_memcpy(&h, p + 28, 4);
        if ((a & b & c & d & e & f & g & h) != 0xFFFFFFFFu) return 0;
    }
    return 1;
}

/* The CRC-32 of the block at offset i of r, sending the four bytes of crc_before (the previous block's) between
 * its pieces when send is set. Pieces of a whole block are first looked at for erased flash; from the first
 * piece that is not, the CRC is computed from the block's start. */
static uint32_t offer_crc(dsm_session_t *s, const dsm_region_t *r, uint32_t i, uint32_t crc_before, int send)
{
    uint32_t (*unit)(const uint8_t *, uint32_t, uint32_t) = s->cfg->block_crc;
    const uint8_t *block = r->data + i, *p = block, *fed = block;
    uint32_t len = block_len(r, i), quarter = (len / OFFER_PIECES) & ~3u, state = 0xFFFFFFFFu, k, n;
    int blank = len == DSM_BLOCK_SIZE;
    for (k = 0; k < OFFER_PIECES; k++, p += n, crc_before >>= 8) {
        n = k + 1u < OFFER_PIECES ? quarter : len - (OFFER_PIECES - 1u) * quarter;   /* whole words but the last */
        if (blank && !erased(p, n)) blank = 0;
        if (!blank) {
            uint32_t m = (uint32_t)(p + n - fed);   /* this piece, and any erased ones before it */
            if (unit) state = unit(fed, m, (fed == block ? DSM_CRC_START : 0u) | (k + 1u == OFFER_PIECES ? DSM_CRC_END : 0u));
            else state = dsm_crc32_update(state, fed, m);
            fed += m;
        }
        if (send) pay(s, (uint8_t)crc_before);
    }
    return blank ? ERASED_BLOCK_CRC : unit ? state : ~state;
}

/* Sends one offer frame of at most DSM_MAX_OFFER_BLOCKS CRCs of the flash region's blocks from offset on. */
static void send_offer(dsm_session_t *s)
{
    const dsm_config_t *c = s->cfg;
    const dsm_region_t *r = cur_region(s);
    uint32_t first = s->offset / DSM_BLOCK_SIZE, n = block_count(r->size) - first, i, last, crc;
    if (n > DSM_MAX_OFFER_BLOCKS) n = DSM_MAX_OFFER_BLOCKS;
    s->offset += n * DSM_BLOCK_SIZE;
    /* The last offer frame of the session: this region ends here and no flash region follows. */
    last = s->offset >= r->size && flash_bit_base(c, c->region_count) == flash_bit_base(c, s->region + 1u);
    frame_begin(s, DSM_MSG_FLASH_OFFER, 8u + 4u * n, 1);
    pay_le(s, s->region | last << 8 | first << 16, 4);
    pay_le(s, n, 4);
    i = first * DSM_BLOCK_SIZE;
    crc = offer_crc(s, r, i, 0, 0);
    while (--n) {
        i += DSM_BLOCK_SIZE;
        crc = offer_crc(s, r, i, crc, 1);
    }
    pay_le(s, crc, 4);
    frame_end(s);
}
#endif

static void send_cpu_state(dsm_session_t *s)
{
    const dsm_cpu_state_t *c = s->cpu;
    uint32_t n = s->cfg->irq_count, words = 4u * ((n + 31u) / 32u);
    frame_begin(s, DSM_MSG_CPU_STATE, 152u + 3u * words + n, 1);
    pay_le(s, DSM_CPU_STATE_VERSION | n << 16, 4);   /* version, reserved, IRQ count */
    /* r0 .. active_exceptions mirror the wire (checked in dsm_protocol.h): 148 bytes as they are. */
    pay_bytes(s, c, offsetof(dsm_cpu_state_t, nvic_enabled));
    pay_bytes(s, c->nvic_enabled, words);
    pay_bytes(s, c->nvic_pending, words);
    pay_bytes(s, c->nvic_active, words);
    pay_bytes(s, c->nvic_priority, n);
    frame_end(s);
}

static void send_commit(dsm_session_t *s)
{
    uint32_t keyed = DSM_HAS_KEY && s->cfg->key_len != 0;
    transcript_final(s);
    frame_begin(s, DSM_MSG_COMMIT, keyed ? 68u : 36u, 0);
    s->seq++; /* COMMIT holds the transcript digest, so it is not part of the transcript */
    pay_le(s, keyed, 4);
    pay_bytes(s, s->digest, DSM_DIGEST_SIZE);
#if DSM_HAS_KEY
    if (keyed) {
        uint8_t mac[DSM_DIGEST_SIZE];
        /* The MAC covers nonce || digest, which lie together in the session (checked in dsm_protocol.h). */
        dsm_hmac_sha256(s->cfg->key, s->cfg->key_len, s->nonce, DSM_NONCE_SIZE + DSM_DIGEST_SIZE, mac);
        pay_bytes(s, mac, DSM_DIGEST_SIZE);
    }
#endif
    frame_end(s);
}

static void start_transfer(dsm_session_t *s)
{
    s->region = 0;
    s->offset = 0;
    s->phase = has_flash_diff(s) ? PH_OFFER : PH_SRAM;
}

/* Whether the host can answer: a receive function and the backchannel capability. */
static int duplex(const dsm_session_t *s)
{
    return DSM_HAS_BACKCHANNEL && s->io->get && (s->cfg->capabilities & DSM_CAP_BACKCHANNEL);
}

/* Produces the frame at the current plan position (or moves to the next phase). */
static void plan_step(dsm_session_t *s)
{
    uint32_t phase = s->phase;
    if (phase == PH_HELLO) {
        s->seq = 0;
        transcript_init(s);
        send_hello(s);
        if (duplex(s)) {
            if (s->emit) { s->phase = PH_WAIT_ACCEPT; return; }
            hash_accept(s); /* replay: the ACCEPT is already known */
        }
        start_transfer(s);
    } else if (phase <= PH_FLASH) {   /* offer, SRAM, flash: one frame per step */
        if (!seek(s)) {
            s->region = 0;
            s->offset = 0;
            s->phase++;   /* OFFER -> SRAM -> FLASH -> CPU */
        }
#if FLASH_DIFF
        else if (phase == PH_OFFER) send_offer(s);
#endif
        else send_block(s);
    } else if (phase == PH_CPU) {
        send_cpu_state(s);
        s->phase = PH_COMMIT;
    } else {
        send_commit(s);
        s->phase = PH_WAIT_COMMITTED;
    }
}

/* Replays the plan silently up to the frame with sequence number target, so it is sent next. */
__attribute__((noinline)) static void rewind_to(dsm_session_t *s, uint16_t target)
{
    s->emit = 0;
    s->phase = PH_HELLO;
    do plan_step(s);
    while (s->seq != target || s->phase == PH_HELLO);
    s->emit = 1;
}

/* ---- receive ---- */

/* Reads bytes until a complete, CRC-valid host frame is at the front of rx; 0 on timeout (timeout_ms 0: only
 * the bytes already there).
 * rx_pos: bytes held (low byte) and the length of a front frame already returned, dropped next time
 * (high byte). A broken header or CRC drops one byte and rescans what is held (protocol.md 1.): a frame
 * that began inside a broken one (whose bytes an overrun lost) is still found. */
static int rx_frame(dsm_session_t *s, uint32_t timeout_ms)
{
    uint32_t budget = RX_GARBAGE_BUDGET, pos = s->rx_pos & 0xFFu, end, drop = s->rx_pos >> 8, i;
    uint8_t *rx = s->rx;
    int c;
    if (!DSM_HAS_BACKCHANNEL) return 0;
    for (;;) {
        if (drop) {
            /* Straight to the next possible frame start, in one pass. A byte-wise rescan (a shift per dropped byte)
             * of a broken frame outlasted the bytes behind it on a FIFO-less UART at 1 Mbaud, which were then
             * overrun in the same places on every resend. */
            for (i = 0; drop < pos; drop++)
                if (i || rx[drop] == DSM_SYNC0) rx[i++] = rx[drop];
            pos = i;
            drop = 0;
        }
        end = DSM_HEADER_SIZE + rd16(rx + 4);
        if ((pos && rx[0] != DSM_SYNC0) || (pos >= 2 && rx[1] != DSM_SYNC1)) drop = 1;
        else if (pos < DSM_HEADER_SIZE || pos < end + DSM_TRAILER_SIZE) {
            if (pos >= DSM_HEADER_SIZE && (rx[3] != 0 || end > DSM_HEADER_SIZE + DSM_MAX_HOST_PAYLOAD)) drop = 1;
            else if (!s->io->get || !budget--) break;
#ifdef DSM_SMALL_RX
            else if ((c = s->io->get(s->io->ctx, timeout_ms)) >= 0) rx[pos++] = (uint8_t)c;
#else
            else if ((c = s->io->get(s->io->ctx, pos && timeout_ms ? RX_GAP_MS : timeout_ms)) >= 0) {
                if (c & DSM_RX_AFTER_LOSS) pos = 0;   /* the held bytes cannot finish a frame */
                rx[pos++] = (uint8_t)c;
            }
            else if (pos && timeout_ms) drop = 1;   /* the line fell silent inside a frame: it was broken */
#endif
            else break;
        } else if (~dsm_crc32_update(0xFFFFFFFFu, rx, end) == rd32(rx + end)) {
            s->rx_pos = (uint16_t)(pos | (end + DSM_TRAILER_SIZE) << 8);
            return 1;
        } else drop = 1;
    }
    s->rx_pos = (uint16_t)pos;
    return 0;
}

#if FLASH_DIFF
/* Copies a FLASH_REQUEST's bits into the request bitmap; 0 if the request is malformed. */
static int handle_flash_request(dsm_session_t *s, const uint8_t *p, uint32_t len)
{
    const dsm_config_t *c = s->cfg;
    uint32_t r = p[0], first = rd16(p + 2), n = rd16(p + 4), bit, i;
    if (len < 8 || r >= c->region_count || c->regions[r].kind != DSM_REGION_FLASH || n == 0 ||
        first + n > block_count(c->regions[r].size) || len != 8u + (n + 7u) / 8u)
        return 0;
    bit = flash_bit_base(c, r) + first;
    for (i = 0; i < n; i++, bit++) {
        uint8_t *m = &s->flash_bitmap[bit >> 3], mask = (uint8_t)(1u << (bit & 7u));
        *m &= (uint8_t)~mask;
        if ((p[8 + i / 8] >> (i & 7u)) & 1u) *m |= mask;
    }
    if (p[1] & 1u) s->flash_requests_done = 1;
    return 1;
}
#endif

/* Ends the session. Host errors and timeouts are told to the host with an ABORT (reason 1 protocol
 * error, 5 timeout: DSM_OUTCOME_TIMEOUT's own value). */
__attribute__((noinline)) static dsm_outcome_t finish(dsm_session_t *s, dsm_outcome_t outcome)
{
    if (DSM_HAS_BACKCHANNEL && (outcome == DSM_OUTCOME_HOST_ERROR || outcome == DSM_OUTCOME_TIMEOUT)) {
        uint32_t reason = outcome == DSM_OUTCOME_TIMEOUT ? DSM_OUTCOME_TIMEOUT : 1u;   /* reason, text length 0 */
        send_control(s, DSM_MSG_ABORT, (const uint8_t *)&reason, 2);
    }
    s->phase = PH_DONE;
    return outcome;
}

/* Interprets the buffered host frame. waiting: the phase the step waits in, 0 between data frames. */
static dsm_outcome_t handle_frame(dsm_session_t *s, uint32_t waiting)
{
    uint32_t type = s->rx[2], len = rd16(s->rx + 4);
    uint16_t seq = (uint16_t)rd16(s->rx + 6);
    const uint8_t *p = s->rx + DSM_HEADER_SIZE;
    uint8_t reason = len ? p[0] : 0;
    if (type == DSM_MSG_ABORT) {
        s->remote_reason = reason;
        return finish(s, DSM_OUTCOME_ABORTED);
    }
    if (type == DSM_MSG_NACK) {
        uint16_t target = (uint16_t)rd16(p);
        /* Only frames already sent can be asked for again. */
        if (len != 4 || target == 0 || target > s->seq || s->phase <= PH_WAIT_ACCEPT) goto fatal;
        if (target != s->nack_seq) s->nack_seq = target, s->nack_count = 1;
        else if (++s->nack_count > s->cfg->max_retries) return finish(s, DSM_OUTCOME_TIMEOUT);
        rewind_to(s, target);
        goto progress;
    }
    if (type == DSM_MSG_KEEPALIVE) goto progress;
    if (seq != s->host_seq) {
        if ((int16_t)(seq - s->host_seq) > 0) send_nack(s); /* a host frame was lost */
        return DSM_OUTCOME_RUNNING;                         /* else a duplicate */
    }
    s->host_seq++;   /* every other answer ends the session */
    switch (type) {
    case DSM_MSG_ACCEPT:
        if (s->phase != PH_WAIT_ACCEPT || len != 18 || p[17] != 0) break;
        memcpy(s->nonce, p, DSM_NONCE_SIZE);
#if FLASH_DIFF
        s->options = (s->cfg->capabilities & DSM_CAP_FLASH_CRC) ? (uint8_t)(p[16] & DSM_OPT_FLASH_DIFF) : 0u;
#else
        s->options = p[16];   /* no option applies; kept as sent, for the transcript */
#endif
        s->flash_requests_done = !has_flash_diff(s);
        s->retries = 0;
        hash_accept(s);
        start_transfer(s);
        return DSM_OUTCOME_RUNNING;
    case DSM_MSG_REJECT:
        s->remote_reason = reason;
        return finish(s, DSM_OUTCOME_REJECTED);
#if FLASH_DIFF
    case DSM_MSG_FLASH_REQUEST:
        if (s->flash_requests_done || !handle_flash_request(s, p, len)) break;
        goto progress;
#endif
    case DSM_MSG_COMMITTED:
        if (s->phase != PH_WAIT_COMMITTED || len != DSM_DIGEST_SIZE || memcmp(p, s->digest, DSM_DIGEST_SIZE) != 0)
            break;
        send_control(s, DSM_MSG_DONE, s->digest, DSM_DIGEST_SIZE);
        s->phase = PH_DONE;
        return DSM_OUTCOME_MOVED;
    default:
        break;
    }
fatal:
    return finish(s, DSM_OUTCOME_HOST_ERROR);
progress:
    /* KEEPALIVE while the host stores, or a flash request: the wait starts again. */
    if ((FLASH_DIFF && waiting == PH_FLASH) || (waiting && s->phase == PH_WAIT_COMMITTED)) s->retries = 0;
    return DSM_OUTCOME_RUNNING;
}

dsm_outcome_t dsm_session_step(dsm_session_t *s)
{
    dsm_outcome_t o;
    uint32_t phase = s->phase;
    if (phase == PH_DONE) return DSM_OUTCOME_BAD_CONFIG;
    if (phase == PH_WAIT_COMMITTED && !duplex(s)) return finish(s, DSM_OUTCOME_PUSHED);
    if (!DSM_HAS_BACKCHANNEL) {
        plan_step(s);
        return DSM_OUTCOME_RUNNING;
    }
    if (phase == PH_WAIT_ACCEPT || phase == PH_WAIT_COMMITTED || (phase == PH_FLASH && !s->flash_requests_done)) {
        if (rx_frame(s, s->cfg->reply_timeout_ms)) return handle_frame(s, phase);
        if (++s->retries > s->cfg->max_retries) return finish(s, DSM_OUTCOME_TIMEOUT);
        if (phase == PH_WAIT_ACCEPT) s->phase = PH_HELLO;                        /* the HELLO or its answer was lost */
        else if (phase == PH_WAIT_COMMITTED) rewind_to(s, (uint16_t)(s->seq - 1u)); /* send COMMIT again */
        else send_nack(s);                                                       /* ask for the requests again */
        return DSM_OUTCOME_RUNNING;
    }
    plan_step(s);
    /* Between data frames: pick up NACKs, requests and aborts without waiting. */
    o = DSM_OUTCOME_RUNNING;
    while (o == DSM_OUTCOME_RUNNING && s->phase != PH_WAIT_ACCEPT && s->phase != PH_WAIT_COMMITTED && rx_frame(s, 0))
        o = handle_frame(s, 0);
    return o;
}

uint32_t dsm_work_size(const dsm_config_t *cfg)
{
    return HASH_TABLE_BYTES + (FLASH_DIFF ? (flash_bit_base(cfg, cfg->region_count) + 7u) / 8u : 0u);
}

/* 1 if the arguments describe a session the plan can walk (DSM_TRUSTED_CONFIG: the caller vouches). */
static int config_ok(const dsm_config_t *cfg, const dsm_cpu_state_t *cpu, const dsm_transport_t *io, void *work,
                     uint32_t work_size)
{
#ifdef DSM_TRUSTED_CONFIG
    (void)cfg, (void)cpu, (void)io, (void)work, (void)work_size;
#else
    const dsm_region_t *a, *b;
    if (!cfg || !cpu || !io || !io->put || !work || ((uintptr_t)work & 1u) || work_size < dsm_work_size(cfg) ||
        cfg->region_count == 0 || cfg->region_count > DSM_MAX_REGIONS || cfg->build_id_len > DSM_MAX_BUILD_ID ||
        cfg->board_id_len > DSM_MAX_BOARD_ID || cfg->irq_count > DSM_MAX_IRQS || cfg->key_len > DSM_MAX_KEY)
        return 0;
    for (a = cfg->regions; a < cfg->regions + cfg->region_count; a++) {
        uint32_t a_last = a->base + (a->size - 1u);
        /* data may be NULL: flash at address 0 is read through a null pointer value. */
        if (a->size == 0 || a_last < a->base || a->kind > DSM_REGION_DSMC_PRIVATE ||
            (a->kind == DSM_REGION_FLASH && block_count(a->size) > 0xFFFFu))
            return 0;
        for (b = cfg->regions; b < a; b++)
            if (a->base <= b->base + (b->size - 1u) && b->base <= a_last) return 0;
    }
#endif
    return 1;
}

dsm_outcome_t dsm_session_start(dsm_session_t *s, const dsm_config_t *cfg, const dsm_cpu_state_t *cpu,
                                const dsm_transport_t *io, void *work, uint32_t work_size)
{
    memset(s, 0, sizeof *s);
    s->phase = PH_DONE;
    if (!config_ok(cfg, cpu, io, work, work_size)) return DSM_OUTCOME_BAD_CONFIG;
    s->cfg = cfg;
    s->cpu = cpu;
    s->io = io;
    s->hash_table = work;
    s->flash_bitmap = (uint8_t *)work + HASH_TABLE_BYTES;
    memset(s->flash_bitmap, 0, dsm_work_size(cfg) - HASH_TABLE_BYTES);
    if (DSM_HAS_BACKCHANNEL) {   /* the receive path's state; a push-only build always emits */
        s->emit = 1;
        s->flash_requests_done = 1;   /* until an ACCEPT asks for the flash diff */
        s->nack_seq = 0xFFFFu;
    }
    s->phase = PH_HELLO;
    return DSM_OUTCOME_RUNNING;
}

dsm_outcome_t dsm_emigrate(dsm_session_t *s, const dsm_config_t *cfg, const dsm_cpu_state_t *cpu,
                           const dsm_transport_t *io, void *work, uint32_t work_size)
{
    dsm_outcome_t o = dsm_session_start(s, cfg, cpu, io, work, work_size);
    while (o == DSM_OUTCOME_RUNNING) o = dsm_session_step(s);
    return o;
}

void dsm_serve_stopped(dsm_session_t *s, uint32_t timeout_ms)
{
    /* A repeated COMMITTED means our DONE was lost: say it again. */
    if (rx_frame(s, timeout_ms) && s->rx[2] == DSM_MSG_COMMITTED)
        send_control(s, DSM_MSG_DONE, s->digest, DSM_DIGEST_SIZE);
}
