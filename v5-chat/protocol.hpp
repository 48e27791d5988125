// The chat protocol of seed 001, shared by the server and the client (like the
// chat_message.hpp of Asio's chat example): the 16-byte descriptor, the message types,
// the JSON headers, the limits, and the username rules.
//
// Wire format of one message:
//
//   descriptor (16 bytes, little-endian)   header (header_size bytes)   content
//   type u16 | header_size u16 | reserved u32 | content_size u64
//
// Nothing here does I/O: the functions take bytes and give bytes, so the unit tests and
// the fuzzer can feed them anything, split anywhere.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

enum class MessageType : std::uint16_t {
    Login = 1,
    Logout = 2,
    UsernameExists = 3,
    BadUsername = 4,
    BadLogin = 5,
    Image = 6,
    Utf8 = 7,
    File = 8,
    Voice = 9,
    Error = 10,  // our extension: server to client, header {"error": "...", "from": "server"}
};

// "Login", "Utf8", ... or "unknown (42)": for logs and messages.
std::string type_name(std::uint16_t type);
// The four types a logged-in user may send to others.
bool carries_content(std::uint16_t type);

// ------------------------------------------------------------------ limits
inline constexpr std::size_t descriptor_size = 16;
// A client's header is at most this long; a longer one is refused before it is read.
inline constexpr std::size_t max_header_size = 4096;
// The server's header repeats the client's `to` and `filename` and adds `from` and a
// timestamp, so it may be a little longer; clients accept up to this.
inline constexpr std::size_t max_server_header_size = max_header_size + 1024;
inline constexpr std::uint64_t default_max_content = 16 * 1024 * 1024;  // --max-content
inline constexpr std::uint64_t default_max_queue = 64 * 1024 * 1024;    // --max-queue
// The largest values the options accept: more than any machine's memory (a failed
// allocation stays a case the server handles), and far enough from 2^64 that no sum of
// sizes can overflow.
inline constexpr std::uint64_t largest_max_content = std::uint64_t{1} << 50;  // 1 PiB
inline constexpr std::uint64_t largest_max_queue = std::uint64_t{1} << 51;    // 2 PiB
// --max-queue must leave room for one biggest message: content plus descriptor and header.
inline constexpr std::uint64_t queue_slack = 8 * 1024;
static_assert(descriptor_size + max_server_header_size <= queue_slack);
inline constexpr std::size_t max_username_bytes = 32;
inline constexpr std::chrono::seconds default_login_timeout{10};
inline constexpr std::string_view server_name = "server";  // `from` of Error messages

// ------------------------------------------------------------------ descriptor
struct Descriptor {
    std::uint16_t type = 0;
    std::uint16_t header_size = 0;
    std::uint32_t reserved = 0;  // sent as 0, ignored on receipt
    std::uint64_t content_size = 0;
    bool operator==(const Descriptor&) const = default;
};

// Writes exactly descriptor_size bytes to `out`, little-endian whatever the host.
void encode_descriptor(const Descriptor& descriptor, char* out);
// Reads descriptor_size bytes from `in`.
Descriptor decode_descriptor(const char* in);

// A whole message: descriptor, then header, then content.
std::string encode(MessageType type, std::string_view header = {}, std::string_view content = {});
std::string encode(std::uint16_t type, std::string_view header, std::string_view content);

struct Limits {
    std::size_t max_header = max_header_size;
    std::uint64_t max_content = default_max_content;
};

// What the front of a receive buffer holds. The decoder tells "not yet" (incomplete: read
// more) from "never" (too large: refuse), and says "never" as soon as the descriptor is
// in, before a single byte of the oversized header or content has to be read.
enum class Status { incomplete, complete, header_too_large, content_too_large };

struct Decoded {
    Status status = Status::incomplete;
    bool has_descriptor = false;  // the first 16 bytes were there
    Descriptor descriptor;
    std::string_view header;   // when complete (and for incomplete: once the header is in)
    std::string_view content;  // when complete
    std::size_t size = 0;      // bytes the whole message takes, when complete
};

Decoded decode(std::string_view buffer, const Limits& limits = {});

// ------------------------------------------------------------------ wire messages
// One message as it goes out on the wire: descriptor, server header and content in one
// block, built once and then shared, read-only, by every recipient's queue. A fan-out to
// 100 users copies a pointer 100 times, never the bytes.
struct WireMessage {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
};
using Outgoing = std::shared_ptr<const WireMessage>;

