// The load generator's modes, one file each. Every run_* function drives one run to its end
// and returns the row to print; progress goes to stderr.
#pragma once

#include <string>

#include "report.hpp"

namespace loadgen {

// echo.cpp: closed loop against the echo line protocol (v1 ... v4 and Asio's example).
struct EchoOptions {
    Common common;
    std::size_t connections = 1;
    std::size_t size = 64;   // bytes per line, "\n" included
    double duration = 5;     // seconds measured
    double warmup = 1;       // seconds run first and not measured (connecting happens here)
    bool reconnect = false;  // one connection per round trip (v1 answers once, then closes)
};
Result run_echo(const EchoOptions& options);

// idle.cpp: opens connections, pings each once, holds them; the server's RSS before and after.
struct IdleOptions {
    Common common;
    std::size_t connections = 10000;
    double hold = 2;  // seconds to hold them open before measuring again
};
Result run_idle(const IdleOptions& options);

// fanout_chat.cpp (v5's binary protocol) and fanout_redis.cpp (redis pub/sub):
// one sender, N receivers, every message checked at every receiver.
struct FanoutOptions {
    Common common;
    std::size_t receivers = 100;
    std::size_t size = 100;        // content bytes per message
    std::size_t messages = 10000;  // sent by the one sender
    std::size_t in_flight = 1000;  // the sender waits while the slowest receiver lags this much
    double timeout = 60;           // give up (and count what is missing as errors) after this
};
Result run_fanout_chat(const FanoutOptions& options);
Result run_fanout_redis(const FanoutOptions& options);

// upload.cpp: one generated PNG over one connection; to v6 (waits for the answer line) or to a
// plain sink like `nc -l > file` (half-closes and waits for the peer to close).
struct UploadOptions {
    Common common;
    std::size_t size = 200 << 20;  // about this many bytes of PNG
    bool sink = false;             // the peer is `nc -l`, not v6
    double connect_timeout = 5;    // keep retrying a refused connect this long (nc starts late)
};
Result run_upload(const UploadOptions& options);

}  // namespace loadgen
