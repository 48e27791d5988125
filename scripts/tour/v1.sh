say "v1-basic-echo: one read, one write, one client at a time"
start_server v1-server
"$BIN/v1-client" --address "$SERVER_ADDRESS" hello from v1 | show
narrate "The server read once, wrote those bytes back and closed. One thread, blocking calls."
narrate "The client sent a FIN right after its words (a half-close); whichever side closes first keeps TIME_WAIT."
narrate "Try it: keep 'nc $(host_port)' open without typing, and a second client waits."
stop_server
