// The v3 server: a pool of worker threads serves several clients at once, an operator
// console talks to all of them, and SIGINT/SIGTERM stop it cleanly.
#pragma once

#include <cstddef>

#include "socket.hpp"

// Blocks SIGINT and SIGTERM in the calling thread. Call it first thing in main, before any
// thread starts: threads inherit the mask, so no thread is ever interrupted by these two,
// and serve_until_stopped picks them up in a thread of its own with sigwait().
void block_stop_signals();

// Serves clients on `threads` workers until SIGINT or SIGTERM. While they are all busy, the
// next clients wait their turn in a queue. Returns once every connection is closed and every
// thread joined.
void serve_until_stopped(const Socket& listener, std::size_t threads);
