/*
 * Data processing with immediates: Thumb-2 modified immediates (all four replicated
 * patterns and rotated forms, whose carry-out is bit 31 of the constant only when rotated),
 * plain 12-bit ADDW/SUBW, MOVW/MOVT and the 16-bit immediate forms.
 */
#include "harness.h"

/* Every constant is encodable; the comment column says which encoding gas must use. */
#define MODIFIED_IMMEDIATES(X, op)                                                          \
    X(op, 0x00000000) /* 00000000 imm8, carry unchanged */                                  \
    X(op, 0x000000ab) /* 000000XY */                                                        \
    X(op, 0x00ab00ab) /* 00XY00XY */                                                        \
    X(op, 0xab00ab00) /* XY00XY00: bit 31 set, still carry unchanged */                     \
    X(op, 0xabababab) /* XYXYXYXY */                                                        \
    X(op, 0xffffffff) /* XYXYXYXY */                                                        \
    X(op, 0x80000000) /* rotated, carry = 1 */                                              \
    X(op, 0xff000000) /* rotated, carry = 1 */                                              \
    X(op, 0x3fc00000) /* rotated, carry = 0 */                                              \
    X(op, 0x000001fe) /* rotated, carry = 0 */                                              \
    X(op, 0x00000100) /* rotated, carry = 0 */                                              \
    X(op, 0x7f800000) /* rotated, carry = 0 */

#define RUN_OP_IMM(op, imm) RUN_UNARY(op " %[rd], %[rn], #" #imm);
#define RUN_MOV_IMM(op, imm) RUN_UNARY(op " %[rd], #" #imm " @ %[rn]");
#define RUN_CMP_IMM(op, imm) RUN_COMPARE_IMM(op " %[rn], #" #imm);

static void test_modified_immediates(void)
{
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "and.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "ands.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "bics.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "orrs.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "orns.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "eors.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "adds.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "adcs.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "subs.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "sbcs.w")
    MODIFIED_IMMEDIATES(RUN_OP_IMM, "rsbs.w")
    MODIFIED_IMMEDIATES(RUN_MOV_IMM, "movs.w")
    MODIFIED_IMMEDIATES(RUN_MOV_IMM, "mvns.w")
    MODIFIED_IMMEDIATES(RUN_CMP_IMM, "tst.w")
    MODIFIED_IMMEDIATES(RUN_CMP_IMM, "teq.w")
    MODIFIED_IMMEDIATES(RUN_CMP_IMM, "cmp.w")
    MODIFIED_IMMEDIATES(RUN_CMP_IMM, "cmn.w")
}

static void test_non_flag_setting(void)
{
    /* Without S the flags must come out exactly as preset. */
    RUN_UNARY("bic.w %[rd], %[rn], #0x80000000");
    RUN_UNARY("orr.w %[rd], %[rn], #0x00ff00ff");
    RUN_UNARY("orn.w %[rd], %[rn], #0xab00ab00");
    RUN_UNARY("eor.w %[rd], %[rn], #0xff000000");
    RUN_UNARY("add.w %[rd], %[rn], #0x7f800000");
    RUN_UNARY("adc.w %[rd], %[rn], #0x000000ff");
    RUN_UNARY("sub.w %[rd], %[rn], #0x00000001");
    RUN_UNARY("sbc.w %[rd], %[rn], #0xabababab");
    RUN_UNARY("rsb.w %[rd], %[rn], #0x00000000");
    RUN_UNARY("mov.w %[rd], #0x80000000 @ %[rn]");
    RUN_UNARY("mvn.w %[rd], #0x000001fe @ %[rn]");
}

static void test_plain_immediates(void)
{
    RUN_UNARY("addw %[rd], %[rn], #0");
    RUN_UNARY("addw %[rd], %[rn], #1");
    RUN_UNARY("addw %[rd], %[rn], #0xfff");
    RUN_UNARY("addw %[rd], %[rn], #0x800");
    RUN_UNARY("subw %[rd], %[rn], #0");
    RUN_UNARY("subw %[rd], %[rn], #1");
    RUN_UNARY("subw %[rd], %[rn], #0xfff");
    RUN_UNARY("subw %[rd], %[rn], #0x123");
    RUN_UNARY("movw %[rd], #0 @ %[rn]");
    RUN_UNARY("movw %[rd], #0xffff @ %[rn]");
    RUN_UNARY("movw %[rd], #0x8001 @ %[rn]");
    RUN_UNARY("mov %[rd], %[rn]\n\tmovt %[rd], #0xffff");
    RUN_UNARY("mov %[rd], %[rn]\n\tmovt %[rd], #0");
    RUN_UNARY("mov %[rd], %[rn]\n\tmovt %[rd], #0x8765");
}

/* 16-bit immediate forms need low registers; outside an IT block they always set flags. */
#define RUN_LOW_UNARY(text)                                                                     \
    do                                                                                          \
    {                                                                                           \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_++)                                 \
        {                                                                                       \
            const uint32_t ops_[1] = {edge_values[i_]};                                         \
            const uint32_t fin_ = flags_for_case(i_ + 3);                                       \
            uint32_t rd_, fout_;                                                                \
            __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"          \
                             : [rd] "=&l"(rd_), [fout] "=&r"(fout_)                             \
                             : [rn] "l"(ops_[0]), [fin] "r"(fin_)                               \
                             : "cc");                                                           \
            report_case(text, 1, ops_, fin_, rd_, fout_);                                       \
        }                                                                                       \
    } while (0)

static void test_narrow_immediates(void)
{
    RUN_LOW_UNARY("adds.n %[rd], %[rn], #0");
    RUN_LOW_UNARY("adds.n %[rd], %[rn], #7");
    RUN_LOW_UNARY("subs.n %[rd], %[rn], #0");
    RUN_LOW_UNARY("subs.n %[rd], %[rn], #7");
    RUN_LOW_UNARY("subs.n %[rd], %[rn], #1");
    RUN_UNARY_TIED_LOW("adds.n %[rd], #255");
    RUN_UNARY_TIED_LOW("adds.n %[rd], #1");
    RUN_UNARY_TIED_LOW("subs.n %[rd], #255");
    RUN_UNARY_TIED_LOW("subs.n %[rd], #128");
    RUN_UNARY_TIED_LOW("movs.n %[rd], #0");
    RUN_UNARY_TIED_LOW("movs.n %[rd], #128");
    RUN_UNARY_TIED_LOW("movs.n %[rd], #255");
    RUN_LOW_UNARY("rsbs.n %[rd], %[rn], #0");
    RUN_COMPARE_IMM("cmp.n %[rn], #0");
    RUN_COMPARE_IMM("cmp.n %[rn], #1");
    RUN_COMPARE_IMM("cmp.n %[rn], #255");
}

int main(void)
{
    test_modified_immediates();
    test_non_flag_setting();
    test_plain_immediates();
    test_narrow_immediates();
    return 0;
}
