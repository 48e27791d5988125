#include "error.hpp"

#include <string>

namespace {

class ServerCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "server"; }

    std::string message(int value) const override {
        // [v4 step 5] Name each ErrorType the way the log shows it ("timeout", "message too long").
        // [starter] return "error " + std::to_string(value);
        switch (static_cast<ErrorType>(value)) {
            case ErrorType::connection_failed: return "connection failed";
            case ErrorType::timeout: return "timeout";
            case ErrorType::message_too_long: return "message too long";
            case ErrorType::client_vanished: return "client vanished";
            case ErrorType::incomplete_line: return "incomplete line";
            case ErrorType::write_timeout: return "write timeout";
            case ErrorType::too_many_errors: return "too many errors";
        }
        return "unknown error " + std::to_string(value);
        // [/v4 step 5]
    }
};

}  // namespace

const std::error_category& server_category() {
    static const ServerCategory category;  // one instance: categories compare by address
    return category;
}

std::error_code make_error_code(ErrorType type) {
    return {static_cast<int>(type), server_category()};
}
