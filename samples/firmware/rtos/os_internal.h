/* Kernel internals shared by os_kernel.c, os_sync.c and the CPU port. Not for applications. */
#ifndef OS_INTERNAL_H
#define OS_INTERNAL_H

#include "os.h"
#include "os_port.h"

#define OS_TASK_OF(link_pointer) \
    ((os_task_t *)((uint8_t *)(link_pointer) - offsetof(os_task_t, link)))

/* Circular doubly linked lists with a sentinel head. */
static inline void os_list_init(os_link_t *head) { head->next = head->prev = head; }
static inline bool os_list_is_empty(const os_link_t *head) { return head->next == head; }

static inline void os_list_insert_before(os_link_t *position, os_link_t *node)
{
    node->next = position;
    node->prev = position->prev;
    position->prev->next = node;
    position->prev = node;
}

static inline void os_list_remove(os_link_t *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->next = node->prev = node;
}

/* Services for the synchronisation objects; all are called with the kernel masked. */

/* Fails hard if the calling context may not block (ISR, nested critical section, kernel not
   running). `mask_before` is what os_port_mask() returned to the caller. */
void os_kernel_check_may_block(uint32_t mask_before);
/* Moves the running task from its ready list to `wait_list` (by priority) with an optional timeout
   and requests a switch; the task continues after the caller unmasks, once woken. */
void os_kernel_block_current(os_link_t *wait_list, uint32_t timeout_ticks, void *wait_buffer);
/* Wakes the first task of `wait_list` with success and returns it. The list must not be empty. */
os_task_t *os_kernel_wake_first(os_link_t *wait_list);

/* Entry points for the CPU port. */
uint32_t *os_kernel_switch(uint32_t *saved_sp);   /* PendSV: store sp, pick the next task */
uint32_t *os_kernel_first_task_sp(void);           /* SVC: the first task's sp */
void os_kernel_tick(void);                         /* SysTick */

#endif
