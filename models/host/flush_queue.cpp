#include "host/flush_queue.h"

#include <algorithm>
#include <stdexcept>

namespace iommusim {

void FlushActions::append(FlushActions&& o) {
  invalidations.insert(invalidations.end(), o.invalidations.begin(), o.invalidations.end());
  for (auto& r : o.releases) releases.push_back(std::move(r));
}

FlushQueue::FlushQueue(const FlushQueueParams& p) : p_(p) {
  if (p_.entries == 0) throw std::invalid_argument("flush queue of 0 entries");
  if (p_.timeout == 0) throw std::invalid_argument("flush queue timeout of 0");
}

void FlushQueue::count(const IotlbFlush& f) {
  switch (f.scope) {
    case FlushScope::Page: ++stats_.psi; break;
    case FlushScope::Domain: ++stats_.dsi; break;
    case FlushScope::Global: ++stats_.global; break;
  }
}

void FlushQueue::flush(uint16_t did, FlushActions& out) {
  // fq_flush_iotlb() then fq_ring_free(): one invalidation, then everything
  // queued before it is freed.
  const IotlbFlush f = p_.global_flush ? flush_global(p_.caps) : flush_domain(did, p_.caps);
  count(f);
  out.invalidations.push_back(f);
  uint64_t freed = 0;
  for (auto& [d, q] : queues_) {
    if (d != did && !p_.global_flush) continue;
    freed += q.entries.size();
    for (auto& e : q.entries) out.releases.push_back(std::move(e));
    q.entries.clear();
  }
  ++stats_.flushes;
  if (freed == 0) ++stats_.empty_flushes;
  stats_.ranges_flushed += freed;
  stats_.max_ranges_per_flush = std::max(stats_.max_ranges_per_flush, freed);
}

FlushActions FlushQueue::on_unmap(Tick now, UnmapNotice n) {
  FlushActions out = on_time(now);
  ++stats_.unmaps;
  if (p_.strict) {
    const IotlbFlush f = flush_for_range(n.did, n.iova, n.bytes, n.leaf_only, p_.caps);
    if (f.scope != FlushScope::Page) ++stats_.psi_fallbacks;
    count(f);
    ++stats_.strict_invalidations;
    out.invalidations.push_back(f);
    out.releases.push_back(Release{n.did, n.alloc, std::move(n.freed_tables), now});
    return out;
  }
  Queue& q = queues_[n.did];
  if (q.entries.size() >= p_.entries) {
    ++stats_.full_flushes;
    flush(n.did, out);
  }
  q.entries.push_back(Release{n.did, n.alloc, std::move(n.freed_tables), now});
  stats_.max_depth = std::max<uint64_t>(stats_.max_depth, q.entries.size());
  if (!q.deadline) q.deadline = now + p_.timeout;
  return out;
}

FlushActions FlushQueue::on_time(Tick now) {
  FlushActions out;
  for (;;) {
    // The earliest expired timer (lowest DID among equals).
    auto due = queues_.end();
    for (auto it = queues_.begin(); it != queues_.end(); ++it)
      if (it->second.deadline && *it->second.deadline <= now &&
          (due == queues_.end() || *it->second.deadline < *due->second.deadline))
        due = it;
    if (due == queues_.end()) break;
    due->second.deadline.reset();
    ++stats_.timeout_flushes;
    flush(due->first, out);
  }
  return out;
}

FlushActions FlushQueue::drain(Tick now) {
  FlushActions out = on_time(now);
  for (auto& [did, q] : queues_) {
    if (q.entries.empty()) continue;
    q.deadline.reset();
    flush(did, out);
  }
  return out;
}

std::optional<Tick> FlushQueue::next_deadline() const {
  std::optional<Tick> t;
  for (const auto& [did, q] : queues_)
    if (q.deadline && (!t || *q.deadline < *t)) t = q.deadline;
  return t;
}

std::size_t FlushQueue::depth(uint16_t did) const {
  auto it = queues_.find(did);
  return it == queues_.end() ? 0 : it->second.entries.size();
}

std::size_t FlushQueue::total_depth() const {
  std::size_t n = 0;
  for (const auto& [did, q] : queues_) n += q.entries.size();
  return n;
}

}  // namespace iommusim
