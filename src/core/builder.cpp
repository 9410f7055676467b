/*
 * builder.cpp — OmenBuilder: parallel construction of an in-memory HNSW
 * graph (Malkov & Yashunin 2018) for CREATE INDEX.
 *
 * What.  The backend thread add()s vectors; each gets the next dense node id
 * (the locality order later renumbers some, see below),
 * a slot in the layout of omendb.h (see graph.hpp) and a level drawn from a
 * seeded splitmix64 stream (Algorithm 1, line 4).  Worker threads take ids in
 * order from an atomic counter and link each node into the graph with
 * Algorithm 1 (INSERT): a greedy descent with ef = 1 through the levels above
 * the node's own, then at each of its levels SEARCH-LAYER (Algorithm 2, via
 * search_state) with ef_construction, SELECT-NEIGHBORS-HEURISTIC
 * (Algorithm 4, select.hpp) keeping at most m, the node's own list written,
 * and a reverse link added to each chosen neighbour.  A list that would
 * overflow (2m at level 0, m above) re-runs the heuristic over its entries
 * plus the new ones and keeps that selection, as hnswlib does.  The ef best of a
 * level serve as the entry points of the level below (Algorithm 1, line 10).
 * With one worker the nodes are linked in the link order, so the graph is a
 * pure function of the inputs and the seed.
 *
 * Link order.  OMEN_LINK_ORDER_ARRIVAL links in id order, while the vectors
 * still arrive.  OMEN_LINK_ORDER_LOCALITY links a seeded random tenth of the
 * nodes (the skeleton) as they arrive and holds the rest back; when adding
 * is finished, wait() groups those by their nearest of k1 nodes already in
 * the link order and then, within each group, of k2 of its own members
 * (k1 * k2 ~ one group per thousand nodes, at most 1,024), and queues them
 * group after group.  An insert then searches where the previous ones did,
 * so the nodes it reads are mostly still in the CPU caches.  Before any is
 * linked the held-back nodes are also renumbered (slot, copy and upper-list
 * offset moved, cycle by cycle of the permutation) so that the link order is
 * their id order: a group's nodes then lie side by side in memory too.  At a
 * million 128-dim vectors the build runs at twice the arrival order's speed
 * (core_bench --link-order: 25,033 against 12,101 vectors/s; the grouping
 * alone gave 20,059) with recall at equal ef_search as good or better.  The
 * skeleton, inserted in random order first, keeps the long-range links a
 * purely grouped order would lack.
 * Early chunks: with two workers or more, add() groups and queues what is
 * held back so far (at least 4,096 nodes; at most 2^18 nodes and 2^25
 * vector elements, the oldest first) whenever the workers have linked
 * everything queued.  On wide vectors the heap scan of CREATE INDEX is the
 * slower side (Fashion-MNIST: 1.2-1.5 s for 57,000 rows, the skeleton
 * linked in 0.3 s of it), and the idle core then links chunks instead of
 * waiting for the end.  Chunks depend on timing, so one worker (whose graph
 * must be a function of the inputs) gets none.
 * The grouping measures with between() and runs in slices of at most 50 ms
 * in the thread that calls wait() (the backend), so a cancel is seen
 * between slices (an early chunk is grouped at once, inside add(): its
 * bound keeps that under a quarter of a second); its draws come from their
 * own seeded stream, and a slice boundary never changes them, so the order
 * does not depend on timing (early chunks aside).
 *
 * Measure and formats.  Where the int8 copies are used (uses_int8_copies)
 * every distance of the construction is between copies, so the slots need
 * not hold float vectors: they hold the index's page format
 * (params.slot_storage), which the shim then writes out as is.
 *
 * Locking (hnswlib's scheme for writers, minus its lock held across a
 * whole insert; readers take no lock).
 *   - Link lists: 2^16 striped spinlocks, a hash of the node id.  A thread
 *     holds at most one at a time (so stripes shared by two ids cannot
 *     deadlock) and changes a list only under its lock, each entry with a
 *     release store; a search copies a list with acquire loads and no lock
 *     (copy_links: it may see a list half changed, which a search
 *     tolerates).  Every change is a merge
 *     (merge_links), never an overwrite: a node of level L > 0 is reachable
 *     at its lower levels (as an entry point from above) before its own lists
 *     there are written, so other threads may already have linked to it;
 *     those links are kept, duplicates skipped, and an overflowing list is
 *     pruned with Algorithm 4 like any full neighbour list.  The greedy
 *     descent moves only to nodes flagged OMEN_NODE_COMPLETE, because its
 *     single result is the sole entry point of the next level, and a node
 *     still being inserted may have no links there yet (hnswlib instead
 *     holds the new node's lock for its whole insertion, which blocks such
 *     readers).
 *   - Entry point and maximum level: entry_mutex_.  A node whose level
 *     exceeds the current maximum keeps the mutex for its whole insertion
 *     and then becomes the entry point; others only read the pair under it.
 *   - Publication: add() writes the slot, then stores added_ and, for a
 *     node to be linked now, queued_ (seq_cst, so release).  Workers load
 *     queued_ with acquire before claiming a position of the link order, so
 *     a node is linked only after its slot is completely written; the
 *     grouped rest is published the same way, by one store of queued_, and
 *     ordered_ says that the order is complete.
 *   - While adding goes on, only threads - 1 workers (at least one) link, in
 *     either link order: the backend's heap scan keeps a core of its own;
 *     the others wait on work_cv_ for finish_adding().
 *   - Idle workers sleep on work_cv_; add() notifies only when a sleeper is
 *     registered (a seq_cst store/load pair rules out the lost wake-up, and
 *     the sleep also has a timeout).  wait() sleeps on done_cv_, which every
 *     completion, error and cancel notifies while holding done_mutex_.
 *   - cancel() sets stop_; workers check it between two inserts.  Any
 *     exception inside a worker is caught, recorded (first one wins), stops
 *     the build, and is reported by wait() as a status and message.
 *
 * Memory.  Slots, upper lists, per-node upper offsets and the distances
 * of the level-0 links are vm_regions (reserved address space, committed in
 * steps, never moving), and so are the compact copies where the build keeps
 * them.  memory_used counts slots, copies, link distances and upper lists,
 * exactly what
 * omen_builder_bytes_per_node estimates and memory_limit bounds; the level is
 * drawn before the limit check and kept for the next add() when the node is
 * refused, so OMEN_FULL adds nothing and does not perturb the level stream.
 * Per-worker scratch (search_state, candidate and list buffers) is sized
 * once per worker and reused, so inserts do not allocate after warm-up.
 * The locks, offsets and scratch are not counted in memory_used.
 */
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "omendb/distance.hpp"
#include "omendb/graph.hpp"
#include "omendb/search.hpp"
#include "omendb/select.hpp"

namespace omendb {

namespace {

constexpr size_t kTiB = size_t(1) << 40;
constexpr size_t kCommitStep = size_t(4) << 20; /* grow committed ranges by 4 MiB at least */
constexpr uint32_t kLockStripes = 1u << 16;
constexpr uint32_t kMaxThreads = 1024;
constexpr uint64_t kMaxNodes = OMEN_INVALID_NODE; /* ids 0 .. 2^32 - 2 */
constexpr uint64_t kSkeletonEvery = 10;   /* locality order: one node in ten links at once */
constexpr uint64_t kNodesPerGroup = 1000; /* locality order: target group size */
constexpr uint64_t kMaxGroups = 1024;     /* locality order: at most this many groups */
constexpr uint64_t kMinGrouped = 4096;    /* fewer held-back nodes are queued in id order */
/* add() groups an early chunk at once, so its size is bounded twice: per node (sorting, moving,
 * k1 + k2 distances) and per vector element (the distances) */
constexpr uint64_t kMaxEarlyChunk = uint64_t(1) << 18;
constexpr uint64_t kMaxEarlyChunkElements = uint64_t(1) << 25;
constexpr uint32_t kOrderSliceMs = 50; /* longest grouping slice inside one wait() */
constexpr size_t kOrderBytesPerNode = sizeof(uint32_t) + sizeof(uint64_t); /* order_ + held_ */

/* Rounds n up to a multiple of the power of two a. */
size_t round_up(size_t n, size_t a) noexcept {
    return (n + a - 1) & ~(a - 1);
}

/* testing::force_int8_copies() */
std::atomic<bool> g_force_int8_copies{false};
/* testing::full_pruning() */
std::atomic<bool> g_full_pruning{false};

/* Lets a spinning hyperthread give way to its sibling. */
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit state, good enough for levels. */
uint64_t splitmix64(uint64_t& state) noexcept {
    uint64_t z = (state += UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Fills err (if any) with a status and a message; returns the status. */
OmenStatus set_error(OmenError* err, OmenStatus status, const char* message) noexcept {
    if (err != nullptr) {
        err->status = status;
        std::snprintf(err->message, sizeof(err->message), "%s", message);
    }
    return status;
}

/* True if a build with p keeps int8 copies for its searches: asked for, a metric the copies' dot
 * product serves, and a CPU with a fast 8-bit dot product (else they would be slower). */
bool uses_int8_copies(const OmenBuildParams& p) noexcept {
    return p.search_storage == OMEN_STORAGE_INT8 && p.metric != OMEN_METRIC_L1 &&
           (simd::fast_dot_u8() || g_force_int8_copies.load(std::memory_order_relaxed));
}

/* The format the slots will keep vectors in: float unless only the copies are measured. */
OmenStorage effective_slot_storage(const OmenBuildParams& p) noexcept {
    return uses_int8_copies(p) ? p.slot_storage : OMEN_STORAGE_FLOAT4;
}

/* Validates build parameters; returns a message or nullptr if they are fine. */
const char* check_params(const OmenBuildParams* p) noexcept {
    if (p == nullptr) return "build parameters are NULL";
    if (p->dims == 0 || p->dims > OMEN_MAX_DIMS) return "dimensions must be between 1 and 16000";
    if (p->m < OMEN_MIN_M || p->m > OMEN_MAX_M) return "m must be between 2 and 100";
    if (p->ef_construction == 0) return "ef_construction must be at least 1";
    if (omen_index_distance(p->metric) == nullptr) return "unknown distance metric";
    if (p->search_storage != OMEN_STORAGE_FLOAT4 && p->search_storage != OMEN_STORAGE_INT8)
        return "search storage must be float4 or int8";
    if (p->link_order != OMEN_LINK_ORDER_ARRIVAL && p->link_order != OMEN_LINK_ORDER_LOCALITY)
        return "link order must be arrival or locality";
    if (omen_stored_size(p->slot_storage, 1) == 0) return "unknown slot storage";
    return nullptr;
}

} /* namespace */

/* ---------------------------------------------------------------- vm_region */

/* Reserves address space (PROT_NONE, uncharged), halving the request until the kernel accepts it.
 */
bool vm_region::reserve(size_t bytes, size_t min_bytes) noexcept {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));

