/*
 * distance.hpp — internal interface of the distance kernels (C++ only).
 *
 * What.  A KernelSet is one implementation of every distance primitive the
 * core needs, for one instruction set.  There is a scalar reference set
 * (plain loops, always present, the yardstick the unit tests measure every
 * other set against) and one set per SIMD instruction set, each in its own
 * translation unit compiled with only that instruction set's flags
 * (src/core/simd/kernels_<isa>.cpp).  The extern "C" functions of omendb.h
 * call the set chosen by active().
 *
 * Why this shape.  A kernel file compiled with -mavx2 may contain AVX2
 * instructions anywhere, so nothing in it may run before the dispatcher has
 * proven that both the CPU and the operating system support the instruction
 * set.  The dispatcher therefore lives in baseline code (distance.cpp), does
 * its own CPUID + XGETBV checks on x86 (xsimd 8.1 does not look at XCR0), and
 * touches a kernel file only through its getter, which merely returns the
 * address of a constant table.
 *
 * Choice.  active() is resolved once, on first use, through a function-local
 * static (thread-safe initialisation in C++11 and later), as the best
 * supported set, unless the environment variable OMEN_SIMD names a lower one
 * that is compiled in and supported (scalar|sse2|avx2|avx512|neon); a request
 * for an unsupported, unknown or higher level is ignored.  Useful to compare
 * paths in benchmarks, never needed in production.
 *
 * Contract of every kernel: n >= 0 floats from each pointer, any alignment,
 * never reads outside [p, p + n), no allocation, no exceptions; with n == 0
 * the pointers are not dereferenced and the result is 0.  Accumulation is in
 * float; results may differ from the scalar set by rounding only (see the
 * error bound in test/unit/test_distance.cpp).  The *_half kernels read n
 * floats from q and n uint16_t from x, the *_u8 kernels n floats from q and
 * n bytes from c, under the same rules.
 */
