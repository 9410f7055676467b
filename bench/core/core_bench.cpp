/*
 * core_bench.cpp — the C++ core alone, with no database: how fast the graph
 * builder links vectors and how fast/accurate a search over the built graph
 * is, beside hnswlib (Debian's libhnswlib-dev) on the same data with the
 * same parameters when its header is available.
 *
 * This separates the algorithm from PostgreSQL's costs (heap scan, buffer
 * manager, executor): the SQL-level driver in bench/driver measures the
 * product; this measures the engine inside it.
 *
 * Usage: core_bench [--threads N] [--m M] [--efc EF] [--queries Q] [--base N]
 *                   [--synthetic DIMS] [--search-storage 0|1|2] [--hnswlib 0|1]
 *                   [--graph-hash 0|1] [--link-order 0|1] [--seed S] [--pace-us US]
 *
 * --search-storage 2 builds with int8 copies for the construction searches
 * (OmenBuildParams.search_storage; 1 is half, 0 the float vectors);
 * --hnswlib 0 skips hnswlib; --graph-hash 1 prints a hash of the built graph
 * (run with --threads 1 it tells whether a change to the builder changed
 * the graph it makes); --link-order 1 links in the locality order the
 * server uses (OmenBuildParams.link_order), 0 (the default here) in arrival
 * order.  --seed sets the build's seed (levels, skeleton and grouping draws;
 * 42 by default), so that graph-to-graph spread can be told from a change;
 * --pace-us spins that many microseconds before each add, as the server's
 * heap scan takes ~22 us per Fashion-MNIST row: the workers then run out of
 * queued work while adding goes on, as they do in CREATE INDEX.  hnswlib
 * picks its kernels at compile time, so this file is compiled with
 * -march=native where the compiler allows (see CMakeLists.txt): hnswlib gets
 * AVX-512 on this machine, as it would in a user's own build; the core
 * dispatches at run time either way.
 * Reads Fashion-MNIST from /usr/share/datasets/fashion-mnist, or with
 * --synthetic makes a seeded set of --base vectors of DIMS dimensions
 * (Gaussian clusters, like bench/driver's).  Prints one JSON object per
 * measured configuration on stdout; the core's search lines also count the
 * distances one query measured (greedy descent included), the figure a
 * change to the graph must lower at equal recall to make queries cheaper
 * anywhere, the server included.
 */
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "omendb/omendb.h"

#if __has_include(<hnswlib/hnswlib.h>)
#include <hnswlib/hnswlib.h>
#define HAVE_HNSWLIB 1
#endif

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/* Reads an idx3 image file (gzip) as float vectors. */
std::vector<float> read_idx(const std::string& path, uint32_t limit, uint32_t& dims) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) throw std::runtime_error("cannot open " + path);
    unsigned char h[16];
    if (gzread(f, h, 16) != 16) throw std::runtime_error("short header in " + path);
    auto be = [&](int o) {
        return (uint32_t(h[o]) << 24) | (uint32_t(h[o + 1]) << 16) | (uint32_t(h[o + 2]) << 8) |
               h[o + 3];
    };
    if (be(0) != 2051) throw std::runtime_error(path + " is not an idx3 file");
    const uint32_t n = std::min(be(4), limit);
    dims = be(8) * be(12);
    std::vector<unsigned char> raw(size_t(n) * dims);
    if (gzread(f, raw.data(), unsigned(raw.size())) != int(raw.size()))
        throw std::runtime_error("short data in " + path);
    gzclose(f);
    return std::vector<float>(raw.begin(), raw.end());
}

/*
 * Seeded Gaussian clusters shaped like bench/driver's default synthetic set:
 * 100 centres drawn N(0, 1) per dimension (the same centres for the base and
 * the queries, from their own seed), each point a centre plus N(0, 0.5^2)
 * noise in every dimension.  The values are not the driver's (it has its own
 * generator), the distribution is.
 */
