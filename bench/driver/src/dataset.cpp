/*
 * dataset.cpp — Fashion-MNIST reader and synthetic generator (see dataset.hpp).
 *
 * The idx3 files are gzip-compressed; rather than add a zlib dependency the
 * reader runs `gzip -dc` (gzip is on every Debian machine) through popen and
 * checks both the header (magic 2051, count, 28x28) and gzip's exit status.
 */
#include "dataset.hpp"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace omenbench {

namespace {

uint64_t mix64(uint64_t h, uint64_t v) noexcept {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

uint64_t hash_floats(uint64_t h, const std::vector<float>& v) noexcept {
    std::size_t n = v.size();
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint64_t w;
        std::memcpy(&w, &v[i], 8);
        h = mix64(h, w);
    }
    if (i < n) {
        uint32_t w;
        std::memcpy(&w, &v[i], 4);
        h = mix64(h, w);
    }
    return h;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

/* Reads up to `want` images (0 = all) from one idx3 .gz file into out (as floats). */
std::size_t read_idx3_gz(const std::string& path, std::size_t want, std::vector<float>& out,
                         std::size_t& dims) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
        throw std::runtime_error("Fashion-MNIST file " + path +
                                 " is missing: install Debian's dataset-fashion-mnist package "
                                 "(bench/run.sh does) or pass --data-dir");
    std::string cmd = "gzip -dc " + shell_quote(path);
    FILE* f = popen(cmd.c_str(), "r");
    if (f == nullptr) throw std::runtime_error("cannot run: " + cmd);
    auto closer = [](FILE* p) { return pclose(p); };
    std::unique_ptr<FILE, decltype(closer)> guard(f, closer);

    unsigned char h[16];
    if (std::fread(h, 1, 16, f) != 16) throw std::runtime_error(path + ": short idx3 header");
    auto be = [&](int off) {
        return (uint32_t{h[off]} << 24) | (uint32_t{h[off + 1]} << 16) | (uint32_t{h[off + 2]} << 8) |
               uint32_t{h[off + 3]};
    };
    uint32_t magic = be(0), n = be(4), r = be(8), c = be(12);
    if (magic != 2051) throw std::runtime_error(path + ": not an idx3 image file (bad magic)");
    if (r == 0 || c == 0 || r * c > 16000) throw std::runtime_error(path + ": bad image size");
    dims = std::size_t{r} * c;
    std::size_t take = want == 0 ? n : want;
    if (take > n)
        throw std::runtime_error(path + " holds " + std::to_string(n) + " images, " +
                                 std::to_string(take) + " asked for");
    out.resize(take * dims);
    std::vector<unsigned char> buf(dims);
    for (std::size_t i = 0; i < take; ++i) {
        if (std::fread(buf.data(), 1, dims, f) != dims)
            throw std::runtime_error(path + ": truncated after " + std::to_string(i) + " images");
        for (std::size_t j = 0; j < dims; ++j) out[i * dims + j] = static_cast<float>(buf[j]);
    }
    /* Drain the rest so gzip exits normally (and has checked the CRC when reading all). */
    while (std::fread(buf.data(), 1, buf.size(), f) > 0) {
    }
    int status = pclose(guard.release());
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("gzip -dc " + path + " failed (corrupt file?)");
    return take;
}

/* xoshiro256** seeded through splitmix64. */
class Rng {
public:
    explicit Rng(uint64_t seed) noexcept {
        for (auto& w : s_) {
            seed += 0x9e3779b97f4a7c15ULL;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            w = z ^ (z >> 31);
        }
    }
    uint64_t next() noexcept {
        uint64_t result = rotl(s_[1] * 5, 7) * 9;
        uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /* Uniform in [0, 1) with 53 random bits. */
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /* Standard normal (Box-Muller, both values used). */
    double normal() noexcept {
        if (have_spare_) {
            have_spare_ = false;
            return spare_;
        }
        double u1 = 1.0 - uniform(); /* (0, 1] */
        double u2 = uniform();
        double rad = std::sqrt(-2.0 * std::log(u1));
        spare_ = rad * std::sin(2.0 * M_PI * u2);
        have_spare_ = true;
        return rad * std::cos(2.0 * M_PI * u2);
    }
    uint64_t below(uint64_t n) noexcept { return static_cast<uint64_t>(uniform() * static_cast<double>(n)); }

private:
    static uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    uint64_t s_[4];
    bool have_spare_ = false;
    double spare_ = 0;
};

void fill(Rng& rng, const SyntheticSpec& s, const std::vector<float>& centres, float* out,
          std::size_t n) {
    const std::size_t d = s.dims;
    for (std::size_t i = 0; i < n; ++i) {
        float* v = out + i * d;
        if (s.distribution == "uniform") {
            for (std::size_t j = 0; j < d; ++j) v[j] = static_cast<float>(rng.uniform());
        } else if (s.distribution == "gaussian") {
            for (std::size_t j = 0; j < d; ++j) v[j] = static_cast<float>(rng.normal());
        } else {
            const float* c = centres.data() + rng.below(s.clusters) * d;
            for (std::size_t j = 0; j < d; ++j)
                v[j] = c[j] + static_cast<float>(s.cluster_std * rng.normal());
        }
    }
}

}  // namespace

uint64_t Dataset::fingerprint() const noexcept {
    uint64_t h = mix64(mix64(mix64(0x6f6d656e62656e63ULL, dims), rows), nqueries);
    h = hash_floats(h, base);
    return hash_floats(h, queries);
}

Dataset load_fashion_mnist(const std::string& dir, std::size_t rows, std::size_t nqueries) {
    Dataset ds;
    ds.name = "fashion-mnist";
    std::size_t d1 = 0, d2 = 0;
    ds.rows = read_idx3_gz(dir + "/train-images-idx3-ubyte.gz", rows, ds.base, d1);
    ds.nqueries = read_idx3_gz(dir + "/t10k-images-idx3-ubyte.gz", nqueries, ds.queries, d2);
    if (d1 != d2) throw std::runtime_error("Fashion-MNIST train and test images differ in size");
    ds.dims = d1;
    ds.key = "fashion-mnist-" + std::to_string(ds.rows) + "x" + std::to_string(ds.dims) + "-q" +
             std::to_string(ds.nqueries);
    ds.description = "Fashion-MNIST (ann-benchmarks fashion-mnist-784-euclidean): " +
                     std::to_string(ds.rows) + " train images as base, " +
                     std::to_string(ds.nqueries) + " test images as queries, " +
                     std::to_string(ds.dims) + " dims";
    ds.params = {{"source", dir}};
    return ds;
}

Dataset make_synthetic(const SyntheticSpec& s) {
    if (s.distribution != "uniform" && s.distribution != "gaussian" && s.distribution != "clusters")
        throw std::runtime_error("unknown distribution \"" + s.distribution +
                                 "\" (uniform, gaussian or clusters)");
    if (s.rows == 0 || s.dims == 0 || s.dims > 16000 || s.nqueries == 0)
        throw std::runtime_error("synthetic data needs rows > 0, queries > 0 and 1..16000 dims");
    if (s.distribution == "clusters" && s.clusters == 0)
        throw std::runtime_error("--clusters must be at least 1");
    Dataset ds;
    ds.name = "synthetic";
    ds.dims = s.dims;
    ds.rows = s.rows;
    ds.nqueries = s.nqueries;
    std::vector<float> centres;
    if (s.distribution == "clusters") {
        Rng crng(s.seed ^ 0xc1u);
        centres.resize(s.clusters * s.dims);
        for (auto& x : centres) x = static_cast<float>(crng.normal());
    }
    ds.base.resize(s.rows * s.dims);
    ds.queries.resize(s.nqueries * s.dims);
    Rng brng(s.seed);
    fill(brng, s, centres, ds.base.data(), s.rows);
    Rng qrng(s.seed ^ 0x5175657279ULL); /* "Query" */
    fill(qrng, s, centres, ds.queries.data(), s.nqueries);

    std::string dist = s.distribution;
    if (dist == "clusters") {
        char std_buf[32];
        std::snprintf(std_buf, sizeof std_buf, "%g", s.cluster_std);
        dist += std::to_string(s.clusters) + "s" + std_buf;
    }
    ds.key = "synthetic-" + dist + "-" + std::to_string(s.rows) + "x" + std::to_string(s.dims) +
             "-q" + std::to_string(s.nqueries) + "-seed" + std::to_string(s.seed);
    ds.description = "synthetic " + s.distribution + ": " + std::to_string(s.rows) + " x " +
                     std::to_string(s.dims) + " base, " + std::to_string(s.nqueries) +
                     " queries from the same distribution, seed " + std::to_string(s.seed);
    ds.params = {{"distribution", s.distribution}, {"seed", std::to_string(s.seed)}};
    if (s.distribution == "clusters") {
        ds.params.push_back({"clusters", std::to_string(s.clusters)});
        char b[32];
        std::snprintf(b, sizeof b, "%g", s.cluster_std);
        ds.params.push_back({"cluster_std", b});
    }
    return ds;
}

}  // namespace omenbench
