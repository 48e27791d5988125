#include "room.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "course/logging.hpp"
#include "session.hpp"

// [v5 step 2] Write join (Login events both ways), leave (Logout events), find and relay.
// [starter] bool Room::join(const std::shared_ptr<Session>& session) {
// [starter]     session->deliver(chat::make_message(chat::MessageType::Login));  // only the answer
// [starter]     return true;
// [starter] }
// [starter] void Room::leave(Session&, bool) {}
// [starter] Session* Room::find(std::string_view) const { return nullptr; }
// [starter] void Room::relay(const Outgoing&, Session&, Session*) {}
bool Room::join(const std::shared_ptr<Session>& session) {
    const std::string& name = session->username();
    if (by_name_.contains(name)) {
        return false;  // the Rust original replaced the logged-in user here
    }
    static const Outgoing welcome = chat::make_message(chat::MessageType::Login);
    session->deliver(welcome);
    for (const auto& member : members_) {
        session->deliver(member.joined);
    }
    Outgoing joined = chat::make_event(chat::MessageType::Login, name);
    for (const auto& member : members_) {
        member.session->deliver(joined);
    }
    members_.push_back({session, joined});
    by_name_.emplace(name, session.get());
    spdlog::info("{} joined ({} online)", course::printable(name), members_.size());
    return true;
}

void Room::leave(Session& session, bool announce) {
    auto it = std::find_if(members_.begin(), members_.end(),
                           [&](const Member& m) { return m.session.get() == &session; });
    if (it == members_.end()) {
        return;  // never logged in
    }
    auto keep_alive = it->session;  // erase() would otherwise destroy what we still read
    members_.erase(it);
    by_name_.erase(session.username());
    if (announce) {
        Outgoing left = chat::make_event(chat::MessageType::Logout, session.username());
        for (const auto& member : members_) {
            member.session->deliver(left);
        }
    }
    spdlog::info("{} left ({} online)", course::printable(session.username()), members_.size());
}

Session* Room::find(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? nullptr : it->second;
}

void Room::relay(const Outgoing& message, Session& sender, Session* to) {
    if (to) {
        to->deliver(message);
        if (to != &sender) {
            sender.deliver(message);
        }
        return;
    }
    // The hot loop of the fan-out: one pointer copy and one queue push per recipient.
    for (const auto& member : members_) {
        member.session->deliver(message);
    }
}
// [/v5 step 2]
