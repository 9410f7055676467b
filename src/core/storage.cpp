/*
 * storage.cpp — how a node keeps its vector (float4, half, int8) and the
 * lower bounds that let PostgreSQL return exactly ordered results from a
 * lossy one.
 *
 * Formats (omendb.h, "Stored vectors").  half rounds every element to the
 * nearest binary16, saturating at +/-65504 so that no stored value is
 * infinite.  int8 keeps, per vector, lo = min x[i] and step = (max - min)
 * / 255 rounded down to float, and c[i] = round((x[i] - lo) / step)
 * clamped to 0..255 (step rounded down, so every decoded value stays within [lo, max]).
 * The decoded vector xh is defined as what every kernel computes:
 * the half value itself (exact in float), or fmaf(c[i], step, lo), one
 * correctly rounded fused multiply-add, which the AVX2 and AVX-512 kernels
 * do in hardware and the scalar ones with std::fma, so it is the same float
 * on every machine.  Both encoders store err >= ||x - xh|| (the L1 norm for
 * the L1 metric, else the L2 norm), computed in double and rounded up to
 * float with a relative slack of 2^-30 that covers the double rounding.
 * For cosine, x is the unit vector the caller made with a double-precision
 * norm; each element is within 2^-24 relative of the exact unit vector's,
 * so that vector lies within 2^-23 of x, and err grows by 2^-22 to cover it.
 *
 * The lower bounds.  PostgreSQL rechecks the ORDER BY value of every row an
 * index marks lossy (xs_recheckorderby) and raises "index returned tuples in
 * wrong order" if the recomputed value is smaller than the index's, so the
 * bound B must never exceed what the SQL function computes, rounding
 * included.  Let q be the query, x the heap vector, xh the decoded one,
 * e = err, T the exact distance, S what the SQL function returns, and n the
 * dimensions.  B is computed from the same SIMD kernels the search uses (a
 * few per row, against the stored bytes), so their rounding is bounded too.
 *
 *   Float sums.  Every kernel set sums n products, squares or absolute
 *   differences in float.  Whatever the set (the scalar one, summing in
 *   index order, is the worst), the computed sum differs from the exact sum
 *   of the same terms by at most rho * sum|terms| + under, with
 *   rho = (n + 16) * 2^-23, twice the classic gamma_{n+2} bound on n-term
 *   recursive summation with two roundings per term (a difference rounded,
 *   then a square or product and an add), and under = (n + 1) * 2^-148 for
 *   underflow (each of about 3n operations loses at most 2^-150 in the
 *   subnormal range).  Overflow turns a sum of non-negative terms into
 *   +inf, which only raises S; when one of our own sums overflows we give
 *   no bound.  Our double arithmetic is covered by a relative slack of
 *   2^-30 (it errs by far less than 2^-40).  So from a computed sum D of
 *   non-negative terms, the exact sum is at least (D - under) / (1 + rho).
 *
 *   L2 (<->).  Triangle inequality: T = ||q - x|| >= ||q - xh|| - e =: L,
 *   with ||q - xh||^2 >= (D - under) / (1 + rho), D the l2 kernel on
 *   (q, stored).  S = sqrt(float sum of squares) >= sqrt((1 - rho) T^2 -
 *   under), so B = sqrt(max(0, (1 - rho) L^2 - under)), L taken at 0 when
 *   negative.
 *
 *   L1 (<+>).  T = sum|q - x| >= sum|q - xh| - sum|x - xh| >= L1(q, xh) - e,
 *   L1(q, xh) >= (D - under) / (1 + rho), and S >= (1 - rho) T - under.
 *
 *   Inner product (<#>, the negative dot product).  T = -q.x =
 *   -q.xh - q.(x - xh) >= -q.xh - ||q|| e (Cauchy-Schwarz).  The kernel's
 *   dot product P errs by at most rho ||q|| ||xh|| + under, and ||xh||
 *   comes from the l2 kernel against a zero vector (an upper bound N from
 *   its sum as above).  The SQL function's float dot product errs by at
 *   most rho ||q|| ||x|| + under, and ||x|| <= N + e.  So
 *   B = -P - ||q|| e - rho ||q|| (2N + e) - 2 under.  When ||q|| (N + e)
 *   exceeds 2^126 the float products or sums could overflow to an infinity
 *   of either sign, so B = -inf.
 *
 *   Cosine (<=>).  With qn = q/||q|| and xn = x/||x|| (exact unit vectors),
 *   T = 1 - qn.xn = ||qn - xn||^2 / 2, and ||xn - xh|| <= e.  The query is
 *   normalized once per scan with a double norm, each element rounded once,
 *   so the float unit query qf is within 2^-23 of qn, and by the triangle
 *   inequality ||qn - xn|| >= ||qf - xh|| - 2^-23 - e =: L, ||qf - xh|| from
 *   the l2 kernel as above, giving T >= max(0, L)^2 / 2; B is that less
 *   3 rho.  The margin holds because omen_cosine_distance computes a.b,
 *   |a|^2 and |b|^2 each within rho of the exact values (relative to |a||b|,
 *   |a|^2, |b|^2), which moves the similarity by at most about 2 rho;
 *   clamping it to [-1, 1] only moves S towards the exact range [0, 2].
 *   Where float would underflow or overflow (a squared norm below 2^-60 or
 *   not finite) that function recomputes in double, so the margin holds for
 *   every finite input.  A zero query makes S NaN, which sorts above every
 *   number: B = 0.
 *
 * test/unit/test_storage.cpp checks B <= S for every kernel set, storage and
 * metric on ordinary and hostile data, and that B is within what err allows
 * of S (a bound of 0 everywhere would fail it).
 */
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "omendb/distance.hpp"
#include "omendb/omendb.h"

