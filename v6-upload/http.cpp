#include "http.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "storage.hpp"

namespace {

// Answers the file `name` of data_dir, streamed in pieces (memory stays flat), or false.
bool serve_file(const std::filesystem::path& data_dir, const std::string& name,
                httplib::Response& response) {
    // O_NOFOLLOW: even a symlink someone planted under a valid name is not followed.
    int fd = ::open((data_dir / name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return false;
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return false;
    }
    response.set_header("Cache-Control",
                        "public, max-age=31536000, immutable");  // names never change
    response.set_content_provider(
        static_cast<std::size_t>(info.st_size), "image/png",
        [fd](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            char buffer[64 * 1024];
            ssize_t n =
                ::pread(fd, buffer, std::min(length, sizeof buffer), static_cast<off_t>(offset));
            return n > 0 && sink.write(buffer, static_cast<std::size_t>(n));
        },
        [fd](bool) { ::close(fd); });
    return true;
}

}  // namespace

HttpServer::HttpServer(std::filesystem::path data_dir, std::string url)
    : data_dir_(std::move(data_dir)),
      prefix_(url.empty() ? "/" : "/" + url + "/"),
      http_(std::make_unique<httplib::Server>()) {
    http_->new_task_queue = [] { return new httplib::ThreadPool(4); };  // plenty for images
    // One handler for every path. It never joins the request's path to data_dir: it takes
    // what follows the prefix and serves it only if it is exactly an upload's name (no
    // slash, no dot-dot, no temporary). httplib has already decoded %2e%2e and the like.
    http_->Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
        const std::string& path = request.path;
        if (path.starts_with(prefix_) && is_upload_name(path.substr(prefix_.size())) &&
            serve_file(data_dir_, path.substr(prefix_.size()), response)) {
            spdlog::debug("http {} {}: 200", request.remote_addr, path);
            return;
        }
        spdlog::debug("http {} {}: 404", request.remote_addr, path);
        response.status = 404;
        response.set_content("not found\n", "text/plain");
    });
}

HttpServer::~HttpServer() { stop(); }

course::Address HttpServer::bind(const course::Address& address) {
    int port = address.port;
    bool bound = port == 0 ? (port = http_->bind_to_any_port(address.host)) > 0
                           : http_->bind_to_port(address.host, port);
    if (!bound) {
        throw std::runtime_error("http: cannot bind " + address.to_string());
    }
    return {address.host, static_cast<std::uint16_t>(port)};
}

void HttpServer::start() {
    thread_ = std::thread([this] { http_->listen_after_bind(); });
    // stop() only works on a running server: wait (briefly) until it is.
    for (int i = 0; i < 2000 && !http_->is_running(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

void HttpServer::stop() {
    if (thread_.joinable()) {
        http_->stop();
        thread_.join();
    }
}
