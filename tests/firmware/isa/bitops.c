/*
 * Bit-field and byte instructions: BFI/BFC/UBFX/SBFX over edge positions, SXTB/SXTH/UXTB/
 * UXTH with every rotation (and their 16-bit forms), REV/REV16/REVSH/RBIT/CLZ, and SSAT/
 * USAT with shifted inputs, whose saturation sets the sticky Q flag.
 */
#include "harness.h"

#define FIELDS(X, op)                                                                       \
    X(op, 0, 1)                                                                             \
    X(op, 0, 8)                                                                             \
    X(op, 0, 31)                                                                            \
    X(op, 0, 32)                                                                            \
    X(op, 1, 31)                                                                            \
    X(op, 4, 20)                                                                            \
    X(op, 7, 9)                                                                             \
    X(op, 8, 8)                                                                             \
    X(op, 15, 2)                                                                            \
    X(op, 16, 16)                                                                           \
    X(op, 24, 8)                                                                            \
    X(op, 31, 1)

/* BFI and BFC keep the unselected destination bits, so the destination is an input too. */
#define RUN_INSERT(text)                                                                        \
    do                                                                                          \
    {                                                                                           \
        unsigned case_ = 0;                                                                     \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_ += 2)                              \
        {                                                                                       \
            for (unsigned j_ = 0; j_ < COUNT_OF(edge_values); j_ += 3)                          \
            {                                                                                   \
                const uint32_t ops_[2] = {edge_values[i_], edge_values[j_]};                    \
                const uint32_t fin_ = flags_for_case(case_++);                                  \
                uint32_t rd_ = ops_[0], fout_;                                                  \
                __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"      \
                                 : [rd] "+r"(rd_), [fout] "=&r"(fout_)                          \
                                 : [rn] "r"(ops_[1]), [fin] "r"(fin_)                           \
                                 : "cc");                                                       \
                report_case(text, 2, ops_, fin_, rd_, fout_);                                   \
            }                                                                                   \
        }                                                                                       \
    } while (0)

#define RUN_BFI(op, lsb, width) RUN_INSERT("bfi %[rd], %[rn], #" #lsb ", #" #width);
#define RUN_BFC(op, lsb, width) RUN_INSERT("bfc %[rd], #" #lsb ", #" #width " @ %[rn]");
#define RUN_EXTRACT(op, lsb, width) RUN_UNARY(op " %[rd], %[rn], #" #lsb ", #" #width);

#define RUN_EXTEND_ROTATIONS(op)                                                            \
    RUN_UNARY(op ".w %[rd], %[rn]");                                                        \
    RUN_UNARY(op ".w %[rd], %[rn], ror #8");                                                \
    RUN_UNARY(op ".w %[rd], %[rn], ror #16");                                               \
    RUN_UNARY(op ".w %[rd], %[rn], ror #24");                                               \
    RUN_UNARY_TIED_LOW(op ".n %[rd], %[rd]");

static const uint32_t saturation_inputs[] = {
    0x00000000, 0x00000001, 0x0000007f, 0x00000080, 0x000000ff, 0x00000100, 0x00007fff,
    0x00008000, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0x80000001, 0xffffff80,
    0xffffff7f, 0xffff8000, 0xffffffff, 0xc0000000,
};

#define RUN_SAT(text) RUN_UNARY_ON(text, saturation_inputs)

int main(void)
{
    FIELDS(RUN_BFI, bfi)
    FIELDS(RUN_BFC, bfc)
    FIELDS(RUN_EXTRACT, "ubfx")
    FIELDS(RUN_EXTRACT, "sbfx")

    RUN_EXTEND_ROTATIONS("sxtb")
    RUN_EXTEND_ROTATIONS("sxth")
    RUN_EXTEND_ROTATIONS("uxtb")
    RUN_EXTEND_ROTATIONS("uxth")

    RUN_UNARY("rev.w %[rd], %[rn]");
    RUN_UNARY("rev16.w %[rd], %[rn]");
    RUN_UNARY("revsh.w %[rd], %[rn]");
    RUN_UNARY_TIED_LOW("rev.n %[rd], %[rd]");
    RUN_UNARY_TIED_LOW("rev16.n %[rd], %[rd]");
    RUN_UNARY_TIED_LOW("revsh.n %[rd], %[rd]");
    RUN_UNARY("rbit %[rd], %[rn]");
    RUN_UNARY("clz %[rd], %[rn]");
    RUN_UNARY_ON("clz %[rd], %[rn]", saturation_inputs);

    RUN_SAT("ssat %[rd], #1, %[rn]");
    RUN_SAT("ssat %[rd], #8, %[rn]");
    RUN_SAT("ssat %[rd], #16, %[rn]");
    RUN_SAT("ssat %[rd], #31, %[rn]");
    RUN_SAT("ssat %[rd], #32, %[rn]");
    RUN_SAT("ssat %[rd], #8, %[rn], lsl #4");
    RUN_SAT("ssat %[rd], #16, %[rn], lsl #31");
    RUN_SAT("ssat %[rd], #8, %[rn], asr #1");
    RUN_SAT("ssat %[rd], #12, %[rn], asr #31");
    RUN_SAT("usat %[rd], #0, %[rn]");
    RUN_SAT("usat %[rd], #1, %[rn]");
    RUN_SAT("usat %[rd], #8, %[rn]");
    RUN_SAT("usat %[rd], #16, %[rn]");
    RUN_SAT("usat %[rd], #31, %[rn]");
    RUN_SAT("usat %[rd], #8, %[rn], lsl #8");
    RUN_SAT("usat %[rd], #15, %[rn], asr #3");
    RUN_SAT("usat %[rd], #31, %[rn], asr #31");
    return 0;
}
