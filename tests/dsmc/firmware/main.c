/*
 * DSMC test firmware for QEMU's mps2-an385: an application loop printing numbered lines on UART0,
 * SysTick counting milliseconds for its delays, and one software-started migration after line
 * TRIGGER_LINE. The link (UART1) decides the rest:
 *   - nobody listens: the DSMC times out, restores everything and returns; the loop goes on and
 *     prints the DSMC's status line, every line exactly once, then exits through semihosting;
 *   - a host completes the session: the device stops for good after line TRIGGER_LINE.
 */
#include <stdint.h>
#include "dsmc.h"
#include "dsmc_mps2.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define UART0_DATA 0x40004000u
#define UART0_STATE 0x40004004u
#define UART0_CTRL 0x40004008u
#define UART0_BAUDDIV 0x40004010u
#define SYST_CSR 0xE000E010u
#define SYST_RVR 0xE000E014u
#define SYST_CVR 0xE000E018u

#define LINES 12u
#define TRIGGER_LINE 4u
#define DSM_IRQ 31

static volatile uint32_t milliseconds;
uint32_t line_counter;   /* in .bss: part of the migrated SRAM */

void SysTick_Handler(void) { milliseconds++; }

static const uint8_t link_key[] = "dsmc-test-key";

static const dsmc_config_t dsmc_test_config = {
    .port = &dsmc_port_mps2_an385,
    .trigger = DSMC_TRIGGER_IRQ,
    .trigger_irq = DSM_IRQ,
    .device_id = { 'd', 's', 'm', 'c', '-', 'q', 'e', 'm', 'u', '-', 't', 'e', 's', 't' },
    .key = link_key,
    .key_len = sizeof link_key - 1u,
    .reply_timeout_ms = 500,
    .max_retries = 2,
    .push_only = 0,
};

static void put_char(char c)
{
    while (REG(UART0_STATE) & 1u) {
    }
    REG(UART0_DATA) = (uint8_t)c;
}

static void put_text(const char *s)
{
    while (*s) put_char(*s++);
}

static void put_number(uint32_t v)
{
    char digits[10];
    int n = 0;
    do digits[n++] = (char)('0' + v % 10u);
    while ((v /= 10u) != 0);
    while (n) put_char(digits[--n]);
}

static void sleep_ms(uint32_t ms)
{
    uint32_t start = milliseconds;
    while (milliseconds - start < ms) __asm volatile("wfi");
}

static void semihosting_exit(uint32_t code)
{
    /* SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit and the exit code. */
    uint32_t block[2] = { 0x20026u, code };
    register uint32_t r0 __asm("r0") = 0x20u;
    register uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt #0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
    }
}

int main(void)
{
    REG(UART0_BAUDDIV) = 25000000u / 115200u;
    REG(UART0_CTRL) = 1u;                 /* TX */
    REG(SYST_RVR) = 25000000u / 1000u - 1u;
    REG(SYST_CVR) = 0;
    REG(SYST_CSR) = 7u;                   /* core clock, interrupt, enable */
    dsmc_init(&dsmc_test_config);
    put_text("dsmc test firmware\n");
    for (line_counter = 1; line_counter <= LINES; line_counter++) {
        put_text("line ");
        put_number(line_counter);
        put_char('\n');
        if (line_counter == TRIGGER_LINE) {
            dsmc_request();
            put_text("dsmc status ");
            put_number(dsmc_last_status());
            put_text(" outcome ");
            put_number(dsmc_last_outcome());
            put_char('\n');
        }
        sleep_ms(20);
    }
    put_text("done\n");
    semihosting_exit(0);
}
