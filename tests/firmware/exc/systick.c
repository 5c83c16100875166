/*
 * SysTick: register behaviour that does not depend on how fast the core runs.
 * QEMU's SysTick follows its virtual clock (host time), not retired instructions, so nothing
 * here prints a counter value taken while the timer runs, a number of polling iterations or a
 * time: only flags, interrupt counts and values of a stopped counter. The reload values are
 * large enough that no second wrap can fall between two consecutive register reads.
 *
 * Covered: CSR reset value and CALIB; RVR/CVR with the counter stopped (a CVR write clears it to
 * zero); COUNTFLAG set by a wrap, cleared by reading CSR, cleared by writing CVR, not set by
 * reads of CVR; polling mode (TICKINT=0: wraps set COUNTFLAG but never pend the exception);
 * both clock sources; N interrupts counted by the handler (which stops the timer itself) while
 * thread mode polls a counter (no WFI); IPSR, VECTACTIVE, SYSTICKACT and COUNTFLAG inside the
 * handler; PENDSTSET/PENDSTCLR through ICSR with the timer stopped, VECTPENDING, ISRPENDING;
 * the SysTick priority byte in SHPR3.
 */
#include "exc.h"

#define LONG_RELOAD 0x003FFFFFu  /* ~4.2M clocks between wraps */
#define TICK_RELOAD 0x0003FFFFu  /* ~262k core clocks between interrupts */
#define TICK_TARGET 5u

static volatile uint32_t tick_count;
static volatile uint32_t tick_extra;
static volatile uint32_t first_ipsr;
static volatile uint32_t first_icsr;
static volatile uint32_t first_shcsr;
static volatile uint32_t first_csr;
static volatile uint32_t first_csr_again;
static volatile uint32_t stop_at;

void SysTick_Handler(void)
{
    uint32_t count = tick_count;
    if (stop_at != 0 && count >= stop_at)
    {
        /* Only a wrap that slipped in before the timer was stopped can get here. */
        tick_extra = tick_extra + 1;
        return;
    }
    count++;
    tick_count = count;
    if (count == 1)
    {
        first_ipsr = get_ipsr();
        first_icsr = SCB_ICSR;
        first_shcsr = SCB_SHCSR;
        first_csr = SYST_CSR;
        first_csr_again = SYST_CSR;
    }
    if (stop_at != 0 && count == stop_at)
    {
        SYST_CSR = SYST_CLKSOURCE;
        SCB_ICSR = ICSR_PENDSTCLR;
        sync();
    }
}

/* Polls CSR (each read clears COUNTFLAG) until a wrap has set COUNTFLAG. */
static void wait_countflag(void)
{
    while ((SYST_CSR & SYST_COUNTFLAG) == 0)
    {
    }
}

/* Polls CVR, which leaves COUNTFLAG alone, until the counter has reloaded at least once after
 * the first sample: a later sample larger than the one before means a 1 -> 0 wrap and reload. */
static void wait_wrap_by_cvr(void)
{
    uint32_t previous = SYST_CVR;
    for (;;)
    {
        uint32_t now = SYST_CVR;
        if (now > previous)
        {
            return;
        }
        previous = now;
    }
}

static void registers_at_rest(void)
{
    section("registers at reset and with the counter stopped");
    show_hex("csr at reset", SYST_CSR);
    show_hex("calib", SYST_CALIB);
    SYST_RVR = 0x00123456u;
    show_hex("rvr after writing 0x00123456", SYST_RVR);
    SYST_RVR = 0x00FFFFFFu;
    show_hex("rvr after writing 0x00ffffff", SYST_RVR);
    SYST_CVR = 0x5555u;
    show_hex("cvr after a write (stopped)", SYST_CVR);
    SYST_CSR = SYST_CLKSOURCE;
    show_hex("csr after writing clksource", SYST_CSR);
    SYST_CSR = SYST_TICKINT;
    show_hex("csr after writing tickint", SYST_CSR);
    SYST_CSR = 0;
    show_hex("csr after writing 0", SYST_CSR);

    /* Run, then stop: the stopped counter holds its value. */
    SYST_RVR = LONG_RELOAD;
    SYST_CVR = 0;
    SYST_CSR = SYST_ENABLE | SYST_CLKSOURCE;
    wait_wrap_by_cvr();
    SYST_CSR = SYST_CLKSOURCE;
    uint32_t held = SYST_CVR;
    uint32_t again = SYST_CVR;
    show_dec("stopped counter holds its value", held == again);
    show_dec("stopped counter within reload", held <= LONG_RELOAD);
    SYST_CVR = 1;
    show_hex("cvr after a write to the stopped counter", SYST_CVR);
    show_hex("csr: countflag cleared by the cvr write", SYST_CSR & SYST_COUNTFLAG);
}

