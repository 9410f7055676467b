/*
 * kernels_avx2.cpp — distance kernels for AVX2 with FMA (8 floats per batch).
 *
 * Compiled with -mavx2 -mfma (Makefile and test/unit/CMakeLists.txt), so any
 * function in this file may contain AVX2/FMA instructions: the dispatcher in
 * distance.cpp calls these kernels only after it has checked CPUID (AVX2,
 * FMA) and XCR0 (the OS saves YMM state).  The getter itself only returns the
 * address of a constant-initialised table, so calling it is safe on any x86
 * CPU.  Multiply-adds are fused (one rounding).  The tail (n % 8 elements) is
 * done with scalar code.  See simd_kernels.hpp for the loop structure.
 *
 * On a non-x86 target this file compiles to nothing; compiled without the
 * flags, the getter returns nullptr.
 */
#include "omendb/distance.hpp"

#if defined(OMEN_SIMD_X86)

#if defined(__AVX2__) && defined(__FMA__)
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
};

constexpr KernelSet k_avx2_set = kernel_impl<avx2_traits>::make_set("avx2");

}  // namespace

/* The AVX2+FMA kernel set. */
const KernelSet* avx2_kernels() noexcept {
    return &k_avx2_set;
}

}  // namespace omendb::simd

#else /* !(__AVX2__ && __FMA__) */

namespace omendb::simd {
/* Not compiled with -mavx2 -mfma: no AVX2 set in this build. */
const KernelSet* avx2_kernels() noexcept {
    return nullptr;
}
}  // namespace omendb::simd

#endif
#endif /* OMEN_SIMD_X86 */
