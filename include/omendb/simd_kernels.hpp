/*
 * simd_kernels.hpp — the SIMD distance kernels, written once as a template
 * over the instruction set, instantiated by each kernel translation unit.
 *
 * Include only from src/core/simd/kernels_<isa>.cpp.  Each of those files
 * defines, in an anonymous namespace, a Traits type naming its xsimd batch
 * and how to multiply-add and (optionally) how to load a partial batch, then
 * instantiates kernel_impl<Traits>.  Because Traits has internal linkage, so
 * has every instantiation: code compiled with -mavx512f can never be merged
 * by the linker with a same-named function of another file and end up being
 * called on a CPU without AVX-512.
 *
 * Shape of every kernel:
 *   - main loop over blocks of 4 batches into 4 independent accumulators, so
 *     consecutive multiply-adds do not wait on each other (an FMA has a
 *     latency of about 4 cycles and two of them can issue per cycle);
 *   - one batch at a time for the remaining full batches;
 *   - the last n % width elements either by one masked load (Traits with
 *     masked_tail, which never touches memory past the end) or by a scalar
 *     loop;
 *   - the accumulators are added pairwise and reduced horizontally.
 * Traits must provide:
 *   using batch = xsimd::batch<float, Arch>;
 *   static batch fmadd(batch x, batch y, batch z);  // x * y + z
 *   static constexpr bool masked_tail;
 *   static batch load_partial(const float* p, size_t k);  // if masked_tail:
 *       // lanes [0, k) from p, the rest 0, without reading p[k..]
 */
#ifndef OMENDB_SIMD_KERNELS_HPP
#define OMENDB_SIMD_KERNELS_HPP

#include <cstddef>

#include "omendb/distance.hpp"
#include "omendb/xsimd_compat.hpp"

namespace omendb::simd {

template <class Traits>
struct kernel_impl {
    using batch = typename Traits::batch;
    static constexpr std::size_t width = batch::size;
    static constexpr std::size_t block = 4 * width;

    /* Loads width floats from p (any alignment). */
    static batch load(const float* p) noexcept { return batch::load_unaligned(p); }