    release();
    bytes = round_up(std::max<size_t>(bytes, page), page);
    min_bytes = round_up(std::max<size_t>(std::min(min_bytes, bytes), page), page);
    for (;;) {
        void* p =
            mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

        if (p != MAP_FAILED) {
#ifdef MADV_HUGEPAGE
            /* Transparent huge pages where the system allows them per region (Linux's default
             * "madvise" mode): the workers touch link lists and copies at random all over
             * these regions, and with 4 KB pages most of those touches also miss the TLB.  A
             * hint only; at worst each region's RSS rounds up to 2 MB, and where the kernel
             * compacts memory on such faults ("defrag" = madvise) a fragmented machine may make
             * a fault slower. */
            (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
            base_ = static_cast<uint8_t*>(p);
            reserved_ = bytes;
            committed_ = 0;
            return true;
        }
        if (bytes <= min_bytes) return false;
        bytes = std::max(min_bytes, round_up(bytes / 2, page));
    }
}

/* Makes the first bytes usable; grows by at least kCommitStep or an eighth so mprotect stays rare.
 */
bool vm_region::commit(size_t bytes) noexcept {
    if (bytes <= committed_) return true;
    if (bytes > reserved_) return false;

    size_t target = std::max({bytes, committed_ + kCommitStep, committed_ + committed_ / 8});

    target = std::min(round_up(target, kCommitStep), reserved_);
    if (mprotect(base_ + committed_, target - committed_, PROT_READ | PROT_WRITE) != 0) {
        /* maybe the step was too greedy: try exactly what is needed */
        const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));

        target = std::min(round_up(bytes, page), reserved_);
        if (mprotect(base_ + committed_, target - committed_, PROT_READ | PROT_WRITE) != 0)
            return false;
    }
    committed_ = target;
    return true;
}

/* Unmaps the range. */
void vm_region::release() noexcept {
    if (base_ != nullptr) munmap(base_, reserved_);
    base_ = nullptr;
    reserved_ = 0;
    committed_ = 0;
}

/* ------------------------------------------------------------------ builder */

/* Scratch owned by one worker, sized once, reused for every insert. */
/*
 * The head of a compact copy (OmenBuildParams.search_storage = int8): the
 * codes c[i] follow, x[i] ~ lo + step * c[i] as in the int8 page format;
 * sum = sum c[i] and norm2 = sum (lo + step * c[i])^2 (in double) let the
 * distance between two copies come from one exact integer dot product.
 */
struct code_head {
    float lo;
    float step;
    uint32_t sum;
    uint32_t unused;
    double norm2;
};

struct worker_scratch {
    search_state search;
    std::vector<OmenCandidate> found; /* SEARCH-LAYER result, ascending */
    uint32_t found_n = 0;
    std::vector<OmenCandidate> entry; /* entry points for the next level */
    uint32_t entry_n = 0;
    std::vector<uint32_t> list;        /* copy of one link list */
    std::vector<uint32_t> kept;        /* indices chosen by Algorithm 4 */
    std::vector<OmenCandidate> prune;  /* a full list plus the new node */
    std::vector<OmenCandidate> chosen; /* the new node's neighbours at one level */
    std::vector<int8_t> query_codes;   /* the searched node's codes minus 128, padded to 64 */
    std::vector<int32_t> dots;         /* batch products, one per fresh neighbour */
    std::vector<const uint8_t*> rows;  /* their codes */
};

class builder {
  public:
    /* Records parameters; init() does the fallible work. */
    explicit builder(const OmenBuildParams& p) noexcept;

    /* Stops and joins the workers; the regions unmap themselves. */
    ~builder() { stop_and_join(); }

    /* Reserves the regions and the lock stripes. */
    OmenStatus init(OmenError* err);

    /* Appends one node (backend thread only). */
    OmenStatus add(const float* vector, const uint8_t payload[6], OmenError* err);

    /* Starts the worker threads (once). */
    OmenStatus start(uint32_t threads, OmenError* err);

    /* No more add()s. */
    void finish_adding() noexcept;

    /* Waits for completion, an error or the timeout. */
    OmenStatus wait(uint32_t timeout_ms, OmenBuildProgress* progress, OmenError* err) noexcept;

    /* Asks the workers to stop after their current insert. */
    void cancel() noexcept;

    /* Cancels and joins all workers. */
    void stop_and_join() noexcept;

    /* Links level-0 nodes that nothing links to (once, after the last insert). */
    void link_orphans() noexcept;

    /* Nodes added. */
    uint32_t count() const noexcept {
        return static_cast<uint32_t>(added_.load(std::memory_order_acquire));
    }

    /* Bytes per slot. */
    uint32_t slot_size() const noexcept { return g_.slot_size; }
    OmenStorage slot_storage() const noexcept { return slot_storage_; }

    /* Entry point, or OMEN_INVALID_NODE. */
    uint32_t entry_point() const noexcept {
        std::lock_guard<std::mutex> lk(entry_mutex_);
        return entry_;
    }

    /* Top level of the graph, -1 when empty. */
    int max_level() const noexcept {
        std::lock_guard<std::mutex> lk(entry_mutex_);
        return max_level_;
    }

    /* Slot of node id, nullptr if out of range. */
    const uint8_t* node(uint32_t id) const noexcept { return id < count() ? g_.slot(id) : nullptr; }

    /* Upper list of node id at level, nullptr if it has none there. */
    const uint32_t* upper_links(uint32_t id, uint32_t level) const noexcept {
        if (id >= count() || level == 0 || level > g_.header(id)->level) return nullptr;
        return g_.links(id, level);
    }

  private:
    /* Thread body: claims ids and inserts them until done, cancelled or failed. */
    void worker_main(uint32_t index) noexcept;

    /* Claims the next node id, sleeping while none is available; false when the worker should exit.
     */
    bool claim(uint32_t index, uint32_t& id);

    /* Locality order: groups and queues the chunk of held-back nodes until done (true) or
     * deadline. */
    bool order_some(std::chrono::steady_clock::time_point deadline);

    /* Locality order: makes held()[chunk_lo_ .. + n) the chunk order_some() works on. */
    void open_chunk(uint64_t n) noexcept {
        chunk_n_ = n;
        order_first_ = queued_.load(std::memory_order_relaxed);
        order_stage_ = 0;
    }

    /* Locality order: index in centres_ of the centre nearest to node id. */
    uint32_t nearest_centre(uint32_t id) const noexcept;

    /* Locality order: fills centres_ with k distinct ids drawn from ids[0..n). */
    template <typename IdAt>
    void draw_centres(uint64_t n, uint32_t k, IdAt&& id_at);

    /* Locality order, renumbering held nodes before any is linked: while they wait, the first
     * link-distance entry of a held node (unused until it is linked) says which node moves into
     * its id, OMEN_INVALID_NODE once one has. */
    uint32_t move_source(uint32_t id) const noexcept {
        uint32_t v;
        std::memcpy(&v, link_distances(id), sizeof v);
        return v;
    }
    void set_move_source(uint32_t id, uint32_t src) const noexcept {
        std::memcpy(link_distances(id), &src, sizeof src);
    }

    /* Where everything of an unlinked node lives: slot (header, payload, lists, vector), compact
     * copy, upper-list offset.  parked() is the one node a renumbering cycle holds aside. */
    struct node_parts {
        uint8_t* slot;
        uint8_t* code;
        uint64_t* upper;
    };
    node_parts parts(uint32_t id) noexcept { return {g_.slot(id), code(id), &g_.upper_offset[id]}; }
    node_parts parked() noexcept {
        return {parked_node_.data(), parked_node_.data() + g_.slot_size, &parked_upper_};
    }
    void copy_node(node_parts to, node_parts from) const noexcept {
        std::memcpy(to.slot, from.slot, g_.slot_size);
        if (code_size_ > 0) std::memcpy(to.code, from.code, code_size_);
        *to.upper = *from.upper;
    }

