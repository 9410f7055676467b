/*
 * test_storage.cpp — compact stored vectors (storage.cpp, int8.cpp and the
 * int8 half of simd_stored_kernels.hpp): the int8 kernels of every kernel set
 * against a double reference, the formats (sizes, encode/decode, the stored
 * error norm), and above all the lower bounds: for every storage and metric,
 * on ordinary and on hostile data, the bound never exceeds what the SQL
 * distance functions compute (with every kernel set), and is close to it.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernel_testing.hpp"
#include "omendb/distance.hpp"
#include "omendb/omendb.h"

namespace {

using omendb::kernel_testing::guarded_region;
using omendb::kernel_testing::isa_param_name;
using omendb::kernel_testing::reference;
using omendb::kernel_testing::runnable_isas;
using omendb::kernel_testing::test_dims;
using omendb::kernel_testing::within;
using omendb::simd::Isa;
using omendb::simd::KernelSet;

/* ------------------------------------------------------------------------
 * int8 kernels
 * ------------------------------------------------------------------------ */

/* The float every kernel decodes code c to. */
double decoded(std::uint8_t c, float lo, float step) {
    return static_cast<double>(std::fma(static_cast<float>(c), step, lo));
}

reference ref_l2(const float* q, const std::uint8_t* c, std::size_t n, float lo, float step) {
    reference r;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(q[i]) - decoded(c[i], lo, step);
        r.value += d * d;
    }
    r.abs_sum = r.value;
    return r;
}

reference ref_ip(const float* q, const std::uint8_t* c, std::size_t n, float lo, float step) {
    reference r;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(q[i]) * decoded(c[i], lo, step);
        r.value += t;
        r.abs_sum += std::fabs(t);
    }
    return r;
}

reference ref_l1(const float* q, const std::uint8_t* c, std::size_t n, float lo, float step) {
    reference r;
    for (std::size_t i = 0; i < n; ++i)
        r.value += std::fabs(static_cast<double>(q[i]) - decoded(c[i], lo, step));
    r.abs_sum = r.value;
    return r;
}

class Int8KernelTest : public ::testing::TestWithParam<Isa> {
  protected:
    const KernelSet& k() const { return *omendb::simd::kernels_for(GetParam()); }
};

void check_all(const KernelSet& k, const float* q, const std::uint8_t* c, std::size_t n, float lo,
               float step, const std::string& what) {
    SCOPED_TRACE(what + " n=" + std::to_string(n));
    EXPECT_TRUE(within(k.l2_squared_u8(q, c, n, lo, step), ref_l2(q, c, n, lo, step), n));
    EXPECT_TRUE(within(k.inner_product_u8(q, c, n, lo, step), ref_ip(q, c, n, lo, step), n));
    EXPECT_EQ(k.neg_inner_product_u8(q, c, n, lo, step), -k.inner_product_u8(q, c, n, lo, step));
    EXPECT_TRUE(within(k.l1_u8(q, c, n, lo, step), ref_l1(q, c, n, lo, step), n));
}

/* Every dimension, several ranges (including a zero step and a far offset), shifted pointers. */
TEST_P(Int8KernelTest, MatchesDoubleReference) {
    std::mt19937_64 rng(808);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    std::uniform_int_distribution<int> byte(0, 255);
    const float ranges[][2] = {{-1.0f, 2.0f / 255}, {0.0f, 1.0f}, {1000.0f, 0.01f},
                               {-3e-3f, 1e-5f},     {5.0f, 0.0f}, {-1e10f, 1e8f}};
    for (const auto& rg : ranges) {
        for (std::size_t n : test_dims()) {
            std::vector<float> q(n + 1);
            std::vector<std::uint8_t> c(n + 1);
            for (std::size_t i = 0; i <= n; ++i) {
                q[i] = rg[0] + unit(rng) * 128.0f * (rg[1] > 0 ? rg[1] : 1.0f);
                c[i] = static_cast<std::uint8_t>(byte(rng));
            }
            const std::string what = "lo=" + std::to_string(rg[0]);
            check_all(k(), q.data(), c.data(), n, rg[0], rg[1], what);
            check_all(k(), q.data() + 1, c.data() + 1, n, rg[0], rg[1], what + " +1");
            check_all(k(), q.data(), c.data() + 1, n, rg[0], rg[1], what + " c+1");
        }
    }
}

/* Codes and queries on a grid of small integers sum exactly: the kernels count every element once.
 */
TEST_P(Int8KernelTest, ExactOnSmallIntegers) {
    std::mt19937_64 rng(9);
    std::uniform_int_distribution<int> small(0, 15);
    for (std::size_t n : test_dims()) {
        std::vector<float> q(n);
        std::vector<std::uint8_t> c(n);
        double l2 = 0, ip = 0, l1 = 0;
        for (std::size_t i = 0; i < n; ++i) {
            q[i] = static_cast<float>(small(rng));
            c[i] = static_cast<std::uint8_t>(small(rng));
            const double x = 2.0 + 0.5 * c[i]; /* lo 2, step 0.5: exact */
            l2 += (q[i] - x) * (q[i] - x);
            ip += q[i] * x;
            l1 += std::fabs(q[i] - x);
        }
        EXPECT_EQ(k().l2_squared_u8(q.data(), c.data(), n, 2.0f, 0.5f), l2) << n;
        EXPECT_EQ(k().inner_product_u8(q.data(), c.data(), n, 2.0f, 0.5f), ip) << n;
        EXPECT_EQ(k().l1_u8(q.data(), c.data(), n, 2.0f, 0.5f), l1) << n;
    }
}

