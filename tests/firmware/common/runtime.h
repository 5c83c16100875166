/*
 * Bare-metal test runtime: semihosting calls, line-buffered console output and the few
 * library functions the compiler may call. No newlib: output stays small and deterministic.
 */
#ifndef DSM_RUNTIME_H
#define DSM_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* Semihosting operation numbers (ARM semihosting specification). */
enum
{
    SYS_OPEN = 0x01,
    SYS_WRITEC = 0x03,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READC = 0x07,
    SYS_CLOCK = 0x10,
    SYS_TIME = 0x11,
    SYS_ERRNO = 0x13,
    SYS_HEAPINFO = 0x16,
    SYS_EXIT = 0x18,
    SYS_EXIT_EXTENDED = 0x20,
};

enum
{
    ADP_STOPPED_APPLICATION_EXIT = 0x20026,
};

/* SYS_OPEN modes for the special file ":tt": read = stdin, write = stdout, append = stderr. */
enum
{
    SH_MODE_READ = 0,
    SH_MODE_WRITE = 4,
    SH_MODE_APPEND = 8,
};

uint32_t dsm_semihost_call(uint32_t operation, const void *argument);

void sh_writec(char c);
void sh_write0(const char *text);
/* Returns the number of bytes NOT written (0 on success), as the call itself does. */
uint32_t sh_write(int32_t handle, const void *data, uint32_t length);
int32_t sh_open(const char *name, uint32_t mode);
int32_t sh_readc(void);
int32_t sh_clock(void);
int32_t sh_time(void);
int32_t sh_errno(void);
void sh_heapinfo(uint32_t block[4]);
_Noreturn void dsm_exit(int code);

/* Console output, buffered per line and sent with SYS_WRITE0. */
void out_char(char c);
void out_str(const char *text);
void out_hex(uint32_t value, int digits);
void out_hex32(uint32_t value);
void out_udec(uint32_t value);
void out_dec(int32_t value);
void out_flags(uint32_t apsr); /* "NZCVQ", a clear flag in lower case */
void out_nl(void);
void out_flush(void);

uint32_t crc32_update(uint32_t crc, const void *data, size_t length);

/* APSR flag bits. */
#define APSR_N (1u << 31)
#define APSR_Z (1u << 30)
#define APSR_C (1u << 29)
#define APSR_V (1u << 28)
#define APSR_Q (1u << 27)

void *memcpy(void *destination, const void *source, size_t length);
void *memmove(void *destination, const void *source, size_t length);
void *memset(void *destination, int value, size_t length);
int memcmp(const void *left, const void *right, size_t length);
size_t strlen(const char *text);

#endif
