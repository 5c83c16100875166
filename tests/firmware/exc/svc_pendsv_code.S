/*
 * SVC entry and a PendSV context switch for exc/svc_pendsv.c.
 *
 * SVC_Handler finds the frame (MSP or PSP, from EXC_RETURN bit 2) and the SVC number (low byte
 * of the instruction before the stacked PC). Numbers 0 (start threads) and 0x10 (back to main)
 * are handled here; anything else goes to svc_dispatch(frame, number, exc_return) in C.
 * When svc_pended_expected is non-zero the SVCall exception was pended through SHCSR, not by an
 * SVC instruction, and the number is reported as 0xFFFF.
 *
 * Each thread's saved context is its PSP with r4-r11 stored just below the hardware frame, as
 * an RTOS keeps it; thread_sp[i] holds that address. PendSV saves the running thread, switches
 * to thread next_thread and returns with EXC_RETURN 0xFFFFFFFD.
 */
    .syntax unified
    .file "svc_pendsv_code.S"
    .cpu cortex-m3
    .thumb

    .text
    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    tst     lr, #4
    ite     eq
    mrseq   r0, msp
    mrsne   r0, psp
    mov     r2, lr
    ldr     r3, =svc_pended_expected
    ldr     r3, [r3]
    cbnz    r3, 2f
    ldr     r1, [r0, #24]           /* stacked PC: the instruction after the SVC */
    ldrb    r1, [r1, #-2]           /* SVC #imm8 is 0xDFnn: the low byte */
    cmp     r1, #0
    beq     svc_start
    cmp     r1, #0x10
    beq     svc_finish
    b       svc_dispatch
2:  movw    r1, #0xFFFF
    b       svc_dispatch
    .size SVC_Handler, . - SVC_Handler

/* svc #0 from main (MSP): keep main's r4-r11 on MSP above the handler's stack, enter thread 0. */
    .type svc_start, %function
    .thumb_func
svc_start:
    push    {r4-r11}
    ldr     r0, =main_saved_sp
    str     sp, [r0]
    ldr     r0, =current_thread
    movs    r1, #0
    str     r1, [r0]
    ldr     r0, =thread_sp
    ldr     r0, [r0]
    ldmia   r0!, {r4-r11}
    msr     psp, r0
    ldr     lr, =0xFFFFFFFD
    bx      lr
    .size svc_start, . - svc_start

/* svc #0x10 from a thread: drop the thread, return to main after its svc #0 on MSP. */
    .type svc_finish, %function
    .thumb_func
svc_finish:
    ldr     r0, =main_saved_sp
    ldr     r0, [r0]
    mov     sp, r0
    pop     {r4-r11}
    ldr     lr, =0xFFFFFFF9
    bx      lr
    .size svc_finish, . - svc_finish

    .global PendSV_Handler
    .type PendSV_Handler, %function
    .thumb_func
PendSV_Handler:
    ldr     r3, =pendsv_exc_return
    str     lr, [r3]
    ldr     r3, =pendsv_count
    ldr     r2, [r3]
    adds    r2, r2, #1
    str     r2, [r3]
    mrs     r0, psp
    stmdb   r0!, {r4-r11}
    ldr     r2, =current_thread
    ldr     r1, [r2]
    ldr     r3, =thread_sp
    str     r0, [r3, r1, lsl #2]
    ldr     r1, =next_thread
    ldr     r1, [r1]
    str     r1, [r2]
    ldr     r0, [r3, r1, lsl #2]
    ldmia   r0!, {r4-r11}
    msr     psp, r0
    bx      lr
    .size PendSV_Handler, . - PendSV_Handler

/* First instruction of every thread: r0 = thread id (from its initial frame). Records the
 * r4-r11 it was entered with, then runs thread_main(id). */
    .global thread_entry
    .type thread_entry, %function
    .thumb_func
thread_entry:
    ldr     r1, =entry_registers
    add     r1, r1, r0, lsl #5
    stmia   r1, {r4-r11}
    b       thread_main
    .size thread_entry, . - thread_entry

/* uint32_t hold_registers_across_yield(uint32_t seed, uint32_t how): loads seed + k into r4-r11,
 * yields (how = 0: svc #1; how = 1: spins until turn == seed >> 28, meanwhile SysTick may switch
 * threads any number of times), then returns the number of r4-r11 that still hold their values. */
    .global hold_registers
    .type hold_registers, %function
    .thumb_func
hold_registers:
    push    {r4-r11, lr}
    add     r4, r0, #4
    add     r5, r0, #5
    add     r6, r0, #6
    add     r7, r0, #7
    add     r8, r0, #8
    add     r9, r0, #9
    add     r10, r0, #10
    add     r11, r0, #11
    cbnz    r1, 1f
    svc     #1
    b       3f
1:  lsrs    r2, r0, #28
    ldr     r3, =turn
2:  ldr     r1, [r3]
    cmp     r1, r2
    bne     2b
3:  movs    r1, #0
    .irp reg, 4, 5, 6, 7, 8, 9, 10, 11
    add     r2, r0, #\reg
    cmp     r\reg, r2
    it      eq
    addeq   r1, r1, #1
    .endr
    mov     r0, r1
    pop     {r4-r11, pc}
    .size hold_registers, . - hold_registers

    .ltorg
