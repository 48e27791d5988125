say "v6-upload: a PNG in, a link out; checked as it streams, never half-stored"
start_server v6-upload-server --http-address 127.0.0.1:0
link=$("$BIN/v6-upload-client" --address "$SERVER_ADDRESS" v6-upload/sample.png)
printf '%s\n' "$link" | show
narrate "The server walked the PNG as it arrived (chunks, CRC-32s, IEND), then renamed the file."
if command -v curl >/dev/null; then
    curl -s -o "$SERVER_DIR/fetched.png" -w 'GET that link: %{http_code} %{content_type}, %{size_download} bytes\n' "$link" | show
else
    python3 -c 'import sys, urllib.request as u; r = u.urlopen(sys.argv[1]); b = r.read()
print("GET that link: %d %s, %d bytes" % (r.status, r.headers["Content-Type"], len(b)))' "$link" | show
fi
head -c 3000 v6-upload/sample.png >"$SERVER_DIR/half.png"
# The client exits 1 here, as it should: the tour goes on.
{ "$BIN/v6-upload-client" --address "$SERVER_ADDRESS" "$SERVER_DIR/half.png" 2>&1 || true; } | show
narrate "Half a file: an error, and nothing partial stored: data_dir holds $(ls -A "$SERVER_DIR/uploads" | wc -l) file, the complete upload."
stop_server
