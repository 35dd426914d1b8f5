// One of the root complex's inbound queues (docs/models/pcie.md, "Inbound
// buffers and flow-control credits"): `entries` entries for one class of
// upstream TLP (posted: memory writes and interrupt messages; non-posted:
// reads and translation requests); 0 entries = unlimited (no queue).
//
// A TLP arrives in the root port's receive buffer; it enters the queue at
// max(arrival, the time an entry frees), and that is when the receive buffer
// returns its flow-control credit (PCIe 2.6.1: an UpdateFC once the receiver
// has taken the TLP out of its buffer). The entry is held until the request
// has been handed to the memory side. Like SlotPool (common/slot_pool.h) the
// queue keeps each entry's busy-until time and serves requests in the order
// they reach it, which at quantum 0 is time order.
#pragma once
#include <cstddef>
#include <iterator>
#include <set>

#include "common/types.h"

namespace iommusim {

class InboundQueue {
 public:
  explicit InboundQueue(std::size_t entries) : capacity_(entries) {}

  bool limited() const { return capacity_ != 0; }
  std::size_t capacity() const { return capacity_; }

  // The time a TLP that arrived at `arrival` enters the queue (>= arrival).
  // Takes an entry: the caller then calls hold_until() with the time it
  // frees. Unlimited: `arrival`, and nothing is tracked.
  Tick enter(Tick arrival) {
    if (!limited()) return arrival;
    Tick at = arrival;
    if (busy_.size() == capacity_) {
      const auto first = busy_.begin();  // the entry that frees first
      if (*first > at) at = *first;
      busy_.erase(first);
    }
    const std::size_t occupancy = 1 + static_cast<std::size_t>(std::distance(busy_.upper_bound(at), busy_.end()));
    if (occupancy > peak_) peak_ = occupancy;
    if (at > arrival) {
      ++waited_;
      wait_ += at - arrival;
    }
    return at;
  }
  void hold_until(Tick freed) {
    if (limited()) busy_.insert(freed);
  }

  // Statistics: TLPs that waited for an entry, their total wait, and the most
  // entries in use at once (counted when a TLP enters).
  std::uint64_t waited() const { return waited_; }
  Tick wait() const { return wait_; }
  std::size_t peak() const { return peak_; }

 private:
  std::size_t capacity_;
  std::multiset<Tick> busy_;  // busy-until times of the entries in use
  std::uint64_t waited_ = 0;
  Tick wait_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace iommusim
