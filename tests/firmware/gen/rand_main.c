/*
 * Driver for the generated random sequences: run_random_sequences (generated) calls
 * rand_dump after each sequence, which prints one digest line with r0-r12, the flags and a
 * CRC-32 of the scratch buffer, and then refills the buffer so that lines are independent.
 */
#include "runtime.h"

#define SCRATCH_SIZE 1024

extern void run_random_sequences(void);

uint8_t rand_scratch[SCRATCH_SIZE] __attribute__((aligned(8)));

static uint32_t crc_table[256];
static uint32_t sequence_number;

static void build_crc_table(void)
{
    for (uint32_t i = 0; i < 256; i++)
    {
        crc_table[i] = crc32_update(0, &(uint8_t){(uint8_t)i}, 1) ^ 0xff000000u;
    }
}

static uint32_t scratch_crc(void)
{
    uint32_t crc = 0xffffffffu;
    for (uint32_t i = 0; i < SCRATCH_SIZE; i++)
    {
        crc = (crc >> 8) ^ crc_table[(crc ^ rand_scratch[i]) & 0xff];
    }
    return ~crc;
}

/* A different byte pattern per sequence (xorshift32). */
static void fill_scratch(uint32_t seed)
{
    uint32_t state = 0x9e3779b9u ^ (seed * 0x85ebca6bu);
    uint32_t *words = (uint32_t *)rand_scratch;
    for (uint32_t i = 0; i < SCRATCH_SIZE / 4; i++)
    {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        words[i] = state;
    }
}

/* Called by rand_dump with the APSR and the saved r0-r12. */
void rand_report(uint32_t apsr, const uint32_t *registers)
{
    out_hex(sequence_number, 4);
    for (int i = 0; i < 13; i++)
    {
        out_str(" r");
        out_udec((uint32_t)i);
        out_char('=');
        out_hex32(registers[i]);
    }
    out_char(' ');
    out_flags(apsr);
    out_str(" crc=");
    out_hex32(scratch_crc());
    out_nl();
    sequence_number++;
    fill_scratch(sequence_number);
}

/* Saves r0-r12 (and LR) without disturbing anything the digest reports. */
__asm__(".syntax unified\n"
        ".text\n"
        ".global rand_dump\n"
        ".type rand_dump, %function\n"
        ".thumb_func\n"
        "rand_dump:\n"
        "    push {r0-r12, lr}\n"
        "    mrs r0, apsr\n"
        "    mov r1, sp\n"
        "    bl rand_report\n"
        "    pop {r0-r12, pc}\n"
        ".size rand_dump, . - rand_dump\n");

int main(void)
{
    build_crc_table();
    fill_scratch(0);
    run_random_sequences();
    out_str("sequences ");
    out_udec(sequence_number);
    out_nl();
    return 0;
}
