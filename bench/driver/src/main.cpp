/*
 * omenbench — the OmenDB benchmark driver.
 *
 * One run measures one data set end to end against a running PostgreSQL with
 * the omendb extension and writes every figure to a JSON file:
 *
 *   1. data      the base vectors and queries in memory (dataset.hpp);
 *   2. truth     exact top-k of every query by threaded brute force with the
 *                project's SIMD kernels, cached on disk (ground_truth.hpp);
 *   3. load      the first rows into a fresh table (id int4, embedding
 *                vector(D)) with COPY BINARY — no index yet.  The column is
 *                STORAGE PLAIN by default, as in ann-benchmarks' and
 *                VectorDBBench's pgvector set-ups: a 784-dim vector (3,144
 *                bytes) then stays in its heap row instead of going to TOAST,
 *                which every query's re-evaluation of the ORDER BY distance
 *                and every COPY row would otherwise pay for
 *                (--column-storage);
 *   4. build     CREATE INDEX ... USING omen on a fresh connection: wall time,
 *                vectors/s, and the building backend's memory (VmHWM from
 *                /proc/<pid>/status after the build, plus RssAnon sampled
 *                every 20 ms by a second thread while it runs); index bytes
 *                per vector;
 *   5. insert    the held-out tail of the base set into the indexed table:
 *                first with COPY BINARY, then row by row with a prepared
 *                INSERT (one client, autocommit: each row is a transaction);
 *   6. exact     a sample of queries with index scans disabled (sequential
 *                scan, PostgreSQL's own exact search) — the baseline; its
 *                recall must be 1.0 and is checked;
 *   7. sweep     for each omen.ef_search: every query once untimed as warm-up
 *                (at the largest setting), then per setting a short warm-up
 *                and a timed pass from one client (recall@k, QPS, p50/p99
 *                latency), then the same query set from several concurrent
 *                clients, each its own connection and thread (aggregate QPS,
 *                latency).  A timed pass goes round the query set again until
 *                it has run --min-seconds (default 1 s), so small query sets
 *                still give stable rates; recall is scored on the first round.
 *
 * Why the tail is inserted rather than built: the query phase then runs over
 * exactly the base set the ground truth was computed for, and the index it
 * measures was partly built in bulk and partly grown by inserts — as indexes
 * in use are.  The build figures are for the rows present at build time
 * (reported as build.rows).
 *
 * Recall is tie-aware, as in ann-benchmarks: a returned row counts if its
 * exact distance (recomputed in double) is no greater than that of the k-th
 * true neighbour (with a relative tolerance of 1e-5), so data with duplicate
 * distances — Fashion-MNIST has many — is not penalised for picking an equally
 * near row.  The strict id-overlap recall is recorded too (recall_ids).
 *
 * Queries use one prepared statement, `SELECT id FROM t ORDER BY embedding
 * <-> $1 LIMIT k`, with the vector as a binary parameter and binary results,
 * so the client adds as little as possible to what is measured.  The plan is
 * checked with EXPLAIN: the sweep fails if the planner did not use the omen
 * index, and the baseline fails if it did.
 *
 * Timing is wall clock (steady_clock) around each round trip; QPS is queries
 * divided by the wall time of the whole timed pass.  Percentiles are
 * nearest-rank.  Every figure comes from this run; nothing is assumed.
 */
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

#include "dataset.hpp"
#include "ground_truth.hpp"
#include "json.hpp"
#include "omendb/omendb.h"
#include "pg.hpp"
#include "sysinfo.hpp"

using namespace omenbench;
using Clock = std::chrono::steady_clock;

namespace {

/* ------------------------------------------------------------------ options */

struct Options {
    std::string dataset;
    std::size_t rows = 0;  /* 0: the data set's default */
    std::size_t queries = 1000;
    std::size_t dims = 128;
    std::string distribution = "clusters";
    std::size_t clusters = 100;
    double cluster_std = 0.5;
    uint64_t seed = 42;
    std::string data_dir = "/usr/share/datasets/fashion-mnist";
    std::size_t k = 10;
    int m = 16;
    int ef_construction = 64;
    int build_threads = 0;
    std::string storage = "float4";
    std::string column_storage = "plain";
    std::vector<int> ef_search = {10, 20, 40, 60, 80, 120, 200, 400};
    int clients = 4;
    std::size_t exact_queries = 50;
    long insert_copy = -1;    /* -1: default */
    long insert_single = -1;  /* -1: default */
    std::size_t warmup = 50;
    double min_seconds = 1.0;
    std::string conninfo;
    std::string table = "omenbench_items";
    std::string results_dir = "bench/results";
    std::string cache_dir;  /* "": <results_dir>/cache; "none": no cache */
    std::string tag;
    std::string source_rev;
    unsigned threads = 0;
    bool keep_table = false;
};

const char* kUsage = R"(usage: omenbench --dataset fashion-mnist|synthetic [options]

Measures one data set against the PostgreSQL server libpq connects to
(PGHOST/PGPORT/PGUSER/PGDATABASE or --conninfo), which must have the omendb
extension installed.  Writes <results-dir>/<name>-<timestamp>.json and
<results-dir>/latest-<name>.json (name = dataset[-tag]) and prints a summary.

data
  --dataset NAME         fashion-mnist | synthetic
  --rows N               base vectors (fashion-mnist: <= 60000, default all;
                         synthetic: default 1000000)
  --queries N            queries for the sweep (default 1000; fashion-mnist <= 10000)
  --dims N               synthetic dimensions (default 128)
  --distribution D       synthetic: clusters | gaussian | uniform (default clusters)
  --clusters N           synthetic clusters (default 100)
  --cluster-std X        synthetic spread around each centre (default 0.5)
  --seed N               synthetic seed (default 42)
  --data-dir DIR         Fashion-MNIST files (default /usr/share/datasets/fashion-mnist)
index and measurement
  --k N                  neighbours per query (default 10)
  --m N                  index option m (default 16)
  --ef-construction N    index option ef_construction (default 64)
  --build-threads N      index option build_threads (default 0: the server's choice)
  --storage S            index option storage: float4 (default), half or int8
  --column-storage S     the table column's STORAGE: plain (default, as ann-benchmarks'
                         and VectorDBBench's pgvector set-up), main, external (the
                         vector type's default: vectors over ~2 KB go to TOAST) or
                         extended
  --ef-search LIST       omen.ef_search values, comma-separated
                         (default 10,20,40,60,80,120,200,400)
  --clients N            concurrent clients for the throughput pass (default 4; 0 skips)
  --exact-queries N      queries for the sequential-scan baseline (default 50; 0 skips)
  --insert-copy N        rows held out of the build and added by COPY afterwards
                         (default rows/20, at most 50000)
  --insert-single N      rows held out and added by single-row INSERTs
                         (default rows/100, at most 1000)
  --warmup N             untimed queries before each timed pass (default 50)
  --min-seconds X        repeat each timed sweep pass over the query set until it has
                         run this long (default 1; 0 = exactly one pass)
environment
  --conninfo STR         libpq connection string (default: from the environment)
  --table NAME           table to (re)create (default omenbench_items)
  --results-dir DIR      where results go (default bench/results)
  --cache-dir DIR        ground-truth cache (default <results-dir>/cache; "none" disables)
  --tag STR              appended to the data set name in file names (e.g. quick)
  --source-rev STR       the extension's source revision, recorded as is (bench/run.sh
                         passes `git describe --always --dirty`)
  --threads N            ground-truth threads (default: all cores)
  --keep-table           leave the table and index in place at the end
)";