    /* Locality order: the link order (uint32 ids) and the held-back nodes ((key << 32) | id). */
    uint32_t* order() const noexcept { return reinterpret_cast<uint32_t*>(order_region_.data()); }
    uint64_t* held() const noexcept { return reinterpret_cast<uint64_t*>(held_region_.data()); }

    /* Algorithm 1 (INSERT) for node q. */
    void insert(uint32_t q, worker_scratch& s);

    /* Algorithm 2 with ef = 1 in its greedy form: walk to closer neighbours at level until none is
     * closer. */
    void greedy_descend(uint32_t q, OmenCandidate& cur, uint32_t level, worker_scratch& s);

    /* Algorithm 2 (SEARCH-LAYER) at level from s.entry, result ascending in s.found. */
    void search_layer(uint32_t q, uint32_t level, worker_scratch& s);

    /* Algorithm 1 lines 8-17: choose q's neighbours at level from s.found, write both directions.
     */
    void connect(uint32_t q, uint32_t level, worker_scratch& s);

    /* Merges candidates into node's list at level, pruning with Algorithm 4 on overflow; add_stable
     * says add[] is itself a choice of Algorithm 4 (see stable_prefix()). */
    void merge_links(uint32_t node, uint32_t level, const OmenCandidate* add, uint32_t k,
                     worker_scratch& s, bool add_stable = false);

    /*
     * How many entries at the front of node's level-0 list are a choice of
     * Algorithm 4 (ascending, none closer to an earlier one than to the node)
     * with nothing inserted among them since: the rest were appended later.
     * Kept in the header's reserved field while building (cleared when the
     * build completes), read and written under the node's lock.  merge_links()
     * uses it to skip the heuristic's distances between two such entries,
     * whose outcome it already knows.
     */
    uint16_t& stable_prefix(uint32_t node) const noexcept { return g_.header(node)->reserved; }

    /* The distances of node's level-0 links to it (entry j for links(node, 0)[j]), so that a
     * pruning need not measure them again; written with the list, under the node's lock. */
    float* link_distances(uint32_t node) const noexcept {
        return reinterpret_cast<float*>(dist_region_.data()) + static_cast<size_t>(node) * 2 * g_.m;
    }

    /* The compact copy of node id's vector (when search_storage is not float4). */
    uint8_t* code(uint32_t id) const noexcept {
        return code_region_.data() + static_cast<size_t>(id) * code_size_;
    }

    /* Writes node id's compact copy of vector (backend thread), taking the codes from the int8
     * page format in its slot when there is one. */
    void encode_copy(uint32_t id, const float* vector, const uint8_t* int8_slot) noexcept;

    /* The index distance between the compact copies of nodes a and b: from the exact integer dot
     * product of their codes and each copy's range, sum and squared norm (see code_head). */
    float code_distance(uint32_t a, uint32_t b) const noexcept {
        return code_distance_from(
            a, b, code_dot_(code(a) + sizeof(code_head), code(b) + sizeof(code_head), g_.dims));
    }

    /* The same from the integer dot product of a's and b's codes, however it was computed. */
    float code_distance_from(uint32_t a, uint32_t b, uint32_t codes_dot) const noexcept {
        if (a > b) std::swap(a, b); /* the same rounding whichever way round it is asked */
        code_head ha, hb;
        std::memcpy(&ha, code(a), sizeof ha);
        std::memcpy(&hb, code(b), sizeof hb);
        const double cd = static_cast<double>(codes_dot);
        const double dot = static_cast<double>(g_.dims) * ha.lo * hb.lo +
                           static_cast<double>(ha.lo) * hb.step * hb.sum +
                           static_cast<double>(hb.lo) * ha.step * ha.sum +
                           static_cast<double>(ha.step) * hb.step * cd;
        if (params_.metric == OMEN_METRIC_L2) {
            const double d = ha.norm2 + hb.norm2 - 2.0 * dot;
            return static_cast<float>(d > 0.0 ? d : 0.0);
        }
        return static_cast<float>(-dot);
    }

    /* The distance between nodes a and b in the construction's one measure (searches, neighbour
     * selection, pruning): between compact copies when the build keeps them, else exact. */
    float between(uint32_t a, uint32_t b) const noexcept {
        return code_dot_ != nullptr ? code_distance(a, b)
                                    : dist_(g_.vector(a), g_.vector(b), g_.dims);
    }

    /* Where the search reads node id's vector (for prefetching). */
    const void* measured(uint32_t id) const noexcept {
        return code_dot_ != nullptr ? static_cast<const void*>(code(id))
                                    : static_cast<const void*>(g_.vector(id));
    }

    /* Copies node id's list at level into out, without its lock; returns its length. */
    uint32_t copy_links(uint32_t id, uint32_t level, uint32_t* out) noexcept;

    /* Writes one entry of a list (under its node's lock) for copy_links() to read. */
    static void store_link(uint32_t* at, uint32_t id) noexcept {
        __atomic_store_n(at, id, __ATOMIC_RELEASE);
    }

    /* Node id's lock stripe: a Fibonacci hash, so that neighbouring ids (which the locality
     * order has both workers change at once) fall on different cache lines of locks_; with the
     * plain low bits 64 consecutive ids shared one (bench/core Fashion-MNIST: 46,589 / 43,696 /
     * 45,282 / 45,316 against 40,458 / 42,436 / 40,718 / 45,732 vectors/s). */
    static uint32_t stripe(uint32_t id) noexcept {
        static_assert(kLockStripes == 1u << 16, "the hash keeps the top 16 bits");
        return (id * 0x9E3779B1u) >> 16;
    }

    /* Takes node id's stripe lock. */
    void lock_node(uint32_t id) noexcept {
        std::atomic<uint8_t>& l = locks_[stripe(id)];
        unsigned spins = 0;

        while (l.exchange(1, std::memory_order_acquire) != 0) {
            while (l.load(std::memory_order_relaxed) != 0) {
                if (++spins < 128)
                    cpu_relax();
                else
                    std::this_thread::yield();
            }
        }
    }

    /* Releases node id's stripe lock. */
    void unlock_node(uint32_t id) noexcept {
        locks_[stripe(id)].store(0, std::memory_order_release);
    }

    /* Records the first worker failure and stops the build. */
    void record_error(OmenStatus status, const char* message) noexcept;

    /* Wakes wait() (state must already be updated). */
    void notify_done() noexcept;

    /* Wakes sleeping workers (state must already be updated). */
    void notify_workers(bool all) noexcept;

    /* True when every added node is linked and no more will come. */
    bool complete() const noexcept {
        return finished_.load(std::memory_order_acquire) &&
               inserted_.load(std::memory_order_acquire) == added_.load(std::memory_order_acquire);
    }

    OmenBuildParams params_;
    OmenDistanceFn dist_ = nullptr;
    simd::dot_u8_kernel code_dot_ = nullptr; /* set when the searches measure compact copies */
    simd::dot_s8u8_batch_kernel code_batch_ = nullptr; /* with it: one copy against several */
    uint32_t prefetch_bytes_ = 0; /* of a measured vector, prefetched before measuring (<= 1 KB) */
    uint32_t code_size_ = 0;      /* bytes of one compact copy */
    OmenStorage slot_storage_ = OMEN_STORAGE_FLOAT4; /* format of the slots' vectors */
    uint32_t ef_construction_ = 0;
    bool full_pruning_ = false; /* testing::full_pruning(): measure everything when pruning */
    graph_view g_;

    vm_region slot_region_;
    vm_region upper_region_;
    vm_region offset_region_;
    vm_region dist_region_;  /* the distance of every level-0 link to its node, beside the lists */
    vm_region code_region_;  /* compact copies of the vectors, when search_storage asks */
    vm_region order_region_; /* locality order: ids in link order */
    vm_region held_region_;  /* locality order: held-back nodes and their group keys */
    std::unique_ptr<std::atomic<uint8_t>[]> locks_;

    /* backend-thread state */
    uint64_t rng_state_ = 0;
    int pending_level_ = -1;  /* drawn but not yet used */
    uint64_t upper_used_ = 0; /* uint32 entries of the upper pool in use */
    uint64_t max_nodes_ = 0;
    bool started_ = false;
    std::vector<std::thread> threads_;

    /* locality order, backend thread (see order_some) */
    bool locality_ = false;
    uint64_t order_rng_ = 0;      /* skeleton draws */
    uint64_t centre_rng_ = 0;     /* centre draws (their own: early chunks come with timing) */
    uint64_t held_n_ = 0;         /* nodes held back */
    uint64_t chunk_lo_ = 0;       /* held()[chunk_lo_ .. held_n_) are not yet queued */
    uint64_t chunk_n_ = 0;        /* the chunk being grouped: held()[chunk_lo_ .. + chunk_n_) */
    uint64_t order_first_ = 0;    /* ... and its first position in the link order */
    bool early_chunks_ = false;   /* chunks are grouped while adding (two workers or more) */
    uint32_t adding_workers_ = 1; /* workers that link while the backend still adds */
    int order_stage_ = 0;
    uint64_t order_pos_ = 0;
    uint32_t group_ = 0;         /* stage 2: current first-level group */
    int64_t centres_group_ = -1; /* stage 2: the group centres_ were drawn for */
    uint32_t k1_ = 0, k2_ = 0;
    std::vector<uint32_t> centres_;
    std::vector<uint64_t> group_start_;
    std::vector<uint8_t> parked_node_; /* stage 4: slot and copy of the node a cycle started from */
    uint64_t parked_upper_ = 0;
    bool cycle_open_ = false;
    uint32_t cycle_start_ = 0, cycle_cur_ = 0;
    /* shared state */
    std::atomic<uint64_t> added_{0};
    std::atomic<uint64_t> next_{0};    /* next position of the link order to claim */
    std::atomic<uint64_t> queued_{0};  /* positions of the link order published */
    std::atomic<bool> ordered_{false}; /* the link order holds every node */
    std::atomic<uint64_t> inserted_{0};
    std::atomic<size_t> memory_used_{0};
    std::atomic<bool> finished_{false};
    std::atomic<bool> stop_{false};
    std::atomic<bool> cancelled_{false};
    std::atomic<uint32_t> sleepers_{0};

