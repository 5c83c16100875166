/*
 * Special registers and system instructions: MRS/MSR for APSR_nzcvq and the xPSR views,
 * PRIMASK, FAULTMASK, BASEPRI (only priority bits [7:5] are used, so any implemented
 * priority width of 3 or more bits reads the same) and BASEPRI_MAX, CONTROL.SPSEL with PSP,
 * MSP and PSP (whose bits [1:0] read as zero), CPSIE/CPSID, the hints NOP/YIELD/SEV/WFE
 * (WFE after SEV, so it does not sleep) and the barriers. Last, CONTROL.nPRIV drops to
 * unprivileged thread mode, where writes to the mask registers and CONTROL are ignored;
 * the program stays unprivileged to its end (semihosting works there too).
 */
#include "record.inc"
    .file "system.S"

    .bss
    .balign 8
process_stack:
    .space  256
process_stack_top:

    .text
    TEST_BEGIN
    /* APSR: only N Z C V Q are writable; the low bits of the source are ignored. */
    .irp value, 0xf8000000, 0x00000000, 0xffffffff, 0xa0000000, 0x48000000, 0x17ffffff
    LOAD32  r0, \value
    msr     apsr_nzcvq, r0
    mrs     r1, apsr
    RECORD  r1, "msr apsr_nzcvq \value, mrs apsr"
    .endr
    LOAD32  r0, 0xd8000000
    msr     apsr_nzcvq, r0
    mrs     r1, ipsr
    RECORD  r1, "mrs ipsr in thread mode"
    mrs     r1, epsr
    RECORD  r1, "mrs epsr (execution state reads as zero)"
    mrs     r1, xpsr
    RECORD  r1, "mrs xpsr"
    mrs     r1, iapsr
    RECORD  r1, "mrs iapsr"
    mrs     r1, eapsr
    RECORD  r1, "mrs eapsr"
    mrs     r1, iepsr
    RECORD  r1, "mrs iepsr"

    /* PRIMASK and FAULTMASK through CPS and MSR. */
    cpsid   i
    mrs     r1, primask
    RECORD  r1, "cpsid i: primask"
    cpsie   i
    mrs     r1, primask
    RECORD  r1, "cpsie i: primask"
    LOAD32  r0, 0xffffffff
    msr     primask, r0
    mrs     r1, primask
    RECORD  r1, "msr primask 0xffffffff"
    LOAD32  r0, 0xfffffffe
    msr     primask, r0
    mrs     r1, primask
    RECORD  r1, "msr primask 0xfffffffe"
    cpsid   f
    mrs     r1, faultmask
    RECORD  r1, "cpsid f: faultmask"
    mrs     r1, primask
    RECORD  r1, "cpsid f: primask unchanged"
    cpsie   f
    mrs     r1, faultmask
    RECORD  r1, "cpsie f: faultmask"
    movs    r0, #1
    msr     faultmask, r0
    mrs     r1, faultmask
    RECORD  r1, "msr faultmask 1"
    movs    r0, #0
    msr     faultmask, r0
    mrs     r1, faultmask
    RECORD  r1, "msr faultmask 0"

    /* BASEPRI and BASEPRI_MAX (which only ever raises the priority floor). */
    movs    r0, #0x80
    msr     basepri, r0
    mrs     r1, basepri
    RECORD  r1, "msr basepri 0x80"
    LOAD32  r0, 0x1e0
    msr     basepri, r0
    mrs     r1, basepri
    RECORD  r1, "msr basepri 0x1e0 (bits above 7 ignored)"
    movs    r0, #0x60
    msr     basepri_max, r0
    mrs     r1, basepri
    RECORD  r1, "basepri_max 0x60 over 0xe0"
    movs    r0, #0xa0
    msr     basepri_max, r0
    mrs     r1, basepri
    RECORD  r1, "basepri_max 0xa0 over 0x60 (ignored)"
    movs    r0, #0
    msr     basepri_max, r0
    mrs     r1, basepri
    RECORD  r1, "basepri_max 0 (ignored)"
    mrs     r1, basepri_max
    RECORD  r1, "mrs basepri_max"
    movs    r0, #0
    msr     basepri, r0
    movs    r0, #0x40
    msr     basepri_max, r0
    mrs     r1, basepri
    RECORD  r1, "basepri_max 0x40 over 0"
    movs    r0, #0
    msr     basepri, r0
    mrs     r1, basepri
    RECORD  r1, "msr basepri 0"

    /* Stack pointers. */
    mrs     r1, control
    RECORD  r1, "control at start"
    mov     r9, sp
    mrs     r1, msp
    sub     r1, r1, r9
    RECORD  r1, "mrs msp minus sp"
    ldr     r0, =process_stack_top + 3
    msr     psp, r0
    mrs     r1, psp
    ldr     r2, =process_stack_top
    sub     r1, r1, r2
    RECORD  r1, "msr psp top+3, mrs psp minus top"
    ldr     r0, =process_stack_top
    msr     psp, r0
    movs    r0, #2
    msr     control, r0
    isb
    mrs     r1, control
    RECORD  r1, "control.spsel = 1"
    LOAD32  r3, 0x13572468
    push    {r3}
    mrs     r1, psp
    ldr     r2, =process_stack_top
    sub     r1, r2, r1
    RECORD  r1, "push on psp: depth"
    ldr     r1, =process_stack_top - 4
    ldr     r1, [r1]
    RECORD  r1, "push on psp: value"
    mov     r1, sp
    mrs     r2, psp
    sub     r1, r1, r2
    RECORD  r1, "sp minus psp"
    mrs     r1, msp
    sub     r1, r1, r9
    RECORD  r1, "msp unchanged"
    pop     {r3}
    movs    r0, #0
    msr     control, r0
    isb
    mov     r1, sp
    sub     r1, r1, r9
    RECORD  r1, "back on msp"
    sub     r0, r9, #64
    msr     msp, r0
    mov     r1, sp
    sub     r1, r9, r1
    RECORD  r1, "msr msp moves sp"
    msr     msp, r9
    mov     r1, sp
    sub     r1, r1, r9
    RECORD  r1, "msp restored"

    /* Hints and barriers have no architectural effect here; r0 counts that all ran. */
    movs    r0, #0
    nop
    adds    r0, r0, #1
    nop.w
    adds    r0, r0, #1
    yield
    adds    r0, r0, #1
    yield.w
    adds    r0, r0, #1
    sev
    adds    r0, r0, #1
    wfe
    adds    r0, r0, #1
    sev.w
    wfe.w
    adds    r0, r0, #1
    dmb
    adds    r0, r0, #1
    dsb
    adds    r0, r0, #1
    isb
    adds    r0, r0, #1
    RECORD  r0, "hints and barriers executed"
    RECORD_FLAGS "flags after hints"

    /* Unprivileged from here on. */
    movs    r0, #1
    msr     control, r0
    isb
    mrs     r1, control
    RECORD  r1, "control.npriv = 1"
    movs    r0, #1
    msr     primask, r0
    mrs     r1, primask
    RECORD  r1, "unprivileged msr primask (ignored)"
    cpsid   i
    mrs     r1, primask
    RECORD  r1, "unprivileged cpsid i (ignored)"
    cpsid   f
    mrs     r1, faultmask
    RECORD  r1, "unprivileged cpsid f (ignored)"
    movs    r0, #0x80
    msr     basepri, r0
    mrs     r1, basepri
    RECORD  r1, "unprivileged msr basepri (ignored)"
    movs    r0, #0
    msr     control, r0
    isb
    mrs     r1, control
    RECORD  r1, "unprivileged msr control (ignored)"
    LOAD32  r0, 0x50000000
    msr     apsr_nzcvq, r0
    mrs     r1, apsr
    RECORD  r1, "unprivileged msr apsr"
    TEST_END
