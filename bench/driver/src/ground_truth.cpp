/*
 * ground_truth.cpp — blocked, threaded brute force and its cache (see ground_truth.hpp).
 */
#include "ground_truth.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "omendb/omendb.h"

namespace omenbench {

namespace {

constexpr char kMagic[8] = {'O', 'M', 'B', 'G', 'T', '0', '0', '1'};

struct Header {
    char magic[8];
    uint64_t fingerprint, k, nqueries, rows, dims;
};

void make_dirs(const std::string& path) {
    std::string cur;
    for (std::size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            if (!cur.empty()) mkdir(cur.c_str(), 0755);
        }
        if (i < path.size()) cur += path[i];
    }
}

bool read_cache(const std::string& file, const Header& want, GroundTruth& gt) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    Header h;
    if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) return false;
    if (std::memcmp(h.magic, kMagic, 8) != 0 || h.fingerprint != want.fingerprint || h.k != want.k ||
        h.nqueries != want.nqueries || h.rows != want.rows || h.dims != want.dims)
        return false;
    gt.ids.resize(h.k * h.nqueries);
    gt.dist.resize(h.k * h.nqueries);
    if (!in.read(reinterpret_cast<char*>(gt.ids.data()), gt.ids.size() * sizeof(int32_t)))
        return false;
    if (!in.read(reinterpret_cast<char*>(gt.dist.data()), gt.dist.size() * sizeof(float)))
        return false;
    return true;
}

void write_cache(const std::string& file, const Header& h, const GroundTruth& gt) {
    std::string tmp = file + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
            std::fprintf(stderr, "warning: cannot write ground-truth cache %s\n", tmp.c_str());
            return;
        }
        out.write(reinterpret_cast<const char*>(&h), sizeof h);
        out.write(reinterpret_cast<const char*>(gt.ids.data()), gt.ids.size() * sizeof(int32_t));
        out.write(reinterpret_cast<const char*>(gt.dist.data()), gt.dist.size() * sizeof(float));
        if (!out) {
            std::fprintf(stderr, "warning: writing ground-truth cache %s failed\n", tmp.c_str());
            return;
        }
    }
    std::rename(tmp.c_str(), file.c_str());
}

using Cand = std::pair<float, int32_t>; /* (distance, row); max-heap by (distance, row) */

void compute(const Dataset& ds, std::size_t k, unsigned threads, GroundTruth& gt) {
    const std::size_t d = ds.dims, nq = ds.nqueries, rows = ds.rows;
    constexpr std::size_t kQueryBlock = 16;
    /* Base rows per block: about 256 KiB of floats, at least 16 rows. */
    const std::size_t row_block = std::max<std::size_t>(16, (256u << 10) / (4 * d));
    const std::size_t nblocks = (nq + kQueryBlock - 1) / kQueryBlock;
    std::atomic<std::size_t> next{0};

    auto worker = [&] {
        std::vector<std::vector<Cand>> heaps(kQueryBlock);
        for (std::size_t b; (b = next.fetch_add(1)) < nblocks;) {
            const std::size_t q0 = b * kQueryBlock, q1 = std::min(nq, q0 + kQueryBlock);
            for (auto& h : heaps) h.clear();
            for (std::size_t r0 = 0; r0 < rows; r0 += row_block) {
                const std::size_t r1 = std::min(rows, r0 + row_block);
                for (std::size_t q = q0; q < q1; ++q) {
                    const float* qv = ds.query(q);
                    auto& heap = heaps[q - q0];
                    for (std::size_t r = r0; r < r1; ++r) {
                        Cand c{omen_l2_squared(qv, ds.row(r), d), static_cast<int32_t>(r)};
                        if (heap.size() < k) {
                            heap.push_back(c);
                            std::push_heap(heap.begin(), heap.end());
                        } else if (c < heap.front()) {
                            std::pop_heap(heap.begin(), heap.end());
                            heap.back() = c;
                            std::push_heap(heap.begin(), heap.end());
                        }
                    }
                }
            }
            for (std::size_t q = q0; q < q1; ++q) {
                auto& heap = heaps[q - q0];
                std::sort_heap(heap.begin(), heap.end());
                for (std::size_t i = 0; i < k; ++i) {
                    gt.ids[q * k + i] = heap[i].second;
                    gt.dist[q * k + i] = heap[i].first;
                }
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
}

}  // namespace

double l2_squared_exact(const float* a, const float* b, std::size_t n) noexcept {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double t = static_cast<double>(a[i]) - static_cast<double>(b[i]);
        s += t * t;
    }
    return s;
}

GroundTruth ground_truth(const Dataset& ds, std::size_t k, unsigned threads,
                         const std::string& cache_dir) {
    if (k == 0 || k > ds.rows) throw std::runtime_error("k must be between 1 and the number of rows");
    if (threads == 0) threads = 1;
    GroundTruth gt;
    gt.k = k;
    gt.nqueries = ds.nqueries;
    gt.threads = threads;
    auto t0 = std::chrono::steady_clock::now();

    Header h{};
    std::memcpy(h.magic, kMagic, 8);
    h.fingerprint = ds.fingerprint();
    h.k = k;
    h.nqueries = ds.nqueries;
    h.rows = ds.rows;
    h.dims = ds.dims;

    if (!cache_dir.empty()) {
        gt.cache_file = cache_dir + "/gt-" + ds.key + "-k" + std::to_string(k) + ".bin";
        if (read_cache(gt.cache_file, h, gt)) {
            gt.from_cache = true;
            gt.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            return gt;
        }
    }
    gt.ids.assign(k * ds.nqueries, -1);
    gt.dist.assign(k * ds.nqueries, 0.0f);
    compute(ds, k, threads, gt);
    gt.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!cache_dir.empty()) {
        make_dirs(cache_dir);
        write_cache(gt.cache_file, h, gt);
    }
    return gt;
}

}  // namespace omenbench
