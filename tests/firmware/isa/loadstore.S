/*
 * Single and dual loads/stores in every addressing mode: imm12, negative imm8, pre- and
 * post-indexed writeback (the updated base is recorded as an offset), register offsets with
 * LSL #0-3 (including an index of -1 that wraps), the 16-bit forms (imm5, register,
 * SP-relative), LDRD/STRD, the unprivileged LDRT/STRT family, and unaligned LDR/STR/LDRH/
 * STRH, which a Cortex-M3 performs while CCR.UNALIGN_TRP is clear.
 */
#include "record.inc"
    .file "loadstore.S"

    .data
    .balign 4
/* 64 bytes 0x80, 0x81, ... 0xbf: every byte has bit 7 set, so sign extension shows. */
source_bytes:
    .irp value, 0x80, 0x84, 0x88, 0x8c, 0x90, 0x94, 0x98, 0x9c, 0xa0, 0xa4, 0xa8, 0xac, 0xb0, 0xb4, 0xb8, 0xbc
    .byte \value, \value + 1, \value + 2, \value + 3
    .endr
/* A positive counterpart so that sign extension of small values shows as well. */
    .irp value, 0x00, 0x14, 0x28, 0x3c, 0x50, 0x64, 0x78, 0x7c
    .byte \value, \value + 1, \value + 2, \value + 3
    .endr

    .section .rodata
    .balign 4
/* 4 KiB + 128 of varied words for the large imm12 offsets. */
large_table:
    .set word_index, 0
    .rept 1056
    .word ((word_index * 0x01000193) ^ 0x5bd1e995) & 0xffffffff
    .set word_index, word_index + 1
    .endr

    .bss
    .balign 8
target_bytes:
    .space 64

    .text
/* Store values: r0 and r1 hold these throughout the store tests. */
.macro LOAD_STORE_VALUES
    LOAD32  r0, 0xa1b2c3d4
    LOAD32  r1, 0x55667788
.endm

