#!/usr/bin/env bash
# The stage comparison behind `./course bench [--quick]` (docs/comparing-stages.md).
#
# Starts every stage's server (and the peers: Asio's own echo example, redis-server, nc) on
# loopback, drives each with course-loadgen, and writes docs/results/: the raw CSV, the table
# (results.md) and the plots. Several rounds; each target is compared with its peer measured in
# the same round, because this machine's load changes from minute to minute.
#
# Environment: BIN (the release binaries; default build-release/bin), COURSE_ROOT (the repo),
# COURSE_BENCH_OUT (where results go; default docs/results).
set -euo pipefail

quick=0
for argument in "$@"; do
    case $argument in
        --quick) quick=1 ;;
        -h|--help) echo "usage: scripts/bench.sh [--quick]   (full: about 6 minutes; quick: under 1)"; exit 0 ;;
        *) echo "bench.sh: unknown argument: $argument" >&2; exit 2 ;;
    esac
done

ROOT=${COURSE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${BIN:-$ROOT/build-release/bin}
OUT=${COURSE_BENCH_OUT:-$ROOT/docs/results}
LOADGEN=$BIN/course-loadgen
PEERS=$(dirname "$BIN")/peers       # build-release/peers: Asio's example, built here
ASIO_EXAMPLE_SOURCE=/usr/share/doc/libasio-dev/examples/cpp17/coroutines_ts/echo_server.cpp
ASIO_EXAMPLE_PORT=55555             # fixed in the example's source

if ((quick)); then
    rounds=1 duration=0.5 warmup=0.3 idle_connections=1000 hold=0.3
    fanout_messages=2000 upload_bytes=$((8 << 20))
else
    rounds=3 duration=3 warmup=1 idle_connections=10000 hold=1
    fanout_messages=20000 upload_bytes=$((200 << 20))
fi
echo_connections="1 16 64"
many_connections=1000               # v4 and the example only
fanout_receivers=100 fanout_size=100 fanout_in_flight=1000

[[ -x $LOADGEN ]] || { echo "bench.sh: $LOADGEN is missing (build the release preset first)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/course-bench.XXXXXX")
mkdir -p "$OUT"
CSV=$WORK/raw.csv
started=()   # every process this script starts, stopped by its PID on exit

cleanup() {
    local pid
    for pid in "${started[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${started[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }

# 10 000 connections need 10 000 descriptors in the server and as many in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < 2 * idle_connections + 200 )); then
    say "note: only $(ulimit -n) file descriptors allowed; the idle test may fall short"
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {  # a port nobody listens on now (the peers that cannot take port 0 need one)
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 20000))
        port_in_use "$port" || { echo "$port"; return; }
    done
    say "bench.sh: no free port found"; return 1
}

# start NAME COMMAND...: runs a course server (it prints `listening on HOST:PORT`), waits up to
# 10 s for that line, and sets server_pid and server_address.
start() {
    local name=$1; shift
    (cd "$WORK" && exec "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err") &
    server_pid=$!
    started+=("$server_pid")
    local deadline=$((SECONDS + 10))
    until grep -q '^listening on ' "$WORK/$name.out" 2>/dev/null; do
        if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS > deadline)); then
            say "bench.sh: $name did not start:"; cat "$WORK/$name.err" >&2; return 1
        fi
        sleep 0.05
    done
    server_address=$(sed -n 's/^listening on //p' "$WORK/$name.out" | head -n1)
}

# start_peer NAME PORT COMMAND...: a peer that prints nothing useful: wait until PORT accepts.
start_peer() {
    local name=$1 port=$2; shift 2
    (cd "$WORK" && exec "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err") &
    server_pid=$!
    started+=("$server_pid")
    local deadline=$((SECONDS + 10))
    until port_in_use "$port"; do
        if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS > deadline)); then
            say "bench.sh: $name did not start:"; cat "$WORK/$name.err" >&2; return 1
        fi
        sleep 0.05
    done
    server_address=127.0.0.1:$port
}

stop() {  # stop PID: SIGTERM, then SIGKILL after 5 s
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local kept=() p
    for p in "${started[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
    started=("${kept[@]}")
}

