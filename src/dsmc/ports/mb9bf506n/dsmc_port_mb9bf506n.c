/* DSMC port for the Fujitsu FM3 MB9BF506N. Register names, offsets, bits and unlock keys are those
 * of the MB9B500-series CMSIS header and SVD (see /work/shared/reference/FM3_FACTS.md).
 *
 * Restore order (device failure path and the second half in the host's engine alike):
 *   clock generator (prescalers, then oscillators, PLL, master-clock switch, each waited for),
 *   GPIO (output latches before directions before pin functions), MFS channels, base timers,
 *   dual timer, external interrupts, DMA, watchdogs last.
 * Known limits, by the hardware's nature:
 *   - MFS: a byte being shifted out at the capture is lost (the channel is reset with SCR.UPCL
 *     before it is reconfigured); FIFO contents and FBYTE counts are not restored. The DSMC does
 *     not wait for the application's TX to drain before the capture: that would move the capture
 *     instant by up to a byte time per channel. The link's own last byte is waited for.
 *   - Base timers: the count (TMR) is read-only; a running timer restarts from its cycle value
 *     (STRG), so up to one period of phase is lost. Request flags (STC) cannot be set by software:
 *     a timer event pending at the capture is kept only as the NVIC pending bit.
 *   - Dual timer: Value is read-only; Load = captured Value, then BGLoad = the reload, restores the
 *     phase up to the time the restore takes.
 *   - External interrupts: EIRR is read-only; a pending edge survives as the NVIC pending bit.
 *     (ELVR1 does not exist on the MB9B500 series: 16 channels only.)
 *   - DMA: paused by clearing DMACR.DE after the channel registers were saved; DMACA/B bits other
 *     than DE in DMACR are written back as read (their meaning is not in the fact sheet).
 *   - Watchdogs: both are stopped during the transfer and reloaded (full period) on restore.
 */
#include "dsmc_mb9bf506n.h"

#define PERIPH(off) (0x40000000u + (off))
#define REG32(a) (*(volatile uint32_t *)(a))
#define REG16(a) (*(volatile uint16_t *)(a))
#define REG8(a) (*(volatile uint8_t *)(a))

