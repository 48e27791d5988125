#include "report.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <asio/ip/address.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace loadgen {

namespace {

// The q-quantile of sorted samples, in microseconds; empty when there are none.
std::string percentile_us(const std::vector<std::uint32_t>& sorted, double q) {
    if (sorted.empty()) {
        return "";
    }
    auto index = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", sorted[index] / 1000.0);
    return text;
}

std::string number(double value, const char* format = "%.3f") {
    if (value < 0) {
        return "";
    }
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

}  // namespace

void print_row(Result& result, const Common& common) {
    std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
    double ops_per_s = result.duration_s > 0 ? result.ops / result.duration_s : -1;
    double ops_per_cpu_s = result.server_cpu_s > 0 ? result.ops / result.server_cpu_s : -1;
    if (common.header) {
        std::cout << csv_header << '\n';
    }
    // Labels and `extra` never contain commas: we write them, and the target label is checked.
    std::cout << result.mode << ',' << result.target << ',' << result.connections << ','
              << result.size << ',' << number(result.duration_s) << ',' << result.ops << ','
              << number(ops_per_s, "%.1f") << ',' << percentile_us(result.latencies_ns, 0.50) << ','
              << percentile_us(result.latencies_ns, 0.99) << ','
              << percentile_us(result.latencies_ns, 0.999) << ',' << result.errors << ','
              << number(result.server_cpu_s) << ',' << number(ops_per_cpu_s, "%.1f") << ','
              << result.extra << std::endl;
}

namespace {

// The CPU time of every thread of the process, in nanoseconds, from /proc/PID/task/*/schedstat
// (its first field). Far finer than /proc/PID/stat's clock ticks (10 ms): a server that used
// 0.3 s of CPU in a run is measured to the microsecond, not to 3 %. -1 if unavailable.
double schedstat_seconds(int pid) {
    std::error_code error;
    std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", error);
    if (error) {
        return -1;
    }
    unsigned long long total_ns = 0;
    bool any = false;
    for (const auto& task : tasks) {
        std::ifstream file(task.path() / "schedstat");
        unsigned long long ns = 0;
        if (file >> ns) {
            total_ns += ns;
            any = true;
        }
    }
    return any ? static_cast<double>(total_ns) / 1e9 : -1;
}

double stat_seconds(int pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    auto paren = text.rfind(')');
    if (paren == std::string::npos) {
        return -1;
    }
    std::istringstream fields(text.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int index = 3; fields >> field; ++index) {  // field 3 is the state
        if (index == 14) {
            utime = std::stoull(field);
        } else if (index == 15) {
            stime = std::stoull(field);
            return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
        }
    }
    return -1;
}

}  // namespace

double process_cpu_seconds(int pid) {
    if (pid <= 0) {
        return -1;
    }
    double seconds = schedstat_seconds(pid);
    return seconds >= 0 ? seconds : stat_seconds(pid);
}

long resident_kib(int pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(file, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));  // "VmRSS:	    1234 kB"
        }
    }
    return -1;
}

void raise_fd_limit(std::size_t wanted) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) {
        return;
    }
    limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < wanted) {
        std::cerr << "loadgen: only " << limit.rlim_cur
                  << " file descriptors allowed (hard limit)\n";
    }
}

asio::ip::tcp::endpoint endpoint_of(const course::Address& address) {
    auto host = address.host == "localhost" ? std::string("127.0.0.1") : address.host;
    return {asio::ip::make_address(host), address.port};
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

}  // namespace loadgen
