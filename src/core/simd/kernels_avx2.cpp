/*
 * kernels_avx2.cpp — distance kernels for AVX2 with FMA (8 floats per batch).
 *
 * Compiled with -mavx2 -mfma -mf16c (Makefile and src/core/core.cmake), so
 * any function in this file may contain AVX2/FMA/F16C instructions: the
 * dispatcher in distance.cpp calls these kernels only after it has checked
 * CPUID (AVX2, FMA, F16C) and XCR0 (the OS saves YMM state).  The getter
 * itself only returns the address of a constant-initialised table, so
 * calling it is safe on any x86 CPU.  Multiply-adds are fused (one
 * rounding).  The tail (n % 8 elements) of the float kernels is done with
 * scalar code.  See simd_kernels.hpp for the loop structure.
 *
 * Stored-vector kernels (simd_stored_kernels.hpp): 8 halves widened by
 * vcvtph2ps (F16C), the tail through 8-lane zeroed stack buffers, as AVX2
 * has no 16-bit masked load; 8 int8 codes widened by vpmovzxbd + vcvtdq2ps.
 *
 * On a non-x86 target this file compiles to nothing; compiled without the
 * flags, the getter returns nullptr.
 */
#include "omendb/distance.hpp"

#if defined(OMEN_SIMD_X86)

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "omendb/simd_stored_kernels.hpp"
#include "omendb/simd_kernels.hpp"

namespace omendb::simd {
namespace {

/* AVX2+FMA batch and arithmetic for kernel_impl. */
struct avx2_traits {
    using batch = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
    static constexpr bool masked_tail = false;

    /* x * y + z with one rounding (vfmadd). */
    static batch fmadd(const batch& x, const batch& y, const batch& z) noexcept {
        return xsimd::fma(x, y, z);
    }

    /* 8 halves from p (any alignment), widened to float exactly. */
    static batch load_half(const std::uint16_t* p) noexcept {
        return batch(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    }

    /* Lanes [0, k) from p, the rest 0 (0 < k < 8); reads only p[0..k). */
    static batch load_partial(const float* p, std::size_t k) noexcept {
        float buf[8] = {};
        std::memcpy(buf, p, k * sizeof(float));
        return batch::load_unaligned(buf);
    }

    /* Halves [0, k) from p widened, the rest 0 (0 < k < 8); reads only p[0..k). */
    static batch load_half_partial(const std::uint16_t* p, std::size_t k) noexcept {
        std::uint16_t buf[8] = {};
        std::memcpy(buf, p, k * sizeof(std::uint16_t));
        return load_half(buf);
    }

    /* 8 floats clamped to +-65504 and narrowed to halves (vcvtps2ph, round to nearest even) at
     * p (any alignment). */
    static void store_half_clamped(std::uint16_t* p, const batch& b) noexcept {
        const __m256 c = _mm256_min_ps(_mm256_max_ps(b, _mm256_set1_ps(-65504.0f)),
                                       _mm256_set1_ps(65504.0f));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(c, _MM_FROUND_TO_NEAREST_INT));
    }

    /* 8 codes from p (any alignment), zero-extended and converted to float exactly. */
    static batch load_u8(const std::uint8_t* p) noexcept {
        const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        return batch(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)));
    }

    /* 8 codes of x[0..8) (see simd_stored_kernels.hpp), 4 doubles at a time. */
    static void encode_u8(const float* x, double lo, double step, std::uint8_t* c) noexcept {
        const __m256d l = _mm256_set1_pd(lo), s = _mm256_set1_pd(step);
        const __m256d zero = _mm256_setzero_pd(), top = _mm256_set1_pd(255.0);
        __m128i k[2];
        for (int h = 0; h < 2; ++h) {
            __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + 4 * h));
            v = _mm256_div_pd(_mm256_sub_pd(v, l), s);
            v = _mm256_min_pd(_mm256_max_pd(v, zero), top);
            k[h] = _mm256_cvtpd_epi32(v);
        }
        const __m128i words = _mm_packs_epi32(k[0], k[1]);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(c), _mm_packus_epi16(words, words));
    }

    /* sum (x[i] - y[i])^2 in double, 4 lanes in each of two accumulators, then the reference. */
    static double diff_sq_f64(const float* x, const float* y, std::size_t n) noexcept {
        __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
        std::size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)),
                                             _mm256_cvtps_pd(_mm_loadu_ps(y + i)));
            const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)),
                                             _mm256_cvtps_pd(_mm_loadu_ps(y + i + 4)));
            s0 = _mm256_fmadd_pd(d0, d0, s0);
            s1 = _mm256_fmadd_pd(d1, d1, s1);
        }
        alignas(32) double lanes[4];
        _mm256_store_pd(lanes, _mm256_add_pd(s0, s1));
        return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
               (i < n ? scalar_diff_sq_f64(x + i, y + i, n - i) : 0.0);
    }
};

constexpr KernelSet k_avx2_set =
    stored_kernels<avx2_traits>::with_stored(kernel_impl<avx2_traits>::make_set("avx2"));

}  // namespace

/* The AVX2+FMA kernel set. */
const KernelSet* avx2_kernels() noexcept {
    return &k_avx2_set;
}

}  // namespace omendb::simd

#else /* !(__AVX2__ && __FMA__ && __F16C__) */

namespace omendb::simd {
/* Not compiled with -mavx2 -mfma -mf16c: no AVX2 set in this build. */
const KernelSet* avx2_kernels() noexcept {
    return nullptr;
}
}  // namespace omendb::simd

#endif
#endif /* OMEN_SIMD_X86 */
