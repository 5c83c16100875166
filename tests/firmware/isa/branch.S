/*
 * Branches: every condition code against all 16 NZCV combinations in the 16-bit and 32-bit
 * conditional encodings (a recorded bit per combination that took the branch), backward
 * conditional loops, far unconditional branches and BL across padding, BX/BLX register with
 * the Thumb bit, MOV/ADD/LDR to PC, TBB/TBH with PC and register bases, and CBZ/CBNZ.
 */
#include "record.inc"
    .file "branch.S"

/* r5 gets bit k set when the branch is taken with NZCV = k. */
.macro CONDITION_MASK cond, width
    movs    r5, #0
    movs    r4, #15
1:  lsls    r0, r4, #28
    msr     apsr_nzcvq, r0
    b\cond\().\width 2f
    b.n     3f
2:  movs    r0, #1
    lsls    r0, r0, r4
    orrs    r5, r5, r0
3:  subs    r4, r4, #1
    bpl     1b
    RECORD  r5, "b\cond\().\width taken for nzcv"
.endm

/* The same with a backward target. */
.macro CONDITION_MASK_BACKWARD cond
    movs    r5, #0
    movs    r4, #15
    b.n     3f
2:  movs    r0, #1
    lsls    r0, r0, r4
    orrs    r5, r5, r0
    b.n     4f
3:  lsls    r0, r4, #28
    msr     apsr_nzcvq, r0
    b\cond\().w 2b
4:  subs    r4, r4, #1
    bpl     3b
    RECORD  r5, "b\cond\().w backward taken for nzcv"
.endm

    TEST_BEGIN
    .irp cond, eq, ne, cs, cc, mi, pl, vs, vc, hi, ls, ge, lt, gt, le
    CONDITION_MASK \cond, n
    CONDITION_MASK \cond, w
    CONDITION_MASK_BACKWARD \cond
    .endr
    .irp cond, hs, lo
    CONDITION_MASK \cond, n
    .endr

    /* Far branches over padding that a 16-bit branch cannot span. */
    movs    r0, #1
    b.w     far_forward
far_back:
    adds    r0, r0, #4
    b.w     far_done
    .space  4096
far_forward:
    adds    r0, r0, #2
    b.w     far_back
far_done:
    RECORD  r0, "far branches"
    movs    r0, #7
    bl      far_subroutine
    RECORD  r0, "bl to far subroutine"

    /* BX and BLX with the Thumb bit set. */
    adr     r1, bx_target + 1
    movs    r0, #0
    bx      r1
    movs    r0, #0x99                   /* skipped */
    .balign 4
bx_target:
    adds    r0, r0, #0x11
    RECORD  r0, "bx register"
    ldr     r3, =near_subroutine
    movs    r0, #3
    blx     r3
    RECORD  r0, "blx register"
    mov     r8, r3
    blx     r8
    RECORD  r0, "blx high register"

    /* Writes to PC by data-processing instructions and loads. */
    adr     r2, mov_pc_target + 1
    movs    r0, #0
    mov     pc, r2
    movs    r0, #0x99                   /* skipped */
    .balign 4
mov_pc_target:
    adds    r0, r0, #0x22
    RECORD  r0, "mov pc, rm"
    movs    r0, #0
    movs    r2, #2
    add     pc, r2                      /* PC reads as this instruction + 4; +2 skips two */
    movs    r0, #0x99                   /* skipped */
    movs    r0, #0x98                   /* skipped */
    adds    r0, r0, #0x33
    RECORD  r0, "add pc, rm"
    ldr     r2, =ldr_pc_words
    movs    r0, #0
    ldr     pc, [r2]
    movs    r0, #0x99                   /* skipped */
