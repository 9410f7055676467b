/*
 * test_distance.cpp — unit tests of the distance kernels and their dispatch.
 *
 * Every kernel set that is compiled in and supported by this CPU (always the
 * scalar reference; on x86 SSE2, AVX2, AVX-512 as available; NEON on AArch64)
 * is checked function by function against sums computed in double, for every
 * dimension 0..300 and a set of larger ones around SIMD block boundaries and
 * up to OMEN_MAX_DIMS, on random and adversarial data, on unaligned input and
 * on input that ends (or starts) right at an inaccessible page.  Integer data
 * small enough to be summed exactly in float must give bit-exact results,
 * which catches any dropped or doubled element that a tolerance would hide.
 *
 * Tolerance.  With unit roundoff u = FLT_EPSILON / 2, summing n terms in ANY
 * order (any tree: SIMD lanes, several accumulators, a horizontal reduction)
 * with or without FMA gives |fl(S) - S| <= gamma(n - 1) * sum |t_i|, where
 * gamma(k) = k u / (1 - k u) (Higham, Accuracy and Stability of Numerical
 * Algorithms, 2nd ed., §3.1 and §4.2).  Forming each term adds at most two
 * more roundings ((a - b) then the square, or the product), so the whole
 * kernel is within gamma(n + 1) * sum |t_i| of the exact sum of the exact
 * terms.  For n <= 16000, n u <= 1e-3, so gamma(n + 1) <= 1.001 (n + 1) u
 * and the bound
 *     tol = (n + 2) * FLT_EPSILON * sum |t_i|          (= 2 (n + 2) u)
 * holds with a factor of almost 2 to spare, which also covers the double
 * reference's own error (about n * 1.1e-16 relative).  Underflow breaks the
 * relative model: each rounding of a result below FLT_MIN may lose up to
 * FLT_MIN in absolute terms (even with flush-to-zero), hence the extra
 * absolute term 4 * (n + 1) * FLT_MIN.  The data are scaled so that no sum of
 * absolute terms exceeds FLT_MAX / 4: then no partial sum in any order can
 * overflow.  Overflow itself is tested separately (+inf, never NaN).
 *
 * Cosine.  With dot, |a|^2, |b|^2 each within tol as above and
 * sum |a_i b_i| <= |a| |b| (Cauchy-Schwarz), the similarity is within about
 * 2 gamma(n + 1) + a few u of the exact one, so 3 (n + 2) FLT_EPSILON is used.
 */
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "kernel_testing.hpp"
#include "omendb/distance.hpp"
#include "omendb/omendb.h"

namespace {

using namespace omendb::kernel_testing;
using omendb::simd::KernelSet;

reference ref_l2(const float* a, const float* b, std::size_t n) {
    reference r;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(a[i]) - b[i];
        r.value += d * d;
    }
    r.abs_sum = r.value;
    return r;
}

reference ref_ip(const float* a, const float* b, std::size_t n) {
    reference r;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(a[i]) * b[i];
        r.value += t;
        r.abs_sum += std::fabs(t);
    }
    return r;
}

reference ref_l1(const float* a, const float* b, std::size_t n) {
    reference r;
    for (std::size_t i = 0; i < n; ++i) r.value += std::fabs(static_cast<double>(a[i]) - b[i]);
    r.abs_sum = r.value;
    return r;
}

reference ref_norm(const float* a, std::size_t n) {
    return ref_ip(a, a, n);
}

/* Data shapes the kernels are fed. */
enum class shape { uniform, mixed_magnitude, large, tiny, subnormal_products, zeros, cancelling };

const char* shape_name(shape s) {
    switch (s) {
        case shape::uniform:
            return "uniform";
        case shape::mixed_magnitude:
            return "mixed_magnitude";
        case shape::large:
            return "large";
        case shape::tiny:
            return "tiny";
        case shape::subnormal_products:
            return "subnormal_products";
        case shape::zeros:
            return "zeros";
        case shape::cancelling:
            return "cancelling";
    }
    return "?";
}

constexpr shape k_shapes[] = {shape::uniform,   shape::mixed_magnitude,    shape::large,
                              shape::tiny,      shape::subnormal_products, shape::zeros,
                              shape::cancelling};

