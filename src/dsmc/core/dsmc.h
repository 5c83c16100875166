/*
 * DSMC: the device-side migration controller of Dsm.
 *
 * Integration into any ARMv7-M firmware, RTOS and application untouched:
 *   1. one vector-table entry: DSMC_Handler in the slot of the DSM trigger (an IRQ, or NMI);
 *   2. one init call: dsmc_init(&port) after the clocks are set up, before the scheduler starts;
 *   3. one linker-script fragment: INCLUDE dsmc.ld (src/dsmc, on the -L path) inside SECTIONS, with
 *      the DSMC_PRIVATE_REGION memory region defined (4 KiB of SRAM at the end of the used SRAM,
 *      never transferred);
 *   4. the DSMC sources (core, protocol, one port) in the build.
 *
 * First half (device): capture the interrupted context, save the IO-control registers into the save
 * area, pause the sources of change, and stream SRAM, flash (or its identity) and the CPU state to the
 * host. After COMMITTED the device stops for good; on any failure everything is restored and the
 * handler returns, so the system goes on locally.
 * Second half (host's engine, entered at dsmc_resume): restore the IO-control registers from the
 * save area, then return from the interrupt with the captured EXC_RETURN.
 */
#ifndef DSMC_H
#define DSMC_H

#include <stdint.h>
#include "dsm_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which exception starts a migration. */
typedef enum dsmc_trigger_kind {
    DSMC_TRIGGER_IRQ = 0,   /* an external interrupt line (e.g. an external-interrupt pin, a base timer) */
    DSMC_TRIGGER_NMI = 1    /* the NMI: moves a system stuck with interrupts masked */
} dsmc_trigger_kind_t;

/** How the last migration attempt ended (kept in DSMC-private memory for the application to read). */
typedef enum dsmc_status {
    DSMC_STATUS_IDLE = 0,
    DSMC_STATUS_RETURNED,   /* a session failed; the system went on locally (see dsmc_last_outcome) */
    DSMC_STATUS_MOVED       /* only ever seen by the host's copy: the device has stopped */
} dsmc_status_t;

/** Board support the core needs; one per port (see ports/). All functions run with interrupts masked. */
typedef struct dsmc_port {
    const char *board_id;                 /* e.g. "mb9bf506n", "mps2-an385" */
    uint32_t core_clock_hz;
    uint16_t irq_count;                   /* external interrupts of the part */
    uint8_t region_count;
    /** Every region of HELLO: SRAM and flash, and the DSMC-private region (DSMC_PRIVATE_REGION). */
    const dsm_region_t *regions;
    const dsm_transport_t *transport;     /* polled link to the host */
    /** Clears the trigger's request flag so the DSM interrupt does not fire again after resume. */
    void (*acknowledge_trigger)(void);
    /** Saves the port's IO-control registers into words (at most DSMC_PORT_SAVE_WORDS). */
    void (*save_io)(uint32_t *words);
    /** Stops DMA and timers so memory stays as captured during the transfer; starts the link's clock. */
    void (*pause_sources)(void);
    /** Restores the port's IO-control registers: clocks first, then peripherals. */
    void (*restore_io)(const uint32_t *words);
    /** Brings the link up (pins, baud rate) after save_io; restore_io puts everything back. */
    void (*link_open)(void);
    /** Stops the device for good after COMMITTED: watchdogs off, interrupts off, then
     *  dsmc_stop_forever(session), which answers a repeated COMMITTED. Never returns. */
    void (*halt)(dsm_session_t *session) __attribute__((noreturn));
    /** Sets up the trigger source (pin edge, timer, watchdog interrupt) at dsmc_init; NULL if none is needed. */
    void (*arm_trigger)(void);
#if DSM_HAS_FLASH_DIFF && DSM_HAS_BACKCHANNEL
    /** Optional: a flash block's CRC-32 by the part's CRC unit, fed in pieces (dsm_config_t.block_crc:
     *  DSM_CRC_START saves the application's unit state, DSM_CRC_END returns the CRC and restores it), for
     *  the flash offer; NULL: software. */
    uint32_t (*block_crc)(const uint8_t *data, uint32_t len, uint32_t op);
#endif
} dsmc_port_t;

