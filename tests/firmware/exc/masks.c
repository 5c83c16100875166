/*
 * Exception masking: PRIMASK (CPSID/CPSIE and MSR), FAULTMASK, BASEPRI and BASEPRI_MAX (which
 * only ever raises the masking level), what they hold back and what they release, their
 * interaction with AIRCR.PRIGROUP (BASEPRI masks by group priority), NMI getting through
 * every mask, FAULTMASK cleared by an exception return (but not by the return from NMI), PRIMASK
 * and BASEPRI left alone by exception returns, and a synchronous SVC that cannot be taken
 * because of PRIMASK escalating to HardFault (HFSR.FORCED, stacked PC after the SVC).
 * All priorities and BASEPRI values use bits [7:5] only.
 */
#include "exc.h"

static volatile uint32_t action;

enum
{
    ACT_NONE,
    ACT_SET_FAULTMASK,
    ACT_SET_PRIMASK,
    ACT_SET_BASEPRI,
    ACT_BASEPRI_IN_HANDLER,
    ACT_FAULTMASK_HOLDS,
};

void irq_common(void)
{
    uint32_t irq = get_ipsr() - EXC_IRQ0;
    log_text(" ");
    log_udec(irq);
    switch (action)
    {
    case ACT_SET_FAULTMASK:
        fault_disable();
        log_text("(faultmask ");
        log_udec(get_faultmask());
        log_char(')');
        action = ACT_NONE;
        break;
    case ACT_SET_PRIMASK:
        irq_disable();
        action = ACT_NONE;
        break;
    case ACT_SET_BASEPRI:
        set_basepri(0xA0);
        action = ACT_NONE;
        break;
    case ACT_BASEPRI_IN_HANDLER:
        /* Running at 0x80; 2 (0x40) would preempt, but BASEPRI 0x40 holds it back. */
        action = ACT_NONE;
        set_basepri(0x40);
        nvic_pend(2);
        log_text("(2 held by basepri 40)");
        set_basepri(0);
        log_text("(basepri 0)");
        break;
    case ACT_FAULTMASK_HOLDS:
        /* Running at 0x20; 0 (0x00) would preempt, but FAULTMASK holds it back. */
        action = ACT_NONE;
        fault_disable();
        nvic_pend(0);
        log_text("(0 held by faultmask)");
        break;
    default:
        break;
    }
    log_text(".");
}

#define IRQ_ALIAS(n) void IRQ##n##_Handler(void) __attribute__((alias("irq_common")));
IRQ_ALIAS(0)
IRQ_ALIAS(1)
IRQ_ALIAS(2)
IRQ_ALIAS(3)
IRQ_ALIAS(4)

static volatile uint32_t nmi_faultmask;
static volatile uint32_t nmi_primask;

void NMI_Handler(void)
{
    nmi_faultmask = get_faultmask();
    nmi_primask = get_primask();
    log_text(" nmi");
}

void PendSV_Handler(void)
{
    log_text(" pendsv");
}

void SysTick_Handler(void)
{
    log_text(" systick");
}

static volatile uint32_t hard_hfsr;
static volatile uint32_t hard_cfsr;
static volatile uint32_t hard_shcsr;
static volatile uint32_t hard_pc;
static volatile uint32_t hard_ipsr;
static volatile uint32_t hard_runs;
static volatile uint32_t svc_runs;

void hard_fault(uint32_t *frame, uint32_t exc_return)
{
    (void)exc_return;
    hard_runs = hard_runs + 1;
    hard_ipsr = get_ipsr();
    hard_hfsr = SCB_HFSR;
    hard_cfsr = SCB_CFSR;
    hard_shcsr = SCB_SHCSR;
    hard_pc = frame[FRAME_PC];
    SCB_HFSR = hard_hfsr; /* write one to clear */
    SCB_CFSR = hard_cfsr;
}
FRAME_HANDLER(HardFault_Handler, hard_fault)

void SVC_Handler(void)
{
    svc_runs = svc_runs + 1;
    log_text(" svc");
}

static void setup(void)
{
    NVIC_IPR_WORD(0) = 0x60402000u; /* 0: 0x00, 1: 0x20, 2: 0x40, 3: 0x60 */
    NVIC_IPR_BYTE(4) = 0x80;
    SCB_SHPR_BYTE(EXC_PENDSV) = 0xE0;
    SCB_SHPR_BYTE(EXC_SYSTICK) = 0x00;
    NVIC_ISER(0) = 0x1Fu;
    sync();
    log_reset();
}

static void primask(void)
{
    section("primask");
    irq_disable();
    show_dec("cpsid i: primask", (int32_t)get_primask());
    nvic_pend(4);
    nvic_pend(0);
    SCB_ICSR = ICSR_PENDSVSET | ICSR_PENDSTSET;
    sync();
    log_show("pended 4, 0, pendsv, systick under primask");
    show_hex("ispr0", NVIC_ISPR(0));
    irq_enable();
    log_show("cpsie i");
    show_dec("primask", (int32_t)get_primask());

    set_primask(1);
    nvic_pend(3);
    log_show("msr primask 1, pend 3");
    set_primask(0);
    log_show("msr primask 0");

    action = ACT_SET_PRIMASK;
    nvic_pend(1);
    log_show("1 sets primask in its handler");
    show_dec("primask after the return (not restored)", (int32_t)get_primask());
    nvic_pend(2);
    log_show("pend 2");
    irq_enable();
    log_show("cpsie i");
}