    mutable std::mutex entry_mutex_;
    uint32_t entry_ = OMEN_INVALID_NODE;
    bool orphans_linked_ = false; /* link_orphans() ran (backend thread only) */
    int max_level_ = -1;

    std::mutex work_mutex_;
    std::condition_variable work_cv_;

    std::mutex done_mutex_;
    std::condition_variable done_cv_;
    OmenStatus error_status_ = OMEN_OK; /* under done_mutex_ */
    char error_message_[OMEN_ERROR_MESSAGE_LEN] = {0};
};

/* Records parameters and resolves the distance function once. */
builder::builder(const OmenBuildParams& p) noexcept : params_(p) {
    dist_ = omen_index_distance(p.metric);
    if (uses_int8_copies(p)) {
        code_dot_ = simd::active_dot_u8();
        code_batch_ = simd::active_dot_s8u8_batch();
        code_size_ = static_cast<uint32_t>(sizeof(code_head)) + ((p.dims + 7u) & ~7u);
    }
    ef_construction_ = std::max(p.ef_construction, p.m);
    full_pruning_ = g_full_pruning.load(std::memory_order_relaxed);
    prefetch_bytes_ = std::min<uint32_t>(code_size_ > 0 ? code_size_ : 4u * p.dims, 1024u);
    g_.m = p.m;
    g_.dims = p.dims;
    /* Slots in a compact format only when between() never reads them (g_.vector() would be
     * wrong): that is the copies' condition, so both follow uses_int8_copies. */
    slot_storage_ = effective_slot_storage(p);
    g_.slot_size = omen_slot_size(slot_storage_, p.m, p.dims);
    rng_state_ = p.seed;
    locality_ = p.link_order == OMEN_LINK_ORDER_LOCALITY;
    order_rng_ = p.seed ^ UINT64_C(0x9E3779B97F4A7C15);
    centre_rng_ = p.seed ^ UINT64_C(0xC2B2AE3D27D4EB4F);
}

/* Reserves the three regions (sized from memory_limit, else capped address ranges) and the lock
 * stripes. */
OmenStatus builder::init(OmenError* err) {
    const size_t slot = g_.slot_size;
    const size_t list_bytes = static_cast<size_t>(g_.m) * sizeof(uint32_t);
    const size_t dist_bytes = 2 * static_cast<size_t>(g_.m) * sizeof(float);
    size_t slot_bytes;
    size_t upper_bytes;

    const size_t order_bytes = locality_ ? kOrderBytesPerNode : 0;

    if (params_.memory_limit > 0) {
        max_nodes_ = std::min<uint64_t>(
            params_.memory_limit / (slot + code_size_ + dist_bytes + order_bytes), kMaxNodes);
        slot_bytes = max_nodes_ * slot;
        upper_bytes =
            std::min<size_t>(params_.memory_limit, max_nodes_ * list_bytes * OMEN_MAX_LEVEL);
    } else {
        max_nodes_ = std::min<uint64_t>(kTiB / slot, kMaxNodes);
        slot_bytes = max_nodes_ * slot;
        upper_bytes = std::min<size_t>(kTiB, max_nodes_ * list_bytes * OMEN_MAX_LEVEL);
    }
    const size_t floor_bytes = size_t(64) << 20;

    if (!slot_region_.reserve(slot_bytes, floor_bytes) ||
        !upper_region_.reserve(upper_bytes, floor_bytes) ||
        !offset_region_.reserve(max_nodes_ * sizeof(uint64_t), floor_bytes) ||
        !dist_region_.reserve(max_nodes_ * dist_bytes, floor_bytes) ||
        (code_size_ > 0 && !code_region_.reserve(max_nodes_ * code_size_, floor_bytes)) ||
        (locality_ && (!order_region_.reserve(max_nodes_ * sizeof(uint32_t), floor_bytes) ||
                       !held_region_.reserve(max_nodes_ * sizeof(uint64_t), floor_bytes))))
        return set_error(err, OMEN_ERR_OUT_OF_MEMORY,
                         "could not reserve address space for the index build graph");
    if (locality_) {
        max_nodes_ = std::min<uint64_t>(max_nodes_, order_region_.reserved() / sizeof(uint32_t));
        max_nodes_ = std::min<uint64_t>(max_nodes_, held_region_.reserved() / sizeof(uint64_t));
    }
    if (code_size_ > 0)
        max_nodes_ = std::min<uint64_t>(max_nodes_, code_region_.reserved() / code_size_);
    max_nodes_ = std::min<uint64_t>(max_nodes_, slot_region_.reserved() / slot);
    max_nodes_ = std::min<uint64_t>(max_nodes_, offset_region_.reserved() / sizeof(uint64_t));
    max_nodes_ = std::min<uint64_t>(max_nodes_, dist_region_.reserved() / dist_bytes);

    locks_.reset(new std::atomic<uint8_t>[kLockStripes]);
    for (uint32_t i = 0; i < kLockStripes; i++) locks_[i].store(0, std::memory_order_relaxed);

    g_.slots = slot_region_.data();
    g_.upper_pool = reinterpret_cast<uint32_t*>(upper_region_.data());
    g_.upper_offset = reinterpret_cast<uint64_t*>(offset_region_.data());
    return OMEN_OK;
}

/* Writes the next slot (header, empty links, vector), its upper lists and publishes it; OMEN_FULL
 * adds nothing. */
OmenStatus builder::add(const float* vector, const uint8_t payload[6], OmenError* err) {
    if (finished_.load(std::memory_order_relaxed))
        return set_error(err, OMEN_ERR_INVALID_ARGUMENT,
                         "omen_builder_add called after omen_builder_finish_adding");
    if (stop_.load(std::memory_order_relaxed))
        return set_error(err, OMEN_ERR_CANCELLED, "index build was stopped");

    const uint64_t id = added_.load(std::memory_order_relaxed);

    if (pending_level_ < 0) {
        const double u = static_cast<double>((splitmix64(rng_state_) >> 11) + 1) * 0x1.0p-53;

        pending_level_ = random_level(g_.m, u);
    }

    const uint32_t level = static_cast<uint32_t>(pending_level_);
    const uint64_t upper_entries = static_cast<uint64_t>(level) * g_.m;
    const size_t need = g_.slot_size + code_size_ + 2 * g_.m * sizeof(float) +
                        upper_entries * sizeof(uint32_t) + (locality_ ? kOrderBytesPerNode : 0);
    const size_t used = memory_used_.load(std::memory_order_relaxed);

    if (params_.memory_limit > 0 && used + need > params_.memory_limit) return OMEN_FULL;
    if (id >= max_nodes_ ||
        (upper_used_ + upper_entries) * sizeof(uint32_t) > upper_region_.reserved())
        return set_error(err, OMEN_ERR_LIMIT,
                         "index build graph exceeds its address-space reservation");
    if (!slot_region_.commit((id + 1) * g_.slot_size) ||
        !offset_region_.commit((id + 1) * sizeof(uint64_t)) ||
        !dist_region_.commit((id + 1) * 2 * g_.m * sizeof(float)) ||
        !upper_region_.commit((upper_used_ + upper_entries) * sizeof(uint32_t)) ||
        (code_size_ > 0 && !code_region_.commit((id + 1) * code_size_)) ||
        (locality_ && (!order_region_.commit((id + 1) * sizeof(uint32_t)) ||
                       !held_region_.commit((id + 1) * sizeof(uint64_t)))))
        return set_error(err, OMEN_ERR_OUT_OF_MEMORY,
                         "out of memory growing the index build graph");

    const uint32_t nid = static_cast<uint32_t>(id);
    uint8_t* slot = g_.slot(nid);
    OmenNodeHeader hdr;

    std::memset(&hdr, 0, sizeof(hdr));
    std::memcpy(hdr.payload, payload, sizeof(hdr.payload));
    hdr.level = static_cast<uint8_t>(level);
    std::memcpy(slot, &hdr, sizeof(hdr));
    std::fill_n(g_.links(nid, 0), 2 * g_.m, OMEN_INVALID_NODE);
    uint8_t* stored = slot + OMEN_VECTOR_OFFSET(g_.m);

    if (slot_storage_ == OMEN_STORAGE_FLOAT4)
        std::memcpy(stored, vector, sizeof(float) * g_.dims);
    else
        omen_stored_encode(slot_storage_, params_.metric, vector, g_.dims, stored);
    if (code_size_ > 0)
        encode_copy(nid, vector, slot_storage_ == OMEN_STORAGE_INT8 ? stored : nullptr);
    g_.upper_offset[nid] = upper_used_;
    std::fill_n(g_.upper_pool + upper_used_, upper_entries, OMEN_INVALID_NODE);
    upper_used_ += upper_entries;
    pending_level_ = -1;
    memory_used_.store(used + need, std::memory_order_relaxed);

    added_.store(id + 1, std::memory_order_seq_cst);
    if (locality_ && id > 0 && splitmix64(order_rng_) % kSkeletonEvery != 0) {
        held()[held_n_++] = id; /* linked later, in its group */
        /* the workers ran out of work while rows still arrive: group what is held back now (the
         * oldest part of it, if that is too much to group at once) */
        if (early_chunks_ && held_n_ - chunk_lo_ >= kMinGrouped &&
            next_.load(std::memory_order_acquire) >= queued_.load(std::memory_order_relaxed)) {
            open_chunk(std::min({held_n_ - chunk_lo_, kMaxEarlyChunk,
                                 std::max<uint64_t>(kMaxEarlyChunkElements / g_.dims, kMinGrouped)}));
            try {
                order_some(std::chrono::steady_clock::time_point::max());
            } catch (const std::bad_alloc&) {
                record_error(OMEN_ERR_OUT_OF_MEMORY, "out of memory ordering the index build");
                return set_error(err, OMEN_ERR_OUT_OF_MEMORY,
                                 "out of memory ordering the index build");
            }
            chunk_lo_ += chunk_n_;
        }
        return OMEN_OK;
    }

    /* publish: seq_cst pairs with the sleeper registration in claim() */
    const uint64_t pos = queued_.load(std::memory_order_relaxed);

    if (locality_) order()[pos] = nid;
    queued_.store(pos + 1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) != 0) notify_workers(false);
    return OMEN_OK;
}

