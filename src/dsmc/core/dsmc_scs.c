/* Save and restore of the ARMv7-M system control space: NVIC, SCB, SysTick, MPU.
 * Register addresses and bits are from the ARMv7-M Architecture Reference Manual (B3). */
#include "dsmc_save.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define REG8(addr) (*(volatile uint8_t *)(addr))

#define SYST_CSR   0xE000E010u
#define SYST_RVR   0xE000E014u
#define SYST_CVR   0xE000E018u
#define NVIC_ISER  0xE000E100u
#define NVIC_ICER  0xE000E180u
#define NVIC_ISPR  0xE000E200u
#define NVIC_ICPR  0xE000E280u
#define NVIC_IPR   0xE000E400u
#define SCB_ICSR   0xE000ED04u
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

#define ICSR_PENDSVSET   (1u << 28)
#define ICSR_PENDSTSET   (1u << 26)
#define AIRCR_VECTKEY    0x05FA0000u
#define AIRCR_PRIGROUP   0x00000700u
#define SHCSR_ENABLES    0x00070000u   /* USGFAULTENA, BUSFAULTENA, MEMFAULTENA */
#define SHCSR_PENDED     0x0000F000u   /* SVCALLPENDED, BUSFAULTPENDED, MEMFAULTPENDED, USGFAULTPENDED */
#define SYST_CSR_CONFIG  0x00000007u   /* ENABLE, TICKINT, CLKSOURCE; COUNTFLAG is read-only */

static uint32_t mpu_regions(void)
{
    uint32_t n = (REG(MPU_TYPE) >> 8) & 0xFFu;
    return n > DSMC_MAX_MPU_REGIONS ? DSMC_MAX_MPU_REGIONS : n;
}

static uint32_t nvic_words(uint16_t irq_count)
{
    uint32_t n = ((uint32_t)irq_count + 31u) / 32u;
    return n > DSMC_MAX_NVIC_WORDS ? DSMC_MAX_NVIC_WORDS : n;
}

void dsmc_save_system(dsmc_save_area_t *save, uint16_t irq_count, int trigger_irq)
{
    save->vtor = REG(SCB_VTOR);
    save->aircr = REG(SCB_AIRCR);
    save->scr = REG(SCB_SCR);
    save->ccr = REG(SCB_CCR);
    for (uint32_t i = 0; i < 3u; i++) {
        save->shpr[i] = REG(SCB_SHPR1 + 4u * i);
    }
    save->shcsr = REG(SCB_SHCSR);
    save->icsr = REG(SCB_ICSR) & (ICSR_PENDSVSET | ICSR_PENDSTSET);
    save->syst_rvr = REG(SYST_RVR);
    save->syst_cvr = REG(SYST_CVR);
    /* Reading CSR clears COUNTFLAG; a wrap with TICKINT has already pended SysTick (saved in icsr). */
    save->syst_csr = REG(SYST_CSR);
    save->mpu_ctrl = REG(MPU_CTRL);
    uint32_t regions = mpu_regions();
    for (uint32_t r = 0; r < regions; r++) {
        REG(MPU_RNR) = r;
        save->mpu_rbar[r] = REG(MPU_RBAR);
        save->mpu_rasr[r] = REG(MPU_RASR);
    }
    uint32_t words = nvic_words(irq_count);
    for (uint32_t w = 0; w < words; w++) {
        save->nvic_iser[w] = REG(NVIC_ISER + 4u * w);
        save->nvic_ispr[w] = REG(NVIC_ISPR + 4u * w);
    }
    if (trigger_irq >= 0) {
        /* The DSM interrupt itself must not fire again after resume. */
        save->nvic_ispr[(uint32_t)trigger_irq / 32u] &= ~(1u << ((uint32_t)trigger_irq % 32u));
    }
    for (uint32_t i = 0; i < irq_count && i < DSMC_MAX_NVIC_WORDS * 32u; i++) {
        save->nvic_ipr[i] = REG8(NVIC_IPR + i);
    }
}

void dsmc_restore_system_config(const dsmc_save_area_t *save)
{
    REG(SCB_VTOR) = save->vtor;
    REG(SCB_AIRCR) = AIRCR_VECTKEY | (save->aircr & AIRCR_PRIGROUP);
    REG(SCB_SCR) = save->scr;
    REG(SCB_CCR) = save->ccr;
    for (uint32_t i = 0; i < 3u; i++) {
        REG(SCB_SHPR1 + 4u * i) = save->shpr[i];
    }
    uint32_t regions = mpu_regions();
    REG(MPU_CTRL) = 0;
    for (uint32_t r = 0; r < regions; r++) {
        REG(MPU_RNR) = r;
        REG(MPU_RBAR) = save->mpu_rbar[r] & ~0x1Fu;   /* VALID = 0: the region number comes from RNR */
        REG(MPU_RASR) = save->mpu_rasr[r];
    }
    REG(MPU_CTRL) = save->mpu_ctrl;
}

void dsmc_restore_system_interrupts(const dsmc_save_area_t *save, uint16_t irq_count)
{
    /* SysTick: writing CVR clears it, so the count restarts from the reload value; the phase error
     * is below one tick period and the migrated system sees the downtime as one long interrupt. */
    REG(SYST_CSR) = 0;
    REG(SYST_RVR) = save->syst_rvr;
    REG(SYST_CVR) = 0;
    REG(SYST_CSR) = save->syst_csr & SYST_CSR_CONFIG;

    for (uint32_t i = 0; i < irq_count && i < DSMC_MAX_NVIC_WORDS * 32u; i++) {
        REG8(NVIC_IPR + i) = save->nvic_ipr[i];
    }
    uint32_t words = nvic_words(irq_count);
    for (uint32_t w = 0; w < words; w++) {
        REG(NVIC_ISPR + 4u * w) = save->nvic_ispr[w];
    }
    REG(SCB_ICSR) = save->icsr & (ICSR_PENDSVSET | ICSR_PENDSTSET);
    uint32_t shcsr = REG(SCB_SHCSR);
    REG(SCB_SHCSR) = (shcsr & ~(SHCSR_ENABLES | SHCSR_PENDED)) | (save->shcsr & (SHCSR_ENABLES | SHCSR_PENDED));
    for (uint32_t w = 0; w < words; w++) {
        REG(NVIC_ICER + 4u * w) = ~save->nvic_iser[w];
        REG(NVIC_ISER + 4u * w) = save->nvic_iser[w];
    }
}
