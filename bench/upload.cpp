// Upload mode: one PNG over one connection, timed from connect to the end: v6's answer line
// (then its close), or, for a plain sink like `nc -l > file`, the peer's close after our
// half-close. The same bytes either way, made before the clock starts.
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <iostream>
#include <thread>

#include "modes.hpp"
#include "png.hpp"

namespace loadgen {

using asio::ip::tcp;

Result run_upload(const UploadOptions& options) {
    std::cerr << "upload: making a PNG of about " << options.size << " bytes\n";
    std::string png = make_png(options.size);
    asio::io_context io(1);
    tcp::socket socket(io);
    auto endpoint = endpoint_of(options.common.address);

    // A sink started just before us may not listen yet: retry a refused connect for a while.
    auto give_up = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.connect_timeout));
    asio::error_code error;
    for (;;) {
        socket.connect(endpoint, error);
        if (error != asio::error::connection_refused || Clock::now() > give_up) {
            break;
        }
        socket.close();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Result result;
    result.mode = options.sink ? "upload-sink" : "upload";
    result.connections = 1;
    result.size = png.size();
    if (error) {
        std::cerr << "upload: connect: " << error.message() << '\n';
        result.errors = 1;
        return result;
    }
    CpuMeter cpu(options.common.server_pid);
    cpu.start();
    auto start = Clock::now();
    asio::write(socket, asio::buffer(png), error);
    std::string answer;
    if (!error && options.sink) {
        socket.shutdown(tcp::socket::shutdown_send);
    }
    // Whatever the peer says until it closes: v6's link (or error) line, nothing from nc.
    // (After a failed write there may still be an `error: ...` line to read.)
    asio::error_code read_error;
    asio::read(socket, asio::dynamic_buffer(answer), read_error);
    auto end = Clock::now();
    cpu.stop();

    bool ok = !error && read_error == asio::error::eof &&
              (options.sink ? answer.empty() : answer.rfind("error", 0) != 0 && !answer.empty());
    std::cerr << "upload: " << (error ? "write: " + error.message() + "; " : "")
              << (answer.empty() ? "no answer" : "answer: " + answer.substr(0, answer.find('\n')))
              << '\n';
    result.duration_s = seconds_between(start, end);
    result.ops = ok ? png.size() : 0;
    result.errors = ok ? 0 : 1;
    result.server_cpu_s = cpu.seconds();
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", png.size() / 1e6 / result.duration_s);
    result.extra = std::string("MB_per_s=") + rate;
    return result;
}

}  // namespace loadgen
