/*
 * mem_probe.cpp — the memory ceiling the graph code runs against on this
 * machine: how many random fixed-size records per second one and two
 * threads can read from a region far larger than the caches.
 *
 * Building and searching an HNSW graph is, at the bottom, a stream of reads
 * of one vector (or compact copy) at a random place: the searches of a build
 * read a few hundred per insert, a query a few hundred per query.  When the
 * code is as fast as it gets, its speed is (records read per second) /
 * (records per insert or query); this program measures the numerator for the
 * record sizes the index uses, so the benchmark notes can give a roofline
 * instead of a guess.
 *
 * Usage: mem_probe [--mib N] [--seconds S]
 * Prints one JSON object per measurement on stdout:
 *   {"probe":"sequential", ...}      one thread reading the region in order
 *   {"probe":"random_records", ...}  threads reading whole records at random
 *     record_bytes   size of a record (records start at multiples of it)
 *     prefetch_ahead 0, or how many records ahead each thread prefetches
 *                    (every line of the record), as the builder does
 *     huge_pages     the region is advised MADV_HUGEPAGE (transparent huge
 *                    pages, as the builder's regions are)
 *     ns_per_record  per thread; gb_per_s over all threads
 */
#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct region {
    uint8_t* data = nullptr;
    size_t bytes = 0;
};

/* Maps and fills bytes of anonymous memory, advised for huge pages or not. */
region make_region(size_t bytes, bool huge) {
    region r;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        std::perror("mmap");
        std::exit(1);
    }
#ifdef MADV_HUGEPAGE
    if (huge) (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
#ifdef MADV_NOHUGEPAGE
    if (!huge) (void)madvise(p, bytes, MADV_NOHUGEPAGE);
#endif
    r.data = static_cast<uint8_t*>(p);
    r.bytes = bytes;
    for (size_t i = 0; i < bytes; i += 8) {
        const uint64_t v = i * 0x9E3779B97F4A7C15ull;
        std::memcpy(r.data + i, &v, 8);
    }
    return r;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/* Sum of the 64-bit words of a record (keeps the reads from being optimized away). */
inline uint64_t read_record(const uint8_t* p, uint32_t bytes) {
    uint64_t s = 0;
    for (uint32_t i = 0; i + 8 <= bytes; i += 8) {
        uint64_t v;
        std::memcpy(&v, p + i, 8);
        s += v;
    }
    return s;
}

/* xorshift64*: cheap, good enough to pick records. */
inline uint64_t next_random(uint64_t& x) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Reads random whole records on `threads` threads for about `seconds`; returns records read and
 * the wall time. */
void random_records(const region& r, uint32_t rec, uint32_t ahead, uint32_t threads, double seconds,
                    uint64_t& records, double& wall) {
    const uint64_t nrec = r.bytes / rec;
    std::atomic<uint64_t> total{0};
    std::atomic<uint64_t> sink{0};
    std::vector<std::thread> pool;
    const auto t0 = std::chrono::steady_clock::now();

    for (uint32_t t = 0; t < threads; t++) {
        pool.emplace_back([&, t] {
            uint64_t x = 0x1234567ull + 977 * t, s = 0, n = 0;
            /* a ring of upcoming record indices, so prefetches run `ahead` records early */
            uint64_t ring[64];
            const uint32_t depth = ahead + 1;

            for (uint32_t i = 0; i < depth; i++) {
                ring[i] = next_random(x) % nrec;
                if (ahead > 0)
                    for (uint32_t b = 0; b < rec; b += 64)
                        __builtin_prefetch(r.data + ring[i] * rec + b);
            }
            while (true) {
                for (uint32_t k = 0; k < 4096; k++, n++) {
                    const uint32_t slot = static_cast<uint32_t>(n % depth);
                    s += read_record(r.data + ring[slot] * rec, rec);
                    ring[slot] = next_random(x) % nrec;
                    if (ahead > 0)
                        for (uint32_t b = 0; b < rec; b += 64)
                            __builtin_prefetch(r.data + ring[slot] * rec + b);
                }
                if (seconds_since(t0) >= seconds) break;
            }
            total += n;
            sink += s;
        });
    }
    for (std::thread& th : pool) th.join();
    wall = seconds_since(t0);
    records = total.load();
    if (sink.load() == 42) std::printf("#\n"); /* use the sums */
}

}  // namespace

int main(int argc, char** argv) {
    size_t mib = 1024;
    double seconds = 0.5;

    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];

        if (a == "--mib")
            mib = std::strtoul(argv[i + 1], nullptr, 10);
        else if (a == "--seconds")
            seconds = std::strtod(argv[i + 1], nullptr);
        else {
            std::fprintf(stderr, "usage: mem_probe [--mib N] [--seconds S]\n");
            return 2;
        }
    }
    if (mib < 64) mib = 64;

    for (bool huge : {false, true}) {
        region r = make_region(mib << 20, huge);

        {
            const auto t0 = std::chrono::steady_clock::now();
            uint64_t s = 0;
            size_t passes = 0;

            do {
                s += read_record(r.data, static_cast<uint32_t>(std::min<size_t>(r.bytes, 1u << 31)));
                passes++;
            } while (seconds_since(t0) < seconds);
            const double dt = seconds_since(t0);
            std::printf("{\"probe\":\"sequential\",\"mib\":%zu,\"huge_pages\":%s,\"threads\":1,"
                        "\"gb_per_s\":%.2f,\"check\":%llu}\n",
                        mib, huge ? "true" : "false", double(passes) * r.bytes / dt / 1e9,
                        static_cast<unsigned long long>(s & 1));
        }
        /* 152: int8 copy of 128 dims; 832: of 784 dims; 3328: a float4 784-dim node slot */
        for (uint32_t rec : {152u, 832u, 3328u})
            for (uint32_t ahead : {0u, 8u})
                for (uint32_t threads : {1u, 2u}) {
                    uint64_t n = 0;
                    double wall = 0;

                    random_records(r, rec, ahead, threads, seconds, n, wall);
                    std::printf("{\"probe\":\"random_records\",\"mib\":%zu,\"huge_pages\":%s,"
                                "\"record_bytes\":%u,\"prefetch_ahead\":%u,\"threads\":%u,"
                                "\"ns_per_record\":%.1f,\"gb_per_s\":%.2f}\n",
                                mib, huge ? "true" : "false", rec, ahead, threads,
                                wall * threads / double(n) * 1e9, double(n) * rec / wall / 1e9);
                    std::fflush(stdout);
                }
        munmap(r.data, r.bytes);
    }
    return 0;
}
