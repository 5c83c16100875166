#!/usr/bin/env bash
# Wall-clock comparison of dsm against QEMU (qemu-system-arm -M mps2-an385, TCG JIT) on the committed
# throughput kernels, in one run on one machine, so only ratios matter.
#
# Builds dsm once (Release, into its own artifacts directory) and runs it as `dotnet dsm.dll`. For every
# workload it alternates QEMU and dsm for R rounds and prints, per workload: the median wall time of each,
# the ratio dsm/QEMU, the guest instruction count (from `dsm run --stats`), dsm's MIPS (count / dsm's median
# wall time), QEMU's implied MIPS (same count / QEMU's median wall time), and dsm's in-run MIPS (the
# --stats figure: Machine.Run only, no process start-up). Nothing is subtracted from wall times; the
# `null` row (an image that exits after a few hundred instructions) shows each side's start-up cost.
# Every run's stdout and exit code must equal the other side's and QEMU's recording in
# tests/firmware/expected; the script fails otherwise.
#
# usage: benchmarks/compare-qemu.sh [-r ROUNDS] [--quick] [--no-build] [WORKLOAD...]
#   -r ROUNDS   rounds per workload (default 5; each round runs QEMU then dsm)
#   --quick     use the bench_*_quick images (a smoke test of the script, not a throughput figure)
#   --no-build  reuse the dsm build from a previous run
#   WORKLOAD    kernel names (crc32 matmul ...; default: every tests/firmware/bin/bench_*.elf) or null
# environment: QEMU (default qemu-system-arm), DOTNET (default dotnet), TIMEOUT seconds per run (default 300),
#   NULL_IMAGE (default tests/firmware/bin/isa_exit_code.elf), DSM_BUILD_DIR (default benchmarks/artifacts/compare-qemu)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=5
quick=
build=1
workloads=()
while [ $# -gt 0 ]; do
    case $1 in
        -r) rounds=$2; shift 2 ;;
        -r*) rounds=${1#-r}; shift ;;
        --quick) quick=_quick; shift ;;
        --no-build) build=; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "compare-qemu.sh: unknown option $1" >&2; exit 2 ;;
        *) workloads+=("$1"); shift ;;
    esac
done
case $rounds in ''|*[!0-9]*|0) echo "compare-qemu.sh: ROUNDS must be a positive integer" >&2; exit 2 ;; esac

qemu=${QEMU:-qemu-system-arm}
dotnet=${DOTNET:-dotnet}
limit=${TIMEOUT:-300}
null_image=${NULL_IMAGE:-$root/tests/firmware/bin/isa_exit_code.elf}
build_dir=${DSM_BUILD_DIR:-$root/benchmarks/artifacts/compare-qemu}
dsm_dll=$build_dir/bin/Dsm.Cli/release/dsm.dll
bin=$root/tests/firmware/bin
expected_dir=$root/tests/firmware/expected

command -v "$qemu" >/dev/null || { echo "compare-qemu.sh: $qemu not found (apt-get install qemu-system-arm)" >&2; exit 2; }

