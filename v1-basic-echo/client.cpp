// v1-client: sends its arguments as one line, prints the reply, exits.
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "course/cli.hpp"
#include "socket.hpp"

int main(int argc, char** argv) {
    course::Address address{"127.0.0.1", 7878};
    std::vector<std::string> words;
    CLI::App app{"v1-client: send MESSAGE to a v1 server and print its reply"};
    course::add_address_option(app, address, "server to connect to");
    app.add_option("MESSAGE", words, "words to send, joined by spaces")->required();
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }

    std::string message;
    for (const auto& word : words) {
        message += (message.empty() ? "" : " ") + word;
    }
    message += "\n";

    try {
        // [v1 step 4] Connect, send the message, half-close, print the reply until EOF.
        Socket server = Socket::connect_to(address);
        server.write_all(message);
        server.shutdown_send();  // nothing more from us; the server still answers
        char buffer[1024];
        while (std::size_t n = server.read_some(buffer)) {  // until the server closes
            std::cout.write(buffer, static_cast<std::streamsize>(n));
        }
        std::cout.flush();
        // [/v1 step 4]
    } catch (const std::system_error& error) {
        std::cerr << "v1-client: " << error.what() << "\n";
        return 1;
    }
}
