/*
 * Vector table relocation and stack alignment on exception entry.
 * VTOR: reset value, a copy of the table in RAM (SSRAM2 at 0x20000000, then block RAM at
 * 0x01000000) with some entries replaced, exceptions taken through it, back to the table at 0;
 * a vector whose bit 0 is clear enters its handler with EPSR.T = 0, so the handler's first
 * instruction raises INVSTATE (stacked PC = the handler, stacked exception number = the
 * interrupt).
 * Alignment: with CCR.STKALIGN = 1 (its reset value on QEMU 7.2's Cortex-M3 and on our mps2
 * board) an exception taken with SP = 4 (mod 8) stores its frame at the next lower 8-byte
 * boundary, sets bit 9 of the stacked xPSR, and the return restores SP exactly; with SP = 0
 * (mod 8) there is no padding and bit 9 is clear. Checked on MSP and PSP, for SVC and for
 * interrupts, nested inside a handler too; then with STKALIGN = 0 (writable on the Cortex-M3
 * r2 cores QEMU follows): no padding, bit 9 clear.
 */
#include "exc.h"

uint32_t svc_at(uint32_t misalign, uint32_t use_psp);
uint32_t pend_at(uint32_t misalign, uint32_t use_psp, uint32_t ispr_mask);
extern const uint32_t exc_vector_table[];

volatile uint32_t sp_before;
volatile uint32_t sp_after;
static uint64_t process_stack[64];
uint64_t *const process_stack_top = &process_stack[64];

#define VECTORS 48

static uint32_t ram_table[64] __attribute__((aligned(256)));
#define BLOCK_RAM_TABLE ((volatile uint32_t *)0x01000000u)

static volatile uint32_t frame_address;
static volatile uint32_t frame_xpsr;
static volatile uint32_t frame_exc_return;
static volatile uint32_t nested_frame_address;
static volatile uint32_t nested_frame_xpsr;
static volatile uint32_t nested_sp_before;
static volatile uint32_t nested_sp_after;
static volatile uint32_t nested_exc_return;
static volatile uint32_t nest;

void record_frame(uint32_t *frame, uint32_t exc_return)
{
    frame_address = (uint32_t)frame;
    frame_xpsr = frame[FRAME_XPSR];
    frame_exc_return = exc_return;
    log_text(" ");
    log_udec(get_ipsr());
    if (nest)
    {
        /* Take interrupt 2 from here, with MSP misaligned by 4 (nest = 1) or not (nest = 2). */
        uint32_t misalign = nest == 1 ? 4 : 0;
        nest = 0;
        uint32_t outer_address = frame_address;
        uint32_t outer_xpsr = frame_xpsr;
        uint32_t outer_exc_return = frame_exc_return;
        uint32_t outer_sp_before = sp_before;
        pend_at(misalign, 0, 1u << 2);
        nested_frame_address = frame_address;
        nested_frame_xpsr = frame_xpsr;
        nested_exc_return = frame_exc_return;
        nested_sp_before = sp_before;
        nested_sp_after = sp_after;
        frame_address = outer_address;
        frame_xpsr = outer_xpsr;
        frame_exc_return = outer_exc_return;
        sp_before = outer_sp_before;
    }
}
FRAME_HANDLER(SVC_Handler, record_frame)
FRAME_HANDLER(IRQ0_Handler, record_frame)
FRAME_HANDLER(IRQ2_Handler, record_frame)

void irq1_original(void)
{
    log_text(" irq1 through the table at 0");
}
void IRQ1_Handler(void) __attribute__((alias("irq1_original")));

static void irq1_relocated(void)
{
    log_text(" irq1 through the ram table");
}

static void irq1_block_ram(void)
{
    log_text(" irq1 through the block ram table");
}

static void nmi_relocated(void)
{
    log_text(" nmi through the ram table, ipsr ");
    log_udec(get_ipsr());
}

static volatile uint32_t even_vector_runs;

static void irq3_even_target(void)
{
    even_vector_runs = even_vector_runs + 1;
    log_text(" irq3 handler");
}

static volatile uint32_t usage_cfsr;
static volatile uint32_t usage_pc;
static volatile uint32_t usage_xpsr;

void usage_fault(uint32_t *frame, uint32_t exc_return)
{
    (void)exc_return;
    usage_cfsr = SCB_CFSR;
    usage_pc = frame[FRAME_PC];
    usage_xpsr = frame[FRAME_XPSR];
    SCB_CFSR = usage_cfsr;
    frame[FRAME_XPSR] |= XPSR_T;
    log_text(" usagefault");
}
FRAME_HANDLER(UsageFault_Handler, usage_fault)