/* Fills v (n floats) with data of the given shape; sums of |terms| stay below FLT_MAX / 4. */
void fill(std::vector<float>& v, std::size_t n, shape s, std::mt19937_64& rng) {
    v.assign(n, 0.0f);
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    std::uniform_int_distribution<int> exponent(-6, 6);
    std::bernoulli_distribution coin(0.5);
    /* Largest magnitude m with n * (2 m)^2 <= FLT_MAX / 4, capped at 1e18. */
    const double big = std::min(1e18, std::sqrt(FLT_MAX / (16.0 * std::max<std::size_t>(n, 1))));
    for (std::size_t i = 0; i < n; ++i) {
        double x = 0.0;
        switch (s) {
            case shape::uniform:
                x = unit(rng);
                break;
            case shape::mixed_magnitude:
                x = unit(rng) * std::pow(10.0, exponent(rng));
                break;
            case shape::large:
                x = (0.5 + 0.5 * std::fabs(unit(rng))) * big * (coin(rng) ? 1 : -1);
                break;
            case shape::tiny:
                x = unit(rng) * 1e-30;
                break; /* products underflow to 0 */
            case shape::subnormal_products:
                x = unit(rng) * 1e-20;
                break; /* products are subnormal */
            case shape::zeros:
                x = 0.0;
                break;
            case shape::cancelling:
                x = (i % 2 == 0 ? 1e6 : -1e6) + unit(rng);
                break;
        }
        v[i] = static_cast<float>(x);
    }
}

class KernelSetTest : public ::testing::TestWithParam<Isa> {
  protected:
    const KernelSet& k() const { return *omendb::simd::kernels_for(GetParam()); }
};

/* Checks every function of set k on a, b (n floats each). */
void check_all(const KernelSet& k, const float* a, const float* b, std::size_t n,
               const std::string& what) {
    SCOPED_TRACE(what + " n=" + std::to_string(n));
    EXPECT_TRUE(within(k.l2_squared(a, b, n), ref_l2(a, b, n), n)) << "l2_squared";
    EXPECT_TRUE(within(k.inner_product(a, b, n), ref_ip(a, b, n), n)) << "inner_product";
    EXPECT_EQ(k.neg_inner_product(a, b, n), -k.inner_product(a, b, n)) << "neg_inner_product";
    EXPECT_TRUE(within(k.l1(a, b, n), ref_l1(a, b, n), n)) << "l1";
    EXPECT_TRUE(within(k.norm_squared(a, n), ref_norm(a, n), n)) << "norm_squared";
    float t[3] = {-1.0f, -1.0f, -1.0f};
    k.dot_norms(a, b, n, t);
    EXPECT_TRUE(within(t[0], ref_ip(a, b, n), n)) << "dot_norms[0]";
    EXPECT_TRUE(within(t[1], ref_norm(a, n), n)) << "dot_norms[1]";
    EXPECT_TRUE(within(t[2], ref_norm(b, n), n)) << "dot_norms[2]";
}

/* Every function, every dimension, every data shape, aligned and shifted by one float. */
TEST_P(KernelSetTest, MatchesDoubleReference) {
    std::mt19937_64 rng(20240611);
    std::vector<float> a, b;
    for (shape s : k_shapes) {
        for (std::size_t n : test_dims()) {
            fill(a, n + 1, s, rng);
            fill(b, n + 1, s, rng);
            check_all(k(), a.data(), b.data(), n, shape_name(s));
            check_all(k(), a.data() + 1, b.data() + 1, n, std::string(shape_name(s)) + " +1");
            check_all(k(), a.data() + 1, b.data(), n, std::string(shape_name(s)) + " a+1");
        }
    }
}

/* Small integers are summed exactly in float (|partial sums| < 2^24): results must be exact. */
TEST_P(KernelSetTest, ExactOnSmallIntegers) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> digit(-3, 3);
    for (std::size_t n : test_dims()) {
        std::vector<float> a(n + 3), b(n + 3);
        for (auto& x : a) x = static_cast<float>(digit(rng));
        for (auto& x : b) x = static_cast<float>(digit(rng));
        for (std::size_t off : {0, 1, 3}) {
            const float* pa = a.data() + off;
            const float* pb = b.data() + (3 - off);
            SCOPED_TRACE("n=" + std::to_string(n) + " off=" + std::to_string(off));
            EXPECT_EQ(k().l2_squared(pa, pb, n), static_cast<float>(ref_l2(pa, pb, n).value));
            EXPECT_EQ(k().inner_product(pa, pb, n), static_cast<float>(ref_ip(pa, pb, n).value));
            EXPECT_EQ(k().l1(pa, pb, n), static_cast<float>(ref_l1(pa, pb, n).value));
            EXPECT_EQ(k().norm_squared(pa, n), static_cast<float>(ref_norm(pa, n).value));
            float t[3];
            k().dot_norms(pa, pb, n, t);
            EXPECT_EQ(t[0], static_cast<float>(ref_ip(pa, pb, n).value));
            EXPECT_EQ(t[1], static_cast<float>(ref_norm(pa, n).value));
            EXPECT_EQ(t[2], static_cast<float>(ref_norm(pb, n).value));
        }
    }
}

