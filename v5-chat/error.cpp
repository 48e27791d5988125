#include "error.hpp"

#include <string>

namespace {

class ServerCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "server"; }

    std::string message(int value) const override {
        switch (static_cast<ErrorType>(value)) {
            case ErrorType::connection_failed: return "connection failed";
            case ErrorType::timeout: return "timeout";
            case ErrorType::message_too_long: return "message too long";
            case ErrorType::client_vanished: return "client vanished";
            case ErrorType::incomplete_line: return "incomplete line";
            case ErrorType::write_timeout: return "write timeout";
            case ErrorType::too_many_errors: return "too many errors";
            case ErrorType::bad_username: return "bad username";
            case ErrorType::bad_login: return "bad login";
            case ErrorType::bad_message: return "bad message";
            case ErrorType::incomplete_message: return "incomplete message";
            case ErrorType::slow_reader: return "slow reader";
            case ErrorType::failed: return "failed";
        }
        return "unknown error " + std::to_string(value);
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
