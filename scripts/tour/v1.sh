say "v1-basic-echo: one read, one write, one client at a time"
start_server v1-server
"$BIN/v1-client" --address "$SERVER_ADDRESS" hello from v1 | show
narrate "The server read once, wrote those bytes back and closed. One thread, blocking calls."
narrate "Try: connect with 'nc $SERVER_ADDRESS' and type nothing; a second client now waits."
stop_server