/* Kernels read exactly [q, q + n) and [c, c + n). */
TEST_P(Int8KernelTest, NeverReadsOutsideTheArrays) {
    std::mt19937_64 rng(77);
    std::uniform_int_distribution<int> byte(0, 255);
    for (std::size_t n : test_dims()) {
        if (n == 0) continue;
        guarded_region rq(n * sizeof(float)), rc(n);
        ASSERT_TRUE(rq.ok() && rc.ok());
        float* q = rq.at_end<float>(n);
        std::uint8_t* c = rc.at_end<std::uint8_t>(n);
        for (std::size_t i = 0; i < n; ++i) {
            q[i] = static_cast<float>(byte(rng)) / 16.0f;
            c[i] = static_cast<std::uint8_t>(byte(rng));
        }
        check_all(k(), q, c, n, -1.0f, 0.125f, "guarded end");
        std::uint8_t* c0 = rc.at_start<std::uint8_t>();
        std::memmove(c0, c, n);
        check_all(k(), q, c0, n, -1.0f, 0.125f, "guarded start");
    }
}

/* decode_u8 gives exactly fma(c[i], step, lo), the value the kernels measure, and touches only
 * [c, c + n) and [out, out + n). */
TEST_P(Int8KernelTest, DecodeIsTheKernelsReconstruction) {
    std::mt19937_64 rng(78);
    std::uniform_int_distribution<int> byte(0, 255);
    const float ranges[][2] = {
        {-1.0f, 2.0f / 255}, {1000.0f, 0.01f}, {-3e-3f, 1e-5f}, {5.0f, 0.0f}, {-1e10f, 1e8f}};
    for (const auto& rg : ranges) {
        for (std::size_t n : test_dims()) {
            if (n == 0) continue;
            guarded_region rc(n), ro(n * sizeof(float));
            ASSERT_TRUE(rc.ok() && ro.ok());
            std::uint8_t* c = rc.at_end<std::uint8_t>(n);
            float* out = ro.at_end<float>(n);
            for (std::size_t i = 0; i < n; ++i) c[i] = static_cast<std::uint8_t>(byte(rng));
            k().decode_u8(c, n, rg[0], rg[1], out);
            for (std::size_t i = 0; i < n; ++i) {
                const float want = std::fma(static_cast<float>(c[i]), rg[1], rg[0]);
                ASSERT_EQ(std::memcmp(&out[i], &want, sizeof want), 0)
                    << "n=" << n << " i=" << i << " got " << out[i] << " want " << want;
            }
        }
    }
}

/* value_range and encode_u8 give bit for bit what the scalar references give -- the int8 page
 * format's codes must not depend on the machine that wrote them -- and touch only [x, x + n) and
 * [c, c + n).  The data puts values on exact ties between two codes (the rounding must go to the
 * even one), on lo and on hi, and outside [lo, lo + 255 step] (clamped). */
TEST_P(Int8KernelTest, QuantizerMatchesTheReference) {
    std::mt19937_64 rng(80);
    std::uniform_real_distribution<float> u(-3.0f, 5.0f);
    std::uniform_int_distribution<int> byte(0, 255);
    const float ranges[][2] = {{-1.0f, 2.0f / 255}, {1000.0f, 0.01f}, {-3e-3f, 1e-5f},
                               {-1e10f, 1e8f}, {0.0f, 1.0f}};
    for (const auto& rg : ranges) {
        for (std::size_t n : test_dims()) {
            guarded_region rx(n * sizeof(float) + 1), rc(n + 1);
            ASSERT_TRUE(rx.ok() && rc.ok());
            float* x = rx.at_end<float>(n);
            std::uint8_t* c = rc.at_end<std::uint8_t>(n);
            for (std::size_t i = 0; i < n; ++i) {
                switch (i % 4) {
                    case 0: /* a tie: lo + (k + 1/2) step, where float holds it exactly */
                        x[i] = rg[0] + (static_cast<float>(byte(rng)) + 0.5f) * rg[1];
                        break;
                    case 1: x[i] = rg[0] + u(rng) * 64.0f * rg[1]; break;
                    case 2: x[i] = rg[0] + static_cast<float>(byte(rng)) * rg[1]; break;
                    default: x[i] = rg[0] + 300.0f * u(rng) * rg[1]; /* some clamped */
                }
            }
            std::vector<std::uint8_t> want(n + 1);
            omendb::simd::scalar_encode_u8(x, n, rg[0], rg[1], want.data());
            k().encode_u8(x, n, rg[0], rg[1], c);
            ASSERT_EQ(std::memcmp(c, want.data(), n), 0) << "n=" << n << " lo=" << rg[0];

            float lo = 7.0f, hi = 7.0f, wlo = -7.0f, whi = -7.0f;
            omendb::simd::scalar_value_range(x, n, &wlo, &whi);
            k().value_range(x, n, &lo, &hi);
            EXPECT_EQ(lo, wlo) << "n=" << n;
            EXPECT_EQ(hi, whi) << "n=" << n;
            if (n > 0) {
                EXPECT_EQ(wlo, *std::min_element(x, x + n));
                EXPECT_EQ(whi, *std::max_element(x, x + n));
            }
        }
    }
    /* the extreme at the very last element, where the overlapping last batch reads it */
    for (std::size_t n : test_dims()) {
        if (n == 0) continue;
        std::vector<float> x(n, 1.0f);
        x[n - 1] = -2.0f;
        float lo, hi;
        k().value_range(x.data(), n, &lo, &hi);
        EXPECT_EQ(lo, -2.0f) << "n=" << n;
        EXPECT_EQ(hi, n > 1 ? 1.0f : -2.0f) << "n=" << n;
    }
}

/* diff_sq_f64 is the double sum of squared differences whatever the order: exact where every
 * partial sum is (small integers), within a few ulps of a long double sum elsewhere, and reads
 * only [x, x + n) and [y, y + n). */
TEST_P(Int8KernelTest, DiffSquaresInDouble) {
    std::mt19937_64 rng(81);
    std::uniform_real_distribution<float> u(-1e3f, 1e3f);
    std::uniform_int_distribution<int> small(-50, 50);
    for (std::size_t n : test_dims()) {
        guarded_region rx(n * sizeof(float) + 1), ry(n * sizeof(float) + 1);
        ASSERT_TRUE(rx.ok() && ry.ok());
        float* x = rx.at_end<float>(n);
        float* y = ry.at_end<float>(n);
        double exact = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = static_cast<float>(small(rng));
            y[i] = static_cast<float>(small(rng));
            exact += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
        }
        EXPECT_EQ(k().diff_sq_f64(x, y, n), exact) << "n=" << n;
        long double want = 0.0L;
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = u(rng);
            y[i] = u(rng);
            const long double d = static_cast<long double>(x[i]) - y[i];
            want += d * d;
        }
        const double got = k().diff_sq_f64(x, y, n);
        EXPECT_LE(std::fabs(static_cast<long double>(got) - want), want * 1e-13L) << "n=" << n;
    }
}