# load ROUND MODE ARGS...: one loadgen run; its row goes to the CSV, a summary to the terminal.
load() {
    local round=$1 row status=0 mode target connections ops rate p50 p99 errors notes; shift
    row=$("$LOADGEN" "$@" 2>>"$WORK/loadgen.err") || status=$?
    if [[ -z $row ]]; then
        say "  $* : no result (exit $status)"; tail -n 3 "$WORK/loadgen.err" >&2; return 0
    fi
    echo "$round,$row" >>"$CSV"
    IFS=, read -r mode target connections _ _ ops rate p50 p99 _ errors _ _ notes <<<"$row"
    say "$(printf '  %-13s %-8s %6s conn  %12s/s  p50 %8s us  p99 %8s us  errors %s  %s' \
        "$mode" "$target" "$connections" "$rate" "${p50:--}" "${p99:--}" "$errors" "$notes")"
}

have() { [[ -x $BIN/$1 ]] || { say "skipped: $1 is not built yet"; return 1; }; }

# --- the peers ---------------------------------------------------------------------------------
asio_example=""
if [[ -f $ASIO_EXAMPLE_SOURCE ]]; then
    mkdir -p "$PEERS"
    if [[ ! -x $PEERS/asio-echo-server || $ASIO_EXAMPLE_SOURCE -nt $PEERS/asio-echo-server ]]; then
        say "building Asio's C++20 coroutine echo example into $PEERS"
        g++ -O2 -std=c++20 -pthread -o "$PEERS/asio-echo-server" "$ASIO_EXAMPLE_SOURCE"
    fi
    if port_in_use "$ASIO_EXAMPLE_PORT"; then
        say "skipped: Asio's example: port $ASIO_EXAMPLE_PORT (fixed in its source) is in use"
    else
        asio_example=$PEERS/asio-echo-server
    fi
else
    say "skipped: Asio's example: $ASIO_EXAMPLE_SOURCE missing (apt-get install libasio-doc)"
fi
redis=$(command -v redis-server || true)
[[ -n $redis ]] || say "skipped: redis-server is not installed"
netcat=$(command -v nc || true)
[[ -n $netcat ]] || say "skipped: nc is not installed"

v6_config() {  # a config for v6: port 0, no HTTP, room for the upload
    mkdir -p "$WORK/uploads"
    cat >"$WORK/v6.toml" <<TOML
bind_ip_port = "127.0.0.1:0"
data_dir = "$WORK/uploads"
log_level = "warn"
protocol = "http"
server_fqdn = "bench.invalid"
url = "/images"
http_bind = ""
max_upload_bytes = $((upload_bytes + (16 << 20)))
read_timeout_secs = 30
TOML
}

# --- one round ---------------------------------------------------------------------------------
echo_stage() {  # echo_stage ROUND LABEL "CONNECTION COUNTS" [--reconnect] -- COMMAND...
    local round=$1 label=$2 counts=$3; shift 3
    local extra=()
    while [[ $1 != -- ]]; do extra+=("$1"); shift; done
    shift
    if [[ $label == asio-example ]]; then
        start_peer "$label" "$ASIO_EXAMPLE_PORT" "$@" || return 0
    else
        start "$label" "$@" || return 0
    fi
    local connections
    for connections in $counts; do
        load "$round" echo --address "$server_address" --target "$label" --server-pid "$server_pid" \
            --connections "$connections" --size 64 --duration "$duration" --warmup "$warmup" \
            "${extra[@]}"
    done
    stop "$server_pid"
}

idle_server() {  # idle_server ROUND LABEL COMMAND...: a fresh server, so its RSS starts clean
    local round=$1 label=$2; shift 2
    if [[ $label == asio-example ]]; then
        start_peer "$label" "$ASIO_EXAMPLE_PORT" "$@" || return 0
    else
        start "$label" "$@" || return 0
    fi
    load "$round" idle --address "$server_address" --target "$label" --server-pid "$server_pid" \
        --connections "$idle_connections" --hold "$hold"
    stop "$server_pid"
}

