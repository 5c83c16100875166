/* FM3 peripheral test program. Prints over MFS0 at 115200 Bd, counts base-timer and dual-timer
 * interrupts (1 ms each), toggles P30 on every base-timer tick, waits for a falling edge on external
 * interrupt ch0 (raised by the test harness after "ready"), toggles P31 in that handler, then reports
 * and exits through semihosting (0 = pass, 1 = no external interrupt within a second). */
#include "fm3.h"

static volatile uint32_t bt_ticks;
static volatile uint32_t dt_ticks;
static volatile uint32_t exti_count;

void semihost_exit(uint32_t code)
{
    /* SYS_EXIT_EXTENDED with ADP_Stopped_ApplicationExit and the exit code. */
    uint32_t block[2] = {0x20026u, code};
    register uint32_t r0 __asm__("r0") = 0x20;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;)
    {
    }
}

static void uart_putc(char c)
{
    while ((MFS0_SSR & 0x02) == 0) /* TDRE */
    {
    }
    MFS0_TDR = (uint8_t)c;
}

static void uart_puts(const char *s)
{
    while (*s != '\0')
    {
        uart_putc(*s++);
    }
}

static void uart_putu(uint32_t value)
{
    char digits[10];
    int n = 0;
    do
    {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0)
    {
        uart_putc(digits[--n]);
    }
}

static void uart_flush(void)
{
    while ((MFS0_SSR & 0x01) == 0) /* TBI */
    {
    }
}

void btim_handler(void)
{
    BT0_STC = 0x10; /* clear UDIR (write 0), keep UDIE */
    bt_ticks++;
    GPIO_PDOR(3) ^= 0x1u;
}

void dtim_handler(void)
{
    DT1_INTCLR = 1;
    dt_ticks++;
}

void exint0_7_handler(void)
{
    EXTI_EICL = (uint16_t)~0x1u;
    exti_count++;
    GPIO_PDOR(3) ^= 0x2u;
}

int main(void)
{
    /* MFS0 on P21 (SIN0_0) / P22 (SOT0_0). */
    GPIO_PFR(2) |= 0x6u;
    GPIO_EPFR07 |= 1u << 6; /* SOT0B = 01 */
    MFS0_SCR = 0x80;
    MFS0_SMR = 0x01;
    MFS0_SSR = 0x00;
    MFS0_ESCR = 0x00;
    MFS0_BGR = 346; /* PCLK2 40 MHz / 347 = 115274 Bd */
    MFS0_SCR = 0x03;
    uart_puts("FM3 start\r\n");

    GPIO_PDOR(3) = 0;
    GPIO_DDR(3) |= 0x3u;

    BT0_TMCR = 0x0030;  /* reload timer, PCLK1 / 1 */
    BT0_PCSR = 19999;   /* 20000 ticks of 20 MHz = 1 ms */
    BT0_STC = 0x10;     /* UDIE */
    BT0_TMCR = 0x0033;  /* CTEN + STRG */

    DT1_LOAD = 39999;   /* 40000 ticks of 40 MHz = 1 ms */
    DT1_CONTROL = 0xE2; /* enable, periodic, interrupt, 32-bit, /1 */

    EXTI_ENIR = 0;
    EXTI_ELVR = 0x3;    /* ch0 falling edge */
    EXTI_EICL = 0;
    EXTI_ENIR = 0x1;

    NVIC_ISER(0) = (1u << 4) | (1u << 6) | (1u << 31);
    uart_puts("ready\r\n");

    while (exti_count == 0 || bt_ticks < 10 || dt_ticks < 10)
    {
        if (bt_ticks > 1000)
        {
            uart_puts("timeout\r\n");
            uart_flush();
            semihost_exit(1);
        }
        /* Busy-wait rather than WFI, so the run needs no sleep handling from the machine. */
    }

    uart_puts("bt>=10 dt>=10 exti=");
    uart_putu(exti_count);
    uart_puts("\r\ndone\r\n");
    uart_flush();
    semihost_exit(0);
    return 0;
}
