#!/usr/bin/env bash
# Rebuild screenshots/*.png: one per tab of the live demo at 120x40.
# Runs the demo in tmux, captures each tab with its colours, turns the ANSI text into HTML
# (aha) and photographs it with headless Chromium. Installs aha/chromium/tmux when missing.
#   bash screenshots/make.sh            # writes screenshots/{images,sources,jobs,ms,pool}.png
set -euo pipefail
cd "$(dirname "$0")/.."
out=screenshots
need=()
command -v tmux >/dev/null || need+=(tmux)
command -v aha >/dev/null || need+=(aha)
command -v chromium >/dev/null || need+=(chromium)
fc-list 2>/dev/null | grep -qi "dejavu sans mono" || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release --quiet
bin=$PWD/target/release/contimg-monitor
work=$(mktemp -d)
sock="contimg-shots-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

tmux -L "$sock" -f /dev/null new-session -d -s shots -x 120 -y 40 \
  "env -u NO_COLOR TERM=xterm-256color $bin --config /dev/null demo --dir $work/demo"
# Wait until the demo is built and the first tab shows rows.
for _ in $(seq 1 600); do
  tmux -L "$sock" capture-pane -p -t shots | grep -q "\.fits" && break
  sleep 0.5
done
sleep 5   # let the simulated pipeline produce some live activity and pool history

tabs=(images sources jobs ms pool)
for i in "${!tabs[@]}"; do
  name=${tabs[$i]}
  tmux -L "$sock" send-keys -t shots "$((i + 1))"
  sleep 3
  if [ "$name" = pool ]; then
    # Select the simulated backend's pool and wait for one of its bursts to saturate it.
    tmux -L "$sock" send-keys -t shots j
    for _ in $(seq 1 300); do
      tmux -L "$sock" capture-pane -p -t shots | grep -q "SATURATED since" && break
      sleep 0.5
    done
  fi
  tmux -L "$sock" capture-pane -e -p -t shots > "$work/$name.ansi"
  {
    echo '<!doctype html><html><head><meta charset="utf-8"><style>'
    echo 'body{margin:0;background:#000;color:#ddd}'
    echo 'pre{margin:8px;font:15px/1.2 "DejaVu Sans Mono",monospace;white-space:pre}'
    echo '</style></head><body><pre>'
    aha --no-header --black < "$work/$name.ansi"
    echo '</pre></body></html>'
  } > "$work/$name.html"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chrome" --hide-scrollbars --window-size=1110,760 \
    --screenshot="$out/$name.png" "file://$work/$name.html" >/dev/null 2>&1
  echo "wrote $out/$name.png"
done
