/*
 * A tiny bare-metal program for the runtime tests: no C library, semihosting only.
 * The first word of the command line after the program path picks what it does:
 *   (none) | hello   print a greeting through SYS_WRITE0 and exit 0 through SYS_EXIT
 *   exit N           exit with code N through SYS_EXIT_EXTENDED
 *   uart             print through CMSDK UART0 at 0x40004000, then exit 0
 *   stderr           write to the stderr handle of ":tt", then exit 0
 *   heapinfo         print SYS_HEAPINFO's four words in hex, then exit 0
 *   echo             copy standard input to standard output until end of input, then exit 0
 *   unmapped         call a function at 0x30000000, where nothing is mapped (the HardFault handler exits 99)
 *   lockup           point VTOR at a table of unmapped handlers, then call 0x30000000: no fault can be handled
 *   undefined        execute a permanently undefined instruction (UDF)
 *   spin             loop forever
 *   bkpt             execute BKPT 0x01, which is not a semihosting call
 */
typedef unsigned int u32;

#define SYS_OPEN 0x01
#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_GET_CMDLINE 0x15
#define SYS_HEAPINFO 0x16
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static u32 semihost(u32 operation, const void *argument)
{
    register u32 r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static u32 length(const char *text)
{
    u32 n = 0;
    while (text[n] != '\0')
    {
        n++;
    }
    return n;
}

static int same(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b)
    {
        a++;
        b++;
    }
    return *a == *b;
}

static void put_hex(u32 value)
{
    static const char digits[] = "0123456789abcdef";
    char text[10];
    for (int i = 0; i < 8; i++)
    {
        text[i] = digits[(value >> (28 - 4 * i)) & 0xF];
    }
    text[8] = ' ';
    text[9] = '\0';
    semihost(SYS_WRITE0, text);
}

static void __attribute__((noreturn)) exit_with(u32 code)
{
    if (code == 0)
    {
        semihost(SYS_EXIT, (const void *)ADP_STOPPED_APPLICATION_EXIT);
    }
    else
    {
        const u32 block[2] = {ADP_STOPPED_APPLICATION_EXIT, code};
        semihost(SYS_EXIT_EXTENDED, block);
    }
    for (;;)
    {
    }
}

static void uart_print(const char *text)
{
    volatile u32 *uart = (volatile u32 *)0x40004000;
    uart[4] = 16;    /* BAUDDIV */
    uart[2] = 1;     /* CTRL: TX enable */
    while (*text != '\0')
    {
        while (uart[1] & 1)   /* STATE.TXFULL */
        {
        }
        uart[0] = (u32)*text++;
    }
}

static char command_line[128];
static u32 unusable_vectors[48] __attribute__((aligned(256)));

int main(void)
{
    u32 block[2] = {(u32)command_line, sizeof command_line};
    if (semihost(SYS_GET_CMDLINE, block) != 0)
    {
        semihost(SYS_WRITE0, "no command line\n");
        exit_with(2);
    }

    /* Skip the program path; split the rest into a mode word and an argument. */
    char *mode = command_line;
    while (*mode != '\0' && *mode != ' ')
    {
        mode++;
    }
    while (*mode == ' ')
    {
        *mode++ = '\0';
    }
    char *argument = mode;
    while (*argument != '\0' && *argument != ' ')
    {
        argument++;
    }
    while (*argument == ' ')
    {
        *argument++ = '\0';
    }

    if (*mode == '\0' || same(mode, "hello"))
    {
        semihost(SYS_WRITE0, "hello from the guest\n");
        exit_with(0);
    }
    if (same(mode, "exit"))
    {
        u32 code = 0;
        for (const char *p = argument; *p >= '0' && *p <= '9'; p++)
        {
            code = code * 10 + (u32)(*p - '0');
        }
        exit_with(code);
    }
    if (same(mode, "uart"))
    {
        uart_print("hello through UART0\n");
        exit_with(0);
    }
    if (same(mode, "stderr"))
    {
        const char *tt = ":tt";
        u32 open_block[3] = {(u32)tt, 8, 3};
        u32 handle = semihost(SYS_OPEN, open_block);
        const char *message = "to standard error\n";
        u32 write_block[3] = {handle, (u32)message, length(message)};
        u32 not_written = semihost(SYS_WRITE, write_block);
        exit_with(not_written == 0 ? 0 : 3);
    }
    if (same(mode, "heapinfo"))
    {
        u32 info[4];
        u32 *info_address = info;
        semihost(SYS_HEAPINFO, &info_address);
        for (int i = 0; i < 4; i++)
        {
            put_hex(info[i]);
        }
        semihost(SYS_WRITE0, "\n");
        exit_with(0);
    }
    if (same(mode, "echo"))
    {
        const char *tt = ":tt";
        u32 in_block[3] = {(u32)tt, 0, 3};
        u32 out_block[3] = {(u32)tt, 4, 3};
        u32 in = semihost(SYS_OPEN, in_block);
        u32 out = semihost(SYS_OPEN, out_block);
        char buffer[16];
        for (;;)
        {
            u32 read_block[3] = {in, (u32)buffer, sizeof buffer};
            u32 got = sizeof buffer - semihost(SYS_READ, read_block);
            if (got == 0)
            {
                break;
            }
            u32 write_block[3] = {out, (u32)buffer, got};
            semihost(SYS_WRITE, write_block);
        }
        exit_with(0);
    }
    if (same(mode, "unmapped"))
    {
        void (*nowhere)(void) = (void (*)(void))0x30000001;
        nowhere();
    }
    if (same(mode, "lockup"))
    {
        for (int i = 0; i < 48; i++)
        {
            unusable_vectors[i] = 0x30000001;
        }
        *(volatile u32 *)0xE000ED08 = (u32)unusable_vectors; /* SCB.VTOR */
        __asm__ volatile("dsb\n\tisb" ::: "memory");
        void (*nowhere)(void) = (void (*)(void))0x30000001;
        nowhere();
    }
    if (same(mode, "undefined"))
    {
        __asm__ volatile("udf #0");
    }
    if (same(mode, "spin"))
    {
        for (;;)
        {
            __asm__ volatile("");
        }
    }
    if (same(mode, "bkpt"))
    {
        __asm__ volatile("bkpt 0x01");
    }
    semihost(SYS_WRITE0, "unknown mode\n");
    exit_with(2);
}

extern u32 __stack_top;
extern u32 __bss_start, __bss_end;

void __attribute__((noreturn)) reset_handler(void)
{
    for (u32 *p = &__bss_start; p < &__bss_end; p++)
    {
        *p = 0;
    }
    exit_with((u32)main());
}

void __attribute__((noreturn)) default_handler(void)
{
    semihost(SYS_WRITE0, "unexpected exception\n");
    exit_with(99);
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &__stack_top, reset_handler, default_handler, default_handler, default_handler, default_handler,
    default_handler, 0, 0, 0, 0, default_handler, default_handler, 0, default_handler, default_handler,
};