TEST_P(Int8KernelTest, ZeroLengthIgnoresPointers) {
    EXPECT_EQ(k().l2_squared_u8(nullptr, nullptr, 0, 1.0f, 1.0f), 0.0f);
    EXPECT_EQ(k().inner_product_u8(nullptr, nullptr, 0, 1.0f, 1.0f), 0.0f);
    EXPECT_EQ(k().l1_u8(nullptr, nullptr, 0, 1.0f, 1.0f), 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Runnable, Int8KernelTest, ::testing::ValuesIn(runnable_isas()),
                         isa_param_name);

/* ------------------------------------------------------------------------
 * Exact dot product of codes (scalar, and AVX-512 VNNI where the CPU has it)
 * ------------------------------------------------------------------------ */

TEST(DotU8, KernelsAreExact) {
    std::mt19937_64 rng(99);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<omendb::simd::dot_u8_kernel> kernels = {&omendb::simd::scalar_dot_u8};
    if (omendb::simd::avx512vnni_dot_u8() != nullptr && omendb::simd::avx512_vnni_supported())
        kernels.push_back(omendb::simd::avx512vnni_dot_u8());
    for (std::size_t n : test_dims()) {
        std::vector<std::uint8_t> a(n + 1), b(n + 1);
        for (std::size_t i = 0; i <= n; ++i) {
            a[i] = static_cast<std::uint8_t>(byte(rng));
            b[i] = static_cast<std::uint8_t>(byte(rng));
        }
        if (n > 3) a[1] = b[1] = 255; /* the largest product */
        std::uint64_t want = 0, want1 = 0;
        for (std::size_t i = 0; i < n; ++i) {
            want += static_cast<std::uint64_t>(a[i]) * b[i];
            want1 += static_cast<std::uint64_t>(a[i + 1]) * b[i];
        }
        for (auto k : kernels) {
            ASSERT_EQ(k(a.data(), b.data(), n), want) << n;
            ASSERT_EQ(k(a.data() + 1, b.data(), n), want1) << n; /* misaligned */
        }
    }
    /* All 255s at the largest dimension: 16000 * 65025, still exact. */
    std::vector<std::uint8_t> full(16000, 255);
    for (auto k : kernels) EXPECT_EQ(k(full.data(), full.data(), 16000), 16000u * 65025u);
}

TEST(DotU8, NeverReadsOutsideTheArrays) {
    if (omendb::simd::avx512vnni_dot_u8() == nullptr || !omendb::simd::avx512_vnni_supported())
        GTEST_SKIP() << "no AVX-512 VNNI here";
    const auto k = omendb::simd::avx512vnni_dot_u8();
    for (std::size_t n : {1, 63, 64, 65, 127, 128, 129, 200, 784}) {
        guarded_region ra(n), rb(n);
        ASSERT_TRUE(ra.ok() && rb.ok());
        std::uint8_t* a = ra.at_end<std::uint8_t>(n);
        std::uint8_t* b = rb.at_end<std::uint8_t>(n);
        for (std::size_t i = 0; i < n; ++i) {
            a[i] = static_cast<std::uint8_t>(i * 7);
            b[i] = static_cast<std::uint8_t>(255 - i);
        }
        EXPECT_EQ(k(a, b, n), omendb::simd::scalar_dot_u8(a, b, n)) << n;
    }
}

/* One signed query against several code arrays (the builder's search): each result is the
 * exact sum, for every group size 1-9 (whole groups of four and remainders), at the extremes of
 * both operands, misaligned rows, and the rows never read past n. */
TEST(DotS8U8Batch, KernelsAreExact) {
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<omendb::simd::dot_s8u8_batch_kernel> kernels = {
        &omendb::simd::scalar_dot_s8u8_batch};
    if (omendb::simd::avx512vnni_dot_s8u8_batch() != nullptr &&
        omendb::simd::avx512_vnni_supported())
        kernels.push_back(omendb::simd::avx512vnni_dot_s8u8_batch());
    for (std::size_t n : test_dims()) {
        std::vector<std::int8_t> q((n + 63) & ~std::size_t(63), 0);
        for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<std::int8_t>(byte(rng) - 128);
        if (n > 3) q[0] = -128, q[1] = 127;
        std::vector<std::vector<std::uint8_t>> rows(9, std::vector<std::uint8_t>(n + 1));
        for (auto& r : rows)
            for (auto& x : r) x = static_cast<std::uint8_t>(byte(rng));
        if (n > 3) rows[0][0] = rows[0][1] = 255; /* 255 x -128 and 255 x 127 */
        for (std::size_t count = 1; count <= rows.size(); ++count) {
            std::vector<const std::uint8_t*> xs;
            for (std::size_t j = 0; j < count; ++j)
                xs.push_back(rows[j].data() + (j % 2)); /* odd rows misaligned */
            for (auto k : kernels) {
                std::vector<std::int32_t> got(count, -1);
                k(q.data(), xs.data(), count, n, got.data());
                for (std::size_t j = 0; j < count; ++j) {
                    std::int64_t want = 0;
                    for (std::size_t i = 0; i < n; ++i) want += std::int64_t(xs[j][i]) * q[i];
                    ASSERT_EQ(got[j], want) << "n " << n << " count " << count << " row " << j;
                }
            }
        }
    }
    /* The extremes at the largest dimension: 16000 * 255 * -128 and 16000 * 255 * 127. */
    std::vector<std::int8_t> lo(16000, -128), hi(16000, 127);
    std::vector<std::uint8_t> full(16000, 255);
    const std::uint8_t* one[1] = {full.data()};
    for (auto k : kernels) {
        std::int32_t got = 0;
        k(lo.data(), one, 1, 16000, &got);
        EXPECT_EQ(got, -16000 * 255 * 128);
        k(hi.data(), one, 1, 16000, &got);
        EXPECT_EQ(got, 16000 * 255 * 127);
    }
    if (kernels.size() > 1) {
        const auto k = kernels.back();
        for (std::size_t n : {1, 63, 64, 65, 127, 128, 129, 200, 784}) {
            std::vector<std::int8_t> qq((n + 63) & ~std::size_t(63), 3);
            guarded_region r0(n), r1(n), r2(n);
            ASSERT_TRUE(r0.ok() && r1.ok() && r2.ok());
            const std::uint8_t* xs[3] = {r0.at_end<std::uint8_t>(n), r1.at_end<std::uint8_t>(n),
                                         r2.at_end<std::uint8_t>(n)};
            for (std::size_t j = 0; j < 3; ++j)
                for (std::size_t i = 0; i < n; ++i)
                    const_cast<std::uint8_t*>(xs[j])[i] = static_cast<std::uint8_t>(i * 5 + j);
            std::int32_t got[3], want[3];
            k(qq.data(), xs, 3, n, got);
            omendb::simd::scalar_dot_s8u8_batch(qq.data(), xs, 3, n, want);
            for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(got[j], want[j]) << n;
        }
    }
}

/* The four sums of a prepared query (distance.hpp): VNNI against the reference, exact, at the
 * extremes of every operand, misaligned, and never reading c past n (d and e are padded). */
TEST(QuerySumsU8, KernelsAreExact) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<omendb::simd::query_sums_u8_kernel> kernels = {&omendb::simd::scalar_query_sums_u8};
    if (omendb::simd::avx512vnni_query_sums_u8() != nullptr &&
        omendb::simd::avx512_vnni_supported())
        kernels.push_back(omendb::simd::avx512vnni_query_sums_u8());
    std::vector<std::size_t> dims = test_dims();
    dims.push_back(16000);
    for (std::size_t n : dims) {
        const std::size_t padded = (n + 63) / 64 * 64;
        std::vector<std::uint8_t> c(n + 1);
        std::vector<std::int8_t> d(padded, 0), e(padded, 0);
        for (std::size_t i = 0; i <= n; ++i) c[i] = static_cast<std::uint8_t>(byte(rng));
        for (std::size_t i = 0; i < n; ++i) {
            d[i] = static_cast<std::int8_t>(byte(rng) - 128);
            e[i] = static_cast<std::int8_t>(byte(rng) - 128);
        }
        if (n > 3) {
            c[1] = 255, d[1] = -128, e[1] = 127; /* the largest products of either sign */
            c[2] = 255, d[2] = 127, e[2] = -128;
        }
        if (n == 16000) std::fill(c.begin(), c.end(), 255), std::fill(d.begin(), d.end(), -128);
        for (int shift = 0; shift < 2; ++shift) {
            const std::uint8_t* cc = c.data() + shift;
            std::int64_t want[4] = {0, 0, 0, 0};
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t x = cc[i];
                want[0] += x * d[i];
                want[1] += x * e[i];
                want[2] += x * (x - 128);
                want[3] += x;
            }
            for (auto k : kernels) {
                std::int64_t got[4] = {-1, -1, -1, -1};
                k(cc, d.data(), e.data(), n, got);
                for (int j = 0; j < 4; ++j) ASSERT_EQ(got[j], want[j]) << n << " sum " << j;
            }
        }
    }
}

