#!/usr/bin/env python3
"""Generates random, architecturally well-defined Thumb-2 instruction sequences.

One output file holds `run_random_sequences`, a function that runs N sequences. Each
sequence loads r0-r12 and the APSR flags with seeded values, executes 10-30 random
instructions of the ARMv7-M base ISA, and calls `rand_dump`, which prints a digest line
(registers, flags, CRC-32 of the scratch buffer). The same index always yields the same
file: the generator uses its own PRNG, so the Python version does not matter.

Every emitted instruction avoids UNPREDICTABLE encodings: no SP or PC operands, no
writeback with the base in the transfer, RdLo != RdHi, LDRD Rt != Rt2, register lists of
two or more, no 16-bit MOVS (register) inside IT, and so on. One register per sequence
(the base) points into the scratch buffer; only writeback addressing modes change it, by
amounts the generator tracks, so every access stays inside the buffer.
"""

import argparse
import sys

BUFFER_SIZE = 1024
# Writeback keeps the base within this window, so every addressing mode still has room.
BASE_MIN = 128
BASE_MAX = BUFFER_SIZE - 128

LOW_REGISTERS = list(range(8))
ALL_REGISTERS = list(range(13))

CONDITIONS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"]
INVERSE = {
    "eq": "ne", "ne": "eq", "cs": "cc", "cc": "cs", "mi": "pl", "pl": "mi", "vs": "vc",
    "vc": "vs", "hi": "ls", "ls": "hi", "ge": "lt", "lt": "ge", "gt": "le", "le": "gt",
}

EDGE_VALUES = [
    0x00000000, 0x00000001, 0x00000002, 0x0000001F, 0x00000020, 0x00000021, 0x0000003F,
    0x000000FF, 0x00000100, 0x00007FFF, 0x00008000, 0x0000FFFF, 0x00010000, 0x7FFFFFFE,
    0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFF80, 0xFFFF8000, 0xFFFFFFFE, 0xFFFFFFFF,
]

# Loads/stores with a 16-bit immediate-offset form (the signed loads have none).
NARROW_IMMEDIATE_OPS = ("ldr", "str", "ldrb", "strb", "ldrh", "strh")

DATA_OPS = ["and", "bic", "orr", "orn", "eor", "add", "adc", "sub", "sbc", "rsb"]
COMPARE_OPS = ["tst", "teq", "cmp", "cmn"]


class SplitMix64:
    """Small deterministic PRNG (SplitMix64), independent of Python's random module."""

    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def below(self, limit):
        return self.next64() % limit

    def between(self, low, high):
        """Uniform integer in [low, high]."""
        return low + self.below(high - low + 1)

    def choice(self, items):
        return items[self.below(len(items))]

    def chance(self, numerator, denominator):
        return self.below(denominator) < numerator

    def sample(self, items, count):
        pool = list(items)
        picked = []
        for _ in range(count):
            picked.append(pool.pop(self.below(len(pool))))
        return picked


def reg(number):
    return "r%d" % number


def random_value(rng):
    kind = rng.below(20)
    if kind < 9:
        return rng.choice(EDGE_VALUES)
    if kind < 12:
        return rng.below(40)
    if kind < 14:
        return (0x100000000 - rng.between(1, 40)) & 0xFFFFFFFF
    return rng.next64() & 0xFFFFFFFF


def modified_immediate(rng):
    """A constant that Thumb-2 can encode as a modified immediate."""
    byte = rng.below(256)
    kind = rng.below(5)
    if kind == 0:
        return byte
    if kind == 1:
        return byte | (byte << 16)
    if kind == 2:
        return (byte << 8) | (byte << 24)
    if kind == 3:
        return byte * 0x01010101
    rotation = rng.between(8, 31)
    value = 0x80 | (byte & 0x7F)
    return ((value >> rotation) | (value << (32 - rotation))) & 0xFFFFFFFF


def random_shift(rng):
    kind = rng.below(6)
    if kind == 0:
        return ""
    if kind == 1:
        return ", lsl #%d" % rng.between(1, 31)
    if kind == 2:
        return ", lsr #%d" % rng.between(1, 32)
    if kind == 3:
        return ", asr #%d" % rng.between(1, 32)
    if kind == 4:
        return ", ror #%d" % rng.between(1, 31)
    return ", rrx"