[[noreturn]] void usage_error(const std::string& msg) {
    std::fprintf(stderr, "omenbench: %s\n\n%s", msg.c_str(), kUsage);
    std::exit(2);
}

long long parse_int(const std::string& opt, const std::string& v, long long lo, long long hi) {
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || x < lo || x > hi)
        usage_error(opt + " wants an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                    ", not \"" + v + "\"");
    return x;
}

Options parse_options(int argc, char** argv) {
    Options o;
    bool rows_set = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        }
        if (a == "--keep-table") {
            o.keep_table = true;
            continue;
        }
        std::string v;
        auto eq = a.find('=');
        if (a.compare(0, 2, "--") == 0 && eq != std::string::npos) {
            v = a.substr(eq + 1);
            a = a.substr(0, eq);
        } else {
            if (i + 1 >= argc) usage_error(a + " needs a value");
            v = argv[++i];
        }
        const long long big = 1LL << 31;
        if (a == "--dataset") o.dataset = v;
        else if (a == "--rows") { o.rows = parse_int(a, v, 1, big); rows_set = true; }
        else if (a == "--queries") o.queries = parse_int(a, v, 1, big);
        else if (a == "--dims") o.dims = parse_int(a, v, 1, 16000);
        else if (a == "--distribution") o.distribution = v;
        else if (a == "--clusters") o.clusters = parse_int(a, v, 1, big);
        else if (a == "--cluster-std") o.cluster_std = std::atof(v.c_str());
        else if (a == "--seed") o.seed = parse_int(a, v, 0, (1LL << 62));
        else if (a == "--data-dir") o.data_dir = v;
        else if (a == "--k") o.k = parse_int(a, v, 1, 1000);
        else if (a == "--m") o.m = parse_int(a, v, 2, 100);
        else if (a == "--ef-construction") o.ef_construction = parse_int(a, v, 4, 1000);
        else if (a == "--build-threads") o.build_threads = parse_int(a, v, 0, 64);
        else if (a == "--storage") {
            if (v != "float4" && v != "half" && v != "int8")
                usage_error("--storage must be float4, half or int8");
            o.storage = v;
        }
        else if (a == "--column-storage") {
            if (v != "plain" && v != "main" && v != "external" && v != "extended")
                usage_error("--column-storage must be plain, main, external or extended");
            o.column_storage = v;
        }
        else if (a == "--ef-search") {
            o.ef_search.clear();
            std::stringstream ss(v);
            for (std::string t; std::getline(ss, t, ',');) o.ef_search.push_back(parse_int(a, t, 1, 1000));
            if (o.ef_search.empty()) usage_error("--ef-search needs at least one value");
        } else if (a == "--clients") o.clients = parse_int(a, v, 0, 256);
        else if (a == "--exact-queries") o.exact_queries = parse_int(a, v, 0, big);
        else if (a == "--insert-copy") o.insert_copy = parse_int(a, v, 0, big);
        else if (a == "--insert-single") o.insert_single = parse_int(a, v, 0, big);
        else if (a == "--warmup") o.warmup = parse_int(a, v, 0, big);
        else if (a == "--min-seconds") {
            char* end = nullptr;
            o.min_seconds = std::strtod(v.c_str(), &end);
            if (v.empty() || *end != '\0' || !(o.min_seconds >= 0) || o.min_seconds > 3600)
                usage_error("--min-seconds wants a number of seconds in 0..3600");
        }
        else if (a == "--conninfo") o.conninfo = v;
        else if (a == "--table") o.table = v;
        else if (a == "--results-dir") o.results_dir = v;
        else if (a == "--cache-dir") o.cache_dir = v;
        else if (a == "--tag") o.tag = v;
        else if (a == "--source-rev") o.source_rev = v;
        else if (a == "--threads") o.threads = parse_int(a, v, 1, 1024);
        else usage_error("unknown option " + a);
    }
    if (o.dataset != "fashion-mnist" && o.dataset != "synthetic")
        usage_error("--dataset must be fashion-mnist or synthetic");
    if (!rows_set) o.rows = o.dataset == "synthetic" ? 1000000 : 0;
    if (o.ef_construction < 2 * o.m) usage_error("--ef-construction must be at least 2 * m");
    std::sort(o.ef_search.begin(), o.ef_search.end());
    o.ef_search.erase(std::unique(o.ef_search.begin(), o.ef_search.end()), o.ef_search.end());
    if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
    if (o.cache_dir.empty()) o.cache_dir = o.results_dir + "/cache";
    if (o.cache_dir == "none") o.cache_dir.clear();
    for (char c : o.tag)
        if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            usage_error("--tag may hold only letters, digits, - and _");
    return o;
}

