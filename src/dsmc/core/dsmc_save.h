/* The DSMC save area: the IO-control registers and masks captured at the DSM interrupt.
 * It lives in transferred SRAM, is written before the capture instant and read by the second half
 * inside the host's engine. The first eight words are addressed from dsmc_entry.S by offset. */
#ifndef DSMC_SAVE_H
#define DSMC_SAVE_H

#include <stdint.h>
#include "dsmc.h"

#define DSMC_SAVE_VALID 0x434D5344u   /* "DSMC" */
#define DSMC_MAX_NVIC_WORDS 8u        /* 240 interrupts */
#define DSMC_MAX_MPU_REGIONS 8u

typedef struct dsmc_save_area {
    /* Written by dsmc_entry.S; keep the offsets in step with it. */
    uint32_t primask;        /* +0  */
    uint32_t msp;            /* +4  after the DSMC pushed r4-r11 and EXC_RETURN */
    uint32_t psp;            /* +8  */
    uint32_t control;        /* +12 */
    uint32_t basepri;        /* +16 */
    uint32_t faultmask;      /* +20 */
    uint32_t ipsr;           /* +24 the DSM exception's number */
    uint32_t valid;          /* +28 DSMC_SAVE_VALID while the area holds a capture */
    /* System control space. */
    uint32_t vtor, aircr, scr, ccr;
    uint32_t shpr[3];
    uint32_t shcsr;
    uint32_t icsr;
    uint32_t syst_csr, syst_rvr, syst_cvr;
    uint32_t mpu_ctrl;
    uint32_t mpu_rbar[DSMC_MAX_MPU_REGIONS];
    uint32_t mpu_rasr[DSMC_MAX_MPU_REGIONS];
    uint32_t nvic_iser[DSMC_MAX_NVIC_WORDS];
    uint32_t nvic_ispr[DSMC_MAX_NVIC_WORDS];
    uint8_t nvic_ipr[DSMC_MAX_NVIC_WORDS * 32u];
    /* Board peripherals, laid out by the port. */
    uint32_t port[DSMC_PORT_SAVE_WORDS];
} dsmc_save_area_t;

extern dsmc_save_area_t dsmc_save;

/* Generic ARMv7-M part (dsmc_scs.c). */
void dsmc_save_system(dsmc_save_area_t *save, uint16_t irq_count, int trigger_irq);
void dsmc_restore_system_config(const dsmc_save_area_t *save);
void dsmc_restore_system_interrupts(const dsmc_save_area_t *save, uint16_t irq_count);

#endif
