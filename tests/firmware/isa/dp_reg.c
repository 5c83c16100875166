/*
 * Data processing with register operands: 32-bit forms with every immediate shift type
 * (LSL/LSR/ASR/ROR, LSR/ASR #32 and RRX, whose shifter carry-out feeds the logical
 * S-variants), and the 16-bit register forms, which set flags outside IT blocks.
 */
#include "harness.h"

#define SHIFTS(X, op)                                                                       \
    X(op, "")                                                                               \
    X(op, ", lsl #1")                                                                       \
    X(op, ", lsl #31")                                                                      \
    X(op, ", lsr #1")                                                                       \
    X(op, ", lsr #31")                                                                      \
    X(op, ", lsr #32")                                                                      \
    X(op, ", asr #1")                                                                       \
    X(op, ", asr #31")                                                                      \
    X(op, ", asr #32")                                                                      \
    X(op, ", ror #1")                                                                       \
    X(op, ", ror #16")                                                                      \
    X(op, ", ror #31")                                                                      \
    X(op, ", rrx")

#define RUN_OP_SHIFTED(op, shift) RUN_BINARY_SPARSE(op " %[rd], %[rn], %[rm]" shift);
#define RUN_CMP_SHIFTED(op, shift) RUN_COMPARE(op " %[rn], %[rm]" shift, 6);
#define RUN_MOV_SHIFTED(op, shift) RUN_UNARY(op " %[rd], %[rn]" shift);

static void test_full_cross_product(void)
{
    RUN_BINARY("ands.w %[rd], %[rn], %[rm]");
    RUN_BINARY("adds.w %[rd], %[rn], %[rm]");
    RUN_BINARY("adcs.w %[rd], %[rn], %[rm]");
    RUN_BINARY("subs.w %[rd], %[rn], %[rm]");
    RUN_BINARY("sbcs.w %[rd], %[rn], %[rm]");
    RUN_BINARY("rsbs.w %[rd], %[rn], %[rm]");
    RUN_COMPARE("cmp.w %[rn], %[rm]", 1);
    RUN_COMPARE("cmn.w %[rn], %[rm]", 1);
}

static void test_shifted_register(void)
{
    SHIFTS(RUN_OP_SHIFTED, "ands.w")
    SHIFTS(RUN_OP_SHIFTED, "bics.w")
    SHIFTS(RUN_OP_SHIFTED, "orrs.w")
    SHIFTS(RUN_OP_SHIFTED, "orns.w")
    SHIFTS(RUN_OP_SHIFTED, "eors.w")
    SHIFTS(RUN_OP_SHIFTED, "adds.w")
    SHIFTS(RUN_OP_SHIFTED, "adcs.w")
    SHIFTS(RUN_OP_SHIFTED, "subs.w")
    SHIFTS(RUN_OP_SHIFTED, "sbcs.w")
    SHIFTS(RUN_OP_SHIFTED, "rsbs.w")
    SHIFTS(RUN_OP_SHIFTED, "and.w")
    SHIFTS(RUN_OP_SHIFTED, "add.w")
    SHIFTS(RUN_OP_SHIFTED, "sbc.w")
    SHIFTS(RUN_CMP_SHIFTED, "tst.w")
    SHIFTS(RUN_CMP_SHIFTED, "teq.w")
    SHIFTS(RUN_CMP_SHIFTED, "cmp.w")
    SHIFTS(RUN_CMP_SHIFTED, "cmn.w")
    SHIFTS(RUN_MOV_SHIFTED, "mvns.w")
    SHIFTS(RUN_MOV_SHIFTED, "mvn.w")
}