if [ ${#workloads[@]} -eq 0 ]; then
    workloads=(null)
    for f in "$bin"/bench_*.elf; do
        name=$(basename "$f" .elf); name=${name#bench_}
        case $name in *_quick) ;; *) workloads+=("$name") ;; esac
    done
fi

if [ -n "$build" ] || [ ! -f "$dsm_dll" ]; then
    echo "building dsm (Release) into $build_dir ..." >&2
    "$dotnet" build "$root/src/Dsm.Cli/Dsm.Cli.csproj" -c Release --artifacts-path "$build_dir" -nologo -v q >&2
fi
[ -f "$dsm_dll" ] || { echo "compare-qemu.sh: $dsm_dll missing after the build" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

# run_timed SIDE IMAGE OUT ERR -> prints "exitcode microseconds"
run_timed() {
    local side=$1 image=$2 out=$3 err=$4 start end rc=0
    start=$(now_us)
    if [ "$side" = qemu ]; then
        timeout --kill-after=5 "$limit" "$qemu" \
            -M mps2-an385 -cpu cortex-m3 -display none -monitor none -serial null \
            -chardev stdio,id=semihosting,signal=off \
            -semihosting-config enable=on,userspace=on,target=native,chardev=semihosting \
            -kernel "$image" </dev/null >"$out" 2>"$err" || rc=$?
    else
        timeout --kill-after=5 "$limit" "$dotnet" "$dsm_dll" run "$image" --stats </dev/null >"$out" 2>"$err" || rc=$?
    fi
    end=$(now_us)
    echo "$rc $((end - start))"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "# dsm vs QEMU, $(date -u +%Y-%m-%dT%H:%MZ), $rounds rounds, commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ modified)')"
echo "# host: $(nproc) CPUs, $cpu; .NET $("$dotnet" --version); $("$qemu" --version | head -1)"
echo
printf '| %-20s | %12s | %10s | %10s | %9s | %9s | %9s | %13s |\n' \
    workload "guest instr" "QEMU s" "dsm s" "dsm/QEMU" "QEMU MIPS" "dsm MIPS" "dsm in-run MIPS"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------------------- -------------: -----------: -----------: ----------: ----------: ----------: ----------------:

failed=0
for w in "${workloads[@]}"; do
    if [ "$w" = null ]; then
        image=$null_image
    else
        image=$bin/bench_$w$quick.elf
    fi
    name=$(basename "$image" .elf)
    [ -f "$image" ] || { echo "compare-qemu.sh: no image $image" >&2; exit 2; }
    : >"$work/q.times"; : >"$work/d.times"; : >"$work/d.mips"
    instructions=
    for ((i = 1; i <= rounds; i++)); do
        read -r qrc qus < <(run_timed qemu "$image" "$work/q.out" "$work/q.err")
        read -r drc dus < <(run_timed dsm "$image" "$work/d.out" "$work/d.err")
        echo "$qus" >>"$work/q.times"
        echo "$dus" >>"$work/d.times"
        count=$(awk '/guest instructions/ { print $3 }' "$work/d.err")
        awk '/MIPS/ { print $2 }' "$work/d.err" >>"$work/d.mips"
        problem=
        if [ "$qrc" != "$drc" ]; then problem="exit codes differ (QEMU $qrc, dsm $drc)"
        elif ! cmp -s "$work/q.out" "$work/d.out"; then problem="stdout differs"
        elif [ -f "$expected_dir/$name.txt" ] && ! cmp -s "$work/d.out" "$expected_dir/$name.txt"; then problem="stdout differs from tests/firmware/expected/$name.txt"
        elif [ -f "$expected_dir/$name.exitcode" ] && [ "$drc" != "$(cat "$expected_dir/$name.exitcode")" ]; then problem="exit code $drc, recorded $(cat "$expected_dir/$name.exitcode")"
        elif [ -z "$count" ]; then problem="no --stats from dsm"
        elif [ -n "$instructions" ] && [ "$count" != "$instructions" ]; then problem="instruction count changed between rounds ($instructions, $count)"
        fi
        if [ -n "$problem" ]; then
            echo "compare-qemu.sh: $name round $i: $problem" >&2
            echo "--- QEMU stdout/stderr:" >&2; cat "$work/q.out" "$work/q.err" >&2
            echo "--- dsm stdout/stderr:" >&2; cat "$work/d.out" "$work/d.err" >&2
            failed=1
            continue 2
        fi
        instructions=$count
    done
    qmed=$(median <"$work/q.times")
    dmed=$(median <"$work/d.times")
    inrun=$(median <"$work/d.mips")
    label=$w
    [ "$w" = null ] && label="null ($(basename "$image" .elf))"
    [ "$w" != null ] && [ -n "$quick" ] && label=$w$quick
    awk -v w="$label" -v n="$instructions" -v q="$qmed" -v d="$dmed" -v r="$inrun" 'BEGIN {
        printf "| %-20s | %12d | %10.3f | %10.3f | %8.2fx | %9.1f | %9.1f | %15.1f |\n",
            w, n, q / 1e6, d / 1e6, d / q, n / q, n / d, r
    }'
done

echo
echo "(wall times are medians over $rounds alternating rounds, including process start-up; MIPS = guest instructions / median wall time;"
echo " QEMU's MIPS uses dsm's instruction count; 'dsm in-run MIPS' is the median of dsm --stats, Machine.Run alone)"
exit $failed
