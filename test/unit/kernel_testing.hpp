/*
 * kernel_testing.hpp — what the kernel tests (test_distance.cpp for float
 * vectors, test_half.cpp for half-stored ones) share: the kernel sets to run
 * on this machine, the dimensions to check, the double reference and the
 * error bound derived at the top of test_distance.cpp, and memory that ends
 * (or starts) at an inaccessible page.
 */
#ifndef OMENDB_TEST_KERNEL_TESTING_HPP
#define OMENDB_TEST_KERNEL_TESTING_HPP

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "omendb/distance.hpp"

namespace omendb::simd {
/* Lets GoogleTest print an Isa by name. */
inline void PrintTo(Isa isa, std::ostream* os) {
    *os << isa_name(isa);
}
}  // namespace omendb::simd

namespace omendb::kernel_testing {

using omendb::simd::Isa;

inline constexpr Isa k_all_isas[] = {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512, Isa::neon};

/* Every kernel set that is compiled in and may run on this machine. */
inline std::vector<Isa> runnable_isas() {
    std::vector<Isa> v;
    for (Isa isa : k_all_isas)
        if (omendb::simd::kernels_for(isa) != nullptr && omendb::simd::isa_supported(isa))
            v.push_back(isa);
    return v;
}

/* Printable name of a kernel set for parameterised tests. */
inline std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) {
    return omendb::simd::isa_name(info.param);
}

/* The dimensions every kernel is checked at: 0..300, then block boundaries and large sizes. */
inline std::vector<std::size_t> test_dims() {
    std::vector<std::size_t> d;
    for (std::size_t n = 0; n <= 300; ++n) d.push_back(n);
    for (std::size_t n : {511, 512, 513, 1000, 1536, 2048, 4095, 4096, 8191, 16000}) d.push_back(n);
    return d;
}

/* An exact-ish reference: the value in double and the sum of absolute terms. */
struct reference {
    double value = 0.0;
    double abs_sum = 0.0;
};

/* The error bound derived at the top of test_distance.cpp. */
inline double tolerance(std::size_t n, double abs_sum) {
    return (static_cast<double>(n) + 2.0) * FLT_EPSILON * abs_sum +
           4.0 * (static_cast<double>(n) + 1.0) * FLT_MIN;
}

/* Asserts that a kernel result is finite and within the bound of the reference. */
inline ::testing::AssertionResult within(float got, const reference& r, std::size_t n) {
    const double tol = tolerance(n, r.abs_sum);
    const double err = std::fabs(static_cast<double>(got) - r.value);
    if (std::isfinite(got) && err <= tol) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << ", expected " << r.value << " +- "
                                         << tol << " (error " << err << ", n " << n << ")";
}

/* Page-aligned memory between two inaccessible pages: any read outside faults. */
class guarded_region {
  public:
    /* Room for at least `bytes` bytes between two PROT_NONE pages. */
    explicit guarded_region(std::size_t bytes) {
        page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        data_bytes_ = std::max(page_, ((bytes + page_ - 1) / page_) * page_);
        total_ = data_bytes_ + 2 * page_;
        void* p = mmap(nullptr, total_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return;
        base_ = static_cast<char*>(p);
        if (mprotect(base_ + page_, data_bytes_, PROT_READ | PROT_WRITE) != 0) {
            munmap(base_, total_);
            base_ = nullptr;
        }
    }
    ~guarded_region() {
        if (base_ != nullptr) munmap(base_, total_);
    }
    guarded_region(const guarded_region&) = delete;
    guarded_region& operator=(const guarded_region&) = delete;

    bool ok() const { return base_ != nullptr; }
    /* An array of T starting right after the leading guard page. */
    template <class T>
    T* at_start() const {
        return reinterpret_cast<T*>(base_ + page_);
    }
    /* n elements of T ending right before the trailing guard page. */
    template <class T>
    T* at_end(std::size_t n) const {
        return reinterpret_cast<T*>(base_ + page_ + data_bytes_) - n;
    }

  private:
    std::size_t page_ = 0, data_bytes_ = 0, total_ = 0;
    char* base_ = nullptr;
};

}  // namespace omendb::kernel_testing

#endif  // OMENDB_TEST_KERNEL_TESTING_HPP
