/*
 * Preemption, nesting and tail-chaining. Handlers follow a per-scenario script (which
 * exceptions to pend or re-prioritise when they run) and append "[name" on entry and "name]"
 * on exit to the event log, so the log shows the order and the nesting; the maximum nesting
 * depth is printed too. Everything is pended synchronously (SCS write, DSB, ISB), so the order
 * is fixed by the architecture: pending exceptions are taken by group priority, then
 * subpriority, then exception number; only a higher group priority preempts; NMI preempts
 * anything. AIRCR.PRIGROUP (written with VECTKEY; a write without the key is ignored) moves the
 * group/subpriority split; all priorities use bits [7:5] only.
 * Where the entry shows "{d.. r.. a.. p..}" it is the nesting depth, RETTOBASE, VECTACTIVE and
 * VECTPENDING read on entry; "p.." after an action is VECTPENDING at that point.
 */
#include "exc.h"

enum
{
    OP_END,
    OP_PEND,   /* pend external interrupt a */
    OP_PRIO,   /* set the priority of external interrupt a to b */
    OP_PENDSV, /* ICSR.PENDSVSET */
    OP_PENDST, /* ICSR.PENDSTSET */
    OP_NMI,    /* ICSR.NMIPENDSET */
    OP_VECTPENDING,
    OP_ISRPENDING,
};

struct action
{
    uint8_t exception; /* who acts: exception number */
    uint8_t run;       /* on which of its runs (1 = first) */
    uint8_t op;
    uint8_t a;
    uint8_t b;
};

static const struct action *script;
static volatile uint32_t detail;
static volatile uint32_t nesting;
static volatile uint32_t max_nesting;
static volatile uint32_t runs[48];

static void log_name(uint32_t exception)
{
    switch (exception)
    {
    case EXC_NMI:
        log_char('N');
        break;
    case EXC_PENDSV:
        log_char('P');
        break;
    case EXC_SYSTICK:
        log_char('S');
        break;
    default:
        log_udec(exception - EXC_IRQ0);
        break;
    }
}

static void handler_body(uint32_t exception)
{
    uint32_t depth = nesting + 1;
    nesting = depth;
    if (depth > max_nesting)
    {
        max_nesting = depth;
    }
    uint32_t icsr = SCB_ICSR;
    uint32_t run = runs[exception] + 1;
    runs[exception] = run;

    log_text(" [");
    log_name(exception);
    if (detail)
    {
        log_text("{d");
        log_udec(depth);
        log_text(" r");
        log_udec((icsr & ICSR_RETTOBASE) != 0);
        log_text(" a");
        log_udec(ICSR_VECTACTIVE(icsr));
        log_text(" p");
        log_udec(ICSR_VECTPENDING(icsr));
        log_char('}');
    }

    for (const struct action *step = script; step != 0 && step->op != OP_END; step++)
    {
        if (step->exception != exception || step->run != run)
        {
            continue;
        }
        switch (step->op)
        {
        case OP_PEND:
            NVIC_ISPR(0) = 1u << step->a;
            break;
        case OP_PRIO:
            NVIC_IPR_BYTE(step->a) = step->b;
            break;
        case OP_PENDSV:
            SCB_ICSR = ICSR_PENDSVSET;
            break;
        case OP_PENDST:
            SCB_ICSR = ICSR_PENDSTSET;
            break;
        case OP_NMI:
            SCB_ICSR = ICSR_NMIPENDSET;
            break;
        case OP_VECTPENDING:
            log_text(" p");
            log_udec(ICSR_VECTPENDING(SCB_ICSR));
            break;
        case OP_ISRPENDING:
            log_text(" i");
            log_udec((SCB_ICSR & ICSR_ISRPENDING) != 0);
            break;
        default:
            break;
        }
        sync();
    }

    log_char(' ');
    log_name(exception);
    log_char(']');
    nesting = depth - 1;
}

