/*
 * The four C library functions linked code may need (the DSMC's protocol code uses them), so the
 * images need no libc. Kept simple: none of this is on a hot path of the application.
 */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *destination, const void *source, size_t size)
{
    uint8_t *to = destination;
    const uint8_t *from = source;
    while (size--)
        *to++ = *from++;
    return destination;
}

void *memset(void *destination, int value, size_t size)
{
    uint8_t *to = destination;
    while (size--)
        *to++ = (uint8_t)value;
    return destination;
}

int memcmp(const void *left, const void *right, size_t size)
{
    const uint8_t *a = left, *b = right;
    for (; size; size--, a++, b++) {
        if (*a != *b)
            return *a < *b ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *text)
{
    size_t length = 0;
    while (text[length])
        length++;
    return length;
}