/* ------------------------------------------------------------------ helpers */

void progress(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void progress(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fputs("omenbench: ", stderr);
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct LatencyStats {
    double p50 = 0, p90 = 0, p99 = 0, mean = 0, max = 0;
};

/* Nearest-rank percentiles of latencies in milliseconds. */
LatencyStats latency_stats(std::vector<double> ms) {
    LatencyStats s;
    if (ms.empty()) return s;
    std::sort(ms.begin(), ms.end());
    auto rank = [&](double p) {
        std::size_t r = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ms.size())));
        return ms[std::min(ms.size() - 1, r == 0 ? 0 : r - 1)];
    };
    s.p50 = rank(0.50);
    s.p90 = rank(0.90);
    s.p99 = rank(0.99);
    s.max = ms.back();
    s.mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
    return s;
}

Json latency_json(const LatencyStats& s) {
    Json j = Json::object();
    j["p50_ms"] = s.p50;
    j["p90_ms"] = s.p90;
    j["p99_ms"] = s.p99;
    j["mean_ms"] = s.mean;
    j["max_ms"] = s.max;
    return j;
}

/* Sends base rows [from, to) as one COPY BINARY, ids = row + 1. */
void copy_rows(Conn& c, const std::string& table, const Dataset& ds, std::size_t from, std::size_t to) {
    c.copy_begin("COPY " + quote_ident(table) + " (id, embedding) FROM STDIN (FORMAT binary)");
    CopyBinaryWriter w;
    w.header();
    for (std::size_t r = from; r < to; ++r) {
        w.row(static_cast<int32_t>(r + 1), ds.row(r), ds.dims);
        if (w.size() >= (4u << 20)) {
            std::string chunk = w.take();
            c.copy_send(chunk.data(), chunk.size());
        }
    }
    w.trailer();
    std::string chunk = w.take();
    c.copy_send(chunk.data(), chunk.size());
    c.copy_end();
}

/* Text form of a vector for EXPLAIN. */
std::string vector_literal(const float* v, std::size_t d) {
    std::string s = "'[";
    char b[32];
    for (std::size_t i = 0; i < d; ++i) {
        std::snprintf(b, sizeof b, "%s%.9g", i ? "," : "", v[i]);
        s += b;
    }
    return s + "]'";
}

std::string explain(Conn& c, const std::string& stmt, const std::string& param) {
    Result r = c.query("EXPLAIN (COSTS OFF) EXECUTE " + stmt + "(" + param + ")");
    std::string plan;
    for (int i = 0; i < r.rows(); ++i) plan += (i ? "\n" : "") + r.text(i, 0);
    return plan;
}

/* One query client: a connection with the k-NN statement prepared. */
struct Client {
    Conn conn;
    explicit Client(const std::string& conninfo, const std::string& table, std::size_t k)
        : conn(conninfo) {
        conn.prepare("knn",
                     "SELECT id FROM " + quote_ident(table) + " ORDER BY embedding <-> $1 LIMIT " +
                         std::to_string(k),
                     1);
    }
    /* Runs query q; appends the ids to out (cleared first). */
    void run(const std::string& param, std::vector<int32_t>& out) {
        const char* vals[1] = {param.data()};
        int lens[1] = {static_cast<int>(param.size())};
        Result r = conn.exec_prepared("knn", 1, vals, lens);
        out.clear();
        for (int i = 0; i < r.rows(); ++i) out.push_back(get_be32(PQgetvalue(r.get(), i, 0)));
    }
};

struct RecallScorer {
    const Dataset& ds;
    const GroundTruth& gt;
    std::vector<double> threshold; /* per query: exact distance of the k-th true neighbour */

    RecallScorer(const Dataset& d, const GroundTruth& g) : ds(d), gt(g), threshold(d.nqueries) {
        for (std::size_t q = 0; q < ds.nqueries; ++q) {
            double t = 0;
            for (std::size_t i = 0; i < gt.k; ++i)
                t = std::max(t, l2_squared_exact(ds.query(q), ds.row(gt.of(q)[i]), ds.dims));
            threshold[q] = t;
        }
    }
    /* Tie-aware hits and strict id hits of one result (ids are row + 1). */
    void score(std::size_t q, const std::vector<int32_t>& ids, std::size_t& hits,
               std::size_t& id_hits) const {
        std::set<int32_t> seen;
        std::set<int32_t> truth(gt.of(q), gt.of(q) + gt.k);
        const double limit = threshold[q] * (1 + 1e-5) + 1e-9;
        hits = id_hits = 0;
        for (std::size_t i = 0; i < ids.size() && i < gt.k; ++i) {
            int32_t row = ids[i] - 1;
            if (row < 0 || static_cast<std::size_t>(row) >= ds.rows || !seen.insert(row).second) continue;
            if (l2_squared_exact(ds.query(q), ds.row(row), ds.dims) <= limit) ++hits;
            if (truth.count(row)) ++id_hits;
        }
    }
};

struct PassResult {
    std::size_t queries = 0;
    double seconds = 0;
    double qps = 0;
    double recall = 0, recall_ids = 0;
    std::size_t short_results = 0; /* queries that returned fewer than k rows */
    LatencyStats lat;
};

