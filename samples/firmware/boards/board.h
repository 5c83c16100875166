/*
 * What every board provides to the application (boards/<name>/board.c and vectors.c).
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdbool.h>
#include <stdint.h>

extern const char board_name[];          /* "mps2-an385", "mb9bf506n" */
extern const uint32_t board_core_clock_hz;

/* Clocks and watchdog. Runs from the reset handler before .data and .bss exist: it may touch
   registers and its own locals only. */
void board_clock_init(void);

/* Console UART (115200 8N1 on real hardware). */
void board_init(void);

/* Writes one byte to the console, waiting for room (polled). Callable with interrupts masked. */
void board_console_write_byte(uint8_t byte);

/* Starts the application's periodic timer interrupt at `hertz`; every period its handler calls
   app_timer_interrupt() at the logical priority BOARD_TIMER_IRQ_PRIORITY (kernel-aware). */
void board_periodic_timer_start(uint32_t hertz);
void app_timer_interrupt(void);

/* Semihosting SYS_EXIT (only under a debugger or an emulator: on bare hardware it faults). */
void board_semihosting_exit(bool success) __attribute__((noreturn));

#endif
