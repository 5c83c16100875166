/*
 * Shared definitions for the exception-model tests: system control space registers, special
 * register accessors, an event log that handlers append to (printed later from thread mode)
 * and one-line reports. Every printed value is architecturally defined for a Cortex-M3 (or, for
 * the few implementation-defined fields, identical on QEMU's mps2-an385 and on our mps2 board);
 * nothing depends on instruction timing.
 */
#ifndef DSM_EXC_H
#define DSM_EXC_H

#include "runtime.h"

#define REG32(address) (*(volatile uint32_t *)(address))
#define REG16(address) (*(volatile uint16_t *)(address))
#define REG8(address) (*(volatile uint8_t *)(address))

/* System control space. */
#define SCS_ICTR REG32(0xE000E004u)
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SYST_CALIB REG32(0xE000E01Cu)
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define NVIC_IABR(n) REG32(0xE000E300u + 4u * (n))
#define NVIC_IPR_WORD(n) REG32(0xE000E400u + 4u * (n))
#define NVIC_IPR_BYTE(irq) REG8(0xE000E400u + (irq))
#define SCB_CPUID REG32(0xE000ED00u)
#define SCB_ICSR REG32(0xE000ED04u)
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_SCR REG32(0xE000ED10u)
#define SCB_CCR REG32(0xE000ED14u)
#define SCB_SHPR_WORD(n) REG32(0xE000ED18u + 4u * (n)) /* n = 0..2: SHPR1..SHPR3 */
#define SCB_SHPR_BYTE(exception) REG8(0xE000ED14u + (exception)) /* exception 4..15 */
#define SCB_SHCSR REG32(0xE000ED24u)
#define SCB_CFSR REG32(0xE000ED28u)
#define SCB_HFSR REG32(0xE000ED2Cu)
#define SCB_MMFAR REG32(0xE000ED34u)
#define SCB_BFAR REG32(0xE000ED38u)
#define NVIC_STIR REG32(0xE000EF00u)
#define MPU_TYPE REG32(0xE000ED90u)
#define MPU_CTRL REG32(0xE000ED94u)
#define MPU_RNR REG32(0xE000ED98u)
#define MPU_RBAR REG32(0xE000ED9Cu)
#define MPU_RASR REG32(0xE000EDA0u)

/* SysTick CSR. */
#define SYST_ENABLE (1u << 0)
#define SYST_TICKINT (1u << 1)
#define SYST_CLKSOURCE (1u << 2)
#define SYST_COUNTFLAG (1u << 16)

/* ICSR. */
#define ICSR_NMIPENDSET (1u << 31)
#define ICSR_PENDSVSET (1u << 28)
#define ICSR_PENDSVCLR (1u << 27)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)
#define ICSR_ISRPENDING (1u << 22)
#define ICSR_RETTOBASE (1u << 11)
#define ICSR_VECTPENDING(icsr) (((icsr) >> 12) & 0x1FFu)
#define ICSR_VECTACTIVE(icsr) ((icsr) & 0x1FFu)

/* AIRCR: writes need the key; reads return 0xFA05 in the top half. */
#define AIRCR_VECTKEY (0x05FAu << 16)
#define AIRCR_PRIGROUP(n) ((uint32_t)(n) << 8)

/* CCR. */
#define CCR_NONBASETHRDENA (1u << 0)
#define CCR_USERSETMPEND (1u << 1)
#define CCR_UNALIGN_TRP (1u << 3)
#define CCR_DIV_0_TRP (1u << 4)
#define CCR_BFHFNMIGN (1u << 8)
#define CCR_STKALIGN (1u << 9)

/* SHCSR. */
#define SHCSR_MEMFAULTACT (1u << 0)
#define SHCSR_BUSFAULTACT (1u << 1)
#define SHCSR_USGFAULTACT (1u << 3)
#define SHCSR_SVCALLACT (1u << 7)
#define SHCSR_MONITORACT (1u << 8)
#define SHCSR_PENDSVACT (1u << 10)
#define SHCSR_SYSTICKACT (1u << 11)
#define SHCSR_USGFAULTPENDED (1u << 12)
#define SHCSR_MEMFAULTPENDED (1u << 13)
#define SHCSR_BUSFAULTPENDED (1u << 14)
#define SHCSR_SVCALLPENDED (1u << 15)
#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)