// A bare descriptor (the answers to a Login), or a whole message.
Outgoing make_message(MessageType type, std::string_view header = {},
                      std::string_view content = {});
// A message with a server header and no content: a Login or Logout event `from` a user.
Outgoing make_event(MessageType type, std::string_view from);
// An Error: {"from": "server", "timestamp": ..., "error": text}.
Outgoing make_error(std::string_view text);

// ------------------------------------------------------------------ headers
// What a client may say in its header. Both keys are optional; other keys are ignored.
struct ClientHeader {
    std::optional<std::string> to;
    std::optional<std::string> filename;
};

// Parses the header of a message of `type`: empty means no header. A JSON object gives its
// keys. Anything else is the seed's bare UTF-8 text (its client sends no JSON): the file
// name of a File, Image or Voice; on Utf8 it could name nothing, so it is an error, as is
// text that is not UTF-8 and a key of the wrong type. A file name is cut to its base name
// (what follows the last / or \), and dropped when that is empty, "." or "..".
struct ParsedClientHeader {
    ClientHeader header;
    std::string error;  // empty: fine
};
ParsedClientHeader parse_client_header(std::uint16_t type, std::string_view bytes);
// "dir/a.pdf" and "C:\\x\\a.pdf" -> "a.pdf"; "", "x/", "." and ".." -> nothing.
std::optional<std::string> base_name(std::string_view filename);
// Each `"`, `\`, control character (C0, DEL, C1) and format character (Cf) replaced by
// `_`: text a peer chose that the server repeats in a header (a file name, an unknown `to`
// in an Error), so that JSON never has to escape it and nothing in it hides or reorders.
std::string without_escapes(std::string_view text);
// The `filename` the server relays: the base name, with each `"`, `\`, control character
// (C0, DEL, C1) and format character (Cf) replaced by `_`, so that no server header ever
// needs a JSON escape. A File, Image or Voice whose name is then empty, "." or "..", or
// that came with none, gets one made of its type and `now`: "file-20261206T083628Z".
// Nothing for a Utf8 message that named no file.
std::optional<std::string> relayed_filename(std::uint16_t type,
                                            const std::optional<std::string>& filename,
                                            std::chrono::system_clock::time_point now);
std::string to_json(const ClientHeader& header);  // "" when both keys are absent
// The header a client sends with a file: the seed's bare file name where that says it all
// (a File to everyone, and a name that does not itself read as a JSON object), so the
// seed's server understands it too; JSON where only JSON can say it (`to`, Image, Voice).
std::string file_header(MessageType type, const std::optional<std::string>& to,
                        const std::string& filename);

// What the server says in its header.
struct ServerHeader {
    std::string from;
    std::string timestamp;  // RFC 3339 UTC; ours with milliseconds
    std::optional<std::string> filename;
    std::optional<std::string> to;     // marks a private message
    std::optional<std::string> error;  // Error messages only
};
std::string to_json(const ServerHeader& header);
std::optional<ServerHeader> parse_server_header(std::string_view bytes);

// The username of a Login: {"to": "alice"}, or the bare UTF-8 name (the seed's client).
// Nothing when the header is a JSON object without a string "to".
std::optional<std::string> login_username(std::string_view header);

// ------------------------------------------------------------------ rules
// Decodes one code point at `pos` and advances `pos` past it; nothing (and `pos` unchanged)
// for bytes that are not UTF-8: overlong forms, surrogates and values past U+10FFFF too.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& pos);
bool is_valid_utf8(std::string_view bytes);
// Unicode's general category Cf ("format"): invisible characters that change how the text
// around them shows (U+200B zero width space, U+202E right-to-left override, U+FEFF ...).
bool is_format_character(char32_t cp);

enum class UsernameProblem {
    none,
    empty,
    too_long,
    not_utf8,
    control,
    whitespace,
    invisible,
    escaped,
    reserved
};
UsernameProblem check_username(std::string_view name);
std::string_view describe(UsernameProblem problem);

// "2026-11-22T12:00:00.123Z": always 24 characters.
std::string format_timestamp(std::chrono::system_clock::time_point when);
// Reads ours, and any RFC 3339 UTC time with 0 to 9 fraction digits (the seed sends 9).
// Nothing for a year outside 0000-9999, nor for a time system_clock cannot hold (after
// 2262): whatever a peer writes, no arithmetic on it overflows.
std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);
// The same to the whole second, for any year 0000-9999: enough for a clock on screen.
std::optional<std::chrono::sys_seconds> parse_timestamp_seconds(std::string_view text);

}  // namespace chat