static void countflag(void)
{
    section("countflag");
    SYST_CSR = SYST_CLKSOURCE;
    SYST_RVR = LONG_RELOAD;
    SYST_CVR = 0;
    (void)SYST_CSR;
    SYST_CSR = SYST_ENABLE | SYST_CLKSOURCE;
    show_hex("csr right after enabling", SYST_CSR);

    wait_countflag();
    out_str("countflag seen by polling csr");
    out_nl();
    show_hex("csr read again: countflag cleared by the read", SYST_CSR & ~SYST_ENABLE & ~SYST_CLKSOURCE);

    wait_wrap_by_cvr();
    uint32_t csr = SYST_CSR;
    show_hex("wrap seen through cvr, then csr", csr);
    show_hex("and csr again", SYST_CSR);

    wait_wrap_by_cvr();
    SYST_CVR = 0;
    show_hex("wrap seen through cvr, cvr written, then csr", SYST_CSR);

    wait_wrap_by_cvr();
    wait_wrap_by_cvr();
    show_hex("two wraps seen through cvr, then csr", SYST_CSR);
    SYST_CSR = SYST_CLKSOURCE;
}

static void polling_mode(void)
{
    section("polling mode (tickint = 0)");
    tick_count = 0;
    SCB_SHPR_BYTE(EXC_SYSTICK) = 0x80;
    SYST_RVR = TICK_RELOAD;
    SYST_CVR = 0;
    (void)SYST_CSR;
    SYST_CSR = SYST_ENABLE | SYST_CLKSOURCE;
    for (int i = 0; i < 3; i++)
    {
        wait_countflag();
    }
    SYST_CSR = SYST_CLKSOURCE;
    sync();
    show_dec("three wraps polled, handler runs", (int32_t)tick_count);
    show_hex("icsr pendstset", SCB_ICSR & ICSR_PENDSTSET);

    /* The reference clock (CLKSOURCE = 0) counts too. */
    SYST_RVR = 0x3FFFu;
    SYST_CVR = 0;
    (void)SYST_CSR;
    SYST_CSR = SYST_ENABLE;
    show_hex("csr with the reference clock", SYST_CSR);
    wait_countflag();
    SYST_CSR = 0;
    out_str("reference clock wrapped");
    out_nl();
    show_dec("handler runs", (int32_t)tick_count);
}

static void interrupts(void)
{
    section("interrupt mode (tickint = 1)");
    show_hex("shpr3 after writing the systick byte 0x80", SCB_SHPR_WORD(2));
    tick_count = 0;
    tick_extra = 0;
    stop_at = TICK_TARGET;
    SYST_RVR = TICK_RELOAD;
    SYST_CVR = 0;
    (void)SYST_CSR;
    SYST_CSR = SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE;
    while (tick_count < TICK_TARGET)
    {
    }
    show_dec("interrupts counted", (int32_t)tick_count);
    show_hex("csr after the handler stopped the timer", SYST_CSR);
    show_dec("first handler: ipsr", (int32_t)first_ipsr);
    show_dec("first handler: icsr.vectactive", (int32_t)ICSR_VECTACTIVE(first_icsr));
    show_dec("first handler: icsr.rettobase", (first_icsr & ICSR_RETTOBASE) != 0);
    show_hex("first handler: shcsr", first_shcsr);
    show_hex("first handler: csr (countflag of the wrap)", first_csr);
    show_hex("first handler: csr again", first_csr_again);
    show_hex("thread: shcsr", SCB_SHCSR);
    show_hex("thread: icsr (without rettobase)", icsr_in_thread());
    stop_at = 0;
}

static void pend_by_icsr(void)
{
    section("pendstset / pendstclr");
    tick_count = 0;
    irq_disable();
    SCB_ICSR = ICSR_PENDSTSET;
    sync();
    uint32_t icsr = icsr_in_thread();
    show_hex("icsr after pendstset (primask set)", icsr);
    show_dec("vectpending", (int32_t)ICSR_VECTPENDING(icsr));
    SCB_ICSR = ICSR_PENDSTCLR;
    sync();
    show_hex("icsr after pendstclr", icsr_in_thread());
    irq_enable();
    show_dec("handler runs after pendstclr and cpsie", (int32_t)tick_count);

    SCB_ICSR = ICSR_PENDSTSET;
    sync();
    show_dec("handler runs after pendstset (unmasked)", (int32_t)tick_count);
    show_hex("icsr afterwards", icsr_in_thread());

    irq_disable();
    SCB_ICSR = ICSR_PENDSTSET;
    SCB_ICSR = ICSR_PENDSTSET;
    sync();
    irq_enable();
    show_dec("two pendstset writes while masked: handler runs", (int32_t)tick_count);

    /* Writing both set and clear: the architecture makes it UNPREDICTABLE, so it is not tested. */
}

int main(void)
{
    registers_at_rest();
    countflag();
    polling_mode();
    interrupts();
    pend_by_icsr();
    show_dec("late interrupts after stop", (int32_t)tick_extra);
    return 0;
}