/* Clock/reset generator (CRG). */
#define CRG_SCM_CTL   PERIPH(0x10000u)   /* b1 MOSCE, b3 SOSCE, b4 PLLE, b7:5 RCS */
#define CRG_SCM_STR   PERIPH(0x10004u)   /* b1 MORDY, b3 SORDY, b4 PLRDY, b7:5 RCM */
#define SCM_OSC_ENABLES 0x0Au
#define SCM_PLLE        0x10u
#define SCM_RCS         0xE0u
/* Watchdogs (SP805-like): WDG_LDR/WDOGLOAD +0, WDG_CTL/WDOGCONTROL +8, ICL/INTCLR +0xC, LCK/LOCK +0xC00. */
#define HWWDT         PERIPH(0x11000u)
#define SWWDT         PERIPH(0x12000u)
#define WDT_CTL       0x008u
#define WDT_INTCLR    0x00Cu
#define WDT_LOCK      0xC00u
#define WDT_UNLOCK    0x1ACCE551u
#define HWWDT_UNLOCK2 0xE5331AAEu   /* the inverse: second step, needed before WDG_CTL writes */
/* Dual timer (SP804-like): TimerXLoad +0, Value +4, Control +8, BGLoad +0x18; X = 2 at +0x20. */
#define DTIM          PERIPH(0x15000u)
#define DT_VALUE      0x04u
#define DT_CONTROL    0x08u
#define DT_BGLOAD     0x18u
#define DT_INTCLR     0x0Cu
#define DT_ENABLE     0x80u
#define DT_TIMER2     0x20u
#define DT_FREE_RUNNING_32BIT_DIV256 0x8Au   /* TIMEREN, TIMERPRE = /256, TIMERSIZE = 32 bit */
/* Base timers: channel c at 0x25000 + 0x40 c (c < 4), 0x25200 + 0x40 (c - 4). */
#define BT_BASE(c)    PERIPH(0x25000u + (c) * 0x40u + ((c) & 4u) * 0x40u)   /* 4-7 sit 0x100 further on */
#define BT_TMCR       0x0Cu              /* b0 STRG, b1 CTEN, b6:4 FMD */
#define BT_STC        0x10u              /* b0 UDIR, b1 DTIR, b2 TGIR (request flags: write 0 clears) */
#define TMCR_STRG     0x01u
#define TMCR_CTEN     0x02u
/* External interrupts. */
#define EXTI_ENIR     PERIPH(0x30000u)
#define EXTI_EICL     PERIPH(0x30008u)
#define EXTI_ELVR     PERIPH(0x3000Cu)   /* two bits per channel: LBn:LAn */   /* write 0 to bit n clears EIRR bit n */
#define EXTI_NMICL    PERIPH(0x30018u)   /* write 0 to NCL (b0) clears NMIRR */
/* GPIO. */
#define GPIO_PFR(p)   PERIPH(0x33000u + 4u * (p))
#define GPIO_ADE      PERIPH(0x33500u)
#define GPIO_EPFR(n)  PERIPH(0x33600u + 4u * (n))
/* MFS channel n at 0x38000 + 0x100 n: SMR +0, SCR +1, ESCR +4, SSR +5, RDR/TDR +8, BGR +0xC, FCR0/1 +0x14/15. */
#define MFS_BASE(n)   PERIPH(0x38000u + 0x100u * (n))
#define MFS_SMR       0x00u
#define MFS_SCR       0x01u
#define MFS_ESCR      0x04u
#define MFS_SSR       0x05u
#define MFS_DATA      0x08u
#define MFS_BGR       0x0Cu
#define SCR_UPCL      0x80u   /* programmable clear: resets the channel */
#define SCR_RXE_TXE   0x03u
#define SMR_UART_SOE  0x01u   /* MD = 000 asynchronous, SOE */
#define SSR_REC       0x80u   /* write 1: clear PE, FRE, ORE */
#define SSR_ERRORS    0x38u
#define SSR_ORE       0x08u
#define SSR_RDRF      0x04u
#define SSR_TDRE      0x02u
#define SSR_TBI       0x01u
/* CRC unit: CRCCR (8 bit) +0, CRCINIT +4, CRCIN +8, CRCR +0xC. */
#define CRC_BASE      PERIPH(0x39000u)
#define CRC_CR        0x00u
#define CRC_INIT      0x04u
#define CRC_IN        0x08u
#define CRC_R         0x0Cu
#define CRCCR_INIT    0x01u
#define CRCCR_CRC32   0x02u
#define CRCCR_STANDARD_CRC32 0x6Fu   /* INIT, CRC32, LTLEND, LSBFST, CRCLSF, FXOR: the CRC-32 of the protocol */
/* DMA controller. */
#define DMAC_DMACR    PERIPH(0x60000u)
#define DMACR_DE      0x80000000u   /* all channels enabled */

/* ---- register lists: offset (bits 0-19 from 0x40000000), width (bits 20-21: 1, 2, 4 bytes),
 *      count - 1 (bits 22-27), log2 stride (bits 28-31) ---- */
#define RUN(off, bytes, count, stride_log2) \
    ((off) | (uint32_t)((bytes) >> 1) << 20 | (uint32_t)((count) - 1u) << 22 | (uint32_t)(stride_log2) << 28)
#define W8 1u
#define W16 2u
#define W32 4u

/* Every saved register, in save-area order. The first PLAIN_RUNS runs are written back as they were
 * read, in restore order; the rest are restored by restore_io with their own rules. */
