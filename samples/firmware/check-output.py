#!/usr/bin/env python3
"""Checks the sample firmware's console output (stdin or a file): every line's sum= is the CRC-32
of the text before " sum=", task A's seq goes 1, 2, 3 ... with tick = 100 * seq and
rounds = tick - 1, task C's seq goes 1, 2, 3 ... with count = 50 * seq, and there is no GAP or
fatal line. Exit code 0 when all holds; prints a summary either way."""
import re
import sys
import zlib


def main():
    text = open(sys.argv[1], encoding="ascii", errors="replace").read() if len(sys.argv) > 1 else sys.stdin.read()
    errors, a_lines, c_lines = [], 0, 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        match = re.fullmatch(r"(.*) sum=([0-9A-F]{8})", line)
        if not match:
            if line.strip():
                errors.append(f"line {number}: no checksum: {line!r}")
            continue
        body, sum_text = match.groups()
        if zlib.crc32(body.encode("ascii")) != int(sum_text, 16):
            errors.append(f"line {number}: bad checksum: {line!r}")
            continue
        fields = dict(re.findall(r"(\w+)=(\w+)", body))
        if body.startswith("A "):
            a_lines += 1
            seq, tick, rounds = int(fields["seq"]), int(fields["tick"]), int(fields["rounds"])
            if seq != a_lines or tick != 100 * seq or rounds != tick - 1:
                errors.append(f"line {number}: task A out of sequence (expected seq={a_lines}): {line!r}")
        elif body.startswith("C GAP") or body.startswith("fatal"):
            errors.append(f"line {number}: {body}")
        elif body.startswith("C "):
            c_lines += 1
            if int(fields["seq"]) != c_lines or int(fields["count"]) != 50 * c_lines or fields["gaps"] != "0":
                errors.append(f"line {number}: task C out of sequence (expected seq={c_lines}): {line!r}")
    for error in errors[:20]:
        print(error)
    print(f"{a_lines} task A lines, {c_lines} task C lines, {len(errors)} problems")
    return 1 if errors or a_lines == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
