#!/usr/bin/env bash
# Instruction counts of the control loop under valgrind's callgrind (issue 6): repeatable where
# wall-clock times are not. For each case of benches/benches/site.rs (steady, shed, plugin, trip,
# noisy) at 2, 8, 64, 256 and 1024 points, and for the micro cases (duty, cp, pp, config), it
# runs the driver `benches/examples/case.rs` twice with a different number of measured windows and prints
#
#     (instructions of run 2 − instructions of run 1) / (measured steps of run 2 − of run 1)
#
# so set-up and settling cancel out. Only the driver's `measured_*` functions are counted
# (`--toggle-collect`), so the snapshot restore between windows does not count either. A window
# is 50 steps from the event on; "per step" of a transient is the mean over its window, and
# "peak" is its most expensive single step (one more run that dumps after every measured step).
#
# Usage: benches/callgrind.sh [--quick] [--annotate]
#   --quick     2 and 64 points only (a smoke run of the script itself)
#   --annotate  also print (and write to target/callgrind/profile.txt) where the instructions go:
#               by source file of core, steady state at 2 and 1024 points and the step of the
#               shed at 1024
# Needs valgrind (callgrind_annotate comes with it). Builds with the bench profile (release with
# debug info), as `cargo bench` does.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
annotate=0
for arg in "$@"; do
    case "$arg" in
    --quick) quick=1 ;;
    --annotate) annotate=1 ;;
    *)
        echo "usage: $0 [--quick] [--annotate]" >&2
        exit 2
        ;;
    esac
done

command -v valgrind > /dev/null || {
    echo "valgrind is needed (Debian: apt-get install valgrind)" >&2
    exit 1
}

cargo build -q --profile bench -p loadpilot-benches --example case
driver=target/release/examples/case
out=target/callgrind
mkdir -p "$out"
rm -f "$out"/cg.*

WINDOW=50 # steps per window: keep in step with WINDOW in benches/benches/site.rs
CALLS=64  # calls per episode of the pure-function cases: keep in step with case.rs

# instructions NAME ARGS...: total Ir of the measured functions in one run of the driver.
instructions() {
    local name=$1
    shift
    valgrind --tool=callgrind --toggle-collect='*measured_*' \
        --callgrind-out-file="$out/cg.$name" "$driver" "$@" > /dev/null 2> "$out/log.$name"
    awk '/^totals:/ { print $2 }' "$out/cg.$name"
}

# per_unit CASE POINTS E1 E2 UNITS_PER_EPISODE: instructions per unit by differencing.
per_unit() {
    local case=$1 n=$2 e1=$3 e2=$4 units=$5
    local i1 i2
    i1=$(instructions "$case-$n-$e1" "$case" "$n" "$e1")
    i2=$(instructions "$case-$n-$e2" "$case" "$n" "$e2")
    echo $(((i2 - i1) / ((e2 - e1) * units)))
}

# goal POINTS: the issue's goal for one step at that size (instructions), 0 where it sets none.
goal() {
    case $1 in
    2) echo 3000 ;;
    1024) echo 600000 ;;
    *) echo 0 ;;
    esac
}

# peak CASE POINTS: the largest and the first step of one window, from a dump after each step,
# and how many steps are over the goal of that size and which ("k:instructions,...", step 1
# being the window's first; "-" if none or no goal).
peak() {
    local case=$1 n=$2 dir="$out/peak-$1-$2"
    rm -rf "$dir"
    mkdir -p "$dir"
    # (The two patterns must differ: callgrind keeps one option per identical pattern.)
    valgrind --tool=callgrind --toggle-collect='*measured_*' --dump-after='*measured_step*' \
        --callgrind-out-file="$dir/cg" "$driver" "$case" "$n" 1 > /dev/null 2> "$dir/log"
    # Dump k (cg.k) holds step k of the window alone: collection is on only inside the step.
    if [[ ! -f "$dir/cg.$WINDOW" || -f "$dir/cg.$((WINDOW + 1))" ]]; then
        echo "peak $case $n: expected $WINDOW dumps, one per measured step (see $dir)" >&2
        exit 1
    fi
    local max=0 first=0 k v over="" count=0 g
    g=$(goal "$n")
    for k in $(seq 1 "$WINDOW"); do
        v=$(awk '/^totals:/ { print $2 }' "$dir/cg.$k")
        ((k == 1)) && first=$v
        ((v > max)) && max=$v
        if ((g > 0 && v > g)); then
            over="$over${over:+,}$k:$v"
            count=$((count + 1))
        fi
    done
    echo "$max $first $count ${over:--}"
}

