/*
 * Idle workload for the hosting-density benchmark (benchmarks/Dsm.Benchmarks, --density): the
 * kind of system a backup computer hosts by the hundred, asleep almost all the time.
 *
 * One task prints "I seq=<n> tick=<t> sum=<crc>" once a second (every 1000 ticks, t = 1000 n) and
 * otherwise blocks in os_delay_until. Per 1 kHz SysTick tick the core wakes from the idle task's
 * WFI, runs the tick handler (tick count, a walk over the three tasks' deadlines, no switch),
 * returns and sleeps again: about 65 instructions plus exception entry and return. Once a second
 * task I formats its line and sends it as a low-power firmware would: one byte whenever the
 * UART's transmit register is empty, sleeping a tick (os_delay(1)) when it is not, so the line
 * goes out over about 30 ticks and the core never spins on the UART (the sample's polled
 * board_console_write_byte would spin about 2.7 ms per line at 115200 Bd).
 * No application timer, no checksum task. FM3 only (it drives MFS0 directly). Built with the
 * DSMC so that it can migrate.
 */
#include <stdint.h>
#include "board.h"
#include "console.h"
#include "crc32.h"
#include "fm3_registers.h"
#include "os.h"
#if DSMC
#include "dsmc.h"
const dsmc_config_t *dsmc_board_config(void);   /* boards/<board>/dsmc_board.c */
#endif

#define PRIORITY_IDLE_REPORTER 2
#define REPORT_PERIOD_TICKS 1000u

static os_task_t idle_reporter_task;
OS_STACK(idle_reporter_stack, 1024);

/* The board's timer handler calls this; the idle workload never starts the timer. */
void app_timer_interrupt(void)
{
}

void os_fatal_hook(const char *reason)
{
    line_t line;
    line_begin(&line, "fatal ");
    line_text(&line, reason);
    line_end(&line);
}

/* line_end's framing (" sum=<CRC-32>" and CRLF), sent without spinning on the UART. */
static void send_line_sleeping(line_t *line)
{
    line_hex(line, "sum", crc32_final(crc32_update(CRC32_INITIAL, line->text, line->length)));
    line->text[line->length++] = '\r';
    line->text[line->length++] = '\n';
    for (uint32_t i = 0; i < line->length; i++) {
        while ((MFS0_SSR & MFS_SSR_TDRE) == 0)
            os_delay(1);
        MFS0_TDR = (uint8_t)line->text[i];
    }
}

static void idle_reporter_entry(void *argument)
{
    (void)argument;
    uint32_t wake = 0;
    for (uint32_t seq = 1;; seq++) {
        os_delay_until(&wake, REPORT_PERIOD_TICKS);
        line_t line;
        line_begin(&line, "I");
        line_decimal(&line, "seq", seq);
        line_decimal(&line, "tick", wake);
        send_line_sleeping(&line);
    }
}

int main(void)
{
    board_init();
#if DSMC
    dsmc_init(dsmc_board_config());
#endif
    os_init();
    os_task_create(&idle_reporter_task, "I", idle_reporter_entry, 0, PRIORITY_IDLE_REPORTER,
                   idle_reporter_stack, OS_STACK_WORDS(idle_reporter_stack));

    line_t line;
    line_begin(&line, "boot idle board=");
    line_text(&line, board_name);
    line_decimal(&line, "tick_hz", OS_TICK_HZ);
    line_end(&line);
    os_start();
}
