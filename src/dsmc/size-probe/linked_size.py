#!/usr/bin/env python3
"""Sums the input sections a GNU ld map file placed in the image, per object of the DSMC archive
and per library object, so `make size` can state the DSMC's real linked size (after --gc-sections)."""
import re
import sys
from collections import defaultdict

def main(map_path, archive_name):
    text = open(map_path, encoding="utf-8", errors="replace").read()
    # Stop before the list of discarded sections ends and the memory map starts: only the
    # "Linker script and memory map" part describes what was kept.
    kept = text.split("Linker script and memory map", 1)[1]
    sizes = defaultdict(lambda: defaultdict(int))
    pattern = re.compile(r"^ (\.[\w.$]+)?\s*\n?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$", re.M)
    for m in pattern.finditer(kept):
        section, size, origin = m.group(1) or "", int(m.group(3), 16), m.group(4)
        if size == 0 or ("(" not in origin and ".ltrans" not in origin and "/probe-" not in origin):
            continue
        if section.startswith((".text", ".rodata")):
            kind = "text"
        elif section.startswith(".data"):
            kind = "data"
        elif section.startswith((".bss", ".dsmc_private", "COMMON")):
            kind = "bss"
        else:
            continue   # debug information, attributes, notes: not in the memory image
        owner = origin.rsplit("/", 1)[-1]
        if ".ltrans" in owner:
            owner = archive_name + "(LTO)"   # with LTO=1 only the DSMC is compiled with -flto
        sizes[owner][kind] += size
    rows = sorted(sizes.items())
    print(f"{'object':44} {'text':>6} {'data':>6} {'bss':>6}")
    totals = defaultdict(lambda: defaultdict(int))
    for owner, s in rows:
        group = "dsmc" if owner.startswith(archive_name) else "lib" if ".a(" in owner else "probe"
        print(f"{owner:44} {s['text']:6} {s['data']:6} {s['bss']:6}")
        for k in ("text", "data", "bss"):
            totals[group][k] += s[k]
    for group in ("dsmc", "lib", "probe"):
        t = totals[group]
        print(f"TOTAL {group:38} {t['text']:6} {t['data']:6} {t['bss']:6}")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