if ((quick)); then sizes=(2 64); else sizes=(2 8 64 256 1024); fi

printf '%-8s %6s %18s %14s %14s\n' case points 'instructions/step' 'peak step' 'first step'
overs=()
for case in steady shed plugin trip noisy; do
    for n in "${sizes[@]}"; do
        mean=$(per_unit "$case" "$n" 1 3 "$WINDOW")
        read -r max first count over < <(peak "$case" "$n")
        printf '%-8s %6d %18d %14d %14d\n' "$case" "$n" "$mean" "$max" "$first"
        if [[ $over != - ]]; then
            overs+=("$(printf '%-8s %6d %6d  %s' "$case" "$n" "$count" "$over")")
        fi
    done
done
echo
# The single steps over the issue's goal (2 points: 3,000; 1024 points: 600,000 instructions).
printf '%-8s %6s %6s  %s\n' case points over 'steps over the goal (step of the window:instructions)'
if ((${#overs[@]})); then printf '%s\n' "${overs[@]}"; else echo "none"; fi
echo
printf '%-8s %6s %18s\n' case points 'instructions/call'
for n in 2 1024; do
    printf '%-8s %6d %18d\n' config "$n" "$(per_unit config "$n" 1 11 1)"
done
for f in duty cp pp; do
    printf '%-8s %6s %18d\n' "$f" - "$(per_unit "$f" 0 10 110 "$CALLS")"
done

# by_source FILE STEPS TITLE: self cost per step by source file of core (the release build
# inlines nearly all of core into `step`, so functions no longer tell where the instructions go;
# the source lines they came from do). Rust's own library code inlined into core (iterators,
# saturating arithmetic, comparisons) is one line.
by_source() {
    local file=$1 steps=$2 title=$3
    echo "# $title: instructions per step by source file (self cost)"
    callgrind_annotate --auto=no --threshold=100 "$file" | awk -v steps="$steps" '
        /^ *[0-9,]+ +\(/ && !/PROGRAM TOTALS/ {
            n = $1; gsub(",", "", n); line = $0
            sub(/^ *[0-9,]+ +\([ 0-9.%]+\) +/, "", line); sub(/ \[[^]]*\]$/, "", line)
            src = substr(line, 1, index(line, ":") - 1)
            if (src ~ /core\/src\/[a-z_]+\.rs$/ && src !~ /rustc/) { sub(/.*core\/src\//, "core/src/", src) }
            else if (src ~ /rustc|library/) { src = "Rust library code inlined into core" }
            else { src = "the bench driver" }
            sum[src] += n; total += n
        }
        END {
            for (f in sum) if (sum[f] / total >= 0.001)
                printf "%12d %5.1f%%  %s\n", sum[f] / steps, 100 * sum[f] / total, f
        }' | sort -rn
    echo
}

if ((annotate)); then
    big=${sizes[-1]}
    for n in 2 "$big"; do
        # 4 windows of steady state, the settling excluded by the toggle.
        valgrind --tool=callgrind --toggle-collect='*measured_step*' \
            --callgrind-out-file="$out/cg.annotate-$n" "$driver" steady "$n" 4 > /dev/null 2>&1
    done
    {
        by_source "$out/cg.annotate-2" $((4 * WINDOW)) "steady, 2 points"
        by_source "$out/cg.annotate-$big" $((4 * WINDOW)) "steady, $big points"
        by_source "$out/peak-shed-$big/cg.1" 1 "shed, $big points, the step of the drop"
    } > "$out/profile.txt"
    cat "$out/profile.txt"
    echo "raw profiles: callgrind_annotate $out/cg.annotate-{2,$big} (add --inclusive=yes)"
fi