class SequenceWriter:
    """Emits one sequence. `cond` is '' outside IT blocks, else the slot's condition."""

    def __init__(self, rng, label_prefix):
        self.rng = rng
        self.lines = []
        self.label_prefix = label_prefix
        self.label_count = 0
        self.base = 0
        self.base_offset = 0

    # Register choices -------------------------------------------------------------------

    def destination(self, low=False):
        choices = [r for r in (LOW_REGISTERS if low else ALL_REGISTERS) if r != self.base]
        return self.rng.choice(choices)

    def source(self, low=False):
        return self.rng.choice(LOW_REGISTERS if low else ALL_REGISTERS)

    def new_label(self):
        self.label_count += 1
        return "%s_%d" % (self.label_prefix, self.label_count)

    def emit(self, text):
        self.lines.append("    " + text)

    # Mnemonic helpers: UAL puts the condition after S and before the width qualifier.

    @staticmethod
    def wide(op, setflags, cond):
        return "%s%s%s.w" % (op, "s" if setflags else "", cond)

    @staticmethod
    def narrow(op, cond):
        """16-bit forms that set flags outside IT blocks and do not inside them."""
        return "%s%s.n" % (op, cond) if cond else "%ss.n" % op

    # Instruction families ---------------------------------------------------------------

    def data_immediate(self, cond):
        rng = self.rng
        kind = rng.below(6)
        if kind <= 2:
            op = rng.choice(DATA_OPS)
            self.emit("%s %s, %s, #0x%x" % (self.wide(op, rng.chance(1, 2), cond),
                                            reg(self.destination()), reg(self.source()),
                                            modified_immediate(rng)))
        elif kind == 3:
            op = rng.choice(COMPARE_OPS)
            self.emit("%s%s.w %s, #0x%x" % (op, cond, reg(self.source()),
                                            modified_immediate(rng)))
        elif kind == 4:
            op = rng.choice(["mov", "mvn"])
            self.emit("%s %s, #0x%x" % (self.wide(op, rng.chance(1, 2), cond),
                                        reg(self.destination()), modified_immediate(rng)))
        else:
            op = rng.choice(["addw", "subw", "movw", "movt"])
            if op in ("addw", "subw"):
                self.emit("%s%s %s, %s, #%d" % (op, cond, reg(self.destination()),
                                                reg(self.source()), rng.below(4096)))
            else:
                self.emit("%s%s %s, #0x%x" % (op, cond, reg(self.destination()),
                                              rng.below(65536)))

    def data_register(self, cond):
        rng = self.rng
        kind = rng.below(5)
        if kind <= 2:
            op = rng.choice(DATA_OPS)
            self.emit("%s %s, %s, %s%s" % (self.wide(op, rng.chance(1, 2), cond),
                                           reg(self.destination()), reg(self.source()),
                                           reg(self.source()), random_shift(rng)))
        elif kind == 3:
            op = rng.choice(COMPARE_OPS)
            self.emit("%s%s.w %s, %s%s" % (op, cond, reg(self.source()), reg(self.source()),
                                           random_shift(rng)))
        else:
            setflags = rng.chance(1, 2)
            shift = random_shift(rng)
            if rng.chance(1, 3) or shift == "":
                self.emit("%s %s, %s%s" % (self.wide("mvn", setflags, cond),
                                           reg(self.destination()), reg(self.source()), shift))
            elif shift == ", rrx":
                self.emit("%s %s, %s" % (self.wide("rrx", setflags, cond),
                                         reg(self.destination()), reg(self.source())))
            else:
                op, amount = shift[2:].split(" ")
                self.emit("%s %s, %s, %s" % (self.wide(op, setflags, cond),
                                             reg(self.destination()), reg(self.source()),
                                             amount))

    def shift_by_register(self, cond):
        rng = self.rng
        op = rng.choice(["lsl", "lsr", "asr", "ror"])
        self.emit("%s %s, %s, %s" % (self.wide(op, rng.chance(1, 2), cond),
                                     reg(self.destination()), reg(self.source()),
                                     reg(self.source())))

    def narrow_form(self, cond):
        """16-bit encodings on low registers (and the few high-register ones)."""
        rng = self.rng
        kind = rng.below(12)
        rd = self.destination(low=True)
        rn = self.source(low=True)
        rm = self.source(low=True)
        if kind == 0:
            self.emit("%s %s, %s, %s" % (self.narrow(rng.choice(["add", "sub"]), cond),
                                         reg(rd), reg(rn), reg(rm)))
        elif kind == 1:
            self.emit("%s %s, %s, #%d" % (self.narrow(rng.choice(["add", "sub"]), cond),
                                          reg(rd), reg(rn), rng.below(8)))
        elif kind == 2:
            op = rng.choice(["add", "sub", "mov"])
            self.emit("%s %s, #%d" % (self.narrow(op, cond), reg(rd), rng.below(256)))
        elif kind == 3:
            self.emit("cmp%s.n %s, #%d" % (cond, reg(rn), rng.below(256)))
        elif kind == 4:
            op = rng.choice(["and", "eor", "adc", "sbc", "ror", "orr", "bic", "mvn", "lsl",
                             "lsr", "asr"])
            self.emit("%s %s, %s" % (self.narrow(op, cond), reg(rd), reg(rm)))
        elif kind == 5:
            op = rng.choice(["tst", "cmp", "cmn"])
            self.emit("%s%s.n %s, %s" % (op, cond, reg(rn), reg(rm)))
        elif kind == 6:
            self.emit("%s %s, %s, %s" % (self.narrow("mul", cond), reg(rd), reg(rn), reg(rd)))
        elif kind == 7:
            self.emit("%s %s, %s, #0" % (self.narrow("rsb", cond), reg(rd), reg(rn)))
        elif kind == 8:
            op = rng.choice(["lsl", "lsr", "asr"])
            amount = rng.between(1, 31) if op == "lsl" else rng.between(1, 32)
            if op == "lsl" and not cond and rng.chance(1, 8):
                amount = 0  # MOVS (register): only outside IT blocks
            self.emit("%s %s, %s, #%d" % (self.narrow(op, cond), reg(rd), reg(rn), amount))
        elif kind == 9:
            op = rng.choice(["rev", "rev16", "revsh", "sxtb", "sxth", "uxtb", "uxth"])
            self.emit("%s%s.n %s, %s" % (op, cond, reg(rd), reg(rn)))
        elif kind == 10:
            # ADD/MOV (register) reaching the high registers; neither sets flags.
            op = rng.choice(["add", "mov"])
            self.emit("%s%s.n %s, %s" % (op, cond, reg(self.destination()), reg(self.source())))
        else:
            # CMP (register) T2 needs at least one high register.
            high = rng.between(8, 12)
            low = self.source()
            pair = (high, low) if rng.chance(1, 2) else (low, high)
            self.emit("cmp%s.n %s, %s" % (cond, reg(pair[0]), reg(pair[1])))

    def multiply(self, cond):
        rng = self.rng
        kind = rng.below(4)
        if kind == 0:
            self.emit("mul%s.w %s, %s, %s" % (cond, reg(self.destination()), reg(self.source()),
                                              reg(self.source())))
        elif kind == 1:
            self.emit("%s%s %s, %s, %s, %s" % (rng.choice(["mla", "mls"]), cond,
                                               reg(self.destination()), reg(self.source()),
                                               reg(self.source()), reg(self.source())))
        elif kind == 2:
            low, high = self.rng.sample([r for r in ALL_REGISTERS if r != self.base], 2)
            op = rng.choice(["umull", "smull", "umlal", "smlal"])
            self.emit("%s%s %s, %s, %s, %s" % (op, cond, reg(low), reg(high),
                                               reg(self.source()), reg(self.source())))
        else:
            self.emit("%s%s %s, %s, %s" % (rng.choice(["sdiv", "udiv"]), cond,
                                           reg(self.destination()), reg(self.source()),
                                           reg(self.source())))

    def bit_operation(self, cond):
        rng = self.rng
        kind = rng.below(6)
        rd = reg(self.destination())
        rn = reg(self.source())
        if kind <= 1:
            lsb = rng.below(32)
            width = rng.between(1, 32 - lsb)
            op = rng.choice(["bfi", "ubfx", "sbfx"])
            self.emit("%s%s %s, %s, #%d, #%d" % (op, cond, rd, rn, lsb, width))
        elif kind == 2:
            lsb = rng.below(32)
            self.emit("bfc%s %s, #%d, #%d" % (cond, rd, lsb, rng.between(1, 32 - lsb)))
        elif kind == 3:
            op = rng.choice(["sxtb", "sxth", "uxtb", "uxth"])
            rotation = rng.choice(["", ", ror #8", ", ror #16", ", ror #24"])
            self.emit("%s%s.w %s, %s%s" % (op, cond, rd, rn, rotation))
        elif kind == 4:
            op = rng.choice(["rev", "rev16", "revsh", "rbit", "clz"])
            suffix = ".w" if op in ("rev", "rev16", "revsh") else ""
            self.emit("%s%s%s %s, %s" % (op, cond, suffix, rd, rn))
        else:
            signed = rng.chance(1, 2)
            bits = rng.between(1, 32) if signed else rng.below(32)
            shift = ""
            if rng.chance(1, 2):
                shift = (", lsl #%d" % rng.between(1, 31)) if rng.chance(1, 2) \
                    else (", asr #%d" % rng.between(1, 31))
            self.emit("%s%s %s, #%d, %s%s" % ("ssat" if signed else "usat", cond, rd, bits,
                                              rn, shift))

    def flags_transfer(self, cond):
        if self.rng.chance(1, 2):
            self.emit("msr%s apsr_nzcvq, %s" % (cond, reg(self.source())))
        else:
            self.emit("mrs%s %s, apsr" % (cond, reg(self.destination())))

    # Memory -----------------------------------------------------------------------------

    def address_ok(self, offset, size):
        return 0 <= offset and offset + size <= BUFFER_SIZE

    def load_store(self, cond, allow_writeback):
        rng = self.rng
        size, load_op, store_op = rng.choice([
            (4, "ldr", "str"), (1, "ldrb", "strb"), (1, "ldrsb", "strb"), (2, "ldrh", "strh"),
            (2, "ldrsh", "strh")])
        is_load = rng.chance(1, 2)
        op = load_op if is_load else store_op
        rt = self.destination() if is_load else self.source()
        base = reg(self.base)
        mode = rng.below(7)
        if mode == 2 and cond:
            mode = 0  # the index register would be set by a conditional slot
        if mode == 3 and not allow_writeback:
            mode = 0
        if mode == 4 and not (self.base < 8 and rt < 8 and op in NARROW_IMMEDIATE_OPS):
            mode = 0
        if mode == 0:
            offset = rng.below(BUFFER_SIZE - size - self.base_offset + 1)
            self.emit("%s%s.w %s, [%s, #%d]" % (op, cond, reg(rt), base, offset))
        elif mode == 1:
            offset = -rng.between(1, min(255, self.base_offset))
            self.emit("%s%s %s, [%s, #%d]" % (op, cond, reg(rt), base, offset))
        elif mode == 2:
            self.register_offset(op, rt, size)
        elif mode == 3:
            if not is_load and rt == self.base:
                rt = self.destination()  # STR with writeback: Rt != Rn
            delta = rng.between(-255, 255)
            new_offset = self.base_offset + delta
            if not BASE_MIN <= new_offset <= BASE_MAX:
                delta = -delta
                new_offset = self.base_offset + delta
            if rng.chance(1, 2):
                self.emit("%s %s, [%s, #%d]!" % (op, reg(rt), base, delta))
            else:
                self.emit("%s %s, [%s], #%d" % (op, reg(rt), base, delta))
            self.base_offset = new_offset
        elif mode == 4:
            offset = rng.below(32) * size
            self.emit("%s%s.n %s, [%s, #%d]" % (op, cond, reg(rt), base, offset))
        elif mode == 5:
            self.unprivileged(cond)
        else:
            self.dual(cond, allow_writeback)

    def register_offset(self, op, rt, size):
        """Index register from UBFX of a random register, so the access stays inside."""
        rng = self.rng
        room = BUFFER_SIZE - size - self.base_offset
        shift = rng.below(4)
        bits = 1
        while bits < 10 and ((1 << (bits + 1)) - 1) << shift <= room:
            bits += 1
        index = self.destination()
        self.emit("ubfx %s, %s, #%d, #%d" % (reg(index), reg(self.source()),
                                            rng.below(33 - bits), bits))
        if shift == 0 and self.base < 8 and rt < 8 and index < 8 and rng.chance(1, 2):
            self.emit("%s.n %s, [%s, %s]" % (op, reg(rt), reg(self.base), reg(index)))
        else:
            self.emit("%s.w %s, [%s, %s, lsl #%d]" % (op, reg(rt), reg(self.base), reg(index),
                                                      shift))

    def unprivileged(self, cond):
        rng = self.rng
        op = rng.choice(["ldrt", "ldrbt", "ldrht", "ldrsbt", "ldrsht", "strt", "strbt",
                         "strht"])
        is_load = op.startswith("ld")
        rt = self.destination() if is_load else self.source()
        offset = rng.below(min(256, BUFFER_SIZE - 4 - self.base_offset))
        self.emit("%s%s %s, [%s, #%d]" % (op, cond, reg(rt), reg(self.base), offset))

    def dual(self, cond, allow_writeback):
        rng = self.rng
        if self.base_offset % 4 != 0:
            self.load_store_word_fallback(cond)
            return
        is_load = rng.chance(1, 2)
        first, second = self.rng.sample([r for r in ALL_REGISTERS if r != self.base], 2)
        op = "ldrd" if is_load else "strd"
        low = max(-self.base_offset, -1020) // 4
        high = min(BUFFER_SIZE - 8 - self.base_offset, 1020) // 4
        offset = rng.between(low, high) * 4
        if allow_writeback and rng.chance(1, 3):
            delta = rng.between(-32, 32) * 4
            new_offset = self.base_offset + delta
            if not BASE_MIN <= new_offset <= BASE_MAX:
                delta = -delta
                new_offset = self.base_offset + delta
            if rng.chance(1, 2):
                self.emit("%s %s, %s, [%s, #%d]!" % (op, reg(first), reg(second),
                                                     reg(self.base), delta))
            else:
                self.emit("%s %s, %s, [%s], #%d" % (op, reg(first), reg(second),
                                                    reg(self.base), delta))
            self.base_offset = new_offset
        else:
            self.emit("%s%s %s, %s, [%s, #%d]" % (op, cond, reg(first), reg(second),
                                                  reg(self.base), offset))

    def load_store_word_fallback(self, cond):
        offset = self.rng.below(BUFFER_SIZE - 4 - self.base_offset + 1)
        self.emit("ldr%s.w %s, [%s, #%d]" % (cond, reg(self.destination()), reg(self.base),
                                             offset))

    def multiple(self):
        """LDM/STM IA or DB on the buffer; needs a word-aligned base."""
        rng = self.rng
        if self.base_offset % 4 != 0:
            self.load_store_word_fallback("")
            return
        count = rng.between(2, 6)
        registers = sorted(self.rng.sample([r for r in ALL_REGISTERS if r != self.base], count))
        span = 4 * count
        increment = rng.chance(1, 2)
        if increment and self.base_offset + span > BUFFER_SIZE:
            increment = False
        if not increment and self.base_offset - span < 0:
            increment = True
        writeback = rng.chance(1, 2)
        new_offset = self.base_offset + (span if increment else -span)
        if writeback and not BASE_MIN <= new_offset <= BASE_MAX:
            writeback = False
        op = ("ldm" if rng.chance(1, 2) else "stm") + ("ia" if increment else "db")
        width = rng.choice(["", ".w"])
        self.emit("%s%s %s%s, {%s}" % (op, width, reg(self.base), "!" if writeback else "",
                                       ", ".join(reg(r) for r in registers)))
        if writeback:
            self.base_offset = new_offset

    # Control flow -----------------------------------------------------------------------

    def simple(self, cond):
        """One instruction from the families that may sit in IT blocks or skipped code."""
        family = self.rng.below(16)
        if family < 3:
            self.data_immediate(cond)
        elif family < 6:
            self.data_register(cond)
        elif family < 7:
            self.shift_by_register(cond)
        elif family < 10:
            self.narrow_form(cond)
        elif family < 11:
            self.multiply(cond)
        elif family < 13:
            self.bit_operation(cond)
        elif family < 14:
            self.flags_transfer(cond)
        else:
            self.load_store(cond, allow_writeback=False)

    def it_block(self):
        rng = self.rng
        first = rng.choice(CONDITIONS)
        length = rng.between(1, 4)
        slots = [first] + [first if rng.chance(1, 2) else INVERSE[first]
                           for _ in range(length - 1)]
        pattern = "".join("t" if c == first else "e" for c in slots[1:])
        self.emit("it%s %s" % (pattern, first))
        for condition in slots:
            self.simple(condition)
        return length + 1

    def forward_branch(self):
        rng = self.rng
        target = self.new_label()
        if rng.chance(1, 4):
            self.emit("%s %s, %s" % (rng.choice(["cbz", "cbnz"]), reg(self.source(low=True)),
                                     target))
        else:
            self.emit("b%s.%s %s" % (rng.choice(CONDITIONS), rng.choice(["n", "w"]), target))
        skipped = rng.between(1, 3)
        for _ in range(skipped):
            self.simple("")
        self.lines.append("%s:" % target)
        return skipped + 1

    def instruction(self):
        """Emits one random unit; returns how many instructions it counts for."""
        family = self.rng.below(20)
        if family < 11:
            self.simple("")
            return 1
        if family < 14:
            self.load_store("", allow_writeback=True)
            return 1
        if family < 15:
            self.multiple()
            return 1
        if family < 18:
            return self.it_block()
        return self.forward_branch()


