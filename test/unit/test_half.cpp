/*
 * test_half.cpp — unit tests of the half-precision (IEEE 754 binary16)
 * conversions and of the half distance kernels (float query, half-stored
 * vector) in every kernel set.
 *
 * Conversions.  half -> float is checked on all 65,536 bit patterns against
 * a formula evaluated in double (ldexp of the significand), NaNs by sign and
 * payload; half -> float -> half must give back every pattern unchanged.
 * float -> half is checked against an independent nearest-value reference: a
 * sorted table of every finite non-negative half, a binary search, the nearer
 * neighbour, ties to the even bit pattern, and overflow to inf at and above
 * 65520 (the midpoint between 65504 and 2^16).  It is fed every exact
 * midpoint between two consecutive halves and the floats just beside each
 * (which exercises ties-to-even everywhere, subnormals included), random bit
 * patterns over the whole float range, random floats in and around the half
 * range, and named edge cases.  Where the CPU has F16C, both directions are
 * also compared with the hardware conversion (NaNs excepted: F16C quiets
 * signalling NaNs, the software conversion keeps the pattern).
 *
 * Kernels.  The reference is a double sum over q[i] and the exactly widened
 * x[i], so the widened kernels must meet the same bound as the float kernels
 * (derivation in test_distance.cpp): with n terms t_i,
 *     |got - exact| <= (n + 2) * FLT_EPSILON * sum |t_i| + 4 (n + 1) FLT_MIN.
 * Checked for n = 0..300 and larger sizes around block boundaries up to
 * OMEN_MAX_DIMS, on several data shapes, unaligned, and with each array flush
 * against an inaccessible page (the tails must not read past the end).  Small
 * integer data must give bit-exact results.
 */
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "kernel_testing.hpp"
#include "omendb/distance.hpp"
#include "omendb/omendb.h"

#if defined(OMEN_SIMD_X86) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define OMEN_TEST_F16C 1
#endif

