/*
 * test_search.cpp — OmenSearch, the resumable best-first search.
 *
 * Guarantees checked on hand-made and random directed graphs:
 *   (a) the first round equals a straightforward SEARCH-LAYER (Algorithm 2)
 *       written here with std::priority_queue and std::set;
 *   (b) repeated rounds return every node reachable from the entry points
 *       exactly once, and nothing else;
 *   (c) within a round results ascend and number at most ef;
 *   (d) no allocation once warmed up (counted by a replacement operator new
 *       that only counts on a thread that asked it to);
 *   (e) begin() is O(1), and the epoch wrap-around clears stale marks.
 *
 * Note: this file replaces the global operator new/delete for the whole test
 * binary; no other test file may do so.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <new>
#include <queue>
#include <random>
#include <set>
#include <vector>

#include "omendb/omendb.h"
#include "omendb/search.hpp"

/* ------------------------------------------------ allocation counting */

/* GCC 12 flags free() in a replacement operator delete as mismatched (a false positive). */
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
thread_local bool counting_allocations = false;
thread_local size_t allocation_count = 0;
}  // namespace

void* operator new(std::size_t n) {
    if (counting_allocations) allocation_count++;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}

void operator delete(void* p) noexcept {
    std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

/* A directed graph with vectors; nodes >= reachable_n have no in-edges. */
struct test_graph {
    uint32_t n = 0;
    uint32_t dims = 0;
    std::vector<float> vec;
    std::vector<std::vector<uint32_t>> adj;

    const float* v(uint32_t id) const { return &vec[static_cast<size_t>(id) * dims]; }
};

/* Random graph: a ring over the reachable part plus `degree` random edges per node. */
test_graph random_graph(uint32_t n, uint32_t dims, uint32_t degree, uint32_t unreachable,
                        uint32_t seed) {
    test_graph g;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    const uint32_t reach = n - unreachable;
    std::uniform_int_distribution<uint32_t> pick(0, reach - 1);

    g.n = n;
    g.dims = dims;
    g.vec.resize(static_cast<size_t>(n) * dims);
    for (float& x : g.vec) x = u(rng);
    g.adj.resize(n);
    for (uint32_t i = 0; i < n; i++) {
        std::set<uint32_t> out;

        if (i < reach) out.insert((i + 1) % reach);
        while (out.size() < degree + (i < reach ? 1u : 0u)) {
            const uint32_t t = pick(rng);

            if (t != i) out.insert(t);
        }
        g.adj[i].assign(out.begin(), out.end());
        std::shuffle(g.adj[i].begin(), g.adj[i].end(), rng);
    }
    return g;
}

/* A random query vector. */
std::vector<float> random_query(uint32_t dims, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> q(dims);

    for (float& x : q) x = u(rng);
    return q;
}

/* Offers the entry points (the pump's preamble). */
void offer_entries(OmenSearch* s, const test_graph& g, const float* q,
                   const std::vector<uint32_t>& eps) {
    for (uint32_t e : eps) {
        if (omen_search_visit(s, e) == 1) {
            ASSERT_EQ(omen_search_offer(s, e, omen_l2_squared(q, g.v(e), g.dims)), 0);
        }
    }
}

/* Expands until the round ends and returns its results. */
std::vector<OmenCandidate> run_round(OmenSearch* s, const test_graph& g, const float* q,
                                     uint32_t max_out) {
    uint32_t c;

    /* as the server does: one omen_search_visit_list per link list */
    std::vector<uint32_t> fresh;
    while ((c = omen_search_next(s)) != OMEN_INVALID_NODE) {
        const auto& links = g.adj[c];
        fresh.resize(links.size());
        const int k = omen_search_visit_list(s, links.data(), static_cast<uint32_t>(links.size()),
                                             fresh.data());
        EXPECT_GE(k, 0);
        for (int i = 0; i < k; i++)
            EXPECT_EQ(omen_search_offer(s, fresh[i], omen_l2_squared(q, g.v(fresh[i]), g.dims)), 0);
    }

    std::vector<OmenCandidate> out(max_out);

    out.resize(omen_search_results(s, out.data(), max_out));
    return out;
}

/* Algorithm 2 as printed in the paper, with standard containers. */
std::vector<OmenCandidate> reference_search_layer(const test_graph& g, const float* q,
                                                  const std::vector<uint32_t>& eps, uint32_t ef) {
    auto less = [](const OmenCandidate& a, const OmenCandidate& b) {
        return a.distance < b.distance;
    };
    auto greater = [](const OmenCandidate& a, const OmenCandidate& b) {
        return a.distance > b.distance;
    };
    std::priority_queue<OmenCandidate, std::vector<OmenCandidate>, decltype(greater)> cand(greater);
    std::priority_queue<OmenCandidate, std::vector<OmenCandidate>, decltype(less)> w(less);
    std::set<uint32_t> visited;

    for (uint32_t e : eps) {
        if (!visited.insert(e).second) continue;

        const OmenCandidate c{omen_l2_squared(q, g.v(e), g.dims), e};

        cand.push(c);
        w.push(c);
        if (w.size() > ef) w.pop();
    }
    while (!cand.empty()) {
        const OmenCandidate c = cand.top();

        cand.pop();
        if (c.distance > w.top().distance) break;
        for (uint32_t e : g.adj[c.id]) {
            if (!visited.insert(e).second) continue;

            const float d = omen_l2_squared(q, g.v(e), g.dims);

            if (w.size() < ef || d < w.top().distance) {
                cand.push(OmenCandidate{d, e});
                w.push(OmenCandidate{d, e});
                if (w.size() > ef) w.pop();
            }
        }
    }

    std::vector<OmenCandidate> out;

    while (!w.empty()) {
        out.push_back(w.top());
        w.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
}

/* Nodes reachable from eps by BFS. */
std::set<uint32_t> reachable(const test_graph& g, const std::vector<uint32_t>& eps) {
    std::set<uint32_t> seen(eps.begin(), eps.end());
    std::vector<uint32_t> todo(eps.begin(), eps.end());

    while (!todo.empty()) {
        const uint32_t c = todo.back();

        todo.pop_back();
        for (uint32_t e : g.adj[c]) {
            if (seen.insert(e).second) todo.push_back(e);
        }
    }
    return seen;
}

/* Compares two result lists id by id and distance by distance. */
void expect_same(const std::vector<OmenCandidate>& a, const std::vector<OmenCandidate>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); i++) {
        EXPECT_EQ(a[i].id, b[i].id) << "position " << i;
        EXPECT_EQ(a[i].distance, b[i].distance) << "position " << i;
    }
}