static void test_shift_immediate_aliases(void)
{
    /* The shift instructions with an immediate are MOV (shifted register) encodings. */
    RUN_UNARY("movs.w %[rd], %[rn]");
    RUN_UNARY("mov.w %[rd], %[rn]");
    RUN_UNARY("lsls.w %[rd], %[rn], #1");
    RUN_UNARY("lsls.w %[rd], %[rn], #31");
    RUN_UNARY("lsrs.w %[rd], %[rn], #1");
    RUN_UNARY("lsrs.w %[rd], %[rn], #32");
    RUN_UNARY("asrs.w %[rd], %[rn], #1");
    RUN_UNARY("asrs.w %[rd], %[rn], #32");
    RUN_UNARY("rors.w %[rd], %[rn], #1");
    RUN_UNARY("rors.w %[rd], %[rn], #31");
    RUN_UNARY("rrxs.w %[rd], %[rn]");
    RUN_UNARY("rrx.w %[rd], %[rn]");
    RUN_UNARY("lsr.w %[rd], %[rn], #32");
    RUN_UNARY("asr.w %[rd], %[rn], #17");
}

#define RUN_LOW_BINARY(text) RUN_BINARY_ON(text, "l", edge_values, edge_values, 3)

static void test_narrow_register_forms(void)
{
    RUN_LOW_BINARY("adds.n %[rd], %[rn], %[rm]");
    RUN_LOW_BINARY("subs.n %[rd], %[rn], %[rm]");
    RUN_BINARY_TIED_LOW("ands.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("eors.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("orrs.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("bics.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("adcs.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("sbcs.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("mvns.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("add.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("mov.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("movs.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("rsbs.n %[rd], %[rm], #0");
    RUN_BINARY_TIED_LOW("tst.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("cmp.n %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("cmn.n %[rd], %[rm]");
    RUN_UNARY_TIED_LOW("lsls.n %[rd], %[rd], #1");
    RUN_UNARY_TIED_LOW("lsls.n %[rd], %[rd], #31");
    RUN_UNARY_TIED_LOW("lsrs.n %[rd], %[rd], #1");
    RUN_UNARY_TIED_LOW("lsrs.n %[rd], %[rd], #32");
    RUN_UNARY_TIED_LOW("asrs.n %[rd], %[rd], #31");
    RUN_UNARY_TIED_LOW("asrs.n %[rd], %[rd], #32");
}

/* 16-bit forms that reach the high registers and never set flags. */
static void test_high_register_forms(void)
{
    unsigned case_number = 0;
    for (unsigned i = 0; i < COUNT_OF(edge_values); i++)
    {
        for (unsigned j = i % 3; j < COUNT_OF(edge_values); j += 3)
        {
            const uint32_t operands[2] = {edge_values[i], edge_values[j]};
            const uint32_t flags_in = flags_for_case(case_number++);
            uint32_t sum, moved, flags_add, flags_cmp;
            __asm__ volatile("mov r8, %[a]\n\t"
                             "mov r9, %[b]\n\t"
                             "msr apsr_nzcvq, %[fin]\n\t"
                             "add.n r8, r9\n\t"
                             "mrs %[fadd], apsr\n\t"
                             "mov.n %[sum], r8\n\t"
                             "mov.n r10, r9\n\t"
                             "mov.n %[moved], r10\n\t"
                             "cmp.n r9, %[a]\n\t"
                             "mrs %[fcmp], apsr"
                             : [sum] "=&l"(sum), [moved] "=&l"(moved), [fadd] "=&r"(flags_add),
                               [fcmp] "=&r"(flags_cmp)
                             : [a] "l"(operands[0]), [b] "l"(operands[1]), [fin] "r"(flags_in)
                             : "r8", "r9", "r10", "cc");
            report_case("add.n r8, r9", 2, operands, flags_in, sum, flags_add);
            report_case("mov.n r10, r9", 2, operands, flags_in, moved, flags_add);
            report_case("cmp.n r9, rlow", 2, operands, flags_in, 0, flags_cmp);
        }
    }
}

int main(void)
{
    test_full_cross_product();
    test_shifted_register();
    test_shift_immediate_aliases();
    test_narrow_register_forms();
    test_high_register_forms();
    return 0;
}