/*
 * Times queries [0, n) from one client, scoring recall on the first pass, and
 * repeats whole passes until min_seconds have gone by, so that a small query
 * set still yields a stable rate.
 */
PassResult timed_pass(Client& c, const std::vector<std::string>& params, std::size_t n,
                      const RecallScorer& scorer, std::size_t k, double min_seconds) {
    PassResult p;
    std::vector<double> ms;
    ms.reserve(n);
    std::vector<std::vector<int32_t>> results(n);
    std::vector<int32_t> scratch;
    auto t0 = Clock::now();
    std::size_t done = 0;
    do {
        for (std::size_t q = 0; q < n; ++q) {
            auto s = Clock::now();
            c.run(params[q], done < n ? results[q] : scratch);
            ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
            ++done;
        }
    } while (seconds_since(t0) < min_seconds);
    p.seconds = seconds_since(t0);
    p.queries = done;
    p.qps = done / p.seconds;
    p.lat = latency_stats(ms);
    std::size_t hits = 0, id_hits = 0;
    for (std::size_t q = 0; q < n; ++q) {
        std::size_t h, ih;
        scorer.score(q, results[q], h, ih);
        hits += h;
        id_hits += ih;
        if (results[q].size() < k) ++p.short_results;
    }
    p.recall = static_cast<double>(hits) / static_cast<double>(n * k);
    p.recall_ids = static_cast<double>(id_hits) / static_cast<double>(n * k);
    return p;
}

void warm(Client& c, const std::vector<std::string>& params, std::size_t n) {
    std::vector<int32_t> ids;
    for (std::size_t i = 0; i < n; ++i) c.run(params[i % params.size()], ids);
}

/*
 * Every client runs the whole query set (each from its own offset) at once,
 * and keeps going round it until min_seconds have gone by.
 */
PassResult concurrent_pass(std::vector<Client>& clients, const std::vector<std::string>& params,
                           double min_seconds) {
    const std::size_t nc = clients.size(), nq = params.size();
    std::vector<std::vector<double>> ms(nc);
    std::vector<std::string> errors(nc);
    std::mutex mu;
    std::condition_variable cv;
    bool go = false;
    std::size_t ready = 0;
    Clock::time_point t0;
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < nc; ++i) {
        threads.emplace_back([&, i] {
            try {
                ms[i].reserve(nq);
                std::vector<int32_t> ids;
                {
                    std::unique_lock<std::mutex> lk(mu);
                    ++ready;
                    cv.notify_all();
                    cv.wait(lk, [&] { return go; });
                }
                const std::size_t offset = i * nq / nc;
                for (std::size_t j = 0; j < nq || seconds_since(t0) < min_seconds; ++j) {
                    auto s = Clock::now();
                    clients[i].run(params[(j + offset) % nq], ids);
                    ms[i].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
                }
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
        });
    }
    {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return ready == nc; });
        t0 = Clock::now();
        go = true;
        cv.notify_all();
    }
    for (auto& t : threads) t.join();
    PassResult p;
    p.seconds = seconds_since(t0);
    for (auto& e : errors)
        if (!e.empty()) throw std::runtime_error("concurrent client failed: " + e);
    std::vector<double> all;
    for (auto& v : ms) all.insert(all.end(), v.begin(), v.end());
    p.queries = all.size();
    p.qps = p.queries / p.seconds;
    p.lat = latency_stats(all);
    return p;
}

