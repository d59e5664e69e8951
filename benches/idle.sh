#!/usr/bin/env bash
# The monitor at rest: start-up times, CPU share of one core, memory and terminal output over a
# window, measured from outside the process (/proc, tmux pipe-pane).
#   bash benches/idle.sh [SECONDS]           # default 60; the live demo, its simulator writing
#   bash benches/idle.sh [SECONDS] DB [LOGS] # an existing database nobody writes to (the
#                                            # year-scale one: "when nothing changes")
# Prints: first frame and all-tabs-filled times (from the monitor's own log), the slowest
# refresh per tab, CPU % of one core, RSS and peak RSS of the monitor alone (and of the demo
# process, monitor + simulator, in the first form), and the bytes the monitor wrote to its
# terminal per second over the window.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
db=${2:-}
logs=${3:-}
command -v tmux >/dev/null || { echo "needs tmux" >&2; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/contimg-monitor
work=$(mktemp -d)
sock="contimg-idle-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -z "$db" ]; then
  "$bin" --config /dev/null demo --dir "$work/demo" --build-only >/dev/null
  tmux -L "$sock" -f /dev/null new-session -d -s demo -x 120 -y 40 \
    "env TERM=xterm-256color $bin --config /dev/null demo --dir $work/demo"
  sleep 3
  db=$work/demo/state/db/pipeline.sqlite3
  logs=$work/demo/state/logs
fi
[ -n "$logs" ] || { logs=$work/logs; mkdir -p "$logs"; }
tmux -L "$sock" -f /dev/null new-session -d -s mon -x 120 -y 40 \
  "env TERM=xterm-256color $bin --config /dev/null --db $db --log-dir $logs"
sleep 3
pid_of() { pgrep -f "$1" | while read -r p; do [ "$(cat /proc/$p/comm)" = contimg-monitor ] && echo "$p"; done | head -1; }
demo=$(pid_of "demo --dir $work/demo" || true)
mon=$(pid_of "\-\-db $db --log-dir")
hz=$(getconf CLK_TCK)
ticks() { if [ -n "$1" ]; then awk '{print $14+$15}' "/proc/$1/stat"; else echo 0; fi; }
out="$work/mon.out"
: > "$out"
tmux -L "$sock" pipe-pane -o -t mon "cat >> $out"
d0=$(ticks "$demo"); m0=$(ticks "$mon")
sleep "$secs"
d1=$(ticks "$demo"); m1=$(ticks "$mon")
tmux -L "$sock" pipe-pane -t mon
bytes=$(stat -c %s "$out")
mem() { awk '/VmRSS|VmHWM/ {printf "%s %.1f MiB  ", $1, $2/1024}' "/proc/$1/status"; }
echo "monitor alone:        cpu $(echo "scale=2; ($m1-$m0)*100/$hz/$secs" | bc)% of one core  $(mem "$mon")"
if [ -n "$demo" ]; then
  echo "demo (mon+simulator): cpu $(echo "scale=2; ($d1-$d0)*100/$hz/$secs" | bc)% of one core  $(mem "$demo")"
fi
echo "terminal output:      $((bytes / secs)) B/s ($bytes bytes in ${secs} s)"
tmux -L "$sock" send-keys -t mon L
sleep 1
tmux -L "$sock" capture-pane -p -t mon -S -200 | grep -E "first frame|all tabs filled|slowest so far" | sed 's/^/  /'
