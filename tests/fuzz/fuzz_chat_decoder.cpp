// libFuzzer target for the chat decoder: whatever bytes arrive, decode() must neither
// crash nor read outside them, must agree with itself when the same bytes come split,
// and the header and name rules must hold for any input.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "files.hpp"
#include "protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    chat::Limits limits;
    if (size > 0) {
        limits.max_content = data[0] * 97u;  // small limits too, from the input itself
    }
    // Decode message after message, as a server's receive loop does.
    std::string_view rest = bytes;
    for (;;) {
        chat::Decoded whole = chat::decode(rest, limits);
        // Any prefix of the buffer must say "incomplete" or the same verdict, never more.
        std::size_t cut = size ? data[size / 2] % (rest.size() + 1) : 0;
        chat::Decoded part = chat::decode(rest.substr(0, cut), limits);
        if (part.status == chat::Status::complete &&
            (whole.status != chat::Status::complete || part.size != whole.size)) {
            std::abort();
        }
        if (part.status != chat::Status::incomplete && part.status != whole.status) {
            std::abort();
        }
        if (whole.status != chat::Status::complete) {
            break;
        }
        if (whole.size > rest.size() || whole.header.size() > limits.max_header ||
            whole.content.size() > limits.max_content) {
            std::abort();
        }
        // The rules on what a message carries: no input may crash them.
        auto header = chat::parse_client_header(whole.descriptor.type, whole.header);
        if (header.error.empty()) {
            chat::to_json(header.header);
            // A relayed file name is a base name, never a path or a dot name.
            if (header.header.filename &&
                (header.header.filename->empty() || *header.header.filename == "." ||
                 *header.header.filename == ".." ||
                 header.header.filename->find_first_of("/\\") != std::string::npos)) {
                std::abort();
            }
        }
        // What the server relays as a file name never needs a JSON escape.
        auto relayed = chat::relayed_filename(whole.descriptor.type, header.header.filename,
                                              std::chrono::system_clock::time_point{});
        if (relayed && (relayed->find_first_of("\"\\") != std::string::npos ||
                        chat::to_json(chat::ServerHeader{"a", "t", relayed, {}, {}}).find('\\') !=
                            std::string::npos)) {
            std::abort();
        }
        if (auto name = chat::login_username(whole.header)) {
            chat::check_username(*name);
        }
        if (!sanitize_filename(whole.content).empty() &&
            sanitize_filename(whole.content).find('/') != std::string::npos) {
            std::abort();
        }
        chat::is_valid_utf8(whole.content);
        // Re-encoding gives back the same bytes (reserved aside, which we send as 0).
        std::string again = chat::encode(whole.descriptor.type, whole.header, whole.content);
        if (again.substr(8) != rest.substr(8, whole.size - 8) ||
            again.substr(0, 4) != rest.substr(0, 4)) {
            std::abort();
        }
        rest.remove_prefix(whole.size);
    }
    return 0;
}
