/*
 * int8.cpp — the scalar reference kernels for 8-bit stored vectors.
 *
 * A vector stored as int8 (storage.cpp) keeps one byte c[i] per dimension
 * and a per-vector range: x[i] ~ lo + step * c[i].  The kernels measure a
 * float query against that reconstruction, element by element, computing
 * each x[i] as std::fma(c[i], step, lo) (one rounding) like the SIMD
 * kernels of simd_stored_kernels.hpp, then exactly what the float reference
 * kernels of distance.cpp compute (one float accumulator, index order).
 * These distances steer the search only: the bounds handed to PostgreSQL
 * are computed in double in storage.cpp.
 */
#include <cmath>
#include <cstdint>

#include "omendb/distance.hpp"

namespace omendb::simd {

namespace {

/* The float reconstruction of one code. */
inline float decode(std::uint8_t c, float lo, float step) noexcept {
    return std::fma(static_cast<float>(c), step, lo);
}

}  // namespace

/* Reference sum (q[i] - x[i])^2. */
float scalar_l2_squared_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                           float step) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        const float d = q[i] - decode(c[i], lo, step);
        s += d * d;
    }
    return s;
}

/* Reference sum q[i] * x[i]. */
float scalar_inner_product_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                              float step) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) s += q[i] * decode(c[i], lo, step);
    return s;
}

/* Reference sum |q[i] - x[i]|. */
float scalar_l1_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                   float step) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) s += std::fabs(q[i] - decode(c[i], lo, step));
    return s;
}

/* Reference -(sum q[i] * x[i]). */
float scalar_neg_inner_product_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                                  float step) noexcept {
    return -scalar_inner_product_u8(q, c, n, lo, step);
}

}  // namespace omendb::simd
