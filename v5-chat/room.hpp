// The room: who is logged in, in which order, and the one place where messages fan out.
//
// Everything here runs on the server's single io_context thread, so the room needs no
// mutex: the order in which relay() is called is the order every recipient sees.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol.hpp"

// One message as it goes out on the wire: descriptor, server header and content in one
// block, built once and then shared, read-only, by every recipient's queue. A fan-out to
// 100 users copies a pointer 100 times, never the bytes.
struct WireMessage {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
};
using Outgoing = std::shared_ptr<const WireMessage>;

// A bare descriptor (the answers to a Login), a message with a server header and no
// content (Login and Logout events, Error), or a whole message.
Outgoing make_message(chat::MessageType type, std::string_view header = {},
                      std::string_view content = {});

class Session;

class Room {
public:
    // Logs the session in under session->username(). Answers Login, sends the newcomer a
    // Login event for everyone already here (oldest first) and everyone else a Login event
    // for the newcomer. Returns false, and changes nothing, when the name is taken.
    bool join(const std::shared_ptr<Session>& session);
    // Takes the session out; everyone else gets a Logout event, unless `announce` is false
    // (a server that stops sends no Logout events). No-op if not logged in.
    void leave(Session& session, bool announce = true);
    // The logged-in user called `name`, or nullptr.
    Session* find(std::string_view name) const;
    // To everyone (to == nullptr), or to `to` and the sender.
    void relay(const Outgoing& message, Session& sender, Session* to);

    std::size_t size() const { return members_.size(); }

private:
    struct Member {
        std::shared_ptr<Session> session;
        Outgoing joined;  // this member's Login event, built once and replayed to newcomers
    };
    std::vector<Member> members_;  // in login order: oldest first
    std::unordered_map<std::string, Session*> by_name_;
};
