/* Table-driven CRC-32 over a 4 KiB buffer, one byte of which changes every round. */
#include "bench.h"

#define DATA_SIZE 4096

static uint8_t data[DATA_SIZE];
static uint32_t table[256];

int main(void)
{
    const uint32_t rounds = BENCH_ROUNDS(7000, 2);
    for (uint32_t i = 0; i < 256; i++)
    {
        uint32_t value = i;
        for (int bit = 0; bit < 8; bit++)
        {
            value = (value >> 1) ^ (0xedb88320u & (0u - (value & 1u)));
        }
        table[i] = value;
    }
    uint32_t seed = 0x1234567u;
    for (uint32_t i = 0; i < DATA_SIZE; i++)
    {
        data[i] = (uint8_t)bench_next(&seed);
    }

    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++)
    {
        uint32_t crc = ~checksum;
        for (uint32_t i = 0; i < DATA_SIZE; i++)
        {
            crc = (crc >> 8) ^ table[(crc ^ data[i]) & 0xffu];
        }
        checksum = ~crc;
        data[round % DATA_SIZE] ^= (uint8_t)checksum;
    }
    bench_report("crc32", rounds, checksum);
    return 0;
}
