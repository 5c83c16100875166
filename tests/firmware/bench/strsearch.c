/* Substring search: naive and Boyer-Moore-Horspool counts of several patterns in 8 KiB. */
#include "bench.h"

#define TEXT_SIZE 8192

static char text[TEXT_SIZE + 1];

static const char *const patterns[] = {
    "abca", "cabbage", "aaab", "dcbad", "bacab", "ddd", "abcdabcd", "cc",
};

static uint32_t count_naive(const char *pattern, uint32_t length)
{
    uint32_t found = 0;
    for (uint32_t i = 0; i + length <= TEXT_SIZE; i++)
    {
        uint32_t k = 0;
        while (k < length && text[i + k] == pattern[k])
        {
            k++;
        }
        found += k == length;
    }
    return found;
}

static uint32_t count_horspool(const char *pattern, uint32_t length)
{
    uint8_t skip[256];
    for (int i = 0; i < 256; i++)
    {
        skip[i] = (uint8_t)length;
    }
    for (uint32_t i = 0; i + 1 < length; i++)
    {
        skip[(uint8_t)pattern[i]] = (uint8_t)(length - 1 - i);
    }
    uint32_t found = 0;
    uint32_t position = 0;
    while (position + length <= TEXT_SIZE)
    {
        const char last = text[position + length - 1];
        if (last == pattern[length - 1] && memcmp(text + position, pattern, length - 1) == 0)
        {
            found++;
        }
        position += skip[(uint8_t)last];
    }
    return found;
}

int main(void)
{
    const uint32_t rounds = BENCH_ROUNDS(150, 1);
    uint32_t seed = 0x7e57u;
    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++)
    {
        /* A four-letter alphabet makes partial matches frequent. */
        for (uint32_t i = 0; i < TEXT_SIZE; i++)
        {
            text[i] = (char)('a' + (bench_next(&seed) & 3));
        }
        for (unsigned p = 0; p < sizeof patterns / sizeof patterns[0]; p++)
        {
            const uint32_t length = (uint32_t)strlen(patterns[p]);
            const uint32_t naive = count_naive(patterns[p], length);
            const uint32_t horspool = count_horspool(patterns[p], length);
            if (naive != horspool)
            {
                out_str("strsearch: counts disagree");
                out_nl();
                return 1;
            }
            checksum = checksum * 33u + naive;
        }
    }
    bench_report("strsearch", rounds, checksum);
    return 0;
}
