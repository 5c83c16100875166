# Feature sets of the DSMC's documented builds (src/dsmc/README.md, "Budgets"), shared by this
# Makefile, the sample firmware and the DSMC test firmware.
#
# compact: the smallest build that still receives: keyless (CRC-32 transcript, DSM_CAP_CRC_TRANSCRIPT),
#   raw blocks with zero/fill runs, all flash sent, NACK repair, restore and return on any failure,
#   a build-time FM3 trigger kind.
# smallest: push-only (the device stops after COMMIT), otherwise as compact.
DSMC_SMALL_COMMON := -DDSM_NO_LZ4 -DDSM_NO_KEY -DDSM_CRC_TRANSCRIPT -DDSM_TRUSTED_CONFIG -DDSM_SMALL_CRC \
    -DDSM_SMALL_SCAN -DDSM_SMALL_RX -DDSMC_FM3_TRIGGER=DSMC_FM3_TRIGGER_EXTI
# -fno-optimize-sibling-calls -fno-schedule-insns2: a tail call's register shuffle and the second scheduling pass
# cost more bytes than they save cycles here (6 B on the FM3 port, measured with GCC 12).
COMPACT_FEATURES := $(DSMC_SMALL_COMMON) -DDSM_NO_FLASH_DIFF -DDSMC_NO_MPU -DDSMC_FM3_NO_RX_STASH -fno-optimize-sibling-calls -fno-schedule-insns2
SMALLEST_FEATURES := $(DSMC_SMALL_COMMON) -DDSM_NO_BACKCHANNEL
