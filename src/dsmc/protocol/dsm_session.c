/*
 * Device side of a migration session: a plan of frames walked one step at a time.
 *
 * Every device data frame is a pure function of (configuration, CPU state, memory, ACCEPT,
 * flash request bitmap) and its sequence number. That is what makes retransmission cheap in RAM:
 * on a NACK the session rewinds to the start and replays the plan without sending (only the
 * transcript hash is fed) until it reaches the requested frame. No frame is ever buffered.
 */
#include <string.h>
#include "dsm_internal.h"

enum {
    PH_HELLO, PH_WAIT_ACCEPT, PH_OFFER, PH_SRAM, PH_FLASH, PH_CPU, PH_COMMIT, PH_WAIT_COMMITTED, PH_DONE
};

/* Result of looking at one received host frame. */
enum { EV_NONE, EV_ACCEPT, EV_REJECT, EV_ABORT, EV_COMMITTED, EV_PROGRESS, EV_FATAL, EV_GIVE_UP };

#define RX_GARBAGE_BUDGET 1024u

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ---- transmit sink: wire (CRC + port) and transcript ---- */

static void wire(dsm_session_t *s, uint8_t b)
{
    if (!s->emit) return;
    s->crc = dsm_crc32_byte(s->crc, b);
    s->io->put(s->io->ctx, b);
}

static void pay(void *ctx, uint8_t b)
{
    dsm_session_t *s = ctx;
    wire(s, b);
    if (s->in_transcript) dsm_sha_byte(&s->sha, b);
}

static void pay16(dsm_session_t *s, uint32_t v) { pay(s, (uint8_t)v); pay(s, (uint8_t)(v >> 8)); }
static void pay32(dsm_session_t *s, uint32_t v) { pay16(s, v & 0xFFFFu); pay16(s, v >> 16); }
static void pay_bytes(dsm_session_t *s, const uint8_t *p, uint32_t n) { while (n--) pay(s, *p++); }

/* Starts a frame. Data frames (transcript = 1) consume a sequence number; control frames do not. */
static void frame_begin(dsm_session_t *s, uint8_t type, uint32_t len, int transcript)
{
    s->crc = 0xFFFFFFFFu;
    s->in_transcript = 0;
    wire(s, DSM_SYNC0);
    wire(s, DSM_SYNC1);
    wire(s, type);
    wire(s, 0);
    wire(s, (uint8_t)len);
    wire(s, (uint8_t)(len >> 8));
    wire(s, (uint8_t)s->seq);
    wire(s, (uint8_t)(s->seq >> 8));
    if (transcript) {
        dsm_sha_byte(&s->sha, type);
        dsm_sha_byte(&s->sha, (uint8_t)len);
        dsm_sha_byte(&s->sha, (uint8_t)(len >> 8));
        s->in_transcript = 1;
        s->seq++;
    }
}

static void frame_end(dsm_session_t *s)
{
    uint32_t crc = ~s->crc;
    int i;
    s->in_transcript = 0;
    for (i = 0; i < 4; i++) wire(s, (uint8_t)(crc >> (8 * i)));
}

static void send_control(dsm_session_t *s, uint8_t type, const uint8_t *payload, uint32_t len)
{
    uint8_t emit = s->emit;
    s->emit = 1;
    frame_begin(s, type, len, 0);
    pay_bytes(s, payload, len);
    frame_end(s);
    s->emit = emit;
}

static void send_nack(dsm_session_t *s)
{
    uint8_t p[4];
    p[0] = (uint8_t)s->host_seq; p[1] = (uint8_t)(s->host_seq >> 8); p[2] = 0; p[3] = 0;
    send_control(s, DSM_MSG_NACK, p, 4);
}

static void send_abort(dsm_session_t *s, uint8_t reason)
{
    uint8_t p[2];
    p[0] = reason; p[1] = 0;
    send_control(s, DSM_MSG_ABORT, p, 2);
}

/* ---- plan helpers ---- */

