/*
 * IT blocks: every condition with every block length and then/else mask, each run under all
 * 16 NZCV combinations (which slots executed is packed into 4 bits per combination), plus
 * the special rules inside IT: 16-bit instructions that set flags outside IT do not inside
 * it, 32-bit S-forms and comparisons do (and later slots see the new flags), and a branch
 * may end a block.
 */
#include "record.inc"
    .file "it_blocks.S"

/* Slot k of the block adds 1 << k to r1; 16-bit ADD inside IT leaves the flags alone. */
.macro IT_SLOT cond, value
    .ifnb \cond
    .ifc \cond, al
    .inst.n 0x3100 + \value             /* adds r1, #value (16-bit T2); gas refuses it in IT AL */
    .else
    add\cond r1, r1, #\value
    .endif
    .endif
.endm

/* IT AL with 1-4 "then" slots, hand-encoded (firstcond 1110, mask 1000/0100/0010/0001). */
.macro IT_AL_1 cond
    .inst.n 0xbfe8
.endm
.macro IT_AL_2 cond
    .inst.n 0xbfe4
.endm
.macro IT_AL_3 cond
    .inst.n 0xbfe2
.endm
.macro IT_AL_4 cond
    .inst.n 0xbfe1
.endm

/* Runs "\mnemonic \c0" with slot conditions c0..c3 for NZCV = 15..0; records r6:r5 and the
 * OR of (flags before) XOR (flags after), which must stay 0. */
.macro IT_CASE mnemonic, c0, c1, c2, c3
    movs    r5, #0
    movs    r6, #0
    movs    r7, #0
    movs    r4, #15
1:  mov     r1, #0
    lsls    r0, r4, #28
    msr     apsr_nzcvq, r0
    \mnemonic \c0
    IT_SLOT \c0, 1
    IT_SLOT \c1, 2
    IT_SLOT \c2, 4
    IT_SLOT \c3, 8
    mrs     r2, apsr
    eors    r2, r2, r0
    orrs    r7, r7, r2
    lsls    r6, r6, #4
    orr     r6, r6, r5, lsr #28
    lsls    r5, r5, #4
    orrs    r5, r5, r1
    subs    r4, r4, #1
    bpl     1b
    RECORD  r6, "\mnemonic \c0 slots for nzcv 15..8"
    RECORD  r5, "\mnemonic \c0 slots for nzcv 7..0"
    RECORD  r7, "\mnemonic \c0 flag changes"
.endm

.macro IT_ALL_MASKS c, i
    IT_CASE it, \c
    IT_CASE itt, \c, \c
    IT_CASE ite, \c, \i
    IT_CASE ittt, \c, \c, \c
    IT_CASE itte, \c, \c, \i
    IT_CASE itet, \c, \i, \c
    IT_CASE itee, \c, \i, \i
    IT_CASE itttt, \c, \c, \c, \c
    IT_CASE ittte, \c, \c, \c, \i
    IT_CASE ittet, \c, \c, \i, \c
    IT_CASE ittee, \c, \c, \i, \i
    IT_CASE itett, \c, \i, \c, \c
    IT_CASE itete, \c, \i, \c, \i
    IT_CASE iteet, \c, \i, \i, \c
    IT_CASE iteee, \c, \i, \i, \i