#ifndef OMENDB_DISTANCE_HPP
#define OMENDB_DISTANCE_HPP

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace omendb::simd {

/* Instruction sets, in no particular order; see isa_rank() for preference. */
enum class Isa { scalar, sse2, avx2, avx512, neon };

using binary_kernel = float (*)(const float* a, const float* b, std::size_t n) noexcept;
using unary_kernel = float (*)(const float* a, std::size_t n) noexcept;
using dot_norms_kernel = void (*)(const float* a, const float* b, std::size_t n,
                                  float out[3]) noexcept;
/* A float query q against a vector x stored as IEEE binary16 bit patterns. */
using half_kernel = float (*)(const float* q, const std::uint16_t* x, std::size_t n) noexcept;
/* A float query q against 8-bit codes c of a vector x[i] = lo + step * c[i]. */
using u8_kernel = float (*)(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                            float step) noexcept;
/* Widens n stored elements to floats: half exactly, int8 codes as fma(c[i], step, lo). */
using half_decode_kernel = void (*)(const std::uint16_t* x, std::size_t n, float* out) noexcept;
using u8_decode_kernel = void (*)(const std::uint8_t* c, std::size_t n, float lo, float step,
                                  float* out) noexcept;
/* Narrows n floats to the nearest binary16 (ties to even) of each clamped to +-65504. */
using half_encode_kernel = void (*)(const float* x, std::size_t n, std::uint16_t* out) noexcept;
using diff_sq_f64_kernel = double (*)(const float* x, const float* y, std::size_t n) noexcept;
using range_kernel = void (*)(const float* x, std::size_t n, float* lo, float* hi) noexcept;
using u8_encode_kernel = void (*)(const float* x, std::size_t n, float lo, float step,
                                  std::uint8_t* c) noexcept;

/* One implementation of every distance primitive, for one instruction set. */
struct KernelSet {
    const char* name;                /* "scalar", "sse2", "avx2", "avx512", "neon" */
    binary_kernel l2_squared;        /* sum (a[i] - b[i])^2 */
    binary_kernel inner_product;     /* sum a[i] * b[i] */
    binary_kernel l1;                /* sum |a[i] - b[i]| */
    dot_norms_kernel dot_norms;      /* out = {a.b, |a|^2, |b|^2}, one pass */
    unary_kernel norm_squared;       /* sum a[i]^2 */
    binary_kernel neg_inner_product; /* -(sum a[i] * b[i]): index distance of IP/cosine */
    /* Half-stored x (half.cpp, simd_stored_kernels.hpp): x[i] widened to float exactly. */
    half_kernel l2_squared_half;        /* sum (q[i] - x[i])^2 */
    half_kernel inner_product_half;     /* sum q[i] * x[i] */
    half_kernel l1_half;                /* sum |q[i] - x[i]| */
    half_kernel neg_inner_product_half; /* -(sum q[i] * x[i]) */
    /* 8-bit codes (int8.cpp, simd_stored_kernels.hpp): x[i] = fma(c[i], step, lo) in float. */
    u8_kernel l2_squared_u8;        /* sum (q[i] - x[i])^2 */
    u8_kernel inner_product_u8;     /* sum q[i] * x[i] */
    u8_kernel l1_u8;                /* sum |q[i] - x[i]| */
    u8_kernel neg_inner_product_u8; /* -(sum q[i] * x[i]) */
    /* The stored vector itself, bit for bit what the kernels above measure (hardware widening
     * quiets signalling NaNs, which stored vectors never hold). */
    half_decode_kernel decode_half;
    u8_decode_kernel decode_u8;
    /* The half page format's encoder: finite inputs only (vectors never hold NaN or inf). */
    half_encode_kernel encode_half;
    /* The int8 quantizer's two passes (storage.cpp): the smallest and largest element, then the
     * codes, bit for bit what the scalar references give (finite inputs only). */
    range_kernel value_range;
    u8_encode_kernel encode_u8;
    /* sum (x[i] - y[i])^2 in double (the stored error norm's, storage.cpp): each difference of
     * the widened floats rounded once, the sum in any order. */
    diff_sq_f64_kernel diff_sq_f64;
};

/* ---- scalar reference (distance.cpp) ---- */

/* Reference sum (a[i] - b[i])^2, one float accumulator, index order. */
float scalar_l2_squared(const float* a, const float* b, std::size_t n) noexcept;
/* Reference sum a[i] * b[i]. */
float scalar_inner_product(const float* a, const float* b, std::size_t n) noexcept;
/* Reference sum |a[i] - b[i]|. */
float scalar_l1(const float* a, const float* b, std::size_t n) noexcept;
/* Reference {a.b, |a|^2, |b|^2}. */
void scalar_dot_norms(const float* a, const float* b, std::size_t n, float out[3]) noexcept;
/* Reference sum a[i]^2. */
float scalar_norm_squared(const float* a, std::size_t n) noexcept;
/* Reference -(sum a[i] * b[i]). */
float scalar_neg_inner_product(const float* a, const float* b, std::size_t n) noexcept;
/* ---- scalar half reference (half.cpp) ---- */

/* Exact float value of one binary16 bit pattern. */
float half_to_float(std::uint16_t h) noexcept;
/* Nearest binary16 (ties to even, overflow to inf, NaN kept) of a float. */
std::uint16_t float_to_half(float f) noexcept;
/* Reference sum (q[i] - x[i])^2, one float accumulator, index order. */
float scalar_l2_squared_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept;
/* Reference sum q[i] * x[i]. */
float scalar_inner_product_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept;
/* Reference sum |q[i] - x[i]|. */
float scalar_l1_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept;
/* Reference -(sum q[i] * x[i]). */
float scalar_neg_inner_product_half(const float* q, const std::uint16_t* x, std::size_t n) noexcept;
/* Reference out[i] = x[i] widened. */
void scalar_decode_half(const std::uint16_t* x, std::size_t n, float* out) noexcept;
/* Reference out[i] = float_to_half(x[i] clamped to [-65504, 65504]). */
void scalar_encode_half(const float* x, std::size_t n, std::uint16_t* out) noexcept;

/* ---- scalar int8 reference (int8.cpp): x[i] = std::fma(c[i], step, lo) ---- */

/* Reference sum (q[i] - x[i])^2. */
float scalar_l2_squared_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                           float step) noexcept;
/* Reference sum q[i] * x[i]. */
float scalar_inner_product_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                              float step) noexcept;
/* Reference sum |q[i] - x[i]|. */
float scalar_l1_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                   float step) noexcept;
/* Reference -(sum q[i] * x[i]). */
float scalar_neg_inner_product_u8(const float* q, const std::uint8_t* c, std::size_t n, float lo,
                                  float step) noexcept;
/* Reference out[i] = std::fma(c[i], step, lo). */
void scalar_decode_u8(const std::uint8_t* c, std::size_t n, float lo, float step,
                      float* out) noexcept;
