#include "server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <system_error>

namespace {

// At most this many bytes are read, and echoed, per connection.
constexpr std::size_t kMaxMessage = 1024;

// One read, one write, done. A message longer than 1024 bytes, or one that TCP delivers
// in two pieces, is cut short: TCP is a stream of bytes, not of messages. v2 fixes that.
void handle_client(const Socket& client) {
    // [v1 step 2] Read once (at most kMaxMessage bytes) and write back what came; 0 bytes: EOF.
    // [starter] spdlog::info("{} connected; nothing answers it yet", client.peer_name());
    std::array<char, kMaxMessage> buffer;
    std::size_t received = client.read_some(buffer);
    if (received == 0) {
        spdlog::info("{} closed without sending anything", client.peer_name());
        return;
    }
    spdlog::info("{} sent {} bytes", client.peer_name(), received);
    client.write_all({buffer.data(), received});
    // [/v1 step 2]
}

}  // namespace

void serve_forever(const Socket& listener) {
    for (;;) {
        Socket client = listener.accept();  // blocks until someone connects
        // [v1 step 3] Catch one client's std::system_error (a reset): it ends that client only.
        // [starter] handle_client(client);
        try {
            handle_client(client);
        } catch (const std::system_error& error) {
            // A client that resets the connection is its problem, not the server's.
            spdlog::warn("client error: {}", error.what());
        }
        // [/v1 step 3]
    }  // `client` goes out of scope here: its destructor closes the connection
}
