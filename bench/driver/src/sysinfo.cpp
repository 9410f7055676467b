/*
 * sysinfo.cpp — /proc readers (see sysinfo.hpp).
 */
#include "sysinfo.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

namespace omenbench {

std::array<double, 3> load_average() {
    std::array<double, 3> la{-1, -1, -1};
    std::ifstream in("/proc/loadavg");
    in >> la[0] >> la[1] >> la[2];
    return la;
}

int64_t proc_status_bytes(int pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    const std::string prefix = field + ":";
    while (std::getline(in, line)) {
        if (line.compare(0, prefix.size(), prefix) == 0) {
            std::istringstream s(line.substr(prefix.size()));
            int64_t v = -1;
            std::string unit;
            s >> v >> unit;
            if (v < 0) return -1;
            return unit == "kB" ? v * 1024 : v;
        }
    }
    return -1;
}

Json machine_info() {
    Json m = Json::object();
    std::string model = "unknown";
    {
        std::ifstream in("/proc/cpuinfo");
        std::string line;
        while (std::getline(in, line)) {
            if (line.compare(0, 10, "model name") == 0) {
                auto p = line.find(':');
                if (p != std::string::npos) model = line.substr(p + 2);
                break;
            }
        }
    }
    m["cpu_model"] = model;
    m["logical_cores"] = static_cast<unsigned>(std::thread::hardware_concurrency());
    int64_t mem = -1;
    {
        std::ifstream in("/proc/meminfo");
        std::string key, unit;
        int64_t v;
        while (in >> key >> v >> unit) {
            if (key == "MemTotal:") {
                mem = v * 1024;
                break;
            }
        }
    }
    m["memory_bytes"] = static_cast<long long>(mem);
    struct utsname u;
    if (uname(&u) == 0) {
        m["kernel"] = std::string(u.sysname) + " " + u.release;
        m["arch"] = std::string(u.machine);
    }
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) == 0) m["hostname"] = std::string(host);
    return m;
}

CpuTicks machine_cpu_ticks() {
    CpuTicks t;
    std::ifstream in("/proc/stat");
    std::string cpu;
    in >> cpu;
    if (cpu != "cpu") return t;
    uint64_t v[10] = {0};
    for (auto& x : v) in >> x; /* user nice system idle iowait irq softirq steal guest guest_nice */
    uint64_t idle = v[3] + v[4];
    t.total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    t.busy = t.total - idle;
    return t;
}

int64_t process_cpu_ticks(int pid) {
    std::ifstream in(pid == 0 ? std::string("/proc/self/stat") : "/proc/" + std::to_string(pid) + "/stat");
    std::string all;
    std::getline(in, all);
    auto close = all.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream s(all.substr(close + 2));
    std::string field;
    /* Fields after the command: state(3) ... utime(14) stime(15). */
    for (int i = 3; i <= 13; ++i) s >> field;
    int64_t ut = -1, st = -1;
    s >> ut >> st;
    return ut < 0 || st < 0 ? -1 : ut + st;
}

static std::string format_time(const char* fmt) {
    std::time_t t = std::time(nullptr);
    std::tm tm;
    localtime_r(&t, &tm);
    char b[64];
    std::strftime(b, sizeof b, fmt, &tm);
    return b;
}

std::string timestamp_compact() { return format_time("%Y%m%dT%H%M%S"); }
std::string timestamp_iso() { return format_time("%Y-%m-%dT%H:%M:%S%z"); }

}  // namespace omenbench
