#include "concurrency.hpp"

#include "harness.hpp"

namespace course::test {

testing::AssertionResult serves_clients_concurrently(const Stage& stage) {
    auto server = Server::start(stage);
    auto first = server->connect("first");
    if (auto sent = first.send("first\n"); !sent) {
        return sent;
    }
    if (auto answered = first.expect_line("first"); !answered) {
        return answered;
    }
    // `first` stays connected, and says nothing more: a one-at-a-time server is now busy.
    auto second = server->connect("second");
    if (auto sent = second.send("second\n"); !sent) {
        return sent;
    }
    if (auto answered = second.expect_line("second", 2s); !answered) {
        return testing::AssertionFailure()
               << "[" << stage.id << "] a second client got no echo within "
               << seconds_text(deadline_scale(2s))
               << " while the first stayed connected: the server does not serve clients "
               << "concurrently.\n"
               << answered.message();
    }
    // And the first one is still being served, too.
    if (auto sent = first.send("still here\n"); !sent) {
        return sent;
    }
    return first.expect_line("still here", 2s);
}

}  // namespace course::test
