/*
 * Host-side driver for the device half, used by Dsm.Protocol.Tests (built with the host gcc).
 *
 *   dsm_test_driver push <scenario>             whole push-only session -> stdout
 *   dsm_test_driver live <scenario> [flip|drop N] full-duplex session on stdin/stdout; outcome on stderr
 *   dsm_test_driver stopped <scenario>          a stopped device's receiver: host bytes on stdin, a DONE per COMMITTED
 *   dsm_test_driver lz4 | crc | sha             one block from stdin -> compressed bytes / hex on stdout
 *   dsm_test_driver hmac <key-hex>              HMAC-SHA256 of stdin with the key -> hex
 *
 * The scenario file layout is written by Dsm.Protocol.Tests.TestScenario.
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dsm_protocol.h"

static uint8_t *slurp(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0, r;
    uint8_t *p = malloc(cap);
    while ((r = fread(p + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) p = realloc(p, cap *= 2);
    }
    *len = n;
    return p;
}

static const uint8_t *cur, *end;

static void need(size_t n)
{
    if ((size_t)(end - cur) < n) { fprintf(stderr, "scenario truncated\n"); exit(90); }
}
static uint8_t u8(void) { need(1); return *cur++; }
static uint16_t u16(void) { uint16_t v = u8(); return (uint16_t)(v | u8() << 8); }
static uint32_t u32(void) { uint32_t v = u16(); return v | (uint32_t)u16() << 16; }
static const uint8_t *bytes(size_t n) { const uint8_t *p; need(n); p = cur; cur += n; return p; }

static dsm_config_t cfg;
static dsm_region_t regions[DSM_MAX_REGIONS];
static dsm_cpu_state_t cpu;

static void load_scenario(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t len, i, cpu_len;
    uint8_t *data;
    const uint8_t *c;
    if (!f) { perror(path); exit(91); }
    data = slurp(f, &len);
    fclose(f);
    cur = data;
    end = data + len;
    if (memcmp(bytes(4), "DSMS", 4) != 0) { fprintf(stderr, "not a scenario\n"); exit(92); }
    cfg.capabilities = u8();
    cfg.region_count = u8();
    cfg.build_id_len = u8();
    cfg.board_id_len = u8();
    cfg.key_len = u8();
    cfg.max_retries = u8();
    cfg.irq_count = u16();
    cfg.reply_timeout_ms = u32();
    memcpy(cfg.device_id, bytes(16), 16);
    cfg.cpuid = u32();
    cfg.core_clock_hz = u32();
    cfg.resume_address = u32();
    cfg.build_id = bytes(cfg.build_id_len);
    cfg.board_id = bytes(cfg.board_id_len);
    cfg.key = cfg.key_len ? bytes(cfg.key_len) : NULL;
    if (cfg.region_count > DSM_MAX_REGIONS) exit(93);
    for (i = 0; i < cfg.region_count; i++) {
        uint32_t data_len;
        regions[i].kind = u8();
        regions[i].base = u32();
        regions[i].size = u32();
        data_len = u32();
        regions[i].data = data_len ? bytes(data_len) : NULL;
    }
    cfg.regions = regions;
    cpu_len = u16();
    c = bytes(cpu_len);
    /* CPU_STATE payload -> struct, the mirror of send_cpu_state */
    {
        const uint8_t *p = c + 4;
        uint32_t *w = &cpu.r[0], words = (cfg.irq_count + 31u) / 32u, k;
#define RD32(q) ((uint32_t)(q)[0] | (uint32_t)(q)[1] << 8 | (uint32_t)(q)[2] << 16 | (uint32_t)(q)[3] << 24)
        for (k = 0; k < 19; k++, p += 4) w[k] = RD32(p);
        cpu.primask = p[0]; cpu.faultmask = p[1]; cpu.basepri = p[2]; cpu.control = p[3]; p += 4;
        for (w = &cpu.shcsr, k = 0; k < 9; k++, p += 4) w[k] = RD32(p);
        memcpy(cpu.active_exceptions, p, 32); p += 32;
        for (k = 0; k < words; k++, p += 4) cpu.nvic_enabled[k] = RD32(p);
        for (k = 0; k < words; k++, p += 4) cpu.nvic_pending[k] = RD32(p);
        for (k = 0; k < words; k++, p += 4) cpu.nvic_active[k] = RD32(p);
        memcpy(cpu.nvic_priority, p, cfg.irq_count);
    }
}

