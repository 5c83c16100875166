/* The DSMC save area: the IO-control registers and masks captured at the DSM interrupt.
 * It lives in transferred SRAM, is written before the first frame is sent, and is read by the
 * second half inside the host's engine. Its CPU-state part is the CPU_STATE message itself: the
 * system registers are saved straight into it and restored from it, so nothing is kept twice. */
#ifndef DSMC_SAVE_H
#define DSMC_SAVE_H

#include <stddef.h>
#include <stdint.h>
#include "dsmc.h"

#define DSMC_SAVE_VALID 0x434D5344u   /* "DSMC" */
#define DSMC_MAX_NVIC_WORDS 8u        /* 240 interrupts */
#define DSMC_MAX_MPU_REGIONS 8u

typedef struct dsmc_save_area {
    /* Written by dsmc_entry.S; keep DSMC_SAVE_* offsets below in step with it. */
    uint32_t primask;        /* the interrupted context's PRIMASK */
    uint32_t valid;          /* DSMC_SAVE_VALID while the area holds a capture */
    dsm_cpu_state_t cpu;     /* r4-r11, MSP, PSP, EXC_RETURN, masks from the entry; the rest from C */
    uint32_t syst_csr, syst_rvr;
    uint32_t mpu_ctrl;
    uint32_t mpu_region[DSMC_MAX_MPU_REGIONS][2];   /* RBAR, RASR */
    /* Board peripherals, laid out by the port. */
    uint32_t port[DSMC_PORT_SAVE_WORDS];
} dsmc_save_area_t;

/* Offsets used by dsmc_entry.S (checked here so a layout change cannot go unnoticed). */
#define DSMC_SAVE_PRIMASK   0
#define DSMC_SAVE_R4        (8 + 16)
#define DSMC_SAVE_MSP       (8 + 52)
#define DSMC_SAVE_EXC_RETURN (8 + 72)
#define DSMC_SAVE_MASKS     (8 + 76)
typedef char dsmc_save_layout_check[
    (offsetof(dsmc_save_area_t, cpu.r[4]) == DSMC_SAVE_R4 && offsetof(dsmc_save_area_t, cpu.msp) == DSMC_SAVE_MSP &&
     offsetof(dsmc_save_area_t, cpu.exc_return) == DSMC_SAVE_EXC_RETURN &&
     offsetof(dsmc_save_area_t, cpu.primask) == DSMC_SAVE_MASKS) ? 1 : -1];

extern dsmc_save_area_t dsmc_save;

/* Generic ARMv7-M part (dsmc_scs.c). */
void dsmc_save_system(dsmc_save_area_t *save, uint16_t irq_count);
void dsmc_restore_system_config(const dsmc_save_area_t *save);
void dsmc_restore_system_interrupts(const dsmc_save_area_t *save, uint16_t irq_count);

#endif
