/*
 * RTOS self-test: replaces the application (same boards, same kernel) and checks the kernel's
 * behaviour tick by tick. `make selftest` builds it and runs it on QEMU; it ends through
 * semihosting with exit code 0 when every check passed.
 */
#include <stdbool.h>
#include <stdint.h>
#include "board.h"
#include "console.h"
#include "os.h"

static uint32_t failures, checks;

static void report(const char *what, bool ok, uint32_t detail)
{
    checks++;
    if (!ok)
        failures++;
    line_t line;
    line_begin(&line, ok ? "ok " : "FAIL ");
    line_text(&line, what);
    line_decimal(&line, "detail", detail);
    line_end(&line);
}

/* ---- round-robin: two busy tasks of equal priority share the CPU tick by tick ---- */

static os_task_t spinner_a, spinner_b;
OS_STACK(spinner_a_stack, 512);
OS_STACK(spinner_b_stack, 512);
static volatile uint32_t spins[2];
static volatile uint32_t switches;     /* how often the running spinner changed */
static volatile int last_spinner = -1;
static volatile bool spinning_done;

static void spinner_entry(void *argument)
{
    int self = (int)(uintptr_t)argument;
    while (!spinning_done) {
        uint32_t saved = os_critical_enter();
        if (last_spinner != self) {
            switches++;
            last_spinner = self;
        }
        spins[self]++;
        os_critical_exit(saved);
    }
    for (;;)
        os_delay(1000);
}

/* ---- semaphores: priority order of waiters, timeouts ---- */

static os_semaphore_t gate;
static os_task_t waiter_low, waiter_high;
OS_STACK(waiter_low_stack, 512);
OS_STACK(waiter_high_stack, 512);
static volatile uint32_t wake_order[2], wake_count;

static void waiter_entry(void *argument)
{
    os_semaphore_take(&gate, OS_FOREVER);
    wake_order[wake_count++] = (uint32_t)(uintptr_t)argument;
    for (;;)
        os_delay(1000);
}

/* ---- queues: blocking sender, FIFO order, direct hand-over ---- */

static os_queue_t queue;
static uint32_t queue_storage[2];
static os_task_t producer;
OS_STACK(producer_stack, 512);
static volatile uint32_t produced;

static void producer_entry(void *argument)
{
    (void)argument;
    for (uint32_t value = 1; value <= 5; value++) {
        os_queue_send(&queue, &value, OS_FOREVER);   /* blocks while the queue is full */
        produced = value;
    }
    for (;;)
        os_delay(1000);
}

/* ---- the test sequence, in the most urgent task ---- */

static os_task_t controller;
OS_STACK(controller_stack, 1024);

static void controller_entry(void *argument)
{
    (void)argument;

    uint32_t start = os_ticks();
    os_delay(7);
    report("os_delay(7) sleeps 7 ticks", os_ticks() - start == 7, os_ticks() - start);

    uint32_t wake = os_ticks();
    os_delay(3);
    os_delay_until(&wake, 10);
    report("os_delay_until keeps the period", os_ticks() == wake, os_ticks() - wake);

    /* Round-robin: the controller sleeps 50 ticks while two equal tasks spin. */
    os_task_create(&spinner_a, "spin-a", spinner_entry, (void *)0, 1, spinner_a_stack,
                   OS_STACK_WORDS(spinner_a_stack));
    os_task_create(&spinner_b, "spin-b", spinner_entry, (void *)1, 1, spinner_b_stack,
                   OS_STACK_WORDS(spinner_b_stack));
    os_delay(50);
    spinning_done = true;
    report("round-robin: both equal tasks ran", spins[0] > 0 && spins[1] > 0, spins[0] < spins[1] ? spins[0] : spins[1]);
    report("round-robin: they alternated every tick", switches >= 45 && switches <= 51, switches);

    /* Semaphore timeout. */
    os_semaphore_init(&gate, 0);
    start = os_ticks();
    bool taken = os_semaphore_take(&gate, 12);
    report("semaphore take times out after 12 ticks", !taken && os_ticks() - start == 12,
           os_ticks() - start);

    /* Waiters wake in priority order, whatever order they blocked in. */
    os_task_create(&waiter_low, "low", waiter_entry, (void *)1, 2, waiter_low_stack,
                   OS_STACK_WORDS(waiter_low_stack));
    os_task_create(&waiter_high, "high", waiter_entry, (void *)2, 3, waiter_high_stack,
                   OS_STACK_WORDS(waiter_high_stack));
    os_delay(2);   /* both block on the gate */
    os_semaphore_give(&gate);
    os_semaphore_give(&gate);
    os_delay(1);
    report("semaphore wakes the most urgent waiter first",
           wake_count == 2 && wake_order[0] == 2 && wake_order[1] == 1, wake_order[0]);
    os_semaphore_give(&gate);
    report("semaphore counts units nobody waits for", os_semaphore_take(&gate, 0), gate.count);

    /* Queue: a capacity of 2 makes the producer block; messages arrive in order. */
    os_queue_init(&queue, queue_storage, sizeof queue_storage[0], 2);
    os_task_create(&producer, "producer", producer_entry, 0, 2, producer_stack,
                   OS_STACK_WORDS(producer_stack));
    os_delay(2);
    report("queue: sender blocks when full", produced == 2 && os_queue_count(&queue) == 2, produced);
    bool in_order = true;
    for (uint32_t expected = 1; expected <= 5; expected++) {
        uint32_t value = 0;
        if (!os_queue_receive(&queue, &value, 5) || value != expected)
            in_order = false;
        os_delay(1);
    }
    report("queue: five messages in FIFO order", in_order && produced == 5, produced);
    uint32_t value;
    start = os_ticks();
    report("queue: receive times out when empty",
           !os_queue_receive(&queue, &value, 4) && os_ticks() - start == 4, os_ticks() - start);

    /* Stacks: the fill pattern shows what was never touched. */
    uint32_t unused = os_stack_unused_words(&controller);
    report("stack high-water mark is measurable", unused > 0 && unused < OS_STACK_WORDS(controller_stack), unused);

    line_t line;
    line_begin(&line, failures == 0 ? "selftest passed" : "selftest FAILED");
    line_decimal(&line, "checks", checks);
    line_decimal(&line, "failures", failures);
    line_end(&line);
    board_semihosting_exit(failures == 0);
}

void app_timer_interrupt(void)
{
}

void os_fatal_hook(const char *reason)
{
    line_t line;
    line_begin(&line, "fatal ");
    line_text(&line, reason);
    line_end(&line);
    board_semihosting_exit(false);
}

int main(void)
{
    board_init();
    os_init();
    os_task_create(&controller, "controller", controller_entry, 0, 6, controller_stack,
                   OS_STACK_WORDS(controller_stack));
    os_start();
}
