// A pool of `capacity` identical slots, each busy until a known time: the
// outstanding-request limit of a DMA engine (non-posted requests hold one of
// the PCIe tags until their completion returns; posted writes hold one of the
// posted-request credits until the write is performed) and the walker slots
// of a remapping unit (a table lookup or walk holds one until its last read
// returns). The owner issues from one thread and knows each use's end time
// when it starts it (loosely timed), so a pool is just the set of busy-until
// times.
#pragma once
#include <cstddef>
#include <functional>
#include <queue>
#include <vector>

#include "common/types.h"

namespace iommusim {

class SlotPool {
 public:
  explicit SlotPool(std::size_t capacity) : capacity_(capacity) {}

  // Earliest time >= t at which a slot is free. Takes that slot: the caller must
  // then call occupy_until() with the use's end time.
  Tick acquire(Tick t) {
    if (busy_.size() < capacity_) return t;
    const Tick freed = busy_.top();
    busy_.pop();
    return freed > t ? freed : t;
  }
  void occupy_until(Tick done) { busy_.push(done); }

  std::size_t capacity() const { return capacity_; }
  std::size_t in_use() const { return busy_.size(); }

 private:
  std::size_t capacity_;
  std::priority_queue<Tick, std::vector<Tick>, std::greater<Tick>> busy_;
};

}  // namespace iommusim
