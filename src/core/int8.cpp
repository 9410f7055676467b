/*
 * int8.cpp — the scalar reference kernels for 8-bit stored vectors.
 *
 * A vector stored as int8 (storage.cpp) keeps one byte c[i] per dimension
 * and a per-vector range: x[i] ~ lo + step * c[i].  The kernels measure a
 * float query against that reconstruction, element by element, computing
 * each x[i] as std::fma(c[i], step, lo) (one rounding) like the SIMD
 * kernels of simd_stored_kernels.hpp, then exactly what the float reference
 * kernels of distance.cpp compute (one float accumulator, index order).
 * The bounds handed to PostgreSQL carry their own error analysis
 * (storage.cpp), which counts on every kernel set decoding exactly as
 * scalar_decode_u8 does (the page format's err is measured against it).
 *
 * Also here: the exact dot product of two code arrays, which the graph
 * builder uses to measure compact copies against each other, with the
 * dispatch that picks the AVX-512 VNNI kernel (kernels_avx512vnni.cpp) where
 * it exists.
 */
#include <cmath>
#include <cstdint>
#include <cstring>

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

/* Reference reconstruction x[i]. */
void scalar_decode_u8(const std::uint8_t* c, std::size_t n, float lo, float step,
                      float* out) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = decode(c[i], lo, step);
}

/* Reference sum of squared differences in double, four partial sums (no one long chain). */
double scalar_diff_sq_f64(const float* x, const float* y, std::size_t n) noexcept {
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(x[i]) - static_cast<double>(y[i]);
        s[i & 3] += d * d;
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* Reference min and max, in 16 independent lanes rather than one chain of 2n comparisons. */
void scalar_value_range(const float* x, std::size_t n, float* lo_out, float* hi_out) noexcept {
    constexpr std::size_t lanes = 16;
    float lo = n > 0 ? x[0] : 0.0f;
    float hi = lo;
    std::size_t i = 0;
    if (n >= lanes) {
        float mn[lanes], mx[lanes];
        for (std::size_t j = 0; j < lanes; ++j) mn[j] = mx[j] = x[j];
        for (i = lanes; i + lanes <= n; i += lanes)
            for (std::size_t j = 0; j < lanes; ++j) {
                mn[j] = x[i + j] < mn[j] ? x[i + j] : mn[j];
                mx[j] = x[i + j] > mx[j] ? x[i + j] : mx[j];
            }
        for (std::size_t j = 0; j < lanes; ++j) {
            lo = mn[j] < lo ? mn[j] : lo;
            hi = mx[j] > hi ? mx[j] : hi;
        }
    }
    for (; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    *lo_out = lo;
    *hi_out = hi;
}

/* Reference codes: the division is kept (a multiplication by the inverse could round a quotient
 * to the other side of a tie), plain comparisons clamp, nearest_even rounds. */
void scalar_encode_u8(const float* x, std::size_t n, float lo, float step,
                      std::uint8_t* c) noexcept {
    const double s = static_cast<double>(step);
    const double l = static_cast<double>(lo);
    for (std::size_t i = 0; i < n; ++i) {
        double v = (static_cast<double>(x[i]) - l) / s;
        v = v > 0.0 ? v : 0.0;
        v = v < 255.0 ? v : 255.0;
        c[i] = static_cast<std::uint8_t>(nearest_even(v));
    }
}

}  // namespace omendb::simd

namespace omendb::simd {

/* Reference sum a[i] * b[i] over bytes. */
std::uint32_t scalar_dot_u8(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
    std::uint32_t s = 0;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<std::uint32_t>(a[i]) * b[i];
    return s;
}

namespace {

/* VNNI when it is compiled in, the CPU has it and the active set is AVX-512 (so OMEN_SIMD can
 * still turn it off), else the reference loop. */
dot_u8_kernel choose_dot_u8() noexcept {
    const dot_u8_kernel vnni = avx512vnni_dot_u8();
    if (vnni != nullptr && avx512_vnni_supported() && std::strcmp(active().name, "avx512") == 0)
        return vnni;
    return &scalar_dot_u8;
}

}  // namespace

/* The dot product in use, chosen once. */
dot_u8_kernel active_dot_u8() noexcept {
    static const dot_u8_kernel k = choose_dot_u8();
    return k;
}

/* True if active_dot_u8() is the VNNI kernel. */
bool fast_dot_u8() noexcept {
    return active_dot_u8() != &scalar_dot_u8;
}

/* Reference sums of a prepared query against codes c (see distance.hpp). */
void scalar_query_sums_u8(const std::uint8_t* c, const std::int8_t* d, const std::int8_t* e,
                          std::size_t n, std::int64_t out[4]) noexcept {
    std::int64_t cd = 0, ce = 0, cc = 0, cs = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t x = c[i];
        cd += x * d[i];
        ce += x * e[i];
        cc += x * (x - 128);
        cs += x;
    }
    out[0] = cd;
    out[1] = ce;
    out[2] = cc;
    out[3] = cs;
}

/* Reference sums of one signed query against count code arrays (see distance.hpp). */
void scalar_dot_s8u8_batch(const std::int8_t* q, const std::uint8_t* const* xs, std::size_t count,
                           std::size_t n, std::int32_t* out) noexcept {
    for (std::size_t j = 0; j < count; ++j) {
        std::int32_t s = 0;
        for (std::size_t i = 0; i < n; ++i) s += static_cast<std::int32_t>(xs[j][i]) * q[i];
        out[j] = s;
    }
}

/* VNNI exactly when the dot product is VNNI (same CPU and OMEN_SIMD checks). */
dot_s8u8_batch_kernel active_dot_s8u8_batch() noexcept {
    static const dot_s8u8_batch_kernel k =
        fast_dot_u8() ? avx512vnni_dot_s8u8_batch() : &scalar_dot_s8u8_batch;
    return k;
}

/* VNNI exactly when the dot product is VNNI (same CPU and OMEN_SIMD checks). */
query_sums_u8_kernel active_query_sums_u8() noexcept {
    static const query_sums_u8_kernel k =
        fast_dot_u8() ? avx512vnni_query_sums_u8() : &scalar_query_sums_u8;
    return k;
}

}  // namespace omendb::simd