static const uint32_t save_runs[] = {
    RUN(0x10010u, W8, 5, 2),      /* BSC_PSR, APBC0_PSR, APBC1_PSR, APBC2_PSR, SWC_PSR */
    RUN(0x10028u, W8, 1, 2),      /* TTC_PSR */
    RUN(0x10030u, W8, 4, 2),      /* CSW_TMR, PSW_TMR, PLL_CTL1, PLL_CTL2 */
    RUN(0x33400u, W32, 9, 2),     /* PDOR0-8: output latches first */
    RUN(0x33100u, W32, 9, 2),     /* PCR0-8: pull-ups */
    RUN(0x33200u, W32, 9, 2),     /* DDR0-8: directions */
    RUN(0x33500u, W32, 1, 2),     /* ADE */
    RUN(0x33580u, W32, 1, 2),     /* SPSR */
    RUN(0x33600u, W32, 11, 2),    /* EPFR00-EPFR10 */
    RUN(0x33000u, W32, 9, 2),     /* PFR0-8: pin functions last */
    RUN(0x25101u, W8, 1, 0),      /* BTSEL0123 */
    RUN(0x25301u, W8, 1, 0),      /* BTSEL4567 */
    RUN(0x3000Cu, W32, 1, 0),     /* ELVR (before ENIR) */
    RUN(0x60010u, W32, 32, 2),    /* DMACA/DMACB/DMACSA/DMACDA 0-7 (DMACR.DE last) */
    /* restored by rule */
    RUN(0x10000u, W8, 1, 0),      /* SCM_CTL */
    RUN(0x30000u, W16, 1, 0),     /* ENIR */
    RUN(0x60000u, W32, 1, 0),     /* DMACR */
    RUN(0x11000u, W32, 2, 3),     /* HW watchdog: WDG_LDR, WDG_CTL */
    RUN(0x12000u, W32, 2, 3),     /* SW watchdog: WDOGLOAD, WDOGCONTROL */
    RUN(0x15004u, W32, 2, 5),     /* dual timer 1, 2: Value */
    RUN(0x15008u, W32, 2, 5),     /* Control */
    RUN(0x15018u, W32, 2, 5),     /* BGLoad */
    RUN(0x38000u, W8, 8, 8),      /* MFS0-7: SMR */
    RUN(0x38001u, W8, 8, 8),      /* SCR */
    RUN(0x38004u, W8, 8, 8),      /* ESCR */
    RUN(0x3800Cu, W16, 8, 8),     /* BGR */
    RUN(0x38014u, W8, 8, 8),      /* FCR0 */
    RUN(0x38015u, W8, 8, 8),      /* FCR1 */
    RUN(0x25000u, W16, 4, 6), RUN(0x25200u, W16, 4, 6),   /* base timers 0-3, 4-7: PCSR */
    RUN(0x25004u, W16, 4, 6), RUN(0x25204u, W16, 4, 6),   /* PDUT */
    RUN(0x2500Cu, W16, 4, 6), RUN(0x2520Cu, W16, 4, 6),   /* TMCR */
    RUN(0x25010u, W8, 4, 6),  RUN(0x25210u, W8, 4, 6),    /* STC */
    RUN(0x25011u, W8, 4, 6),  RUN(0x25211u, W8, 4, 6),    /* TMCR2 */
};
#define PLAIN_RUNS 14u
#define CLOCK_RUNS 3u
#define CLOCK_WORDS 10u

/* Save layout in the port words (the order of save_runs). */
enum {
    W_PLAIN = 0,
    W_SCM_CTL = 5 + 1 + 4 + 9 * 3 + 1 + 1 + 11 + 9 + 2 + 1 + 32,
    W_ENIR,
    W_DMACR,
    W_HWWDT,                 /* WDG_LDR, WDG_CTL */
    W_SWWDT = W_HWWDT + 2,   /* WDOGLOAD, WDOGCONTROL */
    W_DTIM = W_SWWDT + 2,    /* Value 1, 2; Control 1, 2; BGLoad 1, 2 */
    W_MFS = W_DTIM + 6,      /* SMR, SCR, ESCR, BGR, FCR0, FCR1: 8 channels each */
    W_BT = W_MFS + 8 * 6,    /* PCSR, PDUT, TMCR, STC, TMCR2: 8 channels each */
    W_END = W_BT + 8 * 5
};
enum { MFS_SMR_W, MFS_SCR_W, MFS_ESCR_W, MFS_BGR_W, MFS_FCR0_W, MFS_FCR1_W };
enum { BT_PCSR_W, BT_PDUT_W, BT_TMCR_W, BT_STC_W, BT_TMCR2_W };
typedef char fm3_save_fits[W_END <= DSMC_PORT_SAVE_WORDS ? 1 : -1];

static uint32_t rd(uint32_t addr, unsigned bytes)
{
    return bytes == 1u ? REG8(addr) : bytes == 2u ? REG16(addr) : REG32(addr);
}

static void wr(uint32_t addr, unsigned bytes, uint32_t value)
{
    if (bytes == 1u) REG8(addr) = (uint8_t)value;
    else if (bytes == 2u) REG16(addr) = (uint16_t)value;
    else REG32(addr) = value;
}

