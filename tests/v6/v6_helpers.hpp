// What the v6 black-box tests share: a server started with a config file of the test's
// choosing, its HTTP address, its data_dir, a raw HTTP GET, and waits with deadlines.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

namespace course::test {

struct UploadServer {
    std::unique_ptr<TempDir> config_dir;  // holds config.toml, outlives the server
    std::unique_ptr<Server> server;
    std::string http_host;
    std::uint16_t http_port = 0;

    // The server's data_dir (data_dir = "uploads" relative to its own directory).
    std::string data_dir() const { return server->directory() + "/uploads"; }
    // Every file in data_dir, hidden ones (temporaries) included.
    std::vector<std::string> files() const;
    std::string http_address() const { return http_host + ":" + std::to_string(http_port); }
};

// Starts v6's server with config.toml = `config` (plus data_dir = "uploads" unless the
// config sets one) and reads its `http on HOST:PORT` line.
UploadServer start_upload_server(const std::string& config = "",
                                 std::vector<std::string> extra_args = {},
                                 ServerOptions options = {});

// Sends `png`, half-closes, returns the answer line ("" at EOF without one).
std::string upload(Server& server, std::string_view png, const std::string& name = "uploader");

struct HttpReply {
    int status = 0;  // 0: no valid reply
    std::string content_type;
    std::string body;
    std::string raw_head;
};
// GET `target` (sent as is, not encoded) over a fresh connection, HTTP/1.1, Connection: close.
HttpReply http_get(const std::string& host, std::uint16_t port, const std::string& target,
                   const std::string& extra_headers = "");
// The value of header `name` (case-insensitive) in a reply's head, or nothing.
std::optional<std::string> header_of(const HttpReply& reply, std::string name);

// Polls `condition` every 10 ms until it holds or the (scaled) deadline passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline = 5s);

// How the server ended the connection, read straight from the socket after the answer:
// "EOF" for an orderly close (FIN), "reset" for a RST, "open" if neither came in time.
std::string how_it_closed(Connection& connection, std::chrono::milliseconds deadline = 5s);

// The name at the end of a link: everything after the last '/'.
std::string name_of(const std::string& link);

// The bytes of a file.
std::string read_file(const std::string& path);

}  // namespace course::test
