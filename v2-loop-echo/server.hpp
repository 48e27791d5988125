// The v2 server: accept a client, serve its whole conversation, then accept the next.
#pragma once

#include "socket.hpp"

// Serves clients one after another, forever. While one client is being served, the
// next waits in the listen backlog: one thread can only do one blocking thing at a time.
[[noreturn]] void serve_forever(const Socket& listener);
