// A map from PCI function (Bdf) to a small value with constant-time lookup:
// the per-transaction lookups by requester ID (the root complex's route to
// a remapping unit). A std::map costs a tree walk that grows with the number
// of functions (docs/performance.md, "Issue 15: scaling with endpoints");
// this is an IdTable (common/id_table.h) by requester ID per PCI segment.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "common/bdf.h"
#include "common/id_table.h"

namespace iommusim {

template <typename T>
class BdfTable {
 public:
  // Sets (or replaces) the value of `b`.
  void set(const Bdf& b, const T& value) {
    IdTable<T>* ids = segment(b.segment);
    if (!ids) {
      segments_.emplace_back(b.segment, std::make_unique<IdTable<T>>());
      ids = segments_.back().second.get();
    }
    ids->emplace(b.rid(), value) = value;
  }

  // The value of `b`, or nullptr if none was set.
  const T* find(const Bdf& b) const {
    const IdTable<T>* ids = segment(b.segment);
    return ids ? ids->find(b.rid()) : nullptr;
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& s : segments_) n += s.second->size();
    return n;
  }

 private:
  // Segments are few (nearly always just 0): a linear search.
  IdTable<T>* segment(std::uint16_t id) const {
    for (const auto& s : segments_)
      if (s.first == id) return s.second.get();
    return nullptr;
  }

  std::vector<std::pair<std::uint16_t, std::unique_ptr<IdTable<T>>>> segments_;
};

}  // namespace iommusim
