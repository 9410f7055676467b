/*
 * dataset.hpp — the vectors a benchmark run uses, held in memory.
 *
 * Two sources:
 *   fashion-mnist  the ann-benchmarks fashion-mnist-784-euclidean set, read
 *                  from Debian's dataset-fashion-mnist files: the first `rows`
 *                  of the 60,000 training images are the base vectors and the
 *                  first `queries` of the 10,000 test images the queries
 *                  (pixel values 0..255 as floats, 784 dimensions).
 *   synthetic      seeded pseudo-random data: `uniform` in [0,1)^dims,
 *                  `gaussian` N(0, I), or `clusters`, a mixture of `clusters`
 *                  Gaussian blobs (centres N(0, I), spread cluster_std).  The
 *                  queries are drawn from the same distribution with their own
 *                  stream of the same seed.  The generator (xoshiro256** with
 *                  Box-Muller) is written out here rather than taken from
 *                  <random>, whose distributions differ between standard
 *                  libraries, so a seed means the same data everywhere.
 *
 * `key` names the data exactly (source, sizes, seed, distribution) and keys
 * the ground-truth cache; `fingerprint()` hashes the actual floats so a stale
 * cache can never be used by mistake.
 */
#ifndef OMENBENCH_DATASET_HPP
#define OMENBENCH_DATASET_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace omenbench {

struct Dataset {
    std::string name;         /* "fashion-mnist" or "synthetic" */
    std::string key;          /* unique description, usable in a file name */
    std::string description;  /* one human line */
    std::size_t dims = 0;
    std::size_t rows = 0;     /* base vectors */
    std::size_t nqueries = 0;
    std::vector<float> base;     /* rows * dims, row-major */
    std::vector<float> queries;  /* nqueries * dims */

    /* Parameters as (name, value) text pairs for the results file. */
    std::vector<std::pair<std::string, std::string>> params;

    const float* row(std::size_t i) const noexcept { return base.data() + i * dims; }
    const float* query(std::size_t i) const noexcept { return queries.data() + i * dims; }

    /* 64-bit hash of dims, rows, nqueries and every float. */
    uint64_t fingerprint() const noexcept;
};

/* Reads Fashion-MNIST from dir (train- and t10k-images-idx3-ubyte.gz); rows 0 means all. */
Dataset load_fashion_mnist(const std::string& dir, std::size_t rows, std::size_t nqueries);

struct SyntheticSpec {
    std::size_t rows = 1000000;
    std::size_t dims = 128;
    std::size_t nqueries = 1000;
    std::string distribution = "clusters";  /* uniform | gaussian | clusters */
    std::size_t clusters = 100;
    double cluster_std = 0.5;
    uint64_t seed = 42;
};

Dataset make_synthetic(const SyntheticSpec& spec);

}  // namespace omenbench

#endif /* OMENBENCH_DATASET_HPP */
