// The IOVA allocator of one DMA domain, as Linux's drivers/iommu/iova.c
// implements it for dma-iommu (alloc_iova_fast(), free_iova_fast()).
// Plain C++; the unit is a 4 KiB page frame number (pfn) of IO virtual space.
//
// * Ranges live in an ordered set (Linux: an rbtree) bounded above by an
//   anchor node at pfn ~0. Allocation is top-down first fit below a limit
//   (the device's DMA mask), never below start_pfn (Linux: the domain's
//   base_pfn, at least 1, so IOVA 0 is never handed out).
// * Sizes of cacheable order (2^order pages, order <= rcache_max_order) are
//   rounded up to a power of two, and every allocation is aligned to its
//   size rounded up to a power of two (size_aligned = true in dma-iommu).
// * The search starts at a cached node (Linux: cached32_node for limits at
//   or below 4 GiB, cached_node above) - the last range allocated or the
//   range above the last one freed - and walks down to the first gap where
//   an aligned block fits; if none does and the search did not start at the
//   top, it retries once in the space above the cached node (the "retry"
//   of __alloc_and_insert_iova_range()). A failed search below 4 GiB
//   remembers its size (max32_alloc_size): later requests of that size or
//   larger with a limit at or below 4 GiB fail at once, until something
//   below 4 GiB is freed.
// * Freed ranges of cacheable order go to a per-order LIFO cache (Linux's
//   per-CPU magazines and global depot, "rcache"), staying reserved in the
//   tree; an allocation of that order takes the most recently freed cached
//   range that lies below its limit. A free finding its cache full returns
//   the range to the tree. An allocation that finds no space empties every
//   cache back into the tree and, if that freed anything, searches once more.
//
// Errors: allocation failure is std::nullopt; freeing a range that is not
// allocated (never allocated, already freed or cached, reserved, or with a
// different size) throws std::logic_error naming the range.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/types.h"

namespace iommusim {

inline constexpr unsigned kIovaShift = 12;  // 4 KiB granule (intel-iommu: VTD_PAGE_SHIFT)

struct IovaRange {
  uint64_t pfn = 0;    // first page frame
  uint64_t pages = 0;  // length in 4 KiB pages
  uint64_t last_pfn() const { return pfn + pages - 1; }
  Addr addr() const { return pfn << kIovaShift; }
  uint64_t bytes() const { return pages << kIovaShift; }
  bool empty() const { return pages == 0; }
  std::string str() const;  // "[0xfffff000, 0x100000000)"
  bool operator==(const IovaRange& o) const { return pfn == o.pfn && pages == o.pages; }
  bool operator!=(const IovaRange& o) const { return !(*this == o); }
};

struct IovaAllocatorParams {
  // Lowest pfn ever allocated. dma-iommu: max(1, aperture base >> shift) = 1.
  uint64_t start_pfn = 1;
  // Largest cached order: IOVA_RANGE_CACHE_MAX_SIZE - 1 = 5 (32 pages, 128 KiB).
  unsigned rcache_max_order = 5;
  // Ranges each order's cache holds. Linux keeps, per CPU, a loaded and a
  // previous magazine of IOVA_MAG_SIZE (127; 128 in older kernels) ranges,
  // and a global depot of full magazines: at most MAX_GLOBAL_MAGS (32) in
  // kernels with a fixed depot (newer ones let it grow and trim it after
  // IOVA_DEPOT_DELAY, 100 ms). For one CPU: 34 * 127 = 4318. 0 turns the
  // cache off.
  std::size_t rcache_capacity = 34 * 127;
  // false: round only cacheable sizes up to a power of two (alloc_iova_fast(),
  // kernels using dma-iommu); true: round every size (intel_alloc_iova() of
  // kernels before 5.11). Alignment is to the rounded size either way.
  bool round_all_sizes = false;
};

struct IovaAllocatorStats {
  uint64_t allocations = 0;   // successful allocations (cache or tree)
  uint64_t failures = 0;      // allocations that returned nothing
  uint64_t frees = 0;         // free() calls
  uint64_t cache_hits = 0;    // cacheable allocations served from the cache
  uint64_t cache_misses = 0;  // cacheable allocations that went to the tree
  uint64_t cache_inserts = 0; // frees kept in the cache
  uint64_t cache_full = 0;    // cacheable frees returned to the tree (cache full)
  uint64_t cache_flushes = 0; // times every cache was emptied after a failed search
  uint64_t tree_allocs = 0;   // ranges inserted by a tree search
  uint64_t tree_frees = 0;    // ranges removed from the tree
  uint64_t search_steps = 0;  // nodes visited by tree searches
  uint64_t search_retries = 0;  // searches restarted above the cached node
  uint64_t max32_fast_fails = 0;  // failures decided by max32_alloc_size alone
};

class IovaAllocator {
 public:
  explicit IovaAllocator(const IovaAllocatorParams& p = {});

