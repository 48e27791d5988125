say "v4-async: one thread, thousands of clients, a shutdown that reaches them all"
start_server v4-server --idle-timeout 30
printf 'hello from a coroutine\n%s\nexit\n' "$(head -c 1100 /dev/zero | tr '\0' x)" |
    "$BIN/v4-client" --address "$SERVER_ADDRESS" | show
narrate "Each connection is a C++20 coroutine: one thread takes turns among 10 000 of them."
narrate "Errors go to server.log with time, peer and kind:"
tail -n 1 "$SERVER_DIR/server.log" | show

# Two clients that stay connected (their stdin is a FIFO we hold open) hear the shutdown.
client_pids=() client_fds=()
for i in 1 2; do
    mkfifo "$SERVER_DIR/in$i"
    "$BIN/v4-client" --address "$SERVER_ADDRESS" <"$SERVER_DIR/in$i" >"$SERVER_DIR/client$i" &
    client_pids+=("$!")
    TOUR_PIDS+=("$!")
    exec {fd}>"$SERVER_DIR/in$i"
    client_fds+=("$fd")
    printf 'client %s is here\n' "$i" >&"$fd"
done
for i in 1 2; do  # wait (5 s at most) until each has its echo: then the server knows it
    for _ in $(seq 50); do grep -q here "$SERVER_DIR/client$i" && break; sleep 0.1; done
done
stop_server
wait "${client_pids[@]}" 2>/dev/null || true
for fd in "${client_fds[@]}"; do exec {fd}>&-; done
cat "$SERVER_DIR/client1" "$SERVER_DIR/client2" | show
narrate "SIGTERM: every connected client got 'server shutting down', then the server exited 0."
