/* Save and restore of the ARMv7-M system control space: NVIC, SCB, SysTick, MPU.
 * The values land in the CPU-state part of the save area (the CPU_STATE message) and are restored
 * from there. Register addresses and bits are from the ARMv7-M Architecture Reference Manual (B3). */
#include <string.h>
#include "dsmc_save.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define REG8(addr) (*(volatile uint8_t *)(addr))

#define SYST_CSR   0xE000E010u
#define SYST_RVR   0xE000E014u
#define SYST_CVR   0xE000E018u
#define NVIC_ISER  0xE000E100u
#define NVIC_ICER  0xE000E180u
#define NVIC_ISPR  0xE000E200u
#define NVIC_IABR  0xE000E300u
#define NVIC_IPR   0xE000E400u
#define SCB_ICSR   0xE000ED04u   /* then VTOR, AIRCR, SCR, CCR: the order of the CPU state's words */
#define SCB_VTOR   0xE000ED08u
#define SCB_AIRCR  0xE000ED0Cu
#define SCB_SCR    0xE000ED10u
#define SCB_CCR    0xE000ED14u
#define SCB_SHPR1  0xE000ED18u
#define SCB_SHCSR  0xE000ED24u
#define MPU_TYPE   0xE000ED90u
#define MPU_CTRL   0xE000ED94u
#define MPU_RNR    0xE000ED98u
#define MPU_RBAR   0xE000ED9Cu
#define MPU_RASR   0xE000EDA0u

#define ICSR_PENDING     0x94000000u   /* NMIPENDSET, PENDSVSET, PENDSTSET */
#define ICSR_PENDSV_ST   0x14000000u   /* PENDSVSET, PENDSTSET: restored; a pending NMI is the engine's */
#define AIRCR_VECTKEY    0x05FA0000u
#define AIRCR_PRIGROUP   0x00000700u
#define SHCSR_WRITABLE   0x0007F000u   /* fault enables and SVCall/fault pended bits; not the active bits */
#define SYST_CSR_CONFIG  0x00000007u   /* ENABLE, TICKINT, CLKSOURCE; COUNTFLAG is read-only */

/* DSMC_NO_MPU (the compact build): the MPU is neither saved nor restored; dsmc_first_half refuses to
 * move a system whose MPU is enabled (it returns at once), so a disabled MPU is all there is to keep. */
static uint32_t mpu_regions(void)
{
#ifdef DSMC_NO_MPU
    return 0;
#endif
    uint32_t n = (REG(MPU_TYPE) >> 8) & 0xFFu;
    return n > DSMC_MAX_MPU_REGIONS ? DSMC_MAX_MPU_REGIONS : n;
}

static uint32_t nvic_words(uint16_t irq_count)
{
    return ((uint32_t)irq_count + 31u) / 32u;
}

/* Copies words from consecutive registers (or back when to_registers). */
static void copy_words(volatile uint32_t *regs, uint32_t *values, uint32_t n, int to_registers)
{
    while (n--) {
        if (to_registers) *regs++ = *values++;
        else *values++ = *regs++;
    }
}

/* Registers saved as they are: offset from the SCS base, save-area word, count (0: one word per 32 IRQs). */
#define SCS_BASE 0xE000E000u
#define SAVE_WORD(field) (offsetof(dsmc_save_area_t, field) / 4u)
static const struct scs_run { uint16_t reg; uint8_t word, count; } scs_runs[] = {
    { 0xD04u, SAVE_WORD(cpu.icsr), 5 },    /* ICSR, VTOR, AIRCR, SCR, CCR */
    { 0xD18u, SAVE_WORD(cpu.shpr), 3 },
    { 0xD24u, SAVE_WORD(cpu.shcsr), 1 },
    { 0x014u, SAVE_WORD(syst_rvr), 1 },
    /* Reading CSR clears COUNTFLAG; a wrap with TICKINT has already pended SysTick (saved in icsr). */
    { 0x010u, SAVE_WORD(syst_csr), 1 },
#ifndef DSMC_NO_MPU
    { 0xD94u, SAVE_WORD(mpu_ctrl), 1 },
#endif
    { 0x100u, SAVE_WORD(cpu.nvic_enabled), 0 },
    { 0x200u, SAVE_WORD(cpu.nvic_pending), 0 },
    { 0x300u, SAVE_WORD(cpu.nvic_active), 0 },
};
typedef char scs_runs_fit[SAVE_WORD(mpu_ctrl) < 256u ? 1 : -1];