static uint32_t block_count(uint32_t size) { return (size + DSM_BLOCK_SIZE - 1u) / DSM_BLOCK_SIZE; }

static int has_flash_diff(const dsm_session_t *s) { return (s->options & DSM_OPT_FLASH_DIFF) != 0; }

/* Bit index of block 0 of flash region r in the request bitmap. */
static uint32_t flash_bit_base(const dsm_session_t *s, uint8_t r)
{
    uint32_t bits = 0;
    uint8_t i;
    for (i = 0; i < r; i++)
        if (s->cfg->regions[i].kind == DSM_REGION_FLASH) bits += block_count(s->cfg->regions[i].size);
    return bits;
}

static int block_selected(const dsm_session_t *s, uint8_t r, uint32_t offset)
{
    uint32_t bit;
    if (s->cfg->regions[r].kind != DSM_REGION_FLASH || !has_flash_diff(s)) return 1;
    bit = flash_bit_base(s, r) + offset / DSM_BLOCK_SIZE;
    return (s->flash_bitmap[bit >> 3] >> (bit & 7u)) & 1u;
}

static int all_zero(const uint8_t *p, uint32_t n)
{
    while (n--) if (*p++) return 0;
    return 1;
}

/* 1 if p[0..n) repeats one little-endian 32-bit word; the word goes to *pattern. */
static int fill_word(const uint8_t *p, uint32_t n, uint32_t *pattern)
{
    uint32_t i;
    if (n & 3u) return 0;
    for (i = 4; i < n; i++) if (p[i] != p[i & 3u]) return 0;
    *pattern = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return 1;
}

/* Moves (region, offset) to the next block to send in the current phase; 0 when the phase is over. */
static int seek_block(dsm_session_t *s)
{
    uint8_t kind = s->phase == PH_SRAM ? DSM_REGION_SRAM : DSM_REGION_FLASH;
    for (; s->region < s->cfg->region_count; s->region++, s->offset = 0) {
        const dsm_region_t *r = &s->cfg->regions[s->region];
        if (r->kind != kind) continue;
        while (s->offset < r->size && !block_selected(s, s->region, s->offset)) s->offset += DSM_BLOCK_SIZE;
        if (s->offset < r->size) return 1;
    }
    return 0;
}

static void send_block(dsm_session_t *s)
{
    const dsm_region_t *r = &s->cfg->regions[s->region];
    const uint8_t *p = r->data + s->offset;
    uint32_t len = r->size - s->offset, pattern = 0, packed, next;
    uint8_t enc;
    if (len > DSM_BLOCK_SIZE) len = DSM_BLOCK_SIZE;
    if (all_zero(p, len) || fill_word(p, len, &pattern)) {
        uint32_t other;
        enc = all_zero(p, len) ? DSM_ENC_ZERO : DSM_ENC_FILL;
        /* Runs of equal blocks travel as one frame. */
        for (next = s->offset + len; next < r->size && block_selected(s, s->region, next); next += DSM_BLOCK_SIZE) {
            uint32_t n = r->size - next > DSM_BLOCK_SIZE ? DSM_BLOCK_SIZE : r->size - next;
            if (enc == DSM_ENC_ZERO ? !all_zero(r->data + next, n)
                                    : !fill_word(r->data + next, n, &other) || other != pattern) break;
            len += n;
        }
        packed = enc == DSM_ENC_FILL ? 4u : 0u;
    } else {
        packed = dsm_lz4_compress(p, len, NULL, s->hash_table);
        enc = packed < len ? DSM_ENC_LZ4 : DSM_ENC_RAW;
        if (enc == DSM_ENC_RAW) packed = len;
    }
    frame_begin(s, DSM_MSG_BLOCK, 12u + packed, 1);
    pay(s, s->region);
    pay(s, enc);
    pay16(s, 0);
    pay32(s, s->offset);
    pay32(s, len);
    if (enc == DSM_ENC_FILL) pay32(s, pattern);
    else if (enc == DSM_ENC_RAW) pay_bytes(s, p, len);
    else if (enc == DSM_ENC_LZ4) dsm_lz4_encode(p, len, s->hash_table, pay, s);
    frame_end(s);
    s->offset += len;
}

