/*
 * kernels_avx512vnni.cpp — the exact dot product of two arrays of 8-bit
 * codes with AVX-512 VNNI (vpdpbusd: 64 byte products summed into 16 int32
 * lanes per instruction).
 *
 * Compiled with -mavx512f -mavx512bw -mavx512vnni; int8.cpp calls the kernel
 * only after distance.cpp has checked CPUID (AVX512_VNNI on top of the
 * AVX-512 set) and XCR0.  vpdpbusd multiplies unsigned bytes of its first
 * operand by signed bytes of its second, so b is flipped to b - 128 (xor
 * 0x80) and 128 * sum(a) added back at the end; every partial sum stays far
 * inside int32 for n <= 16,000, so the result is exact.  The tail is one
 * masked load, which reads no byte past the end.
 *
 * Also the four sums a prepared query's int8 distance needs (storage.cpp).
 *
 * Compiled without the flags (or on another architecture) the getters
 * return nullptr.
 */
#include "omendb/distance.hpp"

#if defined(OMEN_SIMD_X86) && defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512VNNI__)
#include <immintrin.h>

namespace omendb::simd {
namespace {

/* Sum of the 16 int32 lanes (a store and a loop: GCC 12's _mm512_reduce_add_epi32 trips
 * -Wuninitialized through _mm256_undefined_si256). */
long long lane_sum(__m512i v) noexcept {
    alignas(64) std::int32_t t[16];
    _mm512_store_si512(t, v);
    long long s = 0;
    for (std::int32_t x : t) s += x;
    return s;
}

/* The lanes of a 64-byte block starting `left` bytes before the end: all, or the first left. */
inline __mmask64 block_mask(std::size_t left) noexcept {
    return left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
}

/* sum a[i] * b[i], exact. */
std::uint32_t dot_u8_vnni(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    __m512i asum = _mm512_setzero_si512();
    std::size_t i = 0;

    for (; i + 128 <= n; i += 128) {
        const __m512i a0 = _mm512_loadu_si512(a + i);
        const __m512i a1 = _mm512_loadu_si512(a + i + 64);
        acc0 = _mm512_dpbusd_epi32(acc0, a0, _mm512_xor_si512(_mm512_loadu_si512(b + i), flip));
        acc1 =
            _mm512_dpbusd_epi32(acc1, a1, _mm512_xor_si512(_mm512_loadu_si512(b + i + 64), flip));
        asum = _mm512_dpbusd_epi32(asum, a0, ones);
        asum = _mm512_dpbusd_epi32(asum, a1, ones);
    }
    for (; i < n; i += 64) {
        const __mmask64 m = block_mask(n - i);
        const __m512i av = _mm512_maskz_loadu_epi8(m, a + i);
        /* masked-off lanes of a are 0, so whatever b's lanes hold they add nothing */
        acc0 = _mm512_dpbusd_epi32(acc0, av,
                                   _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, b + i), flip));
        asum = _mm512_dpbusd_epi32(asum, av, ones);
    }
    const long long s = lane_sum(_mm512_add_epi32(acc0, acc1)) + 128LL * lane_sum(asum);
    return static_cast<std::uint32_t>(s);
}

/* The four int32 lane sums of a, b, c and d at once, into out[0..4): pairs within 128-bit chunks,
 * then the four chunks.  (The all-ones maskz forms are the plain instructions; GCC 12's unmasked
 * intrinsics trip -Wuninitialized, as in lane_sum.) */
inline void lane_sums4(__m512i a, __m512i b, __m512i c, __m512i d, std::int32_t* out) noexcept {
    const __mmask16 m32 = 0xFFFF;
    const __mmask8 m64 = 0xFF;
    const __m512i ab = _mm512_add_epi32(_mm512_maskz_unpacklo_epi32(m32, a, b),
                                        _mm512_maskz_unpackhi_epi32(m32, a, b));
    const __m512i cd = _mm512_add_epi32(_mm512_maskz_unpacklo_epi32(m32, c, d),
                                        _mm512_maskz_unpackhi_epi32(m32, c, d));
    const __m512i all = _mm512_add_epi32(_mm512_maskz_unpacklo_epi64(m64, ab, cd),
                                         _mm512_maskz_unpackhi_epi64(m64, ab, cd));
    const __m512i two =
        _mm512_add_epi32(all, _mm512_maskz_shuffle_i64x2(m64, all, all, _MM_SHUFFLE(1, 0, 3, 2)));
    const __m512i one =
        _mm512_add_epi32(two, _mm512_maskz_shuffle_i64x2(m64, two, two, _MM_SHUFFLE(2, 3, 0, 1)));
    alignas(64) std::int32_t t[16];
    _mm512_store_si512(t, one);
    for (int k = 0; k < 4; ++k) out[k] = t[k]; /* a, b, c, d: the order of the unpacks */
}

/*
 * The four sums of a prepared query (distance.hpp): c is the unsigned operand of every vpdpbusd,
 * d and e are already signed, c - 128 is c xor 0x80 read as signed, and sum c is c against ones.
 * Per lane at most 4 * 255 * 128 per instruction, 250 instructions for 16,000 dimensions: far
 * inside int32.  d and e are padded to 64 bytes, so only c's tail needs a mask.
 */
