/* RTOS port values for the MPS2 AN385 (Cortex-M3 at 25 MHz as QEMU models it). No C-only syntax:
   the context-switch assembly includes this file too. */
#ifndef OS_BOARD_H
#define OS_BOARD_H

#define OS_CORE_CLOCK_HZ 25000000
#define OS_NVIC_PRIO_BITS 3            /* the AN385's Cortex-M3 (QEMU implements all 8: harmless) */

/* Logical priorities, 0 = most urgent .. 7 = least. 0 is left to the migration interrupt (DSMC),
   which the kernel never masks. */
#define OS_IRQ_PRIORITY_KERNEL 1       /* BASEPRI level of kernel critical sections */
#define BOARD_TIMER_IRQ_PRIORITY 2     /* application timer: kernel-aware */

#define BOARD_TIMER_IRQ 8              /* CMSDK Timer0 */
#define BOARD_CONSOLE_RX_IRQ 0         /* CMSDK UART0 receive (used with the DSMC only) */
#define DSMC_CONSOLE_COMMAND 'M'       /* console byte that starts a migration (with the DSMC) */
#define BOARD_IRQ_COUNT 32

/* DSMC hook 1: the exception number whose vector gets DSMC_Handler (16 + IRQ, or 2 for NMI).
   Default: CMSDK Timer1 (IRQ 9), free in this application, usable as a timer trigger and
   pendable from software. Override with make DSMC_VECTOR=n. */
#ifndef DSMC_VECTOR
#define DSMC_VECTOR (16 + 9)
#endif

#endif
