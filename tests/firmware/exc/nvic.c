/*
 * NVIC registers and external interrupts: ISER/ICER (implemented lines read back, the second
 * word of a 32-interrupt NVIC is RAZ/WI), ISPR/ICPR, IABR seen from inside handlers, pending
 * through ISPR and through STIR, a disabled interrupt staying pending until enabled, clearing
 * a pending interrupt before it is taken, re-pending an active interrupt, disabling an active
 * one, priorities through byte and word accesses of IPR and SHPR (all 8 bits are implemented
 * on QEMU's mps2-an385 and on our mps2 board; every behavioural case only uses bits [7:5]),
 * ICTR, VECTACTIVE / VECTPENDING / RETTOBASE / ISRPENDING read in handlers, PendSV and NMI
 * pended through ICSR.
 */
#include "exc.h"

static volatile uint32_t scenario;
static volatile uint32_t runs[32];
static volatile uint32_t seen_icsr;
static volatile uint32_t seen_ipsr;
static volatile uint32_t seen_iabr;
static volatile uint32_t seen_ispr;
static volatile uint32_t seen_iser;
static volatile uint32_t seen_icsr_after;
static volatile uint32_t seen_ispr_after;

enum
{
    SCENARIO_LOG_ONLY,
    SCENARIO_HANDLER_VIEW,
    SCENARIO_REPEND_SELF,
    SCENARIO_DISABLE_SELF,
};

void irq_common(void)
{
    uint32_t ipsr = get_ipsr();
    uint32_t irq = ipsr - EXC_IRQ0;
    uint32_t run = runs[irq] + 1;
    runs[irq] = run;
    log_char(' ');
    log_udec(irq);

    switch (scenario)
    {
    case SCENARIO_HANDLER_VIEW:
        if (irq == 5)
        {
            seen_ipsr = ipsr;
            seen_icsr = SCB_ICSR;
            seen_iabr = NVIC_IABR(0);
            seen_ispr = NVIC_ISPR(0);
            seen_iser = NVIC_ISER(0);
            NVIC_ISPR(0) = 1u << 6; /* lower priority: stays pending until this handler returns */
            sync();
            seen_icsr_after = SCB_ICSR;
            seen_ispr_after = NVIC_ISPR(0);
            log_text("(6 pending)");
        }
        else if (irq == 6)
        {
            log_char('/');
            log_hex(NVIC_IABR(0), 8);
        }
        break;
    case SCENARIO_REPEND_SELF:
        if (run == 1)
        {
            NVIC_ISPR(0) = 1u << irq;
            sync();
            log_text("(pending again:");
            log_udec((NVIC_ISPR(0) >> irq) & 1);
            log_text(" active:");
            log_udec((NVIC_IABR(0) >> irq) & 1);
            log_char(')');
        }
        break;
    case SCENARIO_DISABLE_SELF:
        NVIC_ICER(0) = 1u << irq;
        sync();
        log_text("(enabled:");
        log_udec((NVIC_ISER(0) >> irq) & 1);
        log_text(" active:");
        log_udec((NVIC_IABR(0) >> irq) & 1);
        log_char(')');
        break;
    default:
        break;
    }
}

#define IRQ_ALIAS(n) void IRQ##n##_Handler(void) __attribute__((alias("irq_common")));
IRQ_ALIAS(0)
IRQ_ALIAS(1)
IRQ_ALIAS(2)
IRQ_ALIAS(3)
IRQ_ALIAS(4)
IRQ_ALIAS(5)
IRQ_ALIAS(6)
IRQ_ALIAS(7)
IRQ_ALIAS(8)
IRQ_ALIAS(9)
IRQ_ALIAS(10)
IRQ_ALIAS(11)
IRQ_ALIAS(31)

static volatile uint32_t pendsv_runs;
static volatile uint32_t nmi_runs;
static volatile uint32_t nmi_icsr;
static volatile uint32_t nmi_ipsr;

void PendSV_Handler(void)
{
    pendsv_runs = pendsv_runs + 1;
    log_text(" pendsv");
}

void NMI_Handler(void)
{
    nmi_runs = nmi_runs + 1;
    nmi_ipsr = get_ipsr();
    nmi_icsr = SCB_ICSR;
    log_text(" nmi");
}

static void enable_registers(void)
{
    section("identification and enable registers");
    show_hex("ictr.intlinesnum", SCS_ICTR & 0xFu);
    irq_disable();
    show_hex("iser0 at reset", NVIC_ISER(0));
    show_hex("ispr0 at reset", NVIC_ISPR(0));
    show_hex("iabr0 at reset", NVIC_IABR(0));
    NVIC_ISER(0) = 0xFFFFFFFFu;
    sync();
    show_hex("iser0 after writing ones", NVIC_ISER(0));
    show_hex("icer0 reads the same", NVIC_ICER(0));
    NVIC_ISER(1) = 0xFFFFFFFFu;
    sync();
    show_hex("iser1 (no interrupts 32-63) after writing ones", NVIC_ISER(1));
    NVIC_ICER(0) = 0xFFFF0000u;
    sync();
    show_hex("iser0 after icer0 0xffff0000", NVIC_ISER(0));
    NVIC_ISER(0) = 0x00010000u;
    sync();
    show_hex("iser0 after iser0 0x00010000 (writing zeros has no effect)", NVIC_ISER(0));
    NVIC_ICER(0) = 0xFFFFFFFFu;
    sync();
    show_hex("iser0 after icer0 ones", NVIC_ISER(0));
    irq_enable();
}

