// The listening side: accept connections forever, give each one a Session in the room.
#pragma once

#include <asio.hpp>

#include "room.hpp"
#include "session.hpp"

// Accepts until the acceptor is closed. A failed accept (out of file descriptors, say) is
// logged and retried a moment later: it never stops the server.
asio::awaitable<void> accept_clients(asio::ip::tcp::acceptor& acceptor, Room& room,
                                     const Settings& settings);
