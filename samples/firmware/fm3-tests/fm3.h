/* MB9BF506N register addresses used by the FM3 test firmware (offsets from the MB9BF50x
 * reference manual / CMSIS header; written out here as plain addresses). */
#ifndef FM3_H
#define FM3_H

#include <stdint.h>

#define REG8(a) (*(volatile uint8_t *)(a))
#define REG16(a) (*(volatile uint16_t *)(a))
#define REG32(a) (*(volatile uint32_t *)(a))

/* Clock/reset generator */
#define CRG_BASE 0x40010000u
#define SCM_CTL REG8(CRG_BASE + 0x00)
#define SCM_STR REG8(CRG_BASE + 0x04)
#define BSC_PSR REG8(CRG_BASE + 0x10)
#define APBC0_PSR REG8(CRG_BASE + 0x14)
#define APBC1_PSR REG8(CRG_BASE + 0x18)
#define APBC2_PSR REG8(CRG_BASE + 0x1C)
#define SWC_PSR REG8(CRG_BASE + 0x20)
#define CSW_TMR REG8(CRG_BASE + 0x30)
#define PSW_TMR REG8(CRG_BASE + 0x34)
#define PLL_CTL1 REG8(CRG_BASE + 0x38)
#define PLL_CTL2 REG8(CRG_BASE + 0x3C)

/* Hardware watchdog */
#define WDG_CTL REG8(0x40011008u)
#define WDG_LCK REG32(0x40011C00u)

/* Dual timer, timer 1 */
#define DT1_LOAD REG32(0x40015000u)
#define DT1_CONTROL REG32(0x40015008u)
#define DT1_INTCLR REG32(0x4001500Cu)

/* Base timer channel 0 */
#define BT0_PCSR REG16(0x40025000u)
#define BT0_TMCR REG16(0x4002500Cu)
#define BT0_STC REG8(0x40025010u)

/* External interrupts */
#define EXTI_ENIR REG16(0x40030000u)
#define EXTI_EIRR REG16(0x40030004u)
#define EXTI_EICL REG16(0x40030008u)
#define EXTI_ELVR REG32(0x4003000Cu)

/* GPIO */
#define GPIO_PFR(p) REG32(0x40033000u + 4u * (p))
#define GPIO_DDR(p) REG32(0x40033200u + 4u * (p))
#define GPIO_PDOR(p) REG32(0x40033400u + 4u * (p))
#define GPIO_EPFR07 REG32(0x4003361Cu)

/* MFS channel 0 in UART mode */
#define MFS0_SMR REG8(0x40038000u)
#define MFS0_SCR REG8(0x40038001u)
#define MFS0_ESCR REG8(0x40038004u)
#define MFS0_SSR REG8(0x40038005u)
#define MFS0_TDR REG16(0x40038008u)
#define MFS0_BGR REG16(0x4003800Cu)

/* NVIC */
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))

#endif
