// v5-chat-client: log in, then type to chat. One io_context thread does all the network
// work; a plain thread reads stdin (epoll cannot watch a regular file, and a terminal or a
// pipe are just as easy this way) and posts each line to it.
#include <unistd.h>

#include <asio.hpp>
#include <csignal>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "course/cli.hpp"
#include "course/stdio.hpp"
#include "course/timeout.hpp"
#include "files.hpp"
#include "protocol.hpp"

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using chat::MessageType;

struct Options {
    course::Address address{"127.0.0.1", 8080};
    std::string username;
    // A folder of its own, never the working directory: what strangers send must not land
    // beside your own files (a `Makefile`, a script you are about to run).
    std::string save_directory = "received";
    std::uint64_t max_content = chat::default_max_content;
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // for the login answer
};

// The header size is a 16-bit field: what does not fit is refused, never cut short (a cut
// size would make the server read our content as the rest of the header).
constexpr std::size_t max_header_bytes = 65535;
// Content is held in memory whole; a gibibyte is plenty for a chat.
constexpr std::uint64_t max_content_limit = std::uint64_t{1} << 30;

struct Message {
    chat::Descriptor descriptor;
    std::string header;
    std::string content;
    bool dropped = false;  // content over --max-content: read and thrown away, never kept
    MessageType type() const { return static_cast<MessageType>(descriptor.type); }
};

// "[12:00:00]" in local time, from the server's RFC 3339 timestamp. A timestamp that is
// missing or does not parse (a year past 9999, say) shows the time it arrived instead.
static std::string clock_of(std::string_view timestamp) {
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto when = chat::parse_timestamp_seconds(timestamp).value_or(now);
    // Whole seconds in a 64-bit time_t: every year from 0000 to 9999 fits.
    std::time_t seconds = when.time_since_epoch().count();
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[16];
    std::strftime(text, sizeof text, "[%H:%M:%S]", &local);
    return text;
}

