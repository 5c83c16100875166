/*
 * Faults. Each case runs a site (faults_code.S) whose first instruction faults; the handler
 * records IPSR, CFSR, HFSR, BFAR (only when BFARVALID), MMFAR (only when MMARVALID), the
 * stacked PC relative to the site and the stacked xPSR's T bit and exception number, clears
 * the status bits (write one to clear), and either skips the faulting instruction, restores
 * the Thumb bit, or resumes at the stacked LR; then the site returns and thread mode prints.
 *
 * Covered: UsageFault UNDEFINSTR (16- and 32-bit UDF), INVSTATE (BX to an even address), NOCP
 * (MRC/MCR/CDP to absent coprocessors), DIVBYZERO (only with CCR.DIV_0_TRP; otherwise the
 * quotient is 0), UNALIGNED (LDR/LDRH/STR with CCR.UNALIGN_TRP; LDRD, LDM and LDREX always);
 * BusFault PRECISERR + BFARVALID on loads from 0x30000000 (unmapped on QEMU's mps2-an385 and on
 * our mps2 board), IBUSERR on executing there (no BFARVALID); MemManage IACCVIOL on executing
 * from the XN system region; with the MPU (8 regions on both): DACCVIOL + MMARVALID/MMFAR on
 * loads and stores a region forbids, IACCVIOL on executing from an XN region; escalation to HardFault (HFSR.FORCED, CFSR still set) when the
 * fault is disabled in SHCSR, when the handler's priority is not higher than the execution
 * priority, and for a fault inside a handler of higher priority; INVPC from an illegal
 * EXC_RETURN and from a return to thread mode with another exception still active (the
 * returning exception is deactivated, the UsageFault is taken without a new frame; its LR,
 * which QEMU and the ARMv7-M pseudocode set differently, is not printed).
 * Not tested: a fault under FAULTMASK (lockup; QEMU 7.2 aborts), stores to unmapped memory
 * (precise or imprecise is implementation defined).
 */
#include "exc.h"

uint32_t site_udf16(uint32_t marker);
uint32_t site_udf32(uint32_t marker);
uint32_t site_invstate(uint32_t target);
void invstate_target(void);
uint32_t site_sdiv(uint32_t a, uint32_t b);
uint32_t site_udiv(uint32_t a, uint32_t b);
uint32_t site_ldr(uint32_t address);
uint32_t site_ldrh(uint32_t address);
uint32_t site_ldrsh(uint32_t address);
uint32_t site_ldrb(uint32_t address);
uint32_t site_str(uint32_t address, uint32_t value);
uint32_t site_strh(uint32_t address, uint32_t value);
uint32_t site_ldrd(uint32_t address, uint32_t unused, uint32_t r2, uint32_t r3);
uint32_t site_ldm(uint32_t address, uint32_t unused, uint32_t r2, uint32_t r3);
uint32_t site_ldrex(uint32_t address);
uint32_t site_mrc(uint32_t marker);
uint32_t site_cdp(uint32_t marker);
uint32_t site_mcr(uint32_t marker);
uint32_t site_call(uint32_t target);

#define UNMAPPED 0x30000000u

enum
{
    FIX_SKIP,     /* step over the faulting instruction */
    FIX_THUMB,    /* set the stacked T bit, retry at the same address */
    FIX_RETURN,   /* resume at the stacked LR */
    FIX_INVPC,    /* handled in faults_code.S: recover from a failed exception return */
};

volatile uint32_t fixup;
volatile uint32_t invpc_frame;
volatile uint32_t invpc_return;
static volatile uint32_t faults;
static volatile uint32_t rec_ipsr;
static volatile uint32_t rec_cfsr;
static volatile uint32_t rec_hfsr;
static volatile uint32_t rec_bfar;
static volatile uint32_t rec_mmfar;
static volatile uint32_t rec_pc;
static volatile uint32_t rec_xpsr;
static volatile uint32_t rec_shcsr;

