/* DSMC port for the Arm MPS2-AN385 (QEMU -M mps2-an385).
 * Link: CMSDK UART1, polled. Timeouts: CMSDK timer 1, saved and restored. Regions: the code
 * SSRAM from 0 (DSMC_MPS2_FLASH_SIZE bytes) and SRAM from 0x20000000 up to the DSMC-private
 * region, which must therefore sit at the end of the SRAM in use. */
#ifndef DSMC_MPS2_H
#define DSMC_MPS2_H
#include "dsmc.h"

#ifndef DSMC_MPS2_FLASH_SIZE
#define DSMC_MPS2_FLASH_SIZE 0x40000u   /* 256 KiB: what the sample firmware links into */
#endif

extern const dsmc_port_t dsmc_port_mps2_an385;
#endif
