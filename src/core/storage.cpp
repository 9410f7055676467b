/*
 * storage.cpp — how a node keeps its vector (float4, half, int8) and the
 * lower bounds that let PostgreSQL return exactly ordered results from a
 * lossy one.
 *
 * Formats (omendb.h, "Stored vectors").  half rounds every element to the
 * nearest binary16, saturating at +/-65504 so that no stored value is
 * infinite.  int8 keeps, per vector, lo = min x[i] and step = (max - min)
 * / 255 rounded to float, and c[i] = round((x[i] - lo) / step) clamped to
 * 0..255.  The decoded vector xh is defined exactly, in double: the half
 * value itself, or lo + step * c[i] (step * c[i] is exact in double, a
 * 24-bit by 8-bit product, so the sum is rounded once and every caller gets
 * the same double whether or not the compiler fuses it).  Both encoders
 * store err >= ||x - xh|| (the L1 norm for the L1 metric, else the L2 norm),
 * computed in double and rounded up to float with a relative slack of 2^-30
 * that covers the double rounding of the sum.  For cosine, x is the unit
 * vector the caller made with a double-precision norm; each element is then
 * within 2^-24 relative of the exact unit vector, so the exact unit vector
 * lies within 2^-23 (in L2) of x, and err grows by 2^-22 to cover it.
 *
 * The lower bounds.  PostgreSQL rechecks the ORDER BY value of every row an
 * index marks lossy (xs_recheckorderby) and raises "index returned tuples in
 * wrong order" if the recomputed value is smaller than the index's, so the
 * bound B must never exceed what the SQL function computes, rounding
 * included.  Let q be the query, x the heap vector, xh the decoded one,
 * e = err, T the exact distance and S what the SQL function returns.
 *
 *   Float sums.  The SQL functions sum n products or squares in float with
 *   the kernels of distance.hpp.  Whatever the kernel set (the scalar one,
 *   summing in index order, is the worst), the computed sum differs from the
 *   exact one by at most rho * sum|terms| + (n + 1) * 2^-148, with
 *   rho = (n + 16) * 2^-23, twice the classic gamma_{n+2} bound on n-term
 *   recursive summation with two roundings per term; the second part covers
 *   underflow (each of about 3n operations loses at most 2^-150 in the
 *   subnormal range).  Overflow turns a sum of non-negative terms into +inf,
 *   which only raises S.  Our own double arithmetic is covered by a relative
 *   slack of 2^-30 (it errs by at most (n + 10) * 2^-53 < 2^-38).
 *
 *   L2 (<->).  Triangle inequality: T = ||q - x|| >= ||q - xh|| - e =: L.
 *   S = sqrt(float sum of squares) >= sqrt((1 - rho) T^2 - (n+1) 2^-148),
 *   so B = sqrt(max(0, (1 - rho) L^2 - (n+1) 2^-148)), L taken at 0 when
 *   negative, shrunk by the double slack.
 *
 *   L1 (<+>).  T = sum|q - x| >= sum|q - xh| - sum|x - xh| >= L1(q, xh) - e,
 *   and S >= (1 - rho) T - (n+1) 2^-148.
 *
 *   Inner product (<#>, the negative dot product).  T = -q.x =
 *   -q.xh - q.(x - xh) >= -q.xh - ||q|| e (Cauchy-Schwarz).  The float dot
 *   product errs by at most rho * sum|q_i x_i| <= rho ||q|| ||x|| and
 *   ||x|| <= ||xh|| + e, so B = -q.xh - ||q|| e - rho ||q|| (||xh|| + e)
 *   - (n+1) 2^-148, less the double slack on every term.  When
 *   ||q|| (||xh|| + e) exceeds 2^126 the float products or sums could
 *   overflow to an infinity of either sign, so B = -inf.
 *
 *   Cosine (<=>).  With qn = q/||q|| and xn = x/||x|| (exact unit vectors),
 *   T = 1 - qn.xn = ||qn - xn||^2 / 2, and ||xn - xh|| <= e, so both
 *     T >= 1 - qn.xh - e                       (qn.(xn - xh) <= e), and
 *     T >= max(0, ||qn - xh|| - e)^2 / 2       (triangle inequality)
 *   hold; B is the larger, less 3 rho.  That margin holds because
 *   omen_cosine_distance computes a.b, |a|^2 and |b|^2 each within rho of
 *   the exact values (relative to |a||b|, |a|^2, |b|^2), which moves the
 *   similarity by at most about 2 rho; clamping it to [-1, 1] only moves S
 *   towards the exact range [0, 2].  Where float would underflow or
 *   overflow (a squared norm below 2^-60 or not finite) that function
 *   recomputes in double, so the margin holds for every finite input.  A
 *   zero query makes S NaN, which sorts above every number: B = 0.
 */
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "omendb/distance.hpp"
#include "omendb/omendb.h"