/* A single non-zero element at every position is seen exactly once. */
TEST_P(KernelSetTest, EveryPositionCountsOnce) {
    for (std::size_t n : {1, 7, 15, 16, 17, 31, 33, 63, 64, 65, 100, 127, 129, 300, 513}) {
        std::vector<float> a(n, 0.0f), b(n, 0.0f);
        for (std::size_t i = 0; i < n; ++i) {
            a[i] = 3.0f;
            b[i] = -2.0f;
            SCOPED_TRACE("n=" + std::to_string(n) + " i=" + std::to_string(i));
            EXPECT_EQ(k().l2_squared(a.data(), b.data(), n), 25.0f);
            EXPECT_EQ(k().inner_product(a.data(), b.data(), n), -6.0f);
            EXPECT_EQ(k().l1(a.data(), b.data(), n), 5.0f);
            EXPECT_EQ(k().norm_squared(a.data(), n), 9.0f);
            float t[3];
            k().dot_norms(a.data(), b.data(), n, t);
            EXPECT_EQ(t[0], -6.0f);
            EXPECT_EQ(t[1], 9.0f);
            EXPECT_EQ(t[2], 4.0f);
            a[i] = 0.0f;
            b[i] = 0.0f;
        }
    }
}

/* n == 0 gives 0 and does not dereference the pointers. */
TEST_P(KernelSetTest, ZeroLengthIgnoresPointers) {
    EXPECT_EQ(k().l2_squared(nullptr, nullptr, 0), 0.0f);
    EXPECT_EQ(k().inner_product(nullptr, nullptr, 0), 0.0f);
    EXPECT_EQ(k().l1(nullptr, nullptr, 0), 0.0f);
    EXPECT_EQ(k().norm_squared(nullptr, 0), 0.0f);
    float t[3] = {1.0f, 1.0f, 1.0f};
    k().dot_norms(nullptr, nullptr, 0, t);
    EXPECT_EQ(t[0], 0.0f);
    EXPECT_EQ(t[1], 0.0f);
    EXPECT_EQ(t[2], 0.0f);
}

/* Sums of positive terms that exceed FLT_MAX saturate to +inf, never NaN. */
TEST_P(KernelSetTest, OverflowGivesInfinity) {
    for (std::size_t n : {1, 5, 16, 33, 100, 1000}) {
        std::vector<float> a(n, 1e20f), b(n, -1e20f);
        SCOPED_TRACE("n=" + std::to_string(n));
        EXPECT_EQ(k().l2_squared(a.data(), b.data(), n), std::numeric_limits<float>::infinity());
        EXPECT_EQ(k().norm_squared(a.data(), n), std::numeric_limits<float>::infinity());
        EXPECT_EQ(k().inner_product(a.data(), a.data(), n), std::numeric_limits<float>::infinity());
        EXPECT_EQ(k().inner_product(a.data(), b.data(), n),
                  -std::numeric_limits<float>::infinity());
        EXPECT_TRUE(std::isfinite(k().l1(a.data(), b.data(), n)));
    }
}

/* Kernels read exactly [p, p + n): vectors flush against a guard page on either side. */
TEST_P(KernelSetTest, NeverReadsOutsideTheArrays) {
    std::mt19937_64 rng(99);
    std::vector<float> src;
    for (std::size_t n : test_dims()) {
        if (n == 0) continue;
        guarded_region ra(n * sizeof(float)), rb(n * sizeof(float));
        ASSERT_TRUE(ra.ok() && rb.ok());
        fill(src, n, shape::uniform, rng);
        float* a_end = ra.at_end<float>(n);
        float* b_start = rb.at_start<float>();
        std::memcpy(a_end, src.data(), n * sizeof(float));
        std::memcpy(b_start, src.data(), n * sizeof(float));
        for (std::size_t i = 0; i < n; ++i) b_start[i] *= -0.5f;
        check_all(k(), a_end, b_start, n, "guarded end/start");
        check_all(k(), b_start, a_end, n, "guarded start/end");
    }
}

