say "v3-threaded: a pool of threads, an operator console, a shared stream"
start_server v3-server --threads 2
# alice stays connected in the background, her stdin a pipe we write to.
mkfifo "$SERVER_DIR/alice-in"
"$BIN/v3-client" --address "$SERVER_ADDRESS" <"$SERVER_DIR/alice-in" >"$SERVER_DIR/alice-out" &
ALICE_PID=$!
TOUR_PIDS+=("$ALICE_PID")
exec {ALICE_IN}>"$SERVER_DIR/alice-in"
printf 'alice is here\n' >&"$ALICE_IN"
# wait_for_line FILE TEXT: waits (5 s at most) until FILE has the line TEXT.
wait_for_line() {
    local waited=0
    until grep -qxF "$2" "$1" 2>/dev/null || [ $waited -ge 50 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
}
wait_for_line "$SERVER_DIR/alice-out" "alice is here"
narrate "alice is connected and stays; bob is served at the same time by the second worker:"
printf 'bob is here too\n' | "$BIN/v3-client" --address "$SERVER_ADDRESS" | show
server_says "hello from the operator"
wait_for_line "$SERVER_DIR/alice-out" "server: hello from the operator"
exec {ALICE_IN}>&-
wait "$ALICE_PID"
narrate "alice printed, without typing anything more, the line typed on the server's stdin:"
show <"$SERVER_DIR/alice-out"
narrate "Try: --threads 2 and a third client: it waits until one of the first two leaves."
stop_server
