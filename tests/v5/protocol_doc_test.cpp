// docs/protocol.md shows a hexdump of a real login and message exchange. This test runs
// that exchange against the server and compares every byte, the timestamp's digits aside,
// so the reference cannot drift from the wire. COURSE_PRINT_HEXDUMP=1 prints fresh dumps.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "chat_peer.hpp"

namespace course::test {
namespace {

// hexdump -C style: "00000000  01 00 0e 00 ...  |..............|"
std::string hexdump(std::string_view bytes) {
    std::string out;
    for (std::size_t row = 0; row < bytes.size(); row += 16) {
        char line[100];
        std::snprintf(line, sizeof line, "%08zx ", row);
        out += line;
        std::string ascii;
        for (std::size_t i = row; i < row + 16; ++i) {
            if (i % 8 == 0)
                out += ' ';
            if (i < bytes.size()) {
                auto c = static_cast<unsigned char>(bytes[i]);
                std::snprintf(line, sizeof line, "%02x ", c);
                out += line;
                ascii += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
            } else {
                out += "   ";
            }
        }
        out += " |" + ascii + "|\n";
    }
    return out;
}

// The bytes of the block after `<!-- hexdump: NAME -->` in docs/protocol.md.
std::string bytes_in_doc(const std::string& name) {
    std::ifstream doc(source_dir() + "/docs/protocol.md");
    std::string line;
    while (std::getline(doc, line) && line != "<!-- hexdump: " + name + " -->") {
    }
    std::getline(doc, line);  // the opening fence
    std::string bytes;
    while (std::getline(doc, line) && !line.starts_with("```")) {
        if (line.size() <= 10)
            continue;  // hexdump -C ends with a line of just the length
        auto bar = line.find('|');
        std::istringstream hex(
            line.substr(9, bar == std::string::npos ? std::string::npos : bar - 9));
        std::string byte;
        while (hex >> byte)
            bytes += static_cast<char>(std::stoi(byte, nullptr, 16));
    }
    return bytes;
}

TEST(ChatProtocolDoc, HexdumpIsTheRealExchange) {
    auto server = Server::start(stage("v5"));
    ChatPeer alice(*server, "alice");
    std::string sent = frame(kLogin, "alice") + frame(kUtf8, "", "hello");  // as our client
    ASSERT_TRUE(alice.send(sent));
    ChatMessage answer, echo;
    ASSERT_TRUE(alice.expect(kLogin, &answer));
    ASSERT_TRUE(alice.expect_from(kUtf8, "alice", &echo));
    std::string received = frame(answer.type, answer.header, answer.content) +
                           frame(echo.type, echo.header, echo.content);
    if (std::getenv("COURSE_PRINT_HEXDUMP")) {
        std::printf("client to server:\n%s\nserver to client:\n%s", hexdump(sent).c_str(),
                    hexdump(received).c_str());
    }
    EXPECT_EQ(bytes_in_doc("client to server"), sent) << "docs/protocol.md should show:\n"
                                                      << hexdump(sent);
    EXPECT_EQ(without_timestamps(bytes_in_doc("server to client")), without_timestamps(received))
        << "docs/protocol.md should show:\n"
        << hexdump(received);
}

}  // namespace
}  // namespace course::test
