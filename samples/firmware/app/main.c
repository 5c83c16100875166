/*
 * Sample application: the subject of the migration demo and of the end-to-end tests.
 *
 * Task A (reporter, every 100 ticks): prints "A seq=<n> tick=<t> rounds=<r> crc=<c>"; n counts
 *   from 1 without gaps, t = 100 n exactly, r = t - 1 and c is task B's CRC after round r.
 * Task B (checksum, least urgent after idle): every tick it changes one word of a 512-byte RAM
 *   buffer and folds the whole buffer into a running CRC-32; each 100th round goes to task A.
 * Task C (timer check, most urgent): receives the counter a 50 Hz timer interrupt posts to a
 *   queue, checks that it goes up by exactly one, and prints "C seq=<n> count=<k> gaps=<g>" every
 *   50 counts, "C GAP expected=<e> got=<k>" when one is missing.
 *
 * Every value printed depends only on the tick count, never on how fast the CPU is, so a run that
 * migrated half-way prints exactly the lines of a run that did not.
 */
#include <stdbool.h>
#include <stdint.h>
#include "board.h"
#include "console.h"
#include "crc32.h"
#include "os.h"
#if DSMC
#include "dsmc.h"
const dsmc_config_t *dsmc_board_config(void);   /* boards/<board>/dsmc_board.c */
#endif

#ifndef EXIT_AFTER_LINES
#define EXIT_AFTER_LINES 0   /* > 0: semihosting exit after task A's line with that seq */
#endif
#ifndef DSMC_REQUEST_AT_SEQ
#define DSMC_REQUEST_AT_SEQ 0   /* > 0 (with DSMC=1): the application asks to migrate after that line */
#endif

#define PRIORITY_TIMER_CHECK 4
#define PRIORITY_REPORTER 3
#define PRIORITY_CHECKSUM 1

#define REPORT_PERIOD_TICKS 100u
#define TIMER_HZ 50u
#define TIMER_COUNTS_PER_REPORT 50u
/* The timer starts this many ticks after boot, so its interrupts fall between task A's reports
   (at 5, 25, 45 ... ms) and the order of A's and C's lines never depends on a sub-tick phase. */
#define TIMER_START_TICK 5u
#define TIMER_QUEUE_CAPACITY 8u
#define CHECKSUM_WORDS 128u
#define CHECKPOINT_QUEUE_CAPACITY 4u

static os_task_t reporter_task, checksum_task, timer_check_task;
OS_STACK(reporter_stack, 1024);
OS_STACK(checksum_stack, 512);
OS_STACK(timer_check_stack, 1024);

static os_semaphore_t console_lock;
static os_queue_t timer_queue;
static uint32_t timer_queue_storage[TIMER_QUEUE_CAPACITY];

static uint32_t timer_counter;             /* written by the timer interrupt only */
static uint32_t checksum_data[CHECKSUM_WORDS];

typedef struct checkpoint {
    uint32_t round;
    uint32_t crc;
} checkpoint_t;
static os_queue_t checkpoint_queue;        /* task B -> task A */
static checkpoint_t checkpoint_storage[CHECKPOINT_QUEUE_CAPACITY];
static volatile uint32_t timer_gaps;       /* published by task C */

/* ---- Timer interrupt (called by the board's timer handler) ---- */

void app_timer_interrupt(void)
{
    timer_counter++;
    /* A full queue loses this count; task C then reports the gap. */
    (void)os_queue_send(&timer_queue, &timer_counter, 0);
}

/* ---- Task B: running checksum over changing data ---- */

static void checksum_entry(void *argument)
{
    (void)argument;
    uint32_t noise = 0x2545F491u;
    uint32_t crc = CRC32_INITIAL;
    for (uint32_t i = 0; i < CHECKSUM_WORDS; i++)
        checksum_data[i] = i * 0x9E3779B9u;

    /* One round per tick, catching up after a busy stretch. */
    uint32_t wake = 0;
    for (uint32_t round = 1;; round++) {
        os_delay_until(&wake, 1);
        noise ^= noise << 13;   /* xorshift32: cheap, deterministic "new data" */
        noise ^= noise >> 17;
        noise ^= noise << 5;
        checksum_data[round % CHECKSUM_WORDS] ^= noise;
        crc = crc32_update(crc, checksum_data, sizeof checksum_data);

        /* The round before each report tick goes to task A, through a queue so that neither a
           late task B nor a late task A changes what is printed. */
        if (round % REPORT_PERIOD_TICKS == REPORT_PERIOD_TICKS - 1u) {
            checkpoint_t checkpoint = { round, crc32_final(crc) };
            os_queue_send(&checkpoint_queue, &checkpoint, OS_FOREVER);
        }
    }
}

