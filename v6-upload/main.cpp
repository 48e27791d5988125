// v6-upload-server: PNG uploads over TCP, each answered with a link; the links served
// over HTTP. Seed 000, in C++ on v4's skeleton (server, shutdown, error log, session).
// Settings come from config.toml (seed 000's keys, and a few of ours).
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <csignal>
#include <cstdint>
#include <exception>
#include <limits>
#include <filesystem>
#include <iostream>
#include <optional>

#include "config.hpp"
#include "course/cli.hpp"
#include "course/logging.hpp"
#include "logger.hpp"
#include "server.hpp"
#include "storage.hpp"

namespace {

// Every connection is a file descriptor, and the default soft limit is often 1024: far
// from 10 000. An unprivileged process may raise its soft limit up to the hard limit.
// Returns the limit now in force (the largest number when there is none to know).
std::uint64_t raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    auto soft = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            limit.rlim_cur = soft;
        }
    }
    spdlog::info("open-file limit: {} (was {}, hard limit {})", limit.rlim_cur, soft,
                 limit.rlim_max);
    return limit.rlim_cur;
}

// Both sides may hold max_connections connections, and each costs two descriptors: an
// upload's socket and its unnamed file, an HTTP socket and the file it sends. The rest
// of the limit is room for the listening sockets, the log files and the like. Returns
// the cap that fits, `wanted` or less.
std::uint64_t connections_the_limit_allows(std::uint64_t wanted) {
    constexpr std::uint64_t kRoom = 64, kPerConnection = 4;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return wanted;
    }
    std::uint64_t fits = std::max<std::uint64_t>(
        limit.rlim_cur > kRoom ? (limit.rlim_cur - kRoom) / kPerConnection : 0, 1);
    if (fits >= wanted) {
        return wanted;
    }
    spdlog::warn("max_connections {} needs {} file descriptors, the limit is {}: capped at {}",
                 wanted, wanted * kPerConnection + kRoom, limit.rlim_cur, fits);
    return fits;
}

// A config problem: one line on stderr, exit status 2.
int config_error(const std::string& message) {
    std::cerr << "v6-upload-server: " << message << "\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path = "./config.toml";
    course::Address address{"127.0.0.1", 7070}, http_address{"127.0.0.1", 7071};
    std::string log_file = "server.log";
    CLI::App app{"v6-upload-server: PNG uploads over TCP, answered with a link"};
    auto* config_option =
        app.add_option("--config", config_path, "the settings file (TOML)")->capture_default_str();
    auto* address_option = course::add_address_option(
        app, address, "address for uploads (port 0: any free port); overrides bind_ip_port");
    auto* http_option = course::add_address_option(
        app, http_address, "serve the uploads over HTTP here; overrides http_bind, turns HTTP on",
        "--http-address");
    app.add_option("--log-file", log_file, "file that errors are appended to")
        ->capture_default_str();
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }

    // The command line wins over the file: parsed first, applied after the file is read.
    ConfigResult loaded = load_config(config_path, config_option->count() > 0);
    if (!loaded.config) {
        return config_error(loaded.error);
    }
    Config config = *loaded.config;
    if (address_option->count() > 0) {
        config.bind_ip_port = address;
    }
    if (http_option->count() > 0) {
        config.http_bind = http_address;
    }
    if (config.server_fqdn.empty() && config.http_bind && is_wildcard(*config.http_bind)) {
        return config_error("--http-address " + config.http_bind->to_string() +
                            " listens on every address, so no link can name it: set "
                            "server_fqdn in " +
                            config_path);
    }
    if (config.server_fqdn.empty() && !config.http_bind) {
        return config_error(config_path +
                            ": server_fqdn is empty and HTTP is off: the links would point "
                            "nowhere (set server_fqdn, or http_bind / --http-address)");
    }
    course::setup_logging(config.log_level);  // checked by the config parser
    for (const auto& warning : loaded.warnings) {
        spdlog::warn("{}", warning);
    }
    raise_open_file_limit();
    // A file-size limit (ulimit -f) kills a process that writes past it with SIGXFSZ;
    // ignored, it is an error from write() (EFBIG) like a full disk: one upload fails,
    // answered, and the server goes on. SIGPIPE: sendfile() to a client that left.
    std::signal(SIGXFSZ, SIG_IGN);
    std::signal(SIGPIPE, SIG_IGN);

    ServerOptions options;
    options.address = config.bind_ip_port;
    options.http_address = config.http_bind;
    options.idle_timeout = config.read_timeout;
    options.data_dir = config.data_dir;
    options.max_upload_bytes = config.max_upload_bytes;
    options.protocol = config.protocol;
    options.host = config.server_fqdn;
    options.url = config.url;
    options.max_connections = connections_the_limit_allows(config.max_connections);
    try {
        // data_dir must hold unnamed files (O_TMPFILE): find out now, not at the first upload.
        std::filesystem::create_directories(config.data_dir);
        TempFile{config.data_dir};

        Logger logger(log_file);
        asio::io_context io(1);  // the hint: one thread
        Server server(io, options, logger);
        server.start();
        course::announce_listening(server.local_address());
        if (auto http = server.http_address()) {
            std::cout << "http on " << http->to_string() << std::endl;
        }
        spdlog::info("uploads into {}, links like {}NAME", config.data_dir.string(),
                     server.link_prefix());
        io.run();  // returns when no work is left: after a signal, once every session is gone
    } catch (const std::exception& error) {
        spdlog::error("{}", error.what());  // "bind: Address already in use", data_dir ...
        return 1;
    }
}
