/*
 * Helpers for exc/vtor_align.c.
 *
 * uint32_t svc_at(uint32_t misalign, uint32_t use_psp): moves SP down to an 8-byte boundary
 * minus misalign (0 or 4), on MSP or (use_psp = 1, privileged thread mode only) on PSP, which
 * then starts at process_stack_top (handlers keep using MSP, so the stacks must not overlap),
 * records that SP in sp_before, takes svc #0, records SP after the return in sp_after,
 * restores everything and returns. pend_at does the same with an interrupt pended through
 * ISPR (r2 = bit mask) instead of the SVC.
 */
    .syntax unified
    .file "vtor_align_code.S"
    .cpu cortex-m3
    .thumb

    .text
    .global svc_at
    .type svc_at, %function
    .thumb_func
svc_at:
    push    {r4-r7, lr}
    mov     r7, #0
    b       1f

    .global pend_at
    .type pend_at, %function
    .thumb_func
pend_at:
    push    {r4-r7, lr}
    mov     r7, r2
1:  mov     r6, sp                  /* caller's SP, restored at the end */
    cbz     r1, 2f
    /* switch thread mode to PSP: PSP = process_stack_top, CONTROL.SPSEL = 1 */
    ldr     r5, =process_stack_top
    ldr     r5, [r5]
    msr     psp, r5
    mrs     r5, control
    orr     r5, r5, #2
    msr     control, r5
    isb
2:  mov     r4, sp
    bic     r4, r4, #7
    sub     r4, r4, #16
    sub     r4, r4, r0
    mov     sp, r4
    ldr     r5, =sp_before
    str     r4, [r5]
    cbnz    r7, 3f
    svc     #0
    b       4f
3:  ldr     r5, =0xE000E200         /* NVIC_ISPR0 */
    str     r7, [r5]
    dsb
    isb
4:  mov     r4, sp
    ldr     r5, =sp_after
    str     r4, [r5]
    cbz     r1, 5f
    mrs     r5, control
    bic     r5, r5, #2
    msr     control, r5
    isb
5:  mov     sp, r6
    pop     {r4-r7, pc}
    .size svc_at, . - svc_at

    .ltorg
