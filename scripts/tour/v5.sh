say "v5-chat: a binary protocol, a room, and fan-out"
start_server v5-chat-server
V5_DIR=$(mktemp -d "$TOUR_TMP/v5-XXXX")
mkdir -p "$V5_DIR/bob" "$V5_DIR/carol"
printf 'Minutes of the meeting: ship v5.\n' >"$V5_DIR/minutes.txt"
# bob and carol listen on fifos kept open until alice is done; each runs 10 s at most.
mkfifo "$V5_DIR/bob.in" "$V5_DIR/carol.in"
for user in bob carol; do
    timeout 10 "$BIN/v5-chat-client" --address "$SERVER_ADDRESS" --username "$user" \
        --save-directory "$V5_DIR/$user" <"$V5_DIR/$user.in" >"$V5_DIR/$user.out" 2>&1 &
    TOUR_PIDS+=("$!")
done
exec {BOB_IN}>"$V5_DIR/bob.in" {CAROL_IN}>"$V5_DIR/carol.in"
for _ in $(seq 50); do  # wait (5 s at most) until both are in the room
    grep -q "logged in" "$V5_DIR/bob.out" 2>/dev/null && grep -q "logged in" "$V5_DIR/carol.out" 2>/dev/null && break
    sleep 0.1
done
printf 'hi all, carol here\n' >&"$CAROL_IN"
sleep 0.2
printf 'hello, room\n/msg bob the minutes are coming\n/file %s\n' "$V5_DIR/minutes.txt" |
    timeout 10 "$BIN/v5-chat-client" --address "$SERVER_ADDRESS" --username alice \
        --save-directory "$V5_DIR" >/dev/null 2>&1
sleep 0.2
stop_server  # SIGTERM with bob and carol still in the room: each is told, then closed
exec {BOB_IN}>&- {CAROL_IN}>&-
wait "${TOUR_PIDS[@]: -2}" 2>/dev/null || true  # their screens below say how they ended
narrate "bob's screen (carol's message, alice's, her private note, her file, and the stop):"
show <"$V5_DIR/bob.out"
narrate "carol's screen (no private note for her):"
show <"$V5_DIR/carol.out"
narrate "bob's copy of the file: $(cat "$V5_DIR/bob/minutes.txt")"
narrate "Every message was built once and shared by all recipients; each connection has one writer."
narrate "On SIGTERM every client, logged in or not, got an Error 'server shutting down'; no Logouts."
narrate "Try: ./course client v5 --username you, in two terminals, and /msg each other."
