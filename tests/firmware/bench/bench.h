/*
 * Shared parts of the throughput kernels. Each kernel is built twice: the full image runs
 * roughly 1e8-5e8 guest instructions, the _quick image (BENCH_QUICK=1) one round of well
 * under 2e6, for everyday differential runs. Both end with a checksum line.
 */
#ifndef DSM_BENCH_H
#define DSM_BENCH_H

#include "runtime.h"

#ifndef BENCH_QUICK
#error "build with -DBENCH_QUICK=0 or -DBENCH_QUICK=1"
#endif

#define BENCH_ROUNDS(full, quick) (BENCH_QUICK ? (quick) : (full))

static inline void bench_report(const char *name, uint32_t rounds, uint32_t checksum)
{
    out_str(name);
    out_str(": rounds=");
    out_udec(rounds);
    out_str(" checksum=");
    out_hex32(checksum);
    out_nl();
}

/* xorshift32: deterministic input data. */
static inline uint32_t bench_next(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

#endif