// What others send is shown, never obeyed: control characters (a terminal escape, say)
// become '?'.
static std::string printable(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        bool c1 = c == 0xc2 && i + 1 < text.size() &&
                  static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                  static_cast<unsigned char>(text[i + 1]) <= 0x9f;
        if (c < 0x20 || c == 0x7f || c1) {
            out += '?';
            i += c1 ? 1 : 0;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// Names (users, files) are shown, never obeyed, and never disguised: a control character
// or a format character (U+202E turns "fdp.exe" into what reads as "exe.pdf") is shown as
// its code, `\u202e`, and a byte that is not UTF-8 as `\xff`.
static std::string visible(std::string_view name) {
    std::string out;
    char code[16];
    for (std::size_t pos = 0; pos < name.size();) {
        std::size_t start = pos;
        auto cp = chat::next_code_point(name, pos);
        if (!cp) {
            std::snprintf(code, sizeof code, "\\x%02x", static_cast<unsigned char>(name[pos++]));
            out += code;
        } else if (*cp < 0x20 || (*cp >= 0x7f && *cp <= 0x9f) || chat::is_format_character(*cp)) {
            std::snprintf(code, sizeof code, "\\u%04x", static_cast<unsigned>(*cp));
            out += code;
        } else {
            out.append(name.substr(start, pos - start));
        }
    }
    return out;
}

static void print(const std::string& line) {
    std::cout << line << std::endl;  // endl: flushed, also into a pipe
}

class Client {
public:
    Client(asio::io_context& io, Options options)
        : socket_(io), wake_(io), goodbye_(io), answer_deadline_(io), options_(std::move(options)) {
        wake_.expires_at(asio::steady_timer::time_point::max());
    }

    awaitable<int> run();

    // Called (on the io_context) for each stdin line, and once at the end of stdin.
    void on_input(std::optional<std::string> line) {
        input_.push_back(std::move(line));
        if (logged_in_) {
            process_input();
        }
    }

private:
    awaitable<bool> log_in();
    void start_answer_deadline();
    awaitable<Message> read_message();
    awaitable<void> skip(std::uint64_t bytes);
    awaitable<void> writer();
    void process_input();
    void handle_command(const std::string& line);
    void send(MessageType type, const std::string& header, std::string_view content);
    void send_file(MessageType type, const std::string& path, std::optional<std::string> to);
    void quit();
    void show(const Message& message);
    void save(const Message& message, const chat::ServerHeader& header, const std::string& prefix);

    tcp::socket socket_;
    asio::steady_timer wake_;     // wakes the writer
    asio::steady_timer goodbye_;  // after our Logout: how long we wait for the server's close
    asio::steady_timer answer_deadline_;  // --timeout: connecting and the login answer
    bool answer_timed_out_ = false;
    Options options_;
    bool logged_in_ = false;
    bool quitting_ = false;
    bool writer_idle_ = false;
    std::deque<std::optional<std::string>> input_;  // lines typed before the login was done
    std::deque<std::string> outgoing_;
};

awaitable<Message> Client::read_message() {
    char descriptor[chat::descriptor_size];
    co_await asio::async_read(socket_, asio::buffer(descriptor), use_awaitable);
    Message message;
    message.descriptor = chat::decode_descriptor(descriptor);
    // The server's limits protect the server; ours protect us from a server gone wrong.
    if (message.descriptor.header_size > chat::max_server_header_size) {
        throw std::runtime_error("the server sent a message over our limits");
    }
    message.header.resize(message.descriptor.header_size);
    // Content over --max-content is read past in small pieces, never held: nobody can fill
    // our memory or our disk with it. The connection goes on.
    if (message.descriptor.content_size > options_.max_content) {
        co_await asio::async_read(socket_, asio::buffer(message.header), use_awaitable);
        co_await skip(message.descriptor.content_size);
        message.dropped = true;
        co_return message;
    }
    message.content.resize(message.descriptor.content_size);
    std::array<asio::mutable_buffer, 2> parts{asio::buffer(message.header),
                                              asio::buffer(message.content)};
    co_await asio::async_read(socket_, parts, use_awaitable);
    co_return message;
}

awaitable<void> Client::skip(std::uint64_t bytes) {
    std::array<char, 64 * 1024> scratch;
    while (bytes > 0) {
        std::size_t piece = std::min<std::uint64_t>(bytes, scratch.size());
        bytes -=
            co_await asio::async_read(socket_, asio::buffer(scratch.data(), piece), use_awaitable);
    }
}

// A server that accepts and never answers must not keep us waiting for ever: past
// --timeout the socket is closed, and the pending connect or read fails.
void Client::start_answer_deadline() {
    answer_deadline_.expires_after(options_.timeout);
    answer_deadline_.async_wait([this](asio::error_code error) {
        if (!error && !logged_in_) {  // not if the answer won the race
            answer_timed_out_ = true;
            asio::error_code ignored;
            socket_.close(ignored);
        }
    });
}

// Connects and logs in. False (after saying why on stderr) when that failed.
awaitable<bool> Client::log_in() {
    const char* program = "v5-chat-client";
    std::ostringstream seconds;  // "30", "0.5"
    seconds << std::chrono::duration<double>(options_.timeout).count();
    std::string no_answer = "no answer within " + seconds.str() + " s";
    start_answer_deadline();
    try {
        tcp::endpoint server(asio::ip::make_address(options_.address.host), options_.address.port);
        co_await socket_.async_connect(server, use_awaitable);
    } catch (const std::system_error& error) {
        std::cerr << program << ": cannot connect to " << options_.address.to_string() << ": "
                  << (answer_timed_out_ ? no_answer : error.code().message()) << "\n";
        co_return false;
    }
    try {
        // The bare name, as the seed's client sends it: both servers understand that.
        std::string login = chat::encode(MessageType::Login, options_.username);
        co_await asio::async_write(socket_, asio::buffer(login), use_awaitable);
        Message answer = co_await read_message();
        answer_deadline_.cancel();
        if (answer.type() != MessageType::Login) {
            std::string why =
                answer.type() == MessageType::UsernameExists ? "the username is taken"
                : answer.type() == MessageType::BadUsername
                    ? "the server does not accept this username"
                    : "the server answered " + chat::type_name(answer.descriptor.type);
            std::cerr << program << ": login as '" << visible(options_.username)
                      << "' failed: " << why << "\n";
            co_return false;
        }
    } catch (const std::exception& error) {
        std::cerr << program << ": login failed: "
                  << (answer_timed_out_ ? no_answer : std::string(error.what())) << "\n";
        co_return false;
    }
    co_return true;
}

awaitable<int> Client::run() {
    const char* program = "v5-chat-client";
    if (!co_await log_in()) {
        co_return 1;
    }
    print(clock_of("") + " * logged in as " + visible(options_.username));
    logged_in_ = true;
    asio::co_spawn(socket_.get_executor(), writer(), asio::detached);
    process_input();  // what was typed while we logged in

    int status = 0;
    try {
        for (;;) {
            show(co_await read_message());
        }
    } catch (const std::system_error& error) {
        if (quitting_) {
            // After our Logout any end is the end we asked for.
        } else if (error.code() == asio::error::eof) {
            // The server closed in order (a stop, say: its Error was shown above). Like the
            // echo clients, an orderly close by the server is a normal end.
            std::cerr << program << ": the server closed the connection\n";
        } else {
            std::cerr << program << ": connection lost: " << error.code().message() << "\n";
            status = 1;
        }
    } catch (const std::exception& error) {
        std::cerr << program << ": " << error.what() << "\n";
        status = 1;
    }
    asio::error_code ignored;
    socket_.close(ignored);
    wake_.cancel();
    co_return status;
}

awaitable<void> Client::writer() {
    try {
        while (socket_.is_open()) {
            if (outgoing_.empty()) {
                writer_idle_ = true;
                asio::error_code cancelled;
                co_await wake_.async_wait(asio::redirect_error(use_awaitable, cancelled));
                writer_idle_ = false;
                continue;
            }
            co_await asio::async_write(socket_, asio::buffer(outgoing_.front()), use_awaitable);
            outgoing_.pop_front();
        }
    } catch (const std::system_error&) {
        // the reader sees the same failure and reports it
    }
}

// Queues one message for the writer, unless the protocol cannot carry it: a header over
// its 16-bit size field, or content the server would refuse (and close on).
void Client::send(MessageType type, const std::string& header, std::string_view content) {
    if (header.size() > max_header_bytes) {
        std::cerr << "not sent: its header would be " << header.size() << " bytes, over the "
                  << max_header_bytes << " a header can have (a name too long?)\n";
        return;
    }
    if (content.size() > options_.max_content) {
        std::cerr << "not sent: " << content.size() << " bytes, over the limit of "
                  << options_.max_content << " (--max-content)\n";
        return;
    }
    outgoing_.push_back(chat::encode(type, header, content));
    if (writer_idle_) {
        wake_.cancel();
    }
}

void Client::quit() {
    if (!quitting_) {
        quitting_ = true;
        send(MessageType::Logout, "", {});
        // Our server closes after a Logout; the seed's never does. Either way we are gone
        // within a second: then we close, and the reader ends.
        goodbye_.expires_after(std::chrono::seconds(1));
        goodbye_.async_wait([this](asio::error_code error) {
            if (!error) {
                asio::error_code ignored;
                socket_.close(ignored);
            }
        });
    }
}

void Client::process_input() {
    while (!input_.empty()) {
        auto line = std::move(input_.front());
        input_.pop_front();
        if (quitting_) {
            continue;
        }
        if (!line) {
            quit();  // end of stdin: Logout, and wait for the server to close
        } else if (line->starts_with("/")) {
            handle_command(*line);
        } else if (!line->empty()) {
            send(MessageType::Utf8, "", *line);
        }
    }
}

void Client::handle_command(const std::string& line) {
    auto space = line.find(' ');
    std::string command = line.substr(0, space);
    std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (command == "/quit") {
        quit();
    } else if (command == "/msg") {
        auto gap = rest.find(' ');
        if (gap == std::string::npos || gap == 0) {
            std::cerr << "usage: /msg USER TEXT\n";
            return;
        }
        send(MessageType::Utf8, chat::to_json(chat::ClientHeader{rest.substr(0, gap), {}}),
             rest.substr(gap + 1));
    } else if (command == "/file" || command == "/image" || command == "/voice") {
        MessageType type = command == "/file"    ? MessageType::File
                           : command == "/image" ? MessageType::Image
                                                 : MessageType::Voice;
        // "/file PATH [USER]": a path with spaces works when it names an existing file.
        auto gap = rest.rfind(' ');
        std::error_code ignored;
        if (rest.empty()) {
            std::cerr << "usage: " << command << " PATH [USER]\n";
        } else if (std::filesystem::exists(rest, ignored) || gap == std::string::npos) {
            send_file(type, rest, std::nullopt);
        } else {
            send_file(type, rest.substr(0, gap), rest.substr(gap + 1));
        }
    } else {
        std::cerr << "unknown command " << command << " (try /msg, /file, /image, /voice, /quit)\n";
    }
}

void Client::send_file(MessageType type, const std::string& path, std::optional<std::string> to) {
    std::ifstream file(path, std::ios::binary);
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    if (!file || error) {
        std::cerr << "cannot read " << path << "\n";
        return;
    }
    if (size > options_.max_content) {
        std::cerr << path << " is " << size << " bytes, over the limit of " << options_.max_content
                  << "\n";
        return;
    }
    std::string content(size, '\0');
    file.read(content.data(), static_cast<std::streamsize>(size));
    std::string name = std::filesystem::path(path).filename().string();
    send(type, chat::file_header(type, to, name), content);
}

void Client::show(const Message& message) {
    // [v5 step 5] Show joins, leaves, errors and text as "[12:00:00] alice: hi"; save() the files.
    // [starter] print(printable(message.content));  // the bare content: no time, no name
    auto header = chat::parse_server_header(message.header).value_or(chat::ServerHeader{});
    std::string when = clock_of(header.timestamp);
    std::string who = visible(header.from);
    if (header.to) {
        who += " -> " + visible(*header.to) + " (private)";
    }
    std::string too_big = " dropped: " + std::to_string(message.descriptor.content_size) +
                          " bytes, over the limit of " + std::to_string(options_.max_content) +
                          " (--max-content)";
    switch (message.type()) {
        case MessageType::Login: print(when + " * " + who + " joined"); return;
        case MessageType::Logout: print(when + " * " + who + " left"); return;
        case MessageType::Error:
            print(when + " error: " + printable(header.error.value_or("?")));
            return;
        case MessageType::Utf8:
            print(when + " " + who + ":" +
                  (message.dropped ? " a message" + too_big : " " + printable(message.content)));
            return;
        case MessageType::File:
        case MessageType::Image:
        case MessageType::Voice: save(message, header, when + " " + who + ": "); return;
        default:
            std::cerr << "unexpected " << chat::type_name(message.descriptor.type) << " message\n";
            return;
    }
    // [/v5 step 5]
}

// A File, Image or Voice from someone else: saved under --save-directory (created when
// missing), by its cleaned name, never over an existing file; over --max-content, never.
void Client::save(const Message& message, const chat::ServerHeader& header,
                  const std::string& prefix) {
    std::string kind = message.type() == MessageType::File    ? "file"
                       : message.type() == MessageType::Image ? "image"
                                                              : "voice";
    std::string name = sanitize_filename(header.filename.value_or(""));
    if (name.empty()) {
        name = fallback_filename(message.descriptor.type, header.timestamp);
    }
    // The name as it came, made visible, so a disguised one shows what it is.
    std::string shown =
        header.filename && !header.filename->empty() ? visible(*header.filename) : name;
    std::string what = prefix + kind + " " + shown + " (" +
                       std::to_string(message.descriptor.content_size) + " bytes)";
    if (header.from == options_.username) {
        print(what + " sent");  // our own, back from the server: we have it already
        return;
    }
    if (message.dropped) {
        print(what + " not saved: over the limit of " + std::to_string(options_.max_content) +
              " bytes (--max-content)");
        return;
    }
    std::error_code error;
    std::filesystem::create_directories(options_.save_directory, error);
    if (error) {
        print(what + " not saved: cannot create " + options_.save_directory + ": " +
              error.message());
        return;
    }
    SavedFile saved = save_new_file(options_.save_directory, name, message.content);
    print(what + (saved.error.empty() ? " saved to " + saved.path : " not saved: " + saved.error));
}

// The save folder is never the working directory itself: there a received `Makefile` or
// `.envrc` would sit among your own files, waiting to be run.
static bool is_working_directory(const std::string& directory) {
    std::error_code error;
    return directory.empty() || std::filesystem::equivalent(directory, ".", error);
}

int main(int argc, char** argv) {
    course::open_missing_standard_descriptors();  // a closed stdin reads as end of input
    // Past a file-size limit, write() then fails with EFBIG (and the file is removed)
    // instead of the signal killing us.
    std::signal(SIGXFSZ, SIG_IGN);
    Options options;
    CLI::App app{"v5-chat-client: chat over the binary protocol of seed 001"};
    course::add_address_option(app, options.address, "server to connect to");
    app.add_option("--username", options.username, "your name in the room")->required();
    app.add_option("--save-directory,--save_directory", options.save_directory,
                   "where received files are saved")
        ->capture_default_str();
    course::add_number_option(app, "--max-content", options.max_content, 0, max_content_limit,
                              "largest content sent or accepted (bytes; larger is dropped)");
    course::add_timeout_option(app, "--timeout", options.timeout,
                               "how long to wait for the server's answer to our login");
    app.footer(
        "Type a line to send it to everyone. Commands: /msg USER TEXT, /file PATH [USER],\n"
        "/image PATH [USER], /voice PATH [USER], /quit. End of input logs out.");
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }
    if (options.username.size() > max_header_bytes) {
        std::cerr << "v5-chat-client: --username is " << options.username.size()
                  << " bytes, over the " << max_header_bytes << " a header can have\n";
        return 2;
    }
    if (is_working_directory(options.save_directory)) {
        std::cerr << "v5-chat-client: --save-directory must be a folder of its own, not the "
                     "working directory\n";
        return 2;
    }

    asio::io_context io(1);
    Client client(io, options);
    int status = 1;
    asio::co_spawn(io, client.run(), [&](std::exception_ptr error, int result) {
        status = error ? 1 : result;
        io.stop();
    });
    // stdin, line by line, handed over to the io_context thread.
    std::thread([&io, &client] {
        std::string pending;
        char chunk[4096];
        ssize_t n;
        while ((n = ::read(STDIN_FILENO, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)) {
            pending.append(chunk, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
            for (auto newline = pending.find('\n'); newline != std::string::npos;
                 newline = pending.find('\n')) {
                std::string line = pending.substr(0, newline);
                pending.erase(0, newline + 1);
                if (line.ends_with('\r')) {
                    line.pop_back();
                }
                asio::post(io, [&client, line] { client.on_input(line); });
            }
        }
        if (!pending.empty()) {
            asio::post(io, [&client, pending] { client.on_input(pending); });
        }
        asio::post(io, [&client] { client.on_input(std::nullopt); });
    }).detach();
    io.run();
    // The stdin thread may still be blocked in read(); nothing is torn down under it: we end
    // the process here, with our output flushed.
    std::cout.flush();
    std::_Exit(status);
}
