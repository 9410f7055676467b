/*
 * simd_half_kernels.hpp — the SIMD half distance kernels (float query q
 * against a vector x stored as IEEE binary16), written once as a template
 * over the instruction set, instantiated by the kernel files that have a
 * hardware half -> float conversion (AVX2 + F16C, AVX-512F).
 *
 * Include only from src/core/simd/kernels_<isa>.cpp, like simd_kernels.hpp
 * and for the same reason: the Traits type has internal linkage, so every
 * instantiation stays inside the file compiled with its instruction set.
 *
 * The conversion is exact (every half is a float), so these kernels compute
 * exactly what the float kernels of simd_kernels.hpp would compute on the
 * widened vector, with the same loop shape (4 independent accumulators over
 * blocks of 4 batches, then single batches) and the same error bound.  The
 * tail of n % width elements is always one partial batch: Traits loads lanes
 * [0, k) and zeroes the rest without touching memory past the end (a masked
 * load, or a copy through a small zeroed buffer); zero lanes add nothing to
 * any of the sums.
 *
 * Traits must provide, in addition to what simd_kernels.hpp asks for:
 *   static batch load_half(const std::uint16_t* p);   // width halves, widened
 *   static batch load_partial(const float* p, size_t k);
 *   static batch load_half_partial(const std::uint16_t* p, size_t k);
 *       // lanes [0, k) (0 < k < width), the rest 0, reading nothing at p[k..]
 */
#ifndef OMENDB_SIMD_HALF_KERNELS_HPP
#define OMENDB_SIMD_HALF_KERNELS_HPP

#include <cstddef>
#include <cstdint>

#include "omendb/distance.hpp"
#include "omendb/xsimd_compat.hpp"

namespace omendb::simd {

template <class Traits>
struct half_kernel_impl {
    using batch = typename Traits::batch;
    static constexpr std::size_t width = batch::size;
    static constexpr std::size_t block = 4 * width;

    /* Loads width floats from p (any alignment). */
    static batch load(const float* p) noexcept { return batch::load_unaligned(p); }

    /* sum (q[i] - x[i])^2 */
    static float l2_squared(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            const batch d0 = load(q + i) - Traits::load_half(x + i);
            const batch d1 = load(q + i + width) - Traits::load_half(x + i + width);
            const batch d2 = load(q + i + 2 * width) - Traits::load_half(x + i + 2 * width);
            const batch d3 = load(q + i + 3 * width) - Traits::load_half(x + i + 3 * width);
            s0 = Traits::fmadd(d0, d0, s0);
            s1 = Traits::fmadd(d1, d1, s1);
            s2 = Traits::fmadd(d2, d2, s2);
            s3 = Traits::fmadd(d3, d3, s3);
        }
        for (; i + width <= n; i += width) {
            const batch d = load(q + i) - Traits::load_half(x + i);
            s0 = Traits::fmadd(d, d, s0);
        }
        if (i < n) {
            const batch d =
                Traits::load_partial(q + i, n - i) - Traits::load_half_partial(x + i, n - i);
            s1 = Traits::fmadd(d, d, s1);
        }
        return reduce_add((s0 + s1) + (s2 + s3));
    }

    /* sum q[i] * x[i] */
    static float inner_product(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            s0 = Traits::fmadd(load(q + i), Traits::load_half(x + i), s0);
            s1 = Traits::fmadd(load(q + i + width), Traits::load_half(x + i + width), s1);
            s2 = Traits::fmadd(load(q + i + 2 * width), Traits::load_half(x + i + 2 * width), s2);
            s3 = Traits::fmadd(load(q + i + 3 * width), Traits::load_half(x + i + 3 * width), s3);
        }
        for (; i + width <= n; i += width)
            s0 = Traits::fmadd(load(q + i), Traits::load_half(x + i), s0);
        if (i < n)
            s1 = Traits::fmadd(Traits::load_partial(q + i, n - i),
                               Traits::load_half_partial(x + i, n - i), s1);
        return reduce_add((s0 + s1) + (s2 + s3));
    }

    /* -(sum q[i] * x[i]) */
    static float neg_inner_product(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
        return -inner_product(q, x, n);
    }

    /* sum |q[i] - x[i]| */
    static float l1(const float* q, const std::uint16_t* x, std::size_t n) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            s0 += xsimd::abs(load(q + i) - Traits::load_half(x + i));
            s1 += xsimd::abs(load(q + i + width) - Traits::load_half(x + i + width));
            s2 += xsimd::abs(load(q + i + 2 * width) - Traits::load_half(x + i + 2 * width));
            s3 += xsimd::abs(load(q + i + 3 * width) - Traits::load_half(x + i + 3 * width));
        }
        for (; i + width <= n; i += width) s0 += xsimd::abs(load(q + i) - Traits::load_half(x + i));
        if (i < n)
            s1 += xsimd::abs(Traits::load_partial(q + i, n - i) -
                             Traits::load_half_partial(x + i, n - i));
        return reduce_add((s0 + s1) + (s2 + s3));
    }

    /* set with its half kernels replaced by this instantiation's. */
    static constexpr KernelSet with_half(KernelSet set) noexcept {
        set.l2_squared_half = &l2_squared;
        set.inner_product_half = &inner_product;
        set.l1_half = &l1;
        set.neg_inner_product_half = &neg_inner_product;
        return set;
    }
};

}  // namespace omendb::simd

#endif /* OMENDB_SIMD_HALF_KERNELS_HPP */
