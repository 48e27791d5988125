// v6-upload-server: PNG uploads over TCP, each answered with a link; the links served
// over HTTP. Settings come from config.toml (seed 000's keys, and a few of ours).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "config.hpp"
#include "course/cli.hpp"
#include "course/logging.hpp"
#include "http.hpp"
#include "server.hpp"
#include "session.hpp"
#include "storage.hpp"

namespace {

// The command line wins over the file: parsed first, applied after the file is read.
struct Overrides {
    std::string config_path = "./config.toml";
    std::optional<course::Address> address;
    std::optional<course::Address> http_address;
};

// A config problem: one line on stderr, exit status 2.
int config_error(const std::string& message) {
    std::cerr << "v6-upload-server: " << message << "\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Overrides overrides;
    course::Address address{"127.0.0.1", 7070}, http_address{"127.0.0.1", 7071};
    CLI::App app{"v6-upload-server: PNG uploads over TCP, answered with a link"};
    auto* config_option =
        app.add_option("--config", overrides.config_path, "the settings file (TOML)")
            ->capture_default_str();
    auto* address_option = course::add_address_option(
        app, address, "address for uploads (port 0: any free port); overrides bind_ip_port");
    auto* http_option = course::add_address_option(
        app, http_address, "serve the uploads over HTTP here; overrides http_bind, turns HTTP on",
        "--http-address");
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }

    ConfigResult loaded = load_config(overrides.config_path, config_option->count() > 0);
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
    if (config.server_fqdn.empty() && !config.http_bind) {
        return config_error(overrides.config_path +
                            ": server_fqdn is empty and HTTP is off: the links would point "
                            "nowhere (set server_fqdn, or http_bind / --http-address)");
    }
    course::setup_logging(config.log_level);  // checked by the config parser
    for (const auto& warning : loaded.warnings) {
        spdlog::warn("{}", warning);
    }

    try {
        asio::io_context io;
        Server server(io, config.bind_ip_port);

        // Make data_dir, and clear what a killed server left half-written.
        std::filesystem::create_directories(config.data_dir);
        if (auto stale = remove_stale_temporaries(config.data_dir)) {
            spdlog::info("removed {} stale temporary file(s) from {}", stale,
                         config.data_dir.string());
        }

        std::optional<HttpServer> http;
        std::string host = config.server_fqdn;
        std::optional<course::Address> http_bound;
        if (config.http_bind) {
            http.emplace(config.data_dir, config.url);
            http_bound = http->bind(*config.http_bind);
            if (host.empty()) {
                host = http_bound->to_string();  // the links point at our own HTTP side
            }
        }
        UploadSettings settings{
            config.data_dir, config.max_upload_bytes,
            std::chrono::seconds(config.read_timeout_secs),
            config.protocol + "://" + host + "/" + (config.url.empty() ? "" : config.url + "/")};

        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
        server.start(settings);
        if (http) {
            http->start();
        }
        course::announce_listening(server.local_address());
        if (http_bound) {
            std::cout << "http on " << http_bound->to_string() << std::endl;
        }
        spdlog::info("uploads into {}, links like {}NAME", config.data_dir.string(),
                     settings.link_prefix);
        io.run();
        spdlog::info("stopping");
        // Leaving this scope stops HTTP, then destroys the io_context with every upload in
        // progress: their temporary files are removed by TempFile's destructor.
    } catch (const std::exception& error) {
        spdlog::error("{}", error.what());
        return 1;
    }
}
