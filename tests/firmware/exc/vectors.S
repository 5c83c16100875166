/*
 * Vector table, reset handler and semihosting entry for the exception-model tests (exc/NAME.c).
 * common/startup.S points every exception at one default handler; here every vector names
 * its own handler (NMI_Handler .. SysTick_Handler, IRQ0_Handler .. IRQ31_Handler), each a
 * weak alias of default_exception_handler, so a test defines only the handlers it needs and
 * anything else still ends the run through dsm_unexpected_exception (exit code 128 + n).
 * The reset handler and dsm_semihost_call are the same code as in common/startup.S.
 */
    .syntax unified
    .file "vectors.S"
    .cpu cortex-m3
    .thumb

    .macro WEAK_HANDLER name
    .weak \name
    .thumb_set \name, default_exception_handler
    .endm

    .section .vectors, "a", %progbits
    .global exc_vector_table
    .type exc_vector_table, %object
exc_vector_table:
    .word __stack_top
    .word reset_handler
    .word NMI_Handler
    .word HardFault_Handler
    .word MemManage_Handler
    .word BusFault_Handler
    .word UsageFault_Handler
    .word default_exception_handler     /* 7-10 reserved */
    .word default_exception_handler
    .word default_exception_handler
    .word default_exception_handler
    .word SVC_Handler
    .word DebugMon_Handler
    .word default_exception_handler     /* 13 reserved */
    .word PendSV_Handler
    .word SysTick_Handler
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .word IRQ\n\()_Handler
    .endr
    .size exc_vector_table, . - exc_vector_table

    .text
    WEAK_HANDLER NMI_Handler
    WEAK_HANDLER HardFault_Handler
    WEAK_HANDLER MemManage_Handler
    WEAK_HANDLER BusFault_Handler
    WEAK_HANDLER UsageFault_Handler
    WEAK_HANDLER SVC_Handler
    WEAK_HANDLER DebugMon_Handler
    WEAK_HANDLER PendSV_Handler
    WEAK_HANDLER SysTick_Handler
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    WEAK_HANDLER IRQ\n\()_Handler
    .endr

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

    .global default_exception_handler
    .type default_exception_handler, %function
    .thumb_func
default_exception_handler:
    mrs     r0, ipsr
    tst     lr, #4              /* the frame is on the stack the interrupted code used */
    ite     eq
    mrseq   r1, msp
    mrsne   r1, psp
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
