#include "host/boot_tables.h"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace iommusim {

namespace {

// One leaf of each size: 2 MiB and 1 GiB leaves are allowed, and a range of
// exactly one page never gets a larger leaf than the page, so map() of a
// single page writes a leaf of that page's size.
PageTableParams params(unsigned levels) {
  PageTableParams p;
  p.levels = levels;
  p.superpages = p.sp_2m = p.sp_1g = true;
  p.free_tables_on_unmap = false;
  return p;
}

}  // namespace

BootTables::BootTables(Addr pool_base, uint64_t pool_bytes, Write write)
    : pool_(pool_base, pool_bytes), write_(std::move(write)) {
  builder_ = std::make_unique<TableBuilder>(
      TableMode::Legacy, EntryStores::Ascending, [this](const char* what) { return allocate(what); }, write_);
}

BootTables::~BootTables() = default;

Addr BootTables::allocate(const char* what) {
  const auto page = pool_.allocate();
  if (!page)
    throw TablePoolExhausted(
        fmt::format("table page pool at {:#x} exhausted ({} pages): no page for {}", pool_.base(), pool_.capacity(), what));
  // The pool never gets pages back (nothing here frees tables), so a page
  // is never recycled and holds no stale entries.
  return page->pa;
}

Addr BootTables::new_domain_table(unsigned levels) {
  auto pt = std::make_unique<DomainPageTable>(params(levels), pool_, write_);
  const Addr top = pt->root();
  domains_.emplace(top, std::move(pt));
  return top;
}

void BootTables::set_context(uint16_t sid, const ContextEntry& ce) { builder_->set_context(sid, ce); }

void BootTables::map(Addr top, Addr iova, Addr pa, unsigned page_shift, bool r, bool w) {
  if (page_shift != 12 && page_shift != 21 && page_shift != 30)
    throw std::invalid_argument(fmt::format("map: page size 2^{}: 4 KiB, 2 MiB or 1 GiB expected", page_shift));
  const uint64_t size = uint64_t{1} << page_shift;
  if ((iova | pa) & (size - 1))
    throw std::invalid_argument(fmt::format("map: {:#x} -> {:#x} not aligned to 2^{}", iova, pa, page_shift));
  domains_.at(top)->map(iova, pa, size, r, w);
}

void BootTables::unmap(Addr top, Addr iova, unsigned page_shift) {
  domains_.at(top)->unmap(iova, uint64_t{1} << page_shift);
}

}  // namespace iommusim
