/*
 * Dsm migration protocol, device half (version 1).
 *
 * Portable C99, no libc beyond memcpy/memset, no dynamic allocation.
 * The wire format is specified in docs/protocol.md; Dsm.Protocol (C#) is the host half.
 */
#ifndef DSM_PROTOCOL_H
#define DSM_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Wire constants (shared with Dsm.Protocol.ProtocolConstants) ---- */
#define DSM_PROTOCOL_VERSION   1u
#define DSM_SYNC0              0xD5u
#define DSM_SYNC1              0x4Du
#define DSM_HEADER_SIZE        8u
#define DSM_TRAILER_SIZE       4u
#define DSM_MAX_PAYLOAD        4112u
#define DSM_MAX_HOST_PAYLOAD   128u   /* host-to-device frames are small: the device buffers them */
#define DSM_BLOCK_SIZE         4096u
#define DSM_MAX_REGIONS        16u
#define DSM_MAX_IRQS           240u
#define DSM_DEVICE_ID_SIZE     16u
#define DSM_MAX_BUILD_ID       32u
#define DSM_MAX_BOARD_ID       32u
#define DSM_NONCE_SIZE         16u
#define DSM_DIGEST_SIZE        32u
#define DSM_MAX_OFFER_BLOCKS   1024u
#define DSM_MAX_KEY            64u
#define DSM_CPU_STATE_VERSION  1u

/* Message types. */
enum {
    DSM_MSG_HELLO = 0x01, DSM_MSG_ACCEPT = 0x02, DSM_MSG_REJECT = 0x03,
    DSM_MSG_BLOCK = 0x10, DSM_MSG_FLASH_OFFER = 0x11, DSM_MSG_FLASH_REQUEST = 0x12,
    DSM_MSG_CPU_STATE = 0x20,
    DSM_MSG_COMMIT = 0x30, DSM_MSG_COMMITTED = 0x31, DSM_MSG_DONE = 0x32,
    DSM_MSG_ABORT = 0x3F, DSM_MSG_NACK = 0x40, DSM_MSG_KEEPALIVE = 0x41
};

/* Region kinds in the HELLO region table. */
enum { DSM_REGION_SRAM = 0, DSM_REGION_FLASH = 1, DSM_REGION_DSMC_PRIVATE = 2 };

/* Block encodings. */
enum { DSM_ENC_RAW = 0, DSM_ENC_ZERO = 1, DSM_ENC_FILL = 2, DSM_ENC_LZ4 = 3 };

/* HELLO capability bits. */
#define DSM_CAP_BACKCHANNEL  0x01u
#define DSM_CAP_KEY          0x02u
#define DSM_CAP_LZ4          0x04u
#define DSM_CAP_FLASH_CRC    0x08u
#define DSM_CAP_PUSH_MOVE    0x10u  /* push-only: the device stops after sending COMMIT */
#define DSM_CAP_CRC_TRANSCRIPT 0x20u /* the transcript digest is a CRC-32, not SHA-256 (keyless builds only) */

/* ACCEPT option bits. */
#define DSM_OPT_FLASH_DIFF   0x01u

/* ---- Port interface ---- */

/** Byte transport supplied by the port (UART, USB CDC, ...). */
typedef struct dsm_transport {
    void *ctx;
    /** Sends one byte; may block until the transmitter has room. */
    void (*put)(void *ctx, uint8_t byte);
    /** Returns the next received byte (0..255), or -1 when none arrives within timeout_ms (0 = poll).
        A port that can tell (a receiver overrun) adds DSM_RX_AFTER_LOSS to the first byte after lost ones.
        May be NULL on a push-only link. */
    int (*get)(void *ctx, uint32_t timeout_ms);
} dsm_transport_t;

/** Flag in a get result: bytes were lost on the line before this one, so no frame spans it. */
#define DSM_RX_AFTER_LOSS 0x100