static void faultmask(void)
{
    section("faultmask");
    fault_disable();
    show_dec("cpsid f: faultmask", (int32_t)get_faultmask());
    show_dec("primask", (int32_t)get_primask());
    nvic_pend(0);
    SCB_ICSR = ICSR_PENDSTSET;
    sync();
    log_show("pended 0 (priority 0) and systick (0)");
    SCB_ICSR = ICSR_NMIPENDSET;
    sync();
    log_show("nmipendset");
    show_dec("nmi saw faultmask", (int32_t)nmi_faultmask);
    show_dec("faultmask after the nmi returned", (int32_t)get_faultmask());
    fault_enable();
    log_show("cpsie f");

    set_faultmask(1);
    nvic_pend(4);
    log_show("msr faultmask 1, pend 4");
    set_faultmask(0);
    log_show("msr faultmask 0");

    action = ACT_SET_FAULTMASK;
    nvic_pend(3);
    log_show("3 sets faultmask in its handler");
    show_dec("faultmask after the return (cleared)", (int32_t)get_faultmask());

    /* Set in a handler, FAULTMASK holds back even higher priorities until the return. */
    action = ACT_FAULTMASK_HOLDS;
    nvic_pend(1);
    log_show("1 (20) sets faultmask, pends 0 (00)");
    show_dec("faultmask", (int32_t)get_faultmask());
}

static void basepri(void)
{
    section("basepri");
    set_basepri(0x60);
    show_hex("basepri", get_basepri());
    nvic_pend(4);
    nvic_pend(3);
    log_show("basepri 60: pend 4 (80), 3 (60)");
    nvic_pend(2);
    log_show("pend 2 (40)");
    set_basepri_max(0x80);
    show_hex("basepri_max 80 over 60 (ignored)", get_basepri());
    set_basepri_max(0x40);
    show_hex("basepri_max 40 over 60 (raises)", get_basepri());
    nvic_pend(2);
    log_show("pend 2 (40)");
    set_basepri_max(0);
    show_hex("basepri_max 0 (ignored)", get_basepri());
    set_basepri(0x80);
    log_show("msr basepri 80 (lowers the mask: 2 and 3 run)");
    set_basepri(0);
    log_show("msr basepri 0 (4 runs)");
    set_basepri_max(0xA0);
    show_hex("basepri_max a0 over 0 (sets)", get_basepri());
    set_basepri(0);

    section("basepri by group priority");
    set_prigroup(5); /* group [7:6] */
    set_basepri(0x60);
    nvic_pend(2);
    log_show("prigroup 5, basepri 60 (group 40): pend 2 (40)");
    nvic_pend(1);
    log_show("pend 1 (20, group 0)");
    set_prigroup(4);
    log_show("prigroup 4 (basepri group 60 now lets 2 through)");
    set_basepri(0);
    set_prigroup(0);

    section("basepri inside a handler");
    action = ACT_BASEPRI_IN_HANDLER;
    nvic_pend(4);
    log_show("4 (80) sets basepri 40, pends 2 (40: taken when basepri is cleared)");

    action = ACT_SET_BASEPRI;
    nvic_pend(3);
    log_show("3 sets basepri a0 in its handler");
    show_hex("basepri after the return (not restored)", get_basepri());
    nvic_pend(4);
    log_show("pend 4 (80)");
    set_basepri(0);
    log_show("basepri 0");

    section("nmi through every mask");
    irq_disable();
    fault_disable();
    set_basepri(0x20);
    SCB_ICSR = ICSR_NMIPENDSET;
    sync();
    log_show("primask, faultmask, basepri 20: nmipendset");
    show_dec("nmi saw primask", (int32_t)nmi_primask);
    show_dec("nmi saw faultmask", (int32_t)nmi_faultmask);
    set_basepri(0);
    fault_enable();
    irq_enable();
}

static void svc_escalation(void)
{
    section("svc that cannot be taken");
    irq_disable();
    __asm__ volatile("svc #3\n\t"
                     ".global after_masked_svc\n"
                     "after_masked_svc:" ::: "memory");
    irq_enable();
    extern const char after_masked_svc[];
    log_show("svc under primask");
    show_dec("hardfault runs", (int32_t)hard_runs);
    show_dec("svc runs", (int32_t)svc_runs);
    show_dec("hardfault: ipsr", (int32_t)hard_ipsr);
    show_hex("hardfault: hfsr", hard_hfsr);
    show_hex("hardfault: cfsr", hard_cfsr);
    show_hex("hardfault: shcsr", hard_shcsr);
    show_dec("hardfault: stacked pc - after_masked_svc",
             (int32_t)(hard_pc - (uint32_t)after_masked_svc));
    show_hex("hfsr after clearing", SCB_HFSR);
    show_hex("shcsr", SCB_SHCSR);

    SCB_SHPR_BYTE(EXC_SVCALL) = 0x40;
    set_basepri(0x40);
    __asm__ volatile("svc #4" ::: "memory");
    set_basepri(0);
    log_show("svc (priority 40) under basepri 40");
    show_dec("hardfault runs", (int32_t)hard_runs);
    show_hex("hardfault: hfsr", hard_hfsr);
    set_basepri(0x60);
    __asm__ volatile("svc #5" ::: "memory");
    set_basepri(0);
    log_show("svc (priority 40) under basepri 60");
    show_dec("hardfault runs", (int32_t)hard_runs);
}

int main(void)
{
    setup();
    primask();
    faultmask();
    basepri();
    svc_escalation();
    return 0;
}
