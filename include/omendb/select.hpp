/*
 * select.hpp — HNSW level draw and neighbour selection, C++ side.
 *
 * What.  random_level() draws a node's top level (Malkov & Yashunin 2018,
 * Algorithm 1 line 4: l = floor(-ln(unif(0..1)) * mL) with mL = 1 / ln(m)).
 * select_neighbors() is the neighbour-selection heuristic of Algorithm 4 in
 * the variant hnswlib uses: no extension of the candidate set and no
 * keeping of pruned connections.  Walking the candidates by ascending
 * distance to the base, a candidate is kept unless it is strictly closer to
 * some already-kept candidate than to the base.  This spreads a node's links
 * over different directions instead of spending them on one dense cluster.
 *
 * Why a template.  The C entry point omen_select_neighbors() takes the
 * candidates' vectors as one row-major array.  The graph builder has its
 * vectors in node slots and must not copy them, and may measure compact
 * copies instead of the vectors, so the algorithm (select_neighbors_by) is
 * a template over `float between(uint32_t i, uint32_t k)`, the distance
 * between two candidates by their indices in the candidate array, in the
 * measure of the candidates' own distances.  select_neighbors() builds
 * that from an accessor `const float *vec_of(uint32_t index)` and a
 * distance function resolved once by the caller (a plain function pointer:
 * no virtual call, no std::function in the loop).
 *
 * Ties.  A candidate at the same distance from a kept one as from the base
 * is kept (as in hnswlib), so exact duplicate vectors still link to each
 * other instead of collapsing onto a single edge.
 *
 * Memory.  Nothing is allocated: kept indices are written to the caller's
 * out_index array, which also serves as the list of kept candidates.
 */
#ifndef OMENDB_SELECT_HPP
#define OMENDB_SELECT_HPP

#include <cstdint>

#include "omendb/omendb.h"

namespace omendb {

/* Level for a new node from a uniform u in (0, 1]: floor(-ln(u) / ln(m)), capped at OMEN_MAX_LEVEL.
 */
uint8_t random_level(uint32_t m, double u) noexcept;

/* Algorithm 4 (hnswlib variant) over cands[0..n), sorted ascending; between(i, k) gives the
 * distance between cands[i] and cands[k] in the measure of cands[].distance; returns kept count. */
template <typename Between>
inline uint32_t select_neighbors_by(const OmenCandidate* cands, uint32_t n, Between&& between,
                                    uint32_t max_keep, uint32_t* out_index) noexcept {
    uint32_t kept = 0;

    for (uint32_t i = 0; i < n && kept < max_keep; i++) {
        const float to_base = cands[i].distance;
        bool good = true;

        for (uint32_t k = 0; k < kept; k++) {
            if (between(i, out_index[k]) < to_base) {
                good = false;
                break;
            }
        }
        if (good) out_index[kept++] = i;
    }
    return kept;
}

/* The same with vectors: vec_of(i) gives cands[i]'s vector, dist measures two of them. */
template <typename VecOf>
inline uint32_t select_neighbors(const OmenCandidate* cands, uint32_t n, VecOf&& vec_of,
                                 uint32_t dims, OmenDistanceFn dist, uint32_t max_keep,
                                 uint32_t* out_index) noexcept {
    return select_neighbors_by(
        cands, n,
        [&vec_of, dims, dist](uint32_t i, uint32_t k) noexcept {
            return dist(vec_of(i), vec_of(k), dims);
        },
        max_keep, out_index);
}

} /* namespace omendb */

#endif /* OMENDB_SELECT_HPP */