INSTANTIATE_TEST_SUITE_P(Runnable, KernelSetTest, ::testing::ValuesIn(runnable_isas()),
                         isa_param_name);

/* ------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------ */

/* The best set is compiled in and supported; nothing above it is both. */
TEST(Dispatch, BestIsSupportedAndMaximal) {
    const Isa best = omendb::simd::best_isa();
    EXPECT_NE(omendb::simd::kernels_for(best), nullptr);
    EXPECT_TRUE(omendb::simd::isa_supported(best));
    for (Isa isa : runnable_isas())
        EXPECT_LE(omendb::simd::isa_rank(isa), omendb::simd::isa_rank(best))
            << omendb::simd::isa_name(isa);
}

/* kernels_for() and the names agree. */
TEST(Dispatch, NamesMatchTables) {
    for (Isa isa : k_all_isas) {
        const KernelSet* k = omendb::simd::kernels_for(isa);
        if (k != nullptr) {
            EXPECT_STREQ(k->name, omendb::simd::isa_name(isa));
        }
    }
    EXPECT_NE(omendb::simd::kernels_for(Isa::scalar), nullptr);
    EXPECT_TRUE(omendb::simd::isa_supported(Isa::scalar));
#if defined(OMEN_SIMD_X86)
    EXPECT_NE(omendb::simd::kernels_for(Isa::sse2), nullptr);
    EXPECT_NE(omendb::simd::kernels_for(Isa::avx2), nullptr);
    EXPECT_NE(omendb::simd::kernels_for(Isa::avx512), nullptr);
    EXPECT_EQ(omendb::simd::kernels_for(Isa::neon), nullptr);
    EXPECT_FALSE(omendb::simd::isa_supported(Isa::neon));
#elif defined(OMEN_SIMD_AARCH64)
    EXPECT_NE(omendb::simd::kernels_for(Isa::neon), nullptr);
    EXPECT_TRUE(omendb::simd::isa_supported(Isa::neon));
    EXPECT_EQ(omendb::simd::kernels_for(Isa::avx2), nullptr);
#endif
}

#if defined(OMEN_SIMD_X86) && (defined(__GNUC__) || defined(__clang__))
/* Our CPUID + XCR0 probe agrees with the compiler runtime's (which also checks XCR0). */
TEST(Dispatch, AgreesWithCompilerCpuDetection) {
    __builtin_cpu_init();
    EXPECT_TRUE(omendb::simd::isa_supported(Isa::sse2));
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                      __builtin_cpu_supports("f16c");
    EXPECT_EQ(omendb::simd::isa_supported(Isa::avx2), avx2);
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                        __builtin_cpu_supports("avx512vl");
    EXPECT_EQ(omendb::simd::isa_supported(Isa::avx512), avx512);
}
#endif

/* OMEN_SIMD values are parsed case-insensitively; anything else is rejected. */
TEST(Dispatch, ParsesIsaNames) {
    Isa isa = Isa::scalar;
    EXPECT_TRUE(omendb::simd::parse_isa("avx2", &isa));
    EXPECT_EQ(isa, Isa::avx2);
    EXPECT_TRUE(omendb::simd::parse_isa("AVX512", &isa));
    EXPECT_EQ(isa, Isa::avx512);
    EXPECT_TRUE(omendb::simd::parse_isa("Scalar", &isa));
    EXPECT_EQ(isa, Isa::scalar);
    EXPECT_TRUE(omendb::simd::parse_isa("sse2", &isa));
    EXPECT_EQ(isa, Isa::sse2);
    EXPECT_TRUE(omendb::simd::parse_isa("neon", &isa));
    EXPECT_EQ(isa, Isa::neon);
    for (const char* bad : {"", "avx", "avx2 ", " avx2", "avx5120", "sse", "fast", "scalarx"})
        EXPECT_FALSE(omendb::simd::parse_isa(bad, &isa)) << '"' << bad << '"';
    EXPECT_FALSE(omendb::simd::parse_isa(nullptr, &isa));
}

