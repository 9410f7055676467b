/*
 * distance.cpp — scalar reference kernels, run-time kernel dispatch, and the
 * distance functions of omendb.h.
 *
 * Scalar reference.  Plain index-order loops with one float accumulator.
 * They are the fallback on CPUs without a supported SIMD set and the
 * yardstick every SIMD set is unit-tested against.
 *
 * Dispatch.  The set is chosen once: a namespace-scope initialiser calls
 * active() while the library loads (single-threaded), and active() keeps the
 * choice in a function-local static, so even a call that comes before that
 * initialiser (another file's static constructor) is safe and thread-safe.
 * The choice is the best set that is (1) compiled in, (2) supported by the
 * CPU and (3) enabled by the operating system; OMEN_SIMD may ask for a lower
 * one (see distance.hpp).  This file is compiled without any SIMD flags, so
 * the checks themselves run on every CPU of the architecture.
 *
 * x86 checks.  CPUID.1:ECX tells OSXSAVE, AVX, FMA and F16C; CPUID.(7,0):EBX tells
 * AVX2 and AVX512 F/DQ/BW/VL.  A CPU that has AVX may still run under an OS
 * that does not save the wide registers on a context switch; XGETBV(0) reads
 * XCR0, whose bits 1 and 2 (SSE, AVX state) must be set for AVX2 and bits 5,
 * 6 and 7 (opmask, upper halves of ZMM0-15, ZMM16-31) in addition for
 * AVX-512.  XGETBV itself is only executed when CPUID reports OSXSAVE.
 *   avx2   = AVX + AVX2 + FMA + F16C + XCR0{1,2}   (F16C: the half kernels)
 *   avx512 = avx2 + AVX512F + DQ + BW + VL + XCR0{1,2,5,6,7}
 * (the AVX-512 file is compiled with -mfma -mavx512{f,bw,dq,vl}, so all of
 * them are required even where the kernels use only AVX512F).
 *
 * Cosine.  One pass yields a.b, |a|^2 and |b|^2 in float; the similarity is
 * formed in double and clamped to [-1, 1] so rounding can never push the
 * distance below 0 or above 2.  A zero norm gives NaN (as pgvector does).
 */
#include "omendb/distance.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "omendb/omendb.h"

#if defined(OMEN_SIMD_X86) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace omendb::simd {

/* ------------------------------------------------------------------------
 * Scalar reference kernels
 * ------------------------------------------------------------------------ */

/* Reference sum (a[i] - b[i])^2. */
float scalar_l2_squared(const float* a, const float* b, std::size_t n) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        const float d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

/* Reference sum a[i] * b[i]. */
float scalar_inner_product(const float* a, const float* b, std::size_t n) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}

/* Reference sum |a[i] - b[i]|. */
float scalar_l1(const float* a, const float* b, std::size_t n) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) s += std::fabs(a[i] - b[i]);
    return s;
}

/* Reference {a.b, |a|^2, |b|^2}. */
void scalar_dot_norms(const float* a, const float* b, std::size_t n, float out[3]) noexcept {
    float dot = 0.0f, na = 0.0f, nb = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    out[0] = dot;
    out[1] = na;
    out[2] = nb;
}

/* Reference sum a[i]^2. */
float scalar_norm_squared(const float* a, std::size_t n) noexcept {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) s += a[i] * a[i];
    return s;
}

/* Reference -(sum a[i] * b[i]). */
float scalar_neg_inner_product(const float* a, const float* b, std::size_t n) noexcept {
    return -scalar_inner_product(a, b, n);
}

