// A map from PCI function (Bdf) to a small value with constant-time lookup:
// the per-transaction lookups by requester ID (the root complex's route to
// a remapping unit). A std::map costs a tree walk that grows with the number
// of functions (docs/performance.md, "Issue 15: scaling with endpoints");
// this is a table per segment, indexed by bus and then by device/function,
// with a 256-entry block allocated per bus that holds a function.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/bdf.h"

namespace iommusim {

template <typename T>
class BdfTable {
 public:
  // Sets (or replaces) the value of `b`.
  void set(const Bdf& b, const T& value) {
    Slot& s = slot_for(b);
    if (!s.used) ++size_;
    s.used = true;
    s.value = value;
  }

  // The value of `b`, or nullptr if none was set.
  const T* find(const Bdf& b) const {
    const Segment* seg = segment(b.segment);
    if (!seg) return nullptr;
    const Block* blk = seg->buses[b.bus].get();
    if (!blk) return nullptr;
    const Slot& s = (*blk)[devfn(b)];
    return s.used ? &s.value : nullptr;
  }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    T value{};
    bool used = false;
  };
  using Block = std::array<Slot, 256>;  // by device/function (dev[7:3] fn[2:0])
  struct Segment {
    std::uint16_t id = 0;
    std::array<std::unique_ptr<Block>, 256> buses;
  };

  static unsigned devfn(const Bdf& b) { return static_cast<unsigned>(b.rid() & 0xff); }

  // Segments are few (nearly always just 0): a linear search.
  const Segment* segment(std::uint16_t id) const {
    for (const auto& s : segments_)
      if (s->id == id) return s.get();
    return nullptr;
  }

  Slot& slot_for(const Bdf& b) {
    Segment* seg = const_cast<Segment*>(segment(b.segment));
    if (!seg) {
      segments_.push_back(std::make_unique<Segment>());
      seg = segments_.back().get();
      seg->id = b.segment;
    }
    auto& blk = seg->buses[b.bus];
    if (!blk) blk = std::make_unique<Block>();
    return (*blk)[devfn(b)];
  }

  std::vector<std::unique_ptr<Segment>> segments_;
  std::size_t size_ = 0;
};

}  // namespace iommusim
