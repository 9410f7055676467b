/*
 * kernels_avx512.cpp — distance kernels for AVX-512 (16 floats per batch).
 *
 * Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma, so the
 * compiler may use any of those extensions anywhere in this file: the
 * dispatcher in distance.cpp calls these kernels only after it has checked
 * CPUID (AVX512F, BW, DQ, VL, plus AVX2 and FMA) and XCR0 (the OS saves
 * YMM, opmask and ZMM state).  The getter only returns the address of a
 * constant-initialised table, so calling it is safe on any x86 CPU.
 *
 * xsimd 8.1 has no AVX-512 fused multiply-add and no masked load, so two raw
 * intrinsics fill the gap: _mm512_fmadd_ps, and _mm512_maskz_loadu_ps for the
 * tail (n % 16 elements), which reads only the unmasked lanes (masked-out
 * lanes never fault, even across a page boundary) and zeroes the rest, so the
 * tail costs one extra batch step instead of up to 15 scalar ones.
 *
 * Stored-vector kernels (simd_stored_kernels.hpp): 16 halves widened by
 * vcvtph2ps (AVX512F), the tail by _mm256_maskz_loadu_epi16 (AVX512BW + VL),
 * which like the float masked load reads only the unmasked 16-bit lanes;
 * 16 int8 codes widened by vpmovzxbd + vcvtdq2ps.
 *
 * On a non-x86 target this file compiles to nothing; compiled without the
 * flags, the getter returns nullptr.
 */
#include "omendb/distance.hpp"

#if defined(OMEN_SIMD_X86)

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && \
    defined(__AVX512VL__) && defined(__FMA__)
#include <immintrin.h>

#include <cstdint>

#include "omendb/simd_stored_kernels.hpp"
#include "omendb/simd_kernels.hpp"

namespace omendb::simd {
namespace {

/* AVX-512 batch and arithmetic for kernel_impl. */
struct avx512_traits {
    using batch = xsimd::batch<float, xsimd::avx512f>;
    static constexpr bool masked_tail = true;

    /* x * y + z with one rounding (vfmadd on zmm). */
    static batch fmadd(const batch& x, const batch& y, const batch& z) noexcept {
        return batch(_mm512_fmadd_ps(x, y, z));
    }

    /* Lanes [0, k) from p, the others zero; reads nothing at or past p + k (0 < k < 16). */
    static batch load_partial(const float* p, std::size_t k) noexcept {
        const __mmask16 mask = static_cast<__mmask16>((1u << k) - 1u);
        return batch(_mm512_maskz_loadu_ps(mask, p));
    }

    /* 16 halves from p (any alignment), widened to float exactly. */
    static batch load_half(const std::uint16_t* p) noexcept {
        /* maskz with a full mask: the same vcvtph2ps as _mm512_cvtph_ps, whose GCC 12
         * definition (merging into _mm512_undefined_ps) trips -Wmaybe-uninitialized. */
        return batch(
            _mm512_maskz_cvtph_ps(static_cast<__mmask16>(0xFFFFu),
                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
    }

    /* Halves [0, k) from p widened, the others zero; reads nothing at or past p + k. */
    static batch load_half_partial(const std::uint16_t* p, std::size_t k) noexcept {
        const __mmask16 mask = static_cast<__mmask16>((1u << k) - 1u);
        return batch(_mm512_maskz_cvtph_ps(mask, _mm256_maskz_loadu_epi16(mask, p)));
    }

    /* 16 floats clamped to +-65504 and narrowed to halves (vcvtps2ph, round to nearest even) at
     * p (any alignment); maskz forms with full masks, as in load_half. */
    static void store_half_clamped(std::uint16_t* p, const batch& b) noexcept {
        const __mmask16 all = static_cast<__mmask16>(0xFFFFu);
        const __m512 c = _mm512_maskz_min_ps(
            all, _mm512_maskz_max_ps(all, b, _mm512_set1_ps(-65504.0f)), _mm512_set1_ps(65504.0f));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                            _mm512_maskz_cvtps_ph(all, c, _MM_FROUND_TO_NEAREST_INT));
    }

    /* 16 codes from p (any alignment), zero-extended and converted to float exactly. */
    static batch load_u8(const std::uint8_t* p) noexcept {
        /* maskz with full masks, as in load_half: GCC 12's unmasked forms trip
         * -Wmaybe-uninitialized. */
        const __mmask16 all = static_cast<__mmask16>(0xFFFFu);
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        return batch(_mm512_maskz_cvtepi32_ps(all, _mm512_maskz_cvtepu8_epi32(all, bytes)));
    }

    /* 16 codes of x[0..16) (see simd_stored_kernels.hpp), 8 doubles at a time; maskz forms with
     * full masks, as in load_half. */
    static void encode_u8(const float* x, double lo, double step, std::uint8_t* c) noexcept {
        const __mmask8 all = static_cast<__mmask8>(0xFFu);
        const __m512d l = _mm512_set1_pd(lo), s = _mm512_set1_pd(step);
        const __m512d zero = _mm512_setzero_pd(), top = _mm512_set1_pd(255.0);
        for (int h = 0; h < 2; ++h) {
            __m512d v = _mm512_maskz_cvtps_pd(all, _mm256_loadu_ps(x + 8 * h));
            v = _mm512_maskz_div_pd(all, _mm512_maskz_sub_pd(all, v, l), s);
            v = _mm512_maskz_min_pd(all, _mm512_maskz_max_pd(all, v, zero), top);
            const __m256i k = _mm512_maskz_cvtpd_epi32(all, v);
            _mm_storel_epi64(reinterpret_cast<__m128i*>(c + 8 * h),
                             _mm256_maskz_cvtepi32_epi8(all, k));
        }
    }

    /* sum (x[i] - y[i])^2 in double, 8 lanes in each of two accumulators, then the reference. */
    static double diff_sq_f64(const float* x, const float* y, std::size_t n) noexcept {
        const __mmask8 all = static_cast<__mmask8>(0xFFu);
        __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
        std::size_t i = 0;
        for (; i + 16 <= n; i += 16) {
            const __m512d d0 = _mm512_maskz_sub_pd(all, _mm512_maskz_cvtps_pd(all, _mm256_loadu_ps(x + i)),
                                                   _mm512_maskz_cvtps_pd(all, _mm256_loadu_ps(y + i)));
            const __m512d d1 =
                _mm512_maskz_sub_pd(all, _mm512_maskz_cvtps_pd(all, _mm256_loadu_ps(x + i + 8)),
                                    _mm512_maskz_cvtps_pd(all, _mm256_loadu_ps(y + i + 8)));
            s0 = _mm512_fmadd_pd(d0, d0, s0);
            s1 = _mm512_fmadd_pd(d1, d1, s1);
        }
        alignas(64) double lanes[8];
        _mm512_store_pd(lanes, _mm512_add_pd(s0, s1));
        return (((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))) +
               (i < n ? scalar_diff_sq_f64(x + i, y + i, n - i) : 0.0);
    }
};

constexpr KernelSet k_avx512_set =
    stored_kernels<avx512_traits>::with_stored(kernel_impl<avx512_traits>::make_set("avx512"));

}  // namespace

/* The AVX-512 kernel set. */
const KernelSet* avx512_kernels() noexcept {
    return &k_avx512_set;
}

}  // namespace omendb::simd

#else /* AVX-512 flags missing */

namespace omendb::simd {
/* Not compiled with the AVX-512 flags: no AVX-512 set in this build. */
const KernelSet* avx512_kernels() noexcept {
    return nullptr;
}
}  // namespace omendb::simd

#endif
#endif /* OMEN_SIMD_X86 */