/* Forcing can only choose a runnable set at or below the best; otherwise the best wins. */
TEST(Dispatch, ForcingOnlyDowngrades) {
    const Isa best = omendb::simd::best_isa();
    EXPECT_EQ(omendb::simd::select_isa(nullptr), best);
    EXPECT_EQ(omendb::simd::select_isa(""), best);
    EXPECT_EQ(omendb::simd::select_isa("turbo"), best);
    EXPECT_EQ(omendb::simd::select_isa("scalar"), Isa::scalar);
    for (Isa isa : k_all_isas) {
        const Isa got = omendb::simd::select_isa(omendb::simd::isa_name(isa));
        EXPECT_NE(omendb::simd::kernels_for(got), nullptr);
        EXPECT_TRUE(omendb::simd::isa_supported(got));
        EXPECT_LE(omendb::simd::isa_rank(got), omendb::simd::isa_rank(best));
        const bool runnable =
            omendb::simd::kernels_for(isa) != nullptr && omendb::simd::isa_supported(isa);
        EXPECT_EQ(got, runnable ? isa : best) << omendb::simd::isa_name(isa);
    }
}

/* The active set is the one select_isa() picks for this process's OMEN_SIMD. */
TEST(Dispatch, ActiveMatchesEnvironment) {
    const Isa expected = omendb::simd::select_isa(std::getenv("OMEN_SIMD"));
    EXPECT_STREQ(omen_simd_name(), omendb::simd::isa_name(expected));
    EXPECT_EQ(&omendb::simd::active(), omendb::simd::kernels_for(expected));
    Isa forced;
    if (omendb::simd::parse_isa(std::getenv("OMEN_SIMD"), &forced) &&
        omendb::simd::kernels_for(forced) != nullptr && omendb::simd::isa_supported(forced)) {
        EXPECT_STREQ(omen_simd_name(), omendb::simd::isa_name(forced));
    }
}

/* ------------------------------------------------------------------------
 * C entry points (omendb.h)
 * ------------------------------------------------------------------------ */

/* The omen_* functions compute what the active set computes, within the bound. */
TEST(DistanceApi, MatchesReference) {
    std::mt19937_64 rng(5);
    std::vector<float> a, b;
    for (std::size_t n : test_dims()) {
        fill(a, n + 1, shape::mixed_magnitude, rng);
        fill(b, n + 1, shape::mixed_magnitude, rng);
        const float* pa = a.data() + 1;
        const float* pb = b.data();
        SCOPED_TRACE("n=" + std::to_string(n));
        EXPECT_TRUE(within(omen_l2_squared(pa, pb, n), ref_l2(pa, pb, n), n));
        EXPECT_TRUE(within(omen_inner_product(pa, pb, n), ref_ip(pa, pb, n), n));
        EXPECT_TRUE(within(omen_l1_distance(pa, pb, n), ref_l1(pa, pb, n), n));
        EXPECT_TRUE(within(omen_norm_squared(pa, n), ref_norm(pa, n), n));
        if (n == 0) continue;
        const reference dot = ref_ip(pa, pb, n);
        const double exact =
            1.0 - dot.value / std::sqrt(ref_norm(pa, n).value * ref_norm(pb, n).value);
        EXPECT_NEAR(omen_cosine_distance(pa, pb, n), exact, 3.0 * (n + 2.0) * FLT_EPSILON);
    }
}

/* Zero norms give NaN; so does an empty vector. */
TEST(DistanceApi, CosineOfZeroVectorIsNaN) {
    const float zero[4] = {0, 0, 0, 0};
    const float one[4] = {1, 2, 3, 4};
    EXPECT_TRUE(std::isnan(omen_cosine_distance(zero, one, 4)));
    EXPECT_TRUE(std::isnan(omen_cosine_distance(one, zero, 4)));
    EXPECT_TRUE(std::isnan(omen_cosine_distance(zero, zero, 4)));
    EXPECT_TRUE(std::isnan(omen_cosine_distance(one, one, 0)));
    const float neg_zero[2] = {-0.0f, 0.0f};
    EXPECT_TRUE(std::isnan(omen_cosine_distance(neg_zero, one, 2)));
}

/* Rounding never pushes the distance outside [0, 2]; parallel vectors give ~0, opposite ~2. */
TEST(DistanceApi, CosineIsClamped) {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    std::uniform_int_distribution<int> dim(1, 2000);
    for (int trial = 0; trial < 2000; ++trial) {
        const std::size_t n = static_cast<std::size_t>(dim(rng));
        std::vector<float> a(n), b(n), c(n);
        for (std::size_t i = 0; i < n; ++i) {
            a[i] = unit(rng);
            b[i] = a[i] * 3.1f; /* parallel, but rounded differently */
            c[i] = a[i] * -0.7f;
        }
        const double same = omen_cosine_distance(a.data(), b.data(), n);
        const double opposite = omen_cosine_distance(a.data(), c.data(), n);
        ASSERT_GE(same, 0.0);
        ASSERT_LE(same, 1e-5);
        ASSERT_LE(opposite, 2.0);
        ASSERT_GE(opposite, 2.0 - 1e-5);
        ASSERT_EQ(omen_cosine_distance(a.data(), a.data(), n), 0.0);
    }
    const float x[3] = {1e-3f, 2e-3f, 3e-3f};
    EXPECT_EQ(omen_cosine_distance(x, x, 3), 0.0);
}

