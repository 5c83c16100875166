/* Start-up of the DSMC test firmware: vector table, .data/.bss set-up, faults reported and fatal. */
#include <stdint.h>

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[], __stack_top[];
int main(void);
void SysTick_Handler(void);
void DSMC_Handler(void);

void Reset_Handler(void)
{
    uint32_t *d = __data_start, *s = __data_load;
    while (d < __data_end) *d++ = *s++;
    for (d = __bss_start; d < __bss_end; d++) *d = 0;
    main();
    for (;;) {
    }
}

static void Fault_Handler(void)
{
    /* A fault in this firmware is a test failure: say so on UART0 and stop. */
    static const char text[] = "FAULT\n";
    for (const char *p = text; *p; p++) {
        while (*(volatile uint32_t *)0x40004004u & 1u) {
        }
        *(volatile uint32_t *)0x40004000u = (uint8_t)*p;
    }
    for (;;) {
    }
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 32])(void) = {
    [0] = (void (*)(void))__stack_top,
    [1] = Reset_Handler,
    [2] = Fault_Handler,   /* NMI */
    [3] = Fault_Handler,   /* HardFault */
    [4] = Fault_Handler,
    [5] = Fault_Handler,
    [6] = Fault_Handler,
    [15] = SysTick_Handler,
    [16 + 31] = DSMC_Handler,
};