/* Peak memory of a process while something runs: a thread sampling /proc. */
class MemorySampler {
public:
    explicit MemorySampler(int pid) : pid_(pid), thread_([this] { loop(); }) {}
    ~MemorySampler() { stop(); }
    void stop() {
        if (thread_.joinable()) {
            stop_ = true;
            thread_.join();
        }
    }
    int64_t peak_rss_anon() const { return peak_anon_; }
    int64_t peak_rss() const { return peak_rss_; }
    std::size_t samples() const { return samples_; }

private:
    void loop() {
        while (!stop_) {
            int64_t a = proc_status_bytes(pid_, "RssAnon");
            int64_t r = proc_status_bytes(pid_, "VmRSS");
            if (a >= 0) peak_anon_ = std::max<int64_t>(peak_anon_, a);
            if (r >= 0) peak_rss_ = std::max<int64_t>(peak_rss_, r);
            ++samples_;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    int pid_;
    std::atomic<bool> stop_{false};
    std::atomic<int64_t> peak_anon_{-1}, peak_rss_{-1};
    std::atomic<std::size_t> samples_{0};
    std::thread thread_;
};

/*
 * Share of the machine's CPU time used by anything other than this driver and
 * the given backends while a measurement ran: 0 on a quiet machine, and the
 * honest way to tell a figure taken while other work competed for the cores.
 * (PostgreSQL's own background processes — WAL writer, checkpointer — count
 * as foreign; they are usually idle in a read-only pass.)
 */
class ForeignCpu {
public:
    explicit ForeignCpu(std::vector<int> pids) : pids_(std::move(pids)) {
        m0_ = machine_cpu_ticks();
        own0_ = own();
    }
    /* Percent of total machine capacity (all cores); -1 if unknown. */
    double percent() const {
        CpuTicks m1 = machine_cpu_ticks();
        int64_t own1 = own();
        if (own0_ < 0 || own1 < 0 || m1.total <= m0_.total) return -1;
        double foreign = static_cast<double>(m1.busy - m0_.busy) - static_cast<double>(own1 - own0_);
        return std::max(0.0, 100.0 * foreign / static_cast<double>(m1.total - m0_.total));
    }

private:
    int64_t own() const {
        int64_t t = process_cpu_ticks(0);
        for (int p : pids_) {
            int64_t x = process_cpu_ticks(p);
            if (x < 0 || t < 0) return -1;
            t += x;
        }
        return t;
    }
    std::vector<int> pids_;
    CpuTicks m0_;
    int64_t own0_ = 0;
};

Json pct_or_null(double v) { return v < 0 ? Json() : Json(v); }

Json bytes_or_null(int64_t v) { return v < 0 ? Json() : Json(static_cast<long long>(v)); }

/* Value of the environment variable `name` in process pid, "" if unset, "?" if unreadable. */
std::string process_env(int pid, const std::string& name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    if (!in) return "?";
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::stringstream ss(all);
    for (std::string kv; std::getline(ss, kv, '\0');)
        if (kv.compare(0, name.size() + 1, name + "=") == 0) return kv.substr(name.size() + 1);
    return "";
}

void make_dirs(const std::string& path) {
    std::string cur;
    for (std::size_t i = 0; i <= path.size(); ++i) {
        if ((i == path.size() || path[i] == '/') && !cur.empty()) mkdir(cur.c_str(), 0755);
        if (i < path.size()) cur += path[i];
    }
}

void write_file(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot write " + path);
}

std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

Json load_json() {
    auto la = load_average();
    Json j = Json::array();
    for (double x : la) j.push(x);
    return j;
}

/* ------------------------------------------------------------------ the run */

int run(const Options& o) {
    Json out = Json::object();
    out["schema"] = "omenbench/1";
    out["started_at"] = timestamp_iso();
    const std::string stamp = timestamp_compact();
    const auto run_t0 = Clock::now();
    std::string summary; /* the human summary, printed at the end */
    Json machine = machine_info();
    machine["load_average_at_start"] = load_json();
    machine["driver_simd"] = omen_simd_name();
    const char* env_simd = std::getenv("OMEN_SIMD");
    machine["driver_omen_simd_env"] = env_simd ? Json(env_simd) : Json();

    /* 1. data */
    auto t = Clock::now();
    Dataset ds;
    if (o.dataset == "fashion-mnist") {
        if (o.rows > 60000 || o.queries > 10000)
            usage_error("fashion-mnist has 60000 base vectors and 10000 queries");
        ds = load_fashion_mnist(o.data_dir, o.rows, o.queries);
    } else {
        SyntheticSpec s;
        s.rows = o.rows;
        s.dims = o.dims;
        s.nqueries = o.queries;
        s.distribution = o.distribution;
        s.clusters = o.clusters;
        s.cluster_std = o.cluster_std;
        s.seed = o.seed;
        ds = make_synthetic(s);
    }
    const double data_s = seconds_since(t);
    progress("%s (%.1f s)", ds.description.c_str(), data_s);
    summary += "data set     " + ds.description + "\n";
    if (o.k > ds.rows) usage_error("--k is larger than the number of rows");

    const std::size_t n_copy = o.insert_copy >= 0 ? o.insert_copy : std::min<std::size_t>(ds.rows / 20, 50000);
    const std::size_t n_single =
        o.insert_single >= 0 ? o.insert_single : std::min<std::size_t>(ds.rows / 100, 1000);
    if (n_copy + n_single > ds.rows / 2)
        usage_error("--insert-copy + --insert-single must leave at least half the rows for the build");
    const std::size_t n_build = ds.rows - n_copy - n_single;

    Json dj = Json::object();
    dj["name"] = ds.name;
    dj["key"] = ds.key;
    dj["description"] = ds.description;
    dj["rows"] = ds.rows;
    dj["dims"] = ds.dims;
    dj["queries"] = ds.nqueries;
    dj["k"] = o.k;
    dj["metric"] = "l2";
    for (auto& p : ds.params) dj[p.first] = p.second;
    {
        char b[24];
        std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(ds.fingerprint()));
        dj["fingerprint"] = std::string(b);
    }
    dj["generate_seconds"] = data_s;
    out["dataset"] = dj;

    /* 2. ground truth */
    GroundTruth gt = ground_truth(ds, o.k, o.threads, o.cache_dir);
    progress("ground truth top-%zu of %zu queries: %s in %.1f s (%u threads, %s kernels)", o.k,
             ds.nqueries, gt.from_cache ? "read from cache" : "computed", gt.seconds, gt.threads,
             omen_simd_name());
    RecallScorer scorer(ds, gt);
    {
        Json g = Json::object();
        g["from_cache"] = gt.from_cache;
        g["seconds"] = gt.seconds;
        g["threads"] = gt.threads;
        g["kernels"] = omen_simd_name();
        g["cache_file"] = gt.cache_file.empty() ? Json() : Json(gt.cache_file);
        out["ground_truth"] = g;
    }

    Json params = Json::object();
    params["m"] = o.m;
    params["ef_construction"] = o.ef_construction;
    params["build_threads"] = o.build_threads;
    params["storage"] = o.storage;
    params["column_storage"] = o.column_storage;
    Json efs = Json::array();
    for (int e : o.ef_search) efs.push(e);
    params["ef_search"] = efs;
    params["clients"] = o.clients;
    params["exact_queries"] = std::min(o.exact_queries, ds.nqueries);
    params["insert_copy_rows"] = n_copy;
    params["insert_single_rows"] = n_single;
    params["warmup_queries"] = o.warmup;
    params["min_seconds_per_pass"] = o.min_seconds;
    params["table"] = o.table;
    params["tag"] = o.tag;
    params["source_rev"] = o.source_rev.empty() ? Json() : Json(o.source_rev);
    out["parameters"] = params;

    /* 3. server, table, load */
    Conn main(o.conninfo);
    main.exec("SET client_min_messages = warning");
    main.exec("CREATE EXTENSION IF NOT EXISTS omendb");
    Json server = Json::object();
    server["version"] = main.scalar("SELECT version()");
    server["omendb_version"] = main.scalar("SELECT extversion FROM pg_extension WHERE extname = 'omendb'");
    server["omen_simd_env"] = [&] {
        std::string v = process_env(main.backend_pid(), "OMEN_SIMD");
        return v == "?" ? Json("unknown") : v.empty() ? Json() : Json(v);
    }();
    {
        Json settings = Json::object();
        Result r = main.query(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
            "('shared_buffers','maintenance_work_mem','work_mem','max_parallel_maintenance_workers',"
            "'max_parallel_workers_per_gather','max_worker_processes','fsync','synchronous_commit',"
            "'full_page_writes','wal_level','max_wal_size','checkpoint_timeout','jit',"
            "'effective_cache_size','huge_pages','omen.ef_search','omen.max_scan_tuples') ORDER BY name");
        for (int i = 0; i < r.rows(); ++i) settings[r.text(i, 0)] = r.text(i, 1);
        server["settings"] = settings;
    }
    out["server"] = server;
    summary += "server       PostgreSQL " + main.scalar("SHOW server_version") + ", omendb " +
               main.scalar("SELECT extversion FROM pg_extension WHERE extname = 'omendb'") + ", kernels " +
               omen_simd_name() + "\n";
    out["machine"] = machine;

    const std::string tbl = quote_ident(o.table), idx = quote_ident(o.table + "_embedding_idx");
    main.exec("DROP TABLE IF EXISTS " + tbl);
    /* Autovacuum off for this table only, so no background VACUUM/ANALYZE lands inside a
     * timed phase; the driver runs VACUUM ANALYZE itself where a real system would. */
    main.exec("CREATE TABLE " + tbl + " (id int4, embedding vector(" + std::to_string(ds.dims) +
              ")) WITH (autovacuum_enabled = off)");
    main.exec("ALTER TABLE " + tbl + " ALTER COLUMN embedding SET STORAGE " + o.column_storage);
    t = Clock::now();
    copy_rows(main, o.table, ds, 0, n_build);
    const double load_s = seconds_since(t);
    progress("loaded %zu rows with COPY BINARY in %.1f s (%.0f rows/s), no index", n_build, load_s,
             n_build / load_s);
    {
        Json l = Json::object();
        l["rows"] = n_build;
        l["seconds"] = load_s;
        l["vectors_per_s"] = n_build / load_s;
        out["load"] = l;
    }
    main.exec("VACUUM (ANALYZE) " + tbl);
    try {
        main.exec("CHECKPOINT");
    } catch (const PgError& e) {
        progress("warning: CHECKPOINT failed (not a superuser?): %s", e.what());
    }

    /* 4. build */
    {
        Conn b(o.conninfo);
        b.exec("SET client_min_messages = warning");
        const int pid = b.backend_pid();
        const int64_t hwm_before = proc_status_bytes(pid, "VmHWM");
        const std::string sql = "CREATE INDEX " + idx + " ON " + tbl +
                                " USING omen (embedding vector_l2_ops) WITH (m = " + std::to_string(o.m) +
                                ", ef_construction = " + std::to_string(o.ef_construction) +
                                ", build_threads = " + std::to_string(o.build_threads) +
                                ", storage = " + o.storage + ")";
        progress("building: %s", sql.c_str());
        MemorySampler sampler(pid);
        ForeignCpu foreign({pid});
        t = Clock::now();
        b.exec(sql);
        const double build_s = seconds_since(t);
        const double foreign_pct = foreign.percent();
        sampler.stop();
        const int64_t hwm = proc_status_bytes(pid, "VmHWM");
        const int64_t index_bytes = std::stoll(main.scalar("SELECT pg_relation_size(" + sql_literal(idx) + "::regclass)"));
        Json bj = Json::object();
        bj["sql"] = sql;
        bj["rows"] = n_build;
        bj["seconds"] = build_s;
        bj["vectors_per_s"] = n_build / build_s;
        bj["foreign_cpu_pct"] = pct_or_null(foreign_pct);
        bj["backend_vmhwm_bytes"] = bytes_or_null(hwm);
        bj["backend_vmhwm_before_bytes"] = bytes_or_null(hwm_before);
        bj["backend_peak_rss_anon_bytes_sampled"] = bytes_or_null(sampler.peak_rss_anon());
        bj["backend_peak_rss_bytes_sampled"] = bytes_or_null(sampler.peak_rss());
        bj["memory_samples"] = sampler.samples();
        bj["memory_note"] =
            "VmHWM is the backend's peak resident set, including shared_buffers pages it touched; "
            "RssAnon (sampled every 20 ms) is its private memory: the in-memory graph and buffers";
        bj["index_bytes"] = static_cast<long long>(index_bytes);
        bj["bytes_per_vector"] = static_cast<double>(index_bytes) / n_build;
        out["build"] = bj;
        summary += "build        " + std::to_string(n_build) + " rows in " + fmt("%.1f", build_s) + " s = " +
                   fmt("%.0f", n_build / build_s) + " vectors/s; backend peak RSS " +
                   fmt("%.0f", hwm / 1048576.0) + " MiB (private " +
                   fmt("%.0f", sampler.peak_rss_anon() / 1048576.0) + " MiB); index " +
                   fmt("%.0f", static_cast<double>(index_bytes) / n_build) + " bytes/vector\n";
        progress("other processes used %.0f%% of the CPUs during the build", foreign_pct);
        progress("built in %.1f s: %.0f vectors/s, backend VmHWM %.0f MiB (private RSS peak %.0f MiB), "
                 "index %.1f MiB = %.0f bytes/vector",
                 build_s, n_build / build_s, hwm / 1048576.0, sampler.peak_rss_anon() / 1048576.0,
                 index_bytes / 1048576.0, static_cast<double>(index_bytes) / n_build);
    }
    try {
        main.exec("CHECKPOINT");
    } catch (const PgError&) {
    }

    /* 5. inserts into the indexed table */
    {
        Json ij = Json::object();
        ij["synchronous_commit"] = main.scalar("SHOW synchronous_commit");
        if (n_copy > 0) {
            ForeignCpu foreign({main.backend_pid()});
            t = Clock::now();
            copy_rows(main, o.table, ds, n_build, n_build + n_copy);
            const double s = seconds_since(t);
            Json c = Json::object();
            c["rows"] = n_copy;
            c["seconds"] = s;
            c["vectors_per_s"] = n_copy / s;
            c["foreign_cpu_pct"] = pct_or_null(foreign.percent());
            ij["copy"] = c;
            summary += "insert COPY  " + std::to_string(n_copy) + " rows: " + fmt("%.0f", n_copy / s) +
                       " vectors/s\n";
            progress("COPY BINARY of %zu rows into the indexed table: %.1f s, %.0f vectors/s", n_copy, s,
                     n_copy / s);
        }
        if (n_single > 0) {
            Conn c(o.conninfo);
            c.prepare("ins", "INSERT INTO " + tbl + " (id, embedding) VALUES ($1, $2)", 2);
            std::vector<double> ms;
            ms.reserve(n_single);
            const std::size_t first = n_build + n_copy;
            ForeignCpu foreign({c.backend_pid()});
            t = Clock::now();
            for (std::size_t r = first; r < first + n_single; ++r) {
                std::string id;
                put_be32(id, static_cast<int32_t>(r + 1));
                std::string v = encode_vector(ds.row(r), ds.dims);
                const char* vals[2] = {id.data(), v.data()};
                int lens[2] = {4, static_cast<int>(v.size())};
                auto s = Clock::now();
                c.exec_prepared("ins", 2, vals, lens);
                ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
            }
            const double s = seconds_since(t);
            Json sj = latency_json(latency_stats(ms));
            sj["rows"] = n_single;
            sj["seconds"] = s;
            sj["vectors_per_s"] = n_single / s;
            sj["foreign_cpu_pct"] = pct_or_null(foreign.percent());
            ij["single"] = sj;
            summary += "insert row   " + std::to_string(n_single) + " rows, one client, autocommit: " +
                       fmt("%.0f", n_single / s) + " vectors/s, p50 " + fmt("%.2f", latency_stats(ms).p50) +
                       " ms\n";
            progress("single-row INSERTs of %zu rows (one client, autocommit): %.1f s, %.0f vectors/s",
                     n_single, s, n_single / s);
        }
        const long long count = std::stoll(main.scalar("SELECT count(*) FROM " + tbl));
        if (static_cast<std::size_t>(count) != ds.rows)
            throw std::runtime_error("table holds " + std::to_string(count) + " rows, expected " +
                                     std::to_string(ds.rows));
        const int64_t index_bytes = std::stoll(main.scalar("SELECT pg_relation_size(" + sql_literal(idx) + "::regclass)"));
        ij["index_bytes_after"] = static_cast<long long>(index_bytes);
        ij["bytes_per_vector_after"] = static_cast<double>(index_bytes) / ds.rows;
        ij["table_bytes_after"] = std::stoll(main.scalar("SELECT pg_relation_size(" + sql_literal(tbl) + "::regclass)"));
        out["insert"] = ij;
    }
    main.exec("ANALYZE " + tbl);

    std::vector<std::string> qparams;
    qparams.reserve(ds.nqueries);
    for (std::size_t q = 0; q < ds.nqueries; ++q) qparams.push_back(encode_vector(ds.query(q), ds.dims));
    const std::string literal0 = vector_literal(ds.query(0), ds.dims);

    Json plans = Json::object();

    /* 6. exact baseline */
    const std::size_t n_exact = std::min(o.exact_queries, ds.nqueries);
    if (n_exact > 0) {
        Client c(o.conninfo, o.table, o.k);
        c.conn.exec("SET enable_indexscan = off");
        const std::string plan = explain(c.conn, "knn", literal0);
        plans["exact"] = plan;
        if (plan.find("Index") != std::string::npos || plan.find("Bitmap") != std::string::npos)
            throw std::runtime_error("the exact baseline would use an index:\n" + plan);
        warm(c, qparams, std::min<std::size_t>(2, n_exact));
        progress("exact search (sequential scan), %zu queries ...", n_exact);
        PassResult p = timed_pass(c, qparams, n_exact, scorer, o.k, 0);
        Json e = latency_json(p.lat);
        e["queries"] = p.queries;
        e["seconds"] = p.seconds;
        e["qps"] = p.qps;
        e["recall"] = p.recall;
        e["recall_ids"] = p.recall_ids;
        e["short_results"] = p.short_results;
        e["recall_verified"] = p.recall >= 1.0;
        out["exact"] = e;
        summary += "exact        " + std::to_string(n_exact) + " queries by sequential scan: " +
                   fmt("%.2f", p.qps) + " QPS, p50 " + fmt("%.1f", p.lat.p50) + " ms, recall " +
                   fmt("%.4f", p.recall) + "\n";
        progress("exact: %.2f QPS, p50 %.1f ms, p99 %.1f ms, recall %.4f%s", p.qps, p.lat.p50, p.lat.p99,
                 p.recall, p.recall >= 1.0 ? "" : "  << NOT 1.0: ground truth and server disagree");
    }

    /* 7. sweep */
    {
        /*
         * The sweep measures the index, so every query connection runs with
         * enable_seqscan = off, and before each timed pass EXPLAIN EXECUTE
         * shows the plan the prepared statement really runs (after five
         * executions PostgreSQL may cache a generic plan, costed at whatever
         * ef_search was in force then — without the setting, a plan cached
         * at a high ef_search can silently be a sequential scan for every
         * later setting).  Whether the planner would choose the index on its
         * own is probed on a separate connection, per ef_search, with a fresh
         * custom plan, and recorded (planner_chooses_index): a cost-model
         * finding, not part of the timing.
         */
        const std::string want = "Index Scan using " + o.table + "_embedding_idx";
        Client single(o.conninfo, o.table, o.k);
        Client probe(o.conninfo, o.table, o.k);
        probe.conn.exec("SET plan_cache_mode = force_custom_plan");
        single.conn.exec("SET enable_seqscan = off");
        std::vector<Client> pool;
        for (int i = 0; i < o.clients; ++i) {
            pool.emplace_back(o.conninfo, o.table, o.k);
            pool.back().conn.exec("SET enable_seqscan = off");
        }
        out["sweep_settings"] = "enable_seqscan = off";
        auto check_plan = [&](Client& c, int ef) {
            const std::string plan = explain(c.conn, "knn", literal0);
            if (plan.find(want) == std::string::npos)
                throw std::runtime_error("at ef_search " + std::to_string(ef) +
                                         " the k-NN query does not use the omen index:\n" + plan);
            return plan;
        };

        out["load_average_before_sweep"] = load_json();
        single.conn.exec("SET omen.ef_search = " + std::to_string(o.ef_search.back()));
        progress("warm-up: every query once at ef_search %d (untimed)", o.ef_search.back());
        warm(single, qparams, qparams.size());

        Json sweep = Json::array();
        summary += "omen index, " + std::to_string(qparams.size()) + " queries, k = " + std::to_string(o.k) + ":\n";
        summary += "  ef_search   recall   QPS(1)  p50 ms  p99 ms";
        if (!pool.empty()) summary += "  QPS(" + std::to_string(o.clients) + ")";
        summary += "\n";
        for (int ef : o.ef_search) {
            const std::string set = "SET omen.ef_search = " + std::to_string(ef);
            probe.conn.exec(set);
            const bool chosen = explain(probe.conn, "knn", literal0).find(want) != std::string::npos;
            single.conn.exec(set);
            warm(single, qparams, std::min(o.warmup, qparams.size()));
            plans["index"] = check_plan(single, ef);
            ForeignCpu foreign({single.conn.backend_pid()});
            PassResult p = timed_pass(single, qparams, qparams.size(), scorer, o.k, o.min_seconds);
            const double foreign_pct = foreign.percent();
            Json e = Json::object();
            e["ef_search"] = ef;
            e["planner_chooses_index"] = chosen;
            e["recall"] = p.recall;
            e["recall_ids"] = p.recall_ids;
            e["short_results"] = p.short_results;
            e["queries"] = p.queries;
            e["seconds"] = p.seconds;
            e["qps"] = p.qps;
            e["p50_ms"] = p.lat.p50;
            e["p90_ms"] = p.lat.p90;
            e["p99_ms"] = p.lat.p99;
            e["mean_ms"] = p.lat.mean;
            e["max_ms"] = p.lat.max;
            e["foreign_cpu_pct"] = pct_or_null(foreign_pct);
            std::string line = "ef_search " + std::to_string(ef) + ": recall " + fmt("%.4f", p.recall) +
                               ", " + fmt("%.0f", p.qps) + " QPS, p50 " + fmt("%.2f", p.lat.p50) +
                               " ms, p99 " + fmt("%.2f", p.lat.p99) + " ms";
            char row[160];
            std::snprintf(row, sizeof row, "  %9d  %7.4f  %7.0f  %6.2f  %6.2f", ef, p.recall, p.qps, p.lat.p50,
                          p.lat.p99);
            summary += row;
            if (!pool.empty()) {
                for (auto& c : pool) {
                    c.conn.exec(set);
                    warm(c, qparams, std::min<std::size_t>(10, qparams.size()));
                    check_plan(c, ef);
                }
                std::vector<int> pids;
                for (auto& c : pool) pids.push_back(c.conn.backend_pid());
                ForeignCpu cforeign(pids);
                PassResult cp = concurrent_pass(pool, qparams, o.min_seconds);
                const double cforeign_pct = cforeign.percent();
                Json cj = latency_json(cp.lat);
                cj["clients"] = o.clients;
                cj["queries"] = cp.queries;
                cj["seconds"] = cp.seconds;
                cj["qps"] = cp.qps;
                cj["foreign_cpu_pct"] = pct_or_null(cforeign_pct);
                e["concurrent"] = cj;
                line += "; " + std::to_string(o.clients) + " clients " + fmt("%.0f", cp.qps) + " QPS";
                summary += fmt("  %7.0f", cp.qps);
            }
            summary += "\n";
            line += "; other processes used " + fmt("%.0f", foreign_pct) + "% of the CPUs";
            if (!chosen) line += " (the planner alone would pick a sequential scan)";
            progress("%s", line.c_str());
            sweep.push(e);
        }
        out["sweep"] = sweep;
    }
    out["plans"] = plans;

    if (!o.keep_table) main.exec("DROP TABLE " + tbl);
    out["machine"]["load_average_at_end"] = load_json();
    out["finished_at"] = timestamp_iso();
    out["duration_s"] = seconds_since(run_t0);

    /* results */
    const std::string name = ds.name + (o.tag.empty() ? "" : "-" + o.tag);
    make_dirs(o.results_dir);
    const std::string file = o.results_dir + "/" + name + "-" + stamp + ".json";
    const std::string text = out.dump();
    write_file(file, text);
    write_file(o.results_dir + "/latest-" + name + ".json", text);
    progress("results: %s (and latest-%s.json)", file.c_str(), name.c_str());
    const auto la = load_average();
    std::printf("\n== omenbench %s ==\n%sload average at end: %.2f %.2f %.2f\nresults: %s\n",
                name.c_str(), summary.c_str(), la[0], la[1], la[2], file.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "omenbench: error: %s\n", e.what());
        return 1;
    }
}