/** One entry of the region table. data is where the DSMC reads the bytes (normally (const uint8_t *)base). */
typedef struct dsm_region {
    uint8_t kind;
    uint32_t base;                /* base and size follow each other: HELLO sends them as 8 bytes */
    uint32_t size;
    const uint8_t *data;
} dsm_region_t;

/** Captured CPU state, the CPU_STATE message (version 1). */
typedef struct dsm_cpu_state {
    uint32_t r[13];
    uint32_t msp, psp, lr, pc, xpsr;
    uint32_t exc_return;          /* the DSM handler's EXC_RETURN */
    uint8_t primask, faultmask, basepri, control;
    uint32_t shcsr;
    uint32_t shpr[3];
    uint32_t icsr;                /* pending bits only: NMIPENDSET, PENDSVSET, PENDSTSET */
    uint32_t vtor;
    uint32_t aircr;               /* PRIGROUP field only (bits 10:8) */
    uint32_t scr, ccr;
    uint8_t active_exceptions[32]; /* bitmap over exception numbers 0..255 */
    uint32_t nvic_enabled[(DSM_MAX_IRQS + 31u) / 32u];
    uint32_t nvic_pending[(DSM_MAX_IRQS + 31u) / 32u];
    uint32_t nvic_active[(DSM_MAX_IRQS + 31u) / 32u];
    uint8_t nvic_priority[DSM_MAX_IRQS];
} dsm_cpu_state_t;

/* The encoder sends r[0] .. active_exceptions as they lie in memory: no padding may sit between them. */
typedef char dsm_cpu_state_layout_check[
    (offsetof(dsm_cpu_state_t, exc_return) == 18 * 4 && offsetof(dsm_cpu_state_t, primask) == 19 * 4 &&
     offsetof(dsm_cpu_state_t, shcsr) == 20 * 4 && offsetof(dsm_cpu_state_t, ccr) == 28 * 4 &&
     offsetof(dsm_cpu_state_t, nvic_enabled) == 148) ? 1 : -1];

/** Everything the DSMC knows about the device; constant during a session.
 *  device_id, cpuid, core_clock_hz and resume_address sit together in HELLO order: HELLO sends them as
 *  one 28-byte run (little-endian targets only, see the check below). */
typedef struct dsm_config {
    uint8_t device_id[DSM_DEVICE_ID_SIZE];
    uint32_t cpuid, core_clock_hz, resume_address;
    const uint8_t *board_id;       /* ASCII, board_id_len <= DSM_MAX_BOARD_ID */
    const uint8_t *build_id;       /* GNU build-id note descriptor bytes */
    const dsm_region_t *regions;
    const uint8_t *key;            /* per-device pre-shared key, NULL if none */
    uint32_t reply_timeout_ms;     /* wait for ACCEPT, FLASH_REQUEST, COMMITTED (reset by KEEPALIVE) */
    uint16_t irq_count;            /* external interrupts of the part, <= DSM_MAX_IRQS */
    uint8_t board_id_len;
    uint8_t build_id_len;
    uint8_t capabilities;          /* DSM_CAP_*; DSM_CAP_KEY is derived from key_len */
    uint8_t region_count;
    uint8_t key_len;               /* <= DSM_MAX_KEY */
    uint8_t max_retries;           /* repeats of HELLO / COMMIT / NACK before giving up */
    /* Optional: a flash block's CRC-32 by a hardware CRC unit, fed in pieces (the session sends the previous
     * block's CRC between them): DSM_CRC_START first begins a CRC-32 (saving what the application had in the
     * unit), DSM_CRC_END last returns the CRC-32 of all pieces (as dsm_crc32_update, final xor included) and puts
     * the application's state back; other calls return 0. NULL computes it in software. */
    uint32_t (*block_crc)(const uint8_t *data, uint32_t len, uint32_t op);
} dsm_config_t;

#define DSM_CRC_START 1u
#define DSM_CRC_END 2u

typedef char dsm_config_layout_check[
    (offsetof(dsm_config_t, resume_address) == DSM_DEVICE_ID_SIZE + 8) ? 1 : -1];

