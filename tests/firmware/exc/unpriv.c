/*
 * Privilege and stack selection. Thread mode on PSP (CONTROL.SPSEL), EXC_RETURN 0xFFFFFFFD and
 * the frame on PSP; CONTROL in handler mode (SPSEL reads 0, writes to it are ignored there).
 * Unprivileged thread mode (CONTROL.nPRIV = 1): MSR to PRIMASK, BASEPRI, BASEPRI_MAX,
 * FAULTMASK, CONTROL, MSP and PSP and CPSID/CPSIE are ignored (checked by behaviour, with
 * interrupts pended through STIR, which CCR.USERSETMPEND opens to unprivileged code); MRS of
 * CONTROL works, MRS of the mask registers and of MSP/PSP reads zero there; handlers run
 * privileged; an SVC handler clears nPRIV to return to privileged thread mode. Unprivileged
 * accesses to the system control space (NVIC, SCB, SysTick, and STIR without USERSETMPEND)
 * are precise BusFaults with BFAR, as QEMU 7.2 reports them.
 */
#include "exc.h"

static uint64_t process_stack[256];
#define PROCESS_STACK_TOP ((uint32_t)&process_stack[256])

static volatile uint32_t svc_exc_return;
static volatile uint32_t svc_frame;
static volatile uint32_t svc_control;
static volatile uint32_t svc_control_after;
static volatile uint32_t svc_ipsr;

/* svc #0: become privileged; #1: report; #2: also try CONTROL.SPSEL = 1 in handler mode;
 * #3: clear BASEPRI. */
void svc_handler(uint32_t *frame, uint32_t exc_return)
{
    uint32_t number = *(const volatile uint16_t *)(frame[FRAME_PC] - 2) & 0xFFu;
    svc_exc_return = exc_return;
    svc_frame = (uint32_t)frame;
    svc_control = get_control();
    svc_ipsr = get_ipsr();
    log_text(" svc");
    log_udec(number);
    switch (number)
    {
    case 0:
        set_control(get_control() & ~1u);
        break;
    case 2:
        set_control(get_control() | 2u);
        svc_control_after = get_control();
        break;
    case 3:
        set_basepri(0);
        break;
    default:
        break;
    }
}
FRAME_HANDLER(SVC_Handler, svc_handler)

static volatile uint32_t bus_faults;
static volatile uint32_t bus_cfsr;
static volatile uint32_t bus_bfar;
static volatile uint32_t bus_pc;
static volatile uint32_t bus_control;

void bus_fault(uint32_t *frame, uint32_t exc_return)
{
    (void)exc_return;
    bus_faults = bus_faults + 1;
    uint32_t cfsr = SCB_CFSR;
    bus_cfsr = cfsr;
    bus_bfar = (cfsr & CFSR_BFARVALID) ? SCB_BFAR : 0xEEEEEEEEu;
    bus_pc = frame[FRAME_PC];
    bus_control = get_control();
    SCB_CFSR = cfsr;
    frame[FRAME_PC] += thumb_length(frame[FRAME_PC]);
}
FRAME_HANDLER(BusFault_Handler, bus_fault)

void irq_common(void)
{
    log_text(" irq");
    log_udec(get_ipsr() - EXC_IRQ0);
    log_text("(control ");
    log_udec(get_control());
    log_char(')');
}
void IRQ0_Handler(void) __attribute__((alias("irq_common")));
void IRQ1_Handler(void) __attribute__((alias("irq_common")));

#define SVC(n) __asm__ volatile("svc #" #n ::: "r0", "r1", "r2", "r3", "r12", "lr", "memory")

static void show_svc(const char *label)
{
    out_str(label);
    out_str(": exc_return = ");
    out_hex32(svc_exc_return);
    out_str(", control in handler = ");
    out_hex32(svc_control);
    out_str(", ipsr = ");
    out_udec(svc_ipsr);
    out_str(", frame on psp = ");
    out_udec(svc_frame >= (uint32_t)process_stack && svc_frame < PROCESS_STACK_TOP);
    out_nl();
}

/* Unprivileged reads and writes of the SCS: each one a BusFault skipped by the handler. */
static void scs_access(const char *label, volatile uint32_t *address, int write)
{
    uint32_t before = bus_faults;
    if (write)
    {
        *address = 0;
    }
    else
    {
        (void)*address;
    }
    out_str(label);
    if (bus_faults == before)
    {
        out_str(": no fault");
        out_nl();
        return;
    }
    out_str(": busfault cfsr=");
    out_hex32(bus_cfsr);
    if (bus_cfsr & CFSR_BFARVALID)
    {
        out_str(" bfar=");
        out_hex32(bus_bfar);
    }
    out_str(" control in handler=");
    out_hex32(bus_control);
    out_nl();
}