TEST(QuerySumsU8, NeverReadsPastTheCodes) {
    const auto k = omendb::simd::avx512vnni_query_sums_u8();
    if (k == nullptr || !omendb::simd::avx512_vnni_supported())
        GTEST_SKIP() << "no AVX-512 VNNI here";
    for (std::size_t n : {1, 63, 64, 65, 127, 128, 129, 200, 784}) {
        guarded_region rc(n);
        ASSERT_TRUE(rc.ok());
        std::uint8_t* c = rc.at_end<std::uint8_t>(n);
        const std::size_t padded = (n + 63) / 64 * 64;
        std::vector<std::int8_t> d(padded, 0), e(padded, 0);
        for (std::size_t i = 0; i < n; ++i) {
            c[i] = static_cast<std::uint8_t>(i * 7);
            d[i] = static_cast<std::int8_t>(static_cast<int>(i % 256) - 128);
            e[i] = static_cast<std::int8_t>(static_cast<int>(i * 3 % 255) - 127);
        }
        std::int64_t got[4], want[4];
        k(c, d.data(), e.data(), n, got);
        omendb::simd::scalar_query_sums_u8(c, d.data(), e.data(), n, want);
        for (int j = 0; j < 4; ++j) EXPECT_EQ(got[j], want[j]) << n << " sum " << j;
    }
}

TEST(DotU8, DispatchPicksVnniOnlyWhereSupported) {
    const bool can = omendb::simd::avx512vnni_dot_u8() != nullptr &&
                     omendb::simd::avx512_vnni_supported() &&
                     std::string(omendb::simd::active().name) == "avx512";
    EXPECT_EQ(omendb::simd::fast_dot_u8(), can);
}

/* ------------------------------------------------------------------------
 * Formats
 * ------------------------------------------------------------------------ */

constexpr OmenStorage k_storages[] = {OMEN_STORAGE_FLOAT4, OMEN_STORAGE_HALF, OMEN_STORAGE_INT8};
constexpr OmenMetric k_metrics[] = {OMEN_METRIC_L2, OMEN_METRIC_INNER_PRODUCT, OMEN_METRIC_COSINE,
                                    OMEN_METRIC_L1};

std::vector<std::uint8_t> encode(OmenStorage s, OmenMetric m, const std::vector<float>& x) {
    const auto dims = static_cast<std::uint32_t>(x.size());
    /* Poison first, so that the test sees any byte the encoder leaves unset. */
    std::vector<std::uint8_t> out(omen_stored_size(s, dims), 0xAB);
    omen_stored_encode(s, m, x.data(), dims, out.data());
    return out;
}

