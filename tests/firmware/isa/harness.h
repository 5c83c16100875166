/*
 * Shared helpers for the C instruction tests: every case runs one instruction between an
 * "msr apsr_nzcvq" that presets the flags and an "mrs" that captures them, and prints
 * inputs, result and flags on one line, so a differential run pinpoints the first mismatch.
 * The printed text is the instruction template with the operand markers %[..] stripped.
 */
#ifndef DSM_ISA_HARNESS_H
#define DSM_ISA_HARNESS_H

#include "runtime.h"

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

static const uint32_t edge_values[] = {
    0x00000000, 0x00000001, 0x00000002, 0x0000001f, 0x00000020, 0x0000ffff, 0x7fffffff,
    0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x12345678, 0xedcba987,
};

/* Shift amounts for register-controlled shifts: only the bottom byte counts. */
static const uint32_t shift_amounts[] = {
    0, 1, 2, 7, 8, 31, 32, 33, 63, 64, 255, 256, 257, 0xffffff1f, 0x80000020,
};

static const uint32_t flag_presets[] = {
    0,
    APSR_C,
    APSR_N | APSR_Z | APSR_C | APSR_V | APSR_Q,
    APSR_Z | APSR_V,
    APSR_N | APSR_C,
    APSR_Q,
    APSR_V | APSR_C,
};

static inline uint32_t flags_for_case(unsigned case_number)
{
    return flag_presets[case_number % COUNT_OF(flag_presets)];
}

static inline void out_template(const char *text)
{
    for (; *text != '\0'; text++)
    {
        if (*text != '%' && *text != '[' && *text != ']')
        {
            out_char(*text);
        }
    }
}

static inline void report_case(const char *text, int operand_count, const uint32_t *operands,
                               uint32_t flags_in, uint32_t result, uint32_t flags_out)
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
    out_hex32(result);
    out_char(' ');
    out_flags(flags_out);
    out_nl();
}

/* One-source instruction: %[rd] result, %[rn] source. */
#define RUN_UNARY_ON(text, values)                                                              \
    do                                                                                          \
    {                                                                                           \
        for (unsigned i_ = 0; i_ < COUNT_OF(values); i_++)                                      \
        {                                                                                       \
            const uint32_t ops_[1] = {(values)[i_]};                                            \
            const uint32_t fin_ = flags_for_case(i_);                                           \
            uint32_t rd_, fout_;                                                                \
            __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"          \
                             : [rd] "=&r"(rd_), [fout] "=&r"(fout_)                             \
                             : [rn] "r"(ops_[0]), [fin] "r"(fin_)                               \
                             : "cc");                                                           \
            report_case(text, 1, ops_, fin_, rd_, fout_);                                       \
        }                                                                                       \
    } while (0)

#define RUN_UNARY(text) RUN_UNARY_ON(text, edge_values)

/* One-source 16-bit instruction on low registers with Rd == Rn (%[rd] only). */
#define RUN_UNARY_TIED_LOW(text)                                                                \
    do                                                                                          \
    {                                                                                           \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_++)                                 \
        {                                                                                       \
            const uint32_t ops_[1] = {edge_values[i_]};                                         \
            const uint32_t fin_ = flags_for_case(i_);                                           \
            uint32_t rd_ = ops_[0], fout_;                                                      \
            __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"          \
                             : [rd] "+l"(rd_), [fout] "=&r"(fout_)                              \
                             : [fin] "r"(fin_)                                                  \
                             : "cc");                                                           \
            report_case(text, 1, ops_, fin_, rd_, fout_);                                       \
        }                                                                                       \
    } while (0)

/* Two-source instruction over pairs of values: %[rd], %[rn], %[rm]. The pair list is the
 * full cross product when stride is 1, otherwise a spread-out subset of it. */
#define RUN_BINARY_ON(text, constraint, left_values, right_values, stride)                      \
    do                                                                                          \
    {                                                                                           \
        unsigned case_ = 0;                                                                     \
        for (unsigned i_ = 0; i_ < COUNT_OF(left_values); i_++)                                 \
        {                                                                                       \
            for (unsigned j_ = i_ % (stride); j_ < COUNT_OF(right_values); j_ += (stride))      \
            {                                                                                   \
                const uint32_t ops_[2] = {(left_values)[i_], (right_values)[j_]};              \
                const uint32_t fin_ = flags_for_case(case_++);                                  \
                uint32_t rd_, fout_;                                                            \
                __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"      \
                                 : [rd] "=&" constraint(rd_), [fout] "=&r"(fout_)               \
                                 : [rn] constraint(ops_[0]), [rm] constraint(ops_[1]),          \
                                   [fin] "r"(fin_)                                              \
                                 : "cc");                                                       \
                report_case(text, 2, ops_, fin_, rd_, fout_);                                   \
            }                                                                                   \
        }                                                                                       \
    } while (0)

#define RUN_BINARY(text) RUN_BINARY_ON(text, "r", edge_values, edge_values, 1)
#define RUN_BINARY_SPARSE(text) RUN_BINARY_ON(text, "r", edge_values, edge_values, 6)

/* Two-source 16-bit instruction with Rdn tied: %[rd] (in/out, low), %[rm] (low). */
#define RUN_BINARY_TIED_LOW(text)                                                               \
    do                                                                                          \
    {                                                                                           \
        unsigned case_ = 0;                                                                     \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_++)                                 \
        {                                                                                       \
            for (unsigned j_ = i_ % 2; j_ < COUNT_OF(edge_values); j_ += 2)                     \
            {                                                                                   \
                const uint32_t ops_[2] = {edge_values[i_], edge_values[j_]};                    \
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

/* Compare-like instruction without a destination: %[rn], %[rm]; reports only the flags. */
#define RUN_COMPARE(text, stride)                                                               \
    do                                                                                          \
    {                                                                                           \
        unsigned case_ = 0;                                                                     \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_++)                                 \
        {                                                                                       \
            for (unsigned j_ = i_ % (stride); j_ < COUNT_OF(edge_values); j_ += (stride))       \
            {                                                                                   \
                const uint32_t ops_[2] = {edge_values[i_], edge_values[j_]};                    \
                const uint32_t fin_ = flags_for_case(case_++);                                  \
                uint32_t fout_;                                                                 \
                __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"      \
                                 : [fout] "=&r"(fout_)                                          \
                                 : [rn] "r"(ops_[0]), [rm] "r"(ops_[1]), [fin] "r"(fin_)        \
                                 : "cc");                                                       \
                report_case(text, 2, ops_, fin_, 0, fout_);                                     \
            }                                                                                   \
        }                                                                                       \
    } while (0)

/* Compare-like instruction with an immediate: %[rn] only. */
#define RUN_COMPARE_IMM(text)                                                                   \
    do                                                                                          \
    {                                                                                           \
        for (unsigned i_ = 0; i_ < COUNT_OF(edge_values); i_++)                                 \
        {                                                                                       \
            const uint32_t ops_[1] = {edge_values[i_]};                                         \
            const uint32_t fin_ = flags_for_case(i_);                                           \
            uint32_t fout_;                                                                     \
            __asm__ volatile("msr apsr_nzcvq, %[fin]\n\t" text "\n\tmrs %[fout], apsr"          \
                             : [fout] "=&r"(fout_)                                              \
                             : [rn] "l"(ops_[0]), [fin] "r"(fin_)                               \
                             : "cc");                                                           \
            report_case(text, 1, ops_, fin_, 0, fout_);                                         \
        }                                                                                       \
    } while (0)

#endif