static void privileged_psp(void)
{
    section("privileged thread mode on psp");
    show_hex("control at reset", get_control());
    uint32_t msp = get_msp();
    set_psp(PROCESS_STACK_TOP);
    set_control(2);
    show_hex("control after msr 2", get_control());
    show_dec("sp is psp", get_sp() == get_psp());
    show_dec("psp below its top", (int32_t)(PROCESS_STACK_TOP - get_psp()) >= 0);
    show_dec("msp unchanged", get_msp() == msp);
    SVC(1);
    show_svc("svc #1");
    SVC(2);
    show_svc("svc #2 (handler writes spsel = 1)");
    show_hex("control read back in the handler", svc_control_after);
    show_hex("control after the return", get_control());
    log_show("log");
}

static void unprivileged(void)
{
    section("unprivileged thread mode");
    SCB_SHCSR = SHCSR_BUSFAULTENA;
    SCB_CCR = SCB_CCR | CCR_USERSETMPEND;
    NVIC_IPR_BYTE(0) = 0x00;
    NVIC_IPR_BYTE(1) = 0x80;
    NVIC_ISER(0) = 3;
    set_basepri(0x80);
    sync();
    set_control(3);
    show_hex("control after msr 3", get_control());

    show_hex("mrs basepri (reads zero unprivileged)", get_basepri());
    show_hex("mrs msp (reads zero unprivileged)", get_msp());
    show_hex("mrs psp (reads zero unprivileged)", get_psp());
    show_dec("sp still the process stack", get_sp() > (uint32_t)process_stack && get_sp() <= PROCESS_STACK_TOP);

    __asm__ volatile("cpsid i\n\tisb" ::: "memory");
    set_primask(1);
    set_faultmask(1);
    __asm__ volatile("cpsid f\n\tisb" ::: "memory");
    NVIC_STIR = 0;
    sync();
    log_show("cpsid i, msr primask 1, msr faultmask 1, cpsid f, stir 0 (priority 0)");
    set_basepri(0);
    set_basepri_max(0x20);
    NVIC_STIR = 1;
    sync();
    log_show("msr basepri 0, basepri_max 20, stir 1 (priority 80, under basepri 80)");
    set_control(0);
    show_hex("control after msr 0 (ignored)", get_control());
    set_msp(0x20000100u);
    set_psp(0x20000100u);
    show_dec("sp after msr msp and psp (ignored)", get_sp() > (uint32_t)process_stack && get_sp() <= PROCESS_STACK_TOP);

    SVC(1);
    show_svc("svc #1 from unprivileged");
    log_show("log");
    SVC(3);
    log_show("svc #3 clears basepri: pending irq 1 follows");
    show_hex("control", get_control());

    section("unprivileged access to the system control space");
    scs_access("read icsr", &SCB_ICSR, 0);
    scs_access("write icsr", &SCB_ICSR, 1);
    scs_access("read iser0", &NVIC_ISER(0), 0);
    scs_access("write ispr0", &NVIC_ISPR(0), 1);
    scs_access("read ictr", &SCS_ICTR, 0);
    scs_access("read syst_csr", &SYST_CSR, 0);
    scs_access("write syst_rvr", &SYST_RVR, 1);
    scs_access("read cpuid", &SCB_CPUID, 0);
    scs_access("write stir 0 (usersetmpend = 1)", &NVIC_STIR, 1);
    sync();
    log_show("log");
    SVC(0);
    log_show("log");
    show_hex("control after svc #0", get_control());
    SCB_CCR = SCB_CCR & ~CCR_USERSETMPEND;
    set_control(3);
    scs_access("write stir 0 (usersetmpend = 0)", &NVIC_STIR, 1);
    sync();
    log_show("log");
    SVC(0);
    log_show("log");
    show_hex("control after svc #0", get_control());
    show_hex("mrs basepri (privileged again)", get_basepri());
    show_hex("mrs primask", get_primask());
    show_hex("mrs faultmask", get_faultmask());
    show_dec("bus faults", (int32_t)bus_faults);
    set_control(0);
    show_hex("control back on msp", get_control());
}

int main(void)
{
    privileged_psp();
    unprivileged();
    return 0;
}