/* ---- Task A: sequence-numbered report lines ---- */

static void print_end_and_exit(uint32_t lines)
{
    line_t line;
    line_begin(&line, "end");
    line_decimal(&line, "lines", lines);
    line_decimal(&line, "gaps", timer_gaps);
    line_end(&line);
    board_semihosting_exit(timer_gaps == 0);
}

static void reporter_entry(void *argument)
{
    (void)argument;
    uint32_t wake = 0;
    for (uint32_t seq = 1;; seq++) {
        os_delay_until(&wake, REPORT_PERIOD_TICKS);
        checkpoint_t checkpoint;
        os_queue_receive(&checkpoint_queue, &checkpoint, OS_FOREVER);   /* normally already there */

        line_t line;
        line_begin(&line, "A");
        line_decimal(&line, "seq", seq);
        line_decimal(&line, "tick", wake);
        line_decimal(&line, "rounds", checkpoint.round);
        line_hex(&line, "crc", checkpoint.crc);
        os_semaphore_take(&console_lock, OS_FOREVER);
        line_end(&line);
        if (EXIT_AFTER_LINES > 0 && seq == EXIT_AFTER_LINES)
            print_end_and_exit(seq);
        os_semaphore_give(&console_lock);
#if DSMC
        /* The paper's "detection in the application" trigger, for demos and tests. */
        if (DSMC_REQUEST_AT_SEQ > 0 && seq == DSMC_REQUEST_AT_SEQ)
            dsmc_request();
#endif
    }
}

/* ---- Task C: gap check on the timer's counter ---- */

static void timer_check_entry(void *argument)
{
    (void)argument;
    os_delay(TIMER_START_TICK);
    board_periodic_timer_start(TIMER_HZ);

    uint32_t expected = 1, reports = 0;
    for (;;) {
        uint32_t count;
        os_queue_receive(&timer_queue, &count, OS_FOREVER);
        line_t line;
        if (count != expected) {
            timer_gaps++;
            line_begin(&line, "C GAP");
            line_decimal(&line, "expected", expected);
            line_decimal(&line, "got", count);
            os_semaphore_take(&console_lock, OS_FOREVER);
            line_end(&line);
            os_semaphore_give(&console_lock);
        }
        expected = count + 1u;
        if (count % TIMER_COUNTS_PER_REPORT == 0) {
            line_begin(&line, "C");
            line_decimal(&line, "seq", ++reports);
            line_decimal(&line, "count", count);
            line_decimal(&line, "gaps", timer_gaps);
            os_semaphore_take(&console_lock, OS_FOREVER);
            line_end(&line);
            os_semaphore_give(&console_lock);
        }
    }
}

/* ---- Start-up ---- */

void os_fatal_hook(const char *reason)
{
    uint32_t exception;
    __asm volatile("mrs %0, ipsr" : "=r"(exception));
    os_task_t *task = os_current_task();
    line_t line;
    line_begin(&line, "fatal ");
    line_text(&line, reason);
    line_decimal(&line, "exception", exception);
    line_text(&line, " task=");
    line_text(&line, task ? task->name : "none");
    line_end(&line);
    if (EXIT_AFTER_LINES > 0)
        board_semihosting_exit(false);
}

int main(void)
{
    board_init();
#if DSMC
    dsmc_init(dsmc_board_config());   /* DSMC hook 2 of 3 */
#endif

    os_init();
    os_semaphore_init(&console_lock, 1);
    os_queue_init(&timer_queue, timer_queue_storage, sizeof timer_queue_storage[0],
                  TIMER_QUEUE_CAPACITY);
    os_queue_init(&checkpoint_queue, checkpoint_storage, sizeof checkpoint_storage[0],
                  CHECKPOINT_QUEUE_CAPACITY);
    os_task_create(&timer_check_task, "C", timer_check_entry, 0, PRIORITY_TIMER_CHECK,
                   timer_check_stack, OS_STACK_WORDS(timer_check_stack));
    os_task_create(&reporter_task, "A", reporter_entry, 0, PRIORITY_REPORTER, reporter_stack,
                   OS_STACK_WORDS(reporter_stack));
    os_task_create(&checksum_task, "B", checksum_entry, 0, PRIORITY_CHECKSUM, checksum_stack,
                   OS_STACK_WORDS(checksum_stack));

    line_t line;
    line_begin(&line, "boot board=");
    line_text(&line, board_name);
    line_decimal(&line, "clock", board_core_clock_hz);
    line_decimal(&line, "tick_hz", OS_TICK_HZ);
    line_end(&line);

    os_start();
}
