/*
 * Exclusive access: LDREX/STREX (word, with offset), LDREXB/STREXB, LDREXH/STREXH. A STREX
 * right after the matching LDREX succeeds (status 0) and writes; a second STREX without a
 * new LDREX, and a STREX after CLREX, fail (status 1) and leave memory unchanged. Only
 * same-address, same-size pairs are used: other pairings are implementation defined.
 */
#include "record.inc"
    .file "exclusive.S"

    .data
    .balign 4
shared_words:
    .word   0x11111111, 0x22222222, 0x33333333, 0x44444444

    .text
.macro RECORD_MEMORY label
    ldr     r7, =shared_words
    .irp index, 0, 1, 2, 3
    ldr     r6, [r7, #\index * 4]
    RECORD  r6, "\label word \index"
    .endr
.endm

    TEST_BEGIN
    ldr     r4, =shared_words
    LOAD32  r2, 0xa5a5a5a5
    LOAD32  r3, 0x5a5a5a5a

    /* Word: success, then failure without a new reservation. */
    ldrex   r0, [r4]
    RECORD  r0, "ldrex [rn]"
    strex   r1, r2, [r4]
    RECORD  r1, "strex after ldrex status"
    strex   r1, r3, [r4]
    RECORD  r1, "second strex status"
    RECORD_MEMORY "after word pair"

    /* CLREX drops the reservation. */
    ldrex   r0, [r4, #8]
    RECORD  r0, "ldrex [rn, #8]"
    clrex
    strex   r1, r3, [r4, #8]
    RECORD  r1, "strex after clrex status"
    ldrex   r0, [r4, #8]
    strex   r1, r3, [r4, #8]
    RECORD  r1, "strex [rn, #8] status"
    RECORD_MEMORY "after clrex"

    /* A newer LDREX replaces the reservation. */
    ldrex   r0, [r4, #4]
    ldrex   r0, [r4, #12]
    RECORD  r0, "second ldrex value"
    strex   r1, r2, [r4, #12]
    RECORD  r1, "strex to newest reservation status"
    RECORD_MEMORY "after re-reservation"

    /* Byte and halfword. */
    add     r5, r4, #1
    ldrexb  r0, [r5]
    RECORD  r0, "ldrexb (byte 1)"
    strexb  r1, r2, [r5]
    RECORD  r1, "strexb status"
    strexb  r1, r3, [r5]
    RECORD  r1, "second strexb status"
    add     r5, r4, #6
    ldrexh  r0, [r5]
    RECORD  r0, "ldrexh value"
    strexh  r1, r3, [r5]
    RECORD  r1, "strexh status"
    clrex
    strexh  r1, r2, [r5]
    RECORD  r1, "strexh after clrex status"
    RECORD_MEMORY "after byte and halfword"

    /* A retry loop as used by atomic increments: succeeds on the first pass here. */
    movs    r6, #0
1:  ldrex   r0, [r4]
    adds    r0, r0, #1
    strex   r1, r0, [r4]
    adds    r6, r6, #1
    cmp     r1, #0
    bne     1b
    RECORD  r6, "atomic increment passes"
    RECORD_MEMORY "after atomic increment"
    TEST_END