/* Reference sum (double(x[i]) - y[i])^2 in four partial sums. */
double scalar_diff_sq_f64(const float* x, const float* y, std::size_t n) noexcept;
/* Reference *lo = min x[i], *hi = max x[i] (both 0 for n = 0). */
void scalar_value_range(const float* x, std::size_t n, float* lo, float* hi) noexcept;
/* Reference c[i] = the integer nearest (x[i] - lo) / step (computed in double, ties to even),
 * clamped to 0..255; step > 0. */
void scalar_encode_u8(const float* x, std::size_t n, float lo, float step,
                      std::uint8_t* c) noexcept;

/* ---- the int8 storage's quantizer (storage.cpp) ---- */

/* The integer nearest v (ties to even in the default rounding mode) for |v| < 2^51, without a
 * libm call where doubles are evaluated in double: adding and subtracting 1.5 * 2^52 rounds as
 * std::nearbyint does (which is used where they are not, on x87). */
inline double nearest_even(double v) noexcept {
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    return (v + 0x1.8p52) - 0x1.8p52;
#else
    return std::nearbyint(v);
#endif
}

/* lo = min x, step = (max x - lo) / 255 rounded down, c[i] = x[i]'s nearest code (ties to even,
 * clamped to 0..255): what the int8 page format and the builder's copies hold. */
void quantize_int8(const float* x, std::uint32_t dims, float* lo, float* step,
                   std::uint8_t* c) noexcept;

/* A set of float kernels, with the scalar half and int8 kernels: the files
 * with a widening path replace those (simd_stored_kernels.hpp). */
constexpr KernelSet float_kernel_set(const char* name, binary_kernel l2_squared,
                                     binary_kernel inner_product, binary_kernel l1,
                                     dot_norms_kernel dot_norms, unary_kernel norm_squared,
                                     binary_kernel neg_inner_product) noexcept {
    return KernelSet{name,
                     l2_squared,
                     inner_product,
                     l1,
                     dot_norms,
                     norm_squared,
                     neg_inner_product,
                     &scalar_l2_squared_half,
                     &scalar_inner_product_half,
                     &scalar_l1_half,
                     &scalar_neg_inner_product_half,
                     &scalar_l2_squared_u8,
                     &scalar_inner_product_u8,
                     &scalar_l1_u8,
                     &scalar_neg_inner_product_u8,
                     &scalar_decode_half,
                     &scalar_decode_u8,
                     &scalar_encode_half,
                     &scalar_value_range,
                     &scalar_encode_u8,
                     &scalar_diff_sq_f64};
}

/* The scalar reference set (always available). */
const KernelSet* scalar_kernels() noexcept;

/* ---- per-instruction-set getters (src/core/simd/kernels_<isa>.cpp) ----
 * Each returns nullptr when its file was not compiled with the flags the set
 * needs.  Calling a getter is safe on any CPU of the architecture; calling
 * the kernels it returns is not, unless isa_supported() said so. */
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define OMEN_SIMD_X86 1
/* SSE2 kernels (baseline on x86-64). */
const KernelSet* sse2_kernels() noexcept;
/* AVX2 + FMA + F16C kernels. */
const KernelSet* avx2_kernels() noexcept;
/* AVX-512 (F, BW, DQ, VL) kernels. */
const KernelSet* avx512_kernels() noexcept;
#elif defined(__aarch64__) || defined(_M_ARM64)
#define OMEN_SIMD_AARCH64 1
/* AdvSIMD (NEON) kernels; NEON is mandatory on AArch64. */
const KernelSet* neon_kernels() noexcept;
#endif

/* ---- exact dot product of 8-bit codes (int8.cpp, kernels_avx512vnni.cpp) ----
 * sum a[i] * b[i] over bytes, exact (n <= 16,000 keeps it below 2^32).  It
 * is not part of a KernelSet: only AVX-512 VNNI makes it much cheaper than a
 * float distance, so callers ask fast_dot_u8() before relying on it. */
using dot_u8_kernel = std::uint32_t (*)(const std::uint8_t* a, const std::uint8_t* b,
                                        std::size_t n) noexcept;