float stored_err(OmenStorage s, const std::vector<std::uint8_t>& part) {
    float e = 0.0f;
    if (s != OMEN_STORAGE_FLOAT4) std::memcpy(&e, part.data(), sizeof e);
    return e;
}

TEST(StorageFormat, SizesAndNames) {
    EXPECT_EQ(omen_stored_size(OMEN_STORAGE_FLOAT4, 784), 3136u);
    EXPECT_EQ(omen_stored_size(OMEN_STORAGE_HALF, 784), 1572u);
    EXPECT_EQ(omen_stored_size(OMEN_STORAGE_HALF, 3), 12u); /* 4 + 6, padded */
    EXPECT_EQ(omen_stored_size(OMEN_STORAGE_INT8, 784), 796u);
    EXPECT_EQ(omen_stored_size(OMEN_STORAGE_INT8, 1), 16u);
    EXPECT_EQ(omen_stored_size(static_cast<OmenStorage>(9), 4), 0u);
    EXPECT_EQ(omen_slot_size(OMEN_STORAGE_INT8, 16, 128), 16u + 128u + 140u);
    EXPECT_EQ(omen_slot_size(OMEN_STORAGE_FLOAT4, 16, 128), OMEN_SLOT_SIZE(16, 128));
    EXPECT_STREQ(omen_storage_name(OMEN_STORAGE_HALF), "half");
    EXPECT_EQ(omen_storage_name(static_cast<OmenStorage>(9)), nullptr);
    for (OmenStorage s : k_storages)
        for (std::uint32_t d : {1u, 2u, 3u, 5u, 16000u}) EXPECT_EQ(omen_stored_size(s, d) % 4, 0u);
}

/* Decoding gives the quantized vector; err is at least its true distance from x. */
TEST(StorageFormat, EncodeDecodeAndErrorNorm) {
    std::mt19937_64 rng(5);
    std::normal_distribution<float> g(0.0f, 1.0f);
    for (OmenStorage s : k_storages) {
        for (OmenMetric m : k_metrics) {
            for (std::uint32_t dims : {1u, 2u, 7u, 128u, 784u, 16000u}) {
                std::vector<float> x(dims);
                for (auto& v : x) v = g(rng) * 3.0f + 0.5f;
                if (s == OMEN_STORAGE_HALF && dims > 2) x[1] = 1e6f; /* saturates */
                const auto part = encode(s, m, x);
                std::vector<float> y(dims);
                omen_stored_decode(s, part.data(), dims, y.data());
                long double l2 = 0, l1 = 0;
                float lo = 0, step = 0;
                if (s == OMEN_STORAGE_INT8) {
                    std::memcpy(&lo, part.data() + 4, 4);
                    std::memcpy(&step, part.data() + 8, 4);
                }
                for (std::uint32_t i = 0; i < dims; ++i) {
                    /* err is measured against the decoded floats (for int8, fmaf(c, step, lo)). */
                    const long double exact = static_cast<long double>(y[i]);
                    const long double d = static_cast<long double>(x[i]) - exact;
                    l2 += d * d;
                    l1 += std::fabs(d);
                    if (s == OMEN_STORAGE_FLOAT4) {
                        ASSERT_EQ(y[i], x[i]);
                    }
                    if (s == OMEN_STORAGE_HALF) {
                        ASSERT_TRUE(std::isfinite(y[i]));
                        if (std::fabs(x[i]) < 60000.0f) {
                            ASSERT_LE(std::fabs(d), std::fabs(x[i]) * 0x1p-11 + 0x1p-25) << i;
                        }
                    }
                    if (s == OMEN_STORAGE_INT8) {
                        ASSERT_LE(std::fabs(d), step * 0.5001 + 1e-6) << i;
                    }
                }
                const float e = stored_err(s, part);
                if (s == OMEN_STORAGE_FLOAT4) continue;
                const long double truth = m == OMEN_METRIC_L1 ? l1 : std::sqrt(l2);
                EXPECT_GE(static_cast<long double>(e), truth) << dims;
                EXPECT_LE(static_cast<long double>(e), truth * 1.001L + 1e-5L) << dims;
                /* Padding is zeroed: the encoder writes every byte. */
                const std::uint32_t used = (s == OMEN_STORAGE_HALF ? 4 + 2 * dims : 12 + dims);
                for (std::size_t b = used; b < part.size(); ++b) EXPECT_EQ(part[b], 0) << b;
            }
        }
    }
}

/* A constant vector and a vector on an exact 255-step grid quantize losslessly. */
TEST(StorageFormat, Int8ExactCases) {
    std::vector<float> flat(40, -2.5f);
    auto part = encode(OMEN_STORAGE_INT8, OMEN_METRIC_L2, flat);
    EXPECT_EQ(stored_err(OMEN_STORAGE_INT8, part), 0.0f);
    std::vector<float> pixels(784);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>((i * 37) % 256);
    part = encode(OMEN_STORAGE_INT8, OMEN_METRIC_L2, pixels);
    EXPECT_EQ(stored_err(OMEN_STORAGE_INT8, part), 0.0f);
    std::vector<float> y(784);
    omen_stored_decode(OMEN_STORAGE_INT8, part.data(), 784, y.data());
    EXPECT_EQ(y, pixels);
}

/* The quantizer (vectorizable loops, no libm calls) gives exactly what the plain formula gives:
 * lo = min, step = range / 255 rounded down, code = nearest integer of (x - lo) / step with ties to
 * even, clamped.  Ties are exercised by half-integer data on a step of 1. */
