#include "host/table_page_pool.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace iommusim {

TablePagePool::TablePagePool(Addr base, uint64_t bytes) : base_(base), capacity_(bytes >> 12) {
  if (base & 0xfff)
    throw std::invalid_argument(fmt::format("table page pool base {:#x} is not 4 KiB aligned", base));
  if (capacity_ == 0)
    throw std::invalid_argument(fmt::format("table page pool at {:#x} holds no 4 KiB page ({} bytes)", base, bytes));
}

std::optional<TablePagePool::Page> TablePagePool::allocate() {
  Page p;
  if (!free_.empty()) {
    p.pa = free_.back();
    free_.pop_back();
    auto it = stale_.find(p.pa);
    if (it != stale_.end()) {
      p.stale = std::move(it->second);
      stale_.erase(it);
    }
  } else if (next_ < capacity_) {
    p.pa = base_ + (Addr{next_++} << 12);
  } else {
    return std::nullopt;
  }
  in_use_.insert(p.pa);
  high_water_ = std::max(high_water_, in_use_.size());
  ++allocations_;
  return p;
}

void TablePagePool::release(Addr pa, std::vector<uint16_t> stale) {
  if (!in_use_.erase(pa))
    throw std::logic_error(fmt::format("table page {:#x} released but not in use (pool at {:#x}, {} pages)", pa,
                                       base_, capacity_));
  if (!stale.empty()) stale_[pa] = std::move(stale);
  free_.push_back(pa);
  ++releases_;
}

}  // namespace iommusim
