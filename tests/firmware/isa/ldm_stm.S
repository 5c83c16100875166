/*
 * Multiple loads and stores: STM/LDM increment-after and decrement-before, with and without
 * writeback, 16-bit and 32-bit encodings, a 16-bit LDM whose base is in the list (no
 * writeback, base loaded), LDM loading PC, and PUSH/POP including POP {pc} and single
 * registers.
 */
#include "record.inc"
    .file "ldm_stm.S"

    .bss
    .balign 8
block:
    .space 96

    .text
/* Fills r0-r10 and r12 with distinct values (r11 is the recorder). */
.macro LOAD_PATTERN
    .irp reg, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12
    LOAD32  r\reg, (0x10101010 * (\reg + 1)) ^ 0x0f0f0f0f
    .endr
.endm

/* Records the 24 words of block and zeroes them; r7 and r8 are clobbered. */
.macro DUMP_BLOCK label
    ldr     r7, =block
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23
    ldr     r8, [r7, #\index * 4]
    RECORD  r8, "\label word \index"
    .endr
    movs    r8, #0
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23
    str     r8, [r7, #\index * 4]
    .endr
.endm

/* Records the base offset of r9 from the middle of block. */
.macro RECORD_BASE label
    ldr     r8, =block + 48
    sub     r8, r9, r8
    RECORD  r8, "\label base offset"
.endm

.macro RECORD_REGS label, regs:vararg
    .irp reg, \regs
    RECORD  \reg, "\label \reg"
    .endr
.endm

    TEST_BEGIN
    /* Stores. */
    LOAD_PATTERN
    ldr     r9, =block + 48
    stmia.w r9, {r0, r2, r4, r6}
    RECORD_BASE "stmia.w no writeback"
    stmia.w r9!, {r1, r3, r5, r8, r10, r12, lr}
    RECORD_BASE "stmia.w writeback"
    ldr     r9, =block + 48
    stmdb   r9, {r0, r1, r12}
    RECORD_BASE "stmdb no writeback"
    stmdb   r9!, {r2-r6, r8, r10}
    RECORD_BASE "stmdb writeback"
    mov     lr, #0
    DUMP_BLOCK "stm 32-bit"

    LOAD_PATTERN
    ldr     r4, =block + 16
    stmia   r4!, {r0-r3}
    ldr     r8, =block
    sub     r8, r4, r8
    RECORD  r8, "stmia.n base offset"
    stmia   r4!, {r5, r7}
    ldr     r8, =block
    sub     r8, r4, r8
    RECORD  r8, "stmia.n second base offset"
    DUMP_BLOCK "stm 16-bit"

    /* Loads from a block filled with a known pattern. */
    LOAD_PATTERN
    ldr     r9, =block
    stmia.w r9, {r0-r10, r12}
    ldr     r9, =block + 48
    stmia.w r9, {r0-r10, r12}
    mov     r0, #0
    mov     r1, #0
    mov     r2, #0
    mov     r3, #0
    mov     r4, #0
    mov     r5, #0
    mov     r6, #0
    ldr     r9, =block + 48
    ldmia.w r9, {r0, r2, r4}
    RECORD_REGS "ldmia.w", r0, r2, r4
    RECORD_BASE "ldmia.w no writeback"
    ldmia.w r9!, {r1, r3, r5, r6, r8, r10, r12}
    RECORD_REGS "ldmia.w!", r1, r3, r5, r6, r8, r10, r12
    RECORD_BASE "ldmia.w writeback"
    ldmdb   r9, {r0, r1, lr}
    RECORD_REGS "ldmdb", r0, r1, lr
    RECORD_BASE "ldmdb no writeback"
    ldmdb   r9!, {r2-r6, r8}
    RECORD_REGS "ldmdb!", r2, r3, r4, r5, r6, r8
    RECORD_BASE "ldmdb writeback"
    ldmdb   r9!, {r0-r7, r10, r12}
    RECORD_REGS "ldmdb! 10 registers", r0, r1, r2, r3, r4, r5, r6, r7, r10, r12
    RECORD_BASE "ldmdb! 10 registers"

    ldr     r4, =block + 8
    ldmia   r4!, {r0-r3}
    RECORD_REGS "ldmia.n!", r0, r1, r2, r3
    ldr     r8, =block
    sub     r8, r4, r8
    RECORD  r8, "ldmia.n! base offset"
    ldr     r2, =block + 4
    ldmia   r2, {r0-r2}
    RECORD_REGS "ldmia.n base in list", r0, r1, r2
    ldr     r3, =block + 20
    ldmia.w r3, {r3, r5}
    RECORD_REGS "ldmia.w base in list", r3, r5

    /* LDM that loads the PC: branches to the loaded address (Thumb bit set). */
    ldr     r9, =jump_words
    movs    r0, #0
    ldmia.w r9, {r0, r1, pc}
    movs    r0, #0x99                   /* skipped */
ldm_pc_target:
    RECORD_REGS "ldmia {r0, r1, pc}", r0, r1
    ldr     r9, =jump_words + 20
    ldmdb   r9!, {r1, r2, pc}
    movs    r1, #0x99                   /* skipped */
ldmdb_pc_target:
    RECORD_REGS "ldmdb {r1, r2, pc}", r1, r2
    ldr     r8, =jump_words
    sub     r8, r9, r8
    RECORD  r8, "ldmdb! with pc base offset"

    /* PUSH and POP. */
    LOAD_PATTERN
    mov     r10, sp
    push    {r0-r3}
    push    {r4-r7, lr}
    push.w  {r8, r9, r12}
    push    {r5}
    mov     r9, sp
    sub     r9, r10, r9
    RECORD  r9, "push depth"
    movs    r0, #0
    movs    r1, #0
    movs    r4, #0
    movs    r5, #0
    pop     {r6}
    pop.w   {r1, r4, r5}
    RECORD_REGS "pop.w", r6, r1, r4, r5
    pop     {r0, r2, r3, r7, r8}
    RECORD_REGS "pop", r0, r2, r3, r7, r8
    pop     {r0-r3}
    RECORD_REGS "pop low", r0, r1, r2, r3
    mov     r9, sp
    sub     r9, r10, r9
    RECORD  r9, "stack balance"

    /* POP {pc} returns from a subroutine; BL sets LR with the Thumb bit. */
    movs    r0, #5
    bl      pop_pc_subroutine
    RECORD  r0, "pop {r4, pc} result"
    bl      pop_pc_wide_subroutine
    RECORD  r0, "pop.w {r4-r8, pc} result"
    mov     r9, sp
    sub     r9, r10, r9
    RECORD  r9, "stack balance after calls"
    TEST_END

    .type pop_pc_subroutine, %function
    .thumb_func
pop_pc_subroutine:
    push    {r4, lr}
    movs    r4, #3
    muls    r0, r4, r0
    pop     {r4, pc}

    .type pop_pc_wide_subroutine, %function
    .thumb_func
pop_pc_wide_subroutine:
    push.w  {r4-r8, lr}
    mov     r8, #100
    add     r0, r0, r8
    pop.w   {r4-r8, pc}

    .section .rodata
    .balign 4
jump_words:
    .word   0x1111aaaa, 0x2222bbbb, ldm_pc_target + 1, 0x3333cccc
    .word   ldmdb_pc_target + 1
