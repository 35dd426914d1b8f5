#include "host/driver_action.h"

#include <fmt/format.h>

#include <stdexcept>

namespace iommusim {

void DriverActions::push_write(Addr pa, uint64_t value) {
  if (segments_.empty() || !segments_.back().writes) segments_.push_back(Segment{true, writes_.size(), 0});
  ++segments_.back().count;
  writes_.push_back(WriteOp{pa, value});
}

void DriverActions::push_back(DriverAction a) {
  if (a.kind == DriverAction::Kind::Write) {
    push_write(a.pa, a.value);
    return;
  }
  if (segments_.empty() || segments_.back().writes) segments_.push_back(Segment{false, others_.size(), 0});
  ++segments_.back().count;
  others_.push_back(std::move(a));
}

DriverActions::const_iterator DriverActions::begin() const {
  const_iterator it;
  it.owner_ = this;
  it.write_ = writes_.begin();
  return it;
}

DriverActions::const_iterator DriverActions::end() const {
  const_iterator it;
  it.owner_ = this;
  it.seg_ = segments_.size();
  it.write_ = writes_.end();
  return it;
}

DriverAction DriverActions::operator[](std::size_t i) const {
  for (const Segment& s : segments_) {
    if (i < s.count) {
      if (!s.writes) return others_[s.first + i];
      const WriteOp w = writes_[s.first + i];
      return DriverAction::write(w.pa, w.value);
    }
    i -= s.count;
  }
  throw std::out_of_range("DriverActions: index past the end");
}

DriverAction DriverActions::const_iterator::operator*() const {
  const Segment& s = owner_->segments_[seg_];
  if (s.writes) {
    const WriteOp w = *write_;
    return DriverAction::write(w.pa, w.value);
  }
  return owner_->others_[s.first + off_];
}

DriverActions::const_iterator& DriverActions::const_iterator::operator++() {
  const Segment& s = owner_->segments_[seg_];
  if (s.writes) ++write_;
  if (++off_ == s.count) {
    ++seg_;
    off_ = 0;
  }
  return *this;
}

DriverAction DriverAction::write(Addr pa, uint64_t value) {
  DriverAction a;
  a.kind = Kind::Write;
  a.pa = pa;
  a.value = value;
  return a;
}

DriverAction DriverAction::invalidate(const IotlbFlush& f) {
  DriverAction a;
  a.kind = Kind::Invalidate;
  a.flush = f;
  a.did = f.did;
  return a;
}

DriverAction DriverAction::wait() {
  DriverAction a;
  a.kind = Kind::Wait;
  return a;
}

DriverAction DriverAction::cpu_time(CpuCost c, Tick t) {
  DriverAction a;
  a.kind = Kind::Cpu;
  a.cost = c;
  a.cpu = t;
  return a;
}

DriverAction DriverAction::free_iova(uint16_t did, const IovaRange& r) {
  DriverAction a;
  a.kind = Kind::FreeIova;
  a.did = did;
  a.iova = r;
  return a;
}

DriverAction DriverAction::release_tables(uint16_t did, std::vector<Addr> pages) {
  DriverAction a;
  a.kind = Kind::ReleaseTables;
  a.did = did;
  a.tables = std::move(pages);
  return a;
}

std::string DriverAction::str() const {
  switch (kind) {
    case Kind::Write: return fmt::format("write {:#x} = {:#x}", pa, value);
    case Kind::Invalidate:
      if (flush.scope == FlushScope::Page)
        return fmt::format("invalidate page did={} addr={:#x} am={} ih={}", flush.did, flush.addr, flush.am,
                           flush.ih ? 1 : 0);
      if (flush.scope == FlushScope::Domain) return fmt::format("invalidate domain did={}", flush.did);
      return "invalidate global";
    case Kind::Wait: return "wait";
    case Kind::Cpu: return fmt::format("cpu {} {} ps", to_string(cost), cpu);
    case Kind::FreeIova: return fmt::format("free_iova did={} {}", did, iova.str());
    case Kind::ReleaseTables: return fmt::format("release_tables did={} pages={}", did, tables.size());
  }
  return "?";
}

const char* to_string(DriverAction::Kind k) {
  switch (k) {
    case DriverAction::Kind::Write: return "write";
    case DriverAction::Kind::Invalidate: return "invalidate";
    case DriverAction::Kind::Wait: return "wait";
    case DriverAction::Kind::Cpu: return "cpu";
    case DriverAction::Kind::FreeIova: return "free_iova";
    case DriverAction::Kind::ReleaseTables: return "release_tables";
  }
  return "?";
}

const char* to_string(CpuCost c) {
  switch (c) {
    case CpuCost::Map: return "map";
    case CpuCost::Unmap: return "unmap";
    case CpuCost::InvalidationWait: return "invalidation_wait";
  }
  return "?";
}

}  // namespace iommusim