/* Saves (restore = 0) or writes back the registers of a run list. */
static void do_runs(const uint32_t *runs, uint32_t n, uint32_t *w, int restore)
{
    while (n--) {
        uint32_t run = *runs++, addr = PERIPH(run & 0xFFFFFu), bytes = 1u << ((run >> 20) & 3u);
        uint32_t count = ((run >> 22) & 63u) + 1u, stride = 1u << (run >> 28);
        for (; count--; addr += stride, w++) {
            if (restore) wr(addr, bytes, *w);
            else *w = rd(addr, bytes);
        }
    }
}

static void wdt_unlock(uint32_t base)
{
    REG32(base + WDT_LOCK) = WDT_UNLOCK;
    if (base == HWWDT) REG32(base + WDT_LOCK) = HWWDT_UNLOCK2;
}

/* Writes a watchdog's control register (and before it, when load is non-zero, its load register). */
__attribute__((noinline)) static void wdt_write(uint32_t base, uint32_t load, uint32_t control)
{
    if (load) {
        REG32(base + WDT_LOCK) = WDT_UNLOCK;
        REG32(base) = load;
    }
    wdt_unlock(base);
    REG32(base + WDT_CTL) = control;
    REG32(base + WDT_LOCK) = 0;   /* any other value locks again */
}

/* ---- link ---- */

static uint32_t link_base(void) { return MFS_BASE(dsmc_mb9bf506n_config.link_channel); }

#if DSM_HAS_BACKCHANNEL
#ifdef DSM_SMALL_RX
#define rx_lost 0
/* The received byte, or -1 if none is waiting. */
static int link_rx(uint32_t mfs)
{
    uint8_t ssr = REG8(mfs + MFS_SSR);
    if (ssr & SSR_ERRORS) REG8(mfs + MFS_SSR) = SSR_REC;   /* a broken byte: the frame CRC catches it */
    return (ssr & SSR_RDRF) ? (int)(REG16(mfs + MFS_DATA) & 0xFFu) : -1;
}
#else
/* Set by an overrun: the next byte handed to the session carries DSM_RX_AFTER_LOSS. */
static uint8_t rx_lost __attribute__((section(".dsmc_private.rx")));

/* The received byte, or -1 if none is waiting. After an overrun the byte held in the receiver is dropped
 * too (the bytes behind it are lost, so it cannot finish a frame whose rest follows) and rx_lost is set. */
static int link_rx(uint32_t mfs)
{
    uint8_t ssr = REG8(mfs + MFS_SSR);
    int c;
    if (ssr & SSR_ERRORS) REG8(mfs + MFS_SSR) = SSR_REC;   /* parity, framing: the frame CRC catches it */
    if (!(ssr & SSR_RDRF)) return -1;
    c = REG16(mfs + MFS_DATA) & 0xFF;
    if (ssr & SSR_ORE) {
        rx_lost = 1;
        return -1;
    }
    return c;
}
#endif

/* The link's receiver holds one byte (no FIFO on channel 1) and the session reads it only between
 * frames, so a host frame (ABORT, NACK, FLASH_REQUEST) arriving while a block is sent would be overrun.
 * link_put keeps what arrives while it waits for the transmitter; link_get hands it out first.
 * Bytes past a full stash are dropped: the frame CRC catches that and the host repeats. */
#endif
/* DSMC_FM3_NO_RX_STASH (the compact build): no stash. A host frame that arrives while a block is sent is
 * then overrun; the host repeats a NACK when its wait times out, and the DSMC's own reply timeout ends a
 * session whose ABORT was lost, so only the recovery takes longer. */
#if DSM_HAS_BACKCHANNEL && !defined(DSMC_FM3_NO_RX_STASH)
#define HAS_RX_STASH 1
#define RX_STASH 64u   /* a power of two dividing 256: the indices are free-running bytes */
static struct {
    uint8_t head, tail, buf[RX_STASH];
} rx_stash __attribute__((section(".dsmc_private.rx")));
#else
#define HAS_RX_STASH 0
#endif