void fault_common(uint32_t *frame, uint32_t exc_return)
{
    (void)exc_return;
    faults = faults + 1;
    rec_ipsr = get_ipsr();
    uint32_t cfsr = SCB_CFSR;
    uint32_t hfsr = SCB_HFSR;
    rec_cfsr = cfsr;
    rec_hfsr = hfsr;
    rec_bfar = (cfsr & CFSR_BFARVALID) ? SCB_BFAR : 0xEEEEEEEEu;
    rec_mmfar = (cfsr & (1u << 7)) ? SCB_MMFAR : 0xEEEEEEEEu;
    rec_pc = frame[FRAME_PC];
    rec_xpsr = frame[FRAME_XPSR];
    rec_shcsr = SCB_SHCSR;
    SCB_CFSR = cfsr;
    SCB_HFSR = hfsr;
    switch (fixup)
    {
    case FIX_THUMB:
        frame[FRAME_XPSR] |= XPSR_T;
        break;
    case FIX_RETURN:
        frame[FRAME_PC] = frame[FRAME_LR] & ~1u;
        break;
    default:
        frame[FRAME_PC] += thumb_length(frame[FRAME_PC]);
        break;
    }
}
FRAME_HANDLER(HardFault_Handler, fault_common)
FRAME_HANDLER(BusFault_Handler, fault_common)
FRAME_HANDLER(MemManage_Handler, fault_common)

static const char *exception_name(uint32_t number)
{
    switch (number)
    {
    case EXC_HARDFAULT:
        return "hardfault";
    case EXC_MEMMANAGE:
        return "memmanage";
    case EXC_BUSFAULT:
        return "busfault";
    case EXC_USAGEFAULT:
        return "usagefault";
    default:
        return "?";
    }
}

static uint32_t before;

static void arm(uint32_t how)
{
    fixup = how;
    before = faults;
    rec_ipsr = 0;
}

/* One line: label: result, then what the handler saw (or "no fault"). */
static void report(const char *label, uint32_t result, uint32_t site)
{
    out_str(label);
    out_str(": r0 = ");
    out_hex32(result);
    if (faults == before)
    {
        out_str(", no fault");
        out_nl();
        return;
    }
    out_str(", ");
    out_udec(faults - before);
    out_str("x ");
    out_str(exception_name(rec_ipsr));
    out_str(" cfsr=");
    out_hex32(rec_cfsr);
    out_str(" hfsr=");
    out_hex32(rec_hfsr);
    if (rec_cfsr & CFSR_BFARVALID)
    {
        out_str(" bfar=");
        out_hex32(rec_bfar);
    }
    if (rec_cfsr & (1u << 7))
    {
        out_str(" mmfar=");
        out_hex32(rec_mmfar);
    }
    out_str(" pc-site=");
    out_dec((int32_t)(rec_pc - (site & ~1u)));
    out_str(" xpsr.t=");
    out_udec((rec_xpsr >> 24) & 1);
    out_str(" xpsr.exc=");
    out_udec(rec_xpsr & 0x1FFu);
    out_nl();
}

#define SITE(fn) ((uint32_t)(fn))

static volatile uint32_t data_words[4] = {0x11223344u, 0x55667788u, 0x99AABBCCu, 0xDDEEFF00u};

