// Outstanding-request limit of a DMA engine: non-posted requests hold one of
// `capacity` tags until their completion returns (PCIe tags); posted writes
// hold one of the posted-request credits until the write is performed. The
// engine issues from one thread and knows each request's completion time when
// it issues it (loosely timed), so a pool is just the set of busy-until times.
#pragma once
#include <cstddef>
#include <functional>
#include <queue>
#include <vector>

#include "common/types.h"

namespace iommusim {

class TagPool {
 public:
  explicit TagPool(std::size_t capacity) : capacity_(capacity) {}

  // Earliest time >= t at which a tag is free. Takes that tag: the caller must
  // then call occupy_until() with the request's completion time.
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