/* ---- stdio transport ---- */
static uint8_t out_buf[1 << 16];
static size_t out_len;
static long out_total, fault_at = -1;
static int fault_drop, in_eof;

static void flush_out(void)
{
    size_t off = 0;
    while (off < out_len) {
        ssize_t w = write(1, out_buf + off, out_len - off);
        if (w <= 0) exit(94);
        off += (size_t)w;
    }
    out_len = 0;
}

static void put(void *ctx, uint8_t b)
{
    (void)ctx;
    if (out_total++ == fault_at) {
        if (fault_drop) return;
        b ^= 0x5A;
    }
    out_buf[out_len++] = b;
    if (out_len == sizeof out_buf) flush_out();
}

static int get(void *ctx, uint32_t timeout_ms)
{
    struct pollfd pfd;
    uint8_t b;
    (void)ctx;
    flush_out();
    if (in_eof) return -1;
    pfd.fd = 0;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, (int)timeout_ms) <= 0) return -1;
    if (read(0, &b, 1) != 1) { in_eof = 1; return -1; }
    return b;
}

static void print_hex(const uint8_t *p, size_t n)
{
    while (n--) printf("%02x", *p++);
    printf("\n");
}

static const char *outcome_names[] = { "running", "moved", "pushed", "rejected", "aborted", "timeout", "host-error", "bad-config" };

int main(int argc, char **argv)
{
    static uint16_t work[1 << 15];
    dsm_session_t s;
    dsm_transport_t io = { NULL, put, get };
    dsm_outcome_t o;
    size_t len;
    uint8_t *in, digest[32];
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "push") || !strcmp(argv[1], "live")) {
        if (argc < 3) return 2;
        load_scenario(argv[2]);
        if (!strcmp(argv[1], "push")) {
            cfg.capabilities &= (uint8_t)~DSM_CAP_BACKCHANNEL;
            io.get = NULL;
        }
        if (argc == 5) {
            fault_drop = !strcmp(argv[3], "drop");
            fault_at = atol(argv[4]);
        }
        o = dsm_emigrate(&s, &cfg, &cpu, &io, work, sizeof work);
        flush_out();
        fprintf(stderr, "outcome %s reason %u\n", outcome_names[o], s.remote_reason);
        if (o == DSM_OUTCOME_MOVED)
            while (!in_eof) { dsm_serve_stopped(&s, 1000); flush_out(); }
        return o == DSM_OUTCOME_MOVED || o == DSM_OUTCOME_PUSHED ? 0 : (int)o;
    }
    if (!strcmp(argv[1], "stopped") && argc == 3) {
        int k;
        load_scenario(argv[2]);
        if (dsm_session_start(&s, &cfg, &cpu, &io, work, sizeof work) != DSM_OUTCOME_RUNNING) return 5;
        while (!in_eof) { dsm_serve_stopped(&s, 1000); flush_out(); }
        for (k = 0; k < 8; k++) dsm_serve_stopped(&s, 0);   /* frames still held after the input ended */
        flush_out();
        return 0;
    }
    in = slurp(stdin, &len);
    if (!strcmp(argv[1], "lz4")) {
        static uint8_t out[DSM_BLOCK_SIZE * 2];
        uint32_t n;
        if (len > DSM_BLOCK_SIZE) return 3;
        n = dsm_lz4_compress(in, (uint32_t)len, out, work);
        if (n != dsm_lz4_compress(in, (uint32_t)len, NULL, work)) return 4;
        fwrite(out, 1, n, stdout);
    } else if (!strcmp(argv[1], "crc")) {
        printf("%08x\n", (unsigned)~dsm_crc32_update(0xFFFFFFFFu, in, (uint32_t)len));
    } else if (!strcmp(argv[1], "sha")) {
        dsm_sha256(in, (uint32_t)len, digest);
        print_hex(digest, 32);
    } else if (!strcmp(argv[1], "hmac") && argc == 3) {
        uint8_t key[DSM_MAX_KEY];
        size_t k, klen = strlen(argv[2]) / 2;
        if (klen > DSM_MAX_KEY) return 3;
        for (k = 0; k < klen; k++) { unsigned v; sscanf(argv[2] + 2 * k, "%2x", &v); key[k] = (uint8_t)v; }
        dsm_hmac_sha256(key, (uint32_t)klen, in, (uint32_t)len, digest);
        print_hex(digest, 32);
    } else {
        free(in);
        return 2;
    }
    free(in);
    return 0;
}
