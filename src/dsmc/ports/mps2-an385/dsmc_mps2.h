#ifndef DSMC_MPS2_H
#define DSMC_MPS2_H
#include "dsmc.h"
/** The MPS2-AN385 port. flash_size: bytes of the code region to offer; sram_size: SRAM in use from 0x20000000
 *  (the transferred part ends where the DSMC private region starts). */
const dsmc_port_t *dsmc_port_mps2(uint32_t flash_size, uint32_t sram_size);
#endif