void irq_common(void)
{
    handler_body(get_ipsr());
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
void PendSV_Handler(void) __attribute__((alias("irq_common")));
void SysTick_Handler(void) __attribute__((alias("irq_common")));
void NMI_Handler(void) __attribute__((alias("irq_common")));

#define IRQ(n) ((uint8_t)(EXC_IRQ0 + (n)))

static void prepare(const struct action *steps, const uint8_t priorities[8], uint32_t show_detail)
{
    script = steps;
    detail = show_detail;
    nesting = 0;
    max_nesting = 0;
    for (unsigned i = 0; i < 48; i++)
    {
        runs[i] = 0;
    }
    for (unsigned i = 0; i < 8; i++)
    {
        NVIC_IPR_BYTE(i) = priorities[i];
    }
    NVIC_ICPR(0) = 0xFFFFFFFFu;
    NVIC_ISER(0) = 0xFFu;
    sync();
    log_reset();
}

static void finish(const char *label)
{
    log_show(label);
    show_dec("max nesting", (int32_t)max_nesting);
    NVIC_ICER(0) = 0xFFFFFFFFu;
    sync();
}

/* Pends the interrupts in mask (and PendSV / SysTick) with PRIMASK set, then unmasks. */
static void pend_masked(uint32_t mask, int pendsv, int systick)
{
    irq_disable();
    NVIC_ISPR(0) = mask;
    if (pendsv)
    {
        SCB_ICSR = ICSR_PENDSVSET;
    }
    if (systick)
    {
        SCB_ICSR = ICSR_PENDSTSET;
    }
    sync();
    uint32_t icsr = SCB_ICSR;
    out_str("masked: vectpending = ");
    out_udec(ICSR_VECTPENDING(icsr));
    out_str(", isrpending = ");
    out_udec((icsr & ICSR_ISRPENDING) != 0);
    out_nl();
    irq_enable();
}

static const struct action no_actions[] = {{0, 0, OP_END, 0, 0}};

static void tail_chain_order(void)
{
    section("tail-chaining: everything pended while masked, prigroup 0");
    static const uint8_t priorities[8] = {0xA0, 0x20, 0x60, 0x20, 0xE0, 0x00, 0xC0, 0xC0};
    SCB_SHPR_BYTE(EXC_PENDSV) = 0x60;
    SCB_SHPR_BYTE(EXC_SYSTICK) = 0x20;
    prepare(no_actions, priorities, 1);
    pend_masked(0xFFu, 1, 1);
    finish("order");

    section("tail-chaining: only pendsv and systick pending");
    prepare(no_actions, priorities, 1);
    pend_masked(0, 1, 1);
    finish("order");
}

static void nested(void)
{
    section("nested preemption");
    static const uint8_t priorities[8] = {0xC0, 0x80, 0x40, 0xC0, 0x60, 0x00, 0x00, 0x00};
    static const struct action steps[] = {
        {IRQ(0), 1, OP_PEND, 1, 0},
        {IRQ(1), 1, OP_PEND, 2, 0},
        {IRQ(2), 1, OP_PEND, 3, 0},
        {IRQ(2), 1, OP_VECTPENDING, 0, 0},
        {IRQ(2), 1, OP_PEND, 4, 0},
        {IRQ(2), 1, OP_VECTPENDING, 0, 0},
        {IRQ(2), 1, OP_ISRPENDING, 0, 0},
        {0, 0, OP_END, 0, 0},
    };
    prepare(steps, priorities, 1);
    nvic_pend(0);
    finish("pend 0 (c0) -> 1 (80) -> 2 (40) -> 3 (c0), 4 (60)");
}

static void grouping(void)
{
    static const uint8_t priorities[8] = {0x60, 0x40, 0x20, 0xE0, 0x00, 0x00, 0x00, 0x00};
    static const struct action zero_pends_one[] = {
        {IRQ(0), 1, OP_PEND, 1, 0},
        {IRQ(0), 1, OP_PEND, 2, 0},
        {0, 0, OP_END, 0, 0},
    };
    section("priority grouping");
    show_hex("aircr at reset", SCB_AIRCR);
    SCB_AIRCR = AIRCR_PRIGROUP(5);
    sync();
    show_hex("aircr after a write without vectkey", SCB_AIRCR);
    for (uint32_t group = 0; group < 8; group++)
    {
        set_prigroup(group);
        out_str("prigroup ");
        out_udec(group);
        out_str(": aircr = ");
        out_hex32(SCB_AIRCR);
        out_nl();
    }
    static const uint32_t groups[] = {4, 5, 6, 7};
    for (unsigned i = 0; i < 4; i++)
    {
        set_prigroup(groups[i]);
        out_str("prigroup ");
        out_udec(groups[i]);
        out_nl();
        prepare(zero_pends_one, priorities, 0);
        nvic_pend(0);
        finish("  0 (60) pends 1 (40) and 2 (20)");
        prepare(no_actions, priorities, 0);
        irq_disable();
        NVIC_ISPR(0) = 0x0Fu;
        sync();
        irq_enable();
        finish("  0 (60), 1 (40), 2 (20), 3 (e0) pended together");
    }

    static const uint8_t low_first[8] = {0xE0, 0x60, 0xA0, 0x80, 0x00, 0x00, 0x00, 0x00};
    static const struct action low_pends_high[] = {
        {IRQ(0), 1, OP_PEND, 1, 0},
        {IRQ(0), 1, OP_PEND, 2, 0},
        {IRQ(0), 1, OP_PEND, 3, 0},
        {0, 0, OP_END, 0, 0},
    };
    set_prigroup(6);
    prepare(low_pends_high, low_first, 0);
    nvic_pend(0);
    finish("prigroup 6: 0 (e0) pends 1 (60), 2 (a0), 3 (80)");

    static const struct action nmi_under_seven[] = {
        {IRQ(0), 1, OP_PEND, 1, 0},
        {IRQ(0), 1, OP_NMI, 0, 0},
        {0, 0, OP_END, 0, 0},
    };
    set_prigroup(7);
    prepare(nmi_under_seven, low_first, 0);
    nvic_pend(0);
    finish("prigroup 7: 0 (e0) pends 1 (60), then nmi");
    set_prigroup(0);
}

static void changing_priority(void)
{
    section("raising the priority of a pending interrupt");
    static const uint8_t priorities[8] = {0x80, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const struct action steps[] = {
        {IRQ(0), 1, OP_PEND, 1, 0},
        {IRQ(0), 1, OP_VECTPENDING, 0, 0},
        {IRQ(0), 1, OP_PRIO, 1, 0x40},
        {0, 0, OP_END, 0, 0},
    };
    prepare(steps, priorities, 0);
    nvic_pend(0);
    finish("0 (80) pends 1 (c0), then sets 1 to 40");

    section("equal priority does not preempt");
    static const uint8_t equal[8] = {0x00, 0x00, 0x80, 0x00, 0x00, 0x80, 0x00, 0x00};
    static const struct action equal_steps[] = {
        {IRQ(5), 1, OP_PEND, 2, 0},
        {IRQ(5), 1, OP_VECTPENDING, 0, 0},
        {0, 0, OP_END, 0, 0},
    };
    prepare(equal_steps, equal, 1);
    nvic_pend(5);
    finish("5 (80) pends 2 (80)");

    section("re-pending itself");
    static const struct action again[] = {
        {IRQ(0), 1, OP_PEND, 0, 0},
        {IRQ(0), 2, OP_PEND, 0, 0},
        {0, 0, OP_END, 0, 0},
    };
    prepare(again, priorities, 0);
    nvic_pend(0);
    finish("0 pends itself on runs 1 and 2");
}

static void system_handlers(void)
{
    section("system handlers between interrupts");
    static const uint8_t priorities[8] = {0x80, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const struct action steps[] = {
        {IRQ(0), 1, OP_PENDST, 0, 0},
        {IRQ(0), 1, OP_PENDSV, 0, 0},
        {EXC_PENDSV, 1, OP_PEND, 1, 0},
        {EXC_PENDSV, 1, OP_NMI, 0, 0},
        {EXC_NMI, 1, OP_VECTPENDING, 0, 0},
        {0, 0, OP_END, 0, 0},
    };
    SCB_SHPR_BYTE(EXC_PENDSV) = 0x20;
    SCB_SHPR_BYTE(EXC_SYSTICK) = 0xE0;
    prepare(steps, priorities, 1);
    nvic_pend(0);
    finish("0 (80) pends systick (e0), pendsv (20); pendsv pends 1 (40) and nmi");
    SCB_SHPR_WORD(2) = 0;
}

int main(void)
{
    tail_chain_order();
    nested();
    grouping();
    changing_priority();
    system_handlers();
    show_dec("thread: vectactive", (int32_t)ICSR_VECTACTIVE(SCB_ICSR));
    return 0;
}
