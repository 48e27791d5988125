#include "stages.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace course::test {

std::string_view feature_name(Feature feature) {
    switch (feature) {
        case Feature::SingleShotEcho: return "single-shot echo";
        case Feature::LineProtocol: return "the echo line protocol";
        case Feature::ConcurrentClients: return "concurrent clients";
        case Feature::ThousandsOfClients: return "thousands of clients";
        case Feature::OperatorConsole: return "an operator console";
        case Feature::GracefulStop: return "a graceful stop on SIGINT/SIGTERM";
        case Feature::ShutdownBroadcast: return "a shutdown broadcast";
        case Feature::IdleTimeout: return "an idle timeout";
        case Feature::ErrorLogFile: return "an error log file";
        case Feature::PositionalPort: return "a positional port argument";
        case Feature::ChatProtocol: return "the chat protocol";
        case Feature::PngUpload: return "PNG upload";
        case Feature::ConnectionCap: return "a connection cap";
        case Feature::NoNagle: return "TCP_NODELAY on its connections";
    }
    return "?";
}

const std::vector<Stage>& all_stages() {
    using enum Feature;
    // clang-format off
    static const std::vector<Stage> table{
        {"v1", "v1-basic-echo", "v1-server",        "v1-client",        {SingleShotEcho}},
        {"v2", "v2-loop-echo",  "v2-server",        "v2-client",        {LineProtocol}},
        {"v3", "v3-threaded",   "v3-server",        "v3-client",        {LineProtocol, ConcurrentClients,
                                                                         OperatorConsole, GracefulStop}},
        {"v4", "v4-async",      "v4-server",        "v4-client",        {LineProtocol, ConcurrentClients,
                                                                         ThousandsOfClients, GracefulStop,
                                                                         ShutdownBroadcast, IdleTimeout,
                                                                         ErrorLogFile, PositionalPort,
                                                                         ConnectionCap, NoNagle}},
        {"v5", "v5-chat",       "v5-chat-server",   "v5-chat-client",   {ConcurrentClients, ThousandsOfClients,
                                                                         GracefulStop, ShutdownBroadcast,
                                                                         ErrorLogFile, ChatProtocol,
                                                                         ConnectionCap, NoNagle}},
        {"v6", "v6-upload",     "v6-upload-server", "v6-upload-client", {ConcurrentClients, GracefulStop,
                                                                         ShutdownBroadcast, ErrorLogFile,
                                                                         PngUpload, ConnectionCap, NoNagle},
                                                                        {"--http-address", "127.0.0.1:0"}},
    };
    // clang-format on
    return table;
}

const Stage& stage(std::string_view id) {
    for (const auto& s : all_stages()) {
        if (s.id == id) {
            return s;
        }
    }
    throw std::invalid_argument("no stage " + std::string(id));
}

std::vector<Stage> stages_with(Feature feature) {
    std::vector<Stage> result;
    for (const auto& s : all_stages()) {
        if (s.has(feature)) {
            result.push_back(s);
        }
    }
    return result;
}

std::vector<std::string> stage_ids() {
    std::vector<std::string> ids;
    for (const auto& s : all_stages()) {
        ids.push_back(s.id);
    }
    return ids;
}

static std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

std::string bin_dir() { return env_or("COURSE_BIN_DIR", COURSE_BUILD_BIN_DIR); }
std::string source_dir() { return env_or("COURSE_SOURCE_DIR", COURSE_SOURCE_TREE); }

static std::string upper(std::string text) {
    for (auto& c : text) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return text;
}

std::string Stage::server_path() const {
    auto path = env_or(("COURSE_" + upper(id) + "_SERVER").c_str(), bin_dir() + "/" + server_name);
    return std::filesystem::absolute(path).string();  // servers run in their own directory
}

bool Stage::server_is_brought() const {
    const char* value = std::getenv(("COURSE_" + upper(id) + "_SERVER").c_str());
    return value != nullptr && *value != '\0';
}

std::string Stage::client_path() const {
    auto path = env_or(("COURSE_" + upper(id) + "_CLIENT").c_str(), bin_dir() + "/" + client_name);
    return std::filesystem::absolute(path).string();
}

}  // namespace course::test
