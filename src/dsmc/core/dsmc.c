/* DSMC first and second half (C part). dsmc_entry.S calls these on the DSMC's private stack. */
#include <string.h>
#include "dsmc_save.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define SCB_CPUID  0xE000ED00u
#define SCB_ICSR   0xE000ED04u
#define SCB_SHCSR  0xE000ED24u
#define NVIC_ISER  0xE000E100u
#define NVIC_ISPR  0xE000E200u
#define NVIC_IABR  0xE000E300u
#define NVIC_IPR   0xE000E400u
#define ICSR_NMIPENDSET (1u << 31)

/* Transferred with the image: the second half needs both inside the host's engine. */
dsmc_save_area_t dsmc_save __attribute__((section(".bss.dsmc_save"), aligned(8)));
static const dsmc_config_t *dsmc_cfg;

/* Device-only bookkeeping in the private region: never transferred, so the host's copy starts clean. */
static struct {
    uint8_t stopped;
    uint8_t status;
    uint8_t outcome;
} dsmc_local __attribute__((section(".dsmc_private.state")));

extern const uint8_t __dsmc_private_start[];
extern const uint8_t __dsmc_private_end[];
extern const uint8_t __dsmc_build_id_note[] __attribute__((weak));

void dsmc_first_half(void);
void dsmc_second_half(void);

void dsmc_init(const dsmc_config_t *config)
{
    dsmc_cfg = config;
    memset(&dsmc_local, 0, sizeof dsmc_local);
    if (config->trigger == DSMC_TRIGGER_IRQ && config->trigger_irq >= 0) {
        uint32_t irq = (uint32_t)config->trigger_irq;
        /* Priority 0: the DSM interrupt preempts every configurable handler, so it can capture from
         * inside any ISR; BASEPRI-based critical sections do not hold it off either. */
        *(volatile uint8_t *)(NVIC_IPR + irq) = 0;
        REG(NVIC_ISER + 4u * (irq / 32u)) = 1u << (irq % 32u);
    }
}

void dsmc_request(void)
{
    const dsmc_config_t *cfg = dsmc_cfg;
    if (cfg == 0) {
        return;
    }
    if (cfg->trigger == DSMC_TRIGGER_NMI) {
        REG(SCB_ICSR) = ICSR_NMIPENDSET;
    } else {
        uint32_t irq = (uint32_t)cfg->trigger_irq;
        REG(NVIC_ISPR + 4u * (irq / 32u)) = 1u << (irq % 32u);
    }
    __asm volatile("dsb\n isb" ::: "memory");
}

dsmc_status_t dsmc_last_status(void) { return (dsmc_status_t)dsmc_local.status; }
dsm_outcome_t dsmc_last_outcome(void) { return (dsm_outcome_t)dsmc_local.outcome; }

static void restore_everything(void)
{
    const dsmc_port_t *port = dsmc_cfg->port;
    dsmc_restore_system_config(&dsmc_save);
    port->restore_io(dsmc_save.port);
    dsmc_restore_system_interrupts(&dsmc_save, port->irq_count);
}

/* Exception numbers whose active bit lives in SHCSR, by bit. */
static const uint8_t shcsr_active_exception[12] = { 4, 5, 0, 6, 0, 0, 0, 11, 12, 0, 14, 15 };

static void mark_active(dsm_cpu_state_t *cpu, uint32_t exception)
{
    cpu->active_exceptions[exception / 8u] |= (uint8_t)(1u << (exception % 8u));
}

/* The CPU state as it must be at the resume address: the second half runs in handler mode with the
 * DSM exception active and interrupts masked; everything software cannot write back is here. */
static void describe_cpu(dsm_cpu_state_t *cpu, uint16_t irq_count)
{
    const dsmc_save_area_t *save = &dsmc_save;
    const uint32_t *pushed = (const uint32_t *)save->msp;   /* r4-r11, EXC_RETURN */
    uint32_t exc_return = pushed[8];
    const uint32_t *frame = (exc_return & 4u) ? (const uint32_t *)save->psp : pushed + 9;

    memset(cpu, 0, sizeof *cpu);
    for (uint32_t i = 0; i < 4u; i++) {
        cpu->r[i] = frame[i];
    }
    for (uint32_t i = 0; i < 8u; i++) {
        cpu->r[4u + i] = pushed[i];
    }
    cpu->r[12] = frame[4];
    cpu->msp = save->msp;
    cpu->psp = save->psp;
    cpu->lr = exc_return;
    cpu->pc = (uint32_t)(uintptr_t)&dsmc_resume & ~1u;
    cpu->xpsr = (1u << 24) | (save->ipsr & 0x1FFu);
    cpu->exc_return = exc_return;
    cpu->primask = 1;
    cpu->faultmask = (uint8_t)save->faultmask;
    cpu->basepri = (uint8_t)save->basepri;
    cpu->control = (uint8_t)save->control;
    cpu->shcsr = save->shcsr;
    for (uint32_t i = 0; i < 3u; i++) {
        cpu->shpr[i] = save->shpr[i];
    }
    cpu->icsr = save->icsr;
    cpu->vtor = save->vtor;
    cpu->aircr = save->aircr & 0x700u;
    cpu->scr = save->scr;
    cpu->ccr = save->ccr;

    mark_active(cpu, save->ipsr & 0x1FFu);
    for (uint32_t bit = 0; bit < 12u; bit++) {
        if (shcsr_active_exception[bit] != 0 && (save->shcsr & (1u << bit))) {
            mark_active(cpu, shcsr_active_exception[bit]);
        }
    }
    uint32_t words = ((uint32_t)irq_count + 31u) / 32u;
    for (uint32_t w = 0; w < words && w < DSMC_MAX_NVIC_WORDS; w++) {
        uint32_t active = REG(NVIC_IABR + 4u * w);
        cpu->nvic_active[w] = active;
        cpu->nvic_enabled[w] = save->nvic_iser[w];
        cpu->nvic_pending[w] = save->nvic_ispr[w];
        for (uint32_t b = 0; b < 32u; b++) {
            if (active & (1u << b)) {
                mark_active(cpu, 16u + 32u * w + b);
            }
        }
    }
    for (uint32_t i = 0; i < irq_count && i < DSM_MAX_IRQS; i++) {
        cpu->nvic_priority[i] = save->nvic_ipr[i];
    }
}

