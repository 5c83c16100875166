/*
 * Cortex-M3 port of the RTOS: what the portable kernel needs from the CPU.
 *
 * Execution model: tasks run in thread mode on PSP; the kernel's exception handlers and every ISR
 * run on MSP. PendSV (least urgent) switches tasks, saving r4-r11 on the outgoing task's stack
 * below the frame the hardware stacked. The kernel masks with BASEPRI at OS_IRQ_PRIORITY_KERNEL,
 * so interrupts more urgent than that (the migration interrupt) always get through.
 *
 * Board values come from os_board.h (one per board):
 *   OS_CORE_CLOCK_HZ        SysTick input clock (the core clock)
 *   OS_NVIC_PRIO_BITS       priority bits the NVIC implements
 *   OS_IRQ_PRIORITY_KERNEL  logical priority (0 = most urgent) of the kernel mask
 */
#ifndef OS_PORT_H
#define OS_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include "os.h"
#include "os_board.h"

/* Logical priority (0 = most urgent, 2^bits - 1 = least) to the value of an 8-bit priority field. */
#define OS_HW_PRIORITY(logical) ((uint32_t)(logical) << (8 - OS_NVIC_PRIO_BITS))
#define OS_IRQ_PRIORITY_LEAST ((1 << OS_NVIC_PRIO_BITS) - 1)

#if OS_IRQ_PRIORITY_KERNEL < 1
#error "logical priority 0 is reserved for interrupts the kernel never masks (the migration one)"
#endif

/* Raises BASEPRI to the kernel level (never lowers it) and returns the previous value. */
static inline uint32_t os_port_mask(void)
{
    uint32_t previous;
    __asm volatile("mrs %0, basepri\n\t"
                   "msr basepri_max, %1"
                   : "=&r"(previous)
                   : "r"(OS_HW_PRIORITY(OS_IRQ_PRIORITY_KERNEL))
                   : "memory");
    return previous;
}

static inline void os_port_unmask(uint32_t previous)
{
    __asm volatile("msr basepri, %0" : : "r"(previous) : "memory");
}

static inline void os_port_request_switch(void)
{
    *(volatile uint32_t *)0xE000ED04u = 1u << 28;   /* ICSR.PENDSVSET */
}

static inline bool os_port_in_isr(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    return ipsr != 0;
}

static inline void os_port_wait_for_interrupt(void)
{
    __asm volatile("dsb\n\twfi" : : : "memory");
}

uint32_t *os_port_build_frame(uint32_t *stack_top, os_task_entry_t entry, void *argument,
                              void (*return_to)(void));
void os_port_start_first_task(void) __attribute__((noreturn));
void os_port_halt(void) __attribute__((noreturn));

#endif