namespace omendb::simd {

namespace {

constexpr double kSlack = 0x1p-30;       /* relative slack for our double arithmetic */
constexpr float kHalfMax = 65504.0f;     /* largest finite binary16 */
constexpr double kCosineMargin = 0x1p-22 + 0x1p-100; /* unit vector from a double norm */

/* rho: relative error of the SQL functions' float sums over n terms. */
inline double float_sum_error(std::uint32_t n) noexcept {
    return (static_cast<double>(n) + 16.0) * 0x1p-23;
}

/* Absolute error of a float sum of n terms from underflow. */
inline double underflow_margin(std::uint32_t n) noexcept {
    return (static_cast<double>(n) + 1.0) * 0x1p-148;
}

/* Bytes before the elements of a stored vector. */
inline std::uint32_t header_bytes(OmenStorage storage) noexcept {
    switch (storage) {
        case OMEN_STORAGE_HALF:
            return 4;
        case OMEN_STORAGE_INT8:
            return 12;
        default:
            return 0;
    }
}

/* The smallest float >= v (v >= 0); +inf beyond float range. */
inline float round_up_to_float(double v) noexcept {
    float f = static_cast<float>(v);
    if (static_cast<double>(f) < v) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

inline float load_float(const std::uint8_t* p) noexcept {
    float f;
    std::memcpy(&f, p, sizeof f);
    return f;
}

inline void store_float(std::uint8_t* p, float f) noexcept {
    std::memcpy(p, &f, sizeof f);
}

/* Read access to a stored vector: err and the exact decoded elements. */
struct StoredView {
    OmenStorage storage;
    const std::uint8_t* part;
    float err;
    float lo;
    float step;

    StoredView(OmenStorage s, const std::uint8_t* p) noexcept
        : storage(s), part(p), err(0.0f), lo(0.0f), step(0.0f) {
        if (s != OMEN_STORAGE_FLOAT4) err = load_float(p);
        if (s == OMEN_STORAGE_INT8) {
            lo = load_float(p + 4);
            step = load_float(p + 8);
        }
    }

    /* Element i of the decoded vector, exactly. */
    double at(std::uint32_t i) const noexcept {
        switch (storage) {
            case OMEN_STORAGE_HALF: {
                std::uint16_t h;
                std::memcpy(&h, part + 4 + 2 * static_cast<std::size_t>(i), sizeof h);
                return static_cast<double>(half_to_float(h));
            }
            case OMEN_STORAGE_INT8:
                return static_cast<double>(lo) +
                       static_cast<double>(step) * static_cast<double>(part[12 + i]);
            default:
                return static_cast<double>(load_float(part + 4 * static_cast<std::size_t>(i)));
        }
    }
};

/* err for x against the view's decoded vector, in the metric's norm, rounded up. */
float error_norm(const StoredView& v, OmenMetric metric, const float* x,
                 std::uint32_t dims) noexcept {
    double s = 0.0;
    for (std::uint32_t i = 0; i < dims; ++i) {
        const double d = static_cast<double>(x[i]) - v.at(i);
        s += metric == OMEN_METRIC_L1 ? std::fabs(d) : d * d;
    }
    double e = metric == OMEN_METRIC_L1 ? s : std::sqrt(s);
    e *= 1.0 + kSlack;
    if (metric == OMEN_METRIC_COSINE) e += kCosineMargin;
    return round_up_to_float(e);
}

void encode_half(const float* x, std::uint32_t dims, std::uint8_t* out) noexcept {
    for (std::uint32_t i = 0; i < dims; ++i) {
        const float clamped = std::fmin(std::fmax(x[i], -kHalfMax), kHalfMax);
        const std::uint16_t h = float_to_half(clamped);
        std::memcpy(out + 4 + 2 * static_cast<std::size_t>(i), &h, sizeof h);
    }
}

void encode_int8(const float* x, std::uint32_t dims, std::uint8_t* out) noexcept {
    float lo = dims > 0 ? x[0] : 0.0f;
    float hi = lo;
    for (std::uint32_t i = 1; i < dims; ++i) {
        lo = std::fmin(lo, x[i]);
        hi = std::fmax(hi, x[i]);
    }
    const float step =
        static_cast<float>((static_cast<double>(hi) - static_cast<double>(lo)) / 255.0);
    store_float(out + 4, lo);
    store_float(out + 8, step);
    for (std::uint32_t i = 0; i < dims; ++i) {
        double c = 0.0;
        if (step > 0.0f)
            c = std::nearbyint((static_cast<double>(x[i]) - lo) / static_cast<double>(step));
        out[12 + i] = static_cast<std::uint8_t>(std::fmin(std::fmax(c, 0.0), 255.0));
    }
}

/* The index distance through the active kernels, per storage and kernel. */
template <binary_kernel KernelSet::*K>
float float4_distance(const float* q, const std::uint8_t* part, std::size_t n) noexcept {
    return (active().*K)(q, reinterpret_cast<const float*>(part), n);
}

template <half_kernel KernelSet::*K>
float half_distance(const float* q, const std::uint8_t* part, std::size_t n) noexcept {
    return (active().*K)(q, reinterpret_cast<const std::uint16_t*>(part + 4), n);
}

template <u8_kernel KernelSet::*K>
float int8_distance(const float* q, const std::uint8_t* part, std::size_t n) noexcept {
    return (active().*K)(q, part + 12, n, load_float(part + 4), load_float(part + 8));
}

/* Bound for L2 (<->). */
double l2_bound(const StoredView& v, const float* q, std::uint32_t n) noexcept {
    double s = 0.0;
    for (std::uint32_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(q[i]) - v.at(i);
        s += d * d;
    }
    const double l = std::sqrt(s) * (1.0 - kSlack) - static_cast<double>(v.err);
    if (!(l > 0.0)) return 0.0;
    const double b2 = (1.0 - float_sum_error(n)) * l * l - underflow_margin(n);
    return b2 > 0.0 ? std::sqrt(b2) * (1.0 - kSlack) : 0.0;
}

/* Bound for L1 (<+>). */
double l1_bound(const StoredView& v, const float* q, std::uint32_t n) noexcept {
    double s = 0.0;
    for (std::uint32_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(q[i]) - v.at(i));
    const double l = s * (1.0 - kSlack) - static_cast<double>(v.err);
    if (!(l > 0.0)) return 0.0;
    const double b = (1.0 - float_sum_error(n)) * l * (1.0 - kSlack) - underflow_margin(n);
    return b > 0.0 ? b : 0.0;
}

/* Bound for the negative inner product (<#>). */
double ip_bound(const StoredView& v, const float* q, std::uint32_t n) noexcept {
    double dot = 0.0, qq = 0.0, xx = 0.0;
    for (std::uint32_t i = 0; i < n; ++i) {
        const double a = static_cast<double>(q[i]);
        const double b = v.at(i);
        dot += a * b;
        qq += a * a;
        xx += b * b;
    }
    const double e = static_cast<double>(v.err);
    const double qn = std::sqrt(qq) * (1.0 + kSlack);
    const double mag = qn * (std::sqrt(xx) * (1.0 + kSlack) + e);
    if (!(mag <= 0x1p126)) return -std::numeric_limits<double>::infinity();
    return -dot - qn * e * (1.0 + kSlack) - (float_sum_error(n) + 2.0 * kSlack) * mag -
           underflow_margin(n);
}

/* Bound for the cosine distance (<=>). */
double cosine_bound(const StoredView& v, const float* q, std::uint32_t n) noexcept {
    double qq = 0.0;
    for (std::uint32_t i = 0; i < n; ++i) qq += static_cast<double>(q[i]) * q[i];
    if (!(qq > 0.0)) return 0.0;
    const double qnorm = std::sqrt(qq);
    double dot = 0.0, d2 = 0.0;
    for (std::uint32_t i = 0; i < n; ++i) {
        const double a = static_cast<double>(q[i]) / qnorm;
        const double b = v.at(i);
        dot += a * b;
        d2 += (a - b) * (a - b);
    }
    const double e = static_cast<double>(v.err);
    const double by_dot = 1.0 - dot - e;
    const double r = std::sqrt(d2) * (1.0 - kSlack) - e;
    const double by_l2 = r > 0.0 ? r * r / 2.0 : 0.0;
    const double b = std::fmax(by_dot, by_l2) - 3.0 * float_sum_error(n) - 8.0 * kSlack;
    return b > 0.0 ? b : 0.0;
}

}  // namespace

}  // namespace omendb::simd

using omendb::simd::KernelSet;

/* ------------------------------------------------------------------------
 * C boundary (omendb.h)
 * ------------------------------------------------------------------------ */

extern "C" uint32_t omen_stored_size(OmenStorage storage, uint32_t dims) noexcept {
    switch (storage) {
        case OMEN_STORAGE_FLOAT4:
            return 4u * dims;
        case OMEN_STORAGE_HALF:
            return (4u + 2u * dims + 3u) & ~3u;
        case OMEN_STORAGE_INT8:
            return (12u + dims + 3u) & ~3u;
    }
    return 0;
}

extern "C" uint32_t omen_slot_size(OmenStorage storage, uint32_t m, uint32_t dims) noexcept {
    return OMEN_VECTOR_OFFSET(m) + omen_stored_size(storage, dims);
}

extern "C" const char* omen_storage_name(OmenStorage storage) noexcept {
    switch (storage) {
        case OMEN_STORAGE_FLOAT4:
            return "float4";
        case OMEN_STORAGE_HALF:
            return "half";
        case OMEN_STORAGE_INT8:
            return "int8";
    }
    return nullptr;
}

extern "C" void omen_stored_encode(OmenStorage storage, OmenMetric metric, const float* x,
                                   uint32_t dims, uint8_t* out) noexcept {
    using namespace omendb::simd;
    const uint32_t size = omen_stored_size(storage, dims);
    if (size == 0) return;
    if (storage == OMEN_STORAGE_FLOAT4) {
        std::memcpy(out, x, size);
        return;
    }
    /* Zero the padding so that pages are deterministic. */
    std::memset(out + size - 4, 0, 4);
    if (storage == OMEN_STORAGE_HALF)
        encode_half(x, dims, out);
    else
        encode_int8(x, dims, out);
    store_float(out, error_norm(StoredView(storage, out), metric, x, dims));
}

extern "C" void omen_stored_decode(OmenStorage storage, const uint8_t* part, uint32_t dims,
                                   float* out) noexcept {
    using namespace omendb::simd;
    switch (storage) {
        case OMEN_STORAGE_FLOAT4:
            std::memcpy(out, part, 4u * dims);
            return;
        case OMEN_STORAGE_HALF:
            for (uint32_t i = 0; i < dims; ++i) {
                uint16_t h;
                std::memcpy(&h, part + header_bytes(storage) + 2 * static_cast<size_t>(i),
                            sizeof h);
                out[i] = half_to_float(h);
            }
            return;
        case OMEN_STORAGE_INT8: {
            const float lo = load_float(part + 4);
            const float step = load_float(part + 8);
            for (uint32_t i = 0; i < dims; ++i)
                out[i] = std::fma(static_cast<float>(part[12 + i]), step, lo);
            return;
        }
    }
}

extern "C" OmenStoredDistanceFn omen_stored_distance(OmenStorage storage,
                                                     OmenMetric metric) noexcept {
    using namespace omendb::simd;
    const bool ip = metric == OMEN_METRIC_INNER_PRODUCT || metric == OMEN_METRIC_COSINE;
    if (metric != OMEN_METRIC_L2 && metric != OMEN_METRIC_L1 && !ip) return nullptr;
    switch (storage) {
        case OMEN_STORAGE_FLOAT4:
            return ip ? &float4_distance<&KernelSet::neg_inner_product>
                      : metric == OMEN_METRIC_L2 ? &float4_distance<&KernelSet::l2_squared>
                                                 : &float4_distance<&KernelSet::l1>;
        case OMEN_STORAGE_HALF:
            return ip ? &half_distance<&KernelSet::neg_inner_product_half>
                      : metric == OMEN_METRIC_L2 ? &half_distance<&KernelSet::l2_squared_half>
                                                 : &half_distance<&KernelSet::l1_half>;
        case OMEN_STORAGE_INT8:
            return ip ? &int8_distance<&KernelSet::neg_inner_product_u8>
                      : metric == OMEN_METRIC_L2 ? &int8_distance<&KernelSet::l2_squared_u8>
                                                 : &int8_distance<&KernelSet::l1_u8>;
    }
    return nullptr;
}

extern "C" double omen_stored_lower_bound(OmenStorage storage, OmenMetric metric,
                                          const float* query, const uint8_t* part,
                                          uint32_t dims) noexcept {
    using namespace omendb::simd;
    StoredView v(storage, part);
    if (storage == OMEN_STORAGE_FLOAT4 && metric == OMEN_METRIC_COSINE)
        v.err = round_up_to_float(kCosineMargin); /* float4 keeps the unit vector as rounded */
    switch (metric) {
        case OMEN_METRIC_L2:
            return l2_bound(v, query, dims);
        case OMEN_METRIC_L1:
            return l1_bound(v, query, dims);
        case OMEN_METRIC_INNER_PRODUCT:
            return ip_bound(v, query, dims);
        case OMEN_METRIC_COSINE:
            return cosine_bound(v, query, dims);
    }
    return -std::numeric_limits<double>::infinity();
}
