/* Scheduler, tasks, tick and delays. */
#include "os_internal.h"

static os_link_t ready_lists[OS_PRIORITY_COUNT];
static uint32_t ready_priorities;        /* bit p set: ready_lists[p] is not empty */
static os_task_t *all_tasks;             /* every created task, newest first */
static volatile uint32_t tick_count;
static bool running;                     /* set once the first task has been entered */
static os_task_t *current;

static os_task_t idle_task;
OS_STACK(idle_stack, 256);

static void make_ready(os_task_t *task)
{
    task->state = OS_TASK_READY;
    task->has_deadline = 0;
    os_list_insert_before(&ready_lists[task->priority], &task->link);
    ready_priorities |= 1u << task->priority;
}

static void make_unready(os_task_t *task)
{
    os_list_remove(&task->link);
    if (os_list_is_empty(&ready_lists[task->priority]))
        ready_priorities &= ~(1u << task->priority);
}

static os_task_t *most_urgent_ready(void)
{
    uint32_t priority = 31u - (uint32_t)__builtin_clz(ready_priorities);
    return OS_TASK_OF(ready_lists[priority].next);
}

/* Called after any change to the ready lists. The switch itself happens in PendSV, which runs
   once nothing more urgent is active and the kernel is unmasked. */
static void reschedule(void)
{
    if (running && most_urgent_ready() != current)
        os_port_request_switch();
}

static void idle_entry(void *argument)
{
    (void)argument;
    for (;;)
        os_port_wait_for_interrupt();   /* sleep until the next interrupt (tick, timer, ...) */
}

/* A task whose entry function returns ends here and is never scheduled again. */
static void task_finished(void)
{
    uint32_t mask = os_port_mask();
    make_unready(current);
    current->state = OS_TASK_DELAYED;
    current->has_deadline = 0;
    reschedule();
    os_port_unmask(mask);
    for (;;) {
    }
}

void os_init(void)
{
    for (uint32_t p = 0; p < OS_PRIORITY_COUNT; p++)
        os_list_init(&ready_lists[p]);
    ready_priorities = 0;
    all_tasks = 0;
    tick_count = 0;
    running = false;
    current = 0;
    os_task_create(&idle_task, "idle", idle_entry, 0, OS_IDLE_PRIORITY, idle_stack,
                   OS_STACK_WORDS(idle_stack));
}

void os_task_create(os_task_t *task, const char *name, os_task_entry_t entry, void *argument,
                    uint8_t priority, uint32_t *stack, uint32_t stack_words)
{
    if (priority >= OS_PRIORITY_COUNT || stack_words < 64u || ((uintptr_t)stack & 7u) != 0)
        os_fatal("bad task parameters");
    for (uint32_t i = 0; i < stack_words; i++)
        stack[i] = OS_STACK_FILL;
    task->stack_base = stack;
    task->stack_words = stack_words;
    task->name = name;
    task->priority = priority;
    task->wait_ok = 0;
    task->wait_buffer = 0;
    task->saved_sp = os_port_build_frame(stack + (stack_words & ~1u), entry, argument, task_finished);
    os_list_init(&task->link);

    uint32_t mask = os_port_mask();
    task->next_created = all_tasks;
    all_tasks = task;
    make_ready(task);
    reschedule();
    os_port_unmask(mask);
}

void os_start(void)
{
    os_port_start_first_task();   /* SysTick on, then SVC -> os_kernel_first_task_sp */
}

uint32_t *os_kernel_first_task_sp(void)
{
    uint32_t mask = os_port_mask();
    current = most_urgent_ready();
    running = true;
    os_port_unmask(mask);
    return current->saved_sp;
}

uint32_t *os_kernel_switch(uint32_t *saved_sp)
{
    /* The guard word at the bottom and the saved sp show most overflows before they spread. */
    if (saved_sp <= current->stack_base + 8 || current->stack_base[0] != OS_STACK_FILL)
        os_fatal("stack overflow");
    current->saved_sp = saved_sp;
    current = most_urgent_ready();
    return current->saved_sp;
}

