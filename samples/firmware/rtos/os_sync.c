/* Counting semaphores and fixed-size message queues. */
#include "os_internal.h"

static void copy_bytes(void *destination, const void *source, uint32_t size)
{
    uint8_t *to = destination;
    const uint8_t *from = source;
    while (size--)
        *to++ = *from++;
}

/* ---- Semaphores ---- */

void os_semaphore_init(os_semaphore_t *semaphore, uint32_t initial_count)
{
    semaphore->count = initial_count;
    os_list_init(&semaphore->waiters);
}

bool os_semaphore_take(os_semaphore_t *semaphore, uint32_t timeout_ticks)
{
    uint32_t mask = os_port_mask();
    if (semaphore->count > 0) {
        semaphore->count--;
        os_port_unmask(mask);
        return true;
    }
    if (timeout_ticks == 0 || os_port_in_isr()) {
        os_port_unmask(mask);
        return false;
    }
    os_kernel_check_may_block(mask);
    os_task_t *self = os_current_task();
    os_kernel_block_current(&semaphore->waiters, timeout_ticks, 0);
    os_port_unmask(mask);   /* blocked here until given or timed out */
    return self->wait_ok != 0;
}

void os_semaphore_give(os_semaphore_t *semaphore)
{
    uint32_t mask = os_port_mask();
    if (!os_list_is_empty(&semaphore->waiters))
        os_kernel_wake_first(&semaphore->waiters);   /* the unit goes straight to the waiter */
    else
        semaphore->count++;
    os_port_unmask(mask);
}

/* ---- Queues ---- */

void os_queue_init(os_queue_t *queue, void *storage, uint16_t message_size, uint16_t capacity)
{
    if (message_size == 0 || capacity == 0)
        os_fatal("bad queue parameters");
    queue->storage = storage;
    queue->message_size = message_size;
    queue->capacity = capacity;
    queue->head = 0;
    queue->count = 0;
    os_list_init(&queue->receivers);
    os_list_init(&queue->senders);
}

static void append_message(os_queue_t *queue, const void *message)
{
    uint32_t tail = (uint32_t)queue->head + queue->count;
    if (tail >= queue->capacity)
        tail -= queue->capacity;
    copy_bytes(queue->storage + tail * queue->message_size, message, queue->message_size);
    queue->count++;
}

static void take_oldest_message(os_queue_t *queue, void *message)
{
    copy_bytes(message, queue->storage + (uint32_t)queue->head * queue->message_size,
               queue->message_size);
    queue->head = (uint16_t)(queue->head + 1u == queue->capacity ? 0u : queue->head + 1u);
    queue->count--;
}

bool os_queue_send(os_queue_t *queue, const void *message, uint32_t timeout_ticks)
{
    uint32_t mask = os_port_mask();
    if (!os_list_is_empty(&queue->receivers)) {
        /* A waiting receiver means the queue is empty: hand the message over directly. */
        os_task_t *receiver = os_kernel_wake_first(&queue->receivers);
        copy_bytes(receiver->wait_buffer, message, queue->message_size);
        os_port_unmask(mask);
        return true;
    }
    if (queue->count < queue->capacity) {
        append_message(queue, message);
        os_port_unmask(mask);
        return true;
    }
    if (timeout_ticks == 0 || os_port_in_isr()) {
        os_port_unmask(mask);
        return false;
    }
    os_kernel_check_may_block(mask);
    os_task_t *self = os_current_task();
    /* The receiver that makes room copies our message in before waking us. */
    os_kernel_block_current(&queue->senders, timeout_ticks, (void *)message);
    os_port_unmask(mask);
    return self->wait_ok != 0;
}

bool os_queue_receive(os_queue_t *queue, void *message, uint32_t timeout_ticks)
{
    uint32_t mask = os_port_mask();
    if (queue->count > 0) {
        take_oldest_message(queue, message);
        if (!os_list_is_empty(&queue->senders)) {
            os_task_t *sender = os_kernel_wake_first(&queue->senders);
            append_message(queue, sender->wait_buffer);
        }
        os_port_unmask(mask);
        return true;
    }
    if (timeout_ticks == 0 || os_port_in_isr()) {
        os_port_unmask(mask);
        return false;
    }
    os_kernel_check_may_block(mask);
    os_task_t *self = os_current_task();
    os_kernel_block_current(&queue->receivers, timeout_ticks, message);
    os_port_unmask(mask);
    return self->wait_ok != 0;
}

uint16_t os_queue_count(const os_queue_t *queue)
{
    return queue->count;
}