void dsmc_save_system(dsmc_save_area_t *save, uint16_t irq_count)
{
    dsm_cpu_state_t *cpu = &save->cpu;
    uint32_t words = nvic_words(irq_count), r;
    const struct scs_run *run;
    for (run = scs_runs; run < scs_runs + sizeof scs_runs / sizeof scs_runs[0]; run++)
        copy_words(&REG(SCS_BASE + run->reg), (uint32_t *)save + run->word, run->count ? run->count : words, 0);
    cpu->icsr &= ICSR_PENDING;
    cpu->aircr &= AIRCR_PRIGROUP;
    for (r = 0; r < mpu_regions(); r++) {
        REG(MPU_RNR) = r;
        copy_words(&REG(MPU_RBAR), save->mpu_region[r], 2, 0);
    }
    /* Active IRQs are exceptions 16 and up: the IABR words continue the bitmap at byte 2. */
    memcpy(cpu->active_exceptions + 2, cpu->nvic_active, 4u * words);
    for (r = 0; r < irq_count; r++) cpu->nvic_priority[r] = REG8(NVIC_IPR + r);
}

void dsmc_restore_system_config(const dsmc_save_area_t *save)
{
    const dsm_cpu_state_t *cpu = &save->cpu;
    REG(SCB_VTOR) = cpu->vtor;
    REG(SCB_AIRCR) = AIRCR_VECTKEY | cpu->aircr;
    REG(SCB_SCR) = cpu->scr;
    REG(SCB_CCR) = cpu->ccr;
    copy_words(&REG(SCB_SHPR1), (uint32_t *)cpu->shpr, 3, 1);
#ifndef DSMC_NO_MPU
    uint32_t r;
    REG(MPU_CTRL) = 0;
    for (r = 0; r < mpu_regions(); r++) {
        REG(MPU_RNR) = r;
        /* RBAR with VALID = 0: the region number comes from RNR. */
        REG(MPU_RBAR) = save->mpu_region[r][0] & ~0x1Fu;
        REG(MPU_RASR) = save->mpu_region[r][1];
    }
    REG(MPU_CTRL) = save->mpu_ctrl;
#endif
}

void dsmc_restore_system_interrupts(const dsmc_save_area_t *save, uint16_t irq_count)
{
    const dsm_cpu_state_t *cpu = &save->cpu;
    uint32_t words = nvic_words(irq_count), i;
    /* SysTick: writing CVR clears it, so the count restarts from the reload value; the phase error
     * is below one tick period and the migrated system sees the downtime as one long interrupt. */
    REG(SYST_CSR) = 0;
    REG(SYST_RVR) = save->syst_rvr;
    REG(SYST_CVR) = 0;
    REG(SYST_CSR) = save->syst_csr & SYST_CSR_CONFIG;

    for (i = 0; i < irq_count; i++) REG8(NVIC_IPR + i) = cpu->nvic_priority[i];
    copy_words(&REG(NVIC_ISPR), (uint32_t *)cpu->nvic_pending, words, 1);
    REG(SCB_ICSR) = cpu->icsr & ICSR_PENDSV_ST;
    REG(SCB_SHCSR) = (REG(SCB_SHCSR) & ~SHCSR_WRITABLE) | (cpu->shcsr & SHCSR_WRITABLE);
    for (i = 0; i < words; i++) {
        REG(NVIC_ICER + 4u * i) = ~cpu->nvic_enabled[i];
        REG(NVIC_ISER + 4u * i) = cpu->nvic_enabled[i];
    }
}
