/* Code templates that selfmod.c copies into RAM, runs, patches and runs again. */
    .syntax unified
    .file "selfmod_code.S"
    .cpu cortex-m3
    .thumb
    .section .rodata.ram_templates, "a", %progbits
    .balign 4

/* uint32_t f(void): returns 0x12340000 + 42; the MOVS and MOVW immediates get patched. */
    .global template_constant, template_constant_movs, template_constant_movw
    .global template_constant_end
template_constant:
template_constant_movs:
    movs    r0, #42
template_constant_movw:
    movw    r1, #0x1234
    lsls    r1, r1, #16
    add     r0, r0, r1
    bx      lr
    .balign 4
template_constant_end:

/* uint32_t f(uint32_t n): sums 1..n in a loop, so the code is hot before it is patched. */
    .global template_loop, template_loop_step, template_loop_end
template_loop:
    movs    r1, #0
1:  cbz     r0, 2f
template_loop_step:
    adds    r1, r1, r0
    subs    r0, r0, #1
    b.n     1b
2:  mov     r0, r1
    bx      lr
    .balign 4
template_loop_end:

/* uint32_t f(uint16_t *slot, uint32_t encoding): stores the encoding over its own next
 * instruction, synchronises, and executes the replacement. */
    .global template_self_patch, template_self_patch_slot, template_self_patch_end
template_self_patch:
    strh    r1, [r0]
    dsb
    isb
template_self_patch_slot:
    movs    r0, #1
    bx      lr
    .balign 4
template_self_patch_end:

/* A different function copied over the first one. */
    .global template_replacement, template_replacement_end
template_replacement:
    mvns    r0, r0
    bx      lr
    .balign 4
template_replacement_end:
