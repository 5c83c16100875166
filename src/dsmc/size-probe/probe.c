/* The smallest firmware that uses the whole DSMC: it exists to measure the DSMC's linked size
 * (make size). Vector table with the DSM handler, an init call and a software trigger. */
#include "dsmc.h"

/* The archives call their port directly (STATIC_PORT=1, the default): .port is not read and left out,
 * as an integration with those archives would; STATIC_PORT=0 builds need it. */
#if !DSMC_STATIC_PORT_BUILD
extern const dsmc_port_t DSMC_PORT;
#endif
extern uint32_t __probe_stack_top[];

static const dsmc_config_t config = {
#if !DSMC_STATIC_PORT_BUILD
    .port = &DSMC_PORT,
#endif
    .trigger = DSMC_TRIGGER_IRQ,
    .trigger_irq = DSMC_PROBE_IRQ,
    .device_id = { 's', 'i', 'z', 'e' },
    .key = (const uint8_t *)"probe key",
    .key_len = 9,
    .reply_timeout_ms = 1000,
    .max_retries = 3,
};

void probe_reset(void);

__attribute__((section(".vectors"), used)) static void (*const vectors[16 + DSMC_PROBE_IRQ + 1])(void) = {
    [0] = (void (*)(void))__probe_stack_top,
    [1] = probe_reset,
    [16 + DSMC_PROBE_IRQ] = DSMC_Handler,
};

void probe_reset(void)
{
    dsmc_init(&config);
    dsmc_request();
    for (;;) {
    }
}