.endm

    TEST_BEGIN
    IT_ALL_MASKS eq, ne
    IT_ALL_MASKS ne, eq
    IT_ALL_MASKS cs, cc
    IT_ALL_MASKS cc, cs
    IT_ALL_MASKS mi, pl
    IT_ALL_MASKS pl, mi
    IT_ALL_MASKS vs, vc
    IT_ALL_MASKS vc, vs
    IT_ALL_MASKS hi, ls
    IT_ALL_MASKS ls, hi
    IT_ALL_MASKS ge, lt
    IT_ALL_MASKS lt, ge
    IT_ALL_MASKS gt, le
    IT_ALL_MASKS le, gt
    IT_CASE IT_AL_1, al
    IT_CASE IT_AL_2, al, al
    IT_CASE IT_AL_3, al, al, al
    IT_CASE IT_AL_4, al, al, al, al

    /* A 32-bit flag-setting instruction changes the flags for the rest of the block. */
    movs    r0, #0
    movs    r1, #0
    SET_FLAGS 0x40000000                /* Z */
    ittt    eq
    addseq.w r0, r0, #1                 /* executes and clears Z */
    addeq   r1, r1, #1                  /* skipped */
    addeq   r1, r1, #2                  /* skipped */
    RECORD  r0, "adds.w in it: r0"
    RECORD  r1, "adds.w in it: later slots"
    RECORD_FLAGS "adds.w in it: flags"

    /* Comparisons always set flags, inside IT as well. */
    movs    r0, #5
    movs    r1, #0
    SET_FLAGS 0x00000000
    itete   ne
    cmpne   r0, #5                      /* executes: Z set */
    addeq   r1, r1, #1                  /* now executes */
    cmpne   r0, #4                      /* skipped (Z set) */
    addeq   r1, r1, #2                  /* executes */
    RECORD  r1, "cmp in it: slots"
    RECORD_FLAGS "cmp in it: flags"
    movs    r1, #0
    SET_FLAGS 0x40000000
    itt     eq
    tsteq   r0, r0                      /* clears Z: r0 = 5 */
    addeq   r1, r1, #1                  /* skipped */
    RECORD  r1, "tst in it: slots"
    RECORD_FLAGS "tst in it: flags"

    /* 16-bit forms that set flags outside IT leave them alone inside IT. */
    LOAD32  r2, 0x80000001
    LOAD32  r3, 0x00000003
    SET_FLAGS 0x30000000                /* C V */
    itttt   cs
    lslcs   r0, r2, #1
    lsrcs   r4, r2, #1
    asrcs   r5, r2, #1
    movcs   r6, #0
    RECORD  r0, "lsl in it"
    RECORD  r4, "lsr in it"
    RECORD  r5, "asr in it"
    RECORD  r6, "mov #0 in it"
    RECORD_FLAGS "shifts in it: flags"
    SET_FLAGS 0x90000000                /* N V */
    itttt   mi
    addmi   r0, r2, r3
    submi   r4, r2, r3
    addmi   r5, r5, #200
    submi   r6, r6, #1
    RECORD  r0, "add reg in it"
    RECORD  r4, "sub reg in it"
    RECORD  r5, "add imm8 in it"
    RECORD  r6, "sub imm8 in it"
    RECORD_FLAGS "add/sub in it: flags"
    mov     r0, r2
    mov     r4, r2
    mov     r5, r2
    mov     r6, r2
    SET_FLAGS 0x60000000                /* Z C */
    itttt   eq
    andeq   r0, r0, r3
    eoreq   r4, r4, r3
    orreq   r5, r5, r3
    biceq   r6, r6, r3
    RECORD  r0, "and in it"
    RECORD  r4, "eor in it"
    RECORD  r5, "orr in it"
    RECORD  r6, "bic in it"
    RECORD_FLAGS "logical in it: flags"
    mov     r0, r2
    mov     r4, r2
    mov     r5, r2
    mov     r6, r2
    SET_FLAGS 0x20000000                /* C */
    itttt   hi
    adchi   r0, r0, r3
    sbchi   r4, r4, r3
    rorhi   r5, r5, r3
    asrhi   r6, r6, r3
    RECORD  r0, "adc in it"
    RECORD  r4, "sbc in it"
    RECORD  r5, "ror in it"
    RECORD  r6, "asr reg in it"
    RECORD_FLAGS "carry ops in it: flags"
    mov     r0, r2
    mov     r4, r2
    mov     r5, r3
    SET_FLAGS 0x00000000
    ittt    ge
    mvnge   r0, r0
    rsbge   r4, r4, #0
    mulge   r5, r2, r5
    RECORD  r0, "mvn in it"
    RECORD  r4, "neg in it"
    RECORD  r5, "mul in it"
    RECORD_FLAGS "mvn/neg/mul in it: flags"

    /* Loads and stores are allowed in IT blocks. */
    push    {r2, r3}
    movs    r0, #0
    SET_FLAGS 0x80000000
    ite     pl
    ldrpl   r0, [sp]                    /* skipped */
    ldrmi   r0, [sp, #4]
    RECORD  r0, "conditional load"
    ite     mi
    strmi   r0, [sp]
    strpl   r2, [sp, #4]                /* skipped */
    pop     {r2, r3}
    RECORD  r2, "conditional store"
    RECORD  r3, "skipped conditional store"

    /* A branch may be the last instruction of a block. */
    movs    r0, #0
    SET_FLAGS 0x40000000
    itt     eq
    addeq   r0, r0, #1
    beq.n   1f
    adds    r0, r0, #0x10               /* skipped */
1:  SET_FLAGS 0x00000000
    ite     eq
    addeq   r0, r0, #0x20               /* skipped */
    bne.w   2f
    adds    r0, r0, #0x40               /* skipped */
2:  ldr     r3, =it_subroutine
    it      ne
    blxne   r3
    RECORD  r0, "branches ending it blocks"
    SET_FLAGS 0x40000000
    it      ne
    blxne   r3                          /* skipped */
    RECORD  r0, "skipped blx in it"
    TEST_END

    .type it_subroutine, %function
    .thumb_func
it_subroutine:
    adds    r0, r0, #0x80
    bx      lr