static void send_hello(dsm_session_t *s)
{
    const dsm_config_t *c = s->cfg;
    uint8_t i;
    frame_begin(s, DSM_MSG_HELLO, 36u + c->build_id_len + c->board_id_len + 9u * c->region_count, 1);
    pay(s, DSM_PROTOCOL_VERSION);
    pay(s, (uint8_t)((c->capabilities & ~DSM_CAP_KEY) | (c->key_len ? DSM_CAP_KEY : 0) | DSM_CAP_LZ4));
    pay(s, c->region_count);
    pay(s, c->build_id_len);
    pay(s, c->board_id_len);
    pay(s, 0);
    pay16(s, c->irq_count);
    pay_bytes(s, c->device_id, DSM_DEVICE_ID_SIZE);
    pay32(s, c->cpuid);
    pay32(s, c->core_clock_hz);
    pay32(s, c->resume_address);
    pay_bytes(s, c->build_id, c->build_id_len);
    pay_bytes(s, c->board_id, c->board_id_len);
    for (i = 0; i < c->region_count; i++) {
        pay(s, c->regions[i].kind);
        pay32(s, c->regions[i].base);
        pay32(s, c->regions[i].size);
    }
    frame_end(s);
}

/* The ACCEPT enters the transcript right after HELLO, binding nonce and options. */
static void hash_accept(dsm_session_t *s)
{
    static const uint8_t head[3] = { DSM_MSG_ACCEPT, 18, 0 };
    dsm_sha_update(&s->sha, head, 3);
    dsm_sha_update(&s->sha, s->nonce, DSM_NONCE_SIZE);
    dsm_sha_byte(&s->sha, s->options);
    dsm_sha_byte(&s->sha, 0);
}

/* Sends one offer frame of at most DSM_MAX_OFFER_BLOCKS CRCs; region/offset = flash region/block index. */
static void send_offer(dsm_session_t *s)
{
    const dsm_region_t *r = &s->cfg->regions[s->region];
    uint32_t blocks = block_count(r->size), n = blocks - s->offset, i;
    uint8_t last, j;
    if (n > DSM_MAX_OFFER_BLOCKS) n = DSM_MAX_OFFER_BLOCKS;
    last = s->offset + n == blocks;
    for (j = (uint8_t)(s->region + 1); last && j < s->cfg->region_count; j++)
        if (s->cfg->regions[j].kind == DSM_REGION_FLASH) last = 0;
    frame_begin(s, DSM_MSG_FLASH_OFFER, 8u + 4u * n, 1);
    pay(s, s->region);
    pay(s, last);
    pay16(s, s->offset);
    pay16(s, n);
    pay16(s, 0);
    for (i = s->offset; i < s->offset + n; i++) {
        uint32_t off = i * DSM_BLOCK_SIZE, len = r->size - off;
        if (len > DSM_BLOCK_SIZE) len = DSM_BLOCK_SIZE;
        pay32(s, ~dsm_crc32_update(0xFFFFFFFFu, r->data + off, len));
    }
    frame_end(s);
    s->offset += n;
}

static int seek_offer(dsm_session_t *s)
{
    for (; s->region < s->cfg->region_count; s->region++, s->offset = 0)
        if (s->cfg->regions[s->region].kind == DSM_REGION_FLASH && s->offset < block_count(s->cfg->regions[s->region].size))
            return 1;
    return 0;
}

