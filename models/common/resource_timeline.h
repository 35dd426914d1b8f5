// A shared resource that is busy in intervals of simulated time: a DRAM
// channel's data bus, one direction of a link, a walker slot.
//
// Loosely timed initiators do not reach a resource in time order (temporal
// decoupling, several requests in flight per initiator), so a request may be
// placed into an idle gap left between earlier reservations, as the resource
// would have served it had it arrived in order.
#pragma once
#include <cstddef>
#include <map>

#include "common/types.h"

namespace iommusim {

class ResourceTimeline {
 public:
  // Intervals that end more than `horizon` ps before the latest request seen
  // are forgotten, which keeps memory bounded on long runs.
  explicit ResourceTimeline(Tick horizon = 1'000'000'000);

  // Books `duration` ps in the first idle gap that starts at or after
  // `earliest` and returns its start. A zero duration books nothing. Time
  // before the forgotten past counts as busy: a request arriving that late
  // starts no earlier than the end of the last forgotten interval.
  // O(log n) plus the gaps too short to use.
  Tick reserve(Tick earliest, Tick duration);

  // End of the last reservation (or of the forgotten past), 0 if none.
  Tick busy_until() const;

  // Number of disjoint busy intervals held; touching ones are merged.
  std::size_t intervals() const { return busy_.size(); }

 private:
  void forget_before(Tick cutoff);

  Tick horizon_;
  Tick latest_request_ = 0;   // largest `earliest` seen
  Tick forgotten_until_ = 0;  // end of the last interval dropped
  std::map<Tick, Tick> busy_;  // start -> end, disjoint and not touching
};

}  // namespace iommusim
