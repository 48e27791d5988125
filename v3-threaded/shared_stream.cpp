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
    std::lock_guard lock(write_mutex_);  // released when the last byte is written
    socket_.write_all(bytes);
}

void SharedStream::stop_reading() {
    stopping_ = true;  // first the flag, then the wake-up: the woken reader sees it
    socket_.shutdown_receive();
}

void SharedStream::shutdown_both() const { socket_.shutdown_both(); }
