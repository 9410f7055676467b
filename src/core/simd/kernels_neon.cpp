/*
 * kernels_neon.cpp — distance kernels for AArch64 AdvSIMD (4 floats per batch).
 *
 * NEON is mandatory on AArch64, so this file needs no extra flags and its
 * kernels run on every AArch64 CPU; multiply-adds are fused (vfmaq_f32).  The
 * tail (n % 4 elements) is done with scalar code.  See simd_kernels.hpp for
 * the loop structure.  The Makefile builds this file on aarch64 only; on any
 * other target it compiles to nothing.
 */
#include "omendb/distance.hpp"

#if defined(OMEN_SIMD_AARCH64)
#include "omendb/simd_kernels.hpp"

namespace omendb::simd {
namespace {

/* NEON batch and arithmetic for kernel_impl. */
struct neon_traits {
    using batch = xsimd::batch<float, xsimd::neon64>;
    static constexpr bool masked_tail = false;

    /* x * y + z with one rounding. */
    static batch fmadd(const batch& x, const batch& y, const batch& z) noexcept {
        return xsimd::fma(x, y, z);
    }
};

constexpr KernelSet k_neon_set = kernel_impl<neon_traits>::make_set("neon");

}  // namespace

/* The NEON kernel set. */
const KernelSet* neon_kernels() noexcept {
    return &k_neon_set;
}

}  // namespace omendb::simd

#endif /* OMEN_SIMD_AARCH64 */