/* Starts the workers; on a thread-creation failure stops those already running. */
OmenStatus builder::start(uint32_t threads, OmenError* err) {
    if (started_)
        return set_error(err, OMEN_ERR_INVALID_ARGUMENT, "omen_builder_start called twice");
    if (threads == 0 || threads > kMaxThreads)
        return set_error(err, OMEN_ERR_INVALID_ARGUMENT,
                         "number of build threads must be between 1 and 1024");
    started_ = true;
    try {
        threads_.reserve(threads);
        /* with one worker the link order, hence the graph, must not depend on timing */
        early_chunks_ = locality_ && threads > 1;
        adding_workers_ = std::max<uint32_t>(threads - 1, 1);
        for (uint32_t i = 0; i < threads; i++)
            threads_.emplace_back(&builder::worker_main, this, i);
    } catch (...) {
        stop_and_join();
        return set_error(err, OMEN_ERR_OUT_OF_MEMORY, "could not start index build threads");
    }
    return OMEN_OK;
}

/* Declares the input complete and wakes everybody who may be waiting for that. */
void builder::finish_adding() noexcept {
    if (finished_.load(std::memory_order_relaxed)) return; /* a second call must not reopen */
    if (!locality_) ordered_.store(true, std::memory_order_seq_cst);
    if (locality_) open_chunk(held_n_ - chunk_lo_); /* the last chunk, grouped by wait() */
    finished_.store(true, std::memory_order_seq_cst);
    notify_workers(true);
    notify_done();
}

/* Sleeps on done_cv_ until complete, failed, cancelled or timed out; maps the outcome to a status.
 */
OmenStatus builder::wait(uint32_t timeout_ms, OmenBuildProgress* progress,
                         OmenError* err) noexcept {
    OmenStatus status = OMEN_PENDING;
    bool ordering = false; /* the locality order is still being made: no sleeping */

    if (locality_ && started_ && finished_.load(std::memory_order_acquire) &&
        !ordered_.load(std::memory_order_acquire) && !stop_.load(std::memory_order_acquire)) {
        const auto slice =
            std::chrono::milliseconds(std::max<uint32_t>(1, std::min(timeout_ms, kOrderSliceMs)));

        try {
            ordering = !order_some(std::chrono::steady_clock::now() + slice);
        } catch (const std::bad_alloc&) {
            record_error(OMEN_ERR_OUT_OF_MEMORY, "out of memory ordering the index build");
        }
    }

    {
        std::unique_lock<std::mutex> lk(done_mutex_);
        auto settled = [this] {
            return error_status_ != OMEN_OK || cancelled_.load() || complete() ||
                   (!started_ && added_.load() > 0);
        };

        try {
            if (!ordering) done_cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), settled);
        } catch (...) {
            /* std::system_error from the wait: fall through and report what we know */
        }
        if (error_status_ != OMEN_OK)
            status = set_error(err, error_status_, error_message_);
        else if (cancelled_.load())
            status = set_error(err, OMEN_ERR_CANCELLED, "index build was cancelled");
        else if (complete())
            status = OMEN_OK;
        else if (!started_ && added_.load() > 0)
            status = set_error(err, OMEN_ERR_INVALID_ARGUMENT,
                               "omen_builder_wait called before omen_builder_start");
    }
    if (status == OMEN_OK && !orphans_linked_) {
        link_orphans();
        orphans_linked_ = true;
        /* the slots leave in the page format: reserved is 0 there */
        for (uint32_t id = 0, n = count(); id < n; id++) stable_prefix(id) = 0;
    }
    if (progress != nullptr) {
        progress->added = added_.load(std::memory_order_acquire);
        progress->inserted = inserted_.load(std::memory_order_acquire);
        progress->memory_used = memory_used_.load(std::memory_order_relaxed);
        progress->grouping = locality_ && !ordered_.load(std::memory_order_acquire) ? 1u : 0u;
    }
    return status;
}

/*
 * HNSW's pruning can leave a node that no other node links to on level 0:
 * a search could then never reach it (hnswlib measures about 0.1% of nodes).
 * Once every node is inserted (the workers are idle, so no locks are
 * needed), each such node is linked from the nearest of its own neighbours
 * or theirs:
 * appended if that list has room, else in place of the farthest entry that
 * still has another in-link, so no node becomes unreachable in its place.
 * Deterministic; on allocation failure the graph is left as it was.
 */
void builder::link_orphans() noexcept {
    const uint32_t n = count();
    const uint32_t cap = g_.capacity(0);
    const uint32_t entry = entry_point();

    if (n < 2) return;
    try {
        std::vector<uint16_t> indegree(n, 0);

        for (uint32_t id = 0; id < n; id++) {
            const uint32_t* list = g_.links(id, 0);

            for (uint32_t i = 0; i < cap && list[i] != OMEN_INVALID_NODE; i++)
                if (indegree[list[i]] < UINT16_MAX) indegree[list[i]]++;
        }
        for (uint32_t id = 0; id < n; id++) {
            if (indegree[id] > 0 || id == entry) continue;

            /*
             * Hosts to try, nearest first: its own neighbours and theirs (a
             * near-duplicate's neighbours are often full hubs, so one hop is
             * not always enough).
             */
            const uint32_t* own = g_.links(id, 0);
            std::vector<uint32_t> hosts;

            for (uint32_t i = 0; i < cap && own[i] != OMEN_INVALID_NODE; i++) {
                const uint32_t* two = g_.links(own[i], 0);

                hosts.push_back(own[i]);
                for (uint32_t j = 0; j < cap && two[j] != OMEN_INVALID_NODE; j++)
                    if (two[j] != id) hosts.push_back(two[j]);
            }
            std::sort(hosts.begin(), hosts.end());
            hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());

            std::vector<OmenCandidate> near;
            for (uint32_t h : hosts) near.push_back(OmenCandidate{between(id, h), h});
            std::sort(near.begin(), near.end(), candidate_less());
            for (const OmenCandidate& c : near) {
                uint32_t* list = g_.links(c.id, 0);
                uint32_t len = 0;

                while (len < cap && list[len] != OMEN_INVALID_NODE) len++;
                if (len < cap) {
                    list[len] = id;
                    indegree[id]++;
                    break;
                }
                /* replace the farthest entry that has another in-link */
                int victim = -1;
                float worst = -std::numeric_limits<float>::infinity();

                for (uint32_t i = 0; i < cap; i++) {
                    if (indegree[list[i]] < 2 || list[i] == entry) continue;
                    const float d = between(c.id, list[i]);

                    if (d > worst) {
                        worst = d;
                        victim = static_cast<int>(i);
                    }
                }
                if (victim >= 0) {
                    indegree[list[victim]]--;
                    list[victim] = id;
                    indegree[id]++;
                    break;
                }
            }
        }
    } catch (...) {
        /* out of memory: keep the graph as HNSW built it */
    }
}

/* Sets the stop flags and wakes workers and waiters. */
void builder::cancel() noexcept {
    cancelled_.store(true, std::memory_order_seq_cst);
    stop_.store(true, std::memory_order_seq_cst);
    notify_workers(true);
    notify_done();
}

