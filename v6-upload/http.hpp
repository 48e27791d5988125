// The serving side: GET URL/NAME answers the uploaded file as image/png, anything else 404.
// cpp-httplib runs it on threads of its own; it only reads files that are complete
// (renamed into place), so it shares nothing with the upload side but the directory.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "course/address.hpp"

namespace httplib {
class Server;
}

class HttpServer {
public:
    // `url` normalised ("images", or "" for the root).
    HttpServer(std::filesystem::path data_dir, std::string url);
    ~HttpServer();  // stops and joins

    // Binds (port 0: any free port) and returns the address bound; throws on failure.
    course::Address bind(const course::Address& address);
    void start();  // serves on a thread of its own
    void stop();

private:
    std::filesystem::path data_dir_;
    std::string prefix_;  // "/images/"
    std::unique_ptr<httplib::Server> http_;
    std::thread thread_;
};
