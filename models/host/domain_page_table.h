// A domain's second-level page table as the host driver builds and edits it
// (VT-d 9.8 entries, encoded and decoded by vtd/sl_pte.h), following
// Linux's intel-iommu: __domain_mapping() for map, domain_unmap() /
// dma_pte_clear_level() for unmap (drivers/iommu/intel/iommu.c).
//
// The table keeps a shadow of every entry it wrote, so it never reads
// simulated memory. Each map/unmap returns the 8-byte stores to perform, in
// program order, so that a SystemC shell can time them; an optional Writer
// receives the same stores when the operation succeeds (for untimed use:
// tests, a backdoor loader).
//
// map(iova, pa, size, r, w):
//  * iova, pa and size are 4 KiB aligned, size > 0, the range lies inside
//    the table's input space (2^(12 + 9 * levels)) and pa + size <= 2^52;
//    otherwise std::invalid_argument. Nothing in [iova, iova + size) may be
//    mapped; otherwise std::invalid_argument naming the existing page, and
//    nothing is written.
//  * Walking up the range, each step uses the largest leaf the feature
//    allows where iova and pa are both aligned to it and the rest of the
//    range covers it: 1 GiB (SL-PDPE with PS), 2 MiB (SL-PDE with PS), else
//    4 KiB (hardware_largepage_caps()). Missing intermediate tables are
//    taken from the TablePagePool and linked read+write before the leaves
//    below them are written; a recycled page first gets zeros where it still
//    holds data.
//  * A superpage slot that holds a pointer to a table with no leaves below
//    (left by an earlier unmap that cleared only leaves) is replaced, as
//    switch_to_super_page() does: the subtree's pages are returned in
//    `freed_tables` and the result asks for an invalidation of that span
//    (`flush`, with IH = 0: paging-structure caches may hold the pointer).
//  * If the pool cannot supply every table the map needs, TablePoolExhausted
//    is thrown before anything is written.
//
// unmap(iova, size):
//  * same alignment rules; a superpage that straddles either end of the range
//    is refused (std::invalid_argument) instead of being split. Holes are
//    allowed (unmapped_bytes says how much was mapped).
//  * default ("clear leaves only"): every leaf in the range is cleared to 0;
//    tables stay, even empty, and are reused by later maps. Linux instead
//    frees every table whose whole span lies inside the range
//    (dma_pte_clear_level()): with free_tables_on_unmap the entry pointing to
//    such a table is cleared, its leaves are left as they are, and its pages
//    are returned in `freed_tables`. The top-level table is never freed.
//  * `flush` is the range whose IOTLB entries must be invalidated, with IH
//    (leaf_only) set when no table was freed (Linux: the gather's freelist is
//    empty).
//
// Freed table pages may still be cached by the IOMMU (paging-structure
// caches) until the invalidation completes; the caller hands them back with
// release_tables() after that, and only then may the pool reuse them.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "common/strided_runs.h"
#include "common/types.h"
#include "host/iotlb_flush.h"
#include "host/table_page_pool.h"