namespace omendb::simd {

namespace {

constexpr double kSlack = 0x1p-30;                   /* relative slack for our double arithmetic */
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

    /* Elements [from, from + len) of the decoded vector, exactly, into out. */
    void decode(std::uint32_t from, std::uint32_t len, float* out) const noexcept {
        switch (storage) {
            case OMEN_STORAGE_HALF:
                active().decode_half(
                    reinterpret_cast<const std::uint16_t*>(part + header_bytes(storage)) + from,
                    len, out);
                return;
            case OMEN_STORAGE_INT8:
                active().decode_u8(part + header_bytes(storage) + from, len, lo, step, out);
                return;
            case OMEN_STORAGE_FLOAT4:
                std::memcpy(out, part + 4 * static_cast<std::size_t>(from), 4u * len);
                return;
        }
    }
};

/* err for x against the view's decoded vector, in the metric's norm, rounded up.  The vector is
 * decoded in blocks by the active kernel set's decoders (exactly scalar_decode_*: the same fused
 * multiply-add, the same exact widening) and the terms, all >= 0, summed in double (the squares by
 * the set's diff_sq_f64, the absolute values in four partial sums): any order stays within
 * n 2^-53 of the exact sum, far inside kSlack. */
float error_norm(const StoredView& v, OmenMetric metric, const float* x,
                 std::uint32_t dims) noexcept {
    constexpr std::uint32_t kBlock = 256;
    float dec[kBlock];
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    const bool l1 = metric == OMEN_METRIC_L1;

    for (std::uint32_t b = 0; b < dims; b += kBlock) {
        const std::uint32_t len = std::min(kBlock, dims - b);

        v.decode(b, len, dec);
        if (!l1) {
            s[0] += active().diff_sq_f64(x + b, dec, len);
            continue;
        }
        for (std::uint32_t i = 0; i < len; ++i)
            s[i & 3] += std::fabs(static_cast<double>(x[b + i]) - dec[i]);
    }
    const double sum = (s[0] + s[1]) + (s[2] + s[3]);
    double e = l1 ? sum : std::sqrt(sum);
    e *= 1.0 + kSlack;
    if (metric == OMEN_METRIC_COSINE) e += kCosineMargin;
    return round_up_to_float(e);
}

void encode_half(const float* x, std::uint32_t dims, std::uint8_t* out) noexcept {
    active().encode_half(x, dims, reinterpret_cast<std::uint16_t*>(out + 4));
}

void encode_int8(const float* x, std::uint32_t dims, std::uint8_t* out) noexcept {
    float lo, step;
    quantize_int8(x, dims, &lo, &step, out + 12);
    store_float(out + 4, lo);
    store_float(out + 8, step);
}

/* The index distance through the active kernels, per storage and kernel. */
template <binary_kernel KernelSet::*K>
float float4_distance(const OmenQuery* q, const std::uint8_t* part, std::size_t n) noexcept {
    return (active().*K)(reinterpret_cast<const float*>(q), reinterpret_cast<const float*>(part),
                         n);
}

template <half_kernel KernelSet::*K>
float half_distance(const OmenQuery* q, const std::uint8_t* part, std::size_t n) noexcept {
    return (active().*K)(reinterpret_cast<const float*>(q),
                         reinterpret_cast<const std::uint16_t*>(part + 4), n);
}

template <u8_kernel KernelSet::*K>
float int8_distance(const OmenQuery* q, const std::uint8_t* part, std::size_t n) noexcept {
    return (active().*K)(reinterpret_cast<const float*>(q), part + 12, n, load_float(part + 4),
                         load_float(part + 8));
}

/* The exact sum of non-negative terms, at least, from its float computation d. */
inline double sum_at_least(float d, std::uint32_t n) noexcept {
    const double v = (static_cast<double>(d) - underflow_margin(n)) / (1.0 + float_sum_error(n));
    return v > 0.0 ? v * (1.0 - kSlack) : 0.0;
}

/* The exact sum of non-negative terms, at most, from its float computation d. */
inline double sum_at_most(float d, std::uint32_t n) noexcept {
    return (static_cast<double>(d) + underflow_margin(n)) / (1.0 - float_sum_error(n)) *
           (1.0 + kSlack);
}

/*
 * Prepared queries.  Decoding every code to float (x[i] = lo + step * c[i]) costs several vector
 * instructions per 16 elements, most of a query's CPU time on an int8 index.  Where the query sums
 * run on AVX-512 VNNI (active_query_sums_u8), an int8 index measures L2 and the dot product from
 * integer sums instead, 64 elements per instruction.  The query q is written once as q~[i] = base +
 * qstep * d[i] + fine * e[i],   d[i], e[i] in [-128, 127], d the nearest of 256 levels spread over
 * q's range (qstep = range / 255, base = min + 128 qstep), e the nearest of 255 levels over what is
 * left (|r| <= qstep / 2, fine = qstep / 254), so q~ is within range / 129,540 of q in every
 * element -- far below the int8 codes' own error, so the search orders nodes as the float kernels
 * would.  With x[i] = lo + step * c[i] and the exact integer sums of int8.cpp, q~.x  = lo * sum q~
 * + step * (base * sum c + qstep * sum c d + fine * sum c e) |x|^2 = n lo^2 + 2 lo step sum c +
 * step^2 (sum c (c - 128) + 128 sum c) and L2 = |q~|^2 + |x|^2 - 2 q~.x, all in double (the integer
 * sums are exact, the products of the float ranges lose nothing a float distance would keep).
 * Everything else (float4, half, L1, machines without VNNI) measures the float query itself, which
 * the prepared query then is. The lower bounds (below) never use these: they take the float
 * kernels, whose rounding they bound.
 */
struct int8_query {
    double base, qstep, fine;
    double sum;                /* sum q~[i] */
    double norm2;              /* sum q~[i]^2 */
    query_sums_u8_kernel sums; /* active_query_sums_u8(), looked up once */
    std::uint32_t padded;      /* dims rounded up to 64: the length of d and of e */
};
constexpr std::size_t kInt8QueryHead = 64; /* int8_query, then d, then e */
static_assert(sizeof(int8_query) <= kInt8QueryHead, "int8_query header");

inline std::uint32_t padded64(std::uint32_t dims) noexcept {
    return (dims + 63u) / 64u * 64u;
}

/* True if (storage, metric) measures prepared int8 queries on this machine. */
bool uses_int8_query(OmenStorage storage, OmenMetric metric) noexcept {
    const bool dot_based = metric == OMEN_METRIC_L2 || metric == OMEN_METRIC_INNER_PRODUCT ||
                           metric == OMEN_METRIC_COSINE;
    return storage == OMEN_STORAGE_INT8 && dot_based &&
           active_query_sums_u8() != &scalar_query_sums_u8;
}

/* Fills buf (kInt8QueryHead + 2 * padded64(dims) bytes, 8-byte aligned) from q. */
void prepare_int8_query(const float* q, std::uint32_t dims, void* buf) noexcept {
    auto* h = static_cast<int8_query*>(buf);
    auto* d = static_cast<std::int8_t*>(buf) + kInt8QueryHead;
    const std::uint32_t padded = padded64(dims);
    std::int8_t* e = d + padded;
    float lo_f, hi_f;
    active().value_range(q, dims, &lo_f, &hi_f);
    const double lo = lo_f, hi = hi_f;
    /* Any codes would do (the sums below are those of the q~ they make); nearest ones keep q~
     * close to q, so the multiplications by inverses need not be exact. */
    const double qstep = (hi - lo) / 255.0;
    const double fine = qstep / 254.0;
    const double inv = qstep > 0.0 ? 1.0 / qstep : 0.0;
    const double inv_fine = qstep > 0.0 ? 1.0 / fine : 0.0;
    std::int64_t sd = 0, se = 0, sdd = 0, see = 0, sde = 0;
    for (std::uint32_t i = 0; i < dims; ++i) {
        const double k = std::min(255.0, std::max(0.0, nearest_even((q[i] - lo) * inv)));
        const double f =
            std::min(127.0, std::max(-127.0, nearest_even((q[i] - (lo + qstep * k)) * inv_fine)));
        const std::int64_t di = static_cast<std::int64_t>(k) - 128;
        const std::int64_t ei = static_cast<std::int64_t>(f);
        d[i] = static_cast<std::int8_t>(di);
        e[i] = static_cast<std::int8_t>(ei);
        sd += di;
        se += ei;
        sdd += di * di;
        see += ei * ei;
        sde += di * ei;
    }
    std::memset(d + dims, 0, padded - dims);
    std::memset(e + dims, 0, padded - dims);
    /* sum q~ and sum q~^2 from exact integer sums: q~ = base + qstep d + fine e. */
    const double base = lo + 128.0 * qstep;
    const double n = static_cast<double>(dims);
    h->base = base;
    h->qstep = qstep;
    h->fine = fine;
    h->sum = n * base + qstep * static_cast<double>(sd) + fine * static_cast<double>(se);
    h->norm2 =
        n * base * base + qstep * qstep * static_cast<double>(sdd) +
        fine * fine * static_cast<double>(see) +
        2.0 * (base * qstep * static_cast<double>(sd) + base * fine * static_cast<double>(se) +
               qstep * fine * static_cast<double>(sde));
    h->sums = active_query_sums_u8();
    h->padded = padded;
}

/* q~.x and |x|^2 for the stored int8 vector part (see int8_query). */
inline void int8_query_products(const OmenQuery* query, const std::uint8_t* part, std::size_t n,
                                double* dot, double* xx) noexcept {
    const auto* h = reinterpret_cast<const int8_query*>(query);
    const auto* d = reinterpret_cast<const std::int8_t*>(query) + kInt8QueryHead;
    std::int64_t s[4];
    h->sums(part + 12, d, d + h->padded, n, s);
    const double lo = load_float(part + 4), step = load_float(part + 8);
    const double sum_c = static_cast<double>(s[3]);
    const double sum_cc = static_cast<double>(s[2]) + 128.0 * sum_c;
    *dot = lo * h->sum + step * (h->base * sum_c + h->qstep * static_cast<double>(s[0]) +
                                 h->fine * static_cast<double>(s[1]));
    *xx = static_cast<double>(n) * lo * lo + 2.0 * lo * step * sum_c + step * step * sum_cc;
}

float int8_query_l2(const OmenQuery* query, const std::uint8_t* part, std::size_t n) noexcept {
    double dot, xx;
    int8_query_products(query, part, n, &dot, &xx);
    const double d = reinterpret_cast<const int8_query*>(query)->norm2 + xx - 2.0 * dot;
    return static_cast<float>(d > 0.0 ? d : 0.0);
}

float int8_query_neg_dot(const OmenQuery* query, const std::uint8_t* part, std::size_t n) noexcept {
    double dot, xx;
    int8_query_products(query, part, n, &dot, &xx);
    return static_cast<float>(-dot);
}

/* A float query as the float kernels below take it (what omen_query_prepare makes of it). */
inline const OmenQuery* float_query(const float* q) noexcept {
    return reinterpret_cast<const OmenQuery*>(q);
}

/* The l2, l1 and dot-product kernels for one storage, on stored bytes. */
struct StoredKernels {
    OmenStoredDistanceFn l2;
    OmenStoredDistanceFn l1;
    OmenStoredDistanceFn neg_dot;
};

StoredKernels kernels_for_storage(OmenStorage storage) noexcept {
    switch (storage) {
        case OMEN_STORAGE_HALF:
            return {&half_distance<&KernelSet::l2_squared_half>,
                    &half_distance<&KernelSet::l1_half>,
                    &half_distance<&KernelSet::neg_inner_product_half>};
        case OMEN_STORAGE_INT8:
            return {&int8_distance<&KernelSet::l2_squared_u8>, &int8_distance<&KernelSet::l1_u8>,
                    &int8_distance<&KernelSet::neg_inner_product_u8>};
        default:
            return {&float4_distance<&KernelSet::l2_squared>, &float4_distance<&KernelSet::l1>,
                    &float4_distance<&KernelSet::neg_inner_product>};
    }
}

}  // namespace