/* DSMC_STATIC_PORT=<port object> (the Makefile's archives): one port per build, whose hooks the core calls
 * by name, dsmc_port_<hook>, so that LTO can inline them; a port names its hooks with DSMC_PORT_FN and
 * declares them with DSMC_PORT_LINKAGE. Without it the hooks are static and reached through dsmc_port_t. */
#ifdef DSMC_STATIC_PORT
#define DSMC_PORT_FN(hook) dsmc_port_##hook
#define DSMC_PORT_LINKAGE
void dsmc_port_acknowledge_trigger(void);
void dsmc_port_save_io(uint32_t *words);
void dsmc_port_pause_sources(void);
void dsmc_port_restore_io(const uint32_t *words);
void dsmc_port_link_open(void);
void dsmc_port_halt(dsm_session_t *session) __attribute__((noreturn));
/* The hook fields of a port's dsmc_port_t initialiser: none, the core calls the hooks by name. */
#define DSMC_PORT_HOOKS
#else
#define DSMC_PORT_FN(hook) hook
#define DSMC_PORT_LINKAGE static
#define DSMC_PORT_HOOKS                                                                         \
    .acknowledge_trigger = acknowledge_trigger, .save_io = save_io, .pause_sources = pause_sources, \
    .restore_io = restore_io, .link_open = link_open, .halt = halt,
#endif

/** The HELLO entry of the DSMC-private region (stack, session, LZ4 table): never transferred. */
extern const uint8_t __dsmc_private_start[], __dsmc_private_size[];
#define DSMC_PRIVATE_REGION \
    { DSM_REGION_DSMC_PRIVATE, (uint32_t)(uintptr_t)__dsmc_private_start, (uint32_t)(uintptr_t)__dsmc_private_size, 0 }

/** Static configuration of the DSMC. */
typedef struct dsmc_config {
    const dsmc_port_t *port;              /* not read in a DSMC_STATIC_PORT build (the Makefile's archives) */
    dsmc_trigger_kind_t trigger;
    int16_t trigger_irq;                  /* IRQ number for DSMC_TRIGGER_IRQ */
    uint8_t device_id[DSM_DEVICE_ID_SIZE];
    const uint8_t *key;                   /* per-device pre-shared key, NULL for none */
    uint8_t key_len;
    uint32_t reply_timeout_ms;
    uint8_t max_retries;
    uint8_t push_only;                    /* no backchannel on the link */
} dsmc_config_t;

/* Words of the save area for the port's registers: 195 for the FM3 port, 16 for MPS2. */
#ifndef DSMC_PORT_SAVE_WORDS
#define DSMC_PORT_SAVE_WORDS 196u
#endif

/** Sets up the trigger (priority 0, enabled). Call once, before the scheduler starts. */
void dsmc_init(const dsmc_config_t *config);

/** Starts a migration from software (application or OS detected trouble): pends the DSM exception. */
void dsmc_request(void);

/** The DSM exception handler: place it in the trigger's vector slot. */
void DSMC_Handler(void);

/** The resume address: where the host's engine starts the second half. Not to be called. */
void dsmc_resume(void);

/** For a port's halt: answers a repeated COMMITTED with DONE for a while (the host repeats it only
 *  when our DONE was lost), then sleeps with interrupts masked. Never returns. */
void dsmc_stop_forever(dsm_session_t *session) __attribute__((noreturn));

/** Status and protocol outcome of the last attempt that returned locally. */
dsmc_status_t dsmc_last_status(void);
dsm_outcome_t dsmc_last_outcome(void);

#ifdef __cplusplus
}
#endif
#endif