def write_sequences(index, count, out):
    rng = SplitMix64(0x44534D00 + index * 0x1000193)
    out.write("/* Generated by gen/gen_random.py --index %d --sequences %d. Do not edit. */\n"
              % (index, count))
    out.write("    .syntax unified\n    .cpu cortex-m3\n    .thumb\n")
    out.write("    .file \"rand_%02d.S\"\n\n" % index)
    out.write("    .text\n    .global run_random_sequences\n")
    out.write("    .type run_random_sequences, %function\n    .thumb_func\n")
    out.write("run_random_sequences:\n    push {r4-r11, lr}\n")
    for sequence in range(count):
        writer = SequenceWriter(rng, "seq%d" % sequence)
        writer.base = rng.choice(ALL_REGISTERS)
        writer.base_offset = rng.between(BASE_MIN // 4, BASE_MAX // 4) * 4
        if rng.chance(1, 4):
            writer.base_offset += rng.between(1, 3)
        out.write("\n    /* sequence %d: base r%d at scratch+%d */\n"
                  % (sequence, writer.base, writer.base_offset))
        flags = rng.below(32) << 27
        writer.emit("movw r0, #0x%x" % (flags & 0xFFFF))
        writer.emit("movt r0, #0x%x" % (flags >> 16))
        writer.emit("msr apsr_nzcvq, r0")
        for register in ALL_REGISTERS:
            if register == writer.base:
                writer.emit("movw %s, #:lower16:(rand_scratch + %d)"
                            % (reg(register), writer.base_offset))
                writer.emit("movt %s, #:upper16:(rand_scratch + %d)"
                            % (reg(register), writer.base_offset))
            else:
                value = random_value(rng)
                writer.emit("movw %s, #0x%x" % (reg(register), value & 0xFFFF))
                writer.emit("movt %s, #0x%x" % (reg(register), value >> 16))
        target = rng.between(10, 30)
        executed = 0
        while executed < target:
            executed += writer.instruction()
        writer.emit("bl rand_dump")
        out.write("\n".join(writer.lines) + "\n")
    out.write("\n    pop {r4-r11, pc}\n")
    out.write("    .size run_random_sequences, . - run_random_sequences\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=int, required=True, help="file index; selects the seed")
    parser.add_argument("--sequences", type=int, default=100)
    parser.add_argument("--output", required=True)
    arguments = parser.parse_args()
    with open(arguments.output, "w", encoding="ascii", newline="\n") as out:
        write_sequences(arguments.index, arguments.sequences, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
