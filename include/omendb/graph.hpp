/*
 * graph.hpp — memory and layout of the in-memory HNSW build graph.
 *
 * What.  The build graph keeps every node in a fixed-size slot laid out
 * exactly as omendb.h specifies for index pages (16-byte OmenNodeHeader,
 * uint32 links[2m] for level 0, then the vector: float vector[dims], or the
 * index's half/int8 page format where the builder measures only its
 * compact copies; builder.cpp), all slots in one
 * contiguous array indexed by node id.  Upper-level lists (levels
 * 1..level, m ids each) live in a separate pool of uint32; a per-node uint64
 * gives the position of a node's first upper list in that pool.  Writing the
 * index is then a matter of copying slots and lists, and the layout is the
 * one hnswlib uses for speed: a search touches one slot per node for both
 * the level-0 links and the vector.
 *
 * Why address-space reservation.  Worker threads read slots while the
 * backend thread appends new ones, so the arrays must never move.  Each
 * array is a vm_region: a range of address space reserved once with
 * mmap(PROT_NONE, MAP_NORESERVE) — large enough for the memory limit, or a
 * generous cap when there is none — and made readable/writable with
 * mprotect() in growing steps as nodes are added.  PROT_NONE reservations are
 * not charged against the commit limit, so this also works under strict
 * overcommit (vm.overcommit_memory = 2), where a MAP_NORESERVE read/write
 * mapping of a terabyte would be refused or charged in full.  Pages are
 * backed lazily on first touch and all come back with one munmap().
 *
 * Threads.  Only the backend thread calls vm_region::commit(); the workers
 * only touch bytes below what was committed before the node they read was
 * published.  graph_view is a plain value with no synchronization of its
 * own; link lists are protected by the builder's per-node locks.
 */
#ifndef OMENDB_GRAPH_HPP
#define OMENDB_GRAPH_HPP

#include <cstddef>
#include <cstdint>

#include "omendb/omendb.h"

namespace omendb {

/* A reserved, lazily committed, never-moving range of anonymous memory. */
class vm_region {
  public:
    vm_region() = default;
    vm_region(const vm_region&) = delete;
    vm_region& operator=(const vm_region&) = delete;
    ~vm_region() { release(); }

    /* Reserves up to bytes of address space, halving down to min_bytes if refused; false if even
     * that fails. */
    bool reserve(size_t bytes, size_t min_bytes) noexcept;

    /* Makes [0, bytes) readable and writable (rounded up to a growth step); false if the kernel
     * refuses. */
    bool commit(size_t bytes) noexcept;

    /* Returns the whole range to the kernel. */
    void release() noexcept;

    /* Start of the range (nullptr before reserve()). */
    uint8_t* data() const noexcept { return base_; }

    /* Bytes of address space reserved. */
    size_t reserved() const noexcept { return reserved_; }

  private:
    uint8_t* base_ = nullptr;
    size_t reserved_ = 0;
    size_t committed_ = 0;
};

/* Addressing of the node slots and upper-level lists (no ownership). */
struct graph_view {
    uint8_t* slots = nullptr;
    uint32_t* upper_pool = nullptr;
    uint64_t* upper_offset = nullptr;
    uint32_t m = 0;
    uint32_t dims = 0;
    uint32_t slot_size = 0;

    /* The slot of node id. */
    uint8_t* slot(uint32_t id) const noexcept {
        return slots + static_cast<size_t>(id) * slot_size;
    }

    /* The header of node id. */
    OmenNodeHeader* header(uint32_t id) const noexcept {
        return reinterpret_cast<OmenNodeHeader*>(slot(id));
    }

    /* The vector of node id: only while the slots hold float vectors. */
    const float* vector(uint32_t id) const noexcept {
        return reinterpret_cast<const float*>(slot(id) + OMEN_VECTOR_OFFSET(m));
    }

    /* Node id's neighbour list at level (0 .. its level). */
    uint32_t* links(uint32_t id, uint32_t level) const noexcept {
        if (level == 0) return reinterpret_cast<uint32_t*>(slot(id) + OMEN_LINKS_OFFSET);
        return upper_pool + upper_offset[id] + static_cast<size_t>(level - 1) * m;
    }

    /* Capacity of a list at level: 2m at level 0, m above. */
    uint32_t capacity(uint32_t level) const noexcept { return level == 0 ? 2 * m : m; }
};

namespace testing {
/* Test hook (builder.cpp): builders created while it is on use the int8 copies, and so slots in
 * the page format, even where the code dot product is the scalar one, so that those paths run on
 * CPUs without VNNI too. */
void force_int8_copies(bool on) noexcept;
/* Test hook (builder.cpp): builders created while it is on prune full lists the plain way,
 * measuring every distance, instead of reusing the stored link distances and the stable prefix;
 * the graph must come out the same. */
void full_pruning(bool on) noexcept;
} /* namespace testing */

} /* namespace omendb */

#endif /* OMENDB_GRAPH_HPP */
