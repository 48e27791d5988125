// The v1 server: accept a client, answer it, close, accept the next. One thread.
#pragma once

#include "socket.hpp"

// Serves clients one after another, forever. A second client waits in the listen
// backlog until the first is done: that wait is what this stage shows.
[[noreturn]] void serve_forever(const Socket& listener);
