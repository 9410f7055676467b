/*
 * simd_stored_kernels.hpp — the SIMD kernels for compact stored vectors: a
 * float query q against a vector x kept as IEEE binary16 ("half") or as 8-bit
 * codes c with a per-vector range (x[i] = lo + step * c[i]).  Written once as
 * a template over the instruction set and over the element "codec",
 * instantiated by the kernel files that can widen the elements in hardware
 * (AVX2 + F16C, AVX-512F).
 *
 * Include only from src/core/simd/kernels_<isa>.cpp, like simd_kernels.hpp
 * and for the same reason: the Traits type has internal linkage, so every
 * instantiation stays inside the file compiled with its instruction set.
 *
 * Loop shape as in simd_kernels.hpp: 4 independent accumulators over blocks
 * of 4 batches, then single batches, then the tail.  A codec turns `width`
 * stored elements into a batch of floats:
 *   half   vcvtph2ps, exact (every half is a float), so the half kernels
 *          compute what the float kernels would on the widened vector; the
 *          tail is one partial batch (Traits::load_half_partial zeroes the
 *          lanes past the end without reading them; zero lanes add nothing);
 *   int8   zero-extend 8 bits to 32, convert to float (exact), then
 *          lo + step * c in one fused multiply-add; the tail (n % width) is
 *          done element by element with the same formula (std::fma), since a
 *          zero code would not decode to zero.
 * The decoders (decode_half, decode_u8) and the half encoder must give
 * bit for bit what the scalar references give (half.cpp, int8.cpp): the
 * page format's err (storage.cpp) is measured against the vector they
 * decode, and the bounds handed to PostgreSQL rest on that err.
 *
 * Traits must provide, in addition to what simd_kernels.hpp asks for:
 *   static batch load_half(const std::uint16_t* p);   // width halves, widened
 *   static batch load_partial(const float* p, size_t k);
 *   static batch load_half_partial(const std::uint16_t* p, size_t k);
 *       // lanes [0, k) (0 < k < width), the rest 0, reading nothing at p[k..]
 *   static batch load_u8(const std::uint8_t* p);      // width codes, widened
 *   static void store_half_clamped(std::uint16_t* p, batch b);
 *       // width floats clamped to +-65504 and narrowed to halves, nearest even
 *   static void encode_u8(const float* x, double lo, double step, std::uint8_t* c);
 *       // width codes as scalar_encode_u8 makes them: (x - lo) / step in double,
 *       // clamped to [0, 255] (max then min, +0 for -0), rounded in the current
 *       // rounding mode (nearest even, as nearest_even)
 *   static double diff_sq_f64(const float* x, const float* y, std::size_t n);
 *       // sum (x[i] - y[i])^2, widened to double, any order
 */
#ifndef OMENDB_SIMD_STORED_KERNELS_HPP
#define OMENDB_SIMD_STORED_KERNELS_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "omendb/distance.hpp"
#include "omendb/xsimd_compat.hpp"

namespace omendb::simd {

/* Half elements: widened exactly; partial tail batch. */
template <class Traits>
struct half_codec {
    using batch = typename Traits::batch;
    using element = std::uint16_t;
    static constexpr bool partial_tail = true;

    batch load(const element* p) const noexcept { return Traits::load_half(p); }
    batch load_partial(const element* p, std::size_t k) const noexcept {
        return Traits::load_half_partial(p, k);
    }
    float value(element e) const noexcept { return half_to_float(e); }
};

/* 8-bit codes of one vector: lo + step * c; element-wise tail. */
template <class Traits>
struct u8_codec {
    using batch = typename Traits::batch;
    using element = std::uint8_t;
    static constexpr bool partial_tail = false;

    batch lo_b, step_b;
    float lo, step;

    batch load(const element* p) const noexcept {
        return Traits::fmadd(Traits::load_u8(p), step_b, lo_b);
    }
    batch load_partial(const element*, std::size_t) const noexcept { return batch(0.0f); }
    float value(element e) const noexcept {
        return std::fma(static_cast<float>(e), step, lo);
    }
};

template <class Traits, class Codec>
struct stored_kernel_impl {
    using batch = typename Traits::batch;
    using element = typename Codec::element;
    static constexpr std::size_t width = batch::size;
    static constexpr std::size_t block = 4 * width;

    /* Loads width floats from p (any alignment). */
    static batch load(const float* p) noexcept { return batch::load_unaligned(p); }

