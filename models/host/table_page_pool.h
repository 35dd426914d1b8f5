// The physical pages the host driver model builds page tables in: 4 KiB
// pages from a configured window of simulated memory, handed out lowest
// first and reused most-recently-released first (as the kernel's per-CPU
// page lists would).
//
// Linux allocates table pages zeroed (alloc_pgtable_page() / iommu_alloc_page()
// with __GFP_ZERO) and frees them without clearing (a fully covered table
// is dropped with its entries in place). The pool therefore remembers, for
// each released page, which of its 512 entries are still non-zero in memory;
// whoever allocates the page again must store zeros there (the part of
// clear_page() the IOMMU could observe). Memory of the window is assumed to
// be zero before first use (sparse memory).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/types.h"

namespace iommusim {

class TablePagePool {
 public:
  struct Page {
    Addr pa = 0;
    std::vector<uint16_t> stale;  // entry indices holding non-zero data
  };

  // Pages come from [base, base + bytes): base 4 KiB aligned, at least one
  // page; std::invalid_argument otherwise.
  TablePagePool(Addr base, uint64_t bytes);

  // A page, or nothing when the window is exhausted.
  std::optional<Page> allocate();
  // Returns a page; `stale` lists the entries still non-zero in memory.
  // std::logic_error if `pa` is not a page of this pool in use.
  void release(Addr pa, std::vector<uint16_t> stale);

  Addr base() const { return base_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t in_use() const { return in_use_.size(); }
  std::size_t available() const { return capacity_ - in_use_.size(); }
  std::size_t high_water() const { return high_water_; }
  uint64_t allocations() const { return allocations_; }
  uint64_t releases() const { return releases_; }

 private:
  Addr base_;
  std::size_t capacity_;
  std::size_t next_ = 0;  // pages never handed out start here
  std::vector<Addr> free_;  // released pages, reused last-in first-out
  std::map<Addr, std::vector<uint16_t>> stale_;
  std::set<Addr> in_use_;
  std::size_t high_water_ = 0;
  uint64_t allocations_ = 0, releases_ = 0;
};

}  // namespace iommusim