/* Stops the workers (if any) and joins them. */
void builder::stop_and_join() noexcept {
    if (threads_.empty()) return;
    stop_.store(true, std::memory_order_seq_cst);
    notify_workers(true);
    for (std::thread& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
    notify_done();
}

/* Keeps the first failure and stops everybody. */
void builder::record_error(OmenStatus status, const char* message) noexcept {
    {
        std::lock_guard<std::mutex> lk(done_mutex_);

        if (error_status_ == OMEN_OK) {
            error_status_ = status;
            std::snprintf(error_message_, sizeof(error_message_), "%s", message);
        }
        stop_.store(true, std::memory_order_seq_cst);
    }
    notify_workers(true);
    done_cv_.notify_all();
}

/* Locks and unlocks done_mutex_ so a waiter cannot miss the change, then notifies. */
void builder::notify_done() noexcept {
    { std::lock_guard<std::mutex> lk(done_mutex_); }
    done_cv_.notify_all();
}

/* Same for sleeping workers. */
void builder::notify_workers(bool all) noexcept {
    { std::lock_guard<std::mutex> lk(work_mutex_); }
    if (all)
        work_cv_.notify_all();
    else
        work_cv_.notify_one();
}

/* Claims the next id once it is published; sleeps (registered in sleepers_) while the backend is
 * behind. */
bool builder::claim(uint32_t index, uint32_t& id) {
    if (index >= adding_workers_ && !finished_.load(std::memory_order_acquire)) {
        /* while the backend adds, one core is its own; finish_adding() and stops wake us (not
         * counted in sleepers_, so that add() need not) */
        std::unique_lock<std::mutex> lk(work_mutex_);

        while (!finished_.load(std::memory_order_seq_cst) && !stop_.load(std::memory_order_seq_cst))
            work_cv_.wait_for(lk, std::chrono::milliseconds(20));
    }
    for (;;) {
        if (stop_.load(std::memory_order_acquire)) return false;

        uint64_t n = next_.load(std::memory_order_relaxed);

        if (n < queued_.load(std::memory_order_acquire)) {
            if (next_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) {
                id = locality_ ? order()[n] : static_cast<uint32_t>(n);
                return true;
            }
            continue;
        }
        if (ordered_.load(std::memory_order_acquire)) {
            if (n < queued_.load(std::memory_order_acquire)) continue;
            return false;
        }

        std::unique_lock<std::mutex> lk(work_mutex_);

        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        if (queued_.load(std::memory_order_seq_cst) <= n &&
            !ordered_.load(std::memory_order_seq_cst) && !stop_.load(std::memory_order_seq_cst))
            work_cv_.wait_for(lk, std::chrono::milliseconds(20));
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    }
}

/*
 * The locality order's grouping (see the file comment), resumable: stage 0
 * sizes the groups and draws k1 skeleton nodes as first-level centres; stage
 * 1 keys every held-back node with its nearest (bits 48..63) and sorts; stage
 * 2 draws k2 centres among each group's members and keys the members with
 * their nearest (bits 32..47); stage 3 sorts by (group, subgroup, id) and
 * publishes them after the skeleton.  A draw happens once per stage or group
 * whatever the slicing, so the result depends on the inputs and seed only.
 */
bool builder::order_some(std::chrono::steady_clock::time_point deadline) {
    uint64_t* h = held() + chunk_lo_;
    const uint64_t n = chunk_n_;
    const uint64_t first = order_first_;
    auto out_of_time = [&deadline](uint64_t i) {
        return (i & 63) == 0 && std::chrono::steady_clock::now() >= deadline;
    };

    while (!stop_.load(std::memory_order_acquire)) {
        switch (order_stage_) {
            case 0: {
                if (n < kMinGrouped) { /* too few to gain: id order, which they are in */
                    order_stage_ = 3;
                    break;
                }
                const uint64_t groups =
                    std::min(std::max<uint64_t>(n / kNodesPerGroup, 1), kMaxGroups);

                k1_ = 1;
                while (uint64_t(k1_) * k1_ < groups) k1_++;
                k2_ = static_cast<uint32_t>((groups + k1_ - 1) / k1_);
                k1_ = static_cast<uint32_t>(std::min<uint64_t>(k1_, first));
                draw_centres(first, k1_, [this](uint64_t i) { return order()[i]; });
                order_pos_ = 0;
                order_stage_ = 1;
                break;
            }
            case 1:
                for (; order_pos_ < n; order_pos_++) {
                    if (out_of_time(order_pos_)) return false;
                    const uint32_t id = static_cast<uint32_t>(h[order_pos_]);

                    h[order_pos_] = (uint64_t(nearest_centre(id)) << 48) | id;
                }
                std::sort(h, h + n);
                group_start_.assign(k1_ + 1, n);
                for (uint64_t i = n; i-- > 0;) group_start_[h[i] >> 48] = i;
                for (uint32_t g = k1_; g-- > 0;) /* empty groups start where the next one does */
                    group_start_[g] = std::min(group_start_[g], group_start_[g + 1]);
                group_ = 0;
                centres_group_ = -1;
                order_pos_ = group_start_[0];
                order_stage_ = 2;
                break;
            case 2:
                for (; group_ < k1_; group_++) {
                    const uint64_t a = group_start_[group_], b = group_start_[group_ + 1];

                    if (centres_group_ != group_) {
                        draw_centres(
                            b - a, static_cast<uint32_t>(std::min<uint64_t>(k2_, b - a)),
                            [h, a](uint64_t i) { return static_cast<uint32_t>(h[a + i]); });
                        centres_group_ = group_;
                        order_pos_ = a;
                    }
                    for (; order_pos_ < b; order_pos_++) {
                        if (out_of_time(order_pos_)) return false;
                        h[order_pos_] |=
                            uint64_t(nearest_centre(static_cast<uint32_t>(h[order_pos_]))) << 32;
                    }
                }
                order_stage_ = 3;
                break;
            case 3: {
                /* L = the held ids in link order, P = the same ids ascending: the node at L[i]
                 * moves to id P[i], so that they are linked in id order, neighbours in memory */
                std::sort(h, h + n);
                for (uint64_t i = 0; i < n; i++) order()[first + i] = static_cast<uint32_t>(h[i]);
                for (uint64_t i = 0; i < n; i++) h[i] = order()[first + i];
                std::sort(h, h + n);
                for (uint64_t i = 0; i < n; i++)
                    set_move_source(static_cast<uint32_t>(h[i]), order()[first + i]);
                parked_node_.resize(g_.slot_size + code_size_);
                cycle_open_ = false;
                order_pos_ = 0;
                order_stage_ = 4;
                break;
            }
            case 4:
                /* the permutation, cycle by cycle; a cycle may be cut by the deadline and resumed
                 */
                while (cycle_open_ || order_pos_ < n) {
                    if (!cycle_open_) {
                        if (out_of_time(order_pos_)) return false;

                        const uint32_t start = static_cast<uint32_t>(h[order_pos_++]);
                        const uint32_t src = move_source(start);

                        if (src == OMEN_INVALID_NODE) continue; /* moved in an earlier cycle */
                        set_move_source(start, OMEN_INVALID_NODE);
                        if (src == start) continue;
                        copy_node(parked(), parts(start));
                        copy_node(parts(start), parts(src));
                        cycle_start_ = start;
                        cycle_cur_ = src;
                        cycle_open_ = true;
                    }
                    for (uint32_t moves = 1;; moves++) {
                        if (out_of_time(moves)) return false;

                        const uint32_t cur = cycle_cur_;
                        const uint32_t src = move_source(cur);

                        set_move_source(cur, OMEN_INVALID_NODE);
                        if (src == cycle_start_) {
                            copy_node(parts(cur), parked());
                            cycle_open_ = false;
                            break;
                        }
                        copy_node(parts(cur), parts(src));
                        cycle_cur_ = src;
                    }
                }
                order_stage_ = 5;
                break;
            case 5: {
                for (uint64_t i = 0; i < n; i++) order()[first + i] = static_cast<uint32_t>(h[i]);
                /* queued_ first: a worker that sees ordered_ must see every position */
                queued_.store(first + n, std::memory_order_seq_cst);
                if (finished_.load(std::memory_order_relaxed))
                    ordered_.store(true, std::memory_order_seq_cst);
                notify_workers(true);
                order_stage_ = 6;
                return true;
            }
            default:
                return true;
        }
    }
    return false;
}

/* Index in centres_ of the centre nearest to id (the first of equals). */
uint32_t builder::nearest_centre(uint32_t id) const noexcept {
    uint32_t best = 0;
    float best_d = std::numeric_limits<float>::infinity();

    for (uint32_t c = 0; c < centres_.size(); c++) {
        const float d = between(id, centres_[c]);

        if (d < best_d) best_d = d, best = c;
    }
    return best;
}

/* k distinct ids drawn (seeded, by rejection: k is at most 32) from id_at(0 .. n-1). */
template <typename IdAt>
void builder::draw_centres(uint64_t n, uint32_t k, IdAt&& id_at) {
    centres_.clear();
    while (centres_.size() < k) {
        const uint32_t id = id_at(splitmix64(centre_rng_) % n);

        if (std::find(centres_.begin(), centres_.end(), id) == centres_.end())
            centres_.push_back(id);
    }
}

/* Sizes the scratch, then inserts claimed nodes; turns any exception into a recorded build error.
 */
void builder::worker_main(uint32_t index) noexcept {
    try {
        worker_scratch s;
        const uint32_t cap0 = 2 * g_.m;

        s.found.resize(ef_construction_);
        s.entry.resize(ef_construction_);
        s.list.resize(cap0);
        s.kept.resize(cap0 + g_.m);
        s.prune.resize(cap0 + g_.m);
        s.chosen.resize(cap0);
        s.dots.resize(cap0);
        s.rows.resize(cap0);
        if (code_batch_ != nullptr) s.query_codes.assign((g_.dims + 63u) & ~63u, 0);

        uint32_t id;

        while (claim(index, id)) {
            insert(id, s);

            const uint64_t done = inserted_.fetch_add(1, std::memory_order_acq_rel) + 1;

            if (finished_.load(std::memory_order_acquire) &&
                done == added_.load(std::memory_order_acquire))
                notify_done();
        }
    } catch (const std::bad_alloc&) {
        record_error(OMEN_ERR_OUT_OF_MEMORY, "out of memory in an index build thread");
    } catch (const std::exception& e) {
        std::string msg = std::string("index build thread failed: ") + e.what();

        record_error(OMEN_ERR_INTERNAL, msg.c_str());
    } catch (...) {
        record_error(OMEN_ERR_INTERNAL, "index build thread failed");
    }
    notify_done();
}

/* The int8 page format's quantizer (storage.cpp) gives lo, step and the codes; the sums follow.
 * The page format's err is not needed here, so it is not computed. */
void builder::encode_copy(uint32_t id, const float* vector, const uint8_t* int8_slot) noexcept {
    uint8_t* out = code(id);
    uint8_t* codes = out + sizeof(code_head);
    code_head h;

    if (int8_slot != nullptr) {
        /* the page format's codes are the same quantization: err, lo, step, codes */
        std::memcpy(&h.lo, int8_slot + 4, sizeof h.lo);
        std::memcpy(&h.step, int8_slot + 8, sizeof h.step);
        std::memcpy(codes, int8_slot + 12, g_.dims);
    } else
        simd::quantize_int8(vector, g_.dims, &h.lo, &h.step, codes);
    h.unused = 0;

    /* sum c, and sum (lo + step c)^2 = n lo^2 + 2 lo step sum c + step^2 sum c^2 in double from
     * the exact integer sums (sum c^2 by the code kernel, as code_distance measures) */
    uint64_t sum = 0;
    for (uint32_t i = 0; i < g_.dims; i++) sum += codes[i];
    const double sq = static_cast<double>(code_dot_(codes, codes, g_.dims));
    const double lo = h.lo, step = h.step;
    h.sum = static_cast<uint32_t>(sum);
    h.norm2 = static_cast<double>(g_.dims) * lo * lo + 2.0 * lo * step * static_cast<double>(sum) +
              step * step * sq;
    std::memcpy(out, &h, sizeof h);
    std::memset(codes + g_.dims, 0, code_size_ - sizeof h - g_.dims);
}

/* Algorithm 1: descend greedily to the node's level, then search, select and link at each of its
 * levels. */
void builder::insert(uint32_t q, worker_scratch& s) {
    const int level = g_.header(q)->level;
    std::unique_lock<std::mutex> top_lock(entry_mutex_);
    const uint32_t ep = entry_;
    const int top = max_level_;

    if (ep == OMEN_INVALID_NODE) {
        /* the first node: nothing to link to */
        entry_ = q;
        max_level_ = level;
        __atomic_store_n(&g_.header(q)->flags, uint8_t(OMEN_NODE_COMPLETE), __ATOMIC_RELEASE);
        return;
    }
    if (level <= top) top_lock.unlock(); /* a new top node keeps it until it is the entry point */

    OmenCandidate cur{between(q, ep), ep};

    for (int l = top; l > level; l--) greedy_descend(q, cur, static_cast<uint32_t>(l), s);

    s.entry[0] = cur;
    s.entry_n = 1;
    for (int l = std::min(level, top); l >= 0; l--) {
        search_layer(q, static_cast<uint32_t>(l), s);
        connect(q, static_cast<uint32_t>(l), s);
        std::swap(s.entry, s.found);
        s.entry_n = s.found_n;
    }

    if (level > top) {
        entry_ = q;
        max_level_ = level;
    }
    __atomic_store_n(&g_.header(q)->flags, uint8_t(OMEN_NODE_COMPLETE), __ATOMIC_RELEASE);
}

/* Greedy walk at one upper level (hnswlib's form of SEARCH-LAYER with ef = 1), over complete nodes
 * only. */
void builder::greedy_descend(uint32_t q, OmenCandidate& cur, uint32_t level, worker_scratch& s) {
    uint32_t* buf = s.list.data();
    bool changed = true;

    while (changed) {
        changed = false;

        const uint32_t n = copy_links(cur.id, level, buf);

        for (uint32_t i = 0; i < n; i++) {
            if (i + 1 < n) __builtin_prefetch(measured(buf[i + 1]));

            const float d = between(q, buf[i]);

            /* never descend into a node still being inserted: its lower lists may be empty */
            if (d < cur.distance && (__atomic_load_n(&g_.header(buf[i])->flags, __ATOMIC_ACQUIRE) &
                                     OMEN_NODE_COMPLETE)) {
                cur.distance = d;
                cur.id = buf[i];
                changed = true;
            }
        }
    }
}

/* Algorithm 2 from the s.entry nodes with ef_construction; q itself is pre-marked so it is never
 * its own neighbour. */
void builder::search_layer(uint32_t q, uint32_t level, worker_scratch& s) {
    search_state& st = s.search;
    uint32_t* buf = s.list.data();
    st.begin(ef_construction_, static_cast<uint32_t>(added_.load(std::memory_order_relaxed)),
             false);
    st.visit(q);
    for (uint32_t i = 0; i < s.entry_n; i++) {
        if (st.visit(s.entry[i].id)) st.offer(s.entry[i].id, s.entry[i].distance);
    }

    /* With compact copies every distance of this search is q's copy against another: q's codes
     * are flipped to signed once, and each round's fresh neighbours are measured four at a time
     * (the exact x . c = x . (c - 128) + 128 * sum x, so the distances are code_distance()'s). */
    const bool batched = code_batch_ != nullptr;
    if (batched) {
        const uint8_t* qc = code(q) + sizeof(code_head);
        for (uint32_t i = 0; i < g_.dims; i++) s.query_codes[i] = static_cast<int8_t>(qc[i] ^ 0x80u);
    }

    uint32_t c;

    while ((c = st.next()) != OMEN_INVALID_NODE) {
        const uint32_t n = copy_links(c, level, buf);
        uint32_t k = 0;

        /* The list most likely expanded next: its load overlaps this round's distances. */
        const uint32_t after = st.peek();
        if (after != OMEN_INVALID_NODE) __builtin_prefetch(g_.links(after, level));

        /* First the unvisited neighbours, each one's copy prefetched whole, then their
         * distances: the list's memory loads overlap instead of stalling one distance at a time
         * (+5-9% vectors/s on Fashion-MNIST in bench/core against prefetching one line ahead). */
        if (n > 0) st.prefetch_visit(buf[0]);
        for (uint32_t i = 0; i < n; i++) {
            const uint32_t nb = buf[i];

            if (i + 1 < n) st.prefetch_visit(buf[i + 1]);
            if (!st.visit(nb)) continue;
            buf[k++] = nb;
            const char* at = static_cast<const char*>(measured(nb));
            for (uint32_t b = 0; b < prefetch_bytes_; b += 64) __builtin_prefetch(at + b);
        }
        if (batched && k > 0) {
            for (uint32_t i = 0; i < k; i++) s.rows[i] = code(buf[i]) + sizeof(code_head);
            code_batch_(s.query_codes.data(), s.rows.data(), k, g_.dims, s.dots.data());
        }
        for (uint32_t i = 0; i < k; i++) {
            float d;

            if (batched) {
                code_head h;
                std::memcpy(&h, code(buf[i]), sizeof h);
                d = code_distance_from(q, buf[i],
                                       static_cast<uint32_t>(s.dots[i]) + 128u * h.sum);
            } else
                d = between(q, buf[i]);
            if (d < st.bound()) st.offer(buf[i], d);
        }
    }
    s.found_n = st.results(s.found.data(), ef_construction_);
}

/* Algorithm 1 lines 9-17: select up to m neighbours, merge them into q's list, then q into each of
 * theirs. */
void builder::connect(uint32_t q, uint32_t level, worker_scratch& s) {
    const OmenCandidate* found = s.found.data();
    uint32_t* kept = s.kept.data();

    const uint32_t n = select_neighbors_by(
        found, s.found_n,
        [this, found](uint32_t i, uint32_t k) noexcept {
            return between(found[i].id, found[k].id);
        },
        g_.m, kept);

    /* kept[] is reused by merge_links(), so keep the choice apart */
    OmenCandidate* chosen = s.chosen.data();

    for (uint32_t i = 0; i < n; i++) chosen[i] = found[kept[i]];

    merge_links(q, level, chosen, n, s, true);
    for (uint32_t i = 0; i < n; i++) {
        const OmenCandidate back{chosen[i].distance, q};

        merge_links(chosen[i].id, level, &back, 1, s);
    }
}

/*
 * Adds add[0..k) (distances to node) to node's list at level under its lock:
 * appended while there is room, duplicates skipped; on overflow Algorithm 4
 * over the list plus the new ones chooses what stays (hnswlib's pruning).
 *
 * On level 0 the pruning takes the list's distances to node from
 * link_distances() instead of measuring them, and skips the distances
 * between two entries of the list's stable prefix (stable_prefix()): such
 * an entry is never closer to an earlier one than to the node, so the
 * heuristic would keep comparing anyway.  Only distances that involve an
 * appended or a new entry are measured; the choice is exactly the one of
 * the full heuristic (testing::full_pruning() turns both off to show it).
 */
void builder::merge_links(uint32_t node, uint32_t level, const OmenCandidate* add, uint32_t k,
                          worker_scratch& s, bool add_stable) {
    const uint32_t cap = g_.capacity(level);
    OmenCandidate* p = s.prune.data();
    uint32_t* kept = s.kept.data();

    lock_node(node);
    uint32_t* list = g_.links(node, level);
    uint32_t n = 0;

    while (n < cap && list[n] != OMEN_INVALID_NODE) n++;

    /* the new ones not yet present (another thread may have linked them already) */
    uint32_t fresh = 0;

    for (uint32_t i = 0; i < k; i++) {
        bool present = add[i].id == node;

        for (uint32_t j = 0; j < n && !present; j++) present = list[j] == add[i].id;
        if (!present) p[cap + fresh++] = add[i];
    }
    if (n + fresh <= cap) {
        for (uint32_t i = 0; i < fresh; i++) store_link(list + n + i, p[cap + i].id);
        if (level == 0) {
            for (uint32_t i = 0; i < fresh; i++) link_distances(node)[n + i] = p[cap + i].distance;
            /* a choice of Algorithm 4 (less any duplicates) into an empty list is a stable prefix
             */
            if (n == 0 && add_stable) stable_prefix(node) = static_cast<uint16_t>(fresh);
        }
        unlock_node(node);
        return;
    }

    /* overflow: candidates = current list + fresh, sorted by distance to node */
    const bool known = level == 0 && !full_pruning_;
    const uint32_t stable = known ? std::min<uint32_t>(stable_prefix(node), n) : 0;
    uint64_t in_prefix = 0; /* bit j: p[j] is one of the stable prefix (n + fresh <= 64) */

    for (uint32_t j = 0; j < n; j++)
        p[j] = OmenCandidate{known ? link_distances(node)[j] : between(node, list[j]), list[j]};
    for (uint32_t i = 0; i < fresh; i++)
        p[n + i] = p[cap + i]; /* n <= cap: a forward move that never overlaps badly */
    std::sort(p, p + n + fresh, candidate_less());
    if (stable > 1 && n + fresh <= 64)
        for (uint32_t i = 0; i < n + fresh; i++)
            for (uint32_t j = 0; j < stable; j++)
                if (p[i].id == list[j]) {
                    in_prefix |= uint64_t(1) << i;
                    break;
                }

    const uint32_t kk = select_neighbors_by(
        p, n + fresh,
        [this, p, in_prefix](uint32_t i, uint32_t k) noexcept {
            if ((in_prefix >> i) & (in_prefix >> k) & 1u)
                return std::numeric_limits<float>::infinity();
            return between(p[i].id, p[k].id);
        },
        cap, kept);

    for (uint32_t i = 0; i < kk; i++) store_link(list + i, p[kept[i]].id);
    for (uint32_t i = kk; i < cap; i++) store_link(list + i, OMEN_INVALID_NODE);
    if (level == 0) {
        for (uint32_t i = 0; i < kk; i++) link_distances(node)[i] = p[kept[i]].distance;
        stable_prefix(node) = static_cast<uint16_t>(kk);
    }
    unlock_node(node);
}

/*
 * Copies a list for a search, without its node's lock: each entry is one acquire load, paired with
 * the release store (store_link) that wrote it, so whatever its writer saw of the node named there
 * (its slot and copy, published before it was linked) is seen here too.  A list being changed
 * meanwhile may come out as a mix of its old and new entries, or end early: every id read is a
 * node already being linked, and a search tolerates a duplicate (its visited set) or a missed entry,
 * as it does a link added a moment later.  Taking the stripe lock here made the readers of
 * neighbouring ids (the locality order has both threads working on nearby ones) write the same lock
 * lines over and over: bench/core Fashion-MNIST 35,700 vectors/s with the lock against 38,300
 * without (means of five alternating pairs).
 */
uint32_t builder::copy_links(uint32_t id, uint32_t level, uint32_t* out) noexcept {
    const uint32_t cap = g_.capacity(level);
    const uint32_t* list = g_.links(id, level);
    uint32_t n = 0;

    while (n < cap) {
        const uint32_t v = __atomic_load_n(list + n, __ATOMIC_ACQUIRE);

        if (v == OMEN_INVALID_NODE) break;
        out[n++] = v;
    }
    return n;
}

namespace testing {
/* See graph.hpp. */
void force_int8_copies(bool on) noexcept {
    g_force_int8_copies.store(on, std::memory_order_relaxed);
}

/* See graph.hpp. */
void full_pruning(bool on) noexcept {
    g_full_pruning.store(on, std::memory_order_relaxed);
}
} /* namespace testing */

} /* namespace omendb */

