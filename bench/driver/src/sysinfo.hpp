/*
 * sysinfo.hpp — facts about the machine and about a process, from /proc.
 *
 * The driver records the machine with every result (a figure without its
 * machine means little) and samples the memory of the backend that builds
 * the index through /proc/<pid>/status.  That works because the benchmark
 * connects over a local socket, so the backend is a process on this machine;
 * if the file cannot be read (another host, another user without access) the
 * memory figures are recorded as unknown rather than guessed.
 */
#ifndef OMENBENCH_SYSINFO_HPP
#define OMENBENCH_SYSINFO_HPP

#include <array>
#include <cstdint>
#include <string>

#include "json.hpp"

namespace omenbench {

/* CPU model, logical cores, memory, kernel, load average. */
Json machine_info();

/* The three load averages from /proc/loadavg ({-1,-1,-1} if unreadable). */
std::array<double, 3> load_average();

/* A field of /proc/<pid>/status in bytes ("VmHWM", "VmRSS", "RssAnon", ...); -1 if unknown. */
int64_t proc_status_bytes(int pid, const std::string& field);

/*
 * CPU accounting, to tell whether something else ran during a measurement.
 * machine_cpu_ticks() sums /proc/stat's first line (busy = everything but
 * idle and iowait); process_cpu_ticks() is utime + stime of a process and all
 * its threads (pid 0 = this process), -1 if unreadable.  Both in clock ticks.
 */
struct CpuTicks {
    uint64_t busy = 0, total = 0;
};
CpuTicks machine_cpu_ticks();
int64_t process_cpu_ticks(int pid);

/* Local time as 20240131T235959 (file names) and ISO 8601 with offset (records). */
std::string timestamp_compact();
std::string timestamp_iso();

}  // namespace omenbench

#endif /* OMENBENCH_SYSINFO_HPP */