  // Allocates `pages` (> 0) pages whose last pfn is at most `limit_pfn`
  // (a DMA mask >> 12, e.g. 0xfffff for 32 bits). `flush_rcache`: empty the
  // caches and retry when the search fails (dma-iommu passes false for its
  // first, below-4-GiB attempt).
  std::optional<IovaRange> alloc(uint64_t pages, uint64_t limit_pfn, bool flush_rcache = true);

  // Frees an allocated range: `r` must be exactly what alloc() returned.
  void free(const IovaRange& r);

  // Takes [pfn_lo, pfn_hi] out of the allocatable space for good (Linux
  // reserve_iova(): dma-iommu reserves the MSI window and PCI host bridge
  // windows). Throws std::logic_error if it overlaps anything in the tree.
  void reserve(uint64_t pfn_lo, uint64_t pfn_hi);

  // Allocates exactly `r` (an IOVA the caller chose: a trace's map record,
  // an imported kernel's choice). Ranges parked in the caches are returned
  // to the tree first if they are in the way. Throws std::logic_error when
  // `r` is empty or overlaps an allocated or reserved range. free() takes it
  // back like any allocation.
  void claim(const IovaRange& r);

  // Empties every cache back into the tree.
  void flush_caches();

  // The allocation size (in pages) a request of `pages` gets.
  uint64_t rounded_pages(uint64_t pages) const;

  // Introspection.
  std::size_t tree_size() const { return tree_.size() - 1; }  // ranges, excluding the anchor
  std::size_t cached(unsigned order) const;                   // ranges in one order's cache
  std::size_t cached_total() const;                           // ranges in all caches
  bool is_allocated(const IovaRange& r) const;                // allocated and not cached
  // Ranges in the tree (allocated, cached and reserved), lowest first.
  std::vector<IovaRange> tree_ranges() const;
  const IovaAllocatorParams& params() const { return p_; }
  const IovaAllocatorStats& stats() const { return stats_; }

 private:
  enum class Kind : uint8_t { Allocated, Reserved, Anchor };
  struct Node {
    uint64_t pfn_hi;
    Kind kind;
    bool cached;  // freed into the rcache, still in the tree
  };
  using Tree = std::map<uint64_t, Node>;  // key: pfn_lo

  std::optional<IovaRange> alloc_tree(uint64_t size, uint64_t limit_excl);
  Tree::iterator find_limit(uint64_t limit_excl);
  void tree_free(Tree::iterator it);
  std::optional<IovaRange> cache_pop(unsigned order, uint64_t limit_pfn);

  IovaAllocatorParams p_;
  Tree tree_;
  uint64_t cached_key_;    // Linux cached_node (pfn_lo of a node)
  uint64_t cached32_key_;  // Linux cached32_node
  uint64_t max32_alloc_size_;
  std::vector<std::vector<uint64_t>> caches_;  // per order, LIFO of pfn_lo
  IovaAllocatorStats stats_;
};

// ceil(log2(v)) for v >= 1 (Linux order_base_2()).
unsigned iova_order(uint64_t pages);

}  // namespace iommusim