static void usage_faults(void)
{
    section("usagefault (enabled)");
    SCB_SHCSR = SHCSR_USGFAULTENA | SHCSR_BUSFAULTENA | SHCSR_MEMFAULTENA;
    show_hex("shcsr enables", SCB_SHCSR);
    show_hex("ccr at reset (div_0_trp, unalign_trp)", SCB_CCR & (CCR_DIV_0_TRP | CCR_UNALIGN_TRP));
    uint32_t r;

    arm(FIX_SKIP);
    r = site_udf16(0xC0DE0016u);
    report("udf #0x42", r, SITE(site_udf16));
    arm(FIX_SKIP);
    r = site_udf32(0xC0DE0032u);
    report("udf.w #0x1234", r, SITE(site_udf32));
    arm(FIX_THUMB);
    r = site_invstate(SITE(invstate_target) & ~1u);
    report("bx to an even address", r, SITE(invstate_target));
    arm(FIX_SKIP);
    r = site_mrc(0xC0DE000Fu);
    report("mrc p15", r, SITE(site_mrc));
    arm(FIX_SKIP);
    r = site_mcr(0xC0DE0000u);
    report("mcr p0", r, SITE(site_mcr));
    arm(FIX_SKIP);
    r = site_cdp(0xC0DE0001u);
    report("cdp p1", r, SITE(site_cdp));

    arm(FIX_SKIP);
    r = site_sdiv(100, 0);
    report("sdiv 100/0, no trap", r, SITE(site_sdiv));
    arm(FIX_SKIP);
    r = site_udiv(100, 0);
    report("udiv 100/0, no trap", r, SITE(site_udiv));
    SCB_CCR = SCB_CCR | CCR_DIV_0_TRP;
    sync();
    arm(FIX_SKIP);
    r = site_sdiv(100, 0);
    report("sdiv 100/0, div_0_trp", r, SITE(site_sdiv));
    arm(FIX_SKIP);
    r = site_udiv(100, 0);
    report("udiv 100/0, div_0_trp", r, SITE(site_udiv));
    arm(FIX_SKIP);
    r = site_sdiv(100, 7);
    report("sdiv 100/7, div_0_trp", r, SITE(site_sdiv));
    SCB_CCR = SCB_CCR & ~CCR_DIV_0_TRP;
    sync();

    uint32_t base = (uint32_t)data_words;
    arm(FIX_SKIP);
    r = site_ldr(base + 1);
    report("ldr unaligned, no trap", r, SITE(site_ldr));
    arm(FIX_SKIP);
    r = site_ldrh(base + 3);
    report("ldrh unaligned, no trap", r, SITE(site_ldrh));
    arm(FIX_SKIP);
    r = site_ldrsh(base + 5);
    report("ldrsh unaligned, no trap", r, SITE(site_ldrsh));
    arm(FIX_SKIP);
    r = site_ldrd(base + 2, 0, 0x12, 0x34);
    report("ldrd unaligned (always traps)", r, SITE(site_ldrd));
    arm(FIX_SKIP);
    r = site_ldrd(base + 4, 0, 0x12, 0x34);
    report("ldrd word-aligned, not 8-aligned", r, SITE(site_ldrd));
    arm(FIX_SKIP);
    r = site_ldm(base + 2, 0, 0x12, 0x34);
    report("ldm unaligned (always traps)", r, SITE(site_ldm));
    arm(FIX_SKIP);
    r = site_ldrex(base + 2);
    report("ldrex unaligned (always traps)", r, SITE(site_ldrex));
    SCB_CCR = SCB_CCR | CCR_UNALIGN_TRP;
    sync();
    arm(FIX_SKIP);
    r = site_ldr(base + 1);
    report("ldr unaligned, unalign_trp", r, SITE(site_ldr));
    arm(FIX_SKIP);
    r = site_ldrh(base + 3);
    report("ldrh unaligned, unalign_trp", r, SITE(site_ldrh));
    arm(FIX_SKIP);
    r = site_ldrh(base + 2);
    report("ldrh aligned, unalign_trp", r, SITE(site_ldrh));
    arm(FIX_SKIP);
    r = site_ldrb(base + 3);
    report("ldrb, unalign_trp", r, SITE(site_ldrb));
    arm(FIX_SKIP);
    r = site_str(base + 6, 0xCAFEF00Du);
    report("str unaligned, unalign_trp", r, SITE(site_str));
    arm(FIX_SKIP);
    r = site_strh(base + 9, 0xBEEFu);
    report("strh unaligned, unalign_trp", r, SITE(site_strh));
    show_hex("word 1 (stores skipped)", data_words[1]);
    show_hex("word 2 (stores skipped)", data_words[2]);
    SCB_CCR = SCB_CCR & ~CCR_UNALIGN_TRP;
    sync();
    arm(FIX_SKIP);
    r = site_str(base + 6, 0xCAFEF00Du);
    report("str unaligned, no trap", r, SITE(site_str));
    arm(FIX_SKIP);
    r = site_strh(base + 9, 0xBEEFu);
    report("strh unaligned, no trap", r, SITE(site_strh));
    show_hex("word 1", data_words[1]);
    show_hex("word 2", data_words[2]);
}