/* The opaque handle is the builder itself. */
struct OmenBuilder : omendb::builder {
    using omendb::builder::builder;
};

extern "C" {

/* See omendb.h. */
OmenStatus omen_builder_create(const OmenBuildParams* params, OmenBuilder** out,
                               OmenError* err) noexcept {
    if (out == nullptr)
        return omendb::set_error(err, OMEN_ERR_INVALID_ARGUMENT,
                                 "omen_builder_create: out is NULL");
    *out = nullptr;

    const char* bad = omendb::check_params(params);

    if (bad != nullptr) return omendb::set_error(err, OMEN_ERR_INVALID_ARGUMENT, bad);
    try {
        std::unique_ptr<OmenBuilder> b(new OmenBuilder(*params));
        const OmenStatus st = b->init(err);

        if (st != OMEN_OK) return st;
        *out = b.release();
    } catch (const std::bad_alloc&) {
        return omendb::set_error(err, OMEN_ERR_OUT_OF_MEMORY,
                                 "out of memory creating the index builder");
    } catch (...) {
        return omendb::set_error(err, OMEN_ERR_INTERNAL, "could not create the index builder");
    }
    return OMEN_OK;
}

/* See omendb.h: slot, compact copy if any, the 2m level-0 link distances (4 bytes each), plus
 * ceil(4m / (m - 1)), the expected upper-list bytes (E[level] = 1/(m-1)); 0 for bad params. */
size_t omen_builder_bytes_per_node(const OmenBuildParams* params) noexcept {
    if (omendb::check_params(params) != nullptr) return 0;

    const size_t m = params->m;

    const size_t copy = omendb::uses_int8_copies(*params)
                            ? sizeof(omendb::code_head) + ((params->dims + 7u) & ~size_t(7))
                            : 0;

    const size_t order =
        params->link_order == OMEN_LINK_ORDER_LOCALITY ? omendb::kOrderBytesPerNode : 0;

    return omen_slot_size(omendb::effective_slot_storage(*params), params->m, params->dims) + copy +
           2 * m * sizeof(float) + (4 * m + (m - 2)) / (m - 1) + order;
}

/* See omendb.h. */
OmenStatus omen_builder_add(OmenBuilder* b, const float* vector, const uint8_t payload[6],
                            OmenError* err) noexcept {
    if (b == nullptr || vector == nullptr || payload == nullptr)
        return omendb::set_error(err, OMEN_ERR_INVALID_ARGUMENT, "omen_builder_add: NULL argument");
    try {
        return b->add(vector, payload, err);
    } catch (...) {
        return omendb::set_error(err, OMEN_ERR_INTERNAL, "omen_builder_add failed");
    }
}

/* See omendb.h. */
OmenStatus omen_builder_start(OmenBuilder* b, uint32_t threads, OmenError* err) noexcept {
    if (b == nullptr)
        return omendb::set_error(err, OMEN_ERR_INVALID_ARGUMENT,
                                 "omen_builder_start: NULL builder");
    try {
        return b->start(threads, err);
    } catch (...) {
        return omendb::set_error(err, OMEN_ERR_INTERNAL, "omen_builder_start failed");
    }
}

/* See omendb.h. */
void omen_builder_finish_adding(OmenBuilder* b) noexcept {
    if (b != nullptr) b->finish_adding();
}

/* See omendb.h. */
OmenStatus omen_builder_wait(OmenBuilder* b, uint32_t timeout_ms, OmenBuildProgress* progress,
                             OmenError* err) noexcept {
    if (b == nullptr)
        return omendb::set_error(err, OMEN_ERR_INVALID_ARGUMENT, "omen_builder_wait: NULL builder");
    return b->wait(timeout_ms, progress, err);
}

/* See omendb.h. */
void omen_builder_cancel(OmenBuilder* b) noexcept {
    if (b != nullptr) b->cancel();
}

/* See omendb.h. */
void omen_builder_free(OmenBuilder* b) noexcept {
    if (b == nullptr) return;
    b->stop_and_join();
    delete b;
}

/* See omendb.h. */
uint32_t omen_builder_count(const OmenBuilder* b) noexcept {
    return b == nullptr ? 0 : b->count();
}

/* See omendb.h. */
uint32_t omen_builder_slot_size(const OmenBuilder* b) noexcept {
    return b == nullptr ? 0 : b->slot_size();
}

/* See omendb.h. */
OmenStorage omen_builder_slot_storage(const OmenBuilder* b) noexcept {
    return b == nullptr ? OMEN_STORAGE_FLOAT4 : b->slot_storage();
}

/* See omendb.h. */
uint32_t omen_builder_entry_point(const OmenBuilder* b) noexcept {
    return b == nullptr ? OMEN_INVALID_NODE : b->entry_point();
}

/* See omendb.h. */
int omen_builder_max_level(const OmenBuilder* b) noexcept {
    return b == nullptr ? -1 : b->max_level();
}

/* See omendb.h. */
const uint8_t* omen_builder_node(const OmenBuilder* b, uint32_t id) noexcept {
    return b == nullptr ? nullptr : b->node(id);
}

/* See omendb.h. */
const uint32_t* omen_builder_upper_links(const OmenBuilder* b, uint32_t id,
                                         uint32_t level) noexcept {
    return b == nullptr ? nullptr : b->upper_links(id, level);
}

} /* extern "C" */
