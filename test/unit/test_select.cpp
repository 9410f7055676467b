/*
 * test_select.cpp — the level draw (Algorithm 1, line 4) and the
 * neighbour-selection heuristic (Algorithm 4, hnswlib variant) on hand-made
 * cases whose kept sets can be checked by hand, plus the level distribution
 * over a million draws.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "omendb/omendb.h"
#include "omendb/select.hpp"

namespace {

/* Candidates of a base point sorted by index distance, with their vectors row-major. */
struct case_2d {
    std::vector<OmenCandidate> cands;
    std::vector<float> vectors;
};

/* Builds candidates for base from 2-D points (given in ascending distance order). */
case_2d make_case(OmenMetric metric, const float base[2],
                  const std::vector<std::array<float, 2>>& points) {
    case_2d c;
    const OmenDistanceFn dist = omen_index_distance(metric);

    for (uint32_t i = 0; i < points.size(); i++) {
        c.vectors.push_back(points[i][0]);
        c.vectors.push_back(points[i][1]);
        c.cands.push_back(OmenCandidate{dist(base, points[i].data(), 2), 100 + i});
    }
    for (size_t i = 1; i < c.cands.size(); i++)
        EXPECT_LE(c.cands[i - 1].distance, c.cands[i].distance) << "test case not sorted";
    return c;
}

/* Runs the C entry point and returns the kept indices. */
std::vector<uint32_t> run_select(const case_2d& c, OmenMetric metric, uint32_t max_keep) {
    std::vector<uint32_t> out(c.cands.size() + 1, 0xdeadbeef);
    const uint32_t n = omen_select_neighbors(c.cands.data(), static_cast<uint32_t>(c.cands.size()),
                                             c.vectors.data(), 2, metric, max_keep, out.data());

    out.resize(n);
    return out;
}

} /* namespace */

TEST(RandomLevel, KnownValues) {
    EXPECT_EQ(omen_random_level(16, 1.0), 0);
    EXPECT_EQ(omen_random_level(16, 0.5), 0);
    EXPECT_EQ(omen_random_level(16, 1.0 / 16 * 0.999), 1);
    EXPECT_EQ(omen_random_level(16, 1.0 / 16 * 1.001), 0);
    EXPECT_EQ(omen_random_level(16, 1.0 / 256 * 0.999), 2);
    EXPECT_EQ(omen_random_level(2, 0.24), 2);
    EXPECT_EQ(omen_random_level(2, 1e-300), OMEN_MAX_LEVEL); /* capped */
    EXPECT_EQ(omen_random_level(16, 0.0), OMEN_MAX_LEVEL);   /* -ln(0) = inf */
    EXPECT_EQ(omen_random_level(16, std::nan("")), OMEN_MAX_LEVEL);
    EXPECT_EQ(omen_random_level(100, 0.99e-10), 5); /* just below 100^-5 */
    EXPECT_EQ(omen_random_level(100, 1.01e-10), 4);
}

TEST(RandomLevel, DistributionOverMillionDraws) {
    /* P(level >= l) = m^-l, E[level] = 1 / (m - 1) */
    for (uint32_t m : {2u, 5u, 16u}) {
        std::mt19937_64 rng(42 + m);
        const int draws = 1000000;
        std::vector<int> at_least(OMEN_MAX_LEVEL + 2, 0);
        double sum = 0;

        for (int i = 0; i < draws; i++) {
            /* uniform in (0, 1] */
            const double u = (static_cast<double>(rng() >> 11) + 1) * 0x1.0p-53;
            const int level = omen_random_level(m, u);

            ASSERT_LE(level, OMEN_MAX_LEVEL);
            sum += level;
            for (int l = 0; l <= level; l++) at_least[l]++;
        }
        const double mean = sum / draws;
        const double expected_mean = 1.0 / (m - 1);

        /* the level is geometric; its sd is sqrt(p)/(1-p) with p = 1/m, so 6 sd of the mean is tiny
         */
        const double p = 1.0 / m;
        const double sd_mean = std::sqrt(p) / (1 - p) / std::sqrt(static_cast<double>(draws));

        EXPECT_NEAR(mean, expected_mean, 6 * sd_mean) << "m = " << m;
        for (int l = 1; l <= 4; l++) {
            const double pl = std::pow(p, l);
            const double frac = static_cast<double>(at_least[l]) / draws;
            const double sd = std::sqrt(pl * (1 - pl) / draws);

            if (pl * draws < 50) break;
            EXPECT_NEAR(frac, pl, 6 * sd + 1e-9) << "m = " << m << " level >= " << l;
        }
    }
}

TEST(SelectNeighbors, L2HandMadeCase) {
    const float base[2] = {0, 0};
    /* A kept; B is next to A (pruned); C is off in another direction (kept);
     * E is next to C (pruned); D is on the opposite side (kept) */
    const case_2d c = make_case(OMEN_METRIC_L2, base,
                                {{{1.0f, 0.0f}},    /* 0 A d=1 */
                                 {{1.1f, 0.1f}},    /* 1 B d=1.22, |B-A|^2 = 0.02 */
                                 {{0.0f, 2.0f}},    /* 2 C d=4, |C-A|^2 = 5 */
                                 {{0.0f, 2.5f}},    /* 3 E d=6.25, |E-C|^2 = 0.25 */
                                 {{-3.0f, 0.0f}}}); /* 4 D d=9, to A 16, to C 13 */

    EXPECT_EQ(run_select(c, OMEN_METRIC_L2, 10), (std::vector<uint32_t>{0, 2, 4}));
    EXPECT_EQ(run_select(c, OMEN_METRIC_L2, 2), (std::vector<uint32_t>{0, 2}));
    EXPECT_EQ(run_select(c, OMEN_METRIC_L2, 1), (std::vector<uint32_t>{0}));
    EXPECT_EQ(run_select(c, OMEN_METRIC_L2, 0), (std::vector<uint32_t>{}));
}