static void bus_faults(void)
{
    section("busfault and memmanage (enabled)");
    uint32_t r;
    arm(FIX_SKIP);
    r = site_ldr(UNMAPPED);
    report("ldr from 0x30000000", r, SITE(site_ldr));
    arm(FIX_SKIP);
    r = site_ldrb(UNMAPPED + 0x123);
    report("ldrb from 0x30000123", r, SITE(site_ldrb));
    arm(FIX_SKIP);
    r = site_ldrh(UNMAPPED + 0x80000);
    report("ldrh from 0x30080000", r, SITE(site_ldrh));
    arm(FIX_RETURN);
    r = site_call(UNMAPPED | 1u);
    report("execute at 0x30000000", r, UNMAPPED);
    arm(FIX_RETURN);
    r = site_call(0xE000E100u | 1u);
    report("execute at 0xe000e100 (system region, never executable)", r, 0xE000E100u);
}

/* One 256-byte MPU region over this block; its first halfword is made a "bx lr". */
static volatile uint16_t mpu_block[128] __attribute__((aligned(256)));

static void mpu_region(uint32_t rasr_access)
{
    MPU_CTRL = 0;
    MPU_RNR = 0;
    MPU_RBAR = (uint32_t)mpu_block;
    MPU_RASR = rasr_access | (7u << 1) | 1u; /* SIZE 7: 2^(7+1) = 256 bytes, enabled */
    MPU_CTRL = 5;                            /* ENABLE, PRIVDEFENA: default map elsewhere */
    sync();
}

static void mpu_faults(void)
{
    section("memmanage with the mpu");
    show_hex("mpu_type", MPU_TYPE);
    show_hex("mpu_ctrl at reset", MPU_CTRL);
    mpu_block[0] = 0x4770; /* bx lr */
    mpu_block[8] = 0x1234;
    uint32_t base = (uint32_t)mpu_block;
    uint32_t r;

    mpu_region(0u << 24); /* AP 000: no access */
    show_hex("rasr read back", MPU_RASR);
    show_dec("rbar read back is the block", MPU_RBAR == (base | 0u));
    arm(FIX_SKIP);
    r = site_ldrh(base + 16);
    report("ldrh from a no-access region", r, SITE(site_ldrh));
    arm(FIX_SKIP);
    r = site_str(base + 20, 0x5555AAAAu);
    report("str to a no-access region", r, SITE(site_str));

    mpu_region(6u << 24); /* AP 110: read-only */
    arm(FIX_SKIP);
    r = site_ldrh(base + 16);
    report("ldrh from a read-only region", r, SITE(site_ldrh));
    arm(FIX_SKIP);
    r = site_strh(base + 16, 0x9999u);
    report("strh to a read-only region", r, SITE(site_strh));
    arm(FIX_RETURN);
    r = site_call(base | 1u);
    report("execute in a read-only region", r, base);
    mpu_region((1u << 28) | (3u << 24)); /* XN, full access */
    arm(FIX_RETURN);
    r = site_call(base | 1u);
    report("execute in an XN region", r, base);

    SCB_SHCSR = SCB_SHCSR & ~SHCSR_MEMFAULTENA;
    mpu_region(0u << 24);
    arm(FIX_SKIP);
    r = site_ldrh(base + 16);
    report("ldrh from a no-access region, memmanage disabled", r, SITE(site_ldrh));
    SCB_SHCSR = SCB_SHCSR | SHCSR_MEMFAULTENA;
    MPU_CTRL = 0;
    sync();
    show_hex("value after the mpu is off", mpu_block[8]);
}

