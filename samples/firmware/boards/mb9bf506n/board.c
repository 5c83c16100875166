/* MB9BF506N board: MFS0 UART console on P21/P22 (polled) and the dual timer's timer 1 as the
   application timer. Clocks: see clock.c. */
#include "board.h"
#include "fm3_registers.h"
#include "os_board.h"
#include "os_port.h"

const char board_name[] = "mb9bf506n";
const uint32_t board_core_clock_hz = OS_CORE_CLOCK_HZ;

#define PCLK0_HZ 40000000u     /* dual timer count clock (APB0) */
#define PCLK2_HZ 40000000u     /* MFS clock (APB2) */
#define CONSOLE_BAUD 115200u

void board_init(void)
{
    /* SIN0_0 = P21, SOT0_0 = P22: peripheral function on, and route MFS0 to the "_0" pins. */
    GPIO_PFR2 |= (1u << 1) | (1u << 2);
    GPIO_EPFR07 = (GPIO_EPFR07 & ~(0xFu << 4)) | (1u << 4) | (1u << 6);   /* SIN0S = 01, SOT0B = 01 */

    MFS0_SCR = MFS_SCR_UPCL;                 /* reset the channel */
    MFS0_SMR = MFS_SMR_UART_SOE;
    MFS0_SSR = MFS_SSR_REC;
    MFS0_ESCR = 0x00;                        /* 8 data bits, no parity, no flow control */
    MFS0_BGR = (uint16_t)((PCLK2_HZ + CONSOLE_BAUD / 2u) / CONSOLE_BAUD - 1u);   /* 346 */
    MFS0_SCR = MFS_SCR_TXE | MFS_SCR_RXE;
}

void board_console_write_byte(uint8_t byte)
{
    while ((MFS0_SSR & MFS_SSR_TDRE) == 0) {
    }
    MFS0_TDR = byte;
}

void board_periodic_timer_start(uint32_t hertz)
{
    DTIM1_CONTROL = 0;
    DTIM1_LOAD = PCLK0_HZ / hertz - 1u;    /* a period is LOAD + 1 counts */
    DTIM1_INTCLR = 1u;
    NVIC_IPR_BYTE(BOARD_TIMER_IRQ) = (uint8_t)OS_HW_PRIORITY(BOARD_TIMER_IRQ_PRIORITY);
    NVIC_ISER(BOARD_TIMER_IRQ / 32u) = 1u << (BOARD_TIMER_IRQ % 32u);
    DTIM1_CONTROL = DTIM_CONTROL_ENABLE | DTIM_CONTROL_PERIODIC | DTIM_CONTROL_INT_ENABLE |
                    DTIM_CONTROL_32BIT;    /* prescaler /1 */
}

void DualTimer_QPRC_IRQHandler(void)
{
    /* IRQ 6 is shared with the quadrature counters, which stay off here. */
    if (DTIM1_MIS & 1u) {
        DTIM1_INTCLR = 1u;
        app_timer_interrupt();
    }
}