static void link_put(void *ctx, uint8_t byte)
{
    uint32_t mfs = link_base();
    (void)ctx;
    while (!(REG8(mfs + MFS_SSR) & SSR_TDRE)) {
#if HAS_RX_STASH
        int c = link_rx(mfs);
        if (rx_lost) rx_stash.tail = rx_stash.head;   /* stashed bytes before the loss cannot finish a frame */
        if (c >= 0 && (uint8_t)(rx_stash.head - rx_stash.tail) < RX_STASH)
            rx_stash.buf[rx_stash.head++ & (RX_STASH - 1u)] = (uint8_t)c;
#endif
    }
    REG16(mfs + MFS_DATA) = byte;
}

#if DSM_HAS_BACKCHANNEL
static int link_get(void *ctx, uint32_t timeout_ms)
{
    uint32_t mfs = link_base(), timer = DTIM + DT_TIMER2;
    uint32_t start = REG32(timer + DT_VALUE), limit = timeout_ms * dsmc_mb9bf506n_config.timer_ticks_per_ms;
    int c;
    (void)ctx;
#if HAS_RX_STASH
    if (rx_stash.head != rx_stash.tail) c = rx_stash.buf[rx_stash.tail++ & (RX_STASH - 1u)];
    else
#endif
        while ((c = link_rx(mfs)) < 0)
            if (start - REG32(timer + DT_VALUE) >= limit) return -1;   /* Timer2 counts down */
#ifndef DSM_SMALL_RX
    if (rx_lost) c |= DSM_RX_AFTER_LOSS, rx_lost = 0;
#endif
    return c;
}
#endif

/* A push-only build (DSM_NO_BACKCHANNEL) never receives: no get, so link_get is not linked. */
#if DSM_HAS_BACKCHANNEL
static const dsm_transport_t link = { 0, link_put, link_get };
#else
static const dsm_transport_t link = { 0, link_put, 0 };
#endif

/* Only a build with the flash offer uses it; -DDSMC_FM3_NO_CRC_UNIT leaves the unit to the application. */
#if DSM_HAS_FLASH_DIFF && DSM_HAS_BACKCHANNEL && !defined(DSMC_FM3_NO_CRC_UNIT)
#define FLASH_OFFER_BY_CRC_UNIT 1
#else
#define FLASH_OFFER_BY_CRC_UNIT 0
#endif
#if FLASH_OFFER_BY_CRC_UNIT
/* A flash block's CRC-32 by the CRC unit (about 1 cycle a byte against about 12 for the nibble table), fed
 * in pieces (DSM_CRC_START ... DSM_CRC_END). The application may be using the unit: its control, seed and
 * running remainder are kept from the first piece and put back after the last. The remainder is read with
 * the result transforms off (CRCR then shows it as is) and reloaded via CRCINIT. */
static uint32_t crc_unit_saved[3] __attribute__((section(".dsmc_private.crc")));   /* CRCCR, CRCINIT, remainder */

static uint32_t block_crc(const uint8_t *data, uint32_t len, uint32_t op)
{
    uint32_t *saved = crc_unit_saved, crc = 0;
    if (op & DSM_CRC_START) {
        saved[0] = REG8(CRC_BASE + CRC_CR);
        saved[1] = REG32(CRC_BASE + CRC_INIT);
        REG8(CRC_BASE + CRC_CR) = (uint8_t)(saved[0] & CRCCR_CRC32);
        saved[2] = REG32(CRC_BASE + CRC_R);
        REG32(CRC_BASE + CRC_INIT) = 0xFFFFFFFFu;
        REG8(CRC_BASE + CRC_CR) = CRCCR_STANDARD_CRC32;
    }
    /* Four words a turn (one LDM): the loop overhead was half of 13 ms per 512 KiB offer. Flash blocks and
     * every piece but a block's last are whole words. */
    for (; len >= 16u; len -= 16u, data += 16) {
        const uint32_t *w = (const uint32_t *)(const void *)data;
        uint32_t a = w[0], b = w[1], c = w[2], d = w[3];
        REG32(CRC_BASE + CRC_IN) = a;
        REG32(CRC_BASE + CRC_IN) = b;
        REG32(CRC_BASE + CRC_IN) = c;
        REG32(CRC_BASE + CRC_IN) = d;
    }
    for (; len >= 4u; len -= 4u, data += 4)
        REG32(CRC_BASE + CRC_IN) = *(const uint32_t *)(const void *)data;
    while (len--) REG8(CRC_BASE + CRC_IN) = *data++;
    if (op & DSM_CRC_END) {
        uint32_t cr = saved[0];
        crc = REG32(CRC_BASE + CRC_R);
        REG32(CRC_BASE + CRC_INIT) = saved[2];
        REG8(CRC_BASE + CRC_CR) = (uint8_t)((cr & CRCCR_CRC32) | CRCCR_INIT);
        REG32(CRC_BASE + CRC_INIT) = saved[1];
        REG8(CRC_BASE + CRC_CR) = (uint8_t)cr;
    }
    return crc;
}
#endif

