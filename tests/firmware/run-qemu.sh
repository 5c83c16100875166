#!/bin/sh
# Runs one firmware image on QEMU's MPS2-AN385 (a Cortex-M3) and prints the guest's stdout.
# The exit code is the guest's semihosting exit code (124 when the time limit is hit).
#
# The semihosting console (SYS_WRITEC/SYS_WRITE0) is routed to a stdio chardev because QEMU
# 7.2 otherwise writes it to the host's stderr; ":tt" handles opened for writing go to the
# host's stdout, for appending to its stderr. stdin is /dev/null: nothing may read input.
# userspace=on lets unprivileged code use semihosting, as a debugger-attached core does.
#
# usage: run-qemu.sh IMAGE.elf [SECONDS]   (default limit: $QEMU_TIMEOUT or 120 s)
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 IMAGE.elf [SECONDS]" >&2
    exit 2
fi
image=$1
limit=${2:-${QEMU_TIMEOUT:-120}}
exec timeout --kill-after=5 "$limit" qemu-system-arm \
    -M mps2-an385 -cpu cortex-m3 -display none -monitor none -serial null \
    -chardev stdio,id=semihosting,signal=off \
    -semihosting-config enable=on,userspace=on,target=native,chardev=semihosting \
    -kernel "$image" </dev/null