TEST(StorageFormat, Int8QuantizerMatchesFormula) {
    auto reference = [](const std::vector<float>& x, float& lo, float& step,
                        std::vector<std::uint8_t>& c) {
        lo = x.empty() ? 0.0f : x[0];
        float hi = lo;
        for (float v : x) {
            lo = std::fmin(lo, v);
            hi = std::fmax(hi, v);
        }
        const double exact = (static_cast<double>(hi) - lo) / 255.0;
        step = static_cast<float>(exact);
        if (static_cast<double>(step) > exact) step = std::nextafter(step, 0.0f);
        lo += 0.0f; /* the quantizer's zeros are +0 */
        step += 0.0f;
        c.assign(x.size(), 0);
        for (std::size_t i = 0; i < x.size(); ++i) {
            double q = 0.0;
            if (step > 0.0f) q = std::nearbyint((static_cast<double>(x[i]) - lo) / step);
            c[i] = static_cast<std::uint8_t>(std::fmin(std::fmax(q, 0.0), 255.0));
        }
    };
    std::mt19937 rng(7);
    std::normal_distribution<float> gauss(0.3f, 2.0f);
    std::vector<std::vector<float>> cases;
    for (std::uint32_t dims : {1u, 2u, 15u, 16u, 17u, 31u, 100u, 784u, 1536u}) {
        std::vector<float> x(dims);
        for (auto& v : x) v = gauss(rng);
        cases.push_back(x);
        for (auto& v : x) v = static_cast<float>(static_cast<int>(rng() % 511)) / 2.0f;
        x[0] = 0.0f;
        if (dims > 1) x[1] = 255.0f; /* step exactly 1: every odd value is a tie */
        cases.push_back(x);
        for (auto& v : x)
            v = (rng() % 2 ? 1.0f : -1.0f) * 3.0e38f * (static_cast<float>(rng() % 1000) / 1000.0f);
        cases.push_back(x);
        cases.push_back(std::vector<float>(dims, -7.25f));
        std::vector<float> zeros(dims, 1.0f); /* -0 and +0 as the minimum, in both orders */
        zeros[0] = 0.0f;
        zeros[dims - 1] = -0.0f;
        cases.push_back(zeros);
        std::reverse(zeros.begin(), zeros.end());
        cases.push_back(zeros);
    }
    for (const auto& x : cases) {
        float lo = 0, step = 0, rlo = 0, rstep = 0;
        std::vector<std::uint8_t> c(x.size() + 1, 0xAB), rc;
        omendb::simd::quantize_int8(x.data(), static_cast<std::uint32_t>(x.size()), &lo, &step,
                                    c.data());
        reference(x, rlo, rstep, rc);
        EXPECT_EQ(std::memcmp(&lo, &rlo, sizeof lo), 0) << lo << " vs " << rlo; /* bits: -0 != +0 */
        EXPECT_EQ(std::memcmp(&step, &rstep, sizeof step), 0) << step << " vs " << rstep;
        EXPECT_TRUE(std::equal(rc.begin(), rc.end(), c.begin())) << "dims " << x.size();
        EXPECT_EQ(c.back(), 0xAB) << "wrote past dims";
    }
}

/* The step is rounded down: decoding never passes the vector's maximum, even next to FLT_MAX. */
TEST(StorageFormat, Int8DecodingStaysInRange) {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (float top : {FLT_MAX, 3e38f, 1e30f, 1.0f, 1e-30f}) {
        for (int rep = 0; rep < 50; ++rep) {
            std::vector<float> x(37);
            for (auto& v : x) v = u(rng) * top;
            x[5] = top;
            x[9] = -top;
            const auto part = encode(OMEN_STORAGE_INT8, OMEN_METRIC_L2, x);
            std::vector<float> y(x.size());
            omen_stored_decode(OMEN_STORAGE_INT8, part.data(), 37, y.data());
            for (float v : y) {
                ASSERT_TRUE(std::isfinite(v)) << top;
                ASSERT_LE(v, top);
                ASSERT_GE(v, -top);
            }
        }
    }
}

/* q prepared for (s, m); the buffer lives until the next call. */
const OmenQuery* prepared(OmenStorage s, OmenMetric m, const std::vector<float>& q) {
    static std::vector<double> buf; /* 8-byte aligned */
    const auto dims = static_cast<std::uint32_t>(q.size());
    buf.assign(omen_query_size(s, m, dims) / sizeof(double) + 1, 0.0);
    return omen_query_prepare(s, m, q.data(), dims, buf.data());
}

/* The stored-distance functions are the kernels on the decoded vector. */
TEST(StorageFormat, DistanceMatchesDecodedKernels) {
    std::mt19937_64 rng(12);
    std::normal_distribution<float> g(0.0f, 1.0f);
    const std::uint32_t dims = 300;
    std::vector<float> x(dims), q(dims), y(dims);
    for (auto& v : x) v = g(rng);
    for (auto& v : q) v = g(rng);
    for (OmenStorage s : k_storages) {
        for (OmenMetric m : k_metrics) {
            const auto part = encode(s, m, x);
            omen_stored_decode(s, part.data(), dims, y.data());
            OmenStoredDistanceFn fn = omen_stored_distance(s, m);
            ASSERT_NE(fn, nullptr);
            const float want = omen_index_distance(m)(q.data(), y.data(), dims);
            EXPECT_NEAR(fn(prepared(s, m, q), part.data(), dims), want,
                        1e-3f * (1.0f + std::fabs(want)))
                << omen_storage_name(s) << " metric " << m;
        }
    }
    EXPECT_EQ(omen_stored_distance(OMEN_STORAGE_INT8, static_cast<OmenMetric>(0)), nullptr);
}

/* Where VNNI is in use, int8 L2, inner product and cosine measure prepared (two-code) queries,
 * L1 and the other storages the float query itself. */
TEST(StorageFormat, PreparedQueryFormPerStorage) {
    const bool vnni = omendb::simd::fast_dot_u8();
    for (OmenStorage s : k_storages)
        for (OmenMetric m : k_metrics) {
            const bool codes = vnni && s == OMEN_STORAGE_INT8 && m != OMEN_METRIC_L1;
            EXPECT_EQ(omen_query_size(s, m, 100), codes ? 64u + 2u * 128u : 400u)
                << omen_storage_name(s) << " metric " << m;
        }
}

/* The prepared int8 distance on data that strains it: a large common offset (the distance is a
 * small difference of large norms), a constant query (no range to spread codes over), one
 * dimension, wide ranges, and a query equal to the stored vector's own decoding. */
