#include "seed_client.hpp"

namespace course::test {

std::string seed_frame(std::uint16_t type, std::string_view header, std::string_view content) {
    return frame(type, header, content, /*reserved: stack garbage*/ 0x7ffd5a3c);
}

std::optional<std::string> seed_rejects(std::string_view header, SeedMessage& out) {
    // serde_json with &str fields: a string that needs unescaping cannot be borrowed.
    if (header.find('\\') != std::string_view::npos) {
        return "a JSON escape in the header (the seed reads strings as borrowed slices)";
    }
    auto json = nlohmann::json::parse(header, nullptr, false);
    if (!json.is_object()) {
        return "the header is not a JSON object";
    }
    auto text = [&](const char* key) -> std::optional<std::string> {
        auto it = json.find(key);
        if (it == json.end() || !it->is_string())
            return std::nullopt;
        return it->get<std::string>();
    };
    auto from = text("from");
    auto timestamp = text("timestamp");
    if (!from || !timestamp) {
        return "no string \"from\" and \"timestamp\" (the seed's Header needs both)";
    }
    // chrono's DateTime<Utc>: "YYYY-MM-DDTHH:MM:SS", an optional fraction, "Z".
    std::string_view t = *timestamp;
    bool shape =
        t.size() >= 20 && matches_digits(t.substr(0, 19), "dddd-dd-ddTdd:dd:dd") && t.back() == 'Z';
    if (shape && t.size() > 20) {
        std::string_view fraction = t.substr(19, t.size() - 20);
        shape = fraction.size() >= 2 && fraction[0] == '.' &&
                matches_digits(fraction.substr(1), std::string(fraction.size() - 1, 'd'));
    }
    if (!shape) {
        return "the timestamp is not RFC 3339 UTC: " + *timestamp;
    }
    out.from = *from;
    out.timestamp = *timestamp;
    out.filename = text("filename");
    return std::nullopt;
}

testing::AssertionResult SeedClient::login(std::string_view name) {
    if (auto sent = peer_.send(seed_frame(kLogin, name, {})); !sent) {
        return sent;
    }
    auto answer = peer_.next();
    if (!answer || answer->type != kLogin || !answer->header.empty()) {
        return testing::AssertionFailure()
               << peer_.label() << " the seed's login expects a bare Login descriptor, got "
               << (answer ? answer->describe() : "nothing");
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult SeedClient::say(std::string_view text) {
    return peer_.send(seed_frame(kUtf8, {}, text));
}

testing::AssertionResult SeedClient::send_file(std::string_view name, std::string_view bytes) {
    return peer_.send(seed_frame(kFile, name, bytes));
}

testing::AssertionResult SeedClient::read(SeedMessage& out, std::chrono::milliseconds deadline) {
    auto message = peer_.next(deadline);
    if (!message) {
        return testing::AssertionFailure() << peer_.label() << " expected a message, got "
                                           << (peer_.closed() ? "a close" : "nothing");
    }
    out = SeedMessage{};
    out.type = message->type;
    out.content = message->content;
    if (auto why = seed_rejects(message->header, out)) {
        return testing::AssertionFailure() << peer_.label() << " the seed's reader dies on "
                                           << message->describe() << ": " << *why;
    }
    if (out.filename && (out.filename->find_first_of("/\\") != std::string::npos ||
                         *out.filename == "." || *out.filename == ".." || out.filename->empty())) {
        return testing::AssertionFailure()
               << peer_.label() << " the seed joins this file name to its directory unchecked: "
               << escape(*out.filename);
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult SeedClient::expect(std::uint16_t type, std::string_view from,
                                            SeedMessage* out) {
    SeedMessage message;
    if (auto got = read(message); !got) {
        return got;
    }
    if (message.type != type || message.from != from) {
        return testing::AssertionFailure()
               << peer_.label() << " expected type " << type << " from " << escape(from)
               << ", got type " << message.type << " from " << escape(message.from);
    }
    if (out)
        *out = message;
    return testing::AssertionSuccess();
}

}  // namespace course::test