/* RAII holder for an OmenSearch. */
struct search_handle {
    OmenSearch* s = nullptr;

    search_handle() { EXPECT_EQ(omen_search_create(&s, nullptr), OMEN_OK); }
    ~search_handle() { omen_search_free(s); }
};

} /* namespace */

TEST(Search, EmptySearchEndsAtOnce) {
    search_handle h;

    ASSERT_EQ(omen_search_begin(h.s, 10, 0, nullptr), OMEN_OK);
    EXPECT_EQ(omen_search_next(h.s), OMEN_INVALID_NODE);

    OmenCandidate out[4];

    EXPECT_EQ(omen_search_results(h.s, out, 4), 0u);
    EXPECT_EQ(omen_search_visited_count(h.s), 0u);

    OmenError err;

    EXPECT_EQ(omen_search_begin(h.s, 0, 0, &err), OMEN_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(err.status, OMEN_ERR_INVALID_ARGUMENT);
}

TEST(Search, HandMadePath) {
    /* 1-D points on a line, edges i -> i+1 and i -> i-1; query at 0 */
    test_graph g;

    g.n = 6;
    g.dims = 1;
    g.vec = {5, 1, 3, 2, 4, 0}; /* node id -> coordinate */
    g.adj = {{2, 4}, {5, 3}, {3, 4}, {1, 2}, {0, 2}, {1}};

    search_handle h;
    const float q[1] = {0};

    ASSERT_EQ(omen_search_begin(h.s, 2, 6, nullptr), OMEN_OK);
    offer_entries(h.s, g, q, {0});

    auto r1 = run_round(h.s, g, q, 10);

    ASSERT_EQ(r1.size(), 2u);
    EXPECT_EQ(r1[0].id, 5u); /* coordinate 0 */
    EXPECT_EQ(r1[1].id, 1u); /* coordinate 1 */

    auto r2 = run_round(h.s, g, q, 10);

    ASSERT_EQ(r2.size(), 2u);
    EXPECT_EQ(r2[0].id, 3u);
    EXPECT_EQ(r2[1].id, 2u);

    auto r3 = run_round(h.s, g, q, 10);

    ASSERT_EQ(r3.size(), 2u);
    EXPECT_EQ(r3[0].id, 4u);
    EXPECT_EQ(r3[1].id, 0u);
    EXPECT_EQ(run_round(h.s, g, q, 10).size(), 0u);
    EXPECT_EQ(omen_search_visited_count(h.s), 6u);
}

TEST(Search, FirstRoundEqualsReferenceSearchLayer) {
    const test_graph g = random_graph(3000, 8, 10, 0, 1);
    std::mt19937 rng(2);
    search_handle h;

    for (uint32_t ef : {1u, 4u, 16u, 64u, 200u}) {
        for (int t = 0; t < 30; t++) {
            const std::vector<float> q = random_query(g.dims, rng);
            const std::vector<uint32_t> eps =
                t % 2 ? std::vector<uint32_t>{0}
                      : std::vector<uint32_t>{static_cast<uint32_t>(t), 17, 99};

            ASSERT_EQ(omen_search_begin(h.s, ef, g.n, nullptr), OMEN_OK);
            offer_entries(h.s, g, q.data(), eps);

            const auto got = run_round(h.s, g, q.data(), ef);
            const auto want = reference_search_layer(g, q.data(), eps, ef);

            SCOPED_TRACE(testing::Message() << "ef " << ef << " query " << t);
            expect_same(got, want);
        }
    }
}

TEST(Search, RoundsReturnEveryReachableNodeOnce) {
    const test_graph g = random_graph(1500, 6, 5, 100, 3);
    std::mt19937 rng(4);
    search_handle h;

    for (uint32_t ef : {1u, 3u, 10u, 50u}) {
        for (uint32_t max_out : {ef, ef / 2 + 1}) {
            const std::vector<float> q = random_query(g.dims, rng);
            const std::vector<uint32_t> eps{7, 7, 1450};
            const std::set<uint32_t> want = reachable(g, {7, 1450});
            std::set<uint32_t> got;
            size_t returned = 0;
            int rounds = 0;

            ASSERT_EQ(omen_search_begin(h.s, ef, g.n, nullptr), OMEN_OK);
            offer_entries(h.s, g, q.data(), eps);
            for (;;) {
                const auto r = run_round(h.s, g, q.data(), max_out);

                if (r.empty()) break;
                ASSERT_LE(r.size(), std::min(ef, max_out));
                for (size_t i = 1; i < r.size(); i++)
                    ASSERT_LE(r[i - 1].distance, r[i].distance) << "round " << rounds;
                for (const auto& c : r) got.insert(c.id);
                returned += r.size();
                ASSERT_LT(++rounds, 100000);
            }
            EXPECT_EQ(returned, got.size()) << "a node was returned twice (ef " << ef << ")";
            EXPECT_EQ(got, want) << "ef " << ef;
            EXPECT_EQ(omen_search_visited_count(h.s), want.size());
            EXPECT_EQ(run_round(h.s, g, q.data(), max_out).size(), 0u);
        }
    }
}

TEST(Search, LaterRoundsAreBetterThanUnreturnedWhenGraphIsComplete) {
    /* on a complete graph every round must be the next ef nearest overall */
    test_graph g;
    std::mt19937 rng(5);

    g.n = 200;
    g.dims = 4;
    g.vec.resize(g.n * g.dims);
    for (float& x : g.vec) x = std::uniform_real_distribution<float>(-1, 1)(rng);
    g.adj.resize(g.n);
    for (uint32_t i = 0; i < g.n; i++)
        for (uint32_t j = 0; j < g.n; j++)
            if (i != j) g.adj[i].push_back(j);

    const std::vector<float> q = random_query(g.dims, rng);
    std::vector<OmenCandidate> all;

    for (uint32_t i = 0; i < g.n; i++)
        all.push_back(OmenCandidate{omen_l2_squared(q.data(), g.v(i), g.dims), i});
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.distance < b.distance; });

    search_handle h;

    ASSERT_EQ(omen_search_begin(h.s, 16, g.n, nullptr), OMEN_OK);
    offer_entries(h.s, g, q.data(), {0});

    std::vector<OmenCandidate> seq;

    for (;;) {
        const auto r = run_round(h.s, g, q.data(), 16);

        if (r.empty()) break;
        seq.insert(seq.end(), r.begin(), r.end());
    }
    expect_same(seq, all);
}

