/*
 * select.cpp — the C entry points for the HNSW level draw and the
 * neighbour-selection heuristic (Malkov & Yashunin 2018, Algorithms 1 and 4).
 *
 * The algorithms themselves live in include/omendb/select.hpp so that the
 * graph builder can run them straight on its node slots; this file only
 * adapts the C calling convention (a row-major array of candidate vectors and
 * a metric) to them.  Both functions are pure: no state, no locks, no
 * allocation, so they are safe to call from any thread.
 */
#include "omendb/select.hpp"

#include <cmath>

namespace omendb {

/* Algorithm 1, line 4: floor(-ln(u) * mL) with mL = 1/ln(m); u outside (0, 1] or NaN is clamped. */
uint8_t random_level(uint32_t m, double u) noexcept {
    if (m < OMEN_MIN_M) m = OMEN_MIN_M;
    if (!(u > 0.0)) /* 0, negative or NaN: -ln(u) is +inf */
        return OMEN_MAX_LEVEL;
    if (u >= 1.0) return 0;

    const double level = std::floor(-std::log(u) / std::log(static_cast<double>(m)));

    if (!(level < static_cast<double>(OMEN_MAX_LEVEL))) return OMEN_MAX_LEVEL;
    return static_cast<uint8_t>(level);
}

} /* namespace omendb */

extern "C" {

/* See omendb.h. */
uint8_t omen_random_level(uint32_t m, double u) noexcept {
    return omendb::random_level(m, u);
}

/* See omendb.h; an unknown metric or a missing array selects nothing. */
uint32_t omen_select_neighbors(const OmenCandidate* cands, uint32_t n, const float* vectors,
                               uint32_t dims, OmenMetric metric, uint32_t max_keep,
                               uint32_t* out_index) noexcept {
    if (n == 0 || max_keep == 0 || cands == nullptr || out_index == nullptr ||
        (vectors == nullptr && dims > 0))
        return 0;

    const OmenDistanceFn dist = omen_index_distance(metric);

    if (dist == nullptr) return 0;

    const size_t stride = dims;

    return omendb::select_neighbors(
        cands, n, [vectors, stride](uint32_t i) noexcept { return vectors + i * stride; }, dims,
        dist, max_keep, out_index);
}

} /* extern "C" */
