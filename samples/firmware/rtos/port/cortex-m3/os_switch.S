/*
 * Cortex-M3 context switch (PendSV) and first-task start (SVC).
 *
 * A suspended task's stack holds, from its saved sp upwards: r4-r11 (saved here), then the frame the
 * hardware stacked on exception entry (r0-r3, r12, lr, pc, xPSR). os_task_t.saved_sp is at offset 0.
 */
#include "os_board.h"

    .file "os_switch.S"             /* else the symbol table names gcc's temporary file */
    .syntax unified
    .cpu cortex-m3
    .thumb

#define KERNEL_BASEPRI (OS_IRQ_PRIORITY_KERNEL << (8 - OS_NVIC_PRIO_BITS))
#define EXC_RETURN_THREAD_PSP 0xFFFFFFFD

    .section .text.PendSV_Handler, "ax", %progbits
    .global PendSV_Handler
    .type PendSV_Handler, %function
    .thumb_func
PendSV_Handler:
    mrs r0, psp
    stmdb r0!, {r4-r11}             /* finish saving the outgoing task */
    mov r1, #KERNEL_BASEPRI
    msr basepri, r1                 /* the ready lists are shared with kernel-aware ISRs */
    push {r3, lr}                   /* r3 only keeps MSP 8-byte aligned for the C call */
    bl os_kernel_switch             /* r0 = saved sp in, next task's sp out */
    pop {r3, lr}
    mov r1, #0
    msr basepri, r1
    ldmia r0!, {r4-r11}
    msr psp, r0
    bx lr                           /* EXC_RETURN 0xFFFFFFFD: thread mode, PSP */
    .size PendSV_Handler, . - PendSV_Handler

    .section .text.SVC_Handler, "ax", %progbits
    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    /* Only os_start uses SVC: enter the first task. */
    bl os_kernel_first_task_sp
    ldmia r0!, {r4-r11}
    msr psp, r0
    /* The boot code's stack is no longer needed: give MSP its full size back for the ISRs. */
    ldr r0, =0xE000ED08             /* VTOR */
    ldr r0, [r0]
    ldr r0, [r0]                    /* vector 0: the initial MSP */
    msr msp, r0
    ldr lr, =EXC_RETURN_THREAD_PSP
    bx lr
    .size SVC_Handler, . - SVC_Handler