/* Records the 16 words of target_bytes, zeroes them again and reloads the store values. */
.macro DUMP_TARGET label
    ldr     r7, =target_bytes
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    ldr     r2, [r7, #\index * 4]
    RECORD  r2, "\label word \index"
    .endr
    movs    r2, #0
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    str     r2, [r7, #\index * 4]
    .endr
    LOAD_STORE_VALUES
.endm

/* Records the distance between the written-back base r5 and the reference r4. */
.macro RECORD_WRITEBACK label
    sub     r2, r5, r4
    RECORD  r2, "\label base offset"
.endm

    TEST_BEGIN
    ldr     r4, =source_bytes + 32

    /* Immediate offsets. */
    ldr.w   r0, [r4, #0]
    RECORD  r0, "ldr.w [rn, #0]"
    ldr.w   r0, [r4, #4]
    RECORD  r0, "ldr.w [rn, #4]"
    ldr.w   r0, [r4, #28]
    RECORD  r0, "ldr.w [rn, #28]"
    ldr     r0, [r4, #-4]
    RECORD  r0, "ldr [rn, #-4]"
    ldr     r0, [r4, #-32]
    RECORD  r0, "ldr [rn, #-32]"
    ldrb.w  r0, [r4, #3]
    RECORD  r0, "ldrb.w [rn, #3]"
    ldrb    r0, [r4, #-1]
    RECORD  r0, "ldrb [rn, #-1]"
    ldrsb.w r0, [r4, #-5]
    RECORD  r0, "ldrsb.w [rn, #-5]"
    ldrsb.w r0, [r4, #20]
    RECORD  r0, "ldrsb.w [rn, #20]"
    ldrh.w  r0, [r4, #2]
    RECORD  r0, "ldrh.w [rn, #2]"
    ldrh    r0, [r4, #-2]
    RECORD  r0, "ldrh [rn, #-2]"
    ldrsh.w r0, [r4, #-6]
    RECORD  r0, "ldrsh.w [rn, #-6]"
    ldrsh.w r0, [r4, #24]
    RECORD  r0, "ldrsh.w [rn, #24]"
    ldrsh   r0, [r4, #-32]
    RECORD  r0, "ldrsh [rn, #-32]"

    /* Large positive offsets. */
    ldr     r3, =large_table
    ldr.w   r0, [r3, #4092]
    RECORD  r0, "ldr.w [rn, #4092]"
    ldrh.w  r0, [r3, #4094]
    RECORD  r0, "ldrh.w [rn, #4094]"
    ldrb.w  r0, [r3, #4095]
    RECORD  r0, "ldrb.w [rn, #4095]"
    ldrsb.w r0, [r3, #2049]
    RECORD  r0, "ldrsb.w [rn, #2049]"

    /* Unaligned accesses. */
    ldr.w   r0, [r4, #1]
    RECORD  r0, "ldr.w [rn, #1] unaligned"
    ldr.w   r0, [r4, #2]
    RECORD  r0, "ldr.w [rn, #2] unaligned"
    ldr     r0, [r4, #-3]
    RECORD  r0, "ldr [rn, #-3] unaligned"
    ldrh.w  r0, [r4, #1]
    RECORD  r0, "ldrh.w [rn, #1] unaligned"
    ldrsh.w r0, [r4, #3]
    RECORD  r0, "ldrsh.w [rn, #3] unaligned"
    ldrh    r0, [r4, #-7]
    RECORD  r0, "ldrh [rn, #-7] unaligned"

    /* Pre-indexed with writeback. */
    mov     r5, r4
    ldr     r0, [r5, #4]!
    RECORD  r0, "ldr [rn, #4]!"
    RECORD_WRITEBACK "ldr [rn, #4]!"
    ldr     r0, [r5, #-12]!
    RECORD  r0, "ldr [rn, #-12]!"
    RECORD_WRITEBACK "ldr [rn, #-12]!"
    ldrb    r0, [r5, #255]!
    RECORD  r0, "ldrb [rn, #255]!"
    RECORD_WRITEBACK "ldrb [rn, #255]!"
    mov     r5, r4
    ldrsb   r0, [r5, #-1]!
    RECORD  r0, "ldrsb [rn, #-1]!"
    RECORD_WRITEBACK "ldrsb [rn, #-1]!"
    ldrh    r0, [r5, #-3]!
    RECORD  r0, "ldrh [rn, #-3]! (unaligned)"
    RECORD_WRITEBACK "ldrh [rn, #-3]!"
    ldrsh   r0, [r5, #6]!
    RECORD  r0, "ldrsh [rn, #6]!"
    RECORD_WRITEBACK "ldrsh [rn, #6]!"

    /* Post-indexed with writeback. */
    mov     r5, r4
    ldr     r0, [r5], #4
    RECORD  r0, "ldr [rn], #4"
    RECORD_WRITEBACK "ldr [rn], #4"
    ldr     r0, [r5], #-20
    RECORD  r0, "ldr [rn], #-20"
    RECORD_WRITEBACK "ldr [rn], #-20"
    ldrb    r0, [r5], #1
    RECORD  r0, "ldrb [rn], #1"
    RECORD_WRITEBACK "ldrb [rn], #1"
    ldrsb   r0, [r5], #-255
    RECORD  r0, "ldrsb [rn], #-255"
    RECORD_WRITEBACK "ldrsb [rn], #-255"
    mov     r5, r4
    ldrh    r0, [r5], #2
    RECORD  r0, "ldrh [rn], #2"
    RECORD_WRITEBACK "ldrh [rn], #2"
    ldrsh   r0, [r5], #-2
    RECORD  r0, "ldrsh [rn], #-2"
    RECORD_WRITEBACK "ldrsh [rn], #-2"

    /* Register offsets; an index of -1 wraps the address downwards. */
    .irp index, 0, 1, 3, 0xffffffff
    LOAD32  r6, \index
    .irp shift, 0, 1, 2, 3
    ldr.w   r0, [r4, r6, lsl #\shift]
    RECORD  r0, "ldr.w [rn, rm, lsl #\shift] rm=\index"
    ldrb.w  r0, [r4, r6, lsl #\shift]
    RECORD  r0, "ldrb.w [rn, rm, lsl #\shift] rm=\index"
    ldrsb.w r0, [r4, r6, lsl #\shift]
    RECORD  r0, "ldrsb.w [rn, rm, lsl #\shift] rm=\index"
    ldrh.w  r0, [r4, r6, lsl #\shift]
    RECORD  r0, "ldrh.w [rn, rm, lsl #\shift] rm=\index"
    ldrsh.w r0, [r4, r6, lsl #\shift]
    RECORD  r0, "ldrsh.w [rn, rm, lsl #\shift] rm=\index"
    .endr
    ldr.n   r0, [r4, r6]
    RECORD  r0, "ldr.n [rn, rm] rm=\index"
    ldrb.n  r0, [r4, r6]
    RECORD  r0, "ldrb.n [rn, rm] rm=\index"
    ldrsb.n r0, [r4, r6]
    RECORD  r0, "ldrsb.n [rn, rm] rm=\index"
    ldrh.n  r0, [r4, r6]
    RECORD  r0, "ldrh.n [rn, rm] rm=\index"
    ldrsh.n r0, [r4, r6]
    RECORD  r0, "ldrsh.n [rn, rm] rm=\index"
    .endr

    /* 16-bit immediate forms. */
    ldr.n   r0, [r4, #0]
    RECORD  r0, "ldr.n [rn, #0]"
    ldr.n   r0, [r4, #28]
    RECORD  r0, "ldr.n [rn, #28]"
    sub     r3, r4, #32
    ldr.n   r0, [r3, #124]
    RECORD  r0, "ldr.n [rn, #124]"
    ldrb.n  r0, [r3, #31]
    RECORD  r0, "ldrb.n [rn, #31]"
    ldrh.n  r0, [r3, #62]
    RECORD  r0, "ldrh.n [rn, #62]"

    /* Dual loads. */
    ldrd    r0, r1, [r4]
    RECORD  r0, "ldrd [rn] first"
    RECORD  r1, "ldrd [rn] second"
    ldrd    r0, r1, [r4, #24]
    RECORD  r0, "ldrd [rn, #24] first"
    RECORD  r1, "ldrd [rn, #24] second"
    ldrd    r2, r0, [r4, #-32]
    RECORD  r2, "ldrd r2, r0, [rn, #-32] first"
    RECORD  r0, "ldrd r2, r0, [rn, #-32] second"
    mov     r5, r4
    ldrd    r0, r1, [r5, #8]!
    RECORD  r0, "ldrd [rn, #8]! first"
    RECORD  r1, "ldrd [rn, #8]! second"
    RECORD_WRITEBACK "ldrd [rn, #8]!"
    ldrd    r0, r1, [r5], #-16
    RECORD  r0, "ldrd [rn], #-16 first"
    RECORD  r1, "ldrd [rn], #-16 second"
    RECORD_WRITEBACK "ldrd [rn], #-16"
    ldrd    r0, r1, [r5, #-8]!
    RECORD  r0, "ldrd [rn, #-8]! first"
    RECORD_WRITEBACK "ldrd [rn, #-8]!"
    ldrd    r0, r1, [r3, #1016]
    RECORD  r0, "ldrd [rn, #1016] first"
    RECORD  r1, "ldrd [rn, #1016] second"

    /* Unprivileged loads (privileged thread mode without an MPU: ordinary loads). */
    ldrt    r0, [r4, #4]
    RECORD  r0, "ldrt [rn, #4]"
    ldrt    r0, [r4, #1]
    RECORD  r0, "ldrt [rn, #1] unaligned"
    ldrbt   r0, [r4, #255]
    RECORD  r0, "ldrbt [rn, #255]"
    ldrsbt  r0, [r4, #2]
    RECORD  r0, "ldrsbt [rn, #2]"
    ldrht   r0, [r4, #6]
    RECORD  r0, "ldrht [rn, #6]"
    ldrsht  r0, [r4, #10]
    RECORD  r0, "ldrsht [rn, #10]"

    /* SP-relative 16-bit forms. */
    LOAD32  r0, 0x11223344
    LOAD32  r1, 0x55667788
    push    {r0, r1}
    ldr     r2, [sp, #4]
    RECORD  r2, "ldr.n [sp, #4]"
    str     r0, [sp, #4]
    ldr     r2, [sp, #4]
    RECORD  r2, "str.n [sp, #4]"
    add     r2, sp, #4
    mov     r3, sp
    sub     r2, r2, r3
    RECORD  r2, "add.n rd, sp, #4"
    pop     {r0, r1}

    /* Arithmetic on SP (results recorded relative to the entry SP in r8). */
    mov     r8, sp
    sub     sp, sp, #16
    mov     r2, sp
    sub     r2, r8, r2
    RECORD  r2, "sub.n sp, sp, #16"
    sub.w   sp, sp, #0x100
    mov     r2, sp
    sub     r2, r8, r2
    RECORD  r2, "sub.w sp, sp, #0x100"
    add.w   sp, sp, #0x100
    add     sp, sp, #16
    mov     r2, sp
    sub     r2, r8, r2
    RECORD  r2, "add sp back"
    addw    r2, sp, #0x123
    sub     r2, r2, r8
    RECORD  r2, "addw rd, sp, #0x123"
    subw    r2, sp, #0x7
    sub     r2, r8, r2
    RECORD  r2, "subw rd, sp, #7"
    movs    r1, #40
    add     r2, sp, r1
    sub     r2, r2, r8
    RECORD  r2, "add rd, sp, rm"
    add.w   r2, sp, r1, lsl #2
    sub     r2, r2, r8
    RECORD  r2, "add.w rd, sp, rm, lsl #2"
    sub.w   r2, sp, r1, lsl #1
    sub     r2, r8, r2
    RECORD  r2, "sub.w rd, sp, rm, lsl #1"
    mov     r3, r8
    add     r3, sp
    sub     r3, r3, r8
    sub     r3, r3, r8
    RECORD  r3, "add.n rdn, sp"
    sub     r2, r8, #24
    mov     sp, r2
    mov     r2, sp
    sub     r2, r8, r2
    RECORD  r2, "mov sp, rm"
    mov     sp, r8

    /* Stores. */
    ldr     r7, =target_bytes
    add     r4, r7, #32
    LOAD_STORE_VALUES
    str.w   r0, [r4, #0]
    str     r0, [r4, #-32]
    strb.w  r0, [r4, #5]
    strb    r1, [r4, #-9]
    strh.w  r0, [r4, #10]
    strh    r1, [r4, #-14]
    str.w   r1, [r4, #17]
    str     r0, [r4, #-26]
    strh.w  r1, [r4, #23]
    DUMP_TARGET "immediate stores"

    mov     r5, r4
    str     r0, [r5, #4]!
    RECORD_WRITEBACK "str [rn, #4]!"
    str     r1, [r5], #-12
    RECORD_WRITEBACK "str [rn], #-12"
    strb    r0, [r5, #-1]!
    RECORD_WRITEBACK "strb [rn, #-1]!"
    strb    r1, [r5], #255
    RECORD_WRITEBACK "strb [rn], #255"
    mov     r5, r4
    strh    r0, [r5, #-7]!
    RECORD_WRITEBACK "strh [rn, #-7]!"
    strh    r1, [r5], #21
    RECORD_WRITEBACK "strh [rn], #21"
    DUMP_TARGET "writeback stores"

    movs    r6, #3
    str.w   r0, [r4, r6, lsl #2]
    strb.w  r1, [r4, r6, lsl #0]
    strh.w  r1, [r4, r6, lsl #3]
    mvn     r6, #0
    str.w   r1, [r4, r6, lsl #3]
    strh.w  r0, [r4, r6, lsl #1]
    strb.w  r0, [r4, r6]
    movs    r6, #9
    str.n   r0, [r4, r6]
    strh.n  r0, [r4, r6]
    movs    r6, #12
    strb.n  r1, [r4, r6]
    DUMP_TARGET "register offset stores"

    sub     r3, r4, #32
    str.n   r1, [r3, #124]
    str.n   r0, [r3, #8]
    strb.n  r0, [r3, #31]
    strh.n  r1, [r3, #62]
    strh.n  r0, [r3, #2]
    DUMP_TARGET "narrow stores"

    strd    r0, r1, [r4]
    strd    r1, r0, [r4, #-24]
    mov     r5, r4
    strd    r0, r1, [r5, #16]!
    RECORD_WRITEBACK "strd [rn, #16]!"
    strd    r1, r1, [r5], #-28
    RECORD_WRITEBACK "strd [rn], #-28"
    strd    r0, r0, [r5, #-4]!
    RECORD_WRITEBACK "strd [rn, #-4]!"
    DUMP_TARGET "dual stores"

    strt    r0, [r4, #4]
    strt    r1, [r4, #9]
    strbt   r1, [r4, #1]
    strht   r0, [r4, #14]
    strht   r1, [r4, #19]
    DUMP_TARGET "unprivileged stores"
    TEST_END
