#include "protocol.hpp"

#include <nlohmann/json.hpp>

#include <cstring>
#include <ctime>

namespace chat {

using nlohmann::json;

std::string type_name(std::uint16_t type) {
    switch (static_cast<MessageType>(type)) {
        case MessageType::Login: return "Login";
        case MessageType::Logout: return "Logout";
        case MessageType::UsernameExists: return "UsernameExists";
        case MessageType::BadUsername: return "BadUsername";
        case MessageType::BadLogin: return "BadLogin";
        case MessageType::Image: return "Image";
        case MessageType::Utf8: return "Utf8";
        case MessageType::File: return "File";
        case MessageType::Voice: return "Voice";
        case MessageType::Error: return "Error";
    }
    return "unknown (" + std::to_string(type) + ")";
}

bool carries_content(std::uint16_t type) {
    auto t = static_cast<MessageType>(type);
    return t == MessageType::Image || t == MessageType::Utf8 || t == MessageType::File ||
           t == MessageType::Voice;
}

// ------------------------------------------------------------------ descriptor
// Byte by byte, not memcpy of a struct: the layout and the byte order are the protocol's,
// not the compiler's or the CPU's.
template <typename T>
static void put_le(char* out, T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    }
}

template <typename T>
static T get_le(const char* in) {
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        value |= static_cast<T>(static_cast<T>(static_cast<unsigned char>(in[i])) << (8 * i));
    }
    return value;
}

void encode_descriptor(const Descriptor& d, char* out) {
    put_le<std::uint16_t>(out + 0, d.type);
    put_le<std::uint16_t>(out + 2, d.header_size);
    put_le<std::uint32_t>(out + 4, 0);  // reserved: always sent as 0
    put_le<std::uint64_t>(out + 8, d.content_size);
}

Descriptor decode_descriptor(const char* in) {
    return {get_le<std::uint16_t>(in + 0), get_le<std::uint16_t>(in + 2),
            get_le<std::uint32_t>(in + 4), get_le<std::uint64_t>(in + 8)};
}

std::string encode(std::uint16_t type, std::string_view header, std::string_view content) {
    std::string bytes(descriptor_size, '\0');
    encode_descriptor({type, static_cast<std::uint16_t>(header.size()), 0, content.size()},
                      bytes.data());
    bytes.append(header);
    bytes.append(content);
    return bytes;
}

std::string encode(MessageType type, std::string_view header, std::string_view content) {
    return encode(static_cast<std::uint16_t>(type), header, content);
}

Decoded decode(std::string_view buffer, const Limits& limits) {
    Decoded result;
    if (buffer.size() < descriptor_size) {
        return result;  // incomplete
    }
    result.has_descriptor = true;
    result.descriptor = decode_descriptor(buffer.data());
    const auto& d = result.descriptor;
    // Refuse before reading: a length field is a promise from the peer, not a fact.
    if (d.header_size > limits.max_header) {
        result.status = Status::header_too_large;
        return result;
    }
    if (d.content_size > limits.max_content) {
        result.status = Status::content_too_large;
        return result;
    }
    std::size_t have = buffer.size() - descriptor_size;
    if (have >= d.header_size) {
        result.header = buffer.substr(descriptor_size, d.header_size);
        have -= d.header_size;
        if (have >= d.content_size) {  // content_size <= max_content: no overflow below
            result.content = buffer.substr(descriptor_size + d.header_size, d.content_size);
            result.size = descriptor_size + d.header_size + d.content_size;
            result.status = Status::complete;
        }
    }
    return result;
}

// ------------------------------------------------------------------ headers
static std::optional<std::string> string_key(const json& object, const char* key,
                                             std::string& error) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        error = std::string("header key \"") + key + "\" is not a string";
        return std::nullopt;
    }
    return it->get<std::string>();
}

ParsedClientHeader parse_client_header(std::uint16_t type, std::string_view bytes) {
    ParsedClientHeader result;
    if (bytes.empty()) {
        return result;  // header size 0: no header
    }
    json object = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
    if (object.is_object()) {
        result.header.to = string_key(object, "to", result.error);
        result.header.filename = string_key(object, "filename", result.error);
    } else if (!is_valid_utf8(bytes)) {  // (a parse error gives a "discarded" value)
        result.error = "header is neither a JSON object nor UTF-8 text";
    } else if (type == static_cast<std::uint16_t>(MessageType::Utf8)) {
        result.error = "header is not a JSON object";
    } else {
        result.header.filename = std::string(bytes);  // the seed's client: the bare file name
    }
    if (result.header.filename) {
        result.header.filename = base_name(*result.header.filename);
    }
    return result;
}

std::optional<std::string> base_name(std::string_view filename) {
    auto separator = filename.find_last_of("/\\");
    if (separator != std::string_view::npos) {
        filename.remove_prefix(separator + 1);
    }
    if (filename.empty() || filename == "." || filename == "..") {
        return std::nullopt;
    }
    return std::string(filename);
}

