/*
 * Self-modifying and RAM-resident code: functions are copied into SRAM, called, patched
 * (16-bit and 32-bit immediates, a hot loop's body, an instruction patched by the running
 * code itself, a whole function replaced) and called again after DSB + ISB. An emulator
 * that caches decoded instructions must notice every change.
 */
#include "runtime.h"

extern const uint16_t template_constant[], template_constant_movs[], template_constant_movw[];
extern const uint16_t template_constant_end[];
extern const uint16_t template_loop[], template_loop_step[], template_loop_end[];
extern const uint16_t template_self_patch[], template_self_patch_slot[];
extern const uint16_t template_self_patch_end[];
extern const uint16_t template_replacement[], template_replacement_end[];

static uint16_t ram_code[64] __attribute__((aligned(8)));

typedef uint32_t (*function0)(void);
typedef uint32_t (*function1)(uint32_t);
typedef uint32_t (*function2)(volatile uint16_t *, uint32_t);

static void synchronise(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

/* Copies a template into ram_code and returns the index of a marker within it. */
static unsigned install(const uint16_t *start, const uint16_t *end, const uint16_t *marker)
{
    memcpy(ram_code, start, (size_t)(end - start) * sizeof(uint16_t));
    synchronise();
    return (unsigned)(marker - start);
}

static uintptr_t entry(void)
{
    return (uintptr_t)ram_code | 1u; /* Thumb bit */
}

static void report(const char *label, uint32_t value)
{
    out_str(label);
    out_str(" = ");
    out_hex32(value);
    out_nl();
}

/* Encodes MOVW r1, #value (T3). */
static void encode_movw_r1(volatile uint16_t *slot, uint32_t value)
{
    slot[0] = (uint16_t)(0xf240u | ((value >> 1) & 0x0400u) | ((value >> 12) & 0x000fu));
    slot[1] = (uint16_t)(((value << 4) & 0x7000u) | 0x0100u | (value & 0x00ffu));
}

int main(void)
{
    volatile uint16_t *code = ram_code;

    unsigned movs_index = install(template_constant, template_constant_end,
                                  template_constant_movs);
    unsigned movw_index = (unsigned)(template_constant_movw - template_constant);
    report("constant as copied", ((function0)entry())());
    for (uint32_t value = 0; value < 256; value += 51)
    {
        code[movs_index] = (uint16_t)(0x2000u | value); /* movs r0, #value */
        synchronise();
        out_str("movs patched to ");
        out_udec(value);
        report("", ((function0)entry())());
    }
    encode_movw_r1(&code[movw_index], 0xbeef);
    synchronise();
    report("movw patched to 0xbeef", ((function0)entry())());
    /* One word store that covers both halves of the 32-bit instruction. */
    uint32_t both_halves;
    encode_movw_r1(&code[movw_index], 0x0f0f);
    memcpy(&both_halves, (const void *)&code[movw_index], sizeof both_halves);
    encode_movw_r1(&code[movw_index], 0xffff);
    synchronise();
    report("movw patched to 0xffff", ((function0)entry())());
    if ((movw_index & 1u) == 0)
    {
        *(volatile uint32_t *)&code[movw_index] = both_halves;
    }
    else
    {
        code[movw_index] = (uint16_t)both_halves;
        code[movw_index + 1] = (uint16_t)(both_halves >> 16);
    }
    synchronise();
    report("movw patched to 0x0f0f", ((function0)entry())());

    unsigned step_index = install(template_loop, template_loop_end, template_loop_step);
    uint32_t total = 0;
    for (int round = 0; round < 50; round++)
    {
        total += ((function1)entry())(100);
    }
    report("hot loop, 50 rounds of sum 1..100", total);
    code[step_index] = 0x4041; /* eors r1, r1, r0 replaces adds r1, r1, r0 */
    synchronise();
    report("loop body patched to eors", ((function1)entry())(100));
    code[step_index] = 0x1809; /* adds r1, r1, r0 again */
    synchronise();
    report("loop body restored", ((function1)entry())(100));

    unsigned slot_index = install(template_self_patch, template_self_patch_end,
                                  template_self_patch_slot);
    report("self patch, unchanged encoding",
           ((function2)entry())(&code[slot_index], 0x2001)); /* movs r0, #1 */
    for (uint32_t value = 7; value < 256; value += 62)
    {
        out_str("self patch to movs #");
        out_udec(value);
        report("", ((function2)entry())(&code[slot_index], 0x2000u | value));
    }

    install(template_constant, template_constant_end, template_constant_movs);
    report("constant reinstalled", ((function0)entry())());
    install(template_replacement, template_replacement_end, template_replacement);
    report("replaced by mvns", ((function1)entry())(0x0000ffff));
    return 0;
}