    /* sum (q[i] - x[i])^2 */
    static float l2_squared(const float* q, const element* x, std::size_t n,
                            const Codec& c) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            const batch d0 = load(q + i) - c.load(x + i);
            const batch d1 = load(q + i + width) - c.load(x + i + width);
            const batch d2 = load(q + i + 2 * width) - c.load(x + i + 2 * width);
            const batch d3 = load(q + i + 3 * width) - c.load(x + i + 3 * width);
            s0 = Traits::fmadd(d0, d0, s0);
            s1 = Traits::fmadd(d1, d1, s1);
            s2 = Traits::fmadd(d2, d2, s2);
            s3 = Traits::fmadd(d3, d3, s3);
        }
        for (; i + width <= n; i += width) {
            const batch d = load(q + i) - c.load(x + i);
            s0 = Traits::fmadd(d, d, s0);
        }
        float tail = 0.0f;
        if constexpr (Codec::partial_tail) {
            if (i < n) {
                const batch d = Traits::load_partial(q + i, n - i) - c.load_partial(x + i, n - i);
                s1 = Traits::fmadd(d, d, s1);
            }
        } else {
            for (; i < n; ++i) {
                const float d = q[i] - c.value(x[i]);
                tail += d * d;
            }
        }
        return reduce_add((s0 + s1) + (s2 + s3)) + tail;
    }

    /* sum q[i] * x[i] */
    static float inner_product(const float* q, const element* x, std::size_t n,
                               const Codec& c) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            s0 = Traits::fmadd(load(q + i), c.load(x + i), s0);
            s1 = Traits::fmadd(load(q + i + width), c.load(x + i + width), s1);
            s2 = Traits::fmadd(load(q + i + 2 * width), c.load(x + i + 2 * width), s2);
            s3 = Traits::fmadd(load(q + i + 3 * width), c.load(x + i + 3 * width), s3);
        }
        for (; i + width <= n; i += width) s0 = Traits::fmadd(load(q + i), c.load(x + i), s0);
        float tail = 0.0f;
        if constexpr (Codec::partial_tail) {
            if (i < n)
                s1 = Traits::fmadd(Traits::load_partial(q + i, n - i),
                                   c.load_partial(x + i, n - i), s1);
        } else {
            for (; i < n; ++i) tail += q[i] * c.value(x[i]);
        }
        return reduce_add((s0 + s1) + (s2 + s3)) + tail;
    }

    /* out[i] = x[i]: whole batches, then the tail element by element. */
    static void decode(const element* x, std::size_t n, const Codec& c, float* out) noexcept {
        std::size_t i = 0;
        for (; i + width <= n; i += width) c.load(x + i).store_unaligned(out + i);
        for (; i < n; ++i) out[i] = c.value(x[i]);
    }

    /* sum |q[i] - x[i]| */
    static float l1(const float* q, const element* x, std::size_t n, const Codec& c) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            s0 += xsimd::abs(load(q + i) - c.load(x + i));
            s1 += xsimd::abs(load(q + i + width) - c.load(x + i + width));
            s2 += xsimd::abs(load(q + i + 2 * width) - c.load(x + i + 2 * width));
            s3 += xsimd::abs(load(q + i + 3 * width) - c.load(x + i + 3 * width));
        }
        for (; i + width <= n; i += width) s0 += xsimd::abs(load(q + i) - c.load(x + i));
        float tail = 0.0f;
        if constexpr (Codec::partial_tail) {
            if (i < n)
                s1 += xsimd::abs(Traits::load_partial(q + i, n - i) -
                                 c.load_partial(x + i, n - i));
        } else {
            for (; i < n; ++i) tail += std::fabs(q[i] - c.value(x[i]));
        }
        return reduce_add((s0 + s1) + (s2 + s3)) + tail;
    }
};

/* The stored-vector kernels of one instruction set, as KernelSet entries. */
template <class Traits>
struct stored_kernels {
    using half_impl = stored_kernel_impl<Traits, half_codec<Traits>>;
    using u8_impl = stored_kernel_impl<Traits, u8_codec<Traits>>;
    using batch = typename Traits::batch;

    static u8_codec<Traits> u8(float lo, float step) noexcept {
        return u8_codec<Traits>{batch(lo), batch(step), lo, step};
    }