static uint8_t build_id_from_note(const uint8_t **desc)
{
    const uint8_t *note = __dsmc_build_id_note;
    if (note == 0) {
        *desc = 0;
        return 0;
    }
    const uint32_t *words = (const uint32_t *)note;
    uint32_t name_size = (words[0] + 3u) & ~3u;
    uint32_t desc_size = words[1];
    *desc = note + 12u + name_size;
    return (uint8_t)(desc_size > DSM_MAX_BUILD_ID ? DSM_MAX_BUILD_ID : desc_size);
}

#ifndef DSMC_WORK_BYTES
#define DSMC_WORK_BYTES (2u * (1u << DSM_LZ4_HASH_BITS) + 256u)
#endif

void dsmc_first_half(void)
{
    const dsmc_config_t *cfg = dsmc_cfg;
    if (cfg == 0 || dsmc_local.stopped) {
        /* Not initialised, or already moved: a moved system must never run again here. */
        for (;;) {
            __asm volatile("wfi");
        }
    }
    const dsmc_port_t *port = cfg->port;

    /* Everything up to the capture instant. */
    port->acknowledge_trigger();
    dsmc_save_system(&dsmc_save, port->irq_count, cfg->trigger == DSMC_TRIGGER_IRQ ? cfg->trigger_irq : -1);
    port->save_io(dsmc_save.port);
    dsmc_save.valid = DSMC_SAVE_VALID;
    __asm volatile("dsb" ::: "memory");
    /* The capture instant: from here on only the private region is written. */
    port->pause_sources();

    dsm_cpu_state_t cpu;
    describe_cpu(&cpu, port->irq_count);

    dsm_region_t regions[DSM_MAX_REGIONS];
    uint8_t count = 0;
    for (uint8_t i = 0; i < port->region_count && count < DSM_MAX_REGIONS - 1u; i++) {
        regions[count++] = port->regions[i];
    }
    regions[count].kind = DSM_REGION_DSMC_PRIVATE;
    regions[count].base = (uint32_t)(uintptr_t)__dsmc_private_start;
    regions[count].size = (uint32_t)(__dsmc_private_end - __dsmc_private_start);
    regions[count].data = 0;
    count++;

    dsm_config_t proto;
    memset(&proto, 0, sizeof proto);
    memcpy(proto.device_id, cfg->device_id, DSM_DEVICE_ID_SIZE);
    proto.board_id = (const uint8_t *)port->board_id;
    proto.board_id_len = (uint8_t)strlen(port->board_id);
    proto.build_id_len = build_id_from_note(&proto.build_id);
    proto.capabilities = (uint8_t)(DSM_CAP_LZ4 | DSM_CAP_FLASH_CRC | (cfg->push_only ? 0u : DSM_CAP_BACKCHANNEL));
    proto.irq_count = port->irq_count;
    proto.cpuid = REG(SCB_CPUID);
    proto.core_clock_hz = port->core_clock_hz;
    proto.resume_address = cpu.pc;
    proto.regions = regions;
    proto.region_count = count;
    proto.key = cfg->key;
    proto.key_len = cfg->key_len;
    proto.reply_timeout_ms = cfg->reply_timeout_ms;
    proto.max_retries = cfg->max_retries;

    uint16_t work[DSMC_WORK_BYTES / 2u];
    dsm_session_t session;
    port->link_open();
    dsm_outcome_t outcome = dsm_emigrate(&session, &proto, &cpu, port->transport, work, sizeof work);
    if (outcome == DSM_OUTCOME_MOVED) {
        dsmc_local.stopped = 1;
        port->halt();
    }
    port->link_close();

    /* The system goes on locally, as if the DSM interrupt had been a short one. */
    dsmc_local.status = DSMC_STATUS_RETURNED;
    dsmc_local.outcome = (uint8_t)outcome;
    restore_everything();
    dsmc_save.valid = 0;
}

void dsmc_second_half(void)
{
    if (dsmc_save.valid != DSMC_SAVE_VALID || dsmc_cfg == 0) {
        /* The image carries no capture: stop visibly rather than return into an unknown state. */
        __asm volatile("bkpt #0xD5");
        for (;;) {
        }
    }
    restore_everything();
    dsmc_save.valid = 0;
}