static void send_cpu_state(dsm_session_t *s)
{
    const dsm_cpu_state_t *c = s->cpu;
    const uint32_t *w = &c->r[0];
    uint32_t words = (s->cfg->irq_count + 31u) / 32u, i;
    frame_begin(s, DSM_MSG_CPU_STATE, 152u + 12u * words + s->cfg->irq_count, 1);
    pay(s, DSM_CPU_STATE_VERSION);
    pay(s, 0);
    pay16(s, s->cfg->irq_count);
    /* The struct mirrors the wire order (checked in dsm_protocol.h), so it is sent word by word. */
    for (i = 0; i < 19; i++) pay32(s, w[i]);
    pay_bytes(s, &c->primask, 4);
    for (w = &c->shcsr, i = 0; i < 9; i++) pay32(s, w[i]);
    pay_bytes(s, c->active_exceptions, 32);
    for (i = 0; i < words; i++) pay32(s, c->nvic_enabled[i]);
    for (i = 0; i < words; i++) pay32(s, c->nvic_pending[i]);
    for (i = 0; i < words; i++) pay32(s, c->nvic_active[i]);
    pay_bytes(s, c->nvic_priority, s->cfg->irq_count);
    frame_end(s);
}

static void send_commit(dsm_session_t *s)
{
    uint8_t msg[DSM_NONCE_SIZE + DSM_DIGEST_SIZE], mac[32];
    uint8_t keyed = s->cfg->key_len != 0;
    dsm_sha_final(&s->sha, s->digest);
    frame_begin(s, DSM_MSG_COMMIT, keyed ? 68u : 36u, 0);
    s->seq++; /* COMMIT holds the transcript digest, so it is not part of the transcript */
    pay(s, keyed);
    pay(s, 0); pay(s, 0); pay(s, 0);
    pay_bytes(s, s->digest, DSM_DIGEST_SIZE);
    if (keyed) {
        memcpy(msg, s->nonce, DSM_NONCE_SIZE);
        memcpy(msg + DSM_NONCE_SIZE, s->digest, DSM_DIGEST_SIZE);
        dsm_hmac_sha256(s->cfg->key, s->cfg->key_len, msg, sizeof msg, mac);
        pay_bytes(s, mac, 32);
    }
    frame_end(s);
}

/* Produces the frame at the current plan position (or moves to the next phase). */
static void plan_step(dsm_session_t *s)
{
    switch (s->phase) {
    case PH_HELLO:
        s->seq = 0;
        dsm_sha_init(&s->sha);
        send_hello(s);
        if (s->io->get && (s->cfg->capabilities & DSM_CAP_BACKCHANNEL)) {
            if (s->emit) { s->phase = PH_WAIT_ACCEPT; return; }
            hash_accept(s); /* replay: the ACCEPT is already known */
        }
        s->region = 0; s->offset = 0;
        s->phase = has_flash_diff(s) ? PH_OFFER : PH_SRAM;
        return;
    case PH_OFFER:
        if (seek_offer(s)) { send_offer(s); return; }
        s->region = 0; s->offset = 0; s->phase = PH_SRAM;
        return;
    case PH_SRAM:
    case PH_FLASH:
        if (seek_block(s)) { send_block(s); return; }
        s->region = 0; s->offset = 0;
        s->phase = s->phase == PH_SRAM ? PH_FLASH : PH_CPU;
        return;
    case PH_CPU:
        send_cpu_state(s);
        s->phase = PH_COMMIT;
        return;
    default:
        send_commit(s);
        s->phase = PH_WAIT_COMMITTED;
        return;
    }
}

/* Replays the plan silently up to the frame with sequence number target, so it is sent next. */
static void rewind_to(dsm_session_t *s, uint16_t target)
{
    s->emit = 0;
    s->phase = PH_HELLO;
    do plan_step(s);
    while (s->seq != target || s->phase == PH_HELLO);
    s->emit = 1;
}

/* ---- receive ---- */

