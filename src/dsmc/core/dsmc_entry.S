/* DSMC entry, resume point and the common exception return (Thumb-2).
 * The hardware frame of the interrupted context (r0-r3, r12, lr, pc, xPSR) is already on MSP or
 * PSP and is never touched here; the DSMC adds r4-r11 and EXC_RETURN on MSP, records the masks and
 * stack pointers in the save area, then runs on its private stack, outside the transferred image. */
    .syntax unified
    .thumb
    .section .text.dsmc_entry, "ax", %progbits

    .global DSMC_Handler
    .type   DSMC_Handler, %function
    .thumb_func
DSMC_Handler:
    mrs     r0, primask             @ the interrupted context's PRIMASK, before masking
    cpsid   i                       @ from here only NMI and HardFault preempt
    mrs     r1, basepri
    mrs     r2, faultmask
    push    {r4-r11, lr}
    ldr     r3, =dsmc_save
    str     r0, [r3, #0]
    mrs     r0, msp
    str     r0, [r3, #4]
    mrs     r0, psp
    str     r0, [r3, #8]
    mrs     r0, control
    str     r0, [r3, #12]
    str     r1, [r3, #16]
    str     r2, [r3, #20]
    mrs     r0, ipsr
    str     r0, [r3, #24]
    ldr     r0, =__dsmc_stack_top
    msr     msp, r0
    bl      dsmc_first_half         @ returns only when the system goes on locally
    b       dsmc_return
    .size   DSMC_Handler, . - DSMC_Handler

    /* The resume address. The host's engine enters here in handler mode with the DSM exception
     * active, PRIMASK = 1 and MSP, PSP, CONTROL, BASEPRI, FAULTMASK as captured. */
    .global dsmc_resume
    .type   dsmc_resume, %function
    .thumb_func
dsmc_resume:
    ldr     r0, =__dsmc_stack_top
    msr     msp, r0
    bl      dsmc_second_half
    .size   dsmc_resume, . - dsmc_resume

    .type   dsmc_return, %function
    .thumb_func
dsmc_return:
    ldr     r3, =dsmc_save
    ldr     r0, [r3, #4]
    msr     msp, r0                 @ back on the captured handler stack
    ldr     r0, [r3, #0]
    pop     {r4-r11, lr}
    msr     primask, r0             @ the interrupted context's PRIMASK
    bx      lr                      @ exception return with the captured EXC_RETURN
    .size   dsmc_return, . - dsmc_return

    .ltorg