namespace iommusim {

struct PageTableParams {
  // Paging levels: 3 (39-bit), 4 (48-bit) or 5 (57-bit). Linux uses the
  // largest AGAW the unit supports up to the domain's width (57 bits by
  // default, DEFAULT_DOMAIN_ADDRESS_WIDTH): 4 on units with SAGAW = 48-bit.
  unsigned levels = 4;
  // Superpages at all (Linux: on unless intel_iommu=sp_off), and the sizes
  // the unit supports (CAP.SLLPS: 2 MiB and 1 GiB).
  bool superpages = true;
  bool sp_2m = true;
  bool sp_1g = true;
  // Free tables whose whole span is unmapped (Linux's behaviour); off: clear
  // leaves only.
  bool free_tables_on_unmap = false;
};

struct PteWrite {
  Addr pa = 0;
  uint64_t value = 0;
  bool operator==(const PteWrite& o) const { return pa == o.pa && value == o.value; }
  bool operator!=(const PteWrite& o) const { return !(*this == o); }
};

// Stores in program order, kept as runs (common/strided_runs.h): a map of
// many 4 KiB pages costs a few runs per table, not 16 bytes per page.
using PteWrites = StridedRuns<PteWrite, &PteWrite::pa, &PteWrite::value>;

// A range whose IOTLB (and, without leaf_only, paging-structure cache)
// entries must be invalidated.
struct FlushRange {
  Addr iova = 0;
  uint64_t bytes = 0;
  bool leaf_only = true;  // IH: only leaf entries changed
  PsiCover psi() const { return psi_cover(iova, bytes); }  // address and AM
  bool operator==(const FlushRange& o) const {
    return iova == o.iova && bytes == o.bytes && leaf_only == o.leaf_only;
  }
};

struct PtMapResult {
  PteWrites writes;                   // in program order
  std::vector<Addr> new_tables;       // table pages taken from the pool
  std::vector<Addr> freed_tables;     // empty tables a superpage replaced
  std::optional<FlushRange> flush;    // set when freed_tables is not empty
  uint64_t leaves_4k = 0, leaves_2m = 0, leaves_1g = 0;
};

struct PtUnmapResult {
  PteWrites writes;
  std::vector<Addr> freed_tables;  // release after the invalidation completes
  uint64_t unmapped_bytes = 0;     // bytes that were mapped in the range
  FlushRange flush;
};

struct PtStats {
  uint64_t maps = 0, unmaps = 0;
  uint64_t leaves_4k = 0, leaves_2m = 0, leaves_1g = 0;  // leaves written
  uint64_t leaf_clears = 0;      // leaves cleared by unmap
  uint64_t entry_writes = 0;     // every store returned (leaves, pointers, zeros)
  uint64_t zero_writes = 0;      // stores clearing stale data of recycled pages
  uint64_t tables_allocated = 0;
  uint64_t tables_freed = 0;     // handed back by unmap or superpage replacement
  uint64_t superpage_replacements = 0;
};

struct Translation {
  Addr pa = 0;
  uint64_t page_size = 0;
  bool r = false, w = false;
};

class TablePoolExhausted : public std::runtime_error {
 public:
  explicit TablePoolExhausted(const std::string& m) : std::runtime_error(m) {}
};

class DomainPageTable {
 public:
  using Writer = std::function<void(Addr pa, uint64_t value)>;

  // Takes the top-level table from `pool` (TablePoolExhausted if empty).
  DomainPageTable(const PageTableParams& p, TablePagePool& pool, Writer writer = {});
  ~DomainPageTable();
  DomainPageTable(const DomainPageTable&) = delete;
  DomainPageTable& operator=(const DomainPageTable&) = delete;

  Addr root() const { return root_; }
  unsigned levels() const { return p_.levels; }
  // Bytes of input address space: 2^(12 + 9 * levels).
  uint64_t aperture_bytes() const;
  // Stores that cleared stale data of the top-level table (if recycled).
  const PteWrites& root_writes() const { return root_writes_; }

  PtMapResult map(Addr iova, Addr pa, uint64_t size, bool r, bool w);
  PtUnmapResult unmap(Addr iova, uint64_t size);
  // Returns freed table pages to the pool (after their invalidation).
  void release_tables(const std::vector<Addr>& pages);

  // What the table maps at `iova` (from the shadow), if anything.
  std::optional<Translation> translate(Addr iova) const;

  std::size_t table_pages() const { return tables_.size(); }       // live, including the top
  std::size_t pending_release() const { return pending_.size(); }  // freed, not yet released
  const PageTableParams& params() const { return p_; }
  const PtStats& stats() const { return stats_; }

 private:
  struct Table {
    Addr pa = 0;
    unsigned level = 0;
    std::array<uint64_t, 512> e{};
    unsigned present = 0;
  };

  unsigned leaf_level_for(Addr iova, Addr pa, uint64_t remaining) const;
  uint64_t tables_needed(Addr iova, Addr pa, uint64_t size) const;
  void check_unmapped(const Table& t, Addr base, Addr lo, Addr hi) const;
  Table* new_table(unsigned level, PteWrites& out, std::vector<Addr>& added);
  void retire_subtree(Addr table, std::vector<Addr>& freed);
  uint64_t mapped_bytes(const Table& t) const;
  void check_no_split(Addr at, Addr lo, Addr hi) const;
  void clear(Table& t, Addr base, Addr lo, Addr hi, PtUnmapResult& r);
  void store(Table& t, unsigned idx, uint64_t v, PteWrites& out);
  void commit(const PteWrites& writes) const;
  void check_args(const char* op, Addr iova, uint64_t size) const;

  PageTableParams p_;
  TablePagePool& pool_;
  Writer writer_;
  Addr root_ = 0;
  PteWrites root_writes_;
  std::unordered_map<Addr, std::unique_ptr<Table>> tables_;
  std::unordered_map<Addr, std::unique_ptr<Table>> pending_;
  PtStats stats_;
};

}  // namespace iommusim
