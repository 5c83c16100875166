/*
 * Shifts by a register: only the bottom byte of the amount counts, so amounts 0, 32, 33,
 * 255, 256 and values with high garbage are all distinct cases for result and carry.
 */
#include "harness.h"

#define RUN_SHIFT(text) RUN_BINARY_ON(text, "r", edge_values, shift_amounts, 1)
#define RUN_SHIFT_LOW(text) RUN_BINARY_ON_TIED_SHIFT(text)

#define RUN_BINARY_ON_TIED_SHIFT(text)                                                          \
    do                                                                                          \
    {                                                                                           \
        unsigned case_ = 0;                                                                     \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_++)                                 \
        {                                                                                       \
            for (unsigned j_ = 0; j_ < COUNT_OF(shift_amounts); j_++)                           \
            {                                                                                   \
                const uint32_t ops_[2] = {edge_values[i_], shift_amounts[j_]};                  \
                const uint32_t fin_ = flags_for_case(case_++);                                  \
                uint32_t rd_ = ops_[0], fout_;                                                  \
                __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"      \
                                 : [rd] "+l"(rd_), [fout] "=&r"(fout_)                          \
                                 : [rm] "l"(ops_[1]), [fin] "r"(fin_)                           \
                                 : "cc");                                                       \
                report_case(text, 2, ops_, fin_, rd_, fout_);                                   \
            }                                                                                   \
        }                                                                                       \
    } while (0)

int main(void)
{
    RUN_SHIFT("lsls.w %[rd], %[rn], %[rm]");
    RUN_SHIFT("lsrs.w %[rd], %[rn], %[rm]");
    RUN_SHIFT("asrs.w %[rd], %[rn], %[rm]");
    RUN_SHIFT("rors.w %[rd], %[rn], %[rm]");
    RUN_SHIFT("lsl.w %[rd], %[rn], %[rm]");
    RUN_SHIFT("asr.w %[rd], %[rn], %[rm]");
    RUN_SHIFT_LOW("lsls.n %[rd], %[rm]");
    RUN_SHIFT_LOW("lsrs.n %[rd], %[rm]");
    RUN_SHIFT_LOW("asrs.n %[rd], %[rm]");
    RUN_SHIFT_LOW("rors.n %[rd], %[rm]");
    return 0;
}
