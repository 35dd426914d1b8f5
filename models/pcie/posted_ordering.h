// The root complex's read-after-posted-write ordering (docs/models/pcie.md,
// "Ordering"; PCIe Base Specification 3.0, 2.4.1, Table 2-39: a Read Request
// must not pass a Posted Request of the same requester, unless the write has
// the Relaxed Ordering attribute, which the model does not have).
//
// Plain C++. For each requester (segment and requester ID) the latest time a
// posted request of it became globally visible; a non-posted request (memory
// read, ATS translation request) of that requester goes on at
// max(its own time, that time). "Earlier" is the order the calls reach the
// root complex, which is time order at quantum 0 (and the order an endpoint
// issued them, as a PCIe link keeps it). State: one Tick per requester that
// has written.
#pragma once
#include <cstdint>
#include <unordered_map>

#include "common/bdf.h"
#include "common/types.h"

namespace iommusim {

class PostedOrdering {
 public:
  explicit PostedOrdering(bool enabled) : enabled_(enabled) {}

  bool enabled() const { return enabled_; }

  // A posted request (memory write, interrupt message) of `requester` is
  // globally visible at `visible` (absolute). Does nothing when disabled.
  void posted(const Bdf& requester, Tick visible) {
    if (!enabled_) return;
    Tick& v = visible_[key(requester)];
    if (visible > v) v = visible;
  }

  // The time a non-posted request of `requester`, ready to go on at `ready`,
  // may go on: not before every earlier posted request of `requester` is
  // visible. Counts a wait. Disabled: `ready`.
  Tick non_posted(const Bdf& requester, Tick ready) {
    if (!enabled_) return ready;
    const auto it = visible_.find(key(requester));
    if (it == visible_.end() || it->second <= ready) return ready;
    ++waits_;
    wait_ += it->second - ready;
    return it->second;
  }

  // The latest visibility time of `requester`'s posted requests (0: none).
  Tick visible(const Bdf& requester) const {
    const auto it = visible_.find(key(requester));
    return it == visible_.end() ? 0 : it->second;
  }

  // Statistics: non-posted requests that waited, and their total wait.
  std::uint64_t waits() const { return waits_; }
  Tick wait() const { return wait_; }

 private:
  static std::uint32_t key(const Bdf& b) { return std::uint32_t(b.segment) << 16 | b.rid(); }

  bool enabled_;
  std::unordered_map<std::uint32_t, Tick> visible_;
  std::uint64_t waits_ = 0;
  Tick wait_ = 0;
};

}  // namespace iommusim
