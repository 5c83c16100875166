/* Start-up for the MB9BF506N test firmware: vector table, memory initialisation, then
 * system_init() (clocks, watchdog) and main(). */
#include <stdint.h>

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;

void system_init(void);
int main(void);
void reset_handler(void);
void default_handler(void);
void btim_handler(void) __attribute__((weak, alias("default_handler")));
void dtim_handler(void) __attribute__((weak, alias("default_handler")));
void exint0_7_handler(void) __attribute__((weak, alias("default_handler")));

#define EXTERNAL_VECTORS 48

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used))
static const vector_t vectors[16 + EXTERNAL_VECTORS] = {
    [0] = (vector_t)&__stack_top,
    [1] = reset_handler,
    [2 ... 16 + 3] = default_handler,
    [16 + 4] = exint0_7_handler,
    [16 + 5] = default_handler,
    [16 + 6] = dtim_handler,
    [16 + 7 ... 16 + 30] = default_handler,
    [16 + 31] = btim_handler,
    [16 + 32 ... 16 + EXTERNAL_VECTORS - 1] = default_handler,
};

void reset_handler(void)
{
    uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;)
    {
        *dst++ = *src++;
    }

    for (uint32_t *dst = &__bss_start; dst < &__bss_end;)
    {
        *dst++ = 0;
    }

    system_init();
    main();
    for (;;)
    {
    }
}

/* An unexpected exception ends the run with a recognisable exit status. */
void semihost_exit(uint32_t code);

void default_handler(void)
{
    semihost_exit(0x80);
}