/* Reads bytes until one complete, CRC-valid host frame is buffered; 0 on timeout. */
static int rx_frame(dsm_session_t *s, uint32_t timeout_ms)
{
    uint32_t budget = RX_GARBAGE_BUDGET;
    if (!s->io->get) return 0;
    while (budget--) {
        int c = s->io->get(s->io->ctx, timeout_ms);
        uint8_t b;
        if (c < 0) return 0;
        b = (uint8_t)c;
        if (s->rx_state == 0) { s->rx_state = b == DSM_SYNC0; s->rx_pos = 1; s->rx_hdr[0] = b; continue; }
        if (s->rx_state == 1) {
            if (s->rx_pos < DSM_HEADER_SIZE) {
                s->rx_hdr[s->rx_pos++] = b;
                if (s->rx_pos == 2 && b != DSM_SYNC1) s->rx_state = b == DSM_SYNC0, s->rx_pos = 1;
                if (s->rx_pos == DSM_HEADER_SIZE) {
                    s->rx_len = rd16(s->rx_hdr + 4);
                    if (s->rx_hdr[3] != 0 || s->rx_len > DSM_MAX_HOST_PAYLOAD) s->rx_state = 0;
                    else s->rx_state = 2, s->rx_pos = 0;
                }
            }
            continue;
        }
        s->rx_payload[s->rx_pos++] = b;
        if (s->rx_pos == s->rx_len + DSM_TRAILER_SIZE) {
            const uint8_t *t = s->rx_payload + s->rx_len;
            uint32_t crc = ~dsm_crc32_update(dsm_crc32_update(0xFFFFFFFFu, s->rx_hdr, DSM_HEADER_SIZE), s->rx_payload, s->rx_len);
            s->rx_state = 0;
            if (crc == ((uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24)) return 1;
        }
    }
    return 0;
}

static int handle_flash_request(dsm_session_t *s)
{
    const uint8_t *p = s->rx_payload;
    uint32_t first, n, base, i;
    if (s->rx_len < 8 || p[0] >= s->cfg->region_count || s->cfg->regions[p[0]].kind != DSM_REGION_FLASH) return 0;
    first = rd16(p + 2);
    n = rd16(p + 4);
    if (n == 0 || first + n > block_count(s->cfg->regions[p[0]].size) || s->rx_len != 8u + (n + 7u) / 8u) return 0;
    base = flash_bit_base(s, p[0]) + first;
    for (i = 0; i < n; i++) {
        uint32_t bit = base + i;
        if ((p[8 + i / 8] >> (i & 7u)) & 1u) s->flash_bitmap[bit >> 3] |= (uint8_t)(1u << (bit & 7u));
        else s->flash_bitmap[bit >> 3] &= (uint8_t)~(1u << (bit & 7u));
    }
    if (p[1] & 1u) s->flash_requests_done = 1;
    return 1;
}

/* Interprets the buffered host frame. */
static int handle_frame(dsm_session_t *s)
{
    uint8_t type = s->rx_hdr[2];
    uint16_t seq = rd16(s->rx_hdr + 6);
    const uint8_t *p = s->rx_payload;
    switch (type) {
    case DSM_MSG_KEEPALIVE:
        return EV_PROGRESS;
    case DSM_MSG_ABORT:
        s->remote_reason = s->rx_len ? p[0] : 0;
        return EV_ABORT;
    case DSM_MSG_NACK:
        if (s->rx_len != 4) return EV_FATAL;
        {
            uint16_t target = rd16(p);
            /* Only frames already sent can be asked for again. */
            if (target == 0 || target > s->seq || s->phase <= PH_WAIT_ACCEPT) return EV_FATAL;
            if (target == s->nack_seq && ++s->nack_count > s->cfg->max_retries) return EV_GIVE_UP;
            if (target != s->nack_seq) s->nack_seq = target, s->nack_count = 1;
            rewind_to(s, target);
        }
        return EV_PROGRESS;
    default:
        break;
    }
    if (seq != s->host_seq) {
        if ((int16_t)(seq - s->host_seq) > 0) send_nack(s); /* a host frame was lost */
        return EV_NONE;                                     /* else a duplicate */
    }
    switch (type) {
    case DSM_MSG_ACCEPT:
        if (s->phase != PH_WAIT_ACCEPT || s->rx_len != 18 || p[17] != 0) return EV_FATAL;
        memcpy(s->nonce, p, DSM_NONCE_SIZE);
        s->options = (uint8_t)(p[16] & DSM_OPT_FLASH_DIFF);
        if (!(s->cfg->capabilities & DSM_CAP_FLASH_CRC)) s->options = 0;
        s->flash_requests_done = !has_flash_diff(s);
        s->host_seq++;
        return EV_ACCEPT;
    case DSM_MSG_REJECT:
        s->remote_reason = s->rx_len ? p[0] : 0;
        return EV_REJECT;
    case DSM_MSG_FLASH_REQUEST:
        if (!has_flash_diff(s) || s->flash_requests_done || !handle_flash_request(s)) return EV_FATAL;
        s->host_seq++;
        return EV_PROGRESS;
    case DSM_MSG_COMMITTED:
        if (s->phase != PH_WAIT_COMMITTED || s->rx_len != DSM_DIGEST_SIZE || memcmp(p, s->digest, DSM_DIGEST_SIZE) != 0)
            return EV_FATAL;
        s->host_seq++;
        return EV_COMMITTED;
    default:
        return EV_FATAL;
    }
}

static dsm_outcome_t finish(dsm_session_t *s, dsm_outcome_t outcome)
{
    if (outcome == DSM_OUTCOME_HOST_ERROR) send_abort(s, 1);
    else if (outcome == DSM_OUTCOME_TIMEOUT) send_abort(s, 5);
    s->phase = PH_DONE;
    return outcome;
}

static dsm_outcome_t on_event(dsm_session_t *s, int ev)
{
    switch (ev) {
    case EV_REJECT: return finish(s, DSM_OUTCOME_REJECTED);
    case EV_ABORT: return finish(s, DSM_OUTCOME_ABORTED);
    case EV_FATAL: return finish(s, DSM_OUTCOME_HOST_ERROR);
    case EV_GIVE_UP: return finish(s, DSM_OUTCOME_TIMEOUT);
    default: return DSM_OUTCOME_RUNNING;
    }
}

/* Waits for one host frame; on silence counts a retry. Returns the event, or EV_NONE on timeout. */
static int wait_event(dsm_session_t *s, int *timed_out)
{
    *timed_out = !rx_frame(s, s->cfg->reply_timeout_ms);
    return *timed_out ? EV_NONE : handle_frame(s);
}

dsm_outcome_t dsm_session_step(dsm_session_t *s)
{
    int ev, timed_out;
    dsm_outcome_t o;
    switch (s->phase) {
    case PH_DONE:
        return DSM_OUTCOME_BAD_CONFIG;
    case PH_WAIT_ACCEPT:
        ev = wait_event(s, &timed_out);
        if (timed_out) {
            if (++s->retries > s->cfg->max_retries) return finish(s, DSM_OUTCOME_TIMEOUT);
            s->phase = PH_HELLO; /* the HELLO or its answer was lost */
            return DSM_OUTCOME_RUNNING;
        }
        if (ev == EV_ACCEPT) {
            s->retries = 0;
            hash_accept(s);
            s->region = 0; s->offset = 0;
            s->phase = has_flash_diff(s) ? PH_OFFER : PH_SRAM;
        }
        return on_event(s, ev);
    case PH_WAIT_COMMITTED:
        if (!s->io->get || !(s->cfg->capabilities & DSM_CAP_BACKCHANNEL)) return finish(s, DSM_OUTCOME_PUSHED);
        ev = wait_event(s, &timed_out);
        if (timed_out) {
            if (++s->retries > s->cfg->max_retries) return finish(s, DSM_OUTCOME_TIMEOUT);
            rewind_to(s, (uint16_t)(s->seq - 1u)); /* send COMMIT again */
            return DSM_OUTCOME_RUNNING;
        }
        if (ev == EV_PROGRESS && s->phase == PH_WAIT_COMMITTED) s->retries = 0; /* KEEPALIVE: host is storing */
        if (ev == EV_COMMITTED) {
            send_control(s, DSM_MSG_DONE, s->digest, DSM_DIGEST_SIZE);
            s->phase = PH_DONE;
            return DSM_OUTCOME_MOVED;
        }
        return on_event(s, ev);
    case PH_FLASH:
        if (has_flash_diff(s) && !s->flash_requests_done) {
            ev = wait_event(s, &timed_out);
            if (timed_out) {
                if (++s->retries > s->cfg->max_retries) return finish(s, DSM_OUTCOME_TIMEOUT);
                send_nack(s); /* ask the host to repeat its requests */
                return DSM_OUTCOME_RUNNING;
            }
            if (ev == EV_PROGRESS) s->retries = 0;
            return on_event(s, ev);
        }
        break;
    default:
        break;
    }
    plan_step(s);
    /* Between data frames: pick up NACKs, requests and aborts without waiting. */
    while (s->phase != PH_WAIT_ACCEPT && s->phase != PH_WAIT_COMMITTED && rx_frame(s, 0)) {
        o = on_event(s, handle_frame(s));
        if (o != DSM_OUTCOME_RUNNING) return o;
    }
    return DSM_OUTCOME_RUNNING;
}

uint32_t dsm_work_size(const dsm_config_t *cfg)
{
    uint32_t bits = 0;
    uint8_t i;
    for (i = 0; i < cfg->region_count; i++)
        if (cfg->regions[i].kind == DSM_REGION_FLASH) bits += block_count(cfg->regions[i].size);
    return (2u << DSM_LZ4_HASH_BITS) + (bits + 7u) / 8u;
}

dsm_outcome_t dsm_session_start(dsm_session_t *s, const dsm_config_t *cfg, const dsm_cpu_state_t *cpu,
                                const dsm_transport_t *io, void *work, uint32_t work_size)
{
    uint8_t i, j;
    memset(s, 0, sizeof *s);
    s->phase = PH_DONE;
    if (!cfg || !cpu || !io || !io->put || !work || ((uintptr_t)work & 1u) || work_size < dsm_work_size(cfg) ||
        cfg->region_count == 0 || cfg->region_count > DSM_MAX_REGIONS || cfg->build_id_len > DSM_MAX_BUILD_ID ||
        cfg->board_id_len > DSM_MAX_BOARD_ID || cfg->irq_count > DSM_MAX_IRQS || cfg->key_len > DSM_MAX_KEY)
        return DSM_OUTCOME_BAD_CONFIG;
    for (i = 0; i < cfg->region_count; i++) {
        const dsm_region_t *a = &cfg->regions[i];
        if (a->size == 0 || a->base + (a->size - 1u) < a->base || a->kind > DSM_REGION_DSMC_PRIVATE ||
            (a->kind != DSM_REGION_DSMC_PRIVATE && !a->data) ||
            (a->kind == DSM_REGION_FLASH && block_count(a->size) > 0xFFFFu))
            return DSM_OUTCOME_BAD_CONFIG;
        for (j = 0; j < i; j++) {
            const dsm_region_t *b = &cfg->regions[j];
            if (a->base <= b->base + (b->size - 1u) && b->base <= a->base + (a->size - 1u)) return DSM_OUTCOME_BAD_CONFIG;
        }
    }
    s->cfg = cfg;
    s->cpu = cpu;
    s->io = io;
    s->hash_table = work;
    s->flash_bitmap = (uint8_t *)work + (2u << DSM_LZ4_HASH_BITS);
    s->flash_bitmap_bytes = work_size - (2u << DSM_LZ4_HASH_BITS);
    memset(s->flash_bitmap, 0, dsm_work_size(cfg) - (2u << DSM_LZ4_HASH_BITS));
    s->emit = 1;
    s->nack_seq = 0xFFFFu;
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
    if (rx_frame(s, timeout_ms) && s->rx_hdr[2] == DSM_MSG_COMMITTED)
        send_control(s, DSM_MSG_DONE, s->digest, DSM_DIGEST_SIZE);
}