round() {
    local r=$1
    say "round $r of $rounds"
    # v1 answers once and closes: a new connection per round trip (connections/s, in effect).
    have v1-server && echo_stage "$r" v1 "$echo_connections" --reconnect -- "$BIN/v1-server" --address 127.0.0.1:0
    have v2-server && echo_stage "$r" v2 "$echo_connections" -- "$BIN/v2-server" --address 127.0.0.1:0
    have v3-server && echo_stage "$r" v3 "$echo_connections" -- "$BIN/v3-server" --address 127.0.0.1:0
    have v4-server && echo_stage "$r" v4 "$echo_connections $many_connections" -- \
        "$BIN/v4-server" --address 127.0.0.1:0 --log-file "$WORK/v4-server.log"
    [[ -n $asio_example ]] && echo_stage "$r" asio-example "$echo_connections $many_connections" -- "$asio_example"

    have v4-server && idle_server "$r" v4 "$BIN/v4-server" --address 127.0.0.1:0 --log-file "$WORK/v4-server.log"
    [[ -n $asio_example ]] && idle_server "$r" asio-example "$asio_example"

    local fanout=(--receivers "$fanout_receivers" --size "$fanout_size" --messages "$fanout_messages"
        --in-flight "$fanout_in_flight" --timeout 60)
    if have v5-chat-server && start v5 "$BIN/v5-chat-server" --address 127.0.0.1:0; then
        load "$r" fanout --address "$server_address" --target v5 --server-pid "$server_pid" "${fanout[@]}"
        stop "$server_pid"
    fi
    if [[ -n $redis ]]; then
        local port
        port=$(free_port)
        if start_peer redis "$port" "$redis" --bind 127.0.0.1 --port "$port" --save "" \
            --appendonly no --protected-mode yes --logfile "$WORK/redis.log"; then
            load "$r" fanout-redis --address "$server_address" --target redis --server-pid "$server_pid" "${fanout[@]}"
            stop "$server_pid"
        fi
    fi

    if have v6-upload-server && { v6_config; start v6 "$BIN/v6-upload-server" --config "$WORK/v6.toml"; }; then
        load "$r" upload --address "$server_address" --target v6 --server-pid "$server_pid" --size "$upload_bytes"
        stop "$server_pid"
        rm -rf "$WORK/uploads"
    fi
    if [[ -n $netcat ]]; then
        local port pid
        port=$(free_port)
        (exec "$netcat" -l 127.0.0.1 "$port" </dev/null >"$WORK/nc.png" 2>"$WORK/nc.err") &
        pid=$!
        started+=("$pid")
        load "$r" upload --sink --address "127.0.0.1:$port" --target nc --server-pid "$pid" --size "$upload_bytes"
        stop "$pid"
        rm -f "$WORK/nc.png"
    fi
}

begin=$SECONDS
say "course bench: $( ((quick)) && echo quick || echo full ) run, $rounds round(s), loopback only; results in $OUT"
echo "round,mode,target,connections,size,duration_s,ops,ops_per_s,p50_us,p99_us,p999_us,errors,server_cpu_s,ops_per_cpu_s,extra" >"$CSV"
for r in $(seq "$rounds"); do
    round "$r"
done
say "measured in $((SECONDS - begin)) s"

# --- results -----------------------------------------------------------------------------------
# A full run writes raw.csv, results.md, throughput.* and p99.*; a quick one the same names with
# "-quick", so it never overwrites the committed full results.
suffix=$( ((quick)) && echo -quick || true )
cp "$CSV" "$OUT/raw$suffix.csv"
{
    echo "- machine: $(nproc) cores, $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); $rounds round(s); echo runs ${duration} s measured after ${warmup} s warm-up"
    echo "- command: \`./course bench${1:+ $*}\` (scripts/bench.sh); raw rows: [raw$suffix.csv](raw$suffix.csv)"
} >"$WORK/about.md"
awk -F, -v about="$WORK/about.md" -v plots="$WORK" -v suffix="$suffix" \
    -f "$ROOT/bench/summarize.awk" "$CSV" >"$OUT/results$suffix.md"
if command -v gnuplot >/dev/null && [[ -s $WORK/echo-targets ]]; then
    for format in svg png; do
        gnuplot -e "data='$WORK'; out='$OUT'; suffix='$suffix'; format='$format'; targets='$(tr '\n' ' ' <"$WORK/echo-targets")'" \
            "$ROOT/bench/plot.gp" 2>"$WORK/gnuplot.err" || { say "gnuplot failed:"; cat "$WORK/gnuplot.err" >&2; }
    done
else
    say "skipped: plots (no gnuplot, or no echo results)"
fi
say "wrote $OUT/results$suffix.md, raw$suffix.csv, throughput$suffix.{svg,png}, p99$suffix.{svg,png}"
