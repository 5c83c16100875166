/*
 * Fault sites for exc/faults.c: each function's first instruction is the one that faults,
 * so the handler can report the stacked PC relative to the function. After the handler has
 * skipped the instruction (or fixed the state) the function returns r0, which the caller
 * always sets (a skipped load leaves it unchanged).
 * Also the SVC and UsageFault entries for the INVPC cases.
 */
    .syntax unified
    .file "faults_code.S"
    .cpu cortex-m3
    .thumb

    .macro SITE name
    .global \name
    .type \name, %function
    .thumb_func
\name:
    .endm

    .text
    .balign 4
SITE site_udf16
    udf     #0x42
    bx      lr

SITE site_udf32
    udf.w   #0x1234
    bx      lr

/* r0 = an even address: BX clears EPSR.T, so the next instruction raises INVSTATE. */
SITE site_invstate
    bx      r0

    .global invstate_target
    .type invstate_target, %function
    .balign 4
invstate_target:
    movs    r0, #0x5A
    bx      lr

SITE site_sdiv
    sdiv    r0, r0, r1
    bx      lr

SITE site_udiv
    udiv    r0, r0, r1
    bx      lr

SITE site_ldr
    ldr     r0, [r0]
    bx      lr

SITE site_ldrh
    ldrh    r0, [r0]
    bx      lr

SITE site_ldrsh
    ldrsh   r0, [r0]
    bx      lr

SITE site_ldrb
    ldrb    r0, [r0]
    bx      lr

/* str r1 at [r0] */
SITE site_str
    str     r1, [r0]
    bx      lr

SITE site_strh
    strh    r1, [r0]
    bx      lr

/* r0 = address, r2 and r3 = what to return when the load is skipped: returns r2 ^ r3 */
SITE site_ldrd
    ldrd    r2, r3, [r0]
    eor     r0, r2, r3
    bx      lr

SITE site_ldm
    ldm     r0, {r2, r3}
    eor     r0, r2, r3
    bx      lr

SITE site_ldrex
    ldrex   r0, [r0]
    bx      lr

SITE site_mrc
    mrc     p15, 0, r0, c0, c0, 0
    bx      lr

SITE site_cdp
    cdp     p1, 0, c0, c0, c0, 0
    bx      lr

SITE site_mcr
    mcr     p0, 0, r0, c1, c2, 3
    bx      lr

/* r0 = address to branch to (with bit 0 set); the fault handler resumes at the stacked LR. */
SITE site_call
    push    {r4, lr}
    blx     r0
    pop     {r4, pc}

/*
 * INVPC. svc #1 returns with the illegal EXC_RETURN 0xFFFFFFF5; svc #2 returns to thread mode
 * (0xFFFFFFF9) although the code that called it is a handler. Either way the UsageFault handler
 * (fixup == FIX_INVPC) records what it sees through invpc_record(msp) and then puts MSP back to
 * the SVC's frame and does the return the SVC should have done. The UsageFault is taken without
 * stacking a new frame (MSP still points at the SVC's frame); the LR it gets is not relied on
 * (QEMU 7.2 leaves the failed EXC_RETURN itself, the ARMv7-M pseudocode says 0xF0000000 + it).
 */
    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    mov     r0, sp
    ldr     r1, =invpc_frame
    str     r0, [r1]
    ldr     r1, =invpc_return
    str     lr, [r1]
    ldr     r2, [r0, #24]
    ldrb    r2, [r2, #-2]
    cmp     r2, #1
    beq     1f
    ldr     lr, =0xFFFFFFF9
    bx      lr
1:  ldr     lr, =0xFFFFFFF5
    bx      lr
    .size SVC_Handler, . - SVC_Handler

    .global UsageFault_Handler
    .type UsageFault_Handler, %function
    .thumb_func
UsageFault_Handler:
    ldr     r0, =fixup
    ldr     r0, [r0]
    cmp     r0, #3                  /* FIX_INVPC */
    beq     1f
    tst     lr, #4
    ite     eq
    mrseq   r0, msp
    mrsne   r0, psp
    mov     r1, lr
    b       fault_common
1:  mrs     r0, msp
    bl      invpc_record
    ldr     r0, =invpc_frame
    ldr     r0, [r0]
    mov     sp, r0
    ldr     r0, =invpc_return
    ldr     lr, [r0]
    bx      lr
    .size UsageFault_Handler, . - UsageFault_Handler

    .ltorg
