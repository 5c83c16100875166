/* DSMC port for the Arm MPS2-AN385 (as QEMU's -M mps2-an385 models it).
 * Link: CMSDK APB UART1 (0x40005000), polled. Timeouts: CMSDK timer 1 (0x40001000), saved and
 * restored with the other IO-control registers. Facts: Arm CMSDK TRM (UART, timer registers). */
#include "dsmc.h"
#include "dsmc_mps2.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define UART_BASE(n)   (0x40004000u + 0x1000u * (n))
#define UART_DATA      0x00u
#define UART_STATE     0x04u   /* bit0 TX full, bit1 RX full */
#define UART_CTRL      0x08u   /* bit0 TX enable, bit1 RX enable, bits 2-5 interrupt enables */
#define UART_INTSTATUS 0x0Cu
#define UART_BAUDDIV   0x10u

#define TIMER_BASE(n)  (0x40000000u + 0x1000u * (n))
#define TIMER_CTRL     0x00u   /* bit0 enable, bit3 interrupt enable */
#define TIMER_VALUE    0x04u
#define TIMER_RELOAD   0x08u
#define TIMER_INTSTATUS 0x0Cu

#define LINK_UART      UART_BASE(1)
#define TIMEOUT_TIMER  TIMER_BASE(1)
#define CORE_CLOCK_HZ  25000000u

/* Save layout in the port words: 5 UARTs x (ctrl, bauddiv), 2 timers x (ctrl, value, reload). */
enum { SAVE_UART = 0, SAVE_TIMER = 10, SAVE_WORDS = 16 };

static void link_put(void *ctx, uint8_t byte)
{
    (void)ctx;
    while (REG(LINK_UART + UART_STATE) & 1u) {
    }
    REG(LINK_UART + UART_DATA) = byte;
}

static int link_get(void *ctx, uint32_t timeout_ms)
{
    (void)ctx;
    /* Timer 1 counts down at the core clock from 0xFFFFFFFF; one millisecond is CORE_CLOCK_HZ/1000 counts. */
    uint32_t start = REG(TIMEOUT_TIMER + TIMER_VALUE);
    uint32_t limit = timeout_ms * (CORE_CLOCK_HZ / 1000u);
    for (;;) {
        if (REG(LINK_UART + UART_STATE) & 2u) {
            return (int)(REG(LINK_UART + UART_DATA) & 0xFFu);
        }
        if (start - REG(TIMEOUT_TIMER + TIMER_VALUE) >= limit) {
            return -1;
        }
    }
}

static const dsm_transport_t link = { 0, link_put, link_get };

static void acknowledge_trigger(void)
{
}

static const uint32_t uart_bases[5] = { 0x40004000u, 0x40005000u, 0x40006000u, 0x40007000u, 0x40009000u };

static void save_io(uint32_t *words)
{
    for (uint32_t i = 0; i < 5u; i++) {
        words[SAVE_UART + 2u * i] = REG(uart_bases[i] + UART_CTRL);
        words[SAVE_UART + 2u * i + 1u] = REG(uart_bases[i] + UART_BAUDDIV);
    }
    for (uint32_t t = 0; t < 2u; t++) {
        words[SAVE_TIMER + 3u * t] = REG(TIMER_BASE(t) + TIMER_CTRL);
        words[SAVE_TIMER + 3u * t + 1u] = REG(TIMER_BASE(t) + TIMER_VALUE);
        words[SAVE_TIMER + 3u * t + 2u] = REG(TIMER_BASE(t) + TIMER_RELOAD);
    }
}

static void pause_sources(void)
{
    /* Timer 0 would keep raising its interrupt; timer 1 becomes the DSMC's timeout clock. */
    REG(TIMER_BASE(0) + TIMER_CTRL) &= ~1u;
    REG(TIMEOUT_TIMER + TIMER_CTRL) = 0;
    REG(TIMEOUT_TIMER + TIMER_RELOAD) = 0xFFFFFFFFu;
    REG(TIMEOUT_TIMER + TIMER_VALUE) = 0xFFFFFFFFu;
    REG(TIMEOUT_TIMER + TIMER_CTRL) = 1u;
}

static void restore_io(const uint32_t *words)
{
    for (uint32_t t = 0; t < 2u; t++) {
        uint32_t base = TIMER_BASE(t);
        REG(base + TIMER_CTRL) = 0;
        REG(base + TIMER_RELOAD) = words[SAVE_TIMER + 3u * t + 2u];
        REG(base + TIMER_VALUE) = words[SAVE_TIMER + 3u * t + 1u];
        REG(base + TIMER_CTRL) = words[SAVE_TIMER + 3u * t];
    }
    for (uint32_t i = 0; i < 5u; i++) {
        REG(uart_bases[i] + UART_BAUDDIV) = words[SAVE_UART + 2u * i + 1u];
        REG(uart_bases[i] + UART_CTRL) = words[SAVE_UART + 2u * i];
    }
}

static void link_open(void)
{
    if (REG(LINK_UART + UART_BAUDDIV) < 16u) {
        REG(LINK_UART + UART_BAUDDIV) = CORE_CLOCK_HZ / 115200u;
    }
    REG(LINK_UART + UART_CTRL) = 3u;   /* TX and RX, no interrupts: the link is polled */
    while (REG(LINK_UART + UART_STATE) & 2u) {
        (void)REG(LINK_UART + UART_DATA);   /* drop stale input */
    }
}

static void link_close(void)
{
}

__attribute__((noreturn)) static void halt(void)
{
    __asm volatile("cpsid i" ::: "memory");
    for (;;) {
        __asm volatile("wfi");
    }
}

extern const uint8_t __dsmc_private_start[];

/* Flash (SSRAM1 in QEMU, holding the image) and SRAM up to the private region. */
static dsm_region_t regions[2];

const dsmc_port_t *dsmc_port_mps2(uint32_t flash_size, uint32_t sram_size)
{
    static dsmc_port_t port;
    regions[0].kind = DSM_REGION_FLASH;
    regions[0].base = 0x00000000u;
    regions[0].size = flash_size;
    regions[0].data = (const uint8_t *)0x00000000u;
    regions[1].kind = DSM_REGION_SRAM;
    regions[1].base = 0x20000000u;
    uint32_t private_offset = (uint32_t)(uintptr_t)__dsmc_private_start - 0x20000000u;
    regions[1].size = private_offset < sram_size ? private_offset : sram_size;
    regions[1].data = (const uint8_t *)0x20000000u;
    port.board_id = "mps2-an385";
    port.core_clock_hz = CORE_CLOCK_HZ;
    port.irq_count = 32;
    port.regions = regions;
    port.region_count = 2;
    port.transport = &link;
    port.acknowledge_trigger = acknowledge_trigger;
    port.save_io = save_io;
    port.pause_sources = pause_sources;
    port.restore_io = restore_io;
    port.link_open = link_open;
    port.link_close = link_close;
    port.halt = halt;
    return &port;
}