    static float l2_squared_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
        return half_impl::l2_squared(q, x, n, half_codec<Traits>{});
    }
    static float inner_product_half(const float* q, const std::uint16_t* x,
                                    std::size_t n) noexcept {
        return half_impl::inner_product(q, x, n, half_codec<Traits>{});
    }
    static float neg_inner_product_half(const float* q, const std::uint16_t* x,
                                        std::size_t n) noexcept {
        return -inner_product_half(q, x, n);
    }
    static float l1_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
        return half_impl::l1(q, x, n, half_codec<Traits>{});
    }

    static float l2_squared_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                               float step) noexcept {
        return u8_impl::l2_squared(q, c, n, u8(lo, step));
    }
    static float inner_product_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                                  float step) noexcept {
        return u8_impl::inner_product(q, c, n, u8(lo, step));
    }
    static float neg_inner_product_u8(const float* q, const std::uint8_t* c, std::size_t n,
                                      float lo, float step) noexcept {
        return -inner_product_u8(q, c, n, lo, step);
    }
    static float l1_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                       float step) noexcept {
        return u8_impl::l1(q, c, n, u8(lo, step));
    }

    static void decode_half(const std::uint16_t* x, std::size_t n, float* out) noexcept {
        half_impl::decode(x, n, half_codec<Traits>{}, out);
    }
    static void decode_u8(const std::uint8_t* c, std::size_t n, float lo, float step,
                          float* out) noexcept {
        u8_impl::decode(c, n, u8(lo, step), out);
    }
    /* Whole batches clamped and narrowed in hardware (round to nearest even, like
     * float_to_half), the tail by the reference. */
    static void encode_half(const float* x, std::size_t n, std::uint16_t* out) noexcept {
        std::size_t i = 0;
        for (; i + batch::size <= n; i += batch::size)
            Traits::store_half_clamped(out + i, batch::load_unaligned(x + i));
        if (i < n) scalar_encode_half(x + i, n - i, out + i);
    }

    /* min and max over whole batches, the last one overlapping the one before (min and max do
     * not mind seeing an element twice); fewer than width elements go to the reference. */
    static void value_range(const float* x, std::size_t n, float* lo, float* hi) noexcept {
        if (n < batch::size) {
            scalar_value_range(x, n, lo, hi);
            return;
        }
        batch mn = batch::load_unaligned(x);
        batch mx = mn;
        for (std::size_t i = batch::size; i < n; i += batch::size) {
            const batch b = batch::load_unaligned(x + (i + batch::size <= n ? i : n - batch::size));
            mn = xsimd::select(b < mn, b, mn); /* the reference's comparisons, lane by lane */
            mx = xsimd::select(b > mx, b, mx);
        }
        alignas(64) float a[batch::size];
        alignas(64) float z[batch::size];
        mn.store_aligned(a);
        mx.store_aligned(z);
        float l = a[0], h = z[0];
        for (std::size_t j = 1; j < batch::size; ++j) {
            l = a[j] < l ? a[j] : l;
            h = z[j] > h ? z[j] : h;
        }
        *lo = l;
        *hi = h;
    }
    /* Whole batches of codes in hardware, the tail by the reference. */
    static void encode_u8(const float* x, std::size_t n, float lo, float step,
                          std::uint8_t* c) noexcept {
        std::size_t i = 0;
        for (; i + batch::size <= n; i += batch::size)
            Traits::encode_u8(x + i, static_cast<double>(lo), static_cast<double>(step), c + i);
        if (i < n) scalar_encode_u8(x + i, n - i, lo, step, c + i);
    }

    /* set with its half and int8 kernels replaced by this instantiation's. */
    static constexpr KernelSet with_stored(KernelSet set) noexcept {
        set.l2_squared_half = &l2_squared_half;
        set.inner_product_half = &inner_product_half;
        set.l1_half = &l1_half;
        set.neg_inner_product_half = &neg_inner_product_half;
        set.l2_squared_u8 = &l2_squared_u8;
        set.inner_product_u8 = &inner_product_u8;
        set.l1_u8 = &l1_u8;
        set.neg_inner_product_u8 = &neg_inner_product_u8;
        set.decode_half = &decode_half;
        set.decode_u8 = &decode_u8;
        set.encode_half = &encode_half;
        set.value_range = &value_range;
        set.encode_u8 = &encode_u8;
        set.diff_sq_f64 = &Traits::diff_sq_f64;
        return set;
    }
};

}  // namespace omendb::simd

#endif /* OMENDB_SIMD_STORED_KERNELS_HPP */