static void escalation(void)
{
    section("escalation to hardfault");
    uint32_t r;
    SCB_SHCSR = 0;
    show_hex("shcsr enables", SCB_SHCSR);
    arm(FIX_SKIP);
    r = site_udf16(0xC0DE0016u);
    report("udf, usagefault disabled", r, SITE(site_udf16));
    arm(FIX_SKIP);
    r = site_ldr(UNMAPPED + 4);
    report("ldr 0x30000004, busfault disabled", r, SITE(site_ldr));
    arm(FIX_RETURN);
    r = site_call(0xE000E100u | 1u);
    report("execute at 0xe000e100, memmanage disabled", r, 0xE000E100u);
    SCB_CCR = SCB_CCR | CCR_DIV_0_TRP;
    arm(FIX_SKIP);
    r = site_udiv(1, 0);
    report("udiv by 0 trapped, usagefault disabled", r, SITE(site_udiv));
    SCB_CCR = SCB_CCR & ~CCR_DIV_0_TRP;

    SCB_SHCSR = SHCSR_USGFAULTENA | SHCSR_BUSFAULTENA | SHCSR_MEMFAULTENA;
    irq_disable();
    arm(FIX_SKIP);
    r = site_udf16(0xC0DE0016u);
    report("udf under primask (usagefault priority 0 not above 0)", r, SITE(site_udf16));
    irq_enable();
    SCB_SHPR_BYTE(EXC_USAGEFAULT) = 0x40;
    SCB_SHPR_BYTE(EXC_BUSFAULT) = 0x40;
    set_basepri(0x40);
    arm(FIX_SKIP);
    r = site_udf16(0xC0DE0016u);
    report("udf, usagefault priority 40 under basepri 40", r, SITE(site_udf16));
    arm(FIX_SKIP);
    r = site_ldr(UNMAPPED);
    report("ldr 0x30000000, busfault priority 40 under basepri 40", r, SITE(site_ldr));
    set_basepri(0x60);
    arm(FIX_SKIP);
    r = site_udf16(0xC0DE0016u);
    report("udf, usagefault priority 40 under basepri 60", r, SITE(site_udf16));
    set_basepri(0);
    /* A fault under FAULTMASK (execution priority -1) locks the core up: QEMU 7.2 aborts
     * ("Lockup: can't escalate 3 to HardFault"), so that is not tested. */
}

/* A fault inside a handler whose priority is not below the fault's. */
static volatile uint32_t irq_result;
static volatile uint32_t irq_faults;

void IRQ0_Handler(void)
{
    uint32_t start = faults;
    arm(FIX_SKIP);
    irq_result = site_udf16(0xC0DE0016u);
    irq_faults = faults - start;
}