TEST(StorageFormat, PreparedInt8DistanceOnHardData) {
    std::mt19937_64 rng(21);
    std::normal_distribution<float> g(0.0f, 1.0f);
    struct Case {
        std::uint32_t dims;
        float offset, scale, qscale;
    };
    for (const Case& c :
         {Case{784, 1000.0f, 1.0f, 1.0f}, Case{128, 0.0f, 1.0f, 0.0f}, Case{1, 3.0f, 1.0f, 1.0f},
          Case{300, 0.0f, 1e6f, 1e6f}, Case{65, -50.0f, 1e-3f, 1e-3f}}) {
        std::vector<float> x(c.dims), q(c.dims), y(c.dims);
        for (auto& v : x) v = c.offset + c.scale * g(rng);
        for (auto& v : q) v = c.offset + c.qscale * g(rng);
        for (OmenMetric m : {OMEN_METRIC_L2, OMEN_METRIC_INNER_PRODUCT}) {
            const auto part = encode(OMEN_STORAGE_INT8, m, x);
            omen_stored_decode(OMEN_STORAGE_INT8, part.data(), c.dims, y.data());
            OmenStoredDistanceFn fn = omen_stored_distance(OMEN_STORAGE_INT8, m);
            double want = 0.0, scale = 0.0;
            for (std::uint32_t i = 0; i < c.dims; ++i) {
                const double dq = q[i], dy = y[i];
                want += m == OMEN_METRIC_L2 ? (dq - dy) * (dq - dy) : -dq * dy;
                scale += m == OMEN_METRIC_L2 ? (dq - dy) * (dq - dy) + dq * dq * 1e-9
                                             : std::fabs(dq * dy);
            }
            const double got = fn(prepared(OMEN_STORAGE_INT8, m, q), part.data(), c.dims);
            EXPECT_NEAR(got, want, 1e-4 * scale + 1e-30)
                << "dims " << c.dims << " offset " << c.offset << " metric " << m;
            /* Against its own decoding the L2 distance is (nearly) zero. */
            if (m == OMEN_METRIC_L2) {
                double norm2 = 0.0;
                for (float v : y) norm2 += static_cast<double>(v) * v;
                EXPECT_LE(fn(prepared(OMEN_STORAGE_INT8, m, y), part.data(), c.dims),
                          1e-6 * norm2 / c.dims + 1e-30)
                    << "dims " << c.dims;
            }
        }
    }
}

/* ------------------------------------------------------------------------
 * Lower bounds
 * ------------------------------------------------------------------------ */

/* The lower bound for query q and a stored vector, through the prepared-query API. */
double bound_of(OmenStorage s, OmenMetric m, const std::vector<float>& q,
                const std::vector<std::uint8_t>& part) {
    std::vector<float> buffer(q.size());
    OmenBoundQuery b;
    omen_bound_query_init(&b, s, m, q.data(), buffer.data(), static_cast<std::uint32_t>(q.size()));
    return omen_stored_lower_bound(&b, part.data());
}

/* What a SQL distance function returns for heap vector x and query q with kernel set k. */
double sql_distance(const KernelSet& k, OmenMetric m, const float* x, const float* q,
                    std::size_t n) {
    switch (m) {
        case OMEN_METRIC_L2:
            return std::sqrt(static_cast<double>(k.l2_squared(x, q, n)));
        case OMEN_METRIC_INNER_PRODUCT:
            return -static_cast<double>(k.inner_product(x, q, n));
        case OMEN_METRIC_L1:
            return static_cast<double>(k.l1(x, q, n));
        case OMEN_METRIC_COSINE:
            return omen_cosine_distance(x, q,
                                        n); /* the active set; forced_simd_* covers the rest */
    }
    return 0.0;
}

/* The vector the index stores: the heap vector, divided by its double norm for cosine. */
std::vector<float> indexed(OmenMetric m, const std::vector<float>& x) {
    if (m != OMEN_METRIC_COSINE) return x;
    double s = 0;
    for (float v : x) s += static_cast<double>(v) * v;
    std::vector<float> y(x.size());
    const double norm = std::sqrt(s);
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = static_cast<float>(x[i] / norm);
    return y;
}

enum class data { gaussian, offset, near_duplicate, duplicate, huge, tiny, sparse, spiky };

constexpr data k_data[] = {data::gaussian, data::offset, data::near_duplicate, data::duplicate,
                           data::huge,     data::tiny,   data::sparse,         data::spiky};

const char* data_name(data d) {
    switch (d) {
        case data::gaussian:
            return "gaussian";
        case data::offset:
            return "offset";
        case data::near_duplicate:
            return "near_duplicate";
        case data::duplicate:
            return "duplicate";
        case data::huge:
            return "huge";
        case data::tiny:
            return "tiny";
        case data::sparse:
            return "sparse";
        case data::spiky:
            return "spiky";
    }
    return "?";
}

void make(data d, std::size_t n, std::mt19937_64& rng, std::vector<float>& x,
          std::vector<float>& q) {
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    x.assign(n, 0.0f);
    q.assign(n, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
        switch (d) {
            case data::gaussian:
                x[i] = g(rng);
                q[i] = g(rng);
                break;
            case data::offset: /* large common offset, small differences */
                x[i] = 300.0f + g(rng);
                q[i] = 300.0f + g(rng);
                break;
            case data::near_duplicate:
                x[i] = g(rng);
                q[i] = x[i] + 1e-4f * g(rng);
                break;
            case data::duplicate:
                x[i] = g(rng);
                q[i] = x[i];
                break;
            case data::huge: /* squares overflow float */
                x[i] = 1e30f * g(rng);
                q[i] = 1e30f * g(rng);
                break;
            case data::tiny: /* squares underflow float */
                x[i] = 1e-25f * g(rng);
                q[i] = 1e-25f * g(rng);
                break;
            case data::sparse:
                break;
            case data::spiky: /* one element dominates the range */
                x[i] = 0.01f * g(rng);
                q[i] = 0.01f * g(rng);
                break;
        }
    }
    if (d == data::sparse) {
        x[pick(rng)] = 1.0f;
        q[pick(rng)] = -2.0f;
        x[pick(rng)] = 0.5f;
    }
    if (d == data::spiky) {
        x[pick(rng)] = 1e4f;
        q[pick(rng)] = -50.0f;
    }
}

