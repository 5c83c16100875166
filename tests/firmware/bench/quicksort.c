/* Recursive quicksort (median of three, insertion sort for short runs) of 2048 integers. */
#include "bench.h"

#define COUNT 2048

static int32_t values[COUNT];

static void insertion_sort(int32_t *first, int32_t *last)
{
    for (int32_t *i = first + 1; i <= last; i++)
    {
        int32_t value = *i;
        int32_t *j = i;
        while (j > first && j[-1] > value)
        {
            *j = j[-1];
            j--;
        }
        *j = value;
    }
}

static void swap(int32_t *x, int32_t *y)
{
    int32_t t = *x;
    *x = *y;
    *y = t;
}

static void quicksort(int32_t *first, int32_t *last)
{
    while (last - first > 12)
    {
        int32_t *middle = first + (last - first) / 2;
        if (*middle < *first)
            swap(middle, first);
        if (*last < *first)
            swap(last, first);
        if (*last < *middle)
            swap(last, middle);
        const int32_t pivot = *middle;
        int32_t *i = first, *j = last;
        while (i <= j)
        {
            while (*i < pivot)
                i++;
            while (*j > pivot)
                j--;
            if (i <= j)
            {
                swap(i, j);
                i++;
                j--;
            }
        }
        /* Recurse into the smaller part, loop on the larger: bounded stack depth. */
        if (j - first < last - i)
        {
            quicksort(first, j);
            first = i;
        }
        else
        {
            quicksort(i, last);
            last = j;
        }
    }
    insertion_sort(first, last);
}

int main(void)
{
    const uint32_t rounds = BENCH_ROUNDS(1200, 1);
    uint32_t seed = 0x5eed5eedu;
    uint32_t checksum = 0;
    for (uint32_t round = 0; round < rounds; round++)
    {
        for (int i = 0; i < COUNT; i++)
        {
            values[i] = (int32_t)bench_next(&seed) >> (round % 20);
        }
        quicksort(values, values + COUNT - 1);
        for (int i = 0; i < COUNT; i += 97)
        {
            checksum = checksum * 31u + (uint32_t)values[i];
        }
        for (int i = 1; i < COUNT; i++)
        {
            if (values[i - 1] > values[i])
            {
                out_str("quicksort: NOT SORTED");
                out_nl();
                return 1;
            }
        }
    }
    bench_report("quicksort", rounds, checksum);
    return 0;
}
