/* DSMC port for the Fujitsu FM3 MB9BF506N (Cortex-M3, 512 KiB flash, 64 KiB SRAM).
 *
 * Board configuration (dsmc_mb9bf506n_config): the firmware may define its own
 * `const dsmc_mb9bf506n_config_t dsmc_mb9bf506n_config` to replace the default, which is
 *   link:    MFS1 in UART mode, 8N1, 115200 Bd from PCLK2 = 40 MHz (BGR = 346), pins SIN1_1/SOT1_1
 *            (P11/P12, AN01/AN02 made digital), polled;
 *   timeout: dual timer, Timer2 (saved first, then used free-running at PCLK0/256, then restored);
 *   trigger: external interrupt ch0 (IRQ 4, shared by ch0-7).
 * HELLO reports a core clock of DSMC_FM3_CORE_CLOCK_HZ (default 80 MHz, the vendor PLL set-up).
 * The trigger kind must agree with dsmc_config_t.trigger/trigger_irq:
 *   DSMC_FM3_TRIGGER_EXTI        IRQ 4 (ch0-7) or 5 (ch8-15); acknowledge clears EIRR bit n via EICL;
 *   DSMC_FM3_TRIGGER_BASE_TIMER  IRQ 31 (all channels); acknowledge clears the channel's STC request flags;
 *   DSMC_FM3_TRIGGER_NMI_PIN     NMI (DSMC_TRIGGER_NMI); acknowledge clears NMIRR via NMICL;
 *   DSMC_FM3_TRIGGER_SWDT        IRQ 1, the software watchdog's pre-expiry interrupt; acknowledge
 *                                clears it through WDOGINTCLR;
 *   DSMC_FM3_TRIGGER_SOFTWARE    any free IRQ, started only by dsmc_request(): nothing to clear.
 * dsmc_request() works with every kind (it pends the configured IRQ or the NMI).
 */
#ifndef DSMC_MB9BF506N_H
#define DSMC_MB9BF506N_H
#include "dsmc.h"

typedef enum dsmc_fm3_trigger {
    DSMC_FM3_TRIGGER_EXTI = 0,
    DSMC_FM3_TRIGGER_BASE_TIMER,
    DSMC_FM3_TRIGGER_NMI_PIN,
    DSMC_FM3_TRIGGER_SWDT,
    DSMC_FM3_TRIGGER_SOFTWARE
} dsmc_fm3_trigger_t;

typedef struct dsmc_mb9bf506n_config {
    uint8_t link_channel;        /* MFS channel 0..7 used as the link (UART mode) */
    uint8_t trigger;             /* dsmc_fm3_trigger_t */
    uint8_t trigger_channel;     /* external interrupt channel 0..15 or base-timer channel 0..7 */
    uint8_t pin_port;            /* GPIO port whose PFR bits route the link pins */
    uint16_t link_bgr;           /* MFS BGR: PCLK2 / baud - 1 */
    uint16_t pin_pfr_bits;       /* PFR<pin_port> bits of SIN and SOT */
    uint16_t pin_ade_clear;      /* ADE bits to clear (analog pins used as SIN/SOT) */
    uint8_t pin_epfr;            /* 7: EPFR07 (MFS0-3), 8: EPFR08 (MFS4-7) */
    uint32_t pin_epfr_mask;      /* SINnS/SOTnB fields in that EPFR */
    uint32_t pin_epfr_value;
    uint32_t timer_ticks_per_ms; /* dual timer Timer2 counts at PCLK0/256: 156 at PCLK0 = 40 MHz */
} dsmc_mb9bf506n_config_t;

#ifndef DSMC_FM3_CORE_CLOCK_HZ
#define DSMC_FM3_CORE_CLOCK_HZ 80000000u
#endif

extern const dsmc_mb9bf506n_config_t dsmc_mb9bf506n_config;
extern const dsmc_port_t dsmc_port_mb9bf506n;

#endif