/*
 * The two passes run in the active kernel set (SIMD where it has them), bit for bit as the scalar
 * references scalar_value_range and scalar_encode_u8 (int8.cpp): a quarter of CREATE INDEX's heap
 * scan went here when they were scalar loops.  A zero lo or step is always +0.  Inputs are finite.
 */
void quantize_int8(const float* x, std::uint32_t dims, float* lo_out, float* step_out,
                   std::uint8_t* c) noexcept {
    float lo, hi;
    active().value_range(x, dims, &lo, &hi);
    /* Rounded down, so that lo + 255 * step never exceeds hi (nor float range). */
    const double exact_step = (static_cast<double>(hi) - static_cast<double>(lo)) / 255.0;
    float step = static_cast<float>(exact_step);
    if (static_cast<double>(step) > exact_step) step = std::nextafter(step, 0.0f);
    *lo_out = lo + 0.0f; /* -0 -> +0 */
    *step_out = step + 0.0f;
    if (!(step > 0.0f)) {
        std::memset(c, 0, dims);
        return;
    }
    active().encode_u8(x, dims, *lo_out, *step_out, c);
}

}  // namespace omendb::simd

using omendb::simd::KernelSet;

/* ------------------------------------------------------------------------
 * C boundary (omendb.h)
 * ------------------------------------------------------------------------ */

