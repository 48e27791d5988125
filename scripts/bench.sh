#!/usr/bin/env bash
# The stage comparison behind `./course bench [--quick]` (docs/comparing-stages.md).
#
# Starts every stage's server (and the peers: Asio's own echo example, redis-server, nc) on
# loopback, drives each with course-loadgen, and writes docs/results/: the raw CSV, the table
# (results.md) and the plots. Several rounds; each target is compared with its peer measured in
# the same round, because this machine's load changes from minute to minute.
#
# Environment: BIN (the release binaries; default build-release/bin), COURSE_ROOT (the repo),
# COURSE_BENCH_OUT (where results go; default docs/results), COURSE_BENCH_ROUNDS (full run: 5;
# each round takes about 90 s).
set -euo pipefail

quick=0
for argument in "$@"; do
    case $argument in
        --quick) quick=1 ;;
        -h|--help) echo "usage: scripts/bench.sh [--quick]   (full: about 9 minutes; quick: under 1)"; exit 0 ;;
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
    fanout_messages=5000 upload_bytes=$((8 << 20))
else
    rounds=${COURSE_BENCH_ROUNDS:-5} duration=3 warmup=1 idle_connections=10000 hold=1
    fanout_messages=20000 upload_bytes=$((200 << 20))
fi
echo_connections="1 16 64"
many_connections=1000               # v4 and the example only
fanout_receivers=100 fanout_size=100 fanout_in_flight=1000

