/*
 * half.cpp — IEEE 754 binary16 ("half") conversions, the scalar reference
 * half distance kernels, and the half functions of omendb.h.
 *
 * Why.  Compact vector storage keeps a stored vector in half precision (2
 * bytes per dimension) while the query stays in float; the distance kernels
 * widen each stored element on the fly.  This file is the portable part:
 * compiled without SIMD flags, it runs on every CPU; the SIMD half kernels
 * live in the kernel files (simd_half_kernels.hpp) and are reached through
 * the same KernelSet dispatch as the float kernels (distance.cpp).
 *
 * Conversions, by bit manipulation only (no reliance on the FPU's rounding
 * mode, on F16C, or on _Float16):
 *   half -> float is exact: normals rebias the exponent (15 -> 127) and shift
 *     the mantissa; subnormals (mantissa * 2^-24) are formed by an exact float
 *     multiply; inf and NaN keep sign and payload (payload << 13).
 *   float -> half rounds to nearest, ties to even: for the normal range the
 *     13 dropped mantissa bits decide, and a carry out of the mantissa
 *     correctly bumps the exponent; magnitudes >= 65520 (the midpoint between
 *     65504 and 2^16, which ties to the "even" 2^16) become inf; below 2^-14
 *     the 24-bit significand is shifted right by 14..24 places with the same
 *     rounding rule, a carry out of 0x3FF giving the smallest normal;
 *     magnitudes <= 2^-25 (half the smallest subnormal, a tie to 0) become
 *     signed zero.  NaN keeps sign and the top 10 payload bits; if those are
 *     all zero the quiet bit is set so the result stays NaN.  Thus
 *     half -> float -> half is the identity on all 65,536 bit patterns.
 *
 * The scalar kernels mirror the float reference kernels of distance.cpp
 * (one float accumulator, index order) with x[i] widened first.
 */
#include <cmath>
#include <cstdint>
#include <cstring>

#include "omendb/distance.hpp"
#include "omendb/omendb.h"

namespace omendb::simd {

namespace {

/* The bits of a float. */
inline std::uint32_t float_bits(float f) noexcept {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

/* The float with bits u. */
inline float bits_float(std::uint32_t u) noexcept {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

}  // namespace

/* Exact float value of one binary16 bit pattern. */
float half_to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1Fu;
    const std::uint32_t mant = h & 0x3FFu;
    if (exp == 0x1Fu) return bits_float(sign | 0x7F800000u | (mant << 13)); /* inf, NaN */
    if (exp != 0) return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
    /* zero or subnormal: mant * 2^-24, exact in float (mant < 2^10) */
    const float mag = static_cast<float>(mant) * 0x1p-24f;
    return sign != 0 ? -mag : mag;
}

/* Nearest binary16 of a float: ties to even, overflow to inf, NaN kept. */
std::uint16_t float_to_half(float f) noexcept {
    const std::uint32_t u = float_bits(f);
    const std::uint32_t sign = (u >> 16) & 0x8000u;
    const std::uint32_t mag = u & 0x7FFFFFFFu;

    if (mag >= 0x7F800000u) { /* inf or NaN */
        if (mag == 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7C00u);
        std::uint32_t payload = (mag >> 13) & 0x3FFu;
        if (payload == 0) payload = 0x200u; /* keep it a NaN */
        return static_cast<std::uint16_t>(sign | 0x7C00u | payload);
    }
    if (mag >= 0x477FF000u) /* >= 65520: rounds past 65504 */
        return static_cast<std::uint16_t>(sign | 0x7C00u);
    if (mag >= 0x38800000u) { /* >= 2^-14: normal half */
        std::uint32_t h = (mag >> 13) - (112u << 10);
        const std::uint32_t rest = mag & 0x1FFFu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) != 0)) ++h;
        return static_cast<std::uint16_t>(sign | h);
    }
    if (mag <= 0x33000000u) /* <= 2^-25: rounds to zero (2^-25 ties to even 0) */
        return static_cast<std::uint16_t>(sign);
    /* subnormal half: round(mag * 2^24); here the float exponent e is 102..112 */
    const std::uint32_t e = mag >> 23;
    const std::uint32_t sig = (mag & 0x7FFFFFu) | 0x800000u;
    const std::uint32_t shift = 126u - e; /* 14..24 */
    std::uint32_t h = sig >> shift;
    const std::uint32_t rest = sig & ((1u << shift) - 1u);
    const std::uint32_t halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (h & 1u) != 0)) ++h;
    return static_cast<std::uint16_t>(sign | h);
}