/* The encoder copies wire fields straight from memory (CPU state, HELLO run, region base/size). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the device half of the protocol assumes a little-endian target"
#endif

/** How a session ended. Only DSM_OUTCOME_MOVED (and PUSHED with DSM_CAP_PUSH_MOVE) allows the device to stop. */
typedef enum dsm_outcome {
    DSM_OUTCOME_RUNNING = 0,   /* session not finished: call dsm_session_step again */
    DSM_OUTCOME_MOVED,         /* COMMITTED received and DONE sent: stop the local system */
    DSM_OUTCOME_PUSHED,        /* push-only: all sent, the host cannot answer */
    DSM_OUTCOME_REJECTED,      /* host sent REJECT; reason in session.remote_reason */
    DSM_OUTCOME_ABORTED,       /* host sent ABORT; reason in session.remote_reason */
    DSM_OUTCOME_TIMEOUT,       /* no answer, or the same retransmission asked too often */
    DSM_OUTCOME_HOST_ERROR,    /* the host sent a malformed or impossible frame; ABORT was sent */
    DSM_OUTCOME_BAD_CONFIG     /* configuration or work buffer invalid; nothing was sent */
} dsm_outcome_t;

/** SHA-256 running state; w holds the current block as big-endian words (see dsm_crypto.c). */
typedef struct dsm_sha256 { uint32_t h[8]; uint32_t bytes; uint32_t w[16]; } dsm_sha256_t;

/** Session state. Place it in memory that is not transferred (DSMC private). */
typedef struct dsm_session {
    const dsm_config_t *cfg;
    const dsm_cpu_state_t *cpu;
    const dsm_transport_t *io;
    uint16_t *hash_table;          /* LZ4 match finder, 1 << DSM_LZ4_HASH_BITS entries */
    uint8_t *flash_bitmap;         /* one bit per flash block, blocks of all flash regions in table order */
    uint32_t offset;               /* offset inside region (SRAM/flash phases), block index (offer phase) */
    uint32_t crc;                  /* CRC-32 of the frame being sent */
    uint16_t seq;                  /* next device sequence number */
    uint16_t host_seq;             /* next expected host sequence number */
    uint16_t nack_seq;             /* last rewind target asked by the host */
    uint16_t rx_pos;               /* bytes of the host frame buffered in rx */
    uint8_t phase, region, retries, options;
    uint8_t nack_count;            /* how often in a row; bounded by max_retries */
    uint8_t flash_requests_done;
    uint8_t remote_reason;         /* reason code of a REJECT or ABORT from the host */
    uint8_t emit;                  /* 1: bytes go to the transport; 0: replay (transcript only) */
    uint8_t in_transcript;
    uint8_t nonce[DSM_NONCE_SIZE];
    uint8_t digest[DSM_DIGEST_SIZE];
#ifdef DSM_CRC_TRANSCRIPT
    uint32_t transcript;           /* running CRC-32 of the transcript */
#else
    dsm_sha256_t sha;              /* transcript */
#endif
    uint8_t rx[DSM_HEADER_SIZE + DSM_MAX_HOST_PAYLOAD + DSM_TRAILER_SIZE];   /* one host frame */
} dsm_session_t;

/* COMMIT's MAC is computed over nonce || digest straight from the session. */
typedef char dsm_session_layout_check[
    (offsetof(dsm_session_t, digest) == offsetof(dsm_session_t, nonce) + DSM_NONCE_SIZE) ? 1 : -1];