    /* sum (a[i] - b[i])^2 */
    static float l2_squared(const float* a, const float* b, std::size_t n) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            const batch d0 = load(a + i) - load(b + i);
            const batch d1 = load(a + i + width) - load(b + i + width);
            const batch d2 = load(a + i + 2 * width) - load(b + i + 2 * width);
            const batch d3 = load(a + i + 3 * width) - load(b + i + 3 * width);
            s0 = Traits::fmadd(d0, d0, s0);
            s1 = Traits::fmadd(d1, d1, s1);
            s2 = Traits::fmadd(d2, d2, s2);
            s3 = Traits::fmadd(d3, d3, s3);
        }
        for (; i + width <= n; i += width) {
            const batch d = load(a + i) - load(b + i);
            s0 = Traits::fmadd(d, d, s0);
        }
        if constexpr (Traits::masked_tail) {
            if (i < n) {
                const batch d =
                    Traits::load_partial(a + i, n - i) - Traits::load_partial(b + i, n - i);
                s1 = Traits::fmadd(d, d, s1);
                i = n;
            }
        }
        float r = reduce_add((s0 + s1) + (s2 + s3));
        for (; i < n; ++i) {
            const float d = a[i] - b[i];
            r += d * d;
        }
        return r;
    }

    /* sum a[i] * b[i] */
    static float inner_product(const float* a, const float* b, std::size_t n) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            s0 = Traits::fmadd(load(a + i), load(b + i), s0);
            s1 = Traits::fmadd(load(a + i + width), load(b + i + width), s1);
            s2 = Traits::fmadd(load(a + i + 2 * width), load(b + i + 2 * width), s2);
            s3 = Traits::fmadd(load(a + i + 3 * width), load(b + i + 3 * width), s3);
        }
        for (; i + width <= n; i += width) s0 = Traits::fmadd(load(a + i), load(b + i), s0);
        if constexpr (Traits::masked_tail) {
            if (i < n) {
                s1 = Traits::fmadd(Traits::load_partial(a + i, n - i),
                                   Traits::load_partial(b + i, n - i), s1);
                i = n;
            }
        }
        float r = reduce_add((s0 + s1) + (s2 + s3));
        for (; i < n; ++i) r += a[i] * b[i];
        return r;
    }

    /* -(sum a[i] * b[i]) */
    static float neg_inner_product(const float* a, const float* b, std::size_t n) noexcept {
        return -inner_product(a, b, n);
    }

    /* sum |a[i] - b[i]| */
    static float l1(const float* a, const float* b, std::size_t n) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            s0 += xsimd::abs(load(a + i) - load(b + i));
            s1 += xsimd::abs(load(a + i + width) - load(b + i + width));
            s2 += xsimd::abs(load(a + i + 2 * width) - load(b + i + 2 * width));
            s3 += xsimd::abs(load(a + i + 3 * width) - load(b + i + 3 * width));
        }
        for (; i + width <= n; i += width) s0 += xsimd::abs(load(a + i) - load(b + i));
        if constexpr (Traits::masked_tail) {
            if (i < n) {
                s1 += xsimd::abs(Traits::load_partial(a + i, n - i) -
                                 Traits::load_partial(b + i, n - i));
                i = n;
            }
        }
        float r = reduce_add((s0 + s1) + (s2 + s3));
        for (; i < n; ++i) {
            const float d = a[i] - b[i];
            r += d < 0.0f ? -d : d;
        }
        return r;
    }

    /* out = {a.b, |a|^2, |b|^2} in one pass over both arrays */
    static void dot_norms(const float* a, const float* b, std::size_t n, float out[3]) noexcept {
        batch d0(0.0f), d1(0.0f), d2(0.0f), d3(0.0f);
        batch a0(0.0f), a1(0.0f), a2(0.0f), a3(0.0f);
        batch b0(0.0f), b1(0.0f), b2(0.0f), b3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            const batch x0 = load(a + i), y0 = load(b + i);
            const batch x1 = load(a + i + width), y1 = load(b + i + width);
            const batch x2 = load(a + i + 2 * width), y2 = load(b + i + 2 * width);
            const batch x3 = load(a + i + 3 * width), y3 = load(b + i + 3 * width);
            d0 = Traits::fmadd(x0, y0, d0);
            a0 = Traits::fmadd(x0, x0, a0);
            b0 = Traits::fmadd(y0, y0, b0);
            d1 = Traits::fmadd(x1, y1, d1);
            a1 = Traits::fmadd(x1, x1, a1);
            b1 = Traits::fmadd(y1, y1, b1);
            d2 = Traits::fmadd(x2, y2, d2);
            a2 = Traits::fmadd(x2, x2, a2);
            b2 = Traits::fmadd(y2, y2, b2);
            d3 = Traits::fmadd(x3, y3, d3);
            a3 = Traits::fmadd(x3, x3, a3);
            b3 = Traits::fmadd(y3, y3, b3);
        }
        for (; i + width <= n; i += width) {
            const batch x = load(a + i), y = load(b + i);
            d0 = Traits::fmadd(x, y, d0);
            a0 = Traits::fmadd(x, x, a0);
            b0 = Traits::fmadd(y, y, b0);
        }
        if constexpr (Traits::masked_tail) {
            if (i < n) {
                const batch x = Traits::load_partial(a + i, n - i);
                const batch y = Traits::load_partial(b + i, n - i);
                d1 = Traits::fmadd(x, y, d1);
                a1 = Traits::fmadd(x, x, a1);
                b1 = Traits::fmadd(y, y, b1);
                i = n;
            }
        }
        float dot = reduce_add((d0 + d1) + (d2 + d3));
        float na = reduce_add((a0 + a1) + (a2 + a3));
        float nb = reduce_add((b0 + b1) + (b2 + b3));
        for (; i < n; ++i) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        out[0] = dot;
        out[1] = na;
        out[2] = nb;
    }

    /* sum a[i]^2 */
    static float norm_squared(const float* a, std::size_t n) noexcept {
        batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + block <= n; i += block) {
            const batch x0 = load(a + i), x1 = load(a + i + width);
            const batch x2 = load(a + i + 2 * width), x3 = load(a + i + 3 * width);
            s0 = Traits::fmadd(x0, x0, s0);
            s1 = Traits::fmadd(x1, x1, s1);
            s2 = Traits::fmadd(x2, x2, s2);
            s3 = Traits::fmadd(x3, x3, s3);
        }
        for (; i + width <= n; i += width) {
            const batch x = load(a + i);
            s0 = Traits::fmadd(x, x, s0);
        }
        if constexpr (Traits::masked_tail) {
            if (i < n) {
                const batch x = Traits::load_partial(a + i, n - i);
                s1 = Traits::fmadd(x, x, s1);
                i = n;
            }
        }
        float r = reduce_add((s0 + s1) + (s2 + s3));
        for (; i < n; ++i) r += a[i] * a[i];
        return r;
    }

    /* The table of this instantiation, named name (float_kernel_set: the
     * half and int8 kernels are the scalar ones until a file with a
     * widening path replaces them). */
    static constexpr KernelSet make_set(const char* name) noexcept {
        return float_kernel_set(name, &l2_squared, &inner_product, &l1, &dot_norms, &norm_squared,
                                &neg_inner_product);
    }
};

}  // namespace omendb::simd

#endif /* OMENDB_SIMD_KERNELS_HPP */