extern "C" void omen_bound_query_init(OmenBoundQuery* b, OmenStorage storage, OmenMetric metric,
                                      const float* query, float* buffer, uint32_t dims) noexcept {
    const bool unit = metric == OMEN_METRIC_COSINE;
    b->query = query;
    b->buffer = buffer;
    b->norm = omen_unit_vector(query, dims, unit ? buffer : nullptr);
    b->dims = dims;
    b->metric = metric;
    b->storage = storage;
    if (!unit || !(b->norm > 0.0 && std::isfinite(b->norm))) std::fill(buffer, buffer + dims, 0.0f);
}

extern "C" double omen_stored_lower_bound(const OmenBoundQuery* b, const uint8_t* part) noexcept {
    using namespace omendb::simd;
    const uint32_t n = b->dims;
    const double rho = float_sum_error(n);
    const double under = underflow_margin(n);
    const StoredKernels k = kernels_for_storage(b->storage);
    double e = b->storage == OMEN_STORAGE_FLOAT4 ? 0.0 : static_cast<double>(load_float(part));
    if (b->storage == OMEN_STORAGE_FLOAT4 && b->metric == OMEN_METRIC_COSINE)
        e = static_cast<double>(round_up_to_float(kCosineMargin)); /* unit vector as rounded */

    switch (b->metric) {
        case OMEN_METRIC_L2: {
            const float d = k.l2(float_query(b->query), part, n);
            if (!std::isfinite(d)) return 0.0;
            const double l = std::sqrt(sum_at_least(d, n)) - e;
            if (!(l > 0.0)) return 0.0;
            const double b2 = (1.0 - rho) * l * l - under;
            return b2 > 0.0 ? std::sqrt(b2) * (1.0 - kSlack) : 0.0;
        }
        case OMEN_METRIC_L1: {
            const float d = k.l1(float_query(b->query), part, n);
            if (!std::isfinite(d)) return 0.0;
            const double l = sum_at_least(d, n) - e;
            if (!(l > 0.0)) return 0.0;
            const double v = (1.0 - rho) * l * (1.0 - kSlack) - under;
            return v > 0.0 ? v : 0.0;
        }
        case OMEN_METRIC_INNER_PRODUCT: {
            const double q = b->norm * (1.0 + kSlack);
            const float xx =
                k.l2(float_query(b->buffer), part, n); /* buffer holds zeros: ||xh||^2 */
            if (!std::isfinite(xx)) return -std::numeric_limits<double>::infinity();
            const double nx = std::sqrt(sum_at_most(xx, n));
            if (!(q * (nx + e) <= 0x1p126)) return -std::numeric_limits<double>::infinity();
            const double p = -static_cast<double>(k.neg_dot(float_query(b->query), part, n));
            return -p - q * e * (1.0 + kSlack) - (rho + kSlack) * q * (2.0 * nx + e) - 2.0 * under;
        }
        case OMEN_METRIC_COSINE: {
            if (!(b->norm > 0.0)) return 0.0;
            const float d = k.l2(float_query(b->buffer), part, n); /* buffer holds the unit query */
            if (!std::isfinite(d)) return 0.0;
            const double l = std::sqrt(sum_at_least(d, n)) - 0x1p-23 - e;
            const double t = l > 0.0 ? l * l / 2.0 : 0.0;
            const double v = t * (1.0 - kSlack) - 3.0 * rho - kSlack;
            return v > 0.0 ? v : 0.0;
        }
    }
    return -std::numeric_limits<double>::infinity();
}

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
    omendb::simd::StoredView(storage, part).decode(0, dims, out);
}

