/* Clock set-up in the style of the vendor SystemInit: hardware watchdog off, 4 MHz crystal through
 * the PLL to HCLK = 80 MHz, PCLK0 = 40 MHz, PCLK1 = 20 MHz, PCLK2 = 40 MHz. Each stabilisation is
 * awaited by polling SCM_STR, as the vendor code does. */
#include "fm3.h"

void system_init(void)
{
    WDG_LCK = 0x1ACCE551u;
    WDG_LCK = 0xE5331AAEu;
    WDG_CTL = 0;

    BSC_PSR = 0x00;
    APBC0_PSR = 0x01;
    APBC1_PSR = 0x82;
    APBC2_PSR = 0x81;
    SWC_PSR = 0x83;
    CSW_TMR = 0x5C;

    SCM_CTL |= 0x02; /* main oscillator */
    while ((SCM_STR & 0x02) == 0)
    {
    }

    PSW_TMR = 0x00;
    PLL_CTL1 = 0x00; /* K = 1, M = 1 */
    PLL_CTL2 = 0x13; /* N = 20: 4 MHz x 20 = 80 MHz */
    SCM_CTL |= 0x10;
    while ((SCM_STR & 0x10) == 0)
    {
    }

    SCM_CTL = (uint8_t)((SCM_CTL & 0x1F) | 0x40); /* master clock = PLL */
    while ((SCM_STR & 0xE0) != (SCM_CTL & 0xE0))
    {
    }
}
