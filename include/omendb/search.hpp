/*
 * search.hpp — the resumable best-first search behind OmenSearch, C++ side.
 *
 * What.  search_state runs SEARCH-LAYER (Malkov & Yashunin 2018,
 * Algorithm 2) with width ef as a pump driven by its caller: the caller owns
 * the graph and the vectors, the search owns the visited set, W and the pool.
 * A round is exactly Algorithm 2.  With a pool (keep_pool) the search can go
 * on after a round: nodes that fell out of the result set W, or were offered
 * while W was full and not good enough, go to a pool D instead of being
 * dropped; results() hands W over and refills it with the ef best of D,
 * queuing those not yet expanded, so successive rounds return successive
 * batches of next-best nodes until everything reachable has been returned
 * once.  The graph builder runs single rounds without a pool.
 *
 * Data.
 *   stamps_  one uint16 per node id.  begin() advances epoch_ by 2 instead of
 *            clearing: stamps_[id] == epoch_ means visited, epoch_ + 1 means
 *            visited and expanded, anything smaller belongs to an older
 *            search.  Epochs only grow, so "visited" is stamps_[id] >=
 *            epoch_.  When the counter would wrap the array is cleared once
 *            (every 32,766 searches: a memset of 2 bytes per node, small
 *            beside the searches; 16-bit stamps halve the array the random
 *            visit() lookups miss in, 2 MB at a million nodes).  The array
 *            grows on demand to cover the largest id seen and is never
 *            shrunk.
 *   w_       the round's results, sorted ascending on (distance, id), size
 *            <= ef, as NSG and DiskANN keep their pools.  It is also the
 *            candidate queue C: the candidates left to expand are exactly
 *            its unexpanded members (a node that falls out of W could only
 *            come up after every node of W, and Algorithm 2 stops before
 *            that), so next() is the first unexpanded member (first_ marks
 *            where to look) and an offer a binary search and a short move.
 *            Two heaps cost more: std::push_heap / pop_heap were a tenth of
 *            a 128-dim graph build.
 *   d_       the pool: appended to unordered (most scans never need it),
 *            partitioned on (distance, id) only when a round hands over.
 *
 * Invariants.  Every offered node is in exactly one of w_, d_ or the
 * returned set; offer() relies on the caller's visit() to offer a node only
 * once.  At the end of a round every node of w_ is expanded (a round only
 * ends when next() finds no unexpanded member), so a
 * returned node never needs to be expanded again, and everything reachable
 * is eventually either expanded or still waiting in d_.
 *
 * Memory.  All arrays are std::vectors that keep their capacity across
 * begin(); after the first few searches nothing allocates.  Growth throws
 * std::bad_alloc, which the C wrappers turn into status codes.
 *
 * Threads.  A search_state is single-threaded; use one per thread.
 */
#ifndef OMENDB_SEARCH_HPP
#define OMENDB_SEARCH_HPP

#include <algorithm>
#include <cstdint>
#include <vector>

#include "omendb/omendb.h"

namespace omendb {

/* Strict weak order on (distance, id): ascending distance, ties by id. */
struct candidate_less {
    bool operator()(const OmenCandidate& a, const OmenCandidate& b) const noexcept {
        return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
    }
};

class search_state {
  public:
    using stamp_t = uint16_t;
    /* The largest even epoch before the array is cleared. */
    static constexpr uint32_t max_epoch = 0xFFFCu;

    /* Starts a search of width ef (>= 1) over ids expected below id_bound; keep_pool enables later
     * rounds. */
    void begin(uint32_t ef, uint32_t id_bound, bool keep_pool = true);

    /* Marks id visited; true if it was not visited in this search. */
    bool visit(uint32_t id) {
        if (id >= stamps_.size()) grow(id);
        stamp_t& stamp = stamps_[id];

        if (stamp >= epoch_) return false;
        stamp = static_cast<stamp_t>(epoch_);
        visited_++;
        return true;
    }

    /* Hints the CPU to fetch id's visited stamp (for the next loop iteration). */
    void prefetch_visit(uint32_t id) const noexcept {
        if (id < stamps_.size()) __builtin_prefetch(stamps_.data() + id);
    }

    /* Offers a visited node to the round (Algorithm 2, lines 13-17), or to the pool. */
    void offer(uint32_t id, float distance) {
        if (distance != distance) /* NaN would break the order */
            distance = __builtin_inff();
        if (id >= stamps_.size()) grow(id);

        const OmenCandidate cand{distance, id};

        if (w_.size() < ef_ || distance < w_.back().distance) {
            const size_t pos = static_cast<size_t>(
                std::upper_bound(w_.begin(), w_.end(), cand, candidate_less()) - w_.begin());

            if (w_.size() == ef_) { /* full: the worst leaves W */
                if (keep_pool_) pool_push(w_.back());
                w_.pop_back();
            }
            w_.insert(w_.begin() + static_cast<std::ptrdiff_t>(pos), cand);
            if (pos < first_) first_ = pos;
        } else if (keep_pool_)
            pool_push(cand);
    }

    /* The distance a new node must beat to enter a full W (+inf while W is not full). */
    float bound() const noexcept {
        return w_.size() < ef_ ? __builtin_inff() : w_.back().distance;
    }

    /* The node next() would return (for prefetching its list), or OMEN_INVALID_NODE. */
    uint32_t peek() const noexcept {
        for (size_t i = first_; i < w_.size(); i++)
            if (stamps_[w_[i].id] != epoch_ + 1) return w_[i].id;
        return OMEN_INVALID_NODE;
    }

    /* Next node to expand (Algorithm 2, lines 5-9): the nearest unexpanded member of W, or
     * OMEN_INVALID_NODE when the round is over. */
    uint32_t next() noexcept {
        while (first_ < w_.size()) {
            stamp_t& stamp = stamps_[w_[first_++].id];

            if (stamp == epoch_ + 1) continue; /* expanded in an earlier round */
            stamp = static_cast<stamp_t>(epoch_ + 1);
            return w_[first_ - 1].id;
        }
        return OMEN_INVALID_NODE;
    }

    /* Ends the round: writes up to max results ascending, primes the next round; 0 when exhausted.
     */
    uint32_t results(OmenCandidate* out, uint32_t max);

    /* Distinct nodes visited since begin(). */
    uint64_t visited_count() const noexcept { return visited_; }

    /* Test hook: continue with a given epoch (to exercise the wrap-around path). */
    void set_epoch_for_testing(uint32_t epoch) noexcept;

    /* Capacity of the visited array (tests check it is reused). */
    size_t visited_capacity() const noexcept { return stamps_.size(); }

  private:
    /* Grows the visited array to cover id (at least doubling). */
    void grow(uint32_t id);

    /* Puts a candidate into the pool (unordered until results() needs it). */
    void pool_push(const OmenCandidate& cand) { d_.push_back(cand); }

    std::vector<stamp_t> stamps_;
    uint32_t epoch_ = 0; /* even; 0 only before the first begin() */
    uint32_t ef_ = 1;
    bool keep_pool_ = true;
    uint64_t visited_ = 0;
    std::vector<OmenCandidate> w_;
    size_t first_ = 0; /* every member of w_ before it is expanded */
    std::vector<OmenCandidate> d_;
};

} /* namespace omendb */

#endif /* OMENDB_SEARCH_HPP */
