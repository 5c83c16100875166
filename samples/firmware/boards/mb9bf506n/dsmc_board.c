/*
 * DSMC configuration for this board (compiled to nothing unless DSMC=1). main() passes it to
 * dsmc_init: DSMC hook 2 of 3. The Makefile builds the DSMC variant only once
 * src/dsmc/ports/mb9bf506n exists; the port call below follows the MPS2 port's pattern and is to
 * be matched to the FM3 port's header when it lands.
 *
 * Memory the port should transfer: SRAM0 above the DSMC's private region (__sram0_region_start,
 * __sram0_region_size) and all of SRAM1 (0x20000000, __sram1_region_size); flash 512 KiB at 0.
 */
#if DSMC
#include "dsmc.h"
#include "dsmc_mb9bf506n.h"
#include "os_board.h"

const dsmc_config_t *dsmc_board_config(void)
{
    static dsmc_config_t config = {
#if DSMC_VECTOR == 2
        .trigger = DSMC_TRIGGER_NMI,
        .trigger_irq = -1,
#else
        .trigger = DSMC_TRIGGER_IRQ,
        .trigger_irq = DSMC_VECTOR - 16,
#endif
        .device_id = { 'd', 's', 'm', '-', 's', 'a', 'm', 'p', 'l', 'e', '-', 'f', 'm', '3' },
        .key = DSMC_KEY,
        .key_len = DSMC_KEY_LEN,
        .reply_timeout_ms = 1000,
        .max_retries = 3,
        .push_only = 0,
    };
    config.port = &dsmc_port_mb9bf506n;
    return &config;
}

#if DSMC_VECTOR == 2
/* The port's trigger kind must agree with config.trigger: with the NMI it acknowledges NMIRR and
   leaves the external interrupts alone. The rest is the port's default. */
const dsmc_mb9bf506n_config_t dsmc_mb9bf506n_config = {
    .link_channel = 1,
    .trigger = DSMC_FM3_TRIGGER_NMI_PIN,
    .pin_port = 1,
    .link_bgr = 346,
    .pin_pfr_bits = (1u << 1) | (1u << 2),
    .pin_ade_clear = (1u << 1) | (1u << 2),
    .pin_epfr = 7,
    .pin_epfr_mask = (3u << 10) | (3u << 12),
    .pin_epfr_value = (2u << 10) | (2u << 12),
    .timer_ticks_per_ms = 156,
};
#endif
#endif