/*
 * For every storage, metric and data shape: the bound never exceeds any kernel
 * set's SQL value, and is within what the stored error allows of it (so a
 * bound of 0 or -inf everywhere would fail).
 */
TEST(StorageBound, NeverAboveSqlDistanceAndTight) {
    std::mt19937_64 rng(2026);
    const std::vector<Isa> isas = runnable_isas();
    std::vector<float> x, q;
    std::size_t checked = 0;
    for (std::size_t n : {1, 2, 3, 16, 100, 784, 1536, 16000}) {
        const int reps = n >= 1536 ? 2 : 12;
        for (data d : k_data) {
            for (int rep = 0; rep < reps; ++rep) {
                make(d, n, rng, x, q);
                for (OmenMetric m : k_metrics) {
                    const std::vector<float> stored_input = indexed(m, x);
                    for (OmenStorage s : k_storages) {
                        const auto part = encode(s, m, stored_input);
                        const double b = bound_of(s, m, q, part);
                        const double e = stored_err(s, part);
                        SCOPED_TRACE(std::string(data_name(d)) + " n=" + std::to_string(n) +
                                     " storage=" + omen_storage_name(s) +
                                     " metric=" + std::to_string(m) + " err=" + std::to_string(e));
                        ASSERT_FALSE(std::isnan(b));
                        double smin = std::numeric_limits<double>::infinity();
                        for (Isa isa : isas) {
                            const KernelSet& k = *omendb::simd::kernels_for(isa);
                            const double s1 = sql_distance(k, m, x.data(), q.data(), n);
                            const double s2 = sql_distance(k, m, q.data(), x.data(), n);
                            if (!std::isnan(s1)) {
                                ASSERT_LE(b, s1) << omendb::simd::isa_name(isa);
                            }
                            if (!std::isnan(s2)) {
                                ASSERT_LE(b, s2) << omendb::simd::isa_name(isa);
                            }
                            smin = std::fmin(smin, std::fmin(s1, s2));
                        }
                        ++checked;
                        if (d == data::huge || d == data::tiny || !std::isfinite(smin)) continue;
                        /* Tightness: about twice the stored error below the truth, no more. */
                        const double rho = (n + 16.0) * 0x1p-23;
                        double slack = 0;
                        double qn = 0, xn = 0;
                        for (std::size_t i = 0; i < n; ++i) {
                            qn += static_cast<double>(q[i]) * q[i];
                            xn += static_cast<double>(stored_input[i]) * stored_input[i];
                        }
                        qn = std::sqrt(qn);
                        xn = std::sqrt(xn);
                        switch (m) {
                            case OMEN_METRIC_L2:
                            case OMEN_METRIC_L1:
                                slack = 2 * e + 4 * rho * smin + 1e-12;
                                break;
                            case OMEN_METRIC_INNER_PRODUCT:
                                slack = 2 * qn * e + 4 * rho * qn * (xn + e) + 1e-12;
                                break;
                            case OMEN_METRIC_COSINE: /* (d - 2e)^2 / 2 with d <= 2 */
                                slack = 4 * e + 8 * rho + 1e-6;
                                break;
                        }
                        EXPECT_GE(b, smin - slack);
                    }
                }
            }
        }
    }
    EXPECT_GT(checked, 5000u);
}

/* Identical vectors: the bound is 0 (it may not be above the SQL function's 0). */
TEST(StorageBound, DuplicatesGiveZero) {
    std::vector<float> x = {3.0f, -1.0f, 0.25f, 7.5f};
    for (OmenStorage s : k_storages) {
        for (OmenMetric m : {OMEN_METRIC_L2, OMEN_METRIC_L1, OMEN_METRIC_COSINE}) {
            const auto part = encode(s, m, indexed(m, x));
            EXPECT_EQ(bound_of(s, m, x, part), 0.0) << omen_storage_name(s) << " " << m;
        }
    }
}

/* Inner products that float could overflow get no bound; a zero query under cosine gets 0. */
TEST(StorageBound, DegenerateInputs) {
    std::vector<float> x(8, 3e19f), q(8, 3e19f), zero(8, 0.0f);
    const auto part = encode(OMEN_STORAGE_INT8, OMEN_METRIC_INNER_PRODUCT, x);
    EXPECT_EQ(bound_of(OMEN_STORAGE_INT8, OMEN_METRIC_INNER_PRODUCT, q, part),
              -std::numeric_limits<double>::infinity());
    const auto unit = encode(OMEN_STORAGE_HALF, OMEN_METRIC_COSINE, indexed(OMEN_METRIC_COSINE, x));
    EXPECT_EQ(bound_of(OMEN_STORAGE_HALF, OMEN_METRIC_COSINE, zero, unit), 0.0);
    EXPECT_TRUE(std::isnan(omen_cosine_distance(zero.data(), x.data(), 8)));
}

/* The cosine SQL function stays accurate where float sums overflow or underflow. */
TEST(StorageBound, CosineSurvivesExtremeNorms) {
    const float a[3] = {1e30f, 2e30f, 0.0f}, b[3] = {2e30f, 4e30f, 0.0f};
    EXPECT_NEAR(omen_cosine_distance(a, b, 3), 0.0, 1e-12);
    const float c[3] = {1e-30f, 0.0f, 0.0f}, d[3] = {0.0f, 3e-30f, 0.0f};
    EXPECT_NEAR(omen_cosine_distance(c, d, 3), 1.0, 1e-12);
    const float e[2] = {1e-40f, 0.0f}, f[2] = {-1e-40f, 0.0f}; /* subnormal */
    EXPECT_NEAR(omen_cosine_distance(e, f, 2), 2.0, 1e-12);
}

}  // namespace
