#include "runtime.h"

void sh_writec(char c)
{
    dsm_semihost_call(SYS_WRITEC, &c);
}

void sh_write0(const char *text)
{
    dsm_semihost_call(SYS_WRITE0, text);
}

uint32_t sh_write(int32_t handle, const void *data, uint32_t length)
{
    const uint32_t block[3] = {(uint32_t)handle, (uint32_t)data, length};
    return dsm_semihost_call(SYS_WRITE, block);
}

int32_t sh_open(const char *name, uint32_t mode)
{
    const uint32_t block[3] = {(uint32_t)name, mode, (uint32_t)strlen(name)};
    return (int32_t)dsm_semihost_call(SYS_OPEN, block);
}

int32_t sh_readc(void)
{
    return (int32_t)dsm_semihost_call(SYS_READC, 0);
}

int32_t sh_clock(void)
{
    return (int32_t)dsm_semihost_call(SYS_CLOCK, 0);
}

int32_t sh_time(void)
{
    return (int32_t)dsm_semihost_call(SYS_TIME, 0);
}

int32_t sh_errno(void)
{
    return (int32_t)dsm_semihost_call(SYS_ERRNO, 0);
}

void sh_heapinfo(uint32_t block[4])
{
    /* The argument is the address of a word that holds the address of the block. */
    uint32_t *block_address = block;
    dsm_semihost_call(SYS_HEAPINFO, &block_address);
}

_Noreturn void dsm_exit(int code)
{
    out_flush();
    if (code == 0)
    {
        /* On AArch32 SYS_EXIT takes the reason code itself, not a block. */
        dsm_semihost_call(SYS_EXIT, (const void *)ADP_STOPPED_APPLICATION_EXIT);
    }
    else
    {
        const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
        dsm_semihost_call(SYS_EXIT_EXTENDED, block);
    }
    for (;;)
    {
    }
}

/* Called from the default exception handler with the stacked frame of the interrupted code. */
_Noreturn void dsm_unexpected_exception(uint32_t exception_number, const uint32_t *frame)
{
    out_flush();
    out_str("UNEXPECTED EXCEPTION ");
    out_udec(exception_number);
    out_str(" pc=");
    out_hex32(frame[6]);
    out_str(" lr=");
    out_hex32(frame[5]);
    out_str(" xpsr=");
    out_hex32(frame[7]);
    out_nl();
    dsm_exit(0x80 + (int)(exception_number & 0x7F));
}

static char line_buffer[161];
static uint32_t line_length;

void out_flush(void)
{
    if (line_length == 0)
    {
        return;
    }
    line_buffer[line_length] = '\0';
    sh_write0(line_buffer);
    line_length = 0;
}

void out_char(char c)
{
    line_buffer[line_length++] = c;
    if (c == '\n' || line_length == sizeof line_buffer - 1)
    {
        out_flush();
    }
}

void out_str(const char *text)
{
    while (*text != '\0')
    {
        out_char(*text++);
    }
}

void out_hex(uint32_t value, int digits)
{
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    {
        out_char("0123456789abcdef"[(value >> shift) & 0xF]);
    }
}

void out_hex32(uint32_t value)
{
    out_hex(value, 8);
}

void out_udec(uint32_t value)
{
    char digits[10];
    int count = 0;
    do
    {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (count > 0)
    {
        out_char(digits[--count]);
    }
}

void out_dec(int32_t value)
{
    if (value < 0)
    {
        out_char('-');
        out_udec(0u - (uint32_t)value);
    }
    else
    {
        out_udec((uint32_t)value);
    }
}

void out_flags(uint32_t apsr)
{
    out_char((apsr & APSR_N) ? 'N' : 'n');
    out_char((apsr & APSR_Z) ? 'Z' : 'z');
    out_char((apsr & APSR_C) ? 'C' : 'c');
    out_char((apsr & APSR_V) ? 'V' : 'v');
    out_char((apsr & APSR_Q) ? 'Q' : 'q');
}

void out_nl(void)
{
    out_char('\n');
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t length)
{
    /* Bitwise reflected CRC-32 (polynomial 0xEDB88320); no table keeps RAM and code small. */
    const uint8_t *bytes = data;
    crc = ~crc;
    while (length-- != 0)
    {
        crc ^= *bytes++;
        for (int bit = 0; bit < 8; bit++)
        {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

void *memcpy(void *destination, const void *source, size_t length)
{
    uint8_t *to = destination;
    const uint8_t *from = source;
    while (length-- != 0)
    {
        *to++ = *from++;
    }
    return destination;
}

void *memmove(void *destination, const void *source, size_t length)
{
    uint8_t *to = destination;
    const uint8_t *from = source;
    if (to < from)
    {
        while (length-- != 0)
        {
            *to++ = *from++;
        }
    }
    else
    {
        while (length-- != 0)
        {
            to[length] = from[length];
        }
    }
    return destination;
}

void *memset(void *destination, int value, size_t length)
{
    uint8_t *to = destination;
    while (length-- != 0)
    {
        *to++ = (uint8_t)value;
    }
    return destination;
}

int memcmp(const void *left, const void *right, size_t length)
{
    const uint8_t *a = left;
    const uint8_t *b = right;
    for (size_t i = 0; i < length; i++)
    {
        if (a[i] != b[i])
        {
            return a[i] < b[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *text)
{
    size_t length = 0;
    while (text[length] != '\0')
    {
        length++;
    }
    return length;
}