namespace {

using namespace omendb::kernel_testing;
using omendb::simd::KernelSet;

std::uint32_t bits_of(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

float float_of(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

/* ------------------------------------------------------------------------
 * Conversions
 * ------------------------------------------------------------------------ */

/* The value of a finite half pattern, from the definition of binary16. */
double half_value(std::uint16_t h) {
    const int exp = (h >> 10) & 0x1F;
    const int mant = h & 0x3FF;
    const double mag = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
    return (h & 0x8000) != 0 ? -mag : mag;
}

bool half_is_nan(std::uint16_t h) {
    return (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
}

/* Every finite non-negative half value, ascending (index = bit pattern). */
const std::vector<double>& half_table() {
    static const std::vector<double> t = [] {
        std::vector<double> v;
        for (std::uint32_t h = 0; h <= 0x7BFF; ++h)
            v.push_back(half_value(static_cast<std::uint16_t>(h)));
        return v;
    }();
    return t;
}

/* Nearest half of a non-NaN float, ties to even, overflow to inf: independent of half.cpp. */
std::uint16_t reference_float_to_half(float f) {
    const std::uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    const double a = std::fabs(static_cast<double>(f));
    if (a >= 65520.0) return sign | 0x7C00;
    const std::vector<double>& t = half_table();
    if (a > t.back()) return sign | 0x7BFF; /* (65504, 65520): nearer to 65504 */
    const auto it = std::lower_bound(t.begin(), t.end(), a);
    const std::size_t hi = static_cast<std::size_t>(it - t.begin()); /* t[hi] >= a */
    if (t[hi] == a || hi == 0) return static_cast<std::uint16_t>(sign | hi);
    const std::size_t lo = hi - 1;
    const double dlo = a - t[lo], dhi = t[hi] - a;
    std::size_t pick = dlo < dhi ? lo : hi;
    if (dlo == dhi) pick = (lo % 2 == 0) ? lo : hi;
    return static_cast<std::uint16_t>(sign | pick);
}

/* Converts via the C API, one value. */
std::uint16_t to_half(float f) {
    std::uint16_t h = 0;
    omen_float_to_half(&f, &h, 1);
    return h;
}

float to_float(std::uint16_t h) {
    float f = 0.0f;
    omen_half_to_float(&h, &f, 1);
    return f;
}

/* Checks one float against the reference, with a readable message. */
::testing::AssertionResult converts_like_reference(float f) {
    const std::uint16_t got = to_half(f);
    const std::uint16_t want = reference_float_to_half(f);
    if (got == want) return ::testing::AssertionSuccess();
    char msg[128];
    std::snprintf(msg, sizeof msg, "%a (bits 0x%08x) -> 0x%04x, expected 0x%04x",
                  static_cast<double>(f), static_cast<unsigned>(bits_of(f)),
                  static_cast<unsigned>(got), static_cast<unsigned>(want));
    return ::testing::AssertionFailure() << msg;
}

/* half -> float matches the definition on every pattern; NaNs keep sign and payload. */
TEST(HalfConversion, HalfToFloatAllPatterns) {
    for (std::uint32_t i = 0; i <= 0xFFFF; ++i) {
        const std::uint16_t h = static_cast<std::uint16_t>(i);
        const float f = to_float(h);
        const bool neg = (h & 0x8000) != 0;
        ASSERT_EQ(std::signbit(f), neg) << std::hex << i;
        if ((h & 0x7C00) == 0x7C00) {
            if ((h & 0x3FF) == 0) {
                ASSERT_TRUE(std::isinf(f)) << std::hex << i;
            } else {
                ASSERT_TRUE(std::isnan(f)) << std::hex << i;
                ASSERT_EQ((bits_of(f) >> 13) & 0x3FFu, h & 0x3FFu) << std::hex << i;
            }
            continue;
        }
        ASSERT_EQ(static_cast<double>(f), half_value(h)) << std::hex << i;
    }
}

/* half -> float -> half is the identity on all 65,536 patterns (NaNs included). */
TEST(HalfConversion, RoundTripsEveryPattern) {
    std::vector<std::uint16_t> all(65536), back(65536);
    std::vector<float> wide(65536);
    for (std::uint32_t i = 0; i <= 0xFFFF; ++i) all[i] = static_cast<std::uint16_t>(i);
    omen_half_to_float(all.data(), wide.data(), all.size());
    omen_float_to_half(wide.data(), back.data(), wide.size());
    for (std::uint32_t i = 0; i <= 0xFFFF; ++i) {
        ASSERT_EQ(back[i], all[i]) << std::hex << i;
        ASSERT_EQ(std::isnan(wide[i]), half_is_nan(all[i])) << std::hex << i;
        ASSERT_EQ(bits_of(wide[i]), bits_of(omendb::simd::half_to_float(all[i]))) << std::hex << i;
    }
}

/* Every midpoint between consecutive halves (ties) and the floats beside it. */
TEST(HalfConversion, TiesToEvenEverywhere) {
    const std::vector<double>& t = half_table();
    for (std::size_t i = 0; i + 1 < t.size(); ++i) {
        const float mid = static_cast<float>((t[i] + t[i + 1]) / 2.0);
        ASSERT_EQ(static_cast<double>(mid), (t[i] + t[i + 1]) / 2.0); /* exact in float */
        const std::uint16_t even = static_cast<std::uint16_t>(i % 2 == 0 ? i : i + 1);
        ASSERT_EQ(to_half(mid), even) << i;
        ASSERT_EQ(to_half(-mid), even | 0x8000) << i;
        ASSERT_TRUE(converts_like_reference(std::nextafter(mid, 0.0f)));
        ASSERT_TRUE(converts_like_reference(std::nextafter(mid, 1e9f)));
        ASSERT_TRUE(converts_like_reference(static_cast<float>(t[i])));
    }
    /* between 65504 and 2^16: the midpoint 65520 ties to the even 2^16, i.e. inf */
    EXPECT_EQ(to_half(65520.0f), 0x7C00);
    EXPECT_EQ(to_half(std::nextafter(65520.0f, 0.0f)), 0x7BFF);
}

/* Random floats: whole-range bit patterns and values in and around the half range. */
TEST(HalfConversion, RandomFloatsMatchReference) {
    std::mt19937_64 rng(1616);
    std::uniform_int_distribution<std::uint32_t> any_bits;
    std::uniform_int_distribution<int> exponent(-28, 17);
    std::uniform_real_distribution<double> significand(1.0, 2.0);
    std::bernoulli_distribution coin(0.5);
    for (int i = 0; i < 1000000; ++i) {
        const float f = float_of(any_bits(rng));
        if (std::isnan(f)) {
            const std::uint16_t h = to_half(f);
            ASSERT_TRUE(half_is_nan(h)) << std::hex << bits_of(f);
            ASSERT_EQ((h & 0x8000) != 0, std::signbit(f));
            continue;
        }
        ASSERT_TRUE(converts_like_reference(f));
    }
    for (int i = 0; i < 1000000; ++i) {
        const double x = std::ldexp(significand(rng), exponent(rng)) * (coin(rng) ? 1 : -1);
        ASSERT_TRUE(converts_like_reference(static_cast<float>(x)));
    }
}

/* Named edge cases. */
TEST(HalfConversion, EdgeCases) {
    const float inf = std::numeric_limits<float>::infinity();
    EXPECT_EQ(to_half(0.0f), 0x0000);
    EXPECT_EQ(to_half(-0.0f), 0x8000);
    EXPECT_EQ(to_half(1.0f), 0x3C00);
    EXPECT_EQ(to_half(-2.0f), 0xC000);
    EXPECT_EQ(to_half(65504.0f), 0x7BFF); /* max half */
    EXPECT_EQ(to_half(-65504.0f), 0xFBFF);
    EXPECT_EQ(to_half(65519.0f), 0x7BFF); /* below the midpoint */
    EXPECT_EQ(to_half(65520.0f), 0x7C00); /* midpoint: ties to 2^16 = overflow */
    EXPECT_EQ(to_half(1e6f), 0x7C00);
    EXPECT_EQ(to_half(-1e6f), 0xFC00);
    EXPECT_EQ(to_half(FLT_MAX), 0x7C00);
    EXPECT_EQ(to_half(inf), 0x7C00);
    EXPECT_EQ(to_half(-inf), 0xFC00);
    EXPECT_EQ(to_half(0x1p-14f), 0x0400); /* smallest normal */
    EXPECT_EQ(to_half(0x1p-24f), 0x0001); /* smallest subnormal */
    EXPECT_EQ(to_half(-0x1p-24f), 0x8001);
    EXPECT_EQ(to_half(0x1p-25f), 0x0000); /* tie between 0 and 2^-24: even 0 */
    EXPECT_EQ(to_half(-0x1p-25f), 0x8000);
    EXPECT_EQ(to_half(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
    EXPECT_EQ(to_half(3 * 0x1p-25f), 0x0002);          /* tie between 1 and 2: even 2 */
    EXPECT_EQ(to_half(5 * 0x1p-25f), 0x0002);          /* tie between 2 and 3: even 2 */
    EXPECT_EQ(to_half(0x3FFp-24f + 0x1p-25f), 0x0400); /* top subnormal tie carries to normal */
    EXPECT_EQ(to_half(1.0f + 0x1p-11f), 0x3C00);       /* tie: even 1.0 */
    EXPECT_EQ(to_half(1.0f + 3 * 0x1p-11f), 0x3C02);   /* tie: even 1 + 2^-9 */
    EXPECT_EQ(to_half(2047.0f + 0.5f), 0x6800);        /* 2047.5 ties up, carrying to 2048 */
    EXPECT_EQ(to_half(FLT_MIN), 0x0000);
    EXPECT_EQ(to_half(-FLT_TRUE_MIN), 0x8000);
    EXPECT_EQ(to_half(0.1f), 0x2E66);
    /* NaNs stay NaN with their sign, even when the payload sits only in low bits */
    for (std::uint32_t bits :
         {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF800001u, 0x7FA00000u, 0x7FFFFFFFu}) {
        const std::uint16_t h = to_half(float_of(bits));
        EXPECT_TRUE(half_is_nan(h)) << std::hex << bits;
        EXPECT_EQ((h & 0x8000) != 0, (bits >> 31) != 0) << std::hex << bits;
    }
    EXPECT_EQ(to_half(float_of(0x7FC00000u)), 0x7E00);
}

/* Zero-length conversions touch nothing. */
TEST(HalfConversion, ZeroLengthIgnoresPointers) {
    omen_float_to_half(nullptr, nullptr, 0);
    omen_half_to_float(nullptr, nullptr, 0);
}

#if defined(OMEN_TEST_F16C)
__attribute__((target("f16c"))) std::uint16_t hw_to_half(float f) {
    return static_cast<std::uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) float hw_to_float(std::uint16_t h) {
    return _cvtsh_ss(h);
}

/* Where the CPU has F16C, the software conversions agree with the hardware (NaNs aside). */
TEST(HalfConversion, AgreesWithF16c) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "no F16C";
    for (std::uint32_t i = 0; i <= 0xFFFF; ++i) {
        const std::uint16_t h = static_cast<std::uint16_t>(i);
        if (half_is_nan(h)) continue;
        ASSERT_EQ(bits_of(to_float(h)), bits_of(hw_to_float(h))) << std::hex << i;
    }
    std::mt19937_64 rng(77);
    std::uniform_int_distribution<std::uint32_t> any_bits;
    std::uniform_int_distribution<std::uint32_t> near_range(0x32000000u, 0x48000000u);
    for (int i = 0; i < 2000000; ++i) {
        float f =
            float_of(i % 2 == 0 ? any_bits(rng) : near_range(rng) | (any_bits(rng) & 0x80000000u));
        if (std::isnan(f)) continue;
        ASSERT_EQ(to_half(f), hw_to_half(f)) << std::hexfloat << f;
    }
}
#endif

/* ------------------------------------------------------------------------
 * Half distance kernels
 * ------------------------------------------------------------------------ */

reference ref_l2(const float* q, const std::uint16_t* x, std::size_t n) {
    reference r;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(q[i]) - half_value(x[i]);
        r.value += d * d;
    }
    r.abs_sum = r.value;
    return r;
}

reference ref_ip(const float* q, const std::uint16_t* x, std::size_t n) {
    reference r;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(q[i]) * half_value(x[i]);
        r.value += t;
        r.abs_sum += std::fabs(t);
    }
    return r;
}

reference ref_l1(const float* q, const std::uint16_t* x, std::size_t n) {
    reference r;
    for (std::size_t i = 0; i < n; ++i)
        r.value += std::fabs(static_cast<double>(q[i]) - half_value(x[i]));
    r.abs_sum = r.value;
    return r;
}

/* Data shapes: query and stored vector. */
enum class shape { uniform, mixed_magnitude, full_range, subnormal_halves, zeros, cancelling };

constexpr shape k_shapes[] = {shape::uniform,          shape::mixed_magnitude, shape::full_range,
                              shape::subnormal_halves, shape::zeros,           shape::cancelling};

const char* shape_name(shape s) {
    switch (s) {
        case shape::uniform:
            return "uniform";
        case shape::mixed_magnitude:
            return "mixed_magnitude";
        case shape::full_range:
            return "full_range";
        case shape::subnormal_halves:
            return "subnormal_halves";
        case shape::zeros:
            return "zeros";
        case shape::cancelling:
            return "cancelling";
    }
    return "?";
}

/* Fills q (floats) and x (halves, from floats of the same shape), n each. */
void fill(std::vector<float>& q, std::vector<std::uint16_t>& x, std::size_t n, shape s,
          std::mt19937_64& rng) {
    q.assign(n, 0.0f);
    x.assign(n, 0);
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    std::uniform_int_distribution<int> exponent(-7, 4);
    for (std::size_t i = 0; i < n; ++i) {
        double a = 0.0, b = 0.0;
        switch (s) {
            case shape::uniform:
                a = unit(rng);
                b = unit(rng);
                break;
            case shape::mixed_magnitude:
                a = unit(rng) * std::pow(10.0, exponent(rng));
                b = unit(rng) * std::pow(10.0, exponent(rng));
                break;
            case shape::full_range: /* |x| up to 65504, products up to ~4e9 */
                a = unit(rng) * 65504.0;
                b = unit(rng) * 65504.0;
                break;
            case shape::subnormal_halves: /* x below 2^-14 */
                a = unit(rng) * 1e-5;
                b = unit(rng) * 6e-5;
                break;
            case shape::zeros:
                break;
            case shape::cancelling:
                a = unit(rng);
                b = (i % 2 == 0 ? 1000.0 : -1000.0) + unit(rng);
                break;
        }
        q[i] = static_cast<float>(a);
        x[i] = omendb::simd::float_to_half(static_cast<float>(b));
    }
}

class HalfKernelTest : public ::testing::TestWithParam<Isa> {
  protected:
    const KernelSet& k() const { return *omendb::simd::kernels_for(GetParam()); }
};

/* Checks every half kernel of set k on q, x (n each). */
void check_all(const KernelSet& k, const float* q, const std::uint16_t* x, std::size_t n,
               const std::string& what) {
    SCOPED_TRACE(what + " n=" + std::to_string(n));
    EXPECT_TRUE(within(k.l2_squared_half(q, x, n), ref_l2(q, x, n), n)) << "l2_squared_half";
    EXPECT_TRUE(within(k.inner_product_half(q, x, n), ref_ip(q, x, n), n)) << "inner_product_half";
    EXPECT_EQ(k.neg_inner_product_half(q, x, n), -k.inner_product_half(q, x, n))
        << "neg_inner_product_half";
    EXPECT_TRUE(within(k.l1_half(q, x, n), ref_l1(q, x, n), n)) << "l1_half";
}

/* Every kernel, every dimension, every shape, aligned and shifted. */
TEST_P(HalfKernelTest, MatchesDoubleReference) {
    std::mt19937_64 rng(424242);
    std::vector<float> q;
    std::vector<std::uint16_t> x;
    for (shape s : k_shapes) {
        for (std::size_t n : test_dims()) {
            fill(q, x, n + 1, s, rng);
            check_all(k(), q.data(), x.data(), n, shape_name(s));
            check_all(k(), q.data() + 1, x.data() + 1, n, std::string(shape_name(s)) + " +1");
            check_all(k(), q.data() + 1, x.data(), n, std::string(shape_name(s)) + " q+1");
        }
    }
}

/* Small integers sum exactly in float: every element counted once, results exact. */
TEST_P(HalfKernelTest, ExactOnSmallIntegers) {
    std::mt19937_64 rng(8);
    std::uniform_int_distribution<int> small(-8, 8);
    for (std::size_t n : test_dims()) {
        if (n > 4096) continue; /* keep partial sums below 2^24 */
        std::vector<float> q(n);
        std::vector<std::uint16_t> x(n);
        for (std::size_t i = 0; i < n; ++i) {
            q[i] = static_cast<float>(small(rng));
            x[i] = omendb::simd::float_to_half(static_cast<float>(small(rng)));
        }
        SCOPED_TRACE("n=" + std::to_string(n));
        EXPECT_EQ(static_cast<double>(k().l2_squared_half(q.data(), x.data(), n)),
                  ref_l2(q.data(), x.data(), n).value);
        EXPECT_EQ(static_cast<double>(k().inner_product_half(q.data(), x.data(), n)),
                  ref_ip(q.data(), x.data(), n).value);
        EXPECT_EQ(static_cast<double>(k().l1_half(q.data(), x.data(), n)),
                  ref_l1(q.data(), x.data(), n).value);
    }
}

/* Zero length: pointers not dereferenced, result 0. */
TEST_P(HalfKernelTest, ZeroLengthIgnoresPointers) {
    EXPECT_EQ(k().l2_squared_half(nullptr, nullptr, 0), 0.0f);
    EXPECT_EQ(k().inner_product_half(nullptr, nullptr, 0), 0.0f);
    EXPECT_EQ(k().l1_half(nullptr, nullptr, 0), 0.0f);
    EXPECT_EQ(k().neg_inner_product_half(nullptr, nullptr, 0), 0.0f);
}

/* Stored infinities give infinite distances; a stored NaN gives NaN. */
TEST_P(HalfKernelTest, InfinityAndNaN) {
    for (std::size_t n : {1, 7, 8, 9, 16, 17, 64, 65, 100}) {
        SCOPED_TRACE("n=" + std::to_string(n));
        std::vector<float> q(n, 1.0f);
        std::vector<std::uint16_t> x(n, 0x3C00);
        x[n - 1] = 0x7C00; /* +inf, in the tail when there is one */
        EXPECT_EQ(k().l2_squared_half(q.data(), x.data(), n),
                  std::numeric_limits<float>::infinity());
        EXPECT_EQ(k().inner_product_half(q.data(), x.data(), n),
                  std::numeric_limits<float>::infinity());
        EXPECT_EQ(k().l1_half(q.data(), x.data(), n), std::numeric_limits<float>::infinity());
        x[0] = 0x7E00; /* NaN */
        EXPECT_TRUE(std::isnan(k().l2_squared_half(q.data(), x.data(), n)));
        EXPECT_TRUE(std::isnan(k().inner_product_half(q.data(), x.data(), n)));
        EXPECT_TRUE(std::isnan(k().l1_half(q.data(), x.data(), n)));
    }
}

/* Kernels read exactly [q, q + n) and [x, x + n): each array flush against a guard page. */
TEST_P(HalfKernelTest, NeverReadsOutsideTheArrays) {
    std::mt19937_64 rng(31);
    std::vector<float> q;
    std::vector<std::uint16_t> x;
    for (std::size_t n : test_dims()) {
        if (n == 0) continue;
        fill(q, x, n, shape::uniform, rng);
        guarded_region rq(n * sizeof(float)), rx(n * sizeof(std::uint16_t));
        ASSERT_TRUE(rq.ok() && rx.ok());
        float* q_end = rq.at_end<float>(n);
        std::uint16_t* x_end = rx.at_end<std::uint16_t>(n);
        std::memcpy(q_end, q.data(), n * sizeof(float));
        std::memcpy(x_end, x.data(), n * sizeof(std::uint16_t));
        check_all(k(), q_end, x_end, n, "guarded end");
        float* q_start = rq.at_start<float>();
        std::uint16_t* x_start = rx.at_start<std::uint16_t>();
        std::memcpy(q_start, q.data(), n * sizeof(float));
        std::memcpy(x_start, x.data(), n * sizeof(std::uint16_t));
        check_all(k(), q_start, x_start, n, "guarded start");
    }
}

/* decode_half widens every element exactly (bit for bit, NaN payloads aside) and touches only
 * [x, x + n) and [out, out + n): both arrays flush against a guard page. */
TEST_P(HalfKernelTest, DecodeWidensExactlyWithinTheArrays) {
    std::mt19937_64 rng(57);
    std::vector<float> q;
    std::vector<std::uint16_t> x;
    for (std::size_t n : test_dims()) {
        if (n == 0) continue;
        fill(q, x, n, shape::uniform, rng);
        x[n / 2] = 0x7C00u; /* +inf */
        x[n - 1] = 0x8001u; /* smallest negative subnormal */
        guarded_region rx(n * sizeof(std::uint16_t)), ro(n * sizeof(float));
        ASSERT_TRUE(rx.ok() && ro.ok());
        std::uint16_t* xs = rx.at_end<std::uint16_t>(n);
        float* out = ro.at_end<float>(n);
        std::memcpy(xs, x.data(), n * sizeof(std::uint16_t));
        k().decode_half(xs, n, out);
        for (std::size_t i = 0; i < n; ++i)
            ASSERT_EQ(bits_of(out[i]), bits_of(omendb::simd::half_to_float(x[i]))) << "n=" << n << " i=" << i;
    }
}

/* encode_half of every set is the reference narrowing of the clamped value, bit for bit: every
 * tie between neighbouring halves and the floats beside it, values beyond +-65504 (which would
 * round to inf unclamped), signed zeros, and random finite floats, at every length (so both the
 * batches and the tails run), writing only [out, out + n). */
TEST_P(HalfKernelTest, EncodeRoundsLikeTheReference) {
    std::vector<float> pool;
    const std::vector<double>& t = half_table();
    for (std::size_t i = 0; i + 1 < t.size(); ++i) {
        const float mid = static_cast<float>((t[i] + t[i + 1]) / 2.0);
        for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f),
                        static_cast<float>(t[i])}) {
            pool.push_back(f);
            pool.push_back(-f);
        }
    }
    for (float f : {65504.0f, 65519.0f, 65520.0f, 65536.0f, 1e30f, 3.4e38f, 0.0f, -0.0f})
        for (float g : {f, -f}) pool.push_back(g);
    std::mt19937_64 rng(1617);
    std::uniform_int_distribution<std::uint32_t> any_bits;
    for (int i = 0; i < 200000; ++i) {
        const float f = float_of(any_bits(rng));
        if (std::isfinite(f)) pool.push_back(f);
    }
    std::shuffle(pool.begin(), pool.end(), rng);

