#include "protocol.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace chat {

using nlohmann::json;

// C0, DEL and C1.
static bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

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
    // [v5 step 1] Refuse a header or content over its limit at once; else say complete or not yet.
    // [starter] static_cast<void>(limits);
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
    // [/v5 step 1]
    return result;
}

// ------------------------------------------------------------------ wire messages
Outgoing make_message(MessageType type, std::string_view header, std::string_view content) {
    auto message = std::make_shared<WireMessage>();
    message->size = descriptor_size + header.size() + content.size();
    message->bytes = std::make_unique_for_overwrite<char[]>(message->size);
    char* out = message->bytes.get();
    encode_descriptor({static_cast<std::uint16_t>(type), static_cast<std::uint16_t>(header.size()),
                       0, content.size()},
                      out);
    // std::copy, not memcpy: an empty string_view may hold a null pointer, and memcpy
    // from null is undefined even for 0 bytes (UBSan says so).
    out = std::copy(header.begin(), header.end(), out + descriptor_size);
    std::copy(content.begin(), content.end(), out);
    return message;
}

Outgoing make_event(MessageType type, std::string_view from) {
    ServerHeader header;
    header.from = from;
    header.timestamp = format_timestamp(std::chrono::system_clock::now());
    return make_message(type, to_json(header));
}

Outgoing make_error(std::string_view text) {
    ServerHeader header;
    header.from = server_name;
    header.timestamp = format_timestamp(std::chrono::system_clock::now());
    header.error = text;
    return make_message(MessageType::Error, to_json(header));
}

// ------------------------------------------------------------------ headers
static std::optional<std::string> string_key(const json& object, const char* key,
                                             std::string& error) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        error = std::string("header key '") + key + "' is not a string";
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

std::string without_escapes(std::string_view name) {
    std::string clean;
    for (std::size_t pos = 0; pos < name.size();) {
        std::size_t start = pos;
        auto cp = next_code_point(name, pos);
        if (!cp) {
            clean += '_';  // not UTF-8 (the parsers let none through): one byte replaced
            ++pos;
        } else if (*cp == '"' || *cp == '\\' || is_control(*cp) || is_format_character(*cp)) {
            clean += '_';
        } else {
            clean.append(name.substr(start, pos - start));
        }
    }
    return clean;
}

// "file-20261206T083628Z": the type, then the time in RFC 3339's basic form.
static std::string name_from_type(std::uint16_t type, std::chrono::system_clock::time_point now) {
    std::string stamp = format_timestamp(now);  // "2026-12-06T08:36:28.123Z"
    std::string basic;
    for (char c : stamp.substr(0, 19)) {
        if (c != '-' && c != ':') {
            basic += c;
        }
    }
    std::string name = type_name(type);  // "File", "Image", "Voice"
    name[0] = static_cast<char>(name[0] - 'A' + 'a');
    return name + "-" + basic + "Z";
}

std::optional<std::string> relayed_filename(std::uint16_t type,
                                            const std::optional<std::string>& filename,
                                            std::chrono::system_clock::time_point now) {
    std::optional<std::string> name;
    if (filename) {
        name = base_name(*filename);  // nothing for "", "x/", "." and ".."
    }
    if (name) {
        name = without_escapes(*name);
    }
    bool is_file = carries_content(type) && type != static_cast<std::uint16_t>(MessageType::Utf8);
    if (is_file && (!name || name->empty() || *name == "." || *name == "..")) {
        return name_from_type(type, now);
    }
    return name;
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
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& pos) {
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

bool is_format_character(char32_t cp) {
    // Unicode 15.1's whole Cf list, as ranges: it is short, and it changes rarely.
    struct Range {
        char32_t first, last;
    };
    static constexpr Range format[] = {
        {0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},
        {0x070f, 0x070f},   {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x180e, 0x180e},
        {0x200b, 0x200f},   {0x202a, 0x202e},   {0x2060, 0x2064},   {0x2066, 0x206f},
        {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
        {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
        {0xe0020, 0xe007f},
    };
    for (const Range& range : format) {
        if (cp >= range.first && cp <= range.last) {
            return true;
        }
    }
    return false;
}

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
        if (is_invisible(*cp) || is_format_character(*cp))
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

// The fields of "2026-11-22T12:00:00.123Z" as whole seconds (which hold any year 0000-9999)
// and the fraction. Calendar arithmetic, not timegm: nothing here can overflow.
struct UtcTime {
    std::chrono::sys_seconds seconds;
    std::chrono::nanoseconds fraction{0};
};

static std::optional<UtcTime> parse_utc(std::string_view text) {
    // "2026-11-22T12:00:00Z", then optionally "." and 1 to 9 digits before the "Z".
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, consumed = 0;
    std::string copy(text);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
                    &consumed) != 6 ||
        consumed != 19) {
        return std::nullopt;
    }
    using namespace std::chrono;
    year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (y < 0 || y > 9999 || !date.ok()) {
        return std::nullopt;
    }
    UtcTime time{sys_days(date) + hours(h) + minutes(mi) + seconds(s)};
    std::string_view rest = text.substr(19);
    if (rest.starts_with('.')) {
        rest.remove_prefix(1);
        std::size_t digits = 0;
        long long nanos = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
            nanos = digits < 9 ? nanos * 10 + (rest[digits] - '0') : nanos;
            ++digits;
        }
        if (digits == 0 || digits > 9) {
            return std::nullopt;
        }
        for (std::size_t i = digits; i < 9; ++i) {
            nanos *= 10;
        }
        time.fraction = nanoseconds(nanos);
        rest.remove_prefix(digits);
    }
    if (rest != "Z") {
        return std::nullopt;
    }
    return time;
}

std::optional<std::chrono::sys_seconds> parse_timestamp_seconds(std::string_view text) {
    auto time = parse_utc(text);
    return time ? std::optional(time->seconds) : std::nullopt;
}

std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text) {
    using namespace std::chrono;
    auto time = parse_utc(text);
    // system_clock counts nanoseconds in 64 bits: it reaches from 1677 to 2262 only.
    constexpr auto first = floor<seconds>(system_clock::time_point::min()) + 1s;
    constexpr auto last = floor<seconds>(system_clock::time_point::max()) - 1s;
    if (!time || time->seconds < first || time->seconds > last) {
        return std::nullopt;
    }
    return time_point_cast<system_clock::duration>(time->seconds) +
           duration_cast<system_clock::duration>(time->fraction);
}

}  // namespace chat
