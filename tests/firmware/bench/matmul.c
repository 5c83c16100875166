/* Integer matrix multiply (24x24, wrapping 32-bit arithmetic), feeding each product back. */
#include "bench.h"

#define N 24

static int32_t a[N][N], b[N][N], c[N][N];

static void multiply(void)
{
    for (int i = 0; i < N; i++)
    {
        for (int j = 0; j < N; j++)
        {
            int32_t sum = 0;
            for (int k = 0; k < N; k++)
            {
                sum += a[i][k] * b[k][j];
            }
            c[i][j] = sum;
        }
    }
}

int main(void)
{
    const uint32_t rounds = BENCH_ROUNDS(2800, 1);
    uint32_t seed = 0xabcdef1u;
    for (int i = 0; i < N; i++)
    {
        for (int j = 0; j < N; j++)
        {
            a[i][j] = (int32_t)(bench_next(&seed) % 2001) - 1000;
            b[i][j] = (int32_t)(bench_next(&seed) % 2001) - 1000;
        }
    }

    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++)
    {
        multiply();
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < N; j++)
            {
                checksum = (checksum << 5 | checksum >> 27) ^ (uint32_t)c[i][j];
            }
        }
        /* Keep the inputs bounded but changing: the next A is this product, scaled down. */
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < N; j++)
            {
                a[i][j] = (c[i][j] >> 12) % 1000;
            }
        }
    }
    bench_report("matmul", rounds, checksum);
    return 0;
}