TEST(SelectNeighbors, TiesAreKept) {
    const float base[2] = {0, 0};
    /* B is exactly as far from A as from the base (1.25 both): kept, as in hnswlib */
    const case_2d c = make_case(OMEN_METRIC_L2, base, {{{1.0f, 0.0f}}, {{0.5f, 1.0f}}});

    EXPECT_EQ(run_select(c, OMEN_METRIC_L2, 10), (std::vector<uint32_t>{0, 1}));

    /* exact duplicates of the base and of each other all stay linked */
    const case_2d dup =
        make_case(OMEN_METRIC_L2, base, {{{0.0f, 0.0f}}, {{0.0f, 0.0f}}, {{0.0f, 0.0f}}});

    EXPECT_EQ(run_select(dup, OMEN_METRIC_L2, 10), (std::vector<uint32_t>{0, 1, 2}));
}

TEST(SelectNeighbors, CosineUsesNegativeInnerProduct) {
    const double deg = 3.14159265358979323846 / 180;
    const float base[2] = {1, 0};
    auto unit = [deg](double a) {
        return std::array<float, 2>{
            {static_cast<float>(std::cos(a * deg)), static_cast<float>(std::sin(a * deg))}};
    };
    /* 10 deg kept; 20 deg is closer to 10 deg than to the base (pruned);
     * -60 deg: cos to base 0.5 > cos to 10 deg 0.34 (kept) */
    const case_2d c = make_case(OMEN_METRIC_COSINE, base, {unit(10), unit(20), unit(-60)});

    EXPECT_EQ(run_select(c, OMEN_METRIC_COSINE, 10), (std::vector<uint32_t>{0, 2}));
    EXPECT_EQ(run_select(c, OMEN_METRIC_INNER_PRODUCT, 10), (std::vector<uint32_t>{0, 2}));
}

TEST(SelectNeighbors, L1HandMadeCase) {
    const float base[2] = {0, 0};
    /* L1: A (1,0) d=1; B (1,1) d=2, to A 1 < 2 pruned; C (-1,-1.5) d=2.5, to A 3.5 kept */
    const case_2d c =
        make_case(OMEN_METRIC_L1, base, {{{1.0f, 0.0f}}, {{1.0f, 1.0f}}, {{-1.0f, -1.5f}}});

    EXPECT_EQ(run_select(c, OMEN_METRIC_L1, 10), (std::vector<uint32_t>{0, 2}));
}

TEST(SelectNeighbors, DegenerateInputs) {
    const float base[2] = {0, 0};
    const case_2d c = make_case(OMEN_METRIC_L2, base, {{{1.0f, 0.0f}}});
    uint32_t out[2];

    EXPECT_EQ(omen_select_neighbors(c.cands.data(), 0, c.vectors.data(), 2, OMEN_METRIC_L2, 4, out),
              0u);
    EXPECT_EQ(omen_select_neighbors(c.cands.data(), 1, c.vectors.data(), 2,
                                    static_cast<OmenMetric>(7), 4, out),
              0u);
    EXPECT_EQ(omen_select_neighbors(c.cands.data(), 1, c.vectors.data(), 2, OMEN_METRIC_L2, 4, out),
              1u);
    EXPECT_EQ(out[0], 0u);
}

TEST(SelectNeighbors, TemplateMatchesCEntryPoint) {
    /* random 8-D candidates: the accessor-based template gives the C function's answer */
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    const uint32_t dims = 8, n = 60;
    std::vector<float> base(dims), pts(n * dims);

    for (float& x : base) x = u(rng);
    for (float& x : pts) x = u(rng);

    const OmenDistanceFn dist = omen_index_distance(OMEN_METRIC_L2);
    std::vector<OmenCandidate> cands(n);
    std::vector<uint32_t> order(n);

    for (uint32_t i = 0; i < n; i++)
        cands[i] = OmenCandidate{dist(base.data(), &pts[i * dims], dims), i};
    std::sort(cands.begin(), cands.end(), [](auto& a, auto& b) { return a.distance < b.distance; });

    std::vector<float> sorted(n * dims);

    for (uint32_t i = 0; i < n; i++) std::copy_n(&pts[cands[i].id * dims], dims, &sorted[i * dims]);

    std::vector<uint32_t> a(n), b(n);
    const uint32_t na =
        omen_select_neighbors(cands.data(), n, sorted.data(), dims, OMEN_METRIC_L2, 16, a.data());
    const uint32_t nb = omendb::select_neighbors(
        cands.data(), n, [&](uint32_t i) { return &pts[cands[i].id * dims]; }, dims, dist, 16,
        b.data());

    ASSERT_EQ(na, nb);
    ASSERT_GE(na, 1u);
    EXPECT_EQ(a[0], 0u);
    for (uint32_t i = 0; i < na; i++) EXPECT_EQ(a[i], b[i]);

    /* every kept one is closer to the base than to every earlier kept one (or tied) */
    for (uint32_t i = 0; i < na; i++)
        for (uint32_t j = 0; j < i; j++)
            EXPECT_GE(dist(&sorted[a[i] * dims], &sorted[a[j] * dims], dims), cands[a[i]].distance);
}
