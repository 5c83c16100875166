#!/bin/sh
# Runs the DSMC test firmware on QEMU mps2-an385 with the link UART (UART1) going nowhere: the DSMC
# must time out, restore the system and return, and the application must print every line once.
# Usage: run-failure-path.sh [firmware.elf]   (exit 0 on success; QEMU bounded to 60 s)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
elf=${1:-$here/bin/dsmc-test-mps2.elf}
qemu=${QEMU:-qemu-system-arm}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 60 "$qemu" -M mps2-an385 -nographic -monitor none -serial stdio -serial null \
    -semihosting-config enable=on,target=native -kernel "$elf" >"$out" 2>&1 || {
    echo "QEMU failed or timed out:"; cat "$out"; exit 1; }
expected="dsmc test firmware
line 1
line 2
line 3
line 4
dsmc status 1 outcome 5
line 5
line 6
line 7
line 8
line 9
line 10
line 11
line 12
done"
if [ "$(tr -d '\r' <"$out")" = "$expected" ]; then
    echo "failure path: ok (DSMC timed out, restored and returned; no line lost or repeated)"
else
    echo "failure path: unexpected output:"; cat "$out"; exit 1
fi
