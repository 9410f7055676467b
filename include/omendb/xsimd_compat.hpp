/*
 * xsimd_compat.hpp — papers over the xsimd API differences the core meets.
 *
 * Debian bookworm ships xsimd 8.1, whose horizontal sum of a batch is
 * xsimd::hadd(); xsimd 9 renamed it to xsimd::reduce_add() (and later
 * removed hadd).  The kernels call omendb::simd::reduce_add() only, so the
 * code builds against either major version.  Include this header instead of
 * <xsimd/xsimd.hpp> in the kernel translation units.
 *
 * Only the per-instruction-set kernel files include this header: anything
 * inline here is compiled with that file's architecture flags, so it must
 * stay a template on the batch's architecture (distinct instantiations per
 * file, never shared across files through the linker).
 */
#ifndef OMENDB_XSIMD_COMPAT_HPP
#define OMENDB_XSIMD_COMPAT_HPP

#include <xsimd/xsimd.hpp>

#ifndef XSIMD_VERSION_MAJOR
#error "xsimd_compat.hpp: XSIMD_VERSION_MAJOR is not defined; unsupported xsimd version"
#endif

namespace omendb::simd {

/* Sum of the lanes of a batch (xsimd::hadd before 9.0, xsimd::reduce_add since). */
template <class T, class A>
inline T reduce_add(const xsimd::batch<T, A>& b) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_add(b);
#else
    return xsimd::hadd(b);
#endif
}

}  // namespace omendb::simd

#endif /* OMENDB_XSIMD_COMPAT_HPP */
