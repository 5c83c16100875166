/*
 * A Dhrystone-like mix of our own: records copied and compared, short string handling,
 * calls through function pointers, a switch, integer division and array updates.
 */
#include "bench.h"

struct record
{
    struct record *next;
    uint32_t kind;
    int32_t value;
    char name[24];
};

static struct record records[16];
static int32_t grid[32][32];
static char buffer[32];

static int32_t op_add(int32_t a, int32_t b) { return a + b; }
static int32_t op_sub(int32_t a, int32_t b) { return a - b; }
static int32_t op_div(int32_t a, int32_t b) { return b == 0 ? a : a / b; }
static int32_t op_mod(int32_t a, int32_t b) { return b == 0 ? a : a % b; }

static int32_t (*const operations[])(int32_t, int32_t) = {op_add, op_sub, op_div, op_mod};

static void copy_string(char *to, const char *from)
{
    while ((*to++ = *from++) != '\0')
    {
    }
}

static int compare_strings(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b)
    {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static uint32_t classify(int32_t value)
{
    switch ((uint32_t)value & 7u)
    {
    case 0: return 3;
    case 1: return 1;
    case 2:
    case 3: return 4;
    case 5: return 9;
    default: return (uint32_t)value >> 28;
    }
}

int main(void)
{
    const uint32_t rounds = BENCH_ROUNDS(800000, 50);
    static const char *const names[] = {"DHRY-LIKE PROGRAM, 1ST STRING", "SOME RECORD",
                                        "ANOTHER RECORD NAME", "X"};
    for (int i = 0; i < 16; i++)
    {
        records[i].next = &records[(i + 5) % 16];
        records[i].kind = (uint32_t)i;
        records[i].value = i * 7 - 40;
        copy_string(records[i].name, names[i % 4]);
    }

    uint32_t seed = 0xd00dfeedu;
    uint32_t checksum = 0;
    struct record *current = &records[0];
    for (uint32_t round = 0; round < rounds; round++)
    {
        const uint32_t random = bench_next(&seed);
        struct record copy = *current;                  /* structure assignment */
        copy.value = operations[random & 3](copy.value, (int32_t)(random >> 24) - 100);
        copy.kind = classify(copy.value);
        copy_string(buffer, copy.name);
        buffer[random % 8] = (char)('A' + (random >> 8) % 26);
        const int order = compare_strings(buffer, current->name);
        grid[random & 31][(random >> 5) & 31] += copy.value;
        grid[(random >> 10) & 31][round & 31] ^= order;
        current->value = copy.value % 1000;
        current->kind = copy.kind;
        current = current->next;
        checksum = (checksum << 3) ^ (checksum >> 29) ^ (uint32_t)copy.value ^ copy.kind
                   ^ (uint32_t)order;
    }
    for (int i = 0; i < 32; i++)
    {
        for (int j = 0; j < 32; j++)
        {
            checksum += (uint32_t)grid[i][j] * (uint32_t)(i + j);
        }
    }
    bench_report("mix", rounds, checksum);
    return 0;
}
