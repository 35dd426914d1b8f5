// A shared resource that is busy in intervals of simulated time: a DRAM
// channel's data bus, one direction of a link, a walker slot.
//
// Loosely timed initiators do not reach a resource in time order (temporal
// decoupling, several requests in flight per initiator), so a request may be
// placed into an idle gap left between earlier reservations, as the resource
// would have served it had it arrived in order.
#pragma once
#include <cstddef>
#include <vector>

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
  // A request at or after the last interval (the usual case) costs O(1);
  // one into the past a binary search over the held intervals plus the gaps
  // too short to use, and a move of the intervals after it.
  Tick reserve(Tick earliest, Tick duration);

  // End of the last reservation (or of the forgotten past), 0 if none.
  Tick busy_until() const;

  // Number of disjoint busy intervals held; touching ones are merged.
  std::size_t intervals() const { return busy_.size() - head_; }

 private:
  struct Interval {
    Tick start;
    Tick end;
  };
  void forget_before(Tick cutoff);

  Tick horizon_;
  Tick latest_request_ = 0;   // largest `earliest` seen
  Tick forgotten_until_ = 0;  // end of the last interval dropped
  // The held intervals are busy_[head_..]: sorted, disjoint and not
  // touching. Forgetting advances head_; the dead prefix is dropped when it
  // is at least half of the vector (amortized O(1) per interval). A sorted
  // array rather than a tree: requests come almost in time order, so most
  // land at the end, and a search touches contiguous memory.
  std::vector<Interval> busy_;
  std::size_t head_ = 0;
};

}  // namespace iommusim
