/* RTOS port values for the Fujitsu FM3 MB9BF506N at 80 MHz (see clock.c). No C-only syntax: the
   context-switch assembly includes this file too. */
#ifndef OS_BOARD_H
#define OS_BOARD_H

#define OS_CORE_CLOCK_HZ 80000000      /* HCLK after board_clock_init */
#define OS_NVIC_PRIO_BITS 4

/* Logical priorities, 0 = most urgent .. 15 = least. 0 is left to the migration interrupt (DSMC),
   which the kernel never masks. */
#define OS_IRQ_PRIORITY_KERNEL 1       /* BASEPRI level of kernel critical sections */
#define BOARD_TIMER_IRQ_PRIORITY 2     /* application timer: kernel-aware */

#define BOARD_TIMER_IRQ 6              /* dual timer (shared with QPRC) */
#define BOARD_IRQ_COUNT 48

/* DSMC hook 1: the exception number whose vector gets DSMC_Handler (16 + IRQ, or 2 for NMI).
   Default: the base timers (IRQ 31), all free in this application: a timer trigger as in the
   original prototype, and pendable from software. Override with make DSMC_VECTOR=n. */
#ifndef DSMC_VECTOR
#define DSMC_VECTOR (16 + 4)
#endif

#endif