[[ -x $LOADGEN ]] || { echo "bench.sh: $LOADGEN is missing (build the release preset first)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/course-bench.XXXXXX")
mkdir -p "$OUT"
LOGS=$(dirname "$BIN")/bench-logs   # build-release/bench-logs: stderr of the last run
rm -rf "$LOGS" && mkdir -p "$LOGS"
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
    # Keep the servers' and the load generator's stderr for a look after the run.
    if [[ -d $LOGS ]]; then
        cp "$WORK"/*.err "$WORK"/*.log "$LOGS"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }

# 10 000 connections need 10 000 descriptors in the server and as many in the load generator
# (each its own: the limit is per process, and both inherit ours).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < idle_connections + 200 )); then
    say "note: only $(ulimit -n) file descriptors allowed; the idle test may fall short"
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {  # a port nobody listens on now (for the peers that cannot take port 0); below
    local port  # the ephemeral range, so no outgoing connection holds it either
    for _ in $(seq 100); do
        port=$((10000 + RANDOM % 20000))
        port_in_use "$port" || { echo "$port"; return; }
    done
    say "bench.sh: no free port found"; return 1
}

# start NAME COMMAND...: runs a course server (it prints `listening on HOST:PORT`), waits up to
# 10 s for that line, and sets server_pid and server_address.
starts=0     # numbers each server start, so every start keeps its own stderr in bench-logs/
start() {
    local name=$1; shift
    starts=$((starts + 1))
    local log="$WORK/$name.$starts.err"
    (cd "$WORK" && exec "$@" </dev/null >"$WORK/$name.out" 2>"$log") &
    server_pid=$!
    started+=("$server_pid")
    local deadline=$((SECONDS + 10))
    until grep -q '^listening on ' "$WORK/$name.out" 2>/dev/null; do
        if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS > deadline)); then
            say "bench.sh: $name did not start:"; cat "$log" >&2; return 1
        fi
        sleep 0.05
    done
    server_address=$(sed -n 's/^listening on //p' "$WORK/$name.out" | head -n1)
}

# listening_pid PORT PID: true once PID itself listens on PORT (not somebody else: the example's
# port is fixed, and another program may hold it).
listening_pid() {
    if command -v ss >/dev/null; then
        ss -ltnpH "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
    else
        port_in_use "$1" && kill -0 "$2" 2>/dev/null
    fi
}

# start_peer NAME PORT COMMAND...: a peer that prints nothing useful: wait until it listens.
start_peer() {
    local name=$1 port=$2; shift 2
    local deadline=$((SECONDS + 30))
    while port_in_use "$port"; do
        if ((SECONDS > deadline)); then
            say "skipped: $name: port $port is in use by another program"; return 1
        fi
        sleep 0.5
    done
    (cd "$WORK" && exec "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err") &
    server_pid=$!
    started+=("$server_pid")
    deadline=$((SECONDS + 10))
    until listening_pid "$port" "$server_pid"; do
        if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS > deadline)); then
            say "bench.sh: $name did not start:"; cat "$WORK/$name.out" "$WORK/$name.err" >&2
            stop "$server_pid"; return 1
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
    # A server that never answers must not stall the whole run: 2 minutes at most per run.
    row=$(timeout --kill-after=5 120 "$LOADGEN" "$@" 2>>"$WORK/loadgen.err") || status=$?
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
    asio_example=$PEERS/asio-echo-server
    if port_in_use "$ASIO_EXAMPLE_PORT"; then
        say "note: port $ASIO_EXAMPLE_PORT (fixed in the example's source) is in use now; each start waits up to 30 s for it"
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
echo_run() {  # echo_run ROUND LABEL ADDRESS PID CONNECTIONS [LOADGEN OPTIONS...]
    local round=$1 label=$2 address=$3 pid=$4 connections=$5; shift 5
    load "$round" echo --address "$address" --target "$label" --server-pid "$pid" \
        --connections "$connections" --size 64 --duration "$duration" --warmup "$warmup" "$@"
}

echo_stage() {  # echo_stage ROUND LABEL [--reconnect] -- COMMAND...: v1 ... v3, alone
    local round=$1 label=$2; shift 2
    local options=()
    while [[ $1 != -- ]]; do options+=("$1"); shift; done
    shift
    start "$label" "$@" || return 0
    local connections
    for connections in $echo_connections; do
        echo_run "$round" "$label" "$server_address" "$server_pid" "$connections" "${options[@]}"
    done
    stop "$server_pid"
}

# v4 and Asio's example run side by side and take turns at each connection count (the peer
# first in even rounds), so each ratio compares two runs seconds apart, not minutes.
echo_pair() {
    local round=$1 v4_pid="" v4_address="" asio_pid="" asio_address="" connections
    if have v4-server && start v4 "$BIN/v4-server" --address 127.0.0.1:0 --log-file "$WORK/v4-server.log"; then
        v4_pid=$server_pid v4_address=$server_address
    fi
    if [[ -n $asio_example ]] && start_peer asio-example "$ASIO_EXAMPLE_PORT" "$asio_example"; then
        asio_pid=$server_pid asio_address=$server_address
    fi
    for connections in $echo_connections $many_connections; do
        if ((round % 2)); then
            [[ -n $v4_pid ]] && echo_run "$round" v4 "$v4_address" "$v4_pid" "$connections"
            [[ -n $asio_pid ]] && echo_run "$round" asio-example "$asio_address" "$asio_pid" "$connections"
        else
            [[ -n $asio_pid ]] && echo_run "$round" asio-example "$asio_address" "$asio_pid" "$connections"
            [[ -n $v4_pid ]] && echo_run "$round" v4 "$v4_address" "$v4_pid" "$connections"
        fi
    done
    if [[ -n $v4_pid ]]; then stop "$v4_pid"; fi
    if [[ -n $asio_pid ]]; then stop "$asio_pid"; fi
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

idle_v4() {
    have v4-server && idle_server "$1" v4 "$BIN/v4-server" --address 127.0.0.1:0 --log-file "$WORK/v4-server.log"
}
idle_asio() {
    [[ -n $asio_example ]] && idle_server "$1" asio-example "$asio_example"
}

fanout_options() {
    fanout=(--receivers "$fanout_receivers" --size "$fanout_size" --messages "$fanout_messages"
        --in-flight "$fanout_in_flight" --timeout 60)
}
fanout_v5() {
    local fanout; fanout_options
    if have v5-chat-server && start v5 "$BIN/v5-chat-server" --address 127.0.0.1:0; then
        load "$1" fanout --address "$server_address" --target v5 --server-pid "$server_pid" "${fanout[@]}"
        stop "$server_pid"
    fi
}
fanout_redis() {
    local fanout port; fanout_options
    [[ -n $redis ]] || return 0
    for _ in 1 2 3; do  # a port taken between our look and redis's bind: try another
        port=$(free_port)
        if start_peer redis "$port" "$redis" --bind 127.0.0.1 --port "$port" --save "" \
            --appendonly no --protected-mode yes --logfile "$WORK/redis.log"; then
            load "$1" fanout-redis --address "$server_address" --target redis --server-pid "$server_pid" "${fanout[@]}"
            stop "$server_pid"
            return 0
        fi
    done
}

upload_v6() {
    if have v6-upload-server && { v6_config; start v6 "$BIN/v6-upload-server" --config "$WORK/v6.toml"; }; then
        load "$1" upload --address "$server_address" --target v6 --server-pid "$server_pid" --size "$upload_bytes"
        stop "$server_pid"
        rm -rf "$WORK/uploads"
    fi
}
upload_nc() {  # the peer: `nc -l 127.0.0.1 PORT > file`, timed from connect to its close
    local port pid
    [[ -n $netcat ]] || return 0
    for _ in 1 2 3; do  # until nc really listens on a port of ours
        port=$(free_port)
        (exec "$netcat" -l 127.0.0.1 "$port" </dev/null >"$WORK/nc.png" 2>"$WORK/nc.err") &
        pid=$!
        started+=("$pid")
        for _ in $(seq 100); do
            listening_pid "$port" "$pid" && break 2
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.02
        done
        stop "$pid"
    done
    load "$1" upload --sink --address "127.0.0.1:$port" --target nc --server-pid "$pid" --size "$upload_bytes"
    stop "$pid"
    rm -f "$WORK/nc.png"
}

# ours_and_peer ROUND OURS PEER: both, the peer first in even rounds (order effects cancel).
ours_and_peer() {
    if (($1 % 2)); then "$2" "$1" || true; "$3" "$1" || true; else "$3" "$1" || true; "$2" "$1" || true; fi
}

round() {
    local r=$1
    say "round $r of $rounds"
    # v1 answers once and closes: a new connection per round trip (connections/s, in effect).
    have v1-server && echo_stage "$r" v1 --reconnect -- "$BIN/v1-server" --address 127.0.0.1:0
    have v2-server && echo_stage "$r" v2 -- "$BIN/v2-server" --address 127.0.0.1:0
    have v3-server && echo_stage "$r" v3 -- "$BIN/v3-server" --address 127.0.0.1:0
    echo_pair "$r"
    ours_and_peer "$r" idle_v4 idle_asio
    ours_and_peer "$r" fanout_v5 fanout_redis
    ours_and_peer "$r" upload_v6 upload_nc
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