static void fault_in_handler(void)
{
    section("fault inside an interrupt handler");
    SCB_SHPR_BYTE(EXC_USAGEFAULT) = 0x40;
    NVIC_IPR_BYTE(0) = 0x80;
    nvic_enable(0);
    nvic_pend(0);
    out_str("irq 0 (80), usagefault 40: ");
    out_str(exception_name(rec_ipsr));
    out_str(" cfsr=");
    out_hex32(rec_cfsr);
    out_str(" hfsr=");
    out_hex32(rec_hfsr);
    out_str(" xpsr.exc=");
    out_udec(rec_xpsr & 0x1FFu);
    out_str(" shcsr=");
    out_hex32(rec_shcsr);
    out_str(" faults=");
    out_udec(irq_faults);
    out_nl();
    NVIC_IPR_BYTE(0) = 0x40;
    sync();
    nvic_pend(0);
    out_str("irq 0 (40), usagefault 40: ");
    out_str(exception_name(rec_ipsr));
    out_str(" cfsr=");
    out_hex32(rec_cfsr);
    out_str(" hfsr=");
    out_hex32(rec_hfsr);
    out_str(" xpsr.exc=");
    out_udec(rec_xpsr & 0x1FFu);
    out_str(" faults=");
    out_udec(irq_faults);
    out_nl();
    nvic_disable(0);
    SCB_SHPR_BYTE(EXC_USAGEFAULT) = 0;
    NVIC_IPR_BYTE(0) = 0;
}

static volatile uint32_t inv_ipsr;
static volatile uint32_t inv_cfsr;
static volatile uint32_t inv_hfsr;
static volatile uint32_t inv_shcsr;
static volatile uint32_t inv_iabr;
static volatile uint32_t inv_count;
static volatile uint32_t inv_on_svc_frame;

void invpc_record(uint32_t msp)
{
    inv_count = inv_count + 1;
    inv_on_svc_frame = msp == invpc_frame;
    inv_ipsr = get_ipsr();
    inv_cfsr = SCB_CFSR;
    inv_hfsr = SCB_HFSR;
    inv_shcsr = SCB_SHCSR;
    inv_iabr = NVIC_IABR(0);
    SCB_CFSR = inv_cfsr;
    SCB_HFSR = inv_hfsr;
}

static void invpc_report(const char *label)
{
    out_str(label);
    out_str(": ");
    out_udec(inv_count);
    out_str("x ");
    out_str(exception_name(inv_ipsr));
    out_str(" cfsr=");
    out_hex32(inv_cfsr);
    out_str(" hfsr=");
    out_hex32(inv_hfsr);
    out_str(" shcsr=");
    out_hex32(inv_shcsr);
    out_str(" iabr0=");
    out_hex32(inv_iabr);
    out_str(" msp=svc frame:");
    out_udec(inv_on_svc_frame);
    out_nl();
    inv_count = 0;
}

static volatile uint32_t irq1_after_svc;

void IRQ1_Handler(void)
{
    __asm__ volatile("svc #2" ::: "r0", "r1", "r2", "r3", "r12", "lr", "memory");
    irq1_after_svc = get_ipsr();
}

static void invalid_returns(void)
{
    section("invalid exception returns (invpc)");
    SCB_SHCSR = SHCSR_USGFAULTENA | SHCSR_BUSFAULTENA | SHCSR_MEMFAULTENA;
    fixup = FIX_INVPC;
    __asm__ volatile("svc #1" ::: "r0", "r1", "r2", "r3", "r12", "lr", "memory");
    invpc_report("svc returning with exc_return 0xfffffff5");
    show_dec("thread mode again: ipsr", (int32_t)get_ipsr());
    show_hex("shcsr", SCB_SHCSR);

    NVIC_IPR_BYTE(1) = 0x80;
    nvic_enable(1);
    nvic_pend(1);
    invpc_report("svc from irq 1 returning to thread mode (0xfffffff9)");
    show_dec("irq 1 continued after its svc, ipsr", (int32_t)irq1_after_svc);
    show_dec("thread mode again: ipsr", (int32_t)get_ipsr());
    show_hex("shcsr", SCB_SHCSR);
    show_hex("iabr0", NVIC_IABR(0));
    nvic_disable(1);
    fixup = FIX_SKIP;
}

int main(void)
{
    usage_faults();
    bus_faults();
    mpu_faults();
    escalation();
    fault_in_handler();
    invalid_returns();
    show_hex("cfsr at the end", SCB_CFSR);
    show_hex("hfsr at the end", SCB_HFSR);
    return 0;
}
