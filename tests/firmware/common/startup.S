/*
 * Vector table and reset handler for the bare-metal test runtime.
 * Unexpected exceptions end the run through dsm_unexpected_exception, which reports the
 * exception number and exits with a non-zero code, so a fault can never pass as success.
 */
    .syntax unified
    .file "startup.S"
    .cpu cortex-m3
    .thumb

    .section .vectors, "a", %progbits
    .global dsm_vector_table
    .type dsm_vector_table, %object
dsm_vector_table:
    .word __stack_top
    .word reset_handler
    .rept 14                    /* NMI .. SysTick */
    .word default_exception_handler
    .endr
    .rept 32                    /* external interrupts 0..31 */
    .word default_exception_handler
    .endr
    .size dsm_vector_table, . - dsm_vector_table

    .text
    .global reset_handler
    .type reset_handler, %function
    .thumb_func
reset_handler:
    /* Copy initialised data from its load address in the code region to RAM. */
    ldr     r0, =__data_start
    ldr     r1, =__data_end
    ldr     r2, =__data_load
1:  cmp     r0, r1
    bhs     2f
    ldr     r3, [r2], #4
    str     r3, [r0], #4
    b       1b
    /* Zero .bss. */
2:  ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    movs    r3, #0
3:  cmp     r0, r1
    bhs     4f
    str     r3, [r0], #4
    b       3b
4:  bl      main
    bl      dsm_exit
    .size reset_handler, . - reset_handler

    .type default_exception_handler, %function
    .thumb_func
default_exception_handler:
    mrs     r0, ipsr
    mov     r1, sp              /* exception frame: r0-r3, r12, lr, pc, xpsr */
    bl      dsm_unexpected_exception
    .size default_exception_handler, . - default_exception_handler

/* uint32_t dsm_semihost_call(uint32_t operation, const void *argument) */
    .global dsm_semihost_call
    .type dsm_semihost_call, %function
    .thumb_func
dsm_semihost_call:
    bkpt    0xAB
    bx      lr
    .size dsm_semihost_call, . - dsm_semihost_call

    .ltorg