void query_sums_u8_vnni(const std::uint8_t* c, const std::int8_t* d, const std::int8_t* e,
                        std::size_t n, std::int64_t out[4]) noexcept {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i ones = _mm512_set1_epi8(1);
    /* Two sets of accumulators over pairs of whole blocks halve the dependency chains (the loop
     * is latency-bound); the tail block is masked into the first set. */
    __m512i cd = _mm512_setzero_si512(), ce = _mm512_setzero_si512();
    __m512i cc = _mm512_setzero_si512(), cs = _mm512_setzero_si512();
    __m512i cd1 = _mm512_setzero_si512(), ce1 = _mm512_setzero_si512();
    __m512i cc1 = _mm512_setzero_si512(), cs1 = _mm512_setzero_si512();
    std::size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        const __m512i c0 = _mm512_loadu_si512(c + i);
        const __m512i c1 = _mm512_loadu_si512(c + i + 64);
        cd = _mm512_dpbusd_epi32(cd, c0, _mm512_loadu_si512(d + i));
        cd1 = _mm512_dpbusd_epi32(cd1, c1, _mm512_loadu_si512(d + i + 64));
        ce = _mm512_dpbusd_epi32(ce, c0, _mm512_loadu_si512(e + i));
        ce1 = _mm512_dpbusd_epi32(ce1, c1, _mm512_loadu_si512(e + i + 64));
        cc = _mm512_dpbusd_epi32(cc, c0, _mm512_xor_si512(c0, flip));
        cc1 = _mm512_dpbusd_epi32(cc1, c1, _mm512_xor_si512(c1, flip));
        cs = _mm512_dpbusd_epi32(cs, c0, ones);
        cs1 = _mm512_dpbusd_epi32(cs1, c1, ones);
    }
    for (; i < n; i += 64) {
        const __m512i cv = _mm512_maskz_loadu_epi8(block_mask(n - i), c + i);
        cd = _mm512_dpbusd_epi32(cd, cv, _mm512_loadu_si512(d + i));
        ce = _mm512_dpbusd_epi32(ce, cv, _mm512_loadu_si512(e + i));
        cc = _mm512_dpbusd_epi32(cc, cv, _mm512_xor_si512(cv, flip));
        cs = _mm512_dpbusd_epi32(cs, cv, ones);
    }
    cd = _mm512_add_epi32(cd, cd1);
    ce = _mm512_add_epi32(ce, ce1);
    cc = _mm512_add_epi32(cc, cc1);
    cs = _mm512_add_epi32(cs, cs1);
    std::int32_t sums[4];
    lane_sums4(cd, ce, cc, cs, sums);
    for (int k = 0; k < 4; ++k) out[k] = sums[k];
}

/*
 * sum q[i] * x_j[i] for up to four arrays per pass: q's block is loaded once for all of them and
 * the four lane sums are reduced together.  q is padded to whole blocks; the x_j are read only up
 * to n (the tail block masked).  A group of fewer than four repeats its first array.
 */
void dot_s8u8_batch_vnni(const std::int8_t* q, const std::uint8_t* const* xs, std::size_t count,
                         std::size_t n, std::int32_t* out) noexcept {
    const std::size_t whole = n & ~std::size_t(63);
    const __mmask64 tail = block_mask(n - whole);
    for (std::size_t j = 0; j < count; j += 4) {
        const std::size_t c = count - j < 4 ? count - j : 4;
        const std::uint8_t* x0 = xs[j];
        const std::uint8_t* x1 = c > 1 ? xs[j + 1] : x0;
        const std::uint8_t* x2 = c > 2 ? xs[j + 2] : x0;
        const std::uint8_t* x3 = c > 3 ? xs[j + 3] : x0;
        __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
        __m512i a2 = _mm512_setzero_si512(), a3 = _mm512_setzero_si512();
        std::size_t i = 0;
        for (; i < whole; i += 64) {
            const __m512i qv = _mm512_loadu_si512(q + i);
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(x0 + i), qv);
            a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(x1 + i), qv);
            a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(x2 + i), qv);
            a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(x3 + i), qv);
        }
        if (i < n) {
            const __m512i qv = _mm512_loadu_si512(q + i);
            a0 = _mm512_dpbusd_epi32(a0, _mm512_maskz_loadu_epi8(tail, x0 + i), qv);
            a1 = _mm512_dpbusd_epi32(a1, _mm512_maskz_loadu_epi8(tail, x1 + i), qv);
            a2 = _mm512_dpbusd_epi32(a2, _mm512_maskz_loadu_epi8(tail, x2 + i), qv);
            a3 = _mm512_dpbusd_epi32(a3, _mm512_maskz_loadu_epi8(tail, x3 + i), qv);
        }
        std::int32_t sums[4];
        lane_sums4(a0, a1, a2, a3, sums);
        for (std::size_t k = 0; k < c; ++k) out[j + k] = sums[k];
    }
}

}  // namespace

/* The VNNI kernel. */
dot_u8_kernel avx512vnni_dot_u8() noexcept {
    return &dot_u8_vnni;
}

/* The VNNI batch kernel. */
dot_s8u8_batch_kernel avx512vnni_dot_s8u8_batch() noexcept {
    return &dot_s8u8_batch_vnni;
}

/* The VNNI query sums. */
query_sums_u8_kernel avx512vnni_query_sums_u8() noexcept {
    return &query_sums_u8_vnni;
}

}  // namespace omendb::simd

#else

namespace omendb::simd {
/* Not compiled with the VNNI flags (or not x86): no VNNI kernel. */
dot_u8_kernel avx512vnni_dot_u8() noexcept {
    return nullptr;
}
/* Nor its query sums. */
query_sums_u8_kernel avx512vnni_query_sums_u8() noexcept {
    return nullptr;
}
/* Nor its batch kernel. */
dot_s8u8_batch_kernel avx512vnni_dot_s8u8_batch() noexcept {
    return nullptr;
}
}  // namespace omendb::simd

#endif