std::vector<float> synthetic(uint32_t n, uint32_t dims, uint32_t seed) {
    std::mt19937_64 crng(0xC1u);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> centres(size_t(100) * dims);
    for (float& c : centres) c = g(crng);
    std::mt19937_64 rng(seed);
    std::vector<float> out(size_t(n) * dims);
    for (uint32_t i = 0; i < n; i++) {
        const float* c = &centres[size_t(rng() % 100) * dims];
        for (uint32_t d = 0; d < dims; d++) out[size_t(i) * dims + d] = c[d] + 0.5f * g(rng);
    }
    return out;
}

/* Exact top-k by brute force on `threads` threads. */
std::vector<uint32_t> ground_truth(const std::vector<float>& base, const std::vector<float>& q,
                                   uint32_t dims, uint32_t k, uint32_t threads) {
    const uint32_t n = uint32_t(base.size() / dims), nq = uint32_t(q.size() / dims);
    std::vector<uint32_t> out(size_t(nq) * k);
    auto work = [&](uint32_t from, uint32_t to) {
        std::vector<std::pair<float, uint32_t>> d(n);
        for (uint32_t i = from; i < to; i++) {
            for (uint32_t j = 0; j < n; j++)
                d[j] = {omen_l2_squared(&q[size_t(i) * dims], &base[size_t(j) * dims], dims), j};
            std::partial_sort(d.begin(), d.begin() + k, d.end());
            for (uint32_t r = 0; r < k; r++) out[size_t(i) * k + r] = d[r].second;
        }
    };
    std::vector<std::thread> ts;
    for (uint32_t t = 0; t < threads; t++)
        ts.emplace_back(work, nq * t / threads, nq * (t + 1) / threads);
    for (auto& t : ts) t.join();
    return out;
}

double recall(const std::vector<uint32_t>& truth, const std::vector<uint32_t>& got, uint32_t k) {
    size_t hit = 0;
    for (size_t i = 0; i < truth.size(); i += k)
        for (uint32_t a = 0; a < k; a++)
            for (uint32_t b = 0; b < k; b++) hit += truth[i + a] == got[i + b];
    return double(hit) / double(truth.size());
}