    std::vector<std::uint16_t> want(pool.size());
    omendb::simd::scalar_encode_half(pool.data(), pool.size(), want.data());
    for (std::size_t i = 0; i < pool.size(); ++i) {
        const float c = std::fmin(std::fmax(pool[i], -65504.0f), 65504.0f);
        ASSERT_EQ(want[i], omendb::simd::float_to_half(c)) << pool[i];
    }
    std::vector<std::uint16_t> got(pool.size());
    k().encode_half(pool.data(), pool.size(), got.data());
    for (std::size_t i = 0; i < pool.size(); ++i)
        ASSERT_EQ(got[i], want[i]) << std::hexfloat << pool[i] << " at " << i;

    for (std::size_t n : test_dims()) {
        if (n == 0 || n > pool.size()) continue;
        guarded_region ro(n * sizeof(std::uint16_t));
        ASSERT_TRUE(ro.ok());
        std::uint16_t* out = ro.at_end<std::uint16_t>(n);
        k().encode_half(pool.data() + 3, n, out);
        ASSERT_EQ(std::memcmp(out, want.data() + 3, n * sizeof(std::uint16_t)), 0) << "n=" << n;
    }
}

/* The SIMD half kernels agree with the float kernels of the same set on the widened vector. */
TEST_P(HalfKernelTest, AgreesWithFloatKernelsOnWidenedVector) {
    std::mt19937_64 rng(55);
    std::vector<float> q, wide;
    std::vector<std::uint16_t> x;
    for (std::size_t n : test_dims()) {
        fill(q, x, n, shape::uniform, rng);
        wide.resize(n);
        omen_half_to_float(x.data(), wide.data(), n);
        SCOPED_TRACE("n=" + std::to_string(n));
        const reference r = ref_l2(q.data(), x.data(), n);
        EXPECT_TRUE(within(k().l2_squared(q.data(), wide.data(), n), r, n));
        EXPECT_NEAR(k().l2_squared_half(q.data(), x.data(), n),
                    k().l2_squared(q.data(), wide.data(), n),
                    2.0 * (n + 2.0) * FLT_EPSILON * r.abs_sum + 1e-30);
    }
}