namespace {

constexpr KernelSet k_scalar_set =
    float_kernel_set("scalar", &scalar_l2_squared, &scalar_inner_product, &scalar_l1,
                     &scalar_dot_norms, &scalar_norm_squared, &scalar_neg_inner_product);

#if defined(OMEN_SIMD_X86)

/* What the CPU and the OS together allow on x86. */
struct x86_support {
    bool sse2 = false;
    bool avx2 = false;   /* AVX2 + FMA + F16C, YMM state enabled */
    bool avx512 = false; /* avx2 + AVX512 F/DQ/BW/VL, ZMM and opmask state enabled */
    bool vnni = false;   /* avx512 + AVX512_VNNI */
};

/* XCR0, the OS-enabled state components; only call when CPUID reports OSXSAVE. */
std::uint64_t read_xcr0() noexcept {
#if defined(__GNUC__) || defined(__clang__)
    std::uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
#else
    return 0;
#endif
}

/* Probes CPUID and XCR0 once. */
x86_support probe_x86() noexcept {
    x86_support s;
#if defined(__GNUC__) || defined(__clang__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return s;
    s.sse2 = (edx & (1u << 26)) != 0;
    const bool fma = (ecx & (1u << 12)) != 0;
    const bool f16c = (ecx & (1u << 29)) != 0;
    const bool osxsave = (ecx & (1u << 27)) != 0;
    const bool avx = (ecx & (1u << 28)) != 0;
    if (!osxsave || !avx) return s;

    const std::uint64_t xcr0 = read_xcr0();
    const bool ymm_state = (xcr0 & 0x06u) == 0x06u;
    const bool zmm_state = (xcr0 & 0xE6u) == 0xE6u;

    if (__get_cpuid_max(0, nullptr) < 7) return s;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const bool avx2 = (ebx & (1u << 5)) != 0;
    const bool avx512f = (ebx & (1u << 16)) != 0;
    const bool avx512dq = (ebx & (1u << 17)) != 0;
    const bool avx512bw = (ebx & (1u << 30)) != 0;
    const bool avx512vl = (ebx & (1u << 31)) != 0;

    s.avx2 = ymm_state && avx && avx2 && fma && f16c;
    s.avx512 = s.avx2 && zmm_state && avx512f && avx512dq && avx512bw && avx512vl;
    s.vnni = s.avx512 && (ecx & (1u << 11)) != 0;
#endif
    return s;
}

/* The probe result, computed on first use. */
const x86_support& x86() noexcept {
    static const x86_support s = probe_x86();
    return s;
}

#endif /* OMEN_SIMD_X86 */

/* Case-insensitive equality of a C string with a lower-case ASCII word. */
bool equals_word(const char* s, const char* word) noexcept {
    for (; *word != '\0'; ++s, ++word) {
        char c = *s;
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != *word) return false;
    }
    return *s == '\0';
}

/* Picks the set at first use: OMEN_SIMD if acceptable, else the best. */
const KernelSet* choose_kernels() noexcept {
    const KernelSet* k = kernels_for(select_isa(std::getenv("OMEN_SIMD")));
    return k != nullptr ? k : &k_scalar_set;
}

}  // namespace

/* True if the CPU and the OS support AVX-512 VNNI (and the AVX-512 set). */
bool avx512_vnni_supported() noexcept {
#if defined(OMEN_SIMD_X86)
    return x86().vnni;
#else
    return false;
#endif
}

/* The scalar reference set. */
const KernelSet* scalar_kernels() noexcept {
    return &k_scalar_set;
}

/* ------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------ */

/* The kernel set for isa, or nullptr if not compiled in. */
const KernelSet* kernels_for(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar:
            return &k_scalar_set;
#if defined(OMEN_SIMD_X86)
        case Isa::sse2:
            return sse2_kernels();
        case Isa::avx2:
            return avx2_kernels();
        case Isa::avx512:
            return avx512_kernels();
#elif defined(OMEN_SIMD_AARCH64)
        case Isa::neon:
            return neon_kernels();
#endif
        default:
            return nullptr;
    }
}

/* True if the CPU and the OS both support isa. */
bool isa_supported(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar:
            return true;
#if defined(OMEN_SIMD_X86)
        case Isa::sse2:
            return x86().sse2;
        case Isa::avx2:
            return x86().avx2;
        case Isa::avx512:
            return x86().avx512;
#elif defined(OMEN_SIMD_AARCH64)
        case Isa::neon:
            return true; /* AdvSIMD is mandatory in AArch64 */
#endif
        default:
            return false;
    }
}

/* Preference within an architecture: scalar < sse2 < avx2 < avx512; scalar < neon. */
int isa_rank(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar:
            return 0;
        case Isa::sse2:
        case Isa::neon:
            return 1;
        case Isa::avx2:
            return 2;
        case Isa::avx512:
            return 3;
    }
    return 0;
}

/* The best compiled-in, supported set. */
Isa best_isa() noexcept {
    static constexpr Isa order[] = {Isa::avx512, Isa::avx2, Isa::sse2, Isa::neon};
    for (Isa isa : order)
        if (kernels_for(isa) != nullptr && isa_supported(isa)) return isa;
    return Isa::scalar;
}

/* Name of an instruction set. */
const char* isa_name(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar:
            return "scalar";
        case Isa::sse2:
            return "sse2";
        case Isa::avx2:
            return "avx2";
        case Isa::avx512:
            return "avx512";
        case Isa::neon:
            return "neon";
    }
    return "scalar";
}