/* The index distance for each metric; unknown metrics give nullptr. */
TEST(DistanceApi, IndexDistanceMapping) {
    std::mt19937_64 rng(3);
    std::vector<float> a, b;
    fill(a, 77, shape::uniform, rng);
    fill(b, 77, shape::uniform, rng);
    const OmenDistanceFn l2 = omen_index_distance(OMEN_METRIC_L2);
    const OmenDistanceFn ip = omen_index_distance(OMEN_METRIC_INNER_PRODUCT);
    const OmenDistanceFn cos = omen_index_distance(OMEN_METRIC_COSINE);
    const OmenDistanceFn l1 = omen_index_distance(OMEN_METRIC_L1);
    ASSERT_NE(l2, nullptr);
    ASSERT_NE(ip, nullptr);
    ASSERT_NE(cos, nullptr);
    ASSERT_NE(l1, nullptr);
    EXPECT_EQ(l2(a.data(), b.data(), 77), omen_l2_squared(a.data(), b.data(), 77));
    EXPECT_EQ(ip(a.data(), b.data(), 77), -omen_inner_product(a.data(), b.data(), 77));
    EXPECT_EQ(cos(a.data(), b.data(), 77), -omen_inner_product(a.data(), b.data(), 77));
    EXPECT_EQ(l1(a.data(), b.data(), 77), omen_l1_distance(a.data(), b.data(), 77));
    EXPECT_EQ(omen_index_distance(static_cast<OmenMetric>(0)), nullptr);
    EXPECT_EQ(omen_index_distance(static_cast<OmenMetric>(5)), nullptr);
    EXPECT_EQ(omen_index_distance(static_cast<OmenMetric>(-1)), nullptr);
}

/* The one normalization every cosine path uses: the norm summed in double, each element divided in
 * double and rounded once; in place works; a zero vector (or out = NULL) leaves out alone. */
TEST(DistanceApi, UnitVector) {
    std::mt19937 rng(11);
    std::normal_distribution<float> g(0.0f, 1.0f);
    for (std::size_t n : {1u, 3u, 17u, 784u, 16000u}) {
        std::vector<float> x(n), out(n, 7.0f), in_place;
        for (auto& v : x) v = g(rng) * 1e30f; /* squares beyond float range */
        double sum = 0.0;
        for (float v : x) sum += static_cast<double>(v) * v;
        const double norm = std::sqrt(sum);
        EXPECT_EQ(omen_unit_vector(x.data(), n, out.data()), norm);
        for (std::size_t i = 0; i < n; ++i)
            ASSERT_EQ(out[i], static_cast<float>(x[i] / norm)) << "n " << n << " i " << i;
        in_place = x;
        omen_unit_vector(in_place.data(), n, in_place.data());
        EXPECT_EQ(in_place, out);
        EXPECT_EQ(omen_unit_vector(x.data(), n, nullptr), norm);
    }
    const float zero[3] = {0, 0, 0};
    float keep[3] = {5, 6, 7};
    EXPECT_EQ(omen_unit_vector(zero, 3, keep), 0.0);
    EXPECT_EQ(keep[0], 5.0f);
    EXPECT_EQ(keep[2], 7.0f);
}

/* Known small values, end to end. */
TEST(DistanceApi, KnownValues) {
    const float a[3] = {1, 2, 3};
    const float b[3] = {4, 6, 8};
    EXPECT_EQ(omen_l2_squared(a, b, 3), 9.0f + 16.0f + 25.0f);
    EXPECT_EQ(omen_inner_product(a, b, 3), 4.0f + 12.0f + 24.0f);
    EXPECT_EQ(omen_l1_distance(a, b, 3), 12.0f);
    EXPECT_EQ(omen_norm_squared(a, 3), 14.0f);
    EXPECT_NEAR(omen_cosine_distance(a, b, 3), 1.0 - 40.0 / std::sqrt(14.0 * 116.0), 1e-7);
    const float x[2] = {1, 0}, y[2] = {0, 1};
    EXPECT_EQ(omen_cosine_distance(x, y, 2), 1.0);
}

}  // namespace
