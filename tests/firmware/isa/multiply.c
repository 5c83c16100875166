/*
 * Multiplies and divides: MUL/MULS (16-bit MULS leaves C and V alone), MLA, MLS, the long
 * multiplies (64-bit results checked in both halves, accumulate inputs included), and
 * SDIV/UDIV including division by zero (result 0 while CCR.DIV_0_TRP is clear) and
 * INT_MIN / -1 (result INT_MIN).
 */
#include "harness.h"

static void report_long(const char *text, const uint32_t *operands, int operand_count,
                        uint32_t flags_in, uint32_t low, uint32_t high, uint32_t flags_out)
{
    out_template(text);
    out_str(" |");
    for (int i = 0; i < operand_count; i++)
    {
        out_char(' ');
        out_hex32(operands[i]);
    }
    out_char(' ');
    out_flags(flags_in);
    out_str(" -> ");
    out_hex32(high);
    out_char(':');
    out_hex32(low);
    out_char(' ');
    out_flags(flags_out);
    out_nl();
}

/* Long multiply: %[lo] and %[hi] are in/out (accumulators), %[rn] and %[rm] inputs. */
#define RUN_LONG(text)                                                                          \
    do                                                                                          \
    {                                                                                           \
        unsigned case_ = 0;                                                                     \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_++)                                 \
        {                                                                                       \
            for (unsigned j_ = i_ % 2; j_ < COUNT_OF(edge_values); j_ += 2)                     \
            {                                                                                   \
                const uint32_t ops_[4] = {edge_values[i_], edge_values[j_],                     \
                                          edge_values[(i_ + 5) % COUNT_OF(edge_values)],        \
                                          edge_values[(j_ + 9) % COUNT_OF(edge_values)]};       \
                const uint32_t fin_ = flags_for_case(case_++);                                  \
                uint32_t lo_ = ops_[2], hi_ = ops_[3], fout_;                                   \
                __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"      \
                                 : [lo] "+&r"(lo_), [hi] "+&r"(hi_), [fout] "=&r"(fout_)        \
                                 : [rn] "r"(ops_[0]), [rm] "r"(ops_[1]), [fin] "r"(fin_)        \
                                 : "cc");                                                       \
                report_long(text, ops_, 4, fin_, lo_, hi_, fout_);                              \
            }                                                                                   \
        }                                                                                       \
    } while (0)

/* Three-source instruction: %[rd] result, %[rn], %[rm], %[ra]. */
#define RUN_TERNARY(text)                                                                       \
    do                                                                                          \
    {                                                                                           \
        unsigned case_ = 0;                                                                     \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_++)                                 \
        {                                                                                       \
            for (unsigned j_ = i_ % 2; j_ < COUNT_OF(edge_values); j_ += 2)                     \
            {                                                                                   \
                const uint32_t ops_[3] = {edge_values[i_], edge_values[j_],                     \
                                          edge_values[(i_ + j_ + 3) % COUNT_OF(edge_values)]};  \
                const uint32_t fin_ = flags_for_case(case_++);                                  \
                uint32_t rd_, fout_;                                                            \
                __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"      \
                                 : [rd] "=&r"(rd_), [fout] "=&r"(fout_)                         \
                                 : [rn] "r"(ops_[0]), [rm] "r"(ops_[1]), [ra] "r"(ops_[2]),     \
                                   [fin] "r"(fin_)                                              \
                                 : "cc");                                                       \
                report_case(text, 3, ops_, fin_, rd_, fout_);                                   \
            }                                                                                   \
        }                                                                                       \
    } while (0)

static const uint32_t divisors[] = {
    0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x00000007, 0x0000ffff, 0x7fffffff,
    0x80000000, 0xffffffff, 0xfffffffe, 0xfffffff9, 0x12345678,
};

int main(void)
{
    RUN_BINARY("mul.w %[rd], %[rn], %[rm]");
    RUN_BINARY_TIED_LOW("muls.n %[rd], %[rm], %[rd]");
    RUN_TERNARY("mla %[rd], %[rn], %[rm], %[ra]");
    RUN_TERNARY("mls %[rd], %[rn], %[rm], %[ra]");
    RUN_LONG("umull %[lo], %[hi], %[rn], %[rm]");
    RUN_LONG("smull %[lo], %[hi], %[rn], %[rm]");
    RUN_LONG("umlal %[lo], %[hi], %[rn], %[rm]");
    RUN_LONG("smlal %[lo], %[hi], %[rn], %[rm]");
    RUN_BINARY_ON("udiv %[rd], %[rn], %[rm]", "r", edge_values, divisors, 1);
    RUN_BINARY_ON("sdiv %[rd], %[rn], %[rm]", "r", edge_values, divisors, 1);
    /* Divides must also work when the destination is one of the sources. */
    RUN_BINARY_TIED_LOW("sdiv %[rd], %[rd], %[rm]");
    RUN_BINARY_TIED_LOW("udiv %[rd], %[rm], %[rd]");
    return 0;
}
