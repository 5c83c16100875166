#!/bin/sh
# Rebuilds ../selftest.elf (committed, so the tests need no ARM toolchain). Needs gcc-arm-none-eabi.
set -eu
cd "$(dirname "$0")"
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -g0 -nostdlib -ffreestanding -fno-builtin \
    -ffunction-sections -Wall -Wextra -Werror \
    -T selftest.ld -Wl,--build-id=sha1 -Wl,--gc-sections \
    -o ../selftest.elf selftest.c
