say "v2-loop-echo: a conversation of lines"
start_server v2-server
printf 'hello\nsplit lines are joined\n%s\nexit\n' "$(head -c 1100 /dev/zero | tr '\0' x)" |
    "$BIN/v2-client" --address "$SERVER_ADDRESS" | show
narrate "Every line answered in order, a 1100-byte line refused without closing, 'exit' says bye."
narrate "Still one client at a time: the next one waits until this conversation ends."
stop_server
