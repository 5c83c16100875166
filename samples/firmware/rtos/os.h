/*
 * A small preemptive RTOS for ARMv7-M (Cortex-M3): the public interface.
 *
 * - Fixed priorities 0..OS_PRIORITY_COUNT-1, larger number = more urgent; 0 belongs to the idle task.
 *   Tasks of equal priority share the CPU round-robin, one tick each.
 * - Everything is static: the caller owns every task, stack, semaphore and queue object.
 * - One tick = 1 ms (SysTick). Timeouts and delays are in ticks; OS_FOREVER waits without limit.
 * - Functions marked "ISR-safe" may be called from interrupt handlers whose priority is at or below
 *   the kernel level (OS_IRQ_PRIORITY_KERNEL and less urgent, see os_board.h). In an ISR, blocking
 *   calls never block: their timeout is treated as 0.
 * - Interrupts more urgent than the kernel level (the migration interrupt) are never masked by the
 *   kernel and must not call it.
 */
#ifndef OS_H
#define OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OS_PRIORITY_COUNT 8u
#define OS_IDLE_PRIORITY 0u
#define OS_FOREVER 0xFFFFFFFFu
#define OS_TICK_HZ 1000u

/* Every stack word is filled with this at creation, so untouched words show the high-water mark. */
#define OS_STACK_FILL 0xA5A5A5A5u

/* Declares a task stack of `bytes` (a multiple of 8) with the alignment the exception frame needs. */
#define OS_STACK(name, bytes) \
    static uint32_t name[(bytes) / 4u] __attribute__((aligned(8), section(".task_stacks")))
#define OS_STACK_WORDS(name) (sizeof(name) / sizeof((name)[0]))

typedef struct os_link {
    struct os_link *next;
    struct os_link *prev;
} os_link_t;

typedef enum os_task_state {
    OS_TASK_READY = 0,   /* runnable (the running task is READY too) */
    OS_TASK_DELAYED,     /* in os_delay / os_delay_until */
    OS_TASK_BLOCKED      /* waiting on a semaphore or a queue, maybe with a timeout */
} os_task_state_t;

typedef void (*os_task_entry_t)(void *argument);

typedef struct os_task {
    uint32_t *saved_sp;          /* must stay first: the context switch reads it at offset 0 */
    uint32_t *stack_base;        /* lowest word of the stack; holds a guard pattern */
    uint32_t stack_words;
    const char *name;
    uint8_t priority;
    uint8_t state;               /* os_task_state_t */
    uint8_t has_deadline;        /* wake_tick is meaningful */
    uint8_t wait_ok;             /* result of the last block: 1 = got it, 0 = timed out */
    uint32_t wake_tick;
    void *wait_buffer;           /* queue message to fill (receiver) or to take (sender) */
    os_link_t link;              /* in a ready list or in a wait list */
    struct os_task *next_created; /* all tasks, for the tick's timeout scan */
} os_task_t;

typedef struct os_semaphore {
    uint32_t count;
    os_link_t waiters;           /* most urgent first, FIFO among equals */
} os_semaphore_t;

typedef struct os_queue {
    uint8_t *storage;            /* capacity * message_size bytes */
    uint16_t message_size;
    uint16_t capacity;
    uint16_t head;               /* index of the oldest message */
    uint16_t count;
    os_link_t receivers;         /* waiting for a message */
    os_link_t senders;           /* waiting for room */
} os_queue_t;

/* ---- Kernel ---- */

/* Prepares the kernel; call once before creating anything. */
void os_init(void);

/* Creates a task; it may run as soon as the scheduler is running (also when called from a task). */
void os_task_create(os_task_t *task, const char *name, os_task_entry_t entry, void *argument,
                    uint8_t priority, uint32_t *stack, uint32_t stack_words);

/* Starts the tick and the first task. Never returns. */
void os_start(void) __attribute__((noreturn));

/* Ticks since os_start (wraps after 49 days; compare with subtraction). ISR-safe. */
uint32_t os_ticks(void);

/* Blocks the calling task for `ticks` ticks; 0 only yields to equal-priority tasks. */
void os_delay(uint32_t ticks);

/* Periodic wake-up without drift: wakes at *previous_wake + period and stores that in *previous_wake.
   Returns at once if that moment has already passed. Start with *previous_wake = os_ticks(). */
void os_delay_until(uint32_t *previous_wake, uint32_t period);

/* Gives the CPU to the next ready task of the same priority, if any. */
void os_yield(void);

os_task_t *os_current_task(void);

/* Number of stack words never written since creation (the pattern is still intact). */
uint32_t os_stack_unused_words(const os_task_t *task);

/* Critical section against tasks and kernel-aware ISRs (BASEPRI at the kernel level; more urgent
   interrupts still run). Nests: pass what enter returned to the matching exit. ISR-safe. */
uint32_t os_critical_enter(void);
void os_critical_exit(uint32_t saved);

/* Stops everything: stack overflow, misuse of the kernel. Calls os_fatal_hook(reason) first. */
void os_fatal(const char *reason) __attribute__((noreturn));
/* Supplied by the application or board: report the reason (the kernel is unusable by then). */
void os_fatal_hook(const char *reason);

/* ---- Counting semaphores ---- */

void os_semaphore_init(os_semaphore_t *semaphore, uint32_t initial_count);
/* Takes one unit; returns false when the timeout expired first. */
bool os_semaphore_take(os_semaphore_t *semaphore, uint32_t timeout_ticks);
/* Returns one unit, waking the most urgent waiter. ISR-safe. */
void os_semaphore_give(os_semaphore_t *semaphore);

/* ---- Message queues (fixed-size messages, copied in and out) ---- */

void os_queue_init(os_queue_t *queue, void *storage, uint16_t message_size, uint16_t capacity);
/* Copies `message` in; returns false when the queue stayed full until the timeout. ISR-safe
   (with timeout 0, or any timeout: it never blocks in an ISR). */
bool os_queue_send(os_queue_t *queue, const void *message, uint32_t timeout_ticks);
/* Copies the oldest message out; returns false when the queue stayed empty until the timeout. */
bool os_queue_receive(os_queue_t *queue, void *message, uint32_t timeout_ticks);
/* Messages currently queued. ISR-safe. */
uint16_t os_queue_count(const os_queue_t *queue);

#endif