/* Reference loop. */
std::uint32_t scalar_dot_u8(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept;
/* The VNNI kernel, or nullptr when its file was not compiled with -mavx512vnni (x86 only). */
dot_u8_kernel avx512vnni_dot_u8() noexcept;
/* True if the CPU and the OS support AVX-512 VNNI and the AVX-512 set (distance.cpp). */
bool avx512_vnni_supported() noexcept;
/* The dot product in use: VNNI when compiled in, supported and the active set is avx512. */
dot_u8_kernel active_dot_u8() noexcept;
/* True if active_dot_u8() is the VNNI kernel. */
bool fast_dot_u8() noexcept;

/* ---- one query against several code arrays (int8.cpp, kernels_avx512vnni.cpp) ----
 * out[j] = sum q[i] * x_j[i] for i < n and j < count, exact: q is signed (a
 * code array minus 128, so that x . c = out + 128 * sum x), zero-padded to a
 * multiple of 64 elements (the kernel reads it whole); each x_j is read only
 * up to n.  One pass over q's blocks serves up to four arrays at once and the
 * four sums are reduced together: the graph builder's search measures every
 * fresh neighbour of a node against the same query copy.  Like dot_u8, only
 * AVX-512 VNNI makes it pay, so it is used where fast_dot_u8(). */
using dot_s8u8_batch_kernel = void (*)(const std::int8_t* q, const std::uint8_t* const* xs,
                                       std::size_t count, std::size_t n,
                                       std::int32_t* out) noexcept;
/* Reference loop. */
void scalar_dot_s8u8_batch(const std::int8_t* q, const std::uint8_t* const* xs, std::size_t count,
                           std::size_t n, std::int32_t* out) noexcept;
/* The VNNI kernel, or nullptr when its file was not compiled with -mavx512vnni. */
dot_s8u8_batch_kernel avx512vnni_dot_s8u8_batch() noexcept;
/* The kernel in use: VNNI exactly when active_dot_u8() is, else the reference. */
dot_s8u8_batch_kernel active_dot_s8u8_batch() noexcept;

/* ---- the sums behind a prepared query's int8 distance (int8.cpp, kernels_avx512vnni.cpp) ----
 * For stored codes c and a query's two signed code arrays d and e (storage.cpp,
 * int8_query): out[0] = sum c[i] * d[i], out[1] = sum c[i] * e[i],
 * out[2] = sum c[i] * (c[i] - 128), out[3] = sum c[i], all exact.  d and e
 * are padded with zeros to a multiple of 64 elements (the kernel may read
 * them whole); c is read only up to n.  Like dot_u8, only AVX-512 VNNI makes
 * this cheaper than the float kernels, so it is used where fast_dot_u8(). */
using query_sums_u8_kernel = void (*)(const std::uint8_t* c, const std::int8_t* d,
                                      const std::int8_t* e, std::size_t n,
                                      std::int64_t out[4]) noexcept;
/* Reference loop. */
void scalar_query_sums_u8(const std::uint8_t* c, const std::int8_t* d, const std::int8_t* e,
                          std::size_t n, std::int64_t out[4]) noexcept;
/* The VNNI kernel, or nullptr when its file was not compiled with -mavx512vnni. */
query_sums_u8_kernel avx512vnni_query_sums_u8() noexcept;
/* The kernel in use: VNNI exactly when active_dot_u8() is, else the reference. */
query_sums_u8_kernel active_query_sums_u8() noexcept;

/* ---- dispatch (distance.cpp) ---- */

/* The kernel set for isa, or nullptr if it is not compiled into this build. */
const KernelSet* kernels_for(Isa isa) noexcept;
/* True if both the CPU and the operating system support isa. */
bool isa_supported(Isa isa) noexcept;
/* Preference of an instruction set within its architecture (higher = better). */
int isa_rank(Isa isa) noexcept;
/* The best instruction set that is compiled in and supported here. */
Isa best_isa() noexcept;
/* Name of an instruction set ("scalar", "sse2", ...). */
const char* isa_name(Isa isa) noexcept;
/* Parses an OMEN_SIMD value (case-insensitive); false if name is null or unknown. */
bool parse_isa(const char* name, Isa* out) noexcept;
/* The set the dispatcher picks when OMEN_SIMD has the value forced (may be null):
 * the forced one if it is known, compiled in, supported and not above
 * best_isa(), otherwise best_isa(). */
Isa select_isa(const char* forced) noexcept;
/* The kernel set in use, chosen once on first call (thread-safe). */
const KernelSet& active() noexcept;

}  // namespace omendb::simd

#endif /* OMENDB_DISTANCE_HPP */
