/*
 * kernels_sse2.cpp — distance kernels for SSE2 (4 floats per batch).
 *
 * SSE2 is part of the x86-64 baseline, so this file needs no extra flags
 * there and its kernels run on every x86-64 CPU.  There is no fused
 * multiply-add in SSE2: a multiply and an add, each rounded.  The tail
 * (n % 4 elements) is done with scalar code.  See simd_kernels.hpp for the
 * loop structure and distance.hpp for the contract.
 *
 * On a non-x86 target this file compiles to nothing; on 32-bit x86 without
 * -msse2 the getter returns nullptr.
 */
#include "omendb/distance.hpp"

#if defined(OMEN_SIMD_X86)

#if defined(__SSE2__)
#include "omendb/simd_kernels.hpp"

namespace omendb::simd {
namespace {

/* SSE2 batch and arithmetic for kernel_impl. */
struct sse2_traits {
    using batch = xsimd::batch<float, xsimd::sse2>;
    static constexpr bool masked_tail = false;

    /* x * y + z, two roundings (SSE2 has no FMA). */
    static batch fmadd(const batch& x, const batch& y, const batch& z) noexcept {
        return x * y + z;
    }
};

constexpr KernelSet k_sse2_set = kernel_impl<sse2_traits>::make_set("sse2");

}  // namespace

/* The SSE2 kernel set. */
const KernelSet* sse2_kernels() noexcept {
    return &k_sse2_set;
}

}  // namespace omendb::simd

#else /* !__SSE2__ */

namespace omendb::simd {
/* Not compiled with SSE2: no SSE2 set in this build. */
const KernelSet* sse2_kernels() noexcept {
    return nullptr;
}
}  // namespace omendb::simd

#endif /* __SSE2__ */
#endif /* OMEN_SIMD_X86 */
