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

using chat::Outgoing;  // one message, built once and shared by every recipient's queue

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