TEST(Search, NoAllocationAfterWarmup) {
    const test_graph g = random_graph(5000, 8, 8, 0, 6);
    std::mt19937 rng(7);
    std::vector<std::vector<float>> queries;

    for (int i = 0; i < 5; i++) queries.push_back(random_query(g.dims, rng));

    search_handle h;
    std::vector<OmenCandidate> out(64);

    auto run_all = [&]() {
        for (const auto& q : queries) {
            ASSERT_EQ(omen_search_begin(h.s, 32, g.n, nullptr), OMEN_OK);
            for (uint32_t e : {0u, 1u})
                if (omen_search_visit(h.s, e) == 1)
                    omen_search_offer(h.s, e, omen_l2_squared(q.data(), g.v(e), g.dims));
            for (int round = 0; round < 20; round++) {
                uint32_t c;

                while ((c = omen_search_next(h.s)) != OMEN_INVALID_NODE)
                    for (uint32_t e : g.adj[c])
                        if (omen_search_visit(h.s, e) == 1)
                            omen_search_offer(h.s, e, omen_l2_squared(q.data(), g.v(e), g.dims));
                if (omen_search_results(h.s, out.data(), 64) == 0) break;
            }
        }
    };

    run_all(); /* warm-up */
    run_all();
    allocation_count = 0;
    counting_allocations = true;
    run_all();
    counting_allocations = false;
    EXPECT_EQ(allocation_count, 0u);
}