// Invalid UTF-8 never reaches the JSON writer from the network (the parser refuses it), but
// `replace` makes dump() total: a header is always produced, never an exception.
static std::string dump(const json& object) {
    return object.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string to_json(const ClientHeader& header) {
    if (!header.to && !header.filename) {
        return "";
    }
    json object = json::object();
    if (header.to)
        object["to"] = *header.to;
    if (header.filename)
        object["filename"] = *header.filename;
    return dump(object);
}

std::string file_header(MessageType type, const std::optional<std::string>& to,
                        const std::string& filename) {
    bool bare = type == MessageType::File && !to && !filename.empty() &&
                !json::parse(filename, nullptr, false).is_object();
    return bare ? filename : to_json(ClientHeader{to, filename});
}

std::string to_json(const ServerHeader& header) {
    json object = {{"from", header.from}, {"timestamp", header.timestamp}};
    if (header.filename)
        object["filename"] = *header.filename;
    if (header.to)
        object["to"] = *header.to;
    if (header.error)
        object["error"] = *header.error;
    return dump(object);
}

std::optional<ServerHeader> parse_server_header(std::string_view bytes) {
    json object = json::parse(bytes, nullptr, false);
    if (!object.is_object()) {
        return std::nullopt;
    }
    std::string error;
    ServerHeader header;
    header.from = string_key(object, "from", error).value_or("");
    header.timestamp = string_key(object, "timestamp", error).value_or("");
    header.filename = string_key(object, "filename", error);
    header.to = string_key(object, "to", error);
    header.error = string_key(object, "error", error);
    if (!error.empty()) {
        return std::nullopt;
    }
    return header;
}

std::optional<std::string> login_username(std::string_view header) {
    json object = json::parse(header, nullptr, false);
    if (!object.is_object()) {
        return std::string(header);  // the bare UTF-8 name of the seed
    }
    std::string error;
    auto name = string_key(object, "to", error);
    return error.empty() ? name : std::nullopt;
}

// ------------------------------------------------------------------ rules
// Decodes one code point at `pos` and advances it; nothing for a byte sequence that is
// not UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
static std::optional<char32_t> next_code_point(std::string_view s, std::size_t& pos) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char lead = byte(pos);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xe  ? 3
                         : (lead >> 3) == 0x1e ? 4
                                               : 0;
    if (length == 0 || pos + length > s.size()) {
        return std::nullopt;
    }
    char32_t cp = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(pos + i) & 0xc0) != 0x80) {
            return std::nullopt;
        }
        cp = (cp << 6) | (byte(pos + i) & 0x3f);
    }
    static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return std::nullopt;
    }
    pos += length;
    return cp;
}

bool is_valid_utf8(std::string_view bytes) {
    for (std::size_t pos = 0; pos < bytes.size();) {
        if (!next_code_point(bytes, pos)) {
            return false;
        }
    }
    return true;
}

static bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

// Unicode's White_Space property outside ASCII (the ASCII ones are controls or U+0020).
static bool is_whitespace(char32_t cp) {
    return cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

// Not White_Space, but just as invisible: a name made of them looks like someone else's.
static bool is_invisible(char32_t cp) { return cp == 0x200b || cp == 0xfeff; }

static bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

UsernameProblem check_username(std::string_view name) {
    if (name.empty())
        return UsernameProblem::empty;
    if (name.size() > max_username_bytes)
        return UsernameProblem::too_long;
    for (std::size_t pos = 0; pos < name.size();) {
        auto cp = next_code_point(name, pos);
        if (!cp)
            return UsernameProblem::not_utf8;
        if (is_control(*cp))
            return UsernameProblem::control;
        if (is_whitespace(*cp))
            return UsernameProblem::whitespace;
        if (is_invisible(*cp))
            return UsernameProblem::invisible;
        // JSON would have to escape them, and the seed's client cannot read an escape.
        if (*cp == '"' || *cp == '\\')
            return UsernameProblem::escaped;
    }
    // Error messages come `from` "server": nobody may sign as the server.
    if (equals_ignoring_ascii_case(name, server_name))
        return UsernameProblem::reserved;
    return UsernameProblem::none;
}

std::string_view describe(UsernameProblem problem) {
    switch (problem) {
        case UsernameProblem::none: return "fine";
        case UsernameProblem::empty: return "empty";
        case UsernameProblem::too_long: return "longer than 32 bytes";
        case UsernameProblem::not_utf8: return "not UTF-8";
        case UsernameProblem::control: return "contains a control character";
        case UsernameProblem::whitespace: return "contains whitespace";
        case UsernameProblem::invisible: return "contains an invisible character";
        case UsernameProblem::escaped: return "contains \" or \\";
        case UsernameProblem::reserved: return "reserved for the server";
    }
    return "?";
}

std::string format_timestamp(std::chrono::system_clock::time_point when) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];  // 24 are used; the rest quiets -Wformat-truncation about wild years
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(ms % 1000));
    return text;
}

std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text) {
    // "2026-11-22T12:00:00Z", then optionally "." and 1 to 9 digits before the "Z".
    std::tm utc{};
    int consumed = 0;
    std::string copy(text);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &utc.tm_year, &utc.tm_mon,
                    &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &consumed) != 6 ||
        consumed != 19) {
        return std::nullopt;
    }
    std::string_view rest = text.substr(19);
    std::chrono::nanoseconds fraction{0};
    if (rest.starts_with('.')) {
        rest.remove_prefix(1);
        std::size_t digits = 0;
        long long nanos = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
            nanos = nanos * 10 + (rest[digits] - '0');
            ++digits;
        }
        if (digits == 0 || digits > 9) {
            return std::nullopt;
        }
        for (std::size_t i = digits; i < 9; ++i) {
            nanos *= 10;
        }
        fraction = std::chrono::nanoseconds(nanos);
        rest.remove_prefix(digits);
    }
    if (rest != "Z") {
        return std::nullopt;
    }
    utc.tm_year -= 1900;
    utc.tm_mon -= 1;
    std::time_t seconds = timegm(&utc);
    return std::chrono::system_clock::from_time_t(seconds) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(fraction);
}

}  // namespace chat
