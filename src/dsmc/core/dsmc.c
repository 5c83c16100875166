/* DSMC first and second half (C part). dsmc_entry.S calls these on the DSMC's private stack. */
#include <string.h>
#include "dsmc_save.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define SCB_CPUID  0xE000ED00u
#define SCB_ICSR   0xE000ED04u
#define NVIC_ISER  0xE000E100u
#define NVIC_STIR  0xE000EF00u
#define NVIC_IPR   0xE000E400u
#define ICSR_NMIPENDSET (1u << 31)

/* Transferred with the image: the second half needs both inside the host's engine. */
dsmc_save_area_t dsmc_save __attribute__((section(".bss.dsmc_save"), aligned(8)));
static const dsmc_config_t *dsmc_cfg;

/* DSMC_STATIC_PORT=<port object>: the port is fixed at build time, so its functions are called (and
 * inlined) directly; the configuration's port field is then not read. */
#ifdef DSMC_STATIC_PORT
extern const dsmc_port_t DSMC_STATIC_PORT;
#define PORT_OF(cfg) ((void)(cfg), &DSMC_STATIC_PORT)
#define HOOK(port, hook) ((void)(port), dsmc_port_##hook)
#else
#define PORT_OF(cfg) ((cfg)->port)
#define HOOK(port, hook) ((port)->hook)
#endif

/* Device-only bookkeeping in the private region: never transferred, so the host's copy starts clean.
 * Status in the low byte, outcome in the high byte, written together. Volatile: a debugger, or an emulated
 * device's host, reads it even when the firmware never calls dsmc_last_status (so LTO must keep it). */
static volatile uint16_t dsmc_local __attribute__((section(".dsmc_private.state")));
#define SET_LOCAL(status, outcome) (dsmc_local = (uint16_t)((status) | (uint32_t)(outcome) << 8))

extern const uint8_t __dsmc_build_id_note[] __attribute__((weak));

void dsmc_first_half(void);
void dsmc_second_half(void);

static void nvic_set(uint32_t reg, uint32_t irq)
{
    REG(reg + 4u * (irq / 32u)) = 1u << (irq % 32u);
}

void dsmc_init(const dsmc_config_t *config)
{
    dsmc_cfg = config;
    SET_LOCAL(DSMC_STATUS_IDLE, 0);
    if (config->trigger == DSMC_TRIGGER_IRQ) {
        uint32_t irq = (uint32_t)config->trigger_irq;
        /* Priority 0: the DSM interrupt preempts every configurable handler, so it can capture from
         * inside any ISR; BASEPRI-based critical sections do not hold it off either. */
        *(volatile uint8_t *)(NVIC_IPR + irq) = 0;
        nvic_set(NVIC_ISER, irq);
    }
    if (PORT_OF(config)->arm_trigger != 0) {
        PORT_OF(config)->arm_trigger();
    }
}

void dsmc_request(void)
{
    const dsmc_config_t *cfg = dsmc_cfg;
    if (cfg == 0) return;
    if (cfg->trigger == DSMC_TRIGGER_NMI) REG(SCB_ICSR) = ICSR_NMIPENDSET;
    else REG(NVIC_STIR) = (uint32_t)cfg->trigger_irq;   /* pends the IRQ, as an ISPR bit would */
    __asm volatile("dsb\n isb" ::: "memory");
}

dsmc_status_t dsmc_last_status(void) { return (dsmc_status_t)(dsmc_local & 0xFFu); }
dsm_outcome_t dsmc_last_outcome(void) { return (dsm_outcome_t)(dsmc_local >> 8); }

static void restore_everything(void)
{
    const dsmc_port_t *port = PORT_OF(dsmc_cfg);
    dsmc_restore_system_config(&dsmc_save);
    HOOK(port, restore_io)(dsmc_save.port);
    dsmc_restore_system_interrupts(&dsmc_save, port->irq_count);
    dsmc_save.valid = 0;
}

static void mark_active(dsm_cpu_state_t *cpu, uint32_t exception)
{
    cpu->active_exceptions[exception / 8u] |= (uint8_t)(1u << (exception % 8u));
}

/* Completes the CPU state (the entry stored r4-r11, MSP, PSP, EXC_RETURN and the masks; dsmc_save_system
 * the system registers and NVIC) as it must be at the resume address: the second half runs in handler
 * mode with the DSM exception active and interrupts masked. */
static void describe_cpu(dsm_cpu_state_t *cpu, uint32_t ipsr)
{
    uint32_t exc_return = cpu->exc_return, shcsr = cpu->shcsr, i;
    /* The interrupted context's hardware frame: on PSP when EXC_RETURN bit 2 says so. */
    const uint32_t *frame = (const uint32_t *)((exc_return & 4u) ? cpu->psp : cpu->msp);
    for (i = 0; i < 4u; i++) cpu->r[i] = frame[i];
    cpu->r[12] = frame[4];
    cpu->pc = (uint32_t)(uintptr_t)&dsmc_resume & ~1u;
    cpu->xpsr = (1u << 24) | ipsr;   /* Thumb bit, the DSM exception in IPSR */
    /* SHCSR active bits 0, 1, 3 (MemManage 4, BusFault 5, UsageFault 6) and 7, 8, 10, 11
     * (SVCall 11, DebugMonitor 12, PendSV 14, SysTick 15) as exception-number bits. */
    shcsr = (shcsr & 3u) << 4 | (shcsr & 8u) << 3 | (shcsr & 0xD80u) << 4;
    {
        uint16_t low;   /* the bits of exceptions 0-15 */
        __builtin_memcpy(&low, cpu->active_exceptions, 2);
        low |= (uint16_t)shcsr;
        __builtin_memcpy(cpu->active_exceptions, &low, 2);
    }
    mark_active(cpu, ipsr);
}

