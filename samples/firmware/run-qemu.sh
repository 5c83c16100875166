#!/bin/sh
# Runs the sample firmware on QEMU's MPS2-AN385 with UART0 on stdout.
#
# usage: run-qemu.sh [--realtime] [IMAGE.elf] [SECONDS]
#   IMAGE.elf  default bin/app-mps2-an385.elf (runs forever; bin/app-mps2-an385-exit30.elf stops
#              by itself after 30 report lines through semihosting, exit code 0 = no gaps)
#   SECONDS    host time limit, default 5 (exit code 124 when it is hit)
#   --realtime guest time follows the host clock: shows the idle task sleeping (low host CPU).
#              Default is deterministic virtual time (-icount, sleep=off): the same output on
#              every run, and idle stretches are skipped instead of waited for.
#
# Note on QEMU 7.2: its SysTick is not exact while the CPU sleeps in WFI (with sleep=off a tick
# takes two periods of the other timers; in real time it drifts by a few percent). Each task's
# lines are unaffected, but task C's lines come more often relative to task A's than on hardware.
set -u
cd "$(dirname "$0")"
timing="-icount shift=5,align=off,sleep=off"
if [ "${1:-}" = "--realtime" ]; then
    timing=""
    shift
fi
image=${1:-bin/app-mps2-an385.elf}
limit=${2:-5}
# shellcheck disable=SC2086 # $timing is a list of options
exec timeout --foreground --kill-after=5 "$limit" qemu-system-arm \
    -M mps2-an385 -cpu cortex-m3 -nographic -monitor none -serial stdio \
    $timing -semihosting-config enable=on,target=native \
    -kernel "$image" </dev/null