static void pending_registers(void)
{
    section("pending registers (all interrupts disabled)");
    log_reset();
    scenario = SCENARIO_LOG_ONLY;
    NVIC_ISPR(0) = (1u << 3) | (1u << 9) | (1u << 31);
    sync();
    show_hex("ispr0 after pending 3, 9, 31", NVIC_ISPR(0));
    show_hex("icpr0 reads the same", NVIC_ICPR(0));
    show_hex("ispr1 after writing ones", (NVIC_ISPR(1) = 0xFFFFFFFFu, sync(), NVIC_ISPR(1)));
    NVIC_ICPR(0) = 1u << 9;
    sync();
    show_hex("ispr0 after icpr0 bit 9", NVIC_ISPR(0));
    log_show("handlers run while disabled");
    NVIC_ISER(0) = 1u << 3;
    sync();
    log_show("after enabling 3");
    show_hex("ispr0", NVIC_ISPR(0));
    NVIC_ISER(0) = 1u << 31;
    sync();
    log_show("after enabling 31");
    show_hex("ispr0", NVIC_ISPR(0));
    NVIC_ICER(0) = 0xFFFFFFFFu;
    sync();

    section("clearing a pending interrupt before it is taken");
    nvic_enable(4);
    irq_disable();
    nvic_pend(4);
    show_hex("ispr0 (masked)", NVIC_ISPR(0));
    show_dec("isrpending", (SCB_ICSR & ICSR_ISRPENDING) != 0);
    show_dec("vectpending", (int32_t)ICSR_VECTPENDING(SCB_ICSR));
    nvic_unpend(4);
    show_hex("ispr0 after icpr", NVIC_ISPR(0));
    show_dec("isrpending", (SCB_ICSR & ICSR_ISRPENDING) != 0);
    show_dec("vectpending", (int32_t)ICSR_VECTPENDING(SCB_ICSR));
    irq_enable();
    log_show("after cpsie");
    nvic_disable(4);

    section("software trigger (stir)");
    nvic_enable(7);
    irq_disable();
    NVIC_STIR = 7;
    sync();
    show_hex("ispr0 after stir 7 (masked)", NVIC_ISPR(0));
    irq_enable();
    log_show("after cpsie");
    NVIC_STIR = 7;
    sync();
    log_show("stir 7 unmasked");
    show_hex("ispr0", NVIC_ISPR(0));
    nvic_disable(7);
}

static void priority_registers(void)
{
    section("priority registers");
    show_hex("ipr0 at reset", NVIC_IPR_WORD(0));
    show_hex("ipr7 at reset", NVIC_IPR_WORD(7));
    show_hex("shpr1 at reset", SCB_SHPR_WORD(0));
    show_hex("shpr2 at reset", SCB_SHPR_WORD(1));
    show_hex("shpr3 at reset", SCB_SHPR_WORD(2));
    NVIC_IPR_BYTE(0) = 0xFF;
    show_hex("ipr byte 0 after 0xff (implemented bits)", NVIC_IPR_BYTE(0));
    NVIC_IPR_BYTE(1) = 0x1F;
    show_hex("ipr byte 1 after 0x1f", NVIC_IPR_BYTE(1));
    show_hex("ipr0 word", NVIC_IPR_WORD(0));
    NVIC_IPR_WORD(1) = 0x80604020u;
    show_hex("ipr bytes 4..7 after word 0x80604020",
             (uint32_t)NVIC_IPR_BYTE(4) | (uint32_t)NVIC_IPR_BYTE(5) << 8 |
                 (uint32_t)NVIC_IPR_BYTE(6) << 16 | (uint32_t)NVIC_IPR_BYTE(7) << 24);
    NVIC_IPR_BYTE(31) = 0xE0;
    show_hex("ipr7 after byte 31 = 0xe0", NVIC_IPR_WORD(7));
    NVIC_IPR_WORD(0) = 0;
    NVIC_IPR_WORD(1) = 0;
    NVIC_IPR_WORD(7) = 0;
    show_hex("ipr0 cleared", NVIC_IPR_WORD(0));

    SCB_SHPR_BYTE(EXC_MEMMANAGE) = 0xFF;
    SCB_SHPR_BYTE(EXC_BUSFAULT) = 0x40;
    SCB_SHPR_BYTE(EXC_USAGEFAULT) = 0x20;
    show_hex("shpr1 after bytes 0xff 0x40 0x20", SCB_SHPR_WORD(0) & 0x00FFFFFFu);
    SCB_SHPR_WORD(1) = 0xA0000000u;
    show_hex("shpr2 after word 0xa0000000 (svcall)", SCB_SHPR_WORD(1));
    show_hex("svcall byte", SCB_SHPR_BYTE(EXC_SVCALL));
    SCB_SHPR_BYTE(EXC_PENDSV) = 0xC0;
    SCB_SHPR_BYTE(EXC_SYSTICK) = 0x60;
    show_hex("shpr3 after bytes pendsv 0xc0, systick 0x60", SCB_SHPR_WORD(2));
    SCB_SHPR_WORD(0) = 0;
    SCB_SHPR_WORD(1) = 0;
    SCB_SHPR_WORD(2) = 0;
    show_hex("shpr3 cleared", SCB_SHPR_WORD(2));
}

