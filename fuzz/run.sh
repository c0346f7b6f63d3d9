#!/usr/bin/env bash
# Seeds and runs a fuzz target for a bounded time.
#
# Usage (from anywhere):  fuzz/run.sh [SECONDS] [-- extra libFuzzer flags]
#   SECONDS             total fuzzing time, default 60 (-max_total_time)
#   FUZZ_TARGET         genius_xml (default: GENIUS XML readers) or case_json
#                       (case files; seeded with examples/cases and the shared
#                       cases)
#   PACTUM_SCENARIOS    scenario folder to seed from, default ../shared/scenarios
#                       relative to the repository root
#   FUZZ_JOBS           parallel libFuzzer jobs, default 1
#   FUZZ_VERBOSITY      libFuzzer -verbosity; default 1, or 0 when CI=true (no
#                       line per new corpus entry; crashes and final stats
#                       are printed either way)
#
# Seed corpus: every scenario XML file below PACTUM_SCENARIOS (up to
# SEED_MAX_BYTES) is copied into fuzz/corpus/genius_xml at run time, plus, per
# scenario folder, one "domain NUL profile" pair for the target's conversion
# path. fuzz/corpus is git-ignored: scenario files never enter the repository.
#
# Toolchain notes (checked with cargo-fuzz 0.13.2, rustc 1.95.0 stable):
#   * `cargo fuzz run genius_xml -s none` works on STABLE: with sanitizer
#     "none" cargo-fuzz passes only stable -C flags (sancov coverage, --cfg
#     fuzzing, debug assertions). libFuzzer still catches every panic (the
#     libfuzzer-sys panic hook aborts) and timeouts/OOMs.
#   * The default sanitizer (address) passes -Zsanitizer=address, which stable
#     rustc rejects ("the option `Z` is only accepted on the nightly compiler").
#     Use `cargo +nightly fuzz run genius_xml` when a nightly toolchain is
#     installed, or RUSTC_BOOTSTRAP=1 on stable. pactum forbids unsafe code,
#     so ASan adds little; this script uses `-s none` on the default toolchain.
#   * Crashes land in fuzz/artifacts/genius_xml/; replay one with
#     `cargo fuzz run genius_xml -s none fuzz/artifacts/genius_xml/crash-...`
#     from fuzz/ (or `cargo fuzz fmt` to print it).
set -euo pipefail

seconds=${1:-60}
shift || true
[ "${1:-}" = "--" ] && shift

fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$fuzz_dir/.." && pwd)
scenarios=${PACTUM_SCENARIOS:-$repo/../shared/scenarios}
corpus=$fuzz_dir/corpus/genius_xml
# libFuzzer guesses -max_len from the largest seed; a few scenario files are
# megabytes long, which would make every mutation slow. Larger files are skipped.
seed_max_bytes=${SEED_MAX_BYTES:-100000}
max_len=$((2 * seed_max_bytes + 1))

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 1
fi

target=${FUZZ_TARGET:-genius_xml}
if [ "$target" = "case_json" ]; then
    corpus=$fuzz_dir/corpus/case_json
    mkdir -p "$corpus"
    for f in "$repo"/examples/cases/*.json "$repo"/../shared/cases/*/case.json; do
        [ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    echo "seed corpus: $(find "$corpus" -name 'seed-*' | wc -l) case files ($corpus)"
    cd "$fuzz_dir"
    exec cargo fuzz run case_json -s none "$corpus" -- \
        -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
        -verbosity="${FUZZ_VERBOSITY:-0}" -print_final_stats=1 "$@"
fi

mkdir -p "$corpus"
if [ -d "$scenarios" ]; then
    skipped=0
    while IFS= read -r -d '' f; do
        size=$(stat -c %s "$f")
        if [ "$size" -gt "$seed_max_bytes" ]; then
            skipped=$((skipped + 1))
            continue
        fi
        rel=${f#"$scenarios"/}
        cp "$f" "$corpus/seed-${rel//\//_}"
    done < <(find "$scenarios" -type f -iname '*.xml' -print0)
    # Domain NUL profile pairs, one per folder (first profile by name).
    pairs=0
    while IFS= read -r -d '' dir; do
        domain=""
        profile=""
        for f in "$dir"/*.xml "$dir"/*.XML; do
            [ -f "$f" ] || continue
            case "$f" in *pareto.xml) continue ;; esac
            [ "$(stat -c %s "$f")" -gt "$seed_max_bytes" ] && continue
            head=$(head -c 4096 "$f")
            if [ -z "$domain" ] && [[ $head == *"<negotiation_template"* ]]; then
                domain=$f
            elif [ -z "$profile" ] && [[ $head == *"<utility_space"* ]]; then
                profile=$f
            fi
        done
        if [ -n "$domain" ] && [ -n "$profile" ]; then
            rel=${dir#"$scenarios"/}
            { cat "$domain"; printf '\0'; cat "$profile"; } >"$corpus/pair-${rel//\//_}"
            pairs=$((pairs + 1))
        fi
    done < <(find "$scenarios" -type d -print0)
    echo "seed corpus: $(find "$corpus" -name 'seed-*' | wc -l) files, $pairs domain/profile pairs, $skipped files over $seed_max_bytes bytes skipped ($corpus)"
else
    echo "warning: no scenarios at $scenarios; fuzzing from the existing corpus only" >&2
fi

cd "$fuzz_dir"
jobs=${FUZZ_JOBS:-1}
if [ "${CI:-}" = "true" ]; then
    verbosity=${FUZZ_VERBOSITY:-0}
else
    verbosity=${FUZZ_VERBOSITY:-1}
fi
extra=()
if [ "$jobs" -gt 1 ]; then
    extra+=("-fork=$jobs")
fi
exec cargo fuzz run genius_xml -s none "$corpus" -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -verbosity="$verbosity" -print_final_stats=1 "${extra[@]}" "$@"