extern "C" OmenStoredDistanceFn omen_stored_distance(OmenStorage storage,
                                                     OmenMetric metric) noexcept {
    using namespace omendb::simd;
    if (omen_stored_size(storage, 1) == 0) return nullptr;
    if (uses_int8_query(storage, metric))
        return metric == OMEN_METRIC_L2 ? &int8_query_l2 : &int8_query_neg_dot;
    const StoredKernels k = kernels_for_storage(storage);
    switch (metric) {
        case OMEN_METRIC_L2:
            return k.l2;
        case OMEN_METRIC_L1:
            return k.l1;
        case OMEN_METRIC_INNER_PRODUCT:
        case OMEN_METRIC_COSINE:
            return k.neg_dot;
    }
    return nullptr;
}

extern "C" size_t omen_query_size(OmenStorage storage, OmenMetric metric, uint32_t dims) noexcept {
    using namespace omendb::simd;
    if (uses_int8_query(storage, metric)) return kInt8QueryHead + 2 * size_t{padded64(dims)};
    return sizeof(float) * size_t{dims};
}

extern "C" const OmenQuery* omen_query_prepare(OmenStorage storage, OmenMetric metric,
                                               const float* q, uint32_t dims, void* buf) noexcept {
    using namespace omendb::simd;
    if (uses_int8_query(storage, metric))
        prepare_int8_query(q, dims, buf);
    else
        std::memcpy(buf, q, sizeof(float) * size_t{dims});
    return static_cast<const OmenQuery*>(buf);
}
