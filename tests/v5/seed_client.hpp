// The seed's own chat client (seed 001, optizone/tcp-chat), as exact bytes: what it sends
// and how it reads, so that tests can check our server and our client against it without
// Rust or Python. Facts from building and running the original (see docs/protocol.md,
// "What the original does"):
//   - the descriptor is the raw memory of a repr(C) struct: its reserved bytes are whatever
//     was in memory (here: garbage, never 0);
//   - Login's header is the bare username, File's the bare file name, as raw UTF-8 bytes;
//     Utf8 has no header; nothing is JSON;
//   - it parses every server header as JSON and needs "from" and "timestamp"; it reads
//     strings as borrowed slices, so any escape in a string (\" \\ \u00e9 ...) kills its
//     reader;
//   - it joins the relayed file name to its save directory unchecked.
#pragma once

#include <optional>
#include <string>

#include "chat_peer.hpp"

namespace course::test {

// A message framed the seed's way: garbage in the reserved bytes.
std::string seed_frame(std::uint16_t type, std::string_view header, std::string_view content);

// A message as the seed's client takes it in.
struct SeedMessage {
    std::uint16_t type = 0;
    std::string from;
    std::string timestamp;
    std::optional<std::string> filename;
    std::string content;
};

class SeedClient {
public:
    SeedClient(Server& server, std::string name) : peer_(server, std::move(name)) {}
    ChatPeer& peer() { return peer_; }

    // Login with the bare name; the answer is read as the seed does: a bare descriptor.
    testing::AssertionResult login(std::string_view name);
    testing::AssertionResult login() { return login(peer_.name()); }
    testing::AssertionResult say(std::string_view text);  // Utf8, no header
    testing::AssertionResult send_file(std::string_view name, std::string_view bytes);

    // The next message, read and parsed as the seed's client does; a failure says why the
    // seed's reader would have died on it.
    testing::AssertionResult read(SeedMessage& out, std::chrono::milliseconds deadline = 5s);
    // read() and check its type and sender.
    testing::AssertionResult expect(std::uint16_t type, std::string_view from,
                                    SeedMessage* out = nullptr);

private:
    ChatPeer peer_;
};

// Whether the seed's reader takes `header`: a JSON object, strings without escapes, with
// string "from" and "timestamp"; and the timestamp RFC 3339. Why not, otherwise.
std::optional<std::string> seed_rejects(std::string_view header, SeedMessage& out);

}  // namespace course::test
