/* MPS2 AN385 board: CMSDK UART0 console (polled) and CMSDK Timer0 as the application timer.
   With the DSMC, the console also receives: the command byte DSMC_CONSOLE_COMMAND starts a migration
   (an outside trigger, e.g. a test writing to QEMU's serial socket). */
#include "board.h"
#include "os_board.h"
#include "os_port.h"
#if DSMC
#include "dsmc.h"
#endif

const char board_name[] = "mps2-an385";
const uint32_t board_core_clock_hz = OS_CORE_CLOCK_HZ;

#define REG32(address) (*(volatile uint32_t *)(address))

#define UART0_BASE 0x40004000u
#define UART_DATA REG32(UART0_BASE + 0x00u)
#define UART_STATE REG32(UART0_BASE + 0x04u)
#define UART_CTRL REG32(UART0_BASE + 0x08u)
#define UART_INTCLEAR REG32(UART0_BASE + 0x0Cu)
#define UART_BAUDDIV REG32(UART0_BASE + 0x10u)
#define UART_STATE_TX_FULL 1u
#define UART_CTRL_TX_ENABLE 1u
#define UART_CTRL_RX_ENABLE 2u
#define UART_CTRL_RX_IRQ_ENABLE 8u
#define UART_INT_RX 2u
#define CONSOLE_BAUD 115200u

#define TIMER0_BASE 0x40000000u
#define TIMER_CTRL REG32(TIMER0_BASE + 0x00u)
#define TIMER_VALUE REG32(TIMER0_BASE + 0x04u)
#define TIMER_RELOAD REG32(TIMER0_BASE + 0x08u)
#define TIMER_INTCLEAR REG32(TIMER0_BASE + 0x0Cu)
#define TIMER_CTRL_ENABLE 1u
#define TIMER_CTRL_IRQ_ENABLE 8u

#define NVIC_ISER0 REG32(0xE000E100u)
#define NVIC_IPR_BYTE(irq) (*(volatile uint8_t *)(0xE000E400u + (irq)))

void board_clock_init(void)
{
    /* Fixed 25 MHz: nothing to set up. */
}

void board_init(void)
{
    UART_BAUDDIV = OS_CORE_CLOCK_HZ / CONSOLE_BAUD;   /* 217: 115207 Bd */
#if DSMC
    UART_CTRL = UART_CTRL_TX_ENABLE | UART_CTRL_RX_ENABLE | UART_CTRL_RX_IRQ_ENABLE;
    NVIC_IPR_BYTE(BOARD_CONSOLE_RX_IRQ) = (uint8_t)OS_HW_PRIORITY(BOARD_TIMER_IRQ_PRIORITY);
    NVIC_ISER0 = 1u << BOARD_CONSOLE_RX_IRQ;
#else
    UART_CTRL = UART_CTRL_TX_ENABLE;
#endif
}

#if DSMC
/* Console input: the command byte asks the DSMC to migrate; other bytes are ignored. */
void Uart0Rx_IRQHandler(void)
{
    UART_INTCLEAR = UART_INT_RX;
    if ((UART_DATA & 0xFFu) == DSMC_CONSOLE_COMMAND)
        dsmc_request();
}
#endif

void board_console_write_byte(uint8_t byte)
{
    while (UART_STATE & UART_STATE_TX_FULL) {
    }
    UART_DATA = byte;
}

void board_periodic_timer_start(uint32_t hertz)
{
    /* The timer counts down at the peripheral clock (= core clock) and interrupts on reaching
       zero, so one period is RELOAD + 1 counts. */
    TIMER_CTRL = 0;
    TIMER_RELOAD = OS_CORE_CLOCK_HZ / hertz - 1u;
    TIMER_VALUE = OS_CORE_CLOCK_HZ / hertz - 1u;
    TIMER_INTCLEAR = 1u;
    NVIC_IPR_BYTE(BOARD_TIMER_IRQ) = (uint8_t)OS_HW_PRIORITY(BOARD_TIMER_IRQ_PRIORITY);
    NVIC_ISER0 = 1u << BOARD_TIMER_IRQ;
    TIMER_CTRL = TIMER_CTRL_ENABLE | TIMER_CTRL_IRQ_ENABLE;
}

void Timer0_IRQHandler(void)
{
    TIMER_INTCLEAR = 1u;
    app_timer_interrupt();
}
