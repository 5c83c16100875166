/*
 * SVC and PendSV. The SVC handler takes the SVC number from the instruction before the
 * stacked PC and its arguments from the stacked r0-r3, and returns results by writing the
 * frame; SVCall pended through SHCSR.SVCALLPENDED. Then two threads on PSP scheduled by a
 * PendSV context switch that keeps r4-r11 on each thread's stack (as an RTOS does), started by
 * an SVC that returns to thread mode with EXC_RETURN 0xFFFFFFFD: first cooperatively (SVC
 * yield pends PendSV), then preemptively (every SysTick pends PendSV) while the threads pass a
 * turn variable, so the printed interleaving does not depend on when the ticks come. Every
 * switch is checked to keep r4-r11; the last thread returns to main through an SVC.
 * Assembly half: svc_pendsv_code.S.
 */
#include "exc.h"

#define THREADS 2
#define STACK_WORDS 512
#define ROUNDS 3

/* Shared with svc_pendsv_code.S. */
volatile uint32_t svc_pended_expected;
volatile uint32_t main_saved_sp;
volatile uint32_t current_thread;
volatile uint32_t next_thread;
volatile uint32_t thread_sp[THREADS];
volatile uint32_t pendsv_exc_return;
volatile uint32_t pendsv_count;
volatile uint32_t turn;
uint32_t entry_registers[THREADS][8];

uint32_t hold_registers(uint32_t seed, uint32_t how);
void thread_entry(uint32_t id);

static uint64_t thread_stacks[THREADS][STACK_WORDS / 2];

/* What the handler saw, printed later from thread mode. */
static volatile uint32_t seen_number;
static volatile uint32_t seen_ipsr;
static volatile uint32_t seen_exc_return;
static volatile uint32_t seen_r12;
static volatile uint32_t seen_xpsr;
static volatile uint32_t seen_pc;
static volatile uint32_t seen_instruction;
static volatile uint32_t seen_frame;
static volatile uint32_t seen_shcsr;
static volatile uint32_t svc_runs;

void svc_dispatch(uint32_t *frame, uint32_t number, uint32_t exc_return)
{
    svc_runs = svc_runs + 1;
    seen_number = number;
    seen_ipsr = get_ipsr();
    seen_exc_return = exc_return;
    seen_frame = (uint32_t)frame;
    seen_shcsr = SCB_SHCSR;
    switch (number)
    {
    case 1: /* yield */
        SCB_ICSR = ICSR_PENDSVSET;
        sync();
        break;
    case 0x20: /* r0 = r0 + r1 + r2 + r3 */
        frame[FRAME_R0] = frame[FRAME_R0] + frame[FRAME_R1] + frame[FRAME_R2] + frame[FRAME_R3];
        break;
    case 0x21: /* swap r0 and r1, invert r2, r3 = number */
    {
        uint32_t r0 = frame[FRAME_R0];
        frame[FRAME_R0] = frame[FRAME_R1];
        frame[FRAME_R1] = r0;
        frame[FRAME_R2] = ~frame[FRAME_R2];
        frame[FRAME_R3] = number;
        break;
    }
    case 0x22: /* report */
        seen_r12 = frame[FRAME_R12];
        seen_xpsr = frame[FRAME_XPSR];
        seen_pc = frame[FRAME_PC];
        seen_instruction = *(const volatile uint16_t *)(frame[FRAME_PC] - 2);
        break;
    default:
        frame[FRAME_R0] = number;
        break;
    }
}

struct svc_result
{
    uint32_t r0, r1, r2, r3;
};

