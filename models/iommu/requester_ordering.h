// Translation ordering per requester (source ID): how far a device's later
// translations may pass an earlier one of the same device that missed the
// IOTLB and walks (docs/models/iommu.md, "Translation ordering per
// requester"). Real units differ here (a blocking unit, a hit-under-miss
// queue of some depth, several outstanding walks per device), so the rules are
// parameters, chosen by fitting measured DMA latency and throughput:
//
//   misses M          at most M walks (IOTLB misses) of one requester are
//                     outstanding: a further miss's walk starts no earlier than
//                     the time one of them completes (the M-th latest
//                     completion among those outstanding).
//   hit_under_miss H  while a miss of the requester is outstanding, at most H
//                     later requests of that requester that do not walk
//                     ("hits") may complete before it; a hit beyond that
//                     completes no earlier than that miss. H = 0 is a
//                     blocking unit.
//   in_order          a requester's translations complete in the order they
//                     were translated: done = max(own done, previous done).
//
// Every default (unlimited, unlimited, false) leaves the times as they are.
// Plain C++: the translation engine asks it for a walk's start and a
// request's completion, and counts the delays in its statistics.
//
// State per requester is the misses still outstanding when a later request of
// it arrives; a miss is forgotten (pruned) once a request of the requester
// arrives at or after its completion, so it stays bounded by the requests in
// flight. Requests of one requester arrive in non-decreasing time in practice;
// if one arrives earlier than a miss already recorded, that miss does not
// count for it (it is not an earlier request), and times only ever grow (max).
//
// Per request class (PCIe 3.0 2.4.1): ClassOrdering below. Without class rules
// one RequesterOrdering holds every request of a requester, whatever its
// class (as before); with class rules (ordering.posted / ordering.non_posted)
// each class has its own rules and its own RequesterOrdering, so a class's
// limits count only that class's requests (a walking read holds back no
// write, and a walking write no read).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/types.h"

namespace iommusim {

struct OrderingParams {
  static constexpr unsigned kUnlimited = ~0u;
  unsigned hit_under_miss = kUnlimited;
  unsigned misses = kUnlimited;
  bool in_order = false;
  bool active() const { return hit_under_miss != kUnlimited || misses != kUnlimited || in_order; }
};

class RequesterOrdering {
 public:
  explicit RequesterOrdering(const OrderingParams& p) : p_(p) {}

  // A request of `sid` that arrived at `arrival` misses the IOTLB and could
  // start its walk at `t`: the time it may start (>= t).
  Tick walk_start(std::uint16_t sid, Tick arrival, Tick t);
  // The request of `sid` that arrived at `arrival` is translated by `done`
  // (`miss`: it walked). Gives its completion under the rules, and how long
  // each rule held it back; records it.
  struct Completion {
    Tick done = 0;
    Tick hit_wait = 0;    // held back by the hit-under-miss limit
    Tick order_wait = 0;  // then by in-order completion
  };
  Completion complete(std::uint16_t sid, Tick arrival, bool miss, Tick done);

  const OrderingParams& params() const { return p_; }
  // Misses of `sid` still recorded (for the bound on the state).
  std::size_t recorded_misses(std::uint16_t sid) const;
  std::size_t requesters() const { return reqs_.size(); }

 private:
  struct Miss {
    Tick arrival;
    Tick done;
    unsigned passed;  // later hits that completed before it
  };
  struct Requester {
    std::vector<Miss> misses;  // outstanding, in the order they were translated
    Tick last_done = 0;        // in_order: the previous request's completion
  };
  void prune(Requester& r, Tick arrival) const;

  OrderingParams p_;
  std::unordered_map<std::uint16_t, Requester> reqs_;
};

// The PCIe request classes the ordering rules may tell apart: posted (memory
// writes) and non-posted (memory reads and ATS translation requests).
// Interrupt requests do not reach the translation engine (the unit's msi_in
// and InterruptRemapper), so no class holds them.
enum class RequestClass : std::uint8_t { Posted = 0, NonPosted = 1 };
constexpr std::size_t kRequestClasses = 2;
const char* request_class_name(RequestClass c);  // "posted", "non_posted"

// The unit's ordering rules: one rule set for all requests (`all`), or, when
// `by_class` is set, one per class (`by_class[RequestClass]`, each the
// top-level rules with the class block's keys overriding them).
struct ClassOrderingParams {
  OrderingParams all;
  std::optional<std::array<OrderingParams, kRequestClasses>> by_class;
  const OrderingParams& of(RequestClass c) const {
    return by_class ? (*by_class)[static_cast<std::size_t>(c)] : all;
  }
};

// One RequesterOrdering shared by both classes (no class rules: exactly the
// behaviour of one rule set), or one per class.
class ClassOrdering {
 public:
  explicit ClassOrdering(const ClassOrderingParams& p);
  bool by_class() const { return p_.by_class.has_value(); }
  // The ordering that holds requests of class `c`.
  RequesterOrdering& of(RequestClass c) { return cls_[index(c)]; }
  const RequesterOrdering& of(RequestClass c) const { return cls_[index(c)]; }

 private:
  std::size_t index(RequestClass c) const { return by_class() ? static_cast<std::size_t>(c) : 0; }
  ClassOrderingParams p_;
  std::vector<RequesterOrdering> cls_;  // one shared, or one per class
};

}  // namespace iommusim
