#include "server.hpp"

#include <spdlog/spdlog.h>

#include <system_error>

#include "session.hpp"

void serve_forever(const Socket& listener) {
    for (;;) {
        Socket client = listener.accept();  // blocks until someone connects
        std::string peer = client.peer_name();
        spdlog::info("{} connected", peer);
        try {
            Session(client).run();
            spdlog::info("{} done", peer);
        } catch (const std::system_error& error) {
            // A client that vanishes (a reset, a broken pipe) ends its session, not the server.
            spdlog::warn("{} vanished: {}", peer, error.what());
        }
    }  // `client` goes out of scope here: its destructor closes the connection
}