static void handler_view(void)
{
    section("inside a handler");
    log_reset();
    scenario = SCENARIO_HANDLER_VIEW;
    nvic_priority(5, 0x40);
    nvic_priority(6, 0x80);
    NVIC_ISER(0) = (1u << 5) | (1u << 6) | (1u << 9);
    nvic_pend(5);
    log_show("pend 5 (priority 0x40) which pends 6 (0x80)");
    show_dec("irq 5: ipsr", (int32_t)seen_ipsr);
    show_dec("irq 5: vectactive", (int32_t)ICSR_VECTACTIVE(seen_icsr));
    show_dec("irq 5: vectpending", (int32_t)ICSR_VECTPENDING(seen_icsr));
    show_dec("irq 5: rettobase", (seen_icsr & ICSR_RETTOBASE) != 0);
    show_dec("irq 5: isrpending", (seen_icsr & ICSR_ISRPENDING) != 0);
    show_hex("irq 5: iabr0", seen_iabr);
    show_hex("irq 5: ispr0 (its own pending bit cleared on entry)", seen_ispr);
    show_hex("irq 5: iser0", seen_iser);
    show_dec("irq 5 after pending 6: vectpending", (int32_t)ICSR_VECTPENDING(seen_icsr_after));
    show_dec("irq 5 after pending 6: isrpending", (seen_icsr_after & ICSR_ISRPENDING) != 0);
    show_dec("irq 5 after pending 6: vectactive", (int32_t)ICSR_VECTACTIVE(seen_icsr_after));
    show_hex("irq 5 after pending 6: ispr0", seen_ispr_after);
    show_hex("thread: iabr0", NVIC_IABR(0));
    show_hex("thread: ispr0", NVIC_ISPR(0));
    show_dec("thread: vectactive", (int32_t)ICSR_VECTACTIVE(SCB_ICSR));

    section("re-pending an active interrupt");
    scenario = SCENARIO_REPEND_SELF;
    runs[9] = 0;
    nvic_pend(9);
    log_show("pend 9, which pends itself once");
    show_dec("runs of 9", (int32_t)runs[9]);

    section("disabling an active interrupt");
    scenario = SCENARIO_DISABLE_SELF;
    nvic_pend(6);
    log_show("pend 6, which disables itself");
    show_hex("iabr0 after return", NVIC_IABR(0));
    nvic_pend(6);
    log_show("pend 6 again (disabled)");
    show_hex("ispr0", NVIC_ISPR(0));
    nvic_enable(6);
    log_show("enable 6");
    NVIC_ICER(0) = 0xFFFFFFFFu;
    NVIC_ICPR(0) = 0xFFFFFFFFu;
    NVIC_IPR_WORD(1) = 0;
    sync();
    scenario = SCENARIO_LOG_ONLY;
}

static void system_pending(void)
{
    section("pendsv and nmi through icsr");
    log_reset();
    irq_disable();
    SCB_ICSR = ICSR_PENDSVSET;
    sync();
    uint32_t icsr = icsr_in_thread();
    show_hex("icsr after pendsvset (masked)", icsr);
    show_dec("vectpending", (int32_t)ICSR_VECTPENDING(icsr));
    show_dec("isrpending (pendsv is not external)", (icsr & ICSR_ISRPENDING) != 0);
    SCB_ICSR = ICSR_PENDSVCLR;
    sync();
    show_hex("icsr after pendsvclr", icsr_in_thread());
    SCB_ICSR = ICSR_PENDSVSET;
    sync();
    irq_enable();
    log_show("pendsvset, cpsie");

    irq_disable();
    SCB_ICSR = ICSR_NMIPENDSET;
    sync();
    log_show("nmipendset with primask set");
    irq_enable();
    show_dec("nmi: ipsr", (int32_t)nmi_ipsr);
    show_dec("nmi: vectactive", (int32_t)ICSR_VECTACTIVE(nmi_icsr));
    show_dec("nmi: rettobase", (nmi_icsr & ICSR_RETTOBASE) != 0);
    show_dec("nmi: nmipendset", (nmi_icsr & ICSR_NMIPENDSET) != 0);
    show_dec("pendsv runs", (int32_t)pendsv_runs);
    show_dec("nmi runs", (int32_t)nmi_runs);
}

int main(void)
{
    enable_registers();
    pending_registers();
    priority_registers();
    handler_view();
    system_pending();
    return 0;
}
