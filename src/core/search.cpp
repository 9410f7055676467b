/*
 * search.cpp — OmenSearch: the resumable best-first search (Malkov &
 * Yashunin 2018, Algorithm 2, SEARCH-LAYER, extended with a pool so that it
 * can continue after a round).
 *
 * The hot methods (visit, offer, next) are inline in
 * include/omendb/search.hpp so the graph builder calls them without a
 * function call per neighbour; this file holds the cold paths (begin, array
 * growth, the round hand-over) and the C API, which wraps every call in
 * try/catch so that std::bad_alloc from a growing array becomes a status
 * (or -1) instead of crossing the C boundary.
 *
 * Round hand-over (results()).  W is sorted ascending and written out; those
 * nodes are now returned and leave the search for good.  Any that did not
 * fit in the caller's buffer go back to the pool, so nothing reachable is
 * ever lost.  Then W is refilled with the ef best of the pool, kept
 * unordered until now (one nth_element, then a sort of those ef); next()
 * expands those not yet expanded.  The next round is again plain Algorithm 2
 * from that state.
 *
 * Memory and threads: see search.hpp.  One OmenSearch per thread; the
 * object is allocated with new and released by omen_search_free().
 */
#include "omendb/search.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

namespace omendb {

namespace {

/* Ensures room for n elements, at least doubling the capacity when it grows. */
void reserve_geometric(std::vector<OmenCandidate>& v, size_t n) {
    if (n > v.capacity()) v.reserve(std::max(n, v.capacity() * 2));
}

} /* namespace */

/* Starts a search: O(1) epoch bump (clears stamps only on wrap), empties W and the pool, presizes the
 * visited array. */
void search_state::begin(uint32_t ef, uint32_t id_bound, bool keep_pool) {
    ef_ = ef == 0 ? 1 : ef;
    keep_pool_ = keep_pool;
    visited_ = 0;
    w_.clear();
    first_ = 0;
    d_.clear();
    if (epoch_ >= max_epoch) {
        /* wrap: old stamps could alias new epochs, forget them all */
        std::fill(stamps_.begin(), stamps_.end(), stamp_t(0));
        epoch_ = 2;
    } else
        epoch_ += 2;
    if (id_bound > stamps_.size())
        grow(id_bound - 1); /* geometric: a bound creeping up must not copy every time */
    if (w_.capacity() < static_cast<size_t>(ef_) + 1) w_.reserve(static_cast<size_t>(ef_) + 1);
}

/* Grows the visited array to cover id, at least doubling so growth is amortized. */
void search_state::grow(uint32_t id) {
    size_t want = static_cast<size_t>(id) + 1;

    want = std::max(want, stamps_.size() * 2);
    want = std::min(want, static_cast<size_t>(UINT32_MAX) + 1);
    stamps_.resize(want, stamp_t(0));
}

/* Ends the round: W out ascending (overflow back to the pool), then W <- ef best of D, which next()
 * expands unless they already are. */
uint32_t search_state::results(OmenCandidate* out, uint32_t max) {
    /* reserve first, so a bad_alloc leaves the search untouched */
    if (keep_pool_) reserve_geometric(d_, d_.size() + w_.size());
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(w_.size(), max));
    if (n > 0) std::memcpy(out, w_.data(), n * sizeof(OmenCandidate));
    if (keep_pool_) {
        for (size_t i = n; i < w_.size(); i++) pool_push(w_[i]);
    }
    w_.clear();
    first_ = 0;
    if (!keep_pool_ || d_.empty()) return n;
    const size_t take = std::min<size_t>(ef_, d_.size());
    const auto end = d_.begin() + static_cast<std::ptrdiff_t>(take);
    if (take < d_.size()) std::nth_element(d_.begin(), end, d_.end(), candidate_less()); /* O(|D|) */
    std::sort(d_.begin(), end, candidate_less());
    w_.assign(d_.begin(), end);
    d_.erase(d_.begin(), end);
    return n;
}

/* Jumps the epoch counter (tests use it to reach the wrap-around quickly). */
void search_state::set_epoch_for_testing(uint32_t epoch) noexcept {
    epoch_ = std::min(epoch, max_epoch) & ~1u;
}

} /* namespace omendb */

/* The opaque handle is the search state itself. */
struct OmenSearch {
    omendb::search_state state;
};

namespace {

/* Fills err (if any) with a status and a message; returns the status. */
OmenStatus set_error(OmenError* err, OmenStatus status, const char* message) noexcept {
    if (err != nullptr) {
        err->status = status;
        std::snprintf(err->message, sizeof(err->message), "%s", message);
    }
    return status;
}

} /* namespace */

extern "C" {

/* See omendb.h. */
OmenStatus omen_search_create(OmenSearch** out, OmenError* err) noexcept {
    if (out == nullptr)
        return set_error(err, OMEN_ERR_INVALID_ARGUMENT, "omen_search_create: out is NULL");
    *out = nullptr;
    try {
        *out = new OmenSearch();
    } catch (...) {
        return set_error(err, OMEN_ERR_OUT_OF_MEMORY, "out of memory creating a search");
    }
    return OMEN_OK;
}

/* See omendb.h. */
void omen_search_free(OmenSearch* s) noexcept {
    delete s;
}

/* See omendb.h. */
OmenStatus omen_search_begin(OmenSearch* s, uint32_t ef, uint32_t id_bound,
                             OmenError* err) noexcept {
    if (s == nullptr || ef == 0)
        return set_error(err, OMEN_ERR_INVALID_ARGUMENT,
                         "omen_search_begin: NULL search or ef = 0");
    try {
        s->state.begin(ef, id_bound, true);
    } catch (...) {
        return set_error(err, OMEN_ERR_OUT_OF_MEMORY, "out of memory sizing the visited set");
    }
    return OMEN_OK;
}

/* See omendb.h. */
int omen_search_visit(OmenSearch* s, uint32_t id) noexcept {
    if (s == nullptr) return -1;
    try {
        return s->state.visit(id) ? 1 : 0;
    } catch (...) {
        return -1;
    }
}

/* See omendb.h. */
int omen_search_visit_list(OmenSearch* s, const uint32_t* ids, uint32_t n,
                           uint32_t* fresh) noexcept {
    if (s == nullptr) return -1;
    uint32_t len = 0;
    while (len < n && ids[len] != OMEN_INVALID_NODE) s->state.prefetch_visit(ids[len++]);
    try {
        int k = 0;
        for (uint32_t i = 0; i < len; i++)
            if (s->state.visit(ids[i])) fresh[k++] = ids[i];
        return k;
    } catch (...) {
        return -1;
    }
}

/* See omendb.h. */
int omen_search_offer(OmenSearch* s, uint32_t id, float distance) noexcept {
    if (s == nullptr) return -1;
    try {
        s->state.offer(id, distance);
    } catch (...) {
        return -1;
    }
    return 0;
}

/* See omendb.h. */
uint32_t omen_search_next(OmenSearch* s) noexcept {
    return s == nullptr ? OMEN_INVALID_NODE : s->state.next();
}

/* See omendb.h.  Out of memory cannot be reported here: it returns 0 with the search state
 * unchanged. */
uint32_t omen_search_results(OmenSearch* s, OmenCandidate* out, uint32_t max) noexcept {
    if (s == nullptr || (out == nullptr && max > 0)) return 0;
    try {
        return s->state.results(out, max);
    } catch (...) {
        return 0;
    }
}

/* See omendb.h. */
uint64_t omen_search_visited_count(const OmenSearch* s) noexcept {
    return s == nullptr ? 0 : s->state.visited_count();
}

} /* extern "C" */