DSMC_PORT_LINKAGE void DSMC_PORT_FN(link_open)(void)
{
    const dsmc_mb9bf506n_config_t *c = &dsmc_mb9bf506n_config;
    uint32_t mfs = link_base(), epfr = GPIO_EPFR(c->pin_epfr);
    REG32(GPIO_ADE) &= ~(uint32_t)c->pin_ade_clear;
    REG32(epfr) = (REG32(epfr) & ~c->pin_epfr_mask) | c->pin_epfr_value;
    REG32(GPIO_PFR(c->pin_port)) |= c->pin_pfr_bits;
    REG8(mfs + MFS_SCR) = SCR_UPCL;
    REG8(mfs + MFS_SMR) = SMR_UART_SOE;
    REG8(mfs + MFS_ESCR) = 0;   /* 8 data bits, no parity, 1 stop bit */
    REG16(mfs + MFS_BGR) = c->link_bgr;
    REG8(mfs + MFS_SCR) = SCR_RXE_TXE;   /* no interrupts: the link is polled */
#if HAS_RX_STASH
    rx_stash.head = rx_stash.tail = 0;   /* private memory is not initialised at start-up */
#endif
}

/* ---- capture ---- */

/* DSMC_FM3_TRIGGER (a dsmc_fm3_trigger_t value) fixes the trigger kind at build time: only its
 * acknowledge and set-up code is linked, and the board configuration's trigger field is ignored. */
#ifdef DSMC_FM3_TRIGGER
#define TRIGGER_KIND(c) ((void)(c), (uint32_t)(DSMC_FM3_TRIGGER))
#else
#define TRIGGER_KIND(c) ((uint32_t)(c)->trigger)
#endif

DSMC_PORT_LINKAGE void DSMC_PORT_FN(acknowledge_trigger)(void)
{
    const dsmc_mb9bf506n_config_t *c = &dsmc_mb9bf506n_config;
    uint32_t ch = c->trigger_channel;
    switch (TRIGGER_KIND(c)) {
    case DSMC_FM3_TRIGGER_EXTI:
        REG16(EXTI_EICL) = (uint16_t)~(1u << ch);   /* only the DSM channel; the others keep their requests */
        break;
    case DSMC_FM3_TRIGGER_BASE_TIMER:
        REG8(BT_BASE(ch) + BT_STC) &= (uint8_t)~0x07u;   /* UDIR, DTIR, TGIR */
        break;
    case DSMC_FM3_TRIGGER_NMI_PIN:
        REG8(EXTI_NMICL) = 0;
        break;
    case DSMC_FM3_TRIGGER_SWDT:
        REG32(SWWDT + WDT_LOCK) = WDT_UNLOCK;
        REG32(SWWDT + WDT_INTCLR) = 1;   /* any write clears the interrupt and reloads */
        REG32(SWWDT + WDT_LOCK) = 0;
        break;
    default:
        break;
    }
}

/* External interrupt trigger: the line idles high; a falling edge (ELVR LBn:LAn = 11) requests the DSM
 * interrupt. Other trigger kinds are set up by the application that owns their peripheral. */
static void arm_trigger(void)
{
    const dsmc_mb9bf506n_config_t *c = &dsmc_mb9bf506n_config;
    if (TRIGGER_KIND(c) == DSMC_FM3_TRIGGER_EXTI) {
        uint32_t ch = c->trigger_channel;
        REG16(EXTI_ENIR) = REG16(EXTI_ENIR) & ~(1u << ch);   /* strh keeps the low half: no casts needed */
        REG32(EXTI_ELVR) |= 3u << (2u * ch);   /* LBn:LAn = 11 */
        REG16(EXTI_EICL) = (uint16_t)~(1u << ch);
        REG16(EXTI_ENIR) = REG16(EXTI_ENIR) | (1u << ch);
    }
}