INSTANTIATE_TEST_SUITE_P(Runnable, HalfKernelTest, ::testing::ValuesIn(runnable_isas()),
                         isa_param_name);

/* ------------------------------------------------------------------------
 * C API
 * ------------------------------------------------------------------------ */

/* The omen_*_half functions are the active set's kernels. */
TEST(HalfApi, MatchesActiveSet) {
    const KernelSet& k = omendb::simd::active();
    std::mt19937_64 rng(6);
    std::vector<float> q;
    std::vector<std::uint16_t> x;
    for (std::size_t n : test_dims()) {
        fill(q, x, n, shape::mixed_magnitude, rng);
        SCOPED_TRACE("n=" + std::to_string(n));
        EXPECT_EQ(omen_l2_squared_half(q.data(), x.data(), n),
                  k.l2_squared_half(q.data(), x.data(), n));
        EXPECT_EQ(omen_inner_product_half(q.data(), x.data(), n),
                  k.inner_product_half(q.data(), x.data(), n));
        EXPECT_EQ(omen_l1_distance_half(q.data(), x.data(), n), k.l1_half(q.data(), x.data(), n));
        EXPECT_TRUE(
            within(omen_l2_squared_half(q.data(), x.data(), n), ref_l2(q.data(), x.data(), n), n));
        EXPECT_TRUE(within(omen_inner_product_half(q.data(), x.data(), n),
                           ref_ip(q.data(), x.data(), n), n));
        EXPECT_TRUE(
            within(omen_l1_distance_half(q.data(), x.data(), n), ref_l1(q.data(), x.data(), n), n));
    }
}

