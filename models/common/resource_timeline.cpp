#include "common/resource_timeline.h"

#include <algorithm>

namespace iommusim {

ResourceTimeline::ResourceTimeline(Tick horizon) : horizon_(horizon) {}

Tick ResourceTimeline::reserve(Tick earliest, Tick duration) {
  if (earliest > latest_request_) {
    latest_request_ = earliest;
    if (latest_request_ > horizon_) forget_before(latest_request_ - horizon_);
  }
  Tick start = std::max(earliest, forgotten_until_);
  if (duration == 0) return start;

  // `next`: the first interval that starts after `start`. Most requests come
  // at or after the last interval's start: no search then.
  const auto first = busy_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto next = busy_.end();
  if (first != busy_.end() && busy_.back().start > start)
    next = std::upper_bound(first, busy_.end(), start, [](Tick t, const Interval& i) { return t < i.start; });
  // Leave the interval that covers `start`, then skip gaps that are too short.
  if (next != first) start = std::max(start, std::prev(next)->end);
  while (next != busy_.end() && next->start < start + duration) {
    start = next->end;
    ++next;
  }
  const Tick end = start + duration;

  // Record [start, end), merging with the neighbours it touches.
  const bool joins_prev = next != first && std::prev(next)->end == start;
  const bool joins_next = next != busy_.end() && next->start == end;
  if (joins_prev && joins_next) {
    std::prev(next)->end = next->end;
    busy_.erase(next);
  } else if (joins_prev) {
    std::prev(next)->end = end;
  } else if (joins_next) {
    next->start = start;
  } else {
    busy_.insert(next, Interval{start, end});
  }
  return start;
}

Tick ResourceTimeline::busy_until() const {
  return head_ == busy_.size() ? forgotten_until_ : busy_.back().end;
}

// Intervals are disjoint, so their ends are sorted like their starts.
void ResourceTimeline::forget_before(Tick cutoff) {
  while (head_ < busy_.size() && busy_[head_].end < cutoff) {
    forgotten_until_ = busy_[head_].end;
    ++head_;
  }
  if (head_ >= 64 && head_ * 2 >= busy_.size()) {
    busy_.erase(busy_.begin(), busy_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace iommusim