/* CFSR: MMFSR [7:0], BFSR [15:8], UFSR [31:16]. */
#define CFSR_IACCVIOL (1u << 0)
#define CFSR_DACCVIOL (1u << 1)
#define CFSR_MMARVALID (1u << 7)
#define CFSR_IBUSERR (1u << 8)
#define CFSR_PRECISERR (1u << 9)
#define CFSR_IMPRECISERR (1u << 10)
#define CFSR_UNSTKERR (1u << 11)
#define CFSR_STKERR (1u << 12)
#define CFSR_BFARVALID (1u << 15)
#define CFSR_UNDEFINSTR (1u << 16)
#define CFSR_INVSTATE (1u << 17)
#define CFSR_INVPC (1u << 18)
#define CFSR_NOCP (1u << 19)
#define CFSR_UNALIGNED (1u << 24)
#define CFSR_DIVBYZERO (1u << 25)

/* HFSR. */
#define HFSR_VECTTBL (1u << 1)
#define HFSR_FORCED (1u << 30)

/* Exception numbers. */
enum
{
    EXC_NMI = 2,
    EXC_HARDFAULT = 3,
    EXC_MEMMANAGE = 4,
    EXC_BUSFAULT = 5,
    EXC_USAGEFAULT = 6,
    EXC_SVCALL = 11,
    EXC_PENDSV = 14,
    EXC_SYSTICK = 15,
    EXC_IRQ0 = 16,
};

/* Stacked frame word indices. */
enum
{
    FRAME_R0 = 0,
    FRAME_R1 = 1,
    FRAME_R2 = 2,
    FRAME_R3 = 3,
    FRAME_R12 = 4,
    FRAME_LR = 5,
    FRAME_PC = 6,
    FRAME_XPSR = 7,
};

#define XPSR_T (1u << 24)
#define XPSR_STACK_ALIGN (1u << 9)

/* ICSR as read in thread mode, where RETTOBASE is UNKNOWN: that bit is left out. */
static inline uint32_t icsr_in_thread(void)
{
    return SCB_ICSR & ~ICSR_RETTOBASE;
}

/* A write to the system control space followed by DSB and ISB: anything it made pending and
 * able to preempt is taken before the next instruction after the ISB. */
