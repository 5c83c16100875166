/*
 * MB9BF506N clock set-up: 4 MHz crystal -> PLL x20 -> 80 MHz HCLK, PCLK0/1/2 = 40 MHz.
 * Same order as the part's reference start-up: watchdog off, dividers, main oscillator (wait
 * until stable), PLL (wait until locked), switch the master clock (wait until switched), then
 * the CR oscillator's factory trimming.
 */
#include "board.h"
#include "fm3_registers.h"

void board_clock_init(void)
{
    /* The hardware watchdog runs from reset and would reset us within about a second. */
    HWWDT_LCK = HWWDT_UNLOCK_1;
    HWWDT_LCK = HWWDT_UNLOCK_2;
    HWWDT_CTL = 0;

    CRG_BSC_PSR = 0x00;        /* HCLK = master clock */
    CRG_APBC0_PSR = 0x01;      /* PCLK0 = HCLK/2 = 40 MHz (dual timer) */
    CRG_APBC1_PSR = 0x81;      /* PCLK1 = HCLK/2 = 40 MHz, enabled (base timers) */
    CRG_APBC2_PSR = 0x81;      /* PCLK2 = HCLK/2 = 40 MHz, enabled (MFS) */
    CRG_SWC_PSR = 0x83;        /* SW watchdog clock PCLK0/8; bit 7 (TESTB) always written 1 */
    CRG_TTC_PSR = 0x00;
    CRG_CSW_TMR = 0x5C;        /* main-oscillator stabilisation wait ~33 ms */

    CRG_SCM_CTL |= SCM_MOSCE;
    while ((CRG_SCM_STR & SCM_MORDY) == 0) {
    }

    CRG_PSW_TMR = 0x00;        /* PLL input = main oscillator, shortest lock wait */
    CRG_PLL_CTL1 = 0x00;       /* K = 1, M = 1 */
    CRG_PLL_CTL2 = 0x13;       /* N = 20: 4 MHz x 20 = 80 MHz (VCO 80 MHz, within 60..120) */
    CRG_SCM_CTL |= SCM_PLLE;
    while ((CRG_SCM_STR & SCM_PLRDY) == 0) {
    }

    CRG_SCM_CTL = (uint8_t)((CRG_SCM_CTL & ~SCM_RCS_MASK) | SCM_RCS_PLL);
    while ((CRG_SCM_STR & SCM_RCS_MASK) != (CRG_SCM_CTL & SCM_RCS_MASK)) {
    }

    /* 0x3FF in the mirror means "no factory value". */
    uint32_t trimming = FLASH_CRTRMM & 0x3FFu;
    if (trimming != 0x3FFu) {
        CRTRIM_MCR_RLR = CRTRIM_UNLOCK;
        CRTRIM_MCR_FTRM = trimming;
        CRTRIM_MCR_RLR = 0;
    }
}
