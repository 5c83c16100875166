/* DSMC entry, resume point and the common exception return (Thumb-2).
 * The hardware frame of the interrupted context (r0-r3, r12, lr, pc, xPSR) is already on MSP or
 * PSP and is left exactly as it is: the DSMC pushes nothing on the captured stacks. r4-r11,
 * EXC_RETURN, the stack pointers and the masks go straight into the save area's CPU state (offsets
 * from dsmc_save.h), then the DSMC runs on its private stack, outside the transferred image. */
    .syntax unified
    .thumb
    .section .text.dsmc_entry, "ax", %progbits

    .equ SAVE_PRIMASK, 0
    .equ SAVE_R4, 24
    .equ SAVE_MSP, 60
    .equ SAVE_EXC_RETURN, 80
    .equ SAVE_MASKS, 84

    .global DSMC_Handler
    .type   DSMC_Handler, %function
    .thumb_func
DSMC_Handler:
    mrs     r0, primask             @ the interrupted context's PRIMASK, before masking
    cpsid   i                       @ from here only NMI and HardFault preempt
    ldr     r3, =dsmc_save
    str     r0, [r3, #SAVE_PRIMASK]
    add     r1, r3, #SAVE_R4
    stmia   r1, {r4-r11}            @ cpu.r[4..11]
    mrs     r0, msp
    mrs     r1, psp
    strd    r0, r1, [r3, #SAVE_MSP] @ cpu.msp, cpu.psp
    str     lr, [r3, #SAVE_MSP + 8] @ cpu.lr
    str     lr, [r3, #SAVE_EXC_RETURN]
    mrs     r0, faultmask           @ cpu.primask, faultmask, basepri, control: one word
    mrs     r1, basepri
    mrs     r2, control
    lsls    r0, r0, #8
    orr     r0, r0, r1, lsl #16
    orr     r0, r0, r2, lsl #24
    adds    r0, #1                  @ cpu.primask = 1: the second half runs masked
    str     r0, [r3, #SAVE_MASKS]
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
    add     r1, r3, #SAVE_R4
    ldmia   r1, {r4-r11}
    ldr     r0, [r3, #SAVE_MSP]
    msr     msp, r0                 @ back on the captured handler stack
    ldr     lr, [r3, #SAVE_EXC_RETURN]
    ldr     r0, [r3, #SAVE_PRIMASK]
    msr     primask, r0             @ the interrupted context's PRIMASK
    bx      lr                      @ exception return with the captured EXC_RETURN
    .size   dsmc_return, . - dsmc_return

    .ltorg