/* Parses an OMEN_SIMD value, case-insensitively. */
bool parse_isa(const char* name, Isa* out) noexcept {
    if (name == nullptr || out == nullptr) return false;
    static constexpr Isa all[] = {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512, Isa::neon};
    for (Isa isa : all) {
        if (equals_word(name, isa_name(isa))) {
            *out = isa;
            return true;
        }
    }
    return false;
}

/* The set chosen for an OMEN_SIMD value: a lower supported one if asked, else the best. */
Isa select_isa(const char* forced) noexcept {
    const Isa best = best_isa();
    Isa wanted = best;
    if (!parse_isa(forced, &wanted)) return best;
    if (kernels_for(wanted) == nullptr || !isa_supported(wanted)) return best;
    if (isa_rank(wanted) > isa_rank(best)) return best;
    return wanted;
}

/* The kernel set in use, chosen once (thread-safe static initialisation). */
const KernelSet& active() noexcept {
    static const KernelSet* const chosen = choose_kernels();
    return *chosen;
}

namespace {
/* Makes the choice while the library loads rather than on the first distance. */
[[maybe_unused]] const bool g_chosen_at_load = (active(), true);
}  // namespace

}  // namespace omendb::simd

/* ------------------------------------------------------------------------
 * C boundary (omendb.h)
 * ------------------------------------------------------------------------ */

using omendb::simd::active;

/* Name of the kernel set in use. */
extern "C" const char* omen_simd_name(void) noexcept {
    return active().name;
}

/* sum (a[i] - b[i])^2 */
extern "C" float omen_l2_squared(const float* a, const float* b, size_t n) noexcept {
    return active().l2_squared(a, b, n);
}

/* sum a[i] * b[i] */
extern "C" float omen_inner_product(const float* a, const float* b, size_t n) noexcept {
    return active().inner_product(a, b, n);
}

/* sum |a[i] - b[i]| */
extern "C" float omen_l1_distance(const float* a, const float* b, size_t n) noexcept {
    return active().l1(a, b, n);
}

/* 1 - a.b / (|a| |b|), similarity clamped to [-1, 1]; NaN if a norm is zero. */
extern "C" double omen_cosine_distance(const float* a, const float* b, size_t n) noexcept {
    float t[3];
    active().dot_norms(a, b, n, t);
    double dot = t[0], aa = t[1], bb = t[2];
    /*
     * Where float lost the plot -- a squared norm that underflowed towards
     * the subnormal range or overflowed -- redo the sums in double, which can
     * neither overflow nor underflow on float inputs.  This keeps the result
     * within the error bound storage.cpp relies on for every finite input.
     */
    if (!(t[1] >= 0x1p-60f && t[2] >= 0x1p-60f && std::isfinite(t[0]) && std::isfinite(t[1]) &&
          std::isfinite(t[2]))) {
        dot = aa = bb = 0.0;
        for (size_t i = 0; i < n; ++i) {
            dot += static_cast<double>(a[i]) * b[i];
            aa += static_cast<double>(a[i]) * a[i];
            bb += static_cast<double>(b[i]) * b[i];
        }
    }
    if (aa == 0.0 || bb == 0.0) return std::numeric_limits<double>::quiet_NaN();
    double similarity = dot / std::sqrt(aa * bb);
    if (similarity > 1.0)
        similarity = 1.0;
    else if (similarity < -1.0)
        similarity = -1.0;
    return 1.0 - similarity;
}

/* sum a[i]^2 */
extern "C" float omen_norm_squared(const float* a, size_t n) noexcept {
    return active().norm_squared(a, n);
}

/* See omendb.h. */
extern "C" double omen_unit_vector(const float* x, size_t n, float* out) noexcept {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
    const double norm = std::sqrt(sum);
    if (out != nullptr && norm > 0.0 && std::isfinite(norm))
        for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(x[i] / norm);
    return norm;
}

/* The index distance kernel for a metric, or nullptr for an unknown metric. */
extern "C" OmenDistanceFn omen_index_distance(OmenMetric metric) noexcept {
    const omendb::simd::KernelSet& k = active();
    switch (metric) {
        case OMEN_METRIC_L2:
            return k.l2_squared;
        case OMEN_METRIC_INNER_PRODUCT:
        case OMEN_METRIC_COSINE:
            return k.neg_inner_product;
        case OMEN_METRIC_L1:
            return k.l1;
    }
    return nullptr;
}
