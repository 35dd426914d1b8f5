// Legacy-mode translation structures built by software without the driver
// model, as a boot loader would leave them for a unit that is then enabled:
// what map-trace writes as trace records, and what benchmarks and tests put
// straight into memory. The pieces are the driver model's: page frames from
// a TablePagePool, the root table and context entries from a TableBuilder
// (VT-d 3.4.1, 9.1, 9.3), and each domain's second-level table (9.8) from a
// DomainPageTable, all writing through one callback (8-byte little-endian
// stores).
//
// Table pages come from one pool, lowest address first: the root table at
// construction, then each domain's top-level table, context table and
// intermediate table in the order they are needed.
//
// Unlike the driver's DMA API, a mapping here names its page size (4 KiB,
// 2 MiB or 1 GiB) instead of getting the largest that fits, so that a caller
// lays out exactly the tables it wants to walk.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "common/types.h"
#include "host/domain_page_table.h"
#include "host/table_builder.h"
#include "host/table_page_pool.h"
#include "vtd/context_entry.h"

namespace iommusim {

class BootTables {
 public:
  using Write = std::function<void(Addr pa, uint64_t value)>;

  // Table pages come from [pool_base, pool_base + pool_bytes): pool_base
  // 4 KiB aligned and at least one page (std::invalid_argument otherwise).
  BootTables(Addr pool_base, uint64_t pool_bytes, Write write);
  ~BootTables();
  BootTables(const BootTables&) = delete;
  BootTables& operator=(const BootTables&) = delete;

  Addr root_table() const { return builder_->root(); }

  // A fresh, empty top-level second-level table of `levels` levels (3, 4 or
  // 5): a domain's SLPTPTR, and the handle map() and unmap() take.
  Addr new_domain_table(unsigned levels = 4);

  // Writes the context entry of `sid` (creating its bus's context table and
  // root entry if needed); both qwords, low first.
  void set_context(uint16_t sid, const ContextEntry& ce);

  // Maps [iova, iova + 2^page_shift) to pa with one leaf (page_shift 12, 21
  // or 30; both addresses aligned to it) in the domain whose top-level table
  // is `top`. Missing intermediate tables are created read+write; the leaf
  // carries r/w (at least one of them). std::invalid_argument if the page is
  // misaligned or overlaps an existing mapping (such as a larger page around
  // it), std::out_of_range for an unknown `top`.
  void map(Addr top, Addr iova, Addr pa, unsigned page_shift, bool r, bool w);

  // Clears the leaf mapping [iova, iova + 2^page_shift) and any leaves inside
  // it; tables stay. std::invalid_argument if a larger page straddles it.
  void unmap(Addr top, Addr iova, unsigned page_shift);

  // Table pages taken from the pool (root, context and page tables).
  uint64_t tables_allocated() const { return pool_.allocations(); }

 private:
  Addr allocate(const char* what);

  TablePagePool pool_;
  Write write_;
  std::unique_ptr<TableBuilder> builder_;
  std::map<Addr, std::unique_ptr<DomainPageTable>> domains_;  // by top-level table
};

}  // namespace iommusim
