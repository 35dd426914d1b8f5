// Builds legacy-mode translation structures in simulated memory, as software
// does (VT-d 3.4.2 root and context tables, 9.8 second-level tables): a bump
// allocator of zeroed 4 KiB table pages, root and context entries per source
// ID, and second-level mappings of 4 KiB, 2 MiB or 1 GiB pages with their
// intermediate tables created on demand.
//
// It writes through a callback (8-byte little-endian stores), so that tests,
// benchmarks and the host driver model can put the bytes where they need them,
// and keeps a shadow of what it wrote, so that it never reads simulated memory.
#pragma once
#include <cstdint>
#include <functional>
#include <map>

#include "common/types.h"
#include "vtd/context_entry.h"

namespace iommusim {

class LegacyTables {
 public:
  using Write = std::function<void(Addr pa, std::uint64_t value)>;

  // Table pages come from [pool_base, pool_base + pool_bytes), 4 KiB aligned.
  LegacyTables(Addr pool_base, std::uint64_t pool_bytes, Write write);

  Addr root_table() const { return root_; }

  // A fresh, empty top-level second-level table (a domain's SLPTPTR).
  Addr new_domain_table();

  // Writes the context entry of `sid` (creating its bus's context table and
  // root entry if needed).
  void set_context(std::uint16_t sid, const ContextEntry& ce);

  // Maps [iova, iova + 2^page_shift) to pa (page_shift 12, 21 or 30; both
  // aligned) in the tables rooted at `top` with `levels` levels. Intermediate
  // entries are created read+write; the leaf carries r/w. Throws
  // std::logic_error if a page conflicts with an existing mapping of another
  // size, or the pool is exhausted.
  void map(Addr top, unsigned levels, Addr iova, Addr pa, unsigned page_shift, bool r, bool w);

  // Clears the leaf mapping `iova` (of size 2^page_shift), if any.
  void unmap(Addr top, unsigned levels, Addr iova, unsigned page_shift);

  std::uint64_t tables_allocated() const { return next_ == pool_base_ ? 0 : (next_ - pool_base_) >> 12; }
  // What was last written at `pa` (0 if never).
  std::uint64_t entry(Addr pa) const;

 private:
  Addr allocate();
  void store(Addr pa, std::uint64_t v);

  Addr pool_base_, pool_end_, next_;
  Write write_;
  Addr root_;
  std::map<Addr, std::uint64_t> shadow_;
};

}  // namespace iommusim
