/*
 * PC-relative addressing: LDR (literal) in its 16-bit and 32-bit forms at word-aligned and
 * halfword-aligned instruction addresses (the base is Align(PC, 4)), backward literals,
 * byte/halfword/signed and dual literal loads, explicit [pc, #imm] forms, and ADR in its
 * 16-bit, add and subtract forms, including targets that are not word aligned.
 */
#include "record.inc"
    .file "literal.S"

    TEST_BEGIN
    b.w     start_literal_tests

    .balign 4
backward_words:
    .word   0x0badf00d, 0x12345678, 0x9abcdef0, 0x87654321
backward_bytes:
    .byte   0x7f, 0x80, 0xfe, 0x01, 0x34, 0x92, 0x00, 0xff

start_literal_tests:
    /* 16-bit LDR (literal) from both halfword positions within a word. */
    .balign 4
    ldr.n   r0, forward_word_a          /* at a word-aligned address */
    ldr.n   r1, forward_word_a          /* at a halfword-aligned address: same Align(PC, 4) */
    ldr.n   r2, forward_word_b
    b.n     1f
    .balign 4
forward_word_a:
    .word   0xcafe0001
forward_word_b:
    .word   0xcafe0002
1:  RECORD  r0, "ldr.n literal, aligned pc"
    RECORD  r1, "ldr.n literal, unaligned pc"
    RECORD  r2, "ldr.n literal +4"

    /* Explicit [pc, #imm] forms. They read the code that follows, whose bytes are fixed in
     * this image, so the loaded value shows which address was used. */
    .balign 4
    ldr.n   r0, [pc, #4]                /* A:   Align(A+4)+4 = A+8 */
    ldr.n   r1, [pc, #4]                /* A+2: Align(A+6)+4 = A+8 */
    ldr.w   r2, [pc, #0]                /* A+4: Align(A+8)+0 = A+8 */
    b.n     1f                          /* A+8 */
    .word   0x5eed0008                  /* skipped */
1:
    RECORD  r0, "ldr.n [pc, #4] aligned"
    RECORD  r1, "ldr.n [pc, #4] unaligned"
    RECORD  r2, "ldr.w [pc, #0] aligned"

    .balign 4
    nop.n
    ldr.w   r0, [pc, #2]                /* A+2: Align(A+6)+2 = A+6: unaligned literal word */
    ldr.w   r1, [pc, #-2]               /* A+6: Align(A+10)-2 = A+6 */
    ldrh.w  r2, [pc, #1]                /* A+10: Align(A+14)+1 = A+13 */
    ldrsb.w r3, [pc, #-1]               /* A+14: Align(A+18)-1 = A+15 */
    RECORD  r0, "ldr.w [pc, #2] from unaligned pc"
    RECORD  r1, "ldr.w [pc, #-2] from unaligned pc"
    RECORD  r2, "ldrh.w [pc, #1] from unaligned pc"
    RECORD  r3, "ldrsb.w [pc, #-1] from unaligned pc"

    /* 32-bit literals forward and backward, at both alignments. */
    .balign 4
    ldr.w   r0, forward_words + 4
    ldr.w   r1, backward_words + 8
    nop.n
    ldr.w   r2, forward_words + 8
    ldr.w   r3, backward_words + 12
    RECORD  r0, "ldr.w literal forward, aligned pc"
    RECORD  r1, "ldr.w literal backward, aligned pc"
    RECORD  r2, "ldr.w literal forward, unaligned pc"
    RECORD  r3, "ldr.w literal backward, unaligned pc"

    ldrb.w  r0, forward_bytes + 1
    ldrsb.w r1, forward_bytes + 1
    ldrh.w  r2, forward_bytes + 1
    ldrsh.w r3, forward_bytes + 2
    RECORD  r0, "ldrb literal odd"
    RECORD  r1, "ldrsb literal odd"
    RECORD  r2, "ldrh literal odd"
    RECORD  r3, "ldrsh literal"
    ldrb.w  r0, backward_bytes + 2
    ldrsb.w r1, backward_bytes + 5
    ldrh.w  r2, backward_bytes + 3
    ldrsh.w r3, backward_bytes + 1
    RECORD  r0, "ldrb literal backward"
    RECORD  r1, "ldrsb literal backward"
    RECORD  r2, "ldrh literal backward odd"
    RECORD  r3, "ldrsh literal backward odd"

    .balign 4
    ldrd    r0, r1, forward_words
    nop.n
    ldrd    r2, r3, backward_words + 4
    RECORD  r0, "ldrd literal forward first"
    RECORD  r1, "ldrd literal forward second"
    RECORD  r2, "ldrd literal backward first"
    RECORD  r3, "ldrd literal backward second"
    ldrd    r0, r1, forward_words + 8
    RECORD  r0, "ldrd literal forward +8 first"
    RECORD  r1, "ldrd literal forward +8 second"

    /* ADR: absolute addresses, the same in every run of this image. */
    .balign 4
    adr.n   r0, forward_words
    nop.n
    adr.n   r1, forward_words
    adr.w   r2, forward_bytes + 1
    adr.w   r3, backward_bytes + 3
    RECORD  r0, "adr.n aligned pc"
    RECORD  r1, "adr.n unaligned pc"
    RECORD  r2, "adr.w forward odd"
    RECORD  r3, "adr.w backward odd"
    ldr     r4, =forward_words
    subs    r0, r0, r4
    subs    r1, r1, r4
    RECORD  r0, "adr.n aligned pc minus symbol"
    RECORD  r1, "adr.n unaligned pc minus symbol"
    adr.w   r5, backward_words
    ldr     r4, =backward_words
    subs    r5, r5, r4
    RECORD  r5, "adr.w backward minus symbol"

    /* Literal pool loads through "ldr rX, =constant". */
    ldr     r0, =0xdeadbeef
    ldr     r8, =0x00c0ffee
    RECORD  r0, "ldr r0, =constant"
    RECORD  r8, "ldr r8, =constant"
    b.w     literal_tests_done

    .balign 4
forward_words:
    .word   0x01020304, 0xa5a5a5a5, 0xfedcba98, 0x13579bdf
forward_bytes:
    .byte   0x81, 0x82, 0x7f, 0x90, 0x00, 0xff, 0x10, 0x20
    .ltorg

literal_tests_done:
    TEST_END