/* Reference sum (q[i] - x[i])^2. */
float scalar_l2_squared_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        const float d = q[i] - half_to_float(x[i]);
        s += d * d;
    }
    return s;
}

/* Reference sum q[i] * x[i]. */
float scalar_inner_product_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) s += q[i] * half_to_float(x[i]);
    return s;
}

/* Reference sum |q[i] - x[i]|. */
float scalar_l1_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) s += std::fabs(q[i] - half_to_float(x[i]));
    return s;
}

/* Reference -(sum q[i] * x[i]). */
float scalar_neg_inner_product_half(const float* q, const std::uint16_t* x,
                                    std::size_t n) noexcept {
    return -scalar_inner_product_half(q, x, n);
}

/* Reference widening of n halves. */
void scalar_decode_half(const std::uint16_t* x, std::size_t n, float* out) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = half_to_float(x[i]);
}

/* Reference narrowing, clamped to the largest finite half. */
void scalar_encode_half(const float* x, std::size_t n, std::uint16_t* out) noexcept {
    constexpr float kMax = 65504.0f;
    for (std::size_t i = 0; i < n; ++i) {
        const float v = x[i] < -kMax ? -kMax : (x[i] > kMax ? kMax : x[i]);
        out[i] = float_to_half(v);
    }
}

}  // namespace omendb::simd

/* ------------------------------------------------------------------------
 * C boundary (omendb.h)
 * ------------------------------------------------------------------------ */

/* n floats to half, round to nearest even. */
extern "C" void omen_float_to_half(const float* in, uint16_t* out, size_t n) noexcept {
    for (size_t i = 0; i < n; ++i) out[i] = omendb::simd::float_to_half(in[i]);
}

/* n halves to float, exactly. */
extern "C" void omen_half_to_float(const uint16_t* in, float* out, size_t n) noexcept {
    for (size_t i = 0; i < n; ++i) out[i] = omendb::simd::half_to_float(in[i]);
}

/* sum (q[i] - x[i])^2, x in half */
extern "C" float omen_l2_squared_half(const float* q, const uint16_t* x, size_t n) noexcept {
    return omendb::simd::active().l2_squared_half(q, x, n);
}

/* sum q[i] * x[i], x in half */
extern "C" float omen_inner_product_half(const float* q, const uint16_t* x, size_t n) noexcept {
    return omendb::simd::active().inner_product_half(q, x, n);
}

/* sum |q[i] - x[i]|, x in half */
extern "C" float omen_l1_distance_half(const float* q, const uint16_t* x, size_t n) noexcept {
    return omendb::simd::active().l1_half(q, x, n);
}

/* The half index distance kernel for a metric, or nullptr for an unknown metric. */
extern "C" OmenHalfDistanceFn omen_index_distance_half(OmenMetric metric) noexcept {
    const omendb::simd::KernelSet& k = omendb::simd::active();
    switch (metric) {
        case OMEN_METRIC_L2:
            return k.l2_squared_half;
        case OMEN_METRIC_INNER_PRODUCT:
        case OMEN_METRIC_COSINE:
            return k.neg_inner_product_half;
        case OMEN_METRIC_L1:
            return k.l1_half;
    }
    return nullptr;
}