TEST(Search, BeginIsConstantTime) {
    omendb::search_state st;
    const uint32_t bound = 1u << 24; /* 64 MiB of stamps: clearing would take milliseconds */

    st.begin(8, bound);
    ASSERT_GE(st.visited_capacity(), bound);

    const auto t0 = std::chrono::steady_clock::now();

    for (int i = 0; i < 20000; i++) {
        st.begin(8, bound);
        ASSERT_TRUE(st.visit(static_cast<uint32_t>(i) * 797));
    }

    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    EXPECT_LT(secs, 0.5) << "begin() does not look O(1)";
    EXPECT_EQ(st.visited_capacity(), bound);
}

TEST(Search, EpochWrapForgetsOldMarks) {
    const test_graph g = random_graph(800, 4, 6, 0, 8);
    std::mt19937 rng(9);
    omendb::search_state st;

    st.begin(10, g.n);
    st.set_epoch_for_testing(omendb::search_state::max_epoch - 6);
    for (int i = 0; i < 10; i++) /* crosses the wrap */
    {
        const std::vector<float> q = random_query(g.dims, rng);

        st.begin(10, g.n);
        for (uint32_t e : {3u})
            if (st.visit(e)) st.offer(e, omen_l2_squared(q.data(), g.v(e), g.dims));

        uint32_t c;

        while ((c = st.next()) != OMEN_INVALID_NODE)
            for (uint32_t e : g.adj[c])
                if (st.visit(e)) st.offer(e, omen_l2_squared(q.data(), g.v(e), g.dims));

        std::vector<OmenCandidate> got(10);

        got.resize(st.results(got.data(), 10));
        SCOPED_TRACE(testing::Message() << "search " << i);
        expect_same(got, reference_search_layer(g, q.data(), {3}, 10));
    }
}

/* A link list visited at once: the fresh ids in order, duplicates and earlier visits left out,
 * the list ending at its first invalid entry, ids beyond the bound growing the set. */
TEST(Search, VisitListKeepsOrderAndStopsAtInvalid) {
    search_handle h;

    ASSERT_EQ(omen_search_begin(h.s, 4, 100, nullptr), OMEN_OK);
    EXPECT_EQ(omen_search_visit(h.s, 7), 1);
    const uint32_t links[] = {3, 7, 9, 3, 200000, OMEN_INVALID_NODE, 11};
    uint32_t fresh[7] = {0, 0, 0, 0, 0, 0, 0};
    ASSERT_EQ(omen_search_visit_list(h.s, links, 7, fresh), 3);
    EXPECT_EQ(fresh[0], 3u);
    EXPECT_EQ(fresh[1], 9u);
    EXPECT_EQ(fresh[2], 200000u);
    EXPECT_EQ(omen_search_visit(h.s, 11), 1); /* after the end of the list: not visited */
    EXPECT_EQ(omen_search_visit(h.s, 9), 0);
    EXPECT_EQ(omen_search_visited_count(h.s), 5u);
    EXPECT_EQ(omen_search_visit_list(h.s, links, 3, fresh), 0);
    EXPECT_EQ(omen_search_visit_list(nullptr, links, 3, fresh), -1);
}

TEST(Search, VisitGrowsBeyondIdBound) {
    search_handle h;

    ASSERT_EQ(omen_search_begin(h.s, 4, 10, nullptr), OMEN_OK);
    EXPECT_EQ(omen_search_visit(h.s, 1000000), 1);
    EXPECT_EQ(omen_search_visit(h.s, 1000000), 0);
    EXPECT_EQ(omen_search_visit(h.s, 5), 1);
    EXPECT_EQ(omen_search_visited_count(h.s), 2u);
    EXPECT_EQ(omen_search_offer(h.s, 1000000, 1.0f), 0);
    EXPECT_EQ(omen_search_next(h.s), 1000000u);
    EXPECT_EQ(omen_search_next(h.s), OMEN_INVALID_NODE);
}
