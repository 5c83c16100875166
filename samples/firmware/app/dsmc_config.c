/*
 * DSMC configuration for this firmware (built only with DSMC=1). main() passes it to dsmc_init:
 * DSMC hook 2 of 3. The board's DSMC port (src/dsmc/ports/...) supplies DSMC_PORT, named by the
 * Makefile's DSMC_PORT_SYMBOL; the trigger is the vector os_board.h reserves (DSMC_VECTOR).
 */
#include "dsmc.h"
#include "os_board.h"

extern const dsmc_port_t DSMC_PORT;

const dsmc_config_t dsmc_board_config = {
    .port = &DSMC_PORT,
#if DSMC_VECTOR == 2
    .trigger = DSMC_TRIGGER_NMI,
    .trigger_irq = -1,
#else
    .trigger = DSMC_TRIGGER_IRQ,
    .trigger_irq = DSMC_VECTOR - 16,
#endif
    .device_id = { 'd', 's', 'm', '-', 's', 'a', 'm', 'p', 'l', 'e' },
    .key = 0,
    .key_len = 0,
    .reply_timeout_ms = 1000,
    .max_retries = 3,
    .push_only = 0,
};