/* The descriptor bytes of the GNU build-id note (namesz, descsz, type, name, descriptor). */
static uint8_t build_id_from_note(const uint8_t **desc)
{
    const uint32_t *note = (const uint32_t *)(const void *)__dsmc_build_id_note;
    if (note == 0) return 0;
    *desc = (const uint8_t *)(note + 3) + ((note[0] + 3u) & ~3u);
    return (uint8_t)(note[1] > DSM_MAX_BUILD_ID ? DSM_MAX_BUILD_ID : note[1]);
}

#ifndef DSMC_FLASH_BITMAP_BYTES
#define DSMC_FLASH_BITMAP_BYTES 64u   /* one bit per 4 KiB flash block: up to 2 MiB of flash */
#endif
#define DSMC_WORK_BYTES ((DSM_HAS_LZ4 ? 2u << DSM_LZ4_HASH_BITS : 0u) + DSMC_FLASH_BITMAP_BYTES)

void dsmc_first_half(void)
{
    const dsmc_config_t *cfg = dsmc_cfg;
    const dsmc_port_t *port;
    dsm_cpu_state_t *cpu = &dsmc_save.cpu;
    uint32_t ipsr;
    if (cfg == 0) return;   /* not initialised: nothing was changed, return at once */
    port = PORT_OF(cfg);

    /* Everything up to the capture instant. */
    HOOK(port, acknowledge_trigger)();
#ifdef DSMC_NO_MPU
    /* Acknowledged first, so the request does not fire again at once. */
    if (REG(0xE000ED94u) & 1u) {   /* MPU_CTRL.ENABLE: this build cannot carry the MPU's regions */
        SET_LOCAL(DSMC_STATUS_RETURNED, DSM_OUTCOME_BAD_CONFIG);
        return;
    }
#endif
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    dsmc_save_system(&dsmc_save, port->irq_count);
    if (cfg->trigger == DSMC_TRIGGER_IRQ) {
        /* The DSM interrupt itself must not fire again after resume. */
        uint32_t irq = (uint32_t)cfg->trigger_irq;
        cpu->nvic_pending[irq / 32u] &= ~(1u << (irq % 32u));
    }
    HOOK(port, save_io)(dsmc_save.port);
    describe_cpu(cpu, ipsr);
    dsmc_save.valid = DSMC_SAVE_VALID;
    __asm volatile("dsb" ::: "memory");
    /* The capture instant: from here on only the private region is written. */
    HOOK(port, pause_sources)();

    {
        dsm_config_t proto;
        uint16_t work[DSMC_WORK_BYTES / 2u];
        dsm_session_t session;
        dsm_outcome_t outcome;
        memset(&proto, 0, sizeof proto);
        memcpy(proto.device_id, cfg->device_id, DSM_DEVICE_ID_SIZE);
        proto.cpuid = REG(SCB_CPUID);
        proto.core_clock_hz = port->core_clock_hz;
        proto.resume_address = cpu->pc;
        proto.board_id = (const uint8_t *)port->board_id;
        proto.board_id_len = (uint8_t)strlen(port->board_id);
        proto.build_id_len = build_id_from_note(&proto.build_id);
        /* A build without a backchannel (DSM_NO_BACKCHANNEL) moves with the push-move policy: it stops
         * after COMMIT. A push_only configuration of the full build sends a copy and goes on. */
        proto.capabilities = (uint8_t)(DSM_CAP_FLASH_CRC | (cfg->push_only ? 0u : DSM_CAP_BACKCHANNEL) |
                                       (DSM_HAS_BACKCHANNEL ? 0u : DSM_CAP_PUSH_MOVE));
        proto.irq_count = port->irq_count;
        proto.regions = port->regions;
        proto.region_count = port->region_count;
#if DSM_HAS_FLASH_DIFF && DSM_HAS_BACKCHANNEL
        proto.block_crc = port->block_crc;
#endif
        if (DSM_HAS_KEY) {   /* the memset left the fields a build does not use at 0 */
            proto.key = cfg->key;
            proto.key_len = cfg->key_len;
        }
        if (DSM_HAS_BACKCHANNEL) {
            proto.reply_timeout_ms = cfg->reply_timeout_ms;
            proto.max_retries = cfg->max_retries;
        }
        HOOK(port, link_open)();
        outcome = dsm_emigrate(&session, &proto, cpu, port->transport, work, sizeof work);
        if (outcome == (DSM_HAS_BACKCHANNEL ? DSM_OUTCOME_MOVED : DSM_OUTCOME_PUSHED)) {
            SET_LOCAL(DSMC_STATUS_MOVED, outcome);   /* visible to a debugger or an emulated device's host */
            HOOK(port, halt)(&session);
        }
        /* The system goes on locally, as if the DSM interrupt had been a short one. */
        SET_LOCAL(DSMC_STATUS_RETURNED, outcome);
    }
    restore_everything();
}

void dsmc_second_half(void)
{
    if (dsmc_save.valid != DSMC_SAVE_VALID || dsmc_cfg == 0) {
        /* The image carries no capture: stop visibly rather than return into an unknown state. */
        for (;;) __asm volatile("bkpt #0xD5");
    }
    restore_everything();
}

#ifndef DSMC_SERVE_STOPPED_SECONDS
#define DSMC_SERVE_STOPPED_SECONDS 120u   /* well beyond the host's COMMITTED retries (4 x 5 s by default) */
#endif

void dsmc_stop_forever(dsm_session_t *session)
{
    uint32_t i;
    for (i = 0; DSM_HAS_BACKCHANNEL && i < DSMC_SERVE_STOPPED_SECONDS; i++) dsm_serve_stopped(session, 1000);
    for (;;) __asm volatile("cpsid i\n wfi" ::: "memory");
}
