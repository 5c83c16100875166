/* The MB9BF506N registers this board uses (addresses and bits from the project's FM3 fact sheet). */
#ifndef FM3_REGISTERS_H
#define FM3_REGISTERS_H

#include <stdint.h>

#define FM3_REG8(address) (*(volatile uint8_t *)(address))
#define FM3_REG16(address) (*(volatile uint16_t *)(address))
#define FM3_REG32(address) (*(volatile uint32_t *)(address))

/* Clock/reset generator */
#define CRG_BASE 0x40010000u
#define CRG_SCM_CTL FM3_REG8(CRG_BASE + 0x00u)
#define CRG_SCM_STR FM3_REG8(CRG_BASE + 0x04u)
#define CRG_BSC_PSR FM3_REG8(CRG_BASE + 0x10u)
#define CRG_APBC0_PSR FM3_REG8(CRG_BASE + 0x14u)
#define CRG_APBC1_PSR FM3_REG8(CRG_BASE + 0x18u)
#define CRG_APBC2_PSR FM3_REG8(CRG_BASE + 0x1Cu)
#define CRG_SWC_PSR FM3_REG8(CRG_BASE + 0x20u)
#define CRG_TTC_PSR FM3_REG8(CRG_BASE + 0x28u)
#define CRG_CSW_TMR FM3_REG8(CRG_BASE + 0x30u)
#define CRG_PSW_TMR FM3_REG8(CRG_BASE + 0x34u)
#define CRG_PLL_CTL1 FM3_REG8(CRG_BASE + 0x38u)
#define CRG_PLL_CTL2 FM3_REG8(CRG_BASE + 0x3Cu)
#define SCM_MOSCE 0x02u          /* SCM_CTL: main oscillator enable */
#define SCM_PLLE 0x10u           /* SCM_CTL: PLL enable */
#define SCM_RCS_MASK 0xE0u       /* SCM_CTL: master clock select; SCM_STR: RCM, the one in use */
#define SCM_RCS_PLL 0x40u        /* RCS = 2: CLKPLL */
#define SCM_MORDY 0x02u          /* SCM_STR: main oscillator stable */
#define SCM_PLRDY 0x10u          /* SCM_STR: PLL locked */

/* Hardware watchdog */
#define HWWDT_BASE 0x40011000u
#define HWWDT_CTL FM3_REG32(HWWDT_BASE + 0x008u)
#define HWWDT_LCK FM3_REG32(HWWDT_BASE + 0xC00u)
#define HWWDT_UNLOCK_1 0x1ACCE551u
#define HWWDT_UNLOCK_2 0xE5331AAEu

/* Flash interface: factory CR trimming value; CR trimming unit */
#define FLASH_CRTRMM FM3_REG32(0x40000100u)
#define CRTRIM_MCR_FTRM FM3_REG32(0x4002E004u)
#define CRTRIM_MCR_RLR FM3_REG32(0x4002E00Cu)
#define CRTRIM_UNLOCK 0x1ACCE554u

/* Dual timer, timer 1 */
#define DTIM_BASE 0x40015000u
#define DTIM1_LOAD FM3_REG32(DTIM_BASE + 0x00u)
#define DTIM1_VALUE FM3_REG32(DTIM_BASE + 0x04u)
#define DTIM1_CONTROL FM3_REG32(DTIM_BASE + 0x08u)
#define DTIM1_INTCLR FM3_REG32(DTIM_BASE + 0x0Cu)
#define DTIM1_MIS FM3_REG32(DTIM_BASE + 0x14u)
#define DTIM_CONTROL_32BIT 0x02u
#define DTIM_CONTROL_INT_ENABLE 0x20u
#define DTIM_CONTROL_PERIODIC 0x40u
#define DTIM_CONTROL_ENABLE 0x80u

/* GPIO: pin functions */
#define GPIO_BASE 0x40033000u
#define GPIO_PFR2 FM3_REG32(GPIO_BASE + 0x008u)
#define GPIO_EPFR07 FM3_REG32(GPIO_BASE + 0x61Cu)

/* Multi-function serial channel 0 in UART mode */
#define MFS0_BASE 0x40038000u
#define MFS0_SMR FM3_REG8(MFS0_BASE + 0x00u)
#define MFS0_SCR FM3_REG8(MFS0_BASE + 0x01u)
#define MFS0_ESCR FM3_REG8(MFS0_BASE + 0x04u)
#define MFS0_SSR FM3_REG8(MFS0_BASE + 0x05u)
#define MFS0_TDR FM3_REG16(MFS0_BASE + 0x08u)
#define MFS0_BGR FM3_REG16(MFS0_BASE + 0x0Cu)
#define MFS_SMR_UART_SOE 0x01u   /* MD = 000 (asynchronous), serial output enabled */
#define MFS_SCR_UPCL 0x80u       /* programmable clear */
#define MFS_SCR_RXE 0x02u
#define MFS_SCR_TXE 0x01u
#define MFS_SSR_REC 0x80u        /* write 1: clear the receive error flags */
#define MFS_SSR_TDRE 0x02u       /* transmit data register empty */

/* NVIC */
#define NVIC_ISER(n) FM3_REG32(0xE000E100u + 4u * (n))
#define NVIC_IPR_BYTE(irq) FM3_REG8(0xE000E400u + (irq))

#endif
