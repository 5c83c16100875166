/* Vector table of the MPS2 AN385 (16 system exceptions + 32 interrupts). */
#include <stdint.h>
#include "os_board.h"

typedef void (*vector_t)(void);

extern uint32_t __main_stack_top[];
void Reset_Handler(void);
void Default_Handler(void);
void SVC_Handler(void);
void PendSV_Handler(void);
void SysTick_Handler(void);
void Timer0_IRQHandler(void);
#if DSMC
void DSMC_Handler(void);
void Uart0Rx_IRQHandler(void);
/* The DSMC must not take a slot the application or the console trigger uses. */
typedef char dsmc_vector_is_free[(DSMC_VECTOR != 16 + BOARD_TIMER_IRQ && DSMC_VECTOR != 11 &&
                                  DSMC_VECTOR != 16 + BOARD_CONSOLE_RX_IRQ &&
                                  DSMC_VECTOR != 14 && DSMC_VECTOR != 15 && DSMC_VECTOR >= 2 &&
                                  DSMC_VECTOR < 16 + BOARD_IRQ_COUNT) ? 1 : -1];
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"   /* specific slots override the default range */
__attribute__((section(".vectors"), used))
const vector_t vector_table[16 + BOARD_IRQ_COUNT] = {
    [0] = (vector_t)(uintptr_t)__main_stack_top,
    [1] = Reset_Handler,
    [2 ... 16 + BOARD_IRQ_COUNT - 1] = Default_Handler,
    [11] = SVC_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [16 + BOARD_TIMER_IRQ] = Timer0_IRQHandler,
#if DSMC
    [16 + BOARD_CONSOLE_RX_IRQ] = Uart0Rx_IRQHandler,
    [DSMC_VECTOR] = DSMC_Handler,   /* DSMC hook 1 of 3 */
#endif
};
#pragma GCC diagnostic pop
