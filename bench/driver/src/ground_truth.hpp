/*
 * ground_truth.hpp — exact k nearest neighbours of every query, by brute force.
 *
 * Squared Euclidean distance with the project's own SIMD kernels
 * (omen_l2_squared, dispatched at run time like the extension), split over
 * std::threads by blocks of queries, each block streamed against cache-sized
 * blocks of base rows so the base set is read from memory once per block of
 * queries instead of once per query.  Ties are broken by the lower row
 * number, so the result is deterministic.
 *
 * The result is cached in <cache_dir>/gt-<dataset key>-k<k>.bin with a header
 * holding the data set's fingerprint (a hash of every float): a cache written
 * for other data is recomputed, never trusted.
 */
#ifndef OMENBENCH_GROUND_TRUTH_HPP
#define OMENBENCH_GROUND_TRUTH_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataset.hpp"

namespace omenbench {

struct GroundTruth {
    std::size_t k = 0;
    std::size_t nqueries = 0;
    std::vector<int32_t> ids;   /* nqueries * k row numbers (0-based), nearest first */
    std::vector<float> dist;    /* the matching squared distances */
    bool from_cache = false;
    double seconds = 0;         /* time to compute or to read the cache */
    unsigned threads = 0;
    std::string cache_file;

    const int32_t* of(std::size_t q) const noexcept { return ids.data() + q * k; }
};

/* cache_dir "" disables the cache. */
GroundTruth ground_truth(const Dataset& ds, std::size_t k, unsigned threads,
                         const std::string& cache_dir);

/* Exact squared L2 distance in double precision (for tie-aware recall). */
double l2_squared_exact(const float* a, const float* b, std::size_t n) noexcept;

}  // namespace omenbench

#endif /* OMENBENCH_GROUND_TRUTH_HPP */