ldr_pc_target:
    adds    r0, r0, #0x44
    RECORD  r0, "ldr pc, [rn]"
    ldr     r2, [r2, #4]
    push    {r2}
    movs    r0, #0
    ldr     pc, [sp], #4
    movs    r0, #0x99                   /* skipped */
ldr_pc_post_target:
    adds    r0, r0, #0x55
    RECORD  r0, "ldr pc, [sp], #4"

    /* Table branches. */
    movs    r5, #0
    movs    r4, #0
tbb_loop:
    tbb     [pc, r4]
tbb_table:
    .byte   (tbb_case0 - tbb_table) / 2, (tbb_case1 - tbb_table) / 2
    .byte   (tbb_case2 - tbb_table) / 2, (tbb_case3 - tbb_table) / 2
tbb_case3:
    adds    r5, r5, #8
    b.n     tbb_next
tbb_case1:
    adds    r5, r5, #2
    b.n     tbb_next
tbb_case0:
    adds    r5, r5, #1
    b.n     tbb_next
tbb_case2:
    lsls    r5, r5, #4
tbb_next:
    adds    r4, r4, #1
    cmp     r4, #4
    blo     tbb_loop
    RECORD  r5, "tbb [pc, rm] cases"

    movs    r5, #0
    movs    r4, #0
tbh_loop:
    tbh     [pc, r4, lsl #1]
tbh_table:
    .hword  (tbh_case0 - tbh_table) / 2, (tbh_case1 - tbh_table) / 2, (tbh_case2 - tbh_table) / 2
tbh_case1:
    adds    r5, r5, #0x10
    b.w     tbh_next
tbh_case0:
    adds    r5, r5, #0x01
    b.w     tbh_next
    .space  600                         /* pushes the last case beyond a byte offset */
tbh_case2:
    adds    r5, r5, #0x40
tbh_next:
    adds    r4, r4, #1
    cmp     r4, #3
    blo     tbh_loop
    RECORD  r5, "tbh [pc, rm, lsl #1] cases"

    /* TBB with a register base: offsets stay relative to the TBB instruction's PC. */
    adr     r1, register_table
    movs    r5, #0
    movs    r4, #2
register_tbb_loop:
    tbb     [r1, r4]
register_tbb_pc:
    adds    r5, r5, #0x100
    b.n     register_tbb_next
register_case1:
    adds    r5, r5, #0x20
    b.n     register_tbb_next
register_case2:
    adds    r5, r5, #0x3
register_tbb_next:
    subs    r4, r4, #1
    bpl     register_tbb_loop
    RECORD  r5, "tbb [rn, rm] cases"
    adr     r1, register_half_table
    movs    r5, #0
    movs    r4, #1
register_tbh_loop:
    tbh     [r1, r4, lsl #1]
register_tbh_pc:
    adds    r5, r5, #0x7
    b.n     register_tbh_next
register_half_case1:
    adds    r5, r5, #0x70
register_tbh_next:
    subs    r4, r4, #1
    bpl     register_tbh_loop
    RECORD  r5, "tbh [rn, rm, lsl #1] cases"

    /* CBZ and CBNZ. */
    movs    r5, #0
    movs    r2, #0
    movs    r3, #1
    cbz     r2, 1f
    adds    r5, r5, #1                  /* skipped */
1:  cbnz    r2, 2f
    adds    r5, r5, #2
2:  cbz     r3, 3f
    adds    r5, r5, #4
3:  cbnz    r3, 4f
    adds    r5, r5, #8                  /* skipped */
    .space  110
4:  RECORD  r5, "cbz/cbnz"
    TEST_END

    .balign 4
register_table:
    .byte   (register_tbb_pc - register_tbb_pc) / 2
    .byte   (register_case1 - register_tbb_pc) / 2
    .byte   (register_case2 - register_tbb_pc) / 2
    .balign 2
register_half_table:
    .hword  (register_tbh_pc - register_tbh_pc) / 2
    .hword  (register_half_case1 - register_tbh_pc) / 2

    .type near_subroutine, %function
    .thumb_func
near_subroutine:
    lsls    r0, r0, #2
    bx      lr

    .space  2048
    .type far_subroutine, %function
    .thumb_func
far_subroutine:
    adds    r0, r0, #100
    bx      lr

    .section .rodata
    .balign 4
ldr_pc_words:
    .word   ldr_pc_target + 1, ldr_pc_post_target + 1