/* The half index distance for each metric; unknown metrics give nullptr. */
TEST(HalfApi, IndexDistanceMapping) {
    std::mt19937_64 rng(3);
    std::vector<float> q;
    std::vector<std::uint16_t> x;
    fill(q, x, 77, shape::uniform, rng);
    const OmenHalfDistanceFn l2 = omen_index_distance_half(OMEN_METRIC_L2);
    const OmenHalfDistanceFn ip = omen_index_distance_half(OMEN_METRIC_INNER_PRODUCT);
    const OmenHalfDistanceFn cos = omen_index_distance_half(OMEN_METRIC_COSINE);
    const OmenHalfDistanceFn l1 = omen_index_distance_half(OMEN_METRIC_L1);
    ASSERT_NE(l2, nullptr);
    ASSERT_NE(ip, nullptr);
    ASSERT_NE(cos, nullptr);
    ASSERT_NE(l1, nullptr);
    EXPECT_EQ(l2(q.data(), x.data(), 77), omen_l2_squared_half(q.data(), x.data(), 77));
    EXPECT_EQ(ip(q.data(), x.data(), 77), -omen_inner_product_half(q.data(), x.data(), 77));
    EXPECT_EQ(cos(q.data(), x.data(), 77), -omen_inner_product_half(q.data(), x.data(), 77));
    EXPECT_EQ(l1(q.data(), x.data(), 77), omen_l1_distance_half(q.data(), x.data(), 77));
    EXPECT_EQ(omen_index_distance_half(static_cast<OmenMetric>(0)), nullptr);
    EXPECT_EQ(omen_index_distance_half(static_cast<OmenMetric>(5)), nullptr);
}

/* Known small values, end to end. */
TEST(HalfApi, KnownValues) {
    const float q[3] = {1, 2, 3};
    const float xf[3] = {4, 6, 8};
    std::uint16_t x[3];
    omen_float_to_half(xf, x, 3);
    EXPECT_EQ(x[0], 0x4400);
    EXPECT_EQ(omen_l2_squared_half(q, x, 3), 9.0f + 16.0f + 25.0f);
    EXPECT_EQ(omen_inner_product_half(q, x, 3), 4.0f + 12.0f + 24.0f);
    EXPECT_EQ(omen_l1_distance_half(q, x, 3), 12.0f);
}

}  // namespace
