// What can go wrong with a connection, as one enum: seed 003's `ErrorType`, in C++.
//
// Rust gives each kind a variant of an enum and lets `?` carry it up. The C++ standard
// library's way to make an enum an error is a std::error_code category: the enum says
// which kind, the category names it. Asio reports its own errors as std::error_code too
// (asio::error::eof, connection_reset ...), so ours are the same type; what the server
// does with them is the log line: Logger::report shows kind.message() ("timeout" ...).
#pragma once

#include <system_error>

enum class ErrorType {
    connection_failed = 1,  // accept() failed: out of file descriptors, the backlog ...
    timeout,                // silent for read_timeout_secs mid-upload; an HTTP request too slow
    upload_refused,         // not a PNG, a bad CRC, over max_upload_bytes: answered, no file
    client_vanished,        // a reset or a broken pipe: the peer is gone
    incomplete_upload,      // the client closed before IEND: nothing is stored
    write_timeout,    // the last line could not be written in time: the client stopped reading
    too_many_errors,  // more than 64 refusals within a second: told so and closed
    storage_failed,   // the disk said no (full, a file-size limit ...): nothing is stored
    bad_request,      // an HTTP request we do not serve: malformed, too long, not GET or HEAD
};

// The category: its name() is "server", its message() for each kind is the text the log
// shows ("timeout", "upload refused" ...).
const std::error_category& server_category();

// Found by argument-dependent lookup: this is what lets `std::error_code e = ErrorType::timeout`
// compile, together with the is_error_code_enum specialisation below.
std::error_code make_error_code(ErrorType type);

template <>
struct std::is_error_code_enum<ErrorType> : std::true_type {};
