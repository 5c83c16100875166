/*
 * DSMC configuration for this board (compiled to nothing unless DSMC=1). main() passes it to
 * dsmc_init: DSMC hook 2 of 3. The port is src/dsmc/ports/mps2-an385; the trigger is the vector
 * os_board.h reserves (DSMC_VECTOR).
 */
#if DSMC
#include "dsmc.h"
#include "dsmc_mps2.h"
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
        .device_id = { 'd', 's', 'm', '-', 's', 'a', 'm', 'p', 'l', 'e', '-', 'm', 'p', 's', '2' },
        .key = 0,
        .key_len = 0,
        .reply_timeout_ms = 1000,
        .max_retries = 3,
        .push_only = 0,
    };
    config.port = &dsmc_port_mps2_an385;
    return &config;
}
#endif