static inline void sync(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

#define DEFINE_MRS(name, reg)                                                                  \
    static inline uint32_t get_##name(void)                                                    \
    {                                                                                          \
        uint32_t value;                                                                        \
        __asm__ volatile("mrs %0, " #reg : "=r"(value)::"memory");                             \
        return value;                                                                          \
    }
#define DEFINE_MSR(name, reg)                                                                  \
    static inline void set_##name(uint32_t value)                                              \
    {                                                                                          \
        __asm__ volatile("msr " #reg ", %0\n\tisb" ::"r"(value) : "memory");                   \
    }

DEFINE_MRS(ipsr, ipsr)
DEFINE_MRS(xpsr, xpsr)
DEFINE_MRS(primask, primask)
DEFINE_MRS(faultmask, faultmask)
DEFINE_MRS(basepri, basepri)
DEFINE_MRS(control, control)
DEFINE_MRS(msp, msp)
DEFINE_MRS(psp, psp)
DEFINE_MSR(primask, primask)
DEFINE_MSR(faultmask, faultmask)
DEFINE_MSR(basepri, basepri)
DEFINE_MSR(basepri_max, basepri_max)
DEFINE_MSR(control, control)
DEFINE_MSR(msp, msp)
DEFINE_MSR(psp, psp)

static inline uint32_t get_sp(void)
{
    uint32_t value;
    __asm__ volatile("mov %0, sp" : "=r"(value));
    return value;
}

static inline void irq_disable(void)
{
    __asm__ volatile("cpsid i\n\tisb" ::: "memory");
}

static inline void irq_enable(void)
{
    __asm__ volatile("cpsie i\n\tisb" ::: "memory");
}

static inline void fault_disable(void)
{
    __asm__ volatile("cpsid f\n\tisb" ::: "memory");
}

static inline void fault_enable(void)
{
    __asm__ volatile("cpsie f\n\tisb" ::: "memory");
}

static inline void set_prigroup(uint32_t group)
{
    SCB_AIRCR = AIRCR_VECTKEY | AIRCR_PRIGROUP(group);
    sync();
}

static inline void nvic_enable(uint32_t irq)
{
    NVIC_ISER(irq / 32) = 1u << (irq % 32);
    sync();
}

static inline void nvic_disable(uint32_t irq)
{
    NVIC_ICER(irq / 32) = 1u << (irq % 32);
    sync();
}

static inline void nvic_pend(uint32_t irq)
{
    NVIC_ISPR(irq / 32) = 1u << (irq % 32);
    sync();
}

static inline void nvic_unpend(uint32_t irq)
{
    NVIC_ICPR(irq / 32) = 1u << (irq % 32);
    sync();
}

static inline void nvic_priority(uint32_t irq, uint8_t priority)
{
    NVIC_IPR_BYTE(irq) = priority;
    sync();
}

/* ---- reports ---- */

static inline void show_hex(const char *label, uint32_t value)
{
    out_str(label);
    out_str(" = ");
    out_hex32(value);
    out_nl();
}

static inline void show_dec(const char *label, int32_t value)
{
    out_str(label);
    out_str(" = ");
    out_dec(value);
    out_nl();
}

static inline void show_text(const char *label, const char *text)
{
    out_str(label);
    out_str(" = ");
    out_str(text);
    out_nl();
}

static inline void section(const char *title)
{
    out_str("-- ");
    out_str(title);
    out_nl();
}

/* ---- event log: handlers append, thread mode prints ---- */

static char event_log[400];
static volatile uint32_t event_length;

static inline void log_reset(void)
{
    event_length = 0;
}

static inline void log_char(char c)
{
    uint32_t length = event_length;
    if (length < sizeof event_log - 1)
    {
        event_log[length] = c;
        event_length = length + 1;
    }
}

static inline void log_text(const char *text)
{
    while (*text != '\0')
    {
        log_char(*text++);
    }
}

static inline void log_udec(uint32_t value)
{
    char digits[10];
    int count = 0;
    do
    {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (count > 0)
    {
        log_char(digits[--count]);
    }
}

static inline void log_hex(uint32_t value, int digits)
{
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    {
        log_char("0123456789abcdef"[(value >> shift) & 0xF]);
    }
}

/* Prints "label: <log>" and empties the log. */
static inline void log_show(const char *label)
{
    uint32_t length = event_length;
    out_str(label);
    out_str(":");
    for (uint32_t i = 0; i < length; i++)
    {
        out_char(event_log[i]);
    }
    out_nl();
    log_reset();
}

/* Handlers that need the stacked frame: the naked entry passes the frame (on MSP or PSP as
 * EXC_RETURN bit 2 says) and EXC_RETURN to handler(uint32_t *frame, uint32_t exc_return),
 * which returns normally (its return is the exception return). */
#define FRAME_HANDLER(name, handler)                                                           \
    __attribute__((naked)) void name(void)                                                     \
    {                                                                                          \
        __asm__ volatile("tst lr, #4\n\t"                                                      \
                         "ite eq\n\t"                                                          \
                         "mrseq r0, msp\n\t"                                                   \
                         "mrsne r0, psp\n\t"                                                   \
                         "mov r1, lr\n\t"                                                      \
                         "b " #handler);                                                       \
    }

/* Length in bytes of the Thumb instruction at address (2 or 4). */
static inline uint32_t thumb_length(uint32_t address)
{
    uint16_t first = *(const volatile uint16_t *)(address & ~1u);
    return (first >> 11) >= 0x1D ? 4u : 2u;
}

#endif
