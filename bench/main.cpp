// course-loadgen: drives a server of the course (or a peer: Asio's example, redis, nc) and
// prints one CSV row per run on stdout (columns: report.hpp). Progress goes to stderr.
//
//   course-loadgen echo --address 127.0.0.1:7878 --connections 64 --size 64 --duration 5
//   course-loadgen idle --address 127.0.0.1:7878 --connections 10000 --server-pid 1234
//   course-loadgen fanout --address 127.0.0.1:8080 --receivers 100 --messages 100000
//   course-loadgen fanout-redis --address 127.0.0.1:6379 --receivers 100 --messages 100000
//   course-loadgen upload --address 127.0.0.1:7070 --size 209715200 [--sink]
#include <iostream>

#include "course/cli.hpp"
#include "modes.hpp"

namespace {

using namespace loadgen;

// The options every mode has.
CLI::App* add_mode(CLI::App& app, const char* name, const char* help, Common& common) {
    auto* mode = app.add_subcommand(name, help);
    course::add_address_option(*mode, common.address, "the server to load")->required();
    mode->add_option("--target", common.target, "label for the CSV row (default: the address)")
        ->check([](const std::string& label) {
            return label.find_first_of(",\n") == std::string::npos ? "" : "no commas in a label";
        });
    mode->add_option("--server-pid", common.server_pid,
                     "read this process's CPU time (and memory) from /proc");
    mode->add_flag("--header", common.header, "print the CSV header line first");
    return mode;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"course-loadgen: load and check a course server, one CSV row per run"};
    app.require_subcommand(1);

    EchoOptions echo;
    auto* echo_mode = add_mode(app, "echo", "closed-loop echo of lines", echo.common);
    echo_mode->add_option("--connections", echo.connections)->check(CLI::Range(1, 100000));
    echo_mode->add_option("--size", echo.size, "bytes per line, \\n included")
        ->check(CLI::Range(2, 1025));
    echo_mode->add_option("--duration", echo.duration, "seconds measured")
        ->check(CLI::PositiveNumber);
    echo_mode->add_option("--warmup", echo.warmup, "seconds run first, not measured")
        ->check(CLI::NonNegativeNumber);
    echo_mode->add_flag("--reconnect", echo.reconnect,
                        "a new connection per round trip (v1 answers once and closes)");

    IdleOptions idle;
    auto* idle_mode = add_mode(app, "idle", "open and hold idle connections", idle.common);
    idle_mode->add_option("--connections", idle.connections)->check(CLI::Range(1, 1000000));
    idle_mode->add_option("--hold", idle.hold, "seconds to hold them")
        ->check(CLI::NonNegativeNumber);

    FanoutOptions fanout;
    CLI::App* fanout_modes[2] = {
        add_mode(app, "fanout", "1 sender, N receivers, v5's chat protocol", fanout.common),
        add_mode(app, "fanout-redis", "1 publisher, N subscribers, redis pub/sub", fanout.common)};
    for (auto* mode : fanout_modes) {
        mode->add_option("--receivers", fanout.receivers)->check(CLI::Range(1, 100000));
        mode->add_option("--size", fanout.size, "content bytes per message")
            ->check(CLI::Range(16, 1 << 20));
        mode->add_option("--messages", fanout.messages)->check(CLI::Range(1, 1000000000));
        mode->add_option("--in-flight", fanout.in_flight,
                         "messages the slowest receiver may lag behind the sender")
            ->check(CLI::Range(1, 1000000));
        mode->add_option("--timeout", fanout.timeout, "seconds before giving up")
            ->check(CLI::PositiveNumber);
    }

    UploadOptions upload;
    auto* upload_mode = add_mode(app, "upload", "one PNG over one connection", upload.common);
    upload_mode->add_option("--size", upload.size, "about this many bytes")
        ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 34));
    upload_mode->add_flag(
        "--sink", upload.sink,
        "the peer is a plain sink (nc -l > file): half-close, wait for its close");

    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }

    try {
        Result result;
        const Common* common = nullptr;
        if (echo_mode->parsed()) {
            result = run_echo(echo);
            common = &echo.common;
        } else if (idle_mode->parsed()) {
            result = run_idle(idle);
            common = &idle.common;
        } else if (fanout_modes[0]->parsed()) {
            result = run_fanout_chat(fanout);
            common = &fanout.common;
        } else if (fanout_modes[1]->parsed()) {
            result = run_fanout_redis(fanout);
            common = &fanout.common;
        } else {
            result = run_upload(upload);
            common = &upload.common;
        }
        result.target = common->target.empty() ? common->address.to_string() : common->target;
        print_row(result, *common);
        return result.errors == 0 ? 0 : 1;
    } catch (const std::exception& error) {
        std::cerr << "course-loadgen: " << error.what() << '\n';
        return 1;
    }
}
