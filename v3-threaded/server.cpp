#include "server.hpp"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <system_error>
#include <thread>

#include "clients.hpp"
#include "console.hpp"
#include "session.hpp"
#include "shared_stream.hpp"
#include "thread_pool.hpp"

namespace {

// Connections accepted but not yet served, at most: past that the accept loop pauses.
constexpr std::size_t kMaxWaiting = 256;
// How long the stop waits for each worker to finish the line it is answering.
constexpr auto kStopGrace = std::chrono::seconds(1);

// [v3 step 4] A thread that waits for SIGINT or SIGTERM with sigwait(), then calls on_stop.
// [starter] class StopSignal {
// [starter] public:
// [starter]     explicit StopSignal(std::function<void()>) {}
// [starter] };
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

// Waits for SIGINT or SIGTERM in a thread of its own, then calls `on_stop` there. That
// thread is an ordinary thread: unlike a signal handler, it may lock mutexes, log, and
// call anything. The destructor joins it; if no signal ever came (the server failed), it
// sends the thread the signal it waits for, so the stop runs all the same.
class StopSignal {
public:
    explicit StopSignal(std::function<void()> on_stop)
        : thread_([on_stop = std::move(on_stop), this] {
              sigset_t set = stop_signals();
              int signal_number = 0;
              sigwait(&set, &signal_number);
              received_ = true;
              spdlog::info("{}: stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
              on_stop();
          }) {}
    ~StopSignal() {
        if (!received_) {
            pthread_kill(thread_.native_handle(), SIGTERM);
        }
        thread_.join();
    }

private:
    std::atomic<bool> received_ = false;
    std::thread thread_;
};
// [/v3 step 4]

// One job of the pool: serve one client from start to end.
void serve(Clients& clients, const std::shared_ptr<SharedStream>& client) {
    std::string peer = client->peer_name();
    if (!clients.add(client)) {
        return;  // the server is stopping: this waiting client is closed, unserved
    }
    spdlog::info("{} served", peer);
    try {
        Session(*client).run();
        spdlog::info("{} done", peer);
    } catch (const std::system_error& error) {
        // A client that vanishes (a reset, a broken pipe) ends its session, not the server.
        spdlog::warn("{} vanished: {}", peer, error.what());
    }
    clients.remove(client);
    // The console may still hold this stream for a moment: shut it down now, so the client
    // sees the end at once and a console write stuck on it wakes up.
    client->shutdown_both();
}

}  // namespace

void block_stop_signals() {
    // [v3 step 4] Block SIGINT and SIGTERM here: every thread started later inherits the mask.
    sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // [/v3 step 4]
}

void serve_until_stopped(const Socket& listener, std::size_t threads) {
    Clients clients;           // the connections being served
    Console console(clients);  // operator lines from stdin to every client being served
    ThreadPool pool(threads, kMaxWaiting);
    std::atomic<bool> stopping = false;
    StopSignal stop_signal([&] {
        // [v3 step 4] Say we are stopping, and wake the accept() below: shutdown, not close.
        stopping = true;
        listener.shutdown_both();  // wakes the accept() below: it fails, the loop ends
        // [/v3 step 4]
        clients.stop(std::chrono::steady_clock::now() + kStopGrace);
    });

    for (;;) {
        Socket client;
        try {
            client = listener.accept();  // blocks until someone connects, or the stop
        } catch (const std::system_error&) {
            if (stopping) {
                break;
            }
            throw;
        }
        auto stream = std::make_shared<SharedStream>(std::move(client));
        spdlog::info("{} connected", stream->peer_name());
        // The job holds the stream (a shared_ptr copy) until a worker has run it. Waits
        // here while kMaxWaiting connections are already waiting.
        pool.execute([&clients, stream] { serve(clients, stream); });
    }
    // Who waits for whom, in the order of the destructors (the reverse of the declarations):
    // ~StopSignal joins the signal thread once the clients are stopped; ~ThreadPool lets the
    // workers end their sessions, close each waiting connection unserved, and joins them;
    // ~Console wakes the console and joins it.
}