void os_kernel_tick(void)
{
    uint32_t mask = os_port_mask();
    uint32_t now = ++tick_count;

    for (os_task_t *task = all_tasks; task; task = task->next_created) {
        if (task->has_deadline && (int32_t)(now - task->wake_tick) >= 0) {
            if (task->state == OS_TASK_BLOCKED) {
                os_list_remove(&task->link);   /* leave the semaphore's or queue's wait list */
                task->wait_ok = 0;
            }
            make_ready(task);
        }
    }

    /* Round-robin: the running task goes behind the other ready tasks of its priority. */
    if (running && current->state == OS_TASK_READY) {
        os_link_t *list = &ready_lists[current->priority];
        if (list->next == &current->link && current->link.next != list) {
            os_list_remove(&current->link);
            os_list_insert_before(list, &current->link);
        }
    }
    reschedule();
    os_port_unmask(mask);
}

uint32_t os_critical_enter(void)
{
    return os_port_mask();
}

void os_critical_exit(uint32_t saved)
{
    os_port_unmask(saved);
}

uint32_t os_ticks(void)
{
    return tick_count;
}

os_task_t *os_current_task(void)
{
    return current;
}

void os_kernel_check_may_block(uint32_t mask_before)
{
    if (!running || os_port_in_isr() || mask_before != 0)
        os_fatal("blocking call from an ISR, a critical section or before os_start");
}

static void delay_current(uint32_t wake_tick)
{
    make_unready(current);
    current->state = OS_TASK_DELAYED;
    current->wake_tick = wake_tick;
    current->has_deadline = 1;
    reschedule();
}

void os_delay(uint32_t ticks)
{
    if (ticks == 0) {
        os_yield();
        return;
    }
    uint32_t mask = os_port_mask();
    os_kernel_check_may_block(mask);
    delay_current(tick_count + ticks);
    os_port_unmask(mask);   /* the switch happens here */
}

void os_delay_until(uint32_t *previous_wake, uint32_t period)
{
    uint32_t mask = os_port_mask();
    os_kernel_check_may_block(mask);
    uint32_t wake = *previous_wake + period;
    *previous_wake = wake;
    if ((int32_t)(wake - tick_count) > 0)
        delay_current(wake);
    os_port_unmask(mask);
}

void os_yield(void)
{
    uint32_t mask = os_port_mask();
    if (running && !os_port_in_isr()) {
        os_list_remove(&current->link);
        os_list_insert_before(&ready_lists[current->priority], &current->link);
        reschedule();
    }
    os_port_unmask(mask);
}

void os_kernel_block_current(os_link_t *wait_list, uint32_t timeout_ticks, void *wait_buffer)
{
    make_unready(current);
    current->state = OS_TASK_BLOCKED;
    current->wait_ok = 0;
    current->wait_buffer = wait_buffer;
    current->has_deadline = timeout_ticks != OS_FOREVER;
    current->wake_tick = tick_count + timeout_ticks;

    /* Most urgent first; behind the waiters of equal priority. */
    os_link_t *position = wait_list->next;
    while (position != wait_list && OS_TASK_OF(position)->priority >= current->priority)
        position = position->next;
    os_list_insert_before(position, &current->link);
    reschedule();
}

os_task_t *os_kernel_wake_first(os_link_t *wait_list)
{
    os_task_t *task = OS_TASK_OF(wait_list->next);
    os_list_remove(&task->link);
    task->wait_ok = 1;
    make_ready(task);
    reschedule();
    return task;
}

uint32_t os_stack_unused_words(const os_task_t *task)
{
    uint32_t unused = 0;
    while (unused < task->stack_words && task->stack_base[unused] == OS_STACK_FILL)
        unused++;
    return unused;
}

void os_fatal(const char *reason)
{
    os_fatal_hook(reason);
    os_port_halt();
}
