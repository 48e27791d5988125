#include "shared_stream.hpp"

std::size_t SharedStream::read_some(std::span<char> buffer) const {
    if (stopping_) {
        return 0;
    }
    std::size_t received = socket_.read_some(buffer);
    // The stop may come while we were blocked: what arrived with it is not answered.
    return stopping_ ? 0 : received;
}

void SharedStream::write_all(std::string_view bytes) {
    // [v3 step 3] Hold the write mutex for the whole write, so no other thread's bytes get in.
    std::lock_guard lock(write_mutex_);  // released when the last byte is written
    // [/v3 step 3]
    socket_.write_all(bytes);
}

void SharedStream::stop_reading() {
    // [v3 step 5] Set the flag, then wake the blocked read: shut down the receiving side.
    stopping_ = true;  // first the flag, then the wake-up: the woken reader sees it
    socket_.shutdown_receive();
    // [/v3 step 5]
}

void SharedStream::shutdown_both() const { socket_.shutdown_both(); }
