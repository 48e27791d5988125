say "v6-upload: a PNG in, a link out; checked as it streams, never half-stored"
start_server v6-upload-server --http-address 127.0.0.1:0
link=$("$BIN/v6-upload-client" --address "$SERVER_ADDRESS" v6-upload/sample.png)
printf '%s\n' "$link" | show
narrate "The server walked the PNG as it arrived (chunks, CRC-32s, IEND), then gave the unnamed file its name."
http_get "$link" "$SERVER_DIR/fetched.png" | show
if cmp -s "$SERVER_DIR/fetched.png" v6-upload/sample.png; then
    narrate "The bytes served are the bytes sent: a browser opens that link as the image."
fi
head -c 3000 v6-upload/sample.png >"$SERVER_DIR/half.png"
# The client exits 1 here, as it should: the tour goes on.
{ "$BIN/v6-upload-client" --address "$SERVER_ADDRESS" "$SERVER_DIR/half.png" 2>&1 || true; } | show
narrate "Half a file: an error, and nothing partial stored: data_dir holds $(ls -A "$SERVER_DIR/uploads" | wc -l) file, the complete upload."
stop_server
