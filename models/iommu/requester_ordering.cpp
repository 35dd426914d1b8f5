#include "iommu/requester_ordering.h"

#include <algorithm>
#include <functional>

namespace iommusim {

void RequesterOrdering::prune(Requester& r, Tick arrival) const {
  r.misses.erase(std::remove_if(r.misses.begin(), r.misses.end(), [arrival](const Miss& m) { return m.done <= arrival; }),
                 r.misses.end());
}

Tick RequesterOrdering::walk_start(std::uint16_t sid, Tick arrival, Tick t) {
  if (p_.misses == OrderingParams::kUnlimited) return t;
  auto it = reqs_.find(sid);
  if (it == reqs_.end()) return t;
  prune(it->second, arrival);
  // The completions of the earlier misses still outstanding at t.
  std::vector<Tick> dones;
  for (const Miss& m : it->second.misses)
    if (m.arrival <= arrival && m.done > t) dones.push_back(m.done);
  if (dones.size() < p_.misses) return t;
  // The earliest s >= t with fewer than M completions after s: the M-th latest.
  std::sort(dones.begin(), dones.end(), std::greater<Tick>());
  return dones[p_.misses - 1];
}

RequesterOrdering::Completion RequesterOrdering::complete(std::uint16_t sid, Tick arrival, bool miss, Tick done) {
  Completion c;
  c.done = done;
  if (!p_.active()) return c;
  Requester& r = reqs_[sid];
  prune(r, arrival);
  if (!miss && p_.hit_under_miss != OrderingParams::kUnlimited) {
    // A hit may pass an earlier outstanding miss only while fewer than H hits
    // have passed it; otherwise it completes no earlier than that miss.
    Tick need = done;
    for (const Miss& m : r.misses)
      if (m.arrival <= arrival && m.done > done && m.passed >= p_.hit_under_miss) need = std::max(need, m.done);
    c.hit_wait = need - done;
    done = need;
  }
  if (p_.in_order) {
    if (r.last_done > done) {
      c.order_wait = r.last_done - done;
      done = r.last_done;
    }
    r.last_done = done;
  }
  // The misses this hit completes before (after both rules) count it.
  if (!miss && p_.hit_under_miss != OrderingParams::kUnlimited)
    for (Miss& m : r.misses)
      if (m.arrival <= arrival && m.done > done) ++m.passed;
  if (miss && (p_.hit_under_miss != OrderingParams::kUnlimited || p_.misses != OrderingParams::kUnlimited))
    r.misses.push_back({arrival, done, 0});
  if (r.misses.empty() && r.last_done <= arrival) reqs_.erase(sid);
  c.done = done;
  return c;
}

const char* request_class_name(RequestClass c) { return c == RequestClass::Posted ? "posted" : "non_posted"; }

ClassOrdering::ClassOrdering(const ClassOrderingParams& p) : p_(p) {
  if (p_.by_class) {
    for (const OrderingParams& c : *p_.by_class) cls_.emplace_back(c);
  } else {
    cls_.emplace_back(p_.all);
  }
}

std::size_t RequesterOrdering::recorded_misses(std::uint16_t sid) const {
  auto it = reqs_.find(sid);
  return it == reqs_.end() ? 0 : it->second.misses.size();
}

}  // namespace iommusim