/* Search over the builder's graph with the core's search engine (upper levels greedily). */
uint64_t omen_search_all(const OmenBuilder* b, uint32_t m, uint32_t dims,
                         const std::vector<float>& q, uint32_t ef, uint32_t k,
                         std::vector<uint32_t>& out) {
    uint64_t measured = 0; /* distances computed, descent included */
    OmenSearch* s = nullptr;
    OmenError err;
    omen_search_create(&s, &err);
    const OmenDistanceFn dist = omen_index_distance(OMEN_METRIC_L2);
    const uint32_t n = omen_builder_count(b), nq = uint32_t(q.size() / dims);
    std::vector<OmenCandidate> res(ef);
    out.assign(size_t(nq) * k, OMEN_INVALID_NODE);
    auto vec = [&](uint32_t id) {
        return reinterpret_cast<const float*>(omen_builder_node(b, id) + OMEN_VECTOR_OFFSET(m));
    };
    auto links0 = [&](uint32_t id) {
        return reinterpret_cast<const uint32_t*>(omen_builder_node(b, id) + OMEN_LINKS_OFFSET);
    };
    for (uint32_t i = 0; i < nq; i++) {
        const float* qv = &q[size_t(i) * dims];
        uint32_t cur = omen_builder_entry_point(b);
        float cd = dist(qv, vec(cur), dims);
        for (int l = omen_builder_max_level(b); l > 0; l--) {
            for (bool changed = true; changed;) {
                changed = false;
                const uint32_t* ul = omen_builder_upper_links(b, cur, uint32_t(l));
                for (uint32_t j = 0; ul && j < m && ul[j] != OMEN_INVALID_NODE; j++) {
                    const float d = dist(qv, vec(ul[j]), dims);
                    measured++;
                    if (d < cd) cd = d, cur = ul[j], changed = true;
                }
            }
        }
        omen_search_begin(s, ef, n, &err);
        omen_search_visit(s, cur);
        omen_search_offer(s, cur, cd);
        for (uint32_t c; (c = omen_search_next(s)) != OMEN_INVALID_NODE;) {
            const uint32_t* l0 = links0(c);
            for (uint32_t j = 0; j < 2 * m && l0[j] != OMEN_INVALID_NODE; j++)
                if (omen_search_visit(s, l0[j]) == 1)
                    omen_search_offer(s, l0[j], dist(qv, vec(l0[j]), dims));
        }
        measured += omen_search_visited_count(s);
        const uint32_t got = omen_search_results(s, res.data(), ef);
        for (uint32_t r = 0; r < std::min(got, k); r++) out[size_t(i) * k + r] = res[r].id;
    }
    omen_search_free(s);
    return measured;
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t threads = 2, m = 16, efc = 64, nq = 1000, nbase = 60000, synth_dims = 0, sstore = 0,
             with_hnswlib = 1, graph_hash = 0, link_order = 0, seed = 42, pace_us = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const uint32_t v = uint32_t(std::strtoul(argv[i + 1], nullptr, 10));
        if (a == "--threads") threads = v;
        else if (a == "--m") m = v;
        else if (a == "--efc") efc = v;
        else if (a == "--queries") nq = v;
        else if (a == "--base") nbase = v;
        else if (a == "--synthetic") synth_dims = v;
        else if (a == "--search-storage") sstore = v;
        else if (a == "--hnswlib") with_hnswlib = v;
        else if (a == "--graph-hash") graph_hash = v;
        else if (a == "--link-order") link_order = v;
        else if (a == "--seed") seed = v;
        else if (a == "--pace-us") pace_us = v;
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    try {
        const std::string dir = "/usr/share/datasets/fashion-mnist/";
        uint32_t dims = synth_dims;
        const std::vector<float> base = synth_dims
                                            ? synthetic(nbase, dims, 42)
                                            : read_idx(dir + "train-images-idx3-ubyte.gz", nbase, dims);
        const std::vector<float> q = synth_dims ? synthetic(nq, dims, 43)
                                                : read_idx(dir + "t10k-images-idx3-ubyte.gz", nq, dims);
        const uint32_t n = uint32_t(base.size() / dims);
        const uint32_t k = 10;
        const std::vector<uint32_t> truth = ground_truth(base, q, dims, k, 2);

        /* OmenDB core */
        OmenBuildParams p{};
        p.dims = dims;
        p.m = m;
        p.ef_construction = efc;
        p.metric = OMEN_METRIC_L2;
        p.seed = seed;
        p.search_storage = static_cast<OmenStorage>(sstore);
        p.link_order = link_order;
        OmenBuilder* b = nullptr;
        OmenError err;
        if (omen_builder_create(&p, &b, &err) != OMEN_OK) throw std::runtime_error(err.message);
        auto t0 = clock_type::now();
        omen_builder_start(b, threads, &err);
        OmenBuildProgress at_finish{};
        for (uint32_t i = 0; i < n; i++) {
            if (pace_us > 0) {
                const auto until = clock_type::now() + std::chrono::microseconds(pace_us);
                while (clock_type::now() < until) {
                }
            }
            uint8_t pl[6] = {0};
            std::memcpy(pl, &i, sizeof i); /* the payload names the input row (ids may differ) */
            omen_builder_add(b, &base[size_t(i) * dims], pl, &err);
        }
        omen_builder_wait(b, 0, &at_finish, &err); /* how much was linked while adding */
        omen_builder_finish_adding(b);
        OmenStatus st;
        while ((st = omen_builder_wait(b, 100, nullptr, &err)) == OMEN_PENDING) {
        }
        if (st != OMEN_OK) throw std::runtime_error(err.message);
        const double build_s = seconds_since(t0);
        if (graph_hash) {
            /* FNV-1a over every slot and upper list: two builds made the same graph iff equal */
            uint64_t h = 1469598103934665603ull;
            const uint32_t slot = omen_builder_slot_size(b);
            auto mix = [&h](const uint8_t* bytes, size_t len) {
                for (size_t j = 0; j < len; j++) h = (h ^ bytes[j]) * 1099511628211ull;
            };
            for (uint32_t i = 0; i < n; i++) {
                mix(omen_builder_node(b, i), slot);
                for (uint32_t l = 1; const uint32_t* u = omen_builder_upper_links(b, i, l); l++)
                    mix(reinterpret_cast<const uint8_t*>(u), sizeof(uint32_t) * m);
            }
            std::printf("{\"engine\":\"omendb-core\",\"graph_hash\":\"%016llx\",\"entry_point\":%u}\n",
                        static_cast<unsigned long long>(h), omen_builder_entry_point(b));
        }
        std::printf("{\"engine\":\"omendb-core\",\"simd\":\"%s\",\"n\":%u,\"dims\":%u,\"m\":%u,"
                    "\"ef_construction\":%u,\"threads\":%u,\"seed\":%u,\"pace_us\":%u,"
                    "\"linked_while_adding\":%llu,\"build_s\":%.3f,\"build_vps\":%.0f}\n",
                    omen_simd_name(), n, dims, m, efc, threads, seed, pace_us,
                    static_cast<unsigned long long>(at_finish.inserted), build_s, n / build_s);
        for (uint32_t ef : {10u, 20u, 40u, 80u, 160u}) {
            std::vector<uint32_t> got;
            t0 = clock_type::now();
            const uint64_t measured = omen_search_all(b, m, dims, q, ef, k, got);
            const double s = seconds_since(t0);
            for (uint32_t& id : got) /* node id -> input row */
                if (id != OMEN_INVALID_NODE)
                    std::memcpy(&id, omen_builder_node(b, id) + offsetof(OmenNodeHeader, payload),
                                sizeof id);
            std::printf("{\"engine\":\"omendb-core\",\"ef_search\":%u,\"recall\":%.4f,\"qps\":%.0f,"
                        "\"distances_per_query\":%.1f}\n",
                        ef, recall(truth, got, k), q.size() / dims / s,
                        static_cast<double>(measured) / (q.size() / dims));
        }
        omen_builder_free(b);

#ifdef HAVE_HNSWLIB
        if (!with_hnswlib) return 0;
        hnswlib::L2Space space(dims);
        hnswlib::HierarchicalNSW<float> h(&space, n, m, efc, 42);
        t0 = clock_type::now();
        std::vector<std::thread> ts;
        for (uint32_t t = 0; t < threads; t++)
            ts.emplace_back([&, t] {
                for (uint32_t i = t; i < n; i += threads) h.addPoint(&base[size_t(i) * dims], i);
            });
        for (auto& t : ts) t.join();
        const double hb = seconds_since(t0);
        std::printf("{\"engine\":\"hnswlib\",\"n\":%u,\"dims\":%u,\"m\":%u,\"ef_construction\":%u,"
                    "\"threads\":%u,\"build_s\":%.3f,\"build_vps\":%.0f}\n",
                    n, dims, m, efc, threads, hb, n / hb);
        for (uint32_t ef : {10u, 20u, 40u, 80u, 160u}) {
            h.setEf(ef);
            std::vector<uint32_t> got(truth.size());
            t0 = clock_type::now();
            for (uint32_t i = 0; i < q.size() / dims; i++) {
                auto r = h.searchKnn(&q[size_t(i) * dims], k);
                for (int j = int(k) - 1; j >= 0 && !r.empty(); j--, r.pop())
                    got[size_t(i) * k + j] = uint32_t(r.top().second);
            }
            const double s = seconds_since(t0);
            std::printf("{\"engine\":\"hnswlib\",\"ef_search\":%u,\"recall\":%.4f,\"qps\":%.0f}\n", ef,
                        recall(truth, got, k), q.size() / dims / s);
        }
#endif
    } catch (const std::exception& e) {
        std::fprintf(stderr, "core_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