#define DEFINE_SVC(name, number)                                                               \
    static struct svc_result name(uint32_t a, uint32_t b, uint32_t c, uint32_t d)              \
    {                                                                                          \
        register uint32_t r0 __asm__("r0") = a;                                                \
        register uint32_t r1 __asm__("r1") = b;                                                \
        register uint32_t r2 __asm__("r2") = c;                                                \
        register uint32_t r3 __asm__("r3") = d;                                                \
        __asm__ volatile("svc #" #number : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)::"memory");  \
        return (struct svc_result){r0, r1, r2, r3};                                            \
    }

DEFINE_SVC(svc_add, 0x20)
DEFINE_SVC(svc_swap, 0x21)
DEFINE_SVC(svc_other, 0x7F)
DEFINE_SVC(svc_max, 0xFF)

static void show_result(const char *label, struct svc_result result)
{
    out_str(label);
    out_str(": r0-r3 =");
    const uint32_t values[4] = {result.r0, result.r1, result.r2, result.r3};
    for (int i = 0; i < 4; i++)
    {
        out_char(' ');
        out_hex32(values[i]);
    }
    out_nl();
}

__attribute__((noinline, noclone)) static void svc_report(uint32_t r12)
{
    register uint32_t value __asm__("r12") = r12;
    __asm__ volatile("svc #0x22\n\t"
                     ".global after_report_svc\n"
                     "after_report_svc:"
                     : "+r"(value)::"r0", "r1", "r2", "r3", "memory");
}

static void svc_calls(void)
{
    section("svc from thread mode on msp");
    show_result("svc #0x20 (add) 1 2 3 4", svc_add(1, 2, 3, 4));
    show_result("svc #0x20 (add) ffffffff 1 10 20", svc_add(0xFFFFFFFFu, 1, 0x10, 0x20));
    show_result("svc #0x21 (swap) 11111111 22222222 0f0f0f0f 0", svc_swap(0x11111111u, 0x22222222u, 0x0F0F0F0Fu, 0));
    show_result("svc #0x7f 5 6 7 8", svc_other(5, 6, 7, 8));
    show_result("svc #0xff 5 6 7 8", svc_max(5, 6, 7, 8));
    svc_report(0xC0FFEE12u);
    extern const char after_report_svc[];
    show_hex("svc #0x22: number", seen_number);
    show_dec("ipsr in the handler", (int32_t)seen_ipsr);
    show_hex("exc_return", seen_exc_return);
    show_hex("stacked r12", seen_r12);
    show_hex("stacked xpsr (T and exception number)", seen_xpsr & 0x010001FFu);
    show_dec("stacked pc - after_report_svc", (int32_t)(seen_pc - (uint32_t)after_report_svc));
    show_hex("instruction before the stacked pc", seen_instruction);
    show_hex("shcsr in the handler (svcallact)", seen_shcsr);
    show_dec("frame on msp", seen_frame >= 0x20000000u && seen_frame < 0x20010000u);
    show_dec("svc runs", (int32_t)svc_runs);

    section("svcall pended through shcsr");
    irq_disable();
    svc_pended_expected = 1;
    uint32_t before = svc_runs;
    SCB_SHCSR = SCB_SHCSR | SHCSR_SVCALLPENDED;
    sync();
    show_hex("shcsr after setting svcallpended (masked)", SCB_SHCSR);
    show_dec("vectpending", (int32_t)ICSR_VECTPENDING(SCB_ICSR));
    irq_enable();
    svc_pended_expected = 0;
    show_dec("handler runs after cpsie", (int32_t)(svc_runs - before));
    show_hex("number seen", seen_number);
    show_hex("shcsr afterwards", SCB_SHCSR);
}

static void svc_yield_checked(uint32_t id, uint32_t round)
{
    uint32_t kept = hold_registers((id << 28) | (round << 8), 0);
    out_str(id == 0 ? "A" : "B");
    out_udec(round);
    out_str(" yield kept ");
    out_udec(kept);
    out_str(" of r4-r11");
    out_nl();
}

void thread_main(uint32_t id)
{
    uint32_t other = id ^ 1;
    const char *name = id == 0 ? "A" : "B";

    out_str(name);
    out_str(" started: control = ");
    out_hex32(get_control());
    out_str(", r4-r11 from its initial frame:");
    for (int i = 0; i < 8; i++)
    {
        out_char(' ');
        out_hex(entry_registers[id][i], 8);
    }
    out_nl();
    svc_report(id);
    out_str(name);
    out_str(": svc exc_return = ");
    out_hex32(seen_exc_return);
    out_str(", frame on its own stack = ");
    out_udec(seen_frame >= (uint32_t)thread_stacks[id] && seen_frame < (uint32_t)thread_stacks[id + 1]);
    out_nl();

    /* Cooperative: each yield switches to the other thread. */
    for (uint32_t round = 0; round < ROUNDS; round++)
    {
        next_thread = other;
        svc_yield_checked(id, round);
    }

    if (id == 0)
    {
        /* One more switch lets B print its last cooperative line before the ticks start. */
        next_thread = 1;
        __asm__ volatile("svc #1" ::: "memory");
    }
    else
    {
        /* Preemptive: SysTick switches threads at arbitrary points; the turn variable orders
         * the output, and only the thread holding the turn prints. */
        out_str("B starts systick");
        out_nl();
        SCB_SHPR_BYTE(EXC_SYSTICK) = 0xE0;
        SYST_RVR = 20000;
        SYST_CVR = 0;
        turn = 0;
        SYST_CSR = SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE;
    }
    for (uint32_t round = 0; round < ROUNDS; round++)
    {
        uint32_t kept = hold_registers((id << 28) | 0x00AA0000u | (round << 8), 1);
        out_str(name);
        out_udec(round);
        out_str(" turn, kept ");
        out_udec(kept);
        out_str(" of r4-r11 while preempted");
        out_nl();
        turn = other;
    }
    if (id == 0)
    {
        /* Done: hand every remaining time slice to B. */
        for (;;)
        {
            next_thread = 1;
            __asm__ volatile("svc #1" ::: "memory");
        }
    }
    SYST_CSR = 0;
    SCB_ICSR = ICSR_PENDSTCLR | ICSR_PENDSVCLR;
    sync();
    out_str("B stops systick, returns to main");
    out_nl();
    __asm__ volatile("svc #0x10" ::: "memory");
    for (;;)
    {
    }
}

/* Tick: switch to the other thread through PendSV. */
void SysTick_Handler(void)
{
    next_thread = current_thread ^ 1;
    SCB_ICSR = ICSR_PENDSVSET;
}

static void build_thread(uint32_t id)
{
    uint32_t *top = (uint32_t *)&thread_stacks[id + 1][0];
    uint32_t *frame = top - 8;
    frame[FRAME_R0] = id;
    frame[FRAME_R1] = 0x11111111u * (id + 1);
    frame[FRAME_R2] = 0;
    frame[FRAME_R3] = 0;
    frame[FRAME_R12] = 0;
    frame[FRAME_LR] = 0xFFFFFFFFu; /* thread functions never return */
    frame[FRAME_PC] = (uint32_t)thread_entry & ~1u;
    frame[FRAME_XPSR] = XPSR_T;
    uint32_t *saved = frame - 8;
    for (uint32_t i = 0; i < 8; i++)
    {
        saved[i] = 0xA0000000u | (id << 24) | (4 + i); /* r4 .. r11 */
    }
    thread_sp[id] = (uint32_t)saved;
}

static void threads(void)
{
    section("two threads on psp, switched by pendsv");
    SCB_SHPR_BYTE(EXC_PENDSV) = 0xE0;
    SCB_SHPR_BYTE(EXC_SVCALL) = 0x80;
    build_thread(0);
    build_thread(1);
    uint32_t r4_before;
    __asm__ volatile("mov %0, r4" : "=r"(r4_before));
    __asm__ volatile("svc #0" ::: "r0", "r1", "r2", "r3", "r12", "lr", "memory");
    uint32_t r4_after;
    __asm__ volatile("mov %0, r4" : "=r"(r4_after));
    out_str("main again: control = ");
    out_hex32(get_control());
    out_str(", r4 kept = ");
    out_udec(r4_before == r4_after);
    out_nl();
    show_hex("pendsv exc_return", pendsv_exc_return);
    show_dec("ipsr", (int32_t)get_ipsr());
    show_hex("shcsr", SCB_SHCSR);
}

int main(void)
{
    svc_calls();
    threads();
    return 0;
}
