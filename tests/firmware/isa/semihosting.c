/*
 * Semihosting calls as the engine must serve them. Everything compared goes to stdout:
 * SYS_WRITEC and SYS_WRITE0 (the console) and SYS_WRITE to the ":tt" handle opened for
 * writing. The ":tt" handle opened for appending is stderr, which is not compared. Values
 * that depend on the host (clock, time, heap layout, handle numbers, errno codes) are only
 * checked for plausibility, and just the verdict is printed. SYS_READC is not called: QEMU
 * 7.2 blocks on it, or returns 0, depending on its console configuration.
 */
#include "runtime.h"

static void verdict(const char *check, int passed)
{
    out_str(check);
    out_str(passed ? ": yes" : ": NO");
    out_nl();
}

int main(void)
{
    static const char writec_text[] = "writec: one call per character\n";
    for (const char *c = writec_text; *c != '\0'; c++)
    {
        sh_writec(*c);
    }
    sh_write0("write0: a whole string in one call\n");

    const int32_t stdout_handle = sh_open(":tt", SH_MODE_WRITE);
    const int32_t stderr_handle = sh_open(":tt", SH_MODE_APPEND);
    verdict("open :tt for writing gives a handle", stdout_handle != -1);
    verdict("open :tt for appending gives another handle",
            stderr_handle != -1 && stderr_handle != stdout_handle);
    out_flush();

    static const char stdout_text[] = "write: through the stdout handle\n";
    const uint32_t stdout_left = sh_write(stdout_handle, stdout_text, sizeof stdout_text - 1);
    static const char stderr_text[] = "write: through the stderr handle (not compared)\n";
    const uint32_t stderr_left = sh_write(stderr_handle, stderr_text, sizeof stderr_text - 1);
    out_str("write to stdout left ");
    out_udec(stdout_left);
    out_str(" bytes, to stderr left ");
    out_udec(stderr_left);
    out_nl();
    /* A partial length writes exactly that many bytes. */
    sh_write(stdout_handle, "write: partial length ok, not this\n", 24);
    sh_write(stdout_handle, "\n", 1);

    const uint32_t bad_left = sh_write(0x7fff, "x", 1);
    verdict("write to an invalid handle writes nothing", bad_left == 1);
    /* QEMU 7.2 leaves errno at 0 here; a host may not: only the call itself is checked. */
    (void)sh_errno();
    out_str("errno call returned");
    out_nl();

    const int32_t clock_before = sh_clock();
    volatile uint32_t spin = 0;
    for (uint32_t i = 0; i < 200000; i++)
    {
        spin += i;
    }
    const int32_t clock_after = sh_clock();
    verdict("clock is valid", clock_before >= 0);
    verdict("clock does not run backwards", clock_after >= clock_before);
    const int32_t seconds = sh_time();
    verdict("time is after 2020-01-01", seconds > 1577836800);

    uint32_t heap_block[4] = {0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef};
    sh_heapinfo(heap_block);
    int written = 0;
    for (int i = 0; i < 4; i++)
    {
        written |= heap_block[i] != 0xdeadbeef;
    }
    verdict("heapinfo fills the block", written);

    out_str("exit through SYS_EXIT with ADP_Stopped_ApplicationExit");
    out_nl();
    return 0;
}
