/*
 * Reset handler and the catch-all exception handler, shared by every board.
 */
#include <stdint.h>
#include "board.h"
#include "os.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
int main(void);

void Reset_Handler(void)
{
    /* Nothing may interrupt until the kernel is ready; os_start clears PRIMASK again. */
    __asm volatile("cpsid i" : : : "memory");
    board_clock_init();

    for (uint32_t *from = __data_load, *to = __data_start; to < __data_end;)
        *to++ = *from++;
    for (uint32_t *word = __bss_start; word < __bss_end;)
        *word++ = 0;

    main();
    for (;;) {
    }
}

/* Faults and interrupts nobody expects: stop with a report rather than run on corrupted. */
void Default_Handler(void)
{
    os_fatal("unexpected exception");
}

void board_semihosting_exit(bool success)
{
    /* SYS_EXIT with ADP_Stopped_ApplicationExit (exit code 0) or ADP_Stopped_RunTimeErrorUnknown. */
    register uint32_t operation __asm("r0") = 0x18u;
    register uint32_t reason __asm("r1") = success ? 0x20026u : 0x20023u;
    __asm volatile("bkpt 0xAB" : : "r"(operation), "r"(reason) : "memory");
    for (;;) {
    }
}