static void vector_table(void)
{
    section("vtor");
    show_hex("vtor at reset", SCB_VTOR);
    show_hex("table at 0: initial sp", exc_vector_table[0]);
    for (unsigned i = 0; i < VECTORS; i++)
    {
        ram_table[i] = exc_vector_table[i];
    }
    ram_table[EXC_IRQ0 + 1] = (uint32_t)irq1_relocated;
    ram_table[EXC_NMI] = (uint32_t)nmi_relocated;
    NVIC_ISER(0) = 0xFu;
    sync();

    nvic_pend(1);
    log_show("pend irq 1");
    SCB_VTOR = (uint32_t)ram_table;
    sync();
    show_dec("vtor = the ram table", SCB_VTOR == (uint32_t)ram_table);
    nvic_pend(1);
    SCB_ICSR = ICSR_NMIPENDSET;
    sync();
    log_show("pend irq 1, nmi");
    ram_table[EXC_IRQ0 + 1] = (uint32_t)irq1_original;
    sync();
    nvic_pend(1);
    log_show("entry rewritten in place, pend irq 1");

    for (unsigned i = 0; i < VECTORS; i++)
    {
        BLOCK_RAM_TABLE[i] = exc_vector_table[i];
    }
    BLOCK_RAM_TABLE[EXC_IRQ0 + 1] = (uint32_t)irq1_block_ram;
    SCB_VTOR = 0x01000000u;
    sync();
    show_hex("vtor", SCB_VTOR);
    nvic_pend(1);
    log_show("pend irq 1");

    SCB_VTOR = 0;
    sync();
    show_hex("vtor", SCB_VTOR);
    nvic_pend(1);
    log_show("pend irq 1");

    section("vector with bit 0 clear");
    SCB_SHCSR = SHCSR_USGFAULTENA;
    NVIC_IPR_BYTE(3) = 0x80;
    ram_table[EXC_IRQ0 + 1] = (uint32_t)irq1_relocated;
    ram_table[EXC_IRQ0 + 3] = (uint32_t)irq3_even_target & ~1u;
    SCB_VTOR = (uint32_t)ram_table;
    nvic_enable(3);
    nvic_pend(3);
    log_show("pend irq 3");
    show_hex("usagefault cfsr", usage_cfsr);
    show_dec("stacked pc - handler", (int32_t)(usage_pc - ((uint32_t)irq3_even_target & ~1u)));
    show_hex("stacked xpsr (T, exception number)", usage_xpsr & 0x010001FFu);
    show_dec("handler runs", (int32_t)even_vector_runs);
    SCB_VTOR = 0;
    nvic_disable(3);
    sync();
}

static void one_case(const char *label, uint32_t misalign, uint32_t use_psp, uint32_t irq)
{
    frame_address = 0;
    frame_xpsr = 0;
    if (irq == 0xFF)
    {
        svc_at(misalign, use_psp);
    }
    else
    {
        pend_at(misalign, use_psp, 1u << irq);
    }
    out_str(label);
    out_str(": sp mod 8 = ");
    out_udec(sp_before & 7);
    out_str(", sp - frame = ");
    out_udec(sp_before - frame_address);
    out_str(", frame mod 8 = ");
    out_udec(frame_address & 7);
    out_str(", xpsr bit 9 = ");
    out_udec((frame_xpsr >> 9) & 1);
    out_str(", exc_return = ");
    out_hex32(frame_exc_return);
    out_str(", sp restored = ");
    out_udec(sp_after == sp_before);
    out_nl();
}

static void alignment_cases(void)
{
    one_case("svc, msp", 0, 0, 0xFF);
    one_case("svc, msp", 4, 0, 0xFF);
    one_case("svc, psp", 0, 1, 0xFF);
    one_case("svc, psp", 4, 1, 0xFF);
    one_case("irq 0, msp", 0, 0, 0);
    one_case("irq 0, msp", 4, 0, 0);
    one_case("irq 0, psp", 4, 1, 0);

    for (uint32_t outer = 0; outer <= 4; outer += 4)
    {
        for (uint32_t inner = 1; inner <= 2; inner++)
        {
            nest = inner;
            one_case("irq 0 nesting irq 2: outer", outer, 0, 0);
            out_str("  inner: sp mod 8 = ");
            out_udec(nested_sp_before & 7);
            out_str(", sp - frame = ");
            out_udec(nested_sp_before - nested_frame_address);
            out_str(", frame mod 8 = ");
            out_udec(nested_frame_address & 7);
            out_str(", xpsr bit 9 = ");
            out_udec((nested_frame_xpsr >> 9) & 1);
            out_str(", exc_return = ");
            out_hex32(nested_exc_return);
            out_str(", sp restored = ");
            out_udec(nested_sp_after == nested_sp_before);
            out_nl();
        }
    }
    log_reset();
}

static void stack_alignment(void)
{
    section("stack alignment, stkalign = 1");
    show_hex("ccr.stkalign at reset", (SCB_CCR >> 9) & 1);
    NVIC_IPR_BYTE(0) = 0x80;
    NVIC_IPR_BYTE(2) = 0x40;
    NVIC_ISER(0) = 0x5u;
    sync();
    alignment_cases();

    section("stack alignment, stkalign = 0");
    SCB_CCR = SCB_CCR & ~CCR_STKALIGN;
    sync();
    show_hex("ccr.stkalign", (SCB_CCR >> 9) & 1);
    alignment_cases();
    SCB_CCR = SCB_CCR | CCR_STKALIGN;
    sync();
    show_hex("ccr.stkalign", (SCB_CCR >> 9) & 1);
}

int main(void)
{
    vector_table();
    stack_alignment();
    return 0;
}