/* Optional features, all on by default. DSM_NO_KEY drops the HMAC (COMMIT without MAC, no key
 * capability); DSM_NO_FLASH_DIFF drops the flash CRC offer and request handling (all flash is sent);
 * DSM_NO_LZ4 sends blocks raw (no LZ4 capability, no hash table in the work buffer);
 * DSM_NO_BACKCHANNEL builds a push-only sender (no receive path, so no flash diff either: every
 * session is push-only, as with a transport without get; the frames are the same).
 * DSM_TRUSTED_CONFIG drops dsm_session_start's argument checks: for callers whose configuration is
 * fixed at build time (the DSMC's smallest build); a bad one is then undefined, not BAD_CONFIG.
 * DSM_SMALL_CRC computes CRC-32 a bit at a time (no table; about 3 times slower).
 * DSM_SMALL_SCAN finds zero and fill blocks a byte at a time (about 4 times slower, 20-40 bytes less).
 * DSM_CRC_TRANSCRIPT digests the transcript with CRC-32 instead of SHA-256 and announces
 * DSM_CAP_CRC_TRANSCRIPT: no SHA-256 code (about 700 bytes less). Frames still carry their own CRC and
 * sequence number; the digest then guards the whole transfer against accidental damage only, so it
 * needs DSM_NO_KEY (a MAC over a CRC would authenticate nothing). */
#if defined(DSM_CRC_TRANSCRIPT) && !defined(DSM_NO_KEY)
#error "DSM_CRC_TRANSCRIPT needs DSM_NO_KEY: a keyed COMMIT is only as strong as a SHA-256 transcript"
#endif
#ifdef DSM_NO_BACKCHANNEL
#define DSM_HAS_BACKCHANNEL 0
#else
#define DSM_HAS_BACKCHANNEL 1
#endif
#ifdef DSM_NO_FLASH_DIFF
#define DSM_HAS_FLASH_DIFF 0
#else
#define DSM_HAS_FLASH_DIFF 1
#endif
#ifdef DSM_NO_KEY
#define DSM_HAS_KEY 0
#else
#define DSM_HAS_KEY 1
#endif

#ifdef DSM_NO_LZ4
#define DSM_HAS_LZ4 0
#else
#define DSM_HAS_LZ4 1
#endif

#ifndef DSM_LZ4_HASH_BITS
#define DSM_LZ4_HASH_BITS 10
#endif

/** Work buffer bytes needed: LZ4 hash table (unless DSM_NO_LZ4) plus one bit per flash block of the configured regions. */
uint32_t dsm_work_size(const dsm_config_t *cfg);

/** Prepares a session; returns DSM_OUTCOME_RUNNING or DSM_OUTCOME_BAD_CONFIG. work must be 2-byte aligned. */
dsm_outcome_t dsm_session_start(dsm_session_t *s, const dsm_config_t *cfg, const dsm_cpu_state_t *cpu,
                                const dsm_transport_t *io, void *work, uint32_t work_size);

/** Advances the session by one frame or one wait; returns DSM_OUTCOME_RUNNING until it ends. */
dsm_outcome_t dsm_session_step(dsm_session_t *s);

/** Runs a whole session: start, then step until it ends. */
dsm_outcome_t dsm_emigrate(dsm_session_t *s, const dsm_config_t *cfg, const dsm_cpu_state_t *cpu,
                           const dsm_transport_t *io, void *work, uint32_t work_size);

/** After DSM_OUTCOME_MOVED: answers a repeated COMMITTED with DONE. Call it in the stopped device's idle loop. */
void dsm_serve_stopped(dsm_session_t *s, uint32_t timeout_ms);

/* ---- Building blocks, exposed for tests and for ports with a hardware CRC unit ---- */
uint32_t dsm_crc32_update(uint32_t crc, const uint8_t *data, uint32_t len); /* start with 0xFFFFFFFF, xor at the end */
void dsm_sha256(const uint8_t *data, uint32_t len, uint8_t out[32]);
void dsm_hmac_sha256(const uint8_t *key, uint32_t key_len, const uint8_t *msg, uint32_t msg_len, uint8_t out[32]);

/** LZ4 block encoder. With out == NULL only counts. Returns the compressed size. len <= DSM_BLOCK_SIZE. */
uint32_t dsm_lz4_compress(const uint8_t *src, uint32_t len, uint8_t *out, uint16_t *hash_table);

#ifdef __cplusplus
}
#endif
#endif
