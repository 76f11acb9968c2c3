#!/usr/bin/env bash
# Runs the libFuzzer harnesses of tests/fuzz.
#
#   tools/fuzz.sh [-t SECONDS] [-n RUNS] [-j JOBS] [-b BUILD-DIR] [HARNESS...]
#
# Configures BUILD-DIR (default build-fuzz) with clang, -Dfuzzing=true and
# ASan+UBSan if needed, builds it, then fuzzes each HARNESS (default: all of
# options disclose text image logo video) for SECONDS (default 3600), or
# until it has run RUNS inputs if that comes first, with JOBS parallel
# workers (default 1). New inputs go to
# BUILD-DIR/fuzz-corpus/<harness>; crashes, leaks and timeouts to
# BUILD-DIR/fuzz-artifacts. Prints executions and executions per second for
# each harness and exits non-zero if any harness failed.
#
# Long runs, for example the targets of the README (ten million executions
# per image and text harness, one CPU-hour for video):
#   tools/fuzz.sh -t 86400 -n 10000000 options disclose text image logo
#   tools/fuzz.sh -t 3600 video
# A crash input becomes a regression test when copied into
# tests/fuzz/regressions/<harness>/ (after the fix).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=3600
runs_max=-1
jobs=1
build=build-fuzz
while getopts "t:n:j:b:" opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	n) runs_max=$OPTARG ;;
	j) jobs=$OPTARG ;;
	b) build=$OPTARG ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
	harnesses=(options disclose text image logo video)
fi

# The shared sanitizer runtime: the video module is linked with
# --no-undefined, which clang's default static runtime cannot satisfy.
if [ ! -f "$build/build.ninja" ]; then
	rt=$(clang -print-runtime-dir)
	CC=clang CXX=clang++ meson setup "$build" -Dfuzzing=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_link_args="-shared-libsan -Wl,-rpath,$rt" \
		-Dcpp_link_args="-shared-libsan -Wl,-rpath,$rt" \
		-Dbuildtype=debugoptimized -Dpython=false
fi
ninja -C "$build" -j2

# Per-harness input size limits: text-like inputs stay short, files can
# be larger. The text harness reads three bytes of settings and at most
# 256 bytes of text.
max_len() {
	case $1 in
	options | disclose) echo 4096 ;;
	text) echo 259 ;;
	video) echo 262144 ;;
	*) echo 65536 ;;
	esac
}

# With the shared runtime, libraries linked before it are harmless.
asan_options=${ASAN_OPTIONS:-detect_leaks=1}:verify_asan_link_order=0
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}

# Full stacks cost time on every allocation. The harnesses that draw text
# load fontconfig before fuzzing with leak checks off (fuzz.h), so only the
# video harness needs them, for the x265 suppression of tests/lsan.supp.
unwind() {
	case $1 in
	video) echo 0 ;;
	*) echo 1 ;;
	esac
}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# The harnesses link the static library, which finds the video module
# only through this variable.
module=$PWD/$build/lib/video/libwatermark-video.so
export WMARK_VIDEO_MODULE=${WMARK_VIDEO_MODULE:-$module}

status=0
summary=""
for h in "${harnesses[@]}"; do
	bin="$build/tests/fuzz/fuzz-$h"
	[ -x "$bin" ] || { echo "fuzz.sh: no harness $bin" >&2; exit 2; }
	work="$build/fuzz-corpus/$h"
	art="$build/fuzz-artifacts"
	log="$build/fuzz-$h.log"
	mkdir -p "$work" "$art"

	args=(-max_total_time="$seconds" -runs="$runs_max" -timeout=30
	      -rss_limit_mb=4096
	      -max_len="$(max_len "$h")" -artifact_prefix="$art/$h-"
	      -print_final_stats=1)
	dict="tests/fuzz/dict/$h.dict"
	[ -f "$dict" ] && args+=(-dict="$dict")
	if [ "$jobs" -gt 1 ]; then
		args+=(-fork="$jobs" -ignore_crashes=0)
	fi

	echo "== fuzz-$h for ${seconds}s (log: $log)"
	if ASAN_OPTIONS="$asan_options:fast_unwind_on_malloc=$(unwind "$h")" \
		"$bin" "${args[@]}" "$work" "tests/fuzz/corpus/$h" \
		"tests/fuzz/regressions/$h" >"$log" 2>&1; then
		result=ok
	else
		result=FAILED
		status=1
		grep -E 'ERROR|SUMMARY|Test unit written|check failed' "$log" |
			head -20 >&2 || true
	fi
	runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" |
		grep -Eo '[0-9]+$' | tail -1 || true)
	rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" |
		grep -Eo '[0-9]+$' | tail -1 || true)
	# Fork mode (-j) prints no final stats: its last "#N:" line counts
	# the executions of all jobs, and the rate follows from the time.
	if [ -z "$runs" ]; then
		runs=$(grep -Eo '^#[0-9]+:' "$log" | tr -d '#:' | tail -1 || true)
		[ -n "$runs" ] && rate=$((runs / seconds))
	fi
	line=$(printf '%-9s %-6s %12s execs %8s execs/s' "$h" "$result" \
		"${runs:-?}" "${rate:-?}")
	echo "$line"
	summary="$summary$line"$'\n'
done

echo "== summary ($seconds s per harness, $jobs job(s))"
printf '%s' "$summary"
exit $status