DSMC_PORT_LINKAGE void DSMC_PORT_FN(save_io)(uint32_t *w)
{
    do_runs(save_runs, sizeof save_runs / sizeof save_runs[0], w, 0);
}

DSMC_PORT_LINKAGE void DSMC_PORT_FN(pause_sources)(void)
{
    uint32_t timer = DTIM + DT_TIMER2, i;
    REG32(DMAC_DMACR) = 0;                       /* no bus master writes SRAM during the transfer */
    wdt_write(HWWDT, 0, 0);
    wdt_write(SWWDT, 0, 0);
    REG32(DTIM + DT_CONTROL) = 0;                /* dual timer 1 */
    for (i = 0; i < 8u; i++) REG16(BT_BASE(i) + BT_TMCR) = REG16(BT_BASE(i) + BT_TMCR) & ~TMCR_CTEN;
    /* Timer2 becomes the DSMC's timeout clock: free-running down from 0xFFFFFFFF (32-bit before the
     * Load write, else the count starts at 0xFFFF and expires within half a second; a push-only build
     * waits for nothing, so it only stops it). */
    REG32(timer + DT_CONTROL) = DT_FREE_RUNNING_32BIT_DIV256 & ~DT_ENABLE;
    if (DSM_HAS_BACKCHANNEL) {
        REG32(timer) = 0xFFFFFFFFu;
        REG32(timer + DT_CONTROL) = DT_FREE_RUNNING_32BIT_DIV256;
    }
}

/* ---- restore ---- */

static void wait_status(uint32_t want)
{
    while ((REG8(CRG_SCM_STR) & want) != want) {
    }
}

DSMC_PORT_LINKAGE void DSMC_PORT_FN(restore_io)(const uint32_t *w)
{
    uint32_t scm = w[W_SCM_CTL], i;
    /* The link's last byte (an ABORT, say) leaves before its channel is reset. */
    while (!(REG8(link_base() + MFS_SSR) & SSR_TBI)) {
    }
    /* Clocks: prescalers and PLL settings, then oscillators, PLL, master clock (vendor order). */
    do_runs(save_runs, CLOCK_RUNS, (uint32_t *)w + W_PLAIN, 1);
    REG8(CRG_SCM_CTL) |= (uint8_t)(scm & SCM_OSC_ENABLES);
    wait_status(scm & SCM_OSC_ENABLES);
    REG8(CRG_SCM_CTL) |= (uint8_t)(scm & SCM_PLLE);
    wait_status(scm & SCM_PLLE);
    REG8(CRG_SCM_CTL) = (uint8_t)scm;
    while ((REG8(CRG_SCM_STR) & SCM_RCS) != (scm & SCM_RCS)) {
    }
    /* GPIO, BTSEL, ELVR and the DMA channels as read. */
    do_runs(save_runs + CLOCK_RUNS, PLAIN_RUNS - CLOCK_RUNS, (uint32_t *)w + W_PLAIN + CLOCK_WORDS, 1);
    for (i = 0; i < 8u; i++) {
        const uint32_t *m = w + W_MFS + i, *b = w + W_BT + i;   /* register k of channel i at [8 k] */
        uint32_t mfs = MFS_BASE(i), bt = BT_BASE(i);
        REG8(mfs + MFS_SCR) = SCR_UPCL;
        REG8(mfs + MFS_SMR) = (uint8_t)m[8 * MFS_SMR_W];
        REG8(mfs + MFS_ESCR) = (uint8_t)m[8 * MFS_ESCR_W];
        REG16(mfs + MFS_BGR) = (uint16_t)m[8 * MFS_BGR_W];
        if (i >= 4u) {   /* FIFO channels: FCR1, then FCR0's FIFO enables (FCL resets are not written) */
            REG8(mfs + 0x15u) = (uint8_t)m[8 * MFS_FCR1_W];
            REG8(mfs + 0x14u) = m[8 * MFS_FCR0_W] & 0x03u;
        }
        REG8(mfs + MFS_SCR) = m[8 * MFS_SCR_W] & ~SCR_UPCL;

        REG16(bt + BT_TMCR) = 0;   /* FMD = 0: reset mode */
        REG16(bt + BT_TMCR) = b[8 * BT_TMCR_W] & ~(TMCR_STRG | TMCR_CTEN);
        REG8(bt + 0x11u) = (uint8_t)b[8 * BT_TMCR2_W];
        REG16(bt) = (uint16_t)b[8 * BT_PCSR_W];
        REG16(bt + 4u) = (uint16_t)b[8 * BT_PDUT_W];
        REG8(bt + BT_STC) = b[8 * BT_STC_W] & 0xF0u;   /* enables; request flags cannot be set */
        /* Running before: enabled and started again by a software trigger. */
        REG16(bt + BT_TMCR) = b[8 * BT_TMCR_W] | ((b[8 * BT_TMCR_W] & TMCR_CTEN) ? TMCR_STRG : 0u);
    }
    for (i = 0; i < 2u; i++) {
        const uint32_t *d = w + W_DTIM + i;   /* Value, Control, BGLoad at [0], [2], [4] */
        uint32_t t = DTIM + DT_TIMER2 * i;
        /* Control first (a Load written in 16-bit mode would be truncated); the stale count it may run
         * from for two stores is replaced by Load at once. */
        REG32(t + DT_CONTROL) = d[2];
        if (DSM_HAS_BACKCHANNEL && i == 1u) REG32(t + DT_INTCLR) = 1;   /* Timer2 expired as our timeout clock (push-only never starts it) */
        REG32(t) = d[0];             /* Load: the current count continues from the captured Value */
        REG32(t + DT_BGLOAD) = d[4]; /* the reload from the next period on, without touching the count */
    }
    REG16(EXTI_ENIR) = (uint16_t)w[W_ENIR];
    REG32(DMAC_DMACR) = w[W_DMACR];
    wdt_write(HWWDT, w[W_HWWDT], w[W_HWWDT + 1]);
    wdt_write(SWWDT, w[W_SWWDT], w[W_SWWDT + 1]);
}

