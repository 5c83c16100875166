/* DSMC port for the Arm MPS2-AN385 (as QEMU's -M mps2-an385 models it).
 * Link: CMSDK APB UART1 (0x40005000), polled. Timeouts: CMSDK timer 1 (0x40001000), saved and
 * restored with the other IO-control registers. Facts: Arm CMSDK TRM (UART, timer registers). */
#include "dsmc_mps2.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define UART_DATA      0x00u
#define UART_STATE     0x04u   /* bit0 TX full, bit1 RX full */
#define UART_CTRL      0x08u   /* bit0 TX enable, bit1 RX enable, bits 2-5 interrupt enables */
#define UART_BAUDDIV   0x10u

#define TIMER_BASE(n)  (0x40000000u + 0x1000u * (n))
#define TIMER_CTRL     0x00u   /* bit0 enable, bit3 interrupt enable */
#define TIMER_VALUE    0x04u
#define TIMER_RELOAD   0x08u

#define LINK_UART      0x40005000u
#define TIMEOUT_TIMER  TIMER_BASE(1)
#define CORE_CLOCK_HZ  25000000u

/* Save layout in the port words: 5 UARTs x (ctrl, bauddiv), 2 timers x (ctrl, value, reload). */
enum { SAVE_UART = 0, SAVE_TIMER = 10, SAVE_WORDS = 16 };
typedef char mps2_save_fits[SAVE_WORDS <= DSMC_PORT_SAVE_WORDS ? 1 : -1];

static const uint32_t uart_bases[5] = { 0x40004000u, 0x40005000u, 0x40006000u, 0x40007000u, 0x40009000u };

static void link_put(void *ctx, uint8_t byte)
{
    (void)ctx;
    while (REG(LINK_UART + UART_STATE) & 1u) {
    }
    REG(LINK_UART + UART_DATA) = byte;
}

static int link_get(void *ctx, uint32_t timeout_ms)
{
    /* Timer 1 counts down at the core clock from 0xFFFFFFFF (pause_sources); ms * 25000 counts. */
    uint32_t start = REG(TIMEOUT_TIMER + TIMER_VALUE), limit = timeout_ms * (CORE_CLOCK_HZ / 1000u);
    (void)ctx;
    for (;;) {
        if (REG(LINK_UART + UART_STATE) & 2u) return (int)(REG(LINK_UART + UART_DATA) & 0xFFu);
        if (start - REG(TIMEOUT_TIMER + TIMER_VALUE) >= limit) return -1;
    }
}

static const dsm_transport_t link = { 0, link_put, link_get };

DSMC_PORT_LINKAGE void DSMC_PORT_FN(acknowledge_trigger)(void)
{
    /* The MPS2 trigger is software only (dsmc_request): no request flag to clear. */
}

DSMC_PORT_LINKAGE void DSMC_PORT_FN(save_io)(uint32_t *words)
{
    uint32_t i;
    for (i = 0; i < 5u; i++) {
        words[SAVE_UART + 2u * i] = REG(uart_bases[i] + UART_CTRL);
        words[SAVE_UART + 2u * i + 1u] = REG(uart_bases[i] + UART_BAUDDIV);
    }
    for (i = 0; i < 6u; i++) words[SAVE_TIMER + i] = REG(TIMER_BASE(i / 3u) + 4u * (i % 3u));
}

DSMC_PORT_LINKAGE void DSMC_PORT_FN(pause_sources)(void)
{
    /* Timer 0 would keep raising its interrupt; timer 1 becomes the DSMC's timeout clock. */
    REG(TIMER_BASE(0) + TIMER_CTRL) &= ~1u;
    REG(TIMEOUT_TIMER + TIMER_CTRL) = 0;
    REG(TIMEOUT_TIMER + TIMER_RELOAD) = 0xFFFFFFFFu;
    REG(TIMEOUT_TIMER + TIMER_VALUE) = 0xFFFFFFFFu;
    REG(TIMEOUT_TIMER + TIMER_CTRL) = 1u;
}

DSMC_PORT_LINKAGE void DSMC_PORT_FN(restore_io)(const uint32_t *words)
{
    uint32_t i;
    for (i = 0; i < 2u; i++) {
        uint32_t base = TIMER_BASE(i);
        const uint32_t *t = words + SAVE_TIMER + 3u * i;   /* ctrl, value, reload */
        REG(base + TIMER_CTRL) = 0;
        REG(base + TIMER_RELOAD) = t[2];
        REG(base + TIMER_VALUE) = t[1];
        REG(base + TIMER_CTRL) = t[0];
    }
    for (i = 0; i < 5u; i++) {
        REG(uart_bases[i] + UART_BAUDDIV) = words[SAVE_UART + 2u * i + 1u];
        REG(uart_bases[i] + UART_CTRL) = words[SAVE_UART + 2u * i];
    }
}

DSMC_PORT_LINKAGE void DSMC_PORT_FN(link_open)(void)
{
    if (REG(LINK_UART + UART_BAUDDIV) < 16u) REG(LINK_UART + UART_BAUDDIV) = CORE_CLOCK_HZ / 115200u;
    REG(LINK_UART + UART_CTRL) = 3u;   /* TX and RX, no interrupts: the link is polled */
    while (REG(LINK_UART + UART_STATE) & 2u) (void)REG(LINK_UART + UART_DATA);   /* drop stale input */
}

__attribute__((noreturn)) DSMC_PORT_LINKAGE void DSMC_PORT_FN(halt)(dsm_session_t *session)
{
    REG(TIMER_BASE(0) + TIMER_CTRL) = 0;
    dsmc_stop_forever(session);
}

/* Code SSRAM (the image) and SRAM up to the private region. */
static const dsm_region_t regions[] = {
    { DSM_REGION_FLASH, 0x00000000u, DSMC_MPS2_FLASH_SIZE, (const uint8_t *)0x00000000u },
    { DSM_REGION_SRAM, 0x20000000u, (uint32_t)(uintptr_t)__dsmc_private_start - 0x20000000u, (const uint8_t *)0x20000000u },
    DSMC_PRIVATE_REGION,
};

const dsmc_port_t dsmc_port_mps2_an385 = {
    .board_id = "mps2-an385",
    .core_clock_hz = CORE_CLOCK_HZ,
    .irq_count = 32,
    .region_count = 3,
    .regions = regions,
    .transport = &link,
    DSMC_PORT_HOOKS
};
