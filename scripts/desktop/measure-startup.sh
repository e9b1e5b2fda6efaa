#!/usr/bin/env bash
# Measures "window shown after launch": from spawning the desktop binary to its window
# "Chartkeep" being mapped on the X display, polled every ~10 ms with xdotool. Prints each
# run and the median. A measurement for BENCHMARKS.md, not a test.
# Usage (the display is started here): scripts/desktop/measure-startup.sh [BINARY] [RUNS]
set -euo pipefail
# -noreset: Xvfb would otherwise reset as each run's window closes, failing the next launch.
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24 -noreset" "$0" "$@"
fi
bin="${1:-${CARGO_TARGET_DIR:-target}/debug/chartkeep-desktop}"
runs="${2:-5}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
times=()
for i in $(seq "$runs"); do
  mkdir -p "$tmp/home$i"
  start=$(date +%s%N)
  HOME="$tmp/home$i" "$bin" --data "$tmp/data$i" >/dev/null 2>"$tmp/stderr$i" &
  app=$!
  until xdotool search --onlyvisible --name '^Chartkeep$' >/dev/null 2>&1; do
    kill -0 "$app" 2>/dev/null || { echo "the app exited before showing a window:" >&2; cat "$tmp/stderr$i" >&2; exit 1; }
    sleep 0.01
  done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  times+=("$ms")
  echo "run $i: window shown after ${ms} ms"
  kill "$app"
  wait "$app" 2>/dev/null || true
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
echo "median of $runs: ${median} ms"
