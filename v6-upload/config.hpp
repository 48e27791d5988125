// The server's settings: config.toml (the seed's keys and ours), then the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "course/address.hpp"

struct Config {
    // The keys of seed 000.
    course::Address bind_ip_port{"127.0.0.1", 7070};  // where uploads come in
    std::filesystem::path data_dir = "./uploads";     // relative: to the working directory
    std::string log_level = "info";
    std::string protocol = "http";  // the scheme of the links we answer
    std::string server_fqdn;        // empty: the HTTP address we bound
    std::string url = "images";     // path of the links, without slashes
    // Ours.
    std::optional<course::Address> http_bind = course::Address{"127.0.0.1", 7071};  // none: off
    std::uint64_t max_upload_bytes = 32 * 1024 * 1024;
    std::chrono::milliseconds read_timeout{30'000};  // read_timeout_secs: 1 to 31536000
};

struct ConfigResult {
    std::optional<Config> config;       // nothing: an error, in `error`
    std::string error;                  // "config.toml:3:20: max_upload_bytes must be ..."
    std::vector<std::string> warnings;  // unknown keys, and the like
};

// Parses TOML text; `source` names it in messages (the file's path). A missing key keeps
// its default; a malformed file, a value of the wrong type or out of range is an error
// naming source and line; an unknown key is a warning.
ConfigResult parse_config(std::string_view text, const std::string& source);

// Reads `path`. When the path was not given on the command line (`given` false) and there
// is no such file, that is no error: the defaults, with a warning saying so.
ConfigResult load_config(const std::string& path, bool given);

// "/img/", "img", "/img" -> "img"; "/" or "" -> "". Inner slashes stay ("a/b").
std::string normalise_url(std::string_view url);
