#include "common/resource_timeline.h"

#include <algorithm>
#include <iterator>

namespace iommusim {

ResourceTimeline::ResourceTimeline(Tick horizon) : horizon_(horizon) {}

Tick ResourceTimeline::reserve(Tick earliest, Tick duration) {
  if (earliest > latest_request_) {
    latest_request_ = earliest;
    if (latest_request_ > horizon_) forget_before(latest_request_ - horizon_);
  }
  Tick start = std::max(earliest, forgotten_until_);
  if (duration == 0) return start;

  // Leave the interval that covers `start`, then skip gaps that are too short.
  auto next = busy_.upper_bound(start);
  if (next != busy_.begin()) start = std::max(start, std::prev(next)->second);
  while (next != busy_.end() && next->first < start + duration) {
    start = next->second;
    ++next;
  }
  const Tick end = start + duration;

  // Record [start, end), merging with the neighbours it touches.
  auto placed = next;
  if (next != busy_.begin() && std::prev(next)->second == start) {
    placed = std::prev(next);
    placed->second = end;
  } else {
    placed = busy_.emplace_hint(next, start, end);
  }
  if (next != busy_.end() && next->first == end) {
    placed->second = next->second;
    busy_.erase(next);
  }
  return start;
}

Tick ResourceTimeline::busy_until() const {
  return busy_.empty() ? forgotten_until_ : busy_.rbegin()->second;
}

// Intervals are disjoint, so their ends are sorted like their starts.
void ResourceTimeline::forget_before(Tick cutoff) {
  while (!busy_.empty() && busy_.begin()->second < cutoff) {
    forgotten_until_ = busy_.begin()->second;
    busy_.erase(busy_.begin());
  }
}

}  // namespace iommusim
