// What every mode of the load generator shares: the result of one run (printed as one CSV
// row), the server's CPU time and memory read from /proc, and connecting to an address.
#pragma once

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "course/address.hpp"

namespace loadgen {

using Clock = std::chrono::steady_clock;

// Options every mode takes.
struct Common {
    course::Address address{"127.0.0.1", 0};
    std::string target;   // a label for the CSV row ("v4", "asio-example"); default: the address
    int server_pid = 0;   // when set: the server's CPU seconds during the measurement
    bool header = false;  // print the CSV header line before the row
};

// One run, one row. Latencies are kept as a plain sample vector (nanoseconds): sorting a
// few million numbers once at the end is cheaper to read than a histogram, and exact.
struct Result {
    std::string mode;
    std::string target;
    std::size_t connections = 0;
    std::size_t size = 0;
    double duration_s = 0;
    std::uint64_t ops = 0;
    std::vector<std::uint32_t> latencies_ns;
    std::uint64_t errors = 0;
    double server_cpu_s = -1;  // negative: not measured
    std::string extra;         // "key=value;key=value", mode-specific
};

// The fixed columns of every row, in order.
inline constexpr const char* csv_header =
    "mode,target,connections,size,duration_s,ops,ops_per_s,p50_us,p99_us,p999_us,errors,"
    "server_cpu_s,ops_per_cpu_s,extra";

void print_row(Result& result, const Common& common);

// CPU seconds of a whole process (all its threads): /proc/PID/task/*/schedstat (nanoseconds),
// else utime + stime from /proc/PID/stat (clock ticks). -1 if unreadable.
double process_cpu_seconds(int pid);
// VmRSS of a process in KiB, from /proc/PID/status. -1 if unreadable.
long resident_kib(int pid);

// Measures a process's CPU time between start() and stop(); does nothing for pid 0.
class CpuMeter {
public:
    explicit CpuMeter(int pid) : pid_(pid) {}
    void start() { begin_ = process_cpu_seconds(pid_); }
    void stop() { end_ = process_cpu_seconds(pid_); }
    double seconds() const { return pid_ > 0 && begin_ >= 0 && end_ >= 0 ? end_ - begin_ : -1; }

private:
    int pid_;
    double begin_ = -1, end_ = -1;
};

// Raises RLIMIT_NOFILE's soft limit to at least `wanted` (up to the hard limit).
void raise_fd_limit(std::size_t wanted);

asio::ip::tcp::endpoint endpoint_of(const course::Address& address);

double seconds_between(Clock::time_point from, Clock::time_point to);

}  // namespace loadgen
