#include "host/driver_action.h"

#include <fmt/format.h>

namespace iommusim {

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
