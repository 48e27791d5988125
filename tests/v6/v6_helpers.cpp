#include "v6_helpers.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace course::test {

std::vector<std::string> UploadServer::files() const {
    std::vector<std::string> names;
    std::error_code error;
    for (auto& entry : std::filesystem::directory_iterator(data_dir(), error)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

UploadServer start_upload_server(const std::string& config, std::vector<std::string> extra_args,
                                 ServerOptions options) {
    UploadServer result;
    result.config_dir = std::make_unique<TempDir>();
    std::string path = result.config_dir->path() + "/config.toml";
    {
        std::ofstream file(path);
        if (config.find("data_dir") == std::string::npos) {
            file << "data_dir = \"uploads\"\n";
        }
        file << config;
    }
    options.args.insert(options.args.begin(), {"--config", path});
    options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
    result.server = Server::start(stage("v6"), options);
    auto line = result.server->process().read_stdout_line(deadline_in(5s));
    const std::string prefix = "http on ";
    if (!line || !line->starts_with(prefix)) {
        throw std::runtime_error("[v6] expected a second stdout line \"http on HOST:PORT\", got " +
                                 (line ? escape(*line) : std::string("nothing")) + "\n" +
                                 result.server->describe());
    }
    auto address = line->substr(prefix.size());
    auto colon = address.rfind(':');
    result.http_host = address.substr(0, colon);
    result.http_port = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
    return result;
}

std::string upload(Server& server, std::string_view png, const std::string& name) {
    auto connection = server.connect(name);
    // A refused upload may close before we finish sending: that is fine, the answer counts.
    (void)connection.send(png, 20s);
    connection.half_close();
    return connection.read_line(10s).value_or("");
}

HttpReply http_get(const std::string& host, std::uint16_t port, const std::string& target,
                   const std::string& extra_headers) {
    HttpReply reply;
    auto connection = connect_to(host, port, "http");
    if (!connection) {
        return reply;
    }
    (void)connection->send("GET " + target + " HTTP/1.1\r\nHost: " + host +
                           "\r\nConnection: close\r\n" + extra_headers + "\r\n");
    std::string raw = connection->read_to_eof(10s);
    auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos || !raw.starts_with("HTTP/1.1 ")) {
        reply.raw_head = raw;
        return reply;
    }
    reply.raw_head = raw.substr(0, head_end);
    reply.body = raw.substr(head_end + 4);
    reply.status = std::stoi(raw.substr(9, 3));
    std::istringstream head(reply.raw_head);
    std::string line;
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        std::string key = line.substr(0, colon);
        for (auto& c : key) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (key == "content-type") {
            reply.content_type = line.substr(line.find_first_not_of(' ', colon + 1));
        }
    }
    return reply;
}

std::optional<std::string> header_of(const HttpReply& reply, std::string name) {
    auto lower = [](std::string text) {
        for (auto& c : text) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return text;
    };
    name = lower(name);
    std::istringstream head(reply.raw_head);
    std::string line;
    while (std::getline(head, line)) {
        auto colon = line.find(':');
        if (colon != std::string::npos && lower(line.substr(0, colon)) == name) {
            auto value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            value.erase(value.find_last_not_of(" \t\r") + 1);
            return value;
        }
    }
    return std::nullopt;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    while (!condition()) {
        if (Clock::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(10ms);  // polling a condition, with a deadline
    }
    return true;
}

std::string how_it_closed(Connection& connection, std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    for (;;) {
        char chunk[4096];
        ssize_t n = ::recv(connection.fd(), chunk, sizeof chunk, 0);
        if (n == 0) {
            return "EOF";
        }
        if (n < 0 && errno == ECONNRESET) {
            return "reset";
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return std::string("error: ") + std::strerror(errno);
        }
        if (Clock::now() > until) {
            return "open";
        }
        if (n < 0) {
            pollfd p{connection.fd(), POLLIN, 0};
            ::poll(&p, 1, 50);
        }
    }
}

std::string name_of(const std::string& link) { return link.substr(link.rfind('/') + 1); }

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), {}};
}

}  // namespace course::test
