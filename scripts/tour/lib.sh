# Helpers for the guided tour (./course tour). Each stage's step is scripts/tour/vN.sh,
# sourced by ./course with these functions and $BIN (the built binaries) defined.
# A step starts its stage's server on a free port, drives it with its client, narrates
# in a line or two what to notice, and stops the server by its PID.

TOUR_TMP=$(mktemp -d "${TMPDIR:-/tmp}/course-tour-XXXXXX")
TOUR_PIDS=()
trap 'for p in "${TOUR_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TOUR_TMP"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }   # a stage's title
narrate() { printf '   %s\n' "$*"; }                # what to notice
show() { sed 's/^/   | /'; }                        # indent a program's output
host_port() { echo "${SERVER_ADDRESS%:*} ${SERVER_ADDRESS##*:}"; }  # "127.0.0.1 7878", for nc

# start_server NAME [ARGS...]: starts $BIN/NAME --address 127.0.0.1:0 ARGS in its own
# directory ($SERVER_DIR), waits (10 s at most) for "listening on HOST:PORT", and sets
# SERVER_PID and SERVER_ADDRESS. Its stdout and stderr go to $SERVER_DIR/{out,err}.
start_server() {
    local name=$1
    shift
    SERVER_DIR=$(mktemp -d "$TOUR_TMP/$name-XXXX")
    mkfifo "$SERVER_DIR/stdin"
    (cd "$SERVER_DIR" && exec "$BIN/$name" --address 127.0.0.1:0 "$@" \
        <"$SERVER_DIR/stdin" >"$SERVER_DIR/out" 2>"$SERVER_DIR/err") &
    SERVER_PID=$!
    TOUR_PIDS+=("$SERVER_PID")
    exec {SERVER_STDIN}>"$SERVER_DIR/stdin"  # keep the server's stdin open until we stop it
    local waited=0
    until SERVER_ADDRESS=$(sed -n 's/^listening on //p' "$SERVER_DIR/out" 2>/dev/null) &&
        [ -n "$SERVER_ADDRESS" ]; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || [ $waited -ge 100 ]; then
            echo "tour: $name did not start:" >&2
            cat "$SERVER_DIR/err" >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

# server_says TEXT: types a line on the server's stdin (v3's operator console).
server_says() { printf '%s\n' "$*" >&"$SERVER_STDIN"; }

# stop_server: SIGTERM to the server we started (by PID), then waits for it.
stop_server() {
    exec {SERVER_STDIN}>&-
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}

# http_get URL FILE: GET an http:// link with bash alone (its /dev/tcp), saves the body to
# FILE and prints "GET that link: STATUS, TYPE, N bytes". No curl or python on a fresh
# machine, and none needed: HTTP/1.0 is a few lines of text.
http_get() {
    local url=$1 file=$2
    local rest=${url#http://}
    local host_port=${rest%%/*} path="/${rest#*/}" response="$file.response" fd
    exec {fd}<>"/dev/tcp/${host_port%:*}/${host_port##*:}"
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host_port" >&"$fd"
    cat <&"$fd" >"$response"
    exec {fd}<&-
    # The header ends at the first empty line ("\r\n"); the body is what follows it.
    local blank_at status type
    blank_at=$(grep -m1 -boa $'^\r$' "$response" | cut -d: -f1)
    [ -n "$blank_at" ] || { echo "GET that link: no HTTP answer"; return 0; }
    tail -c +"$((blank_at + 3))" "$response" >"$file"
    status=$(head -n1 "$response" | cut -d' ' -f2)
    type=$(grep -aim1 '^content-type:' "$response" | cut -d' ' -f2 | tr -d '\r')
    echo "GET that link: $status $type, $(wc -c <"$file") bytes"
}
