/* Cortex-M3 port: initial task frames, SysTick, exception priorities, halting. */
#include "os_internal.h"

#define SCB_SHP_SVCALL (*(volatile uint8_t *)0xE000ED1Fu)
#define SCB_SHP_PENDSV (*(volatile uint8_t *)0xE000ED22u)
#define SCB_SHP_SYSTICK (*(volatile uint8_t *)0xE000ED23u)
#define SYSTICK_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYSTICK_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYSTICK_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYSTICK_CSR_ENABLE_TICKINT_CORECLOCK 7u

#define XPSR_THUMB (1u << 24)

uint32_t *os_port_build_frame(uint32_t *stack_top, os_task_entry_t entry, void *argument,
                              void (*return_to)(void))
{
    uint32_t *sp = stack_top;
    /* The frame PendSV and exception return expect: hardware part, then r4-r11 below it. */
    *--sp = XPSR_THUMB;
    *--sp = (uint32_t)(uintptr_t)entry & ~1u;   /* a stacked pc never carries the Thumb bit */
    *--sp = (uint32_t)(uintptr_t)return_to;     /* lr: where the entry function returns */
    *--sp = 0;                                  /* r12 */
    *--sp = 0;                                  /* r3 */
    *--sp = 0;                                  /* r2 */
    *--sp = 0;                                  /* r1 */
    *--sp = (uint32_t)(uintptr_t)argument;      /* r0 */
    for (int i = 0; i < 8; i++)
        *--sp = 0;                              /* r11..r4 */
    return sp;
}

void SysTick_Handler(void)
{
    os_kernel_tick();
}

void os_port_start_first_task(void)
{
    /* PendSV and SVC least urgent: a switch never interrupts an ISR. SysTick too: the tick only
       makes tasks ready, and the application's timer may well be more urgent. */
    SCB_SHP_SVCALL = (uint8_t)OS_HW_PRIORITY(OS_IRQ_PRIORITY_LEAST);
    SCB_SHP_PENDSV = (uint8_t)OS_HW_PRIORITY(OS_IRQ_PRIORITY_LEAST);
    SCB_SHP_SYSTICK = (uint8_t)OS_HW_PRIORITY(OS_IRQ_PRIORITY_LEAST);

    SYSTICK_RVR = OS_CORE_CLOCK_HZ / OS_TICK_HZ - 1u;
    SYSTICK_CVR = 0;
    SYSTICK_CSR = SYSTICK_CSR_ENABLE_TICKINT_CORECLOCK;

    /* Boot ran with PRIMASK set (see the start-up code); SVC needs it clear or it escalates to
       HardFault. Interrupts taken before the SVC find the kernel not running and only queue work. */
    __asm volatile("cpsie i\n\t"
                   "svc 0" : : : "memory");
    for (;;) {
    }
}

void os_port_halt(void)
{
    /* PRIMASK: nothing but NMI and faults runs any more, not even the migration interrupt. */
    __asm volatile("cpsid i" : : : "memory");
    for (;;)
        __asm volatile("wfi");
}