__attribute__((noreturn)) DSMC_PORT_LINKAGE void DSMC_PORT_FN(halt)(dsm_session_t *session)
{
    /* pause_sources left the watchdogs, timers and DMA off; only the NVIC is left to silence. */
    uint32_t i;
    for (i = 0; i < 2u; i++) REG32(0xE000E180u + 4u * i) = 0xFFFFFFFFu;   /* NVIC ICER0-1 */
    dsmc_stop_forever(session);
}

/* Flash, SRAM0 + SRAM1 (contiguous) up to the DSMC-private region, and that region. */
static const dsm_region_t regions[] = {
    { DSM_REGION_FLASH, 0x00000000u, 0x80000u, (const uint8_t *)0x00000000u },
    { DSM_REGION_SRAM, 0x1FFF8000u, (uint32_t)(uintptr_t)__dsmc_private_start - 0x1FFF8000u, (const uint8_t *)0x1FFF8000u },
    DSMC_PRIVATE_REGION,
};

const dsmc_port_t dsmc_port_mb9bf506n = {
    .board_id = "mb9bf506n",
    .core_clock_hz = DSMC_FM3_CORE_CLOCK_HZ,
    .irq_count = 48,
    .region_count = 3,
    .regions = regions,
    .transport = &link,
    DSMC_PORT_HOOKS
    .arm_trigger = arm_trigger,
#if FLASH_OFFER_BY_CRC_UNIT
    .block_crc = block_crc,
#endif
};

/* The default board configuration; a firmware replaces it by defining dsmc_mb9bf506n_config. */
__attribute__((weak)) const dsmc_mb9bf506n_config_t dsmc_mb9bf506n_config = {
    .link_channel = 1,
    .trigger = DSMC_FM3_TRIGGER_EXTI,
    .trigger_channel = 0,
    .pin_port = 1,
    .link_bgr = 346,                  /* 40 MHz / 115200 - 1 */
    .pin_pfr_bits = (1u << 1) | (1u << 2),   /* P11 = SIN1_1, P12 = SOT1_1 */
    .pin_ade_clear = (1u << 1) | (1u << 2),  /* AN01, AN02 */
    .pin_epfr = 7,
    .pin_epfr_mask = (3u << 10) | (3u << 12),    /* EPFR07 SIN1S, SOT1B */
    .pin_epfr_value = (2u << 10) | (2u << 12),   /* "_1" pins */
    .timer_ticks_per_ms = 156,        /* 40 MHz / 256 / 1000 */
};
