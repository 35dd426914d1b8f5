// What the host driver model asks the SystemC host shell to do, in order.
//
// The driver logic (dma_api.h) decides everything at the moment it is
// called - IOVAs are allocated and freed, shadows of the page tables are
// updated - and returns the side effects the simulated machine must see, in
// program order, for the shell to perform with timing:
//
//   Write       an 8-byte store to simulated memory (a page-table entry, or
//               a zero clearing a recycled table page)
//   Invalidate  an IOTLB invalidation: write its queued-invalidation
//               descriptor (IotlbFlush::descriptor()) and ring the tail
//   Wait        an invalidation-wait descriptor; the CPU spins until it
//               completes (Linux qi_submit_sync())
//   Cpu         CPU time the driver spends (parameters; 0 = not charged)
//   FreeIova    informational: the IOVA range returned to the allocator at
//               this point (already done in the logic)
//   ReleaseTables informational: table pages returned to the pool
//
// A Wait always follows the Invalidate(s) it completes; FreeIova and
// ReleaseTables of an invalidated range come after that Wait, so a shell that
// performs the actions in order never lets a device reuse an IOVA or a table
// page before the IOMMU has forgotten it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/types.h"
#include "host/iotlb_flush.h"
#include "host/iova_allocator.h"

namespace iommusim {

enum class CpuCost : uint8_t { Map, Unmap, InvalidationWait };

struct DriverAction {
  enum class Kind : uint8_t { Write, Invalidate, Wait, Cpu, FreeIova, ReleaseTables };
  Kind kind = Kind::Write;
  // Write
  Addr pa = 0;
  uint64_t value = 0;
  // Invalidate
  IotlbFlush flush;
  // Cpu
  Tick cpu = 0;
  CpuCost cost = CpuCost::Map;
  // FreeIova, ReleaseTables
  uint16_t did = 0;
  IovaRange iova;
  std::vector<Addr> tables;

  static DriverAction write(Addr pa, uint64_t value);
  static DriverAction invalidate(const IotlbFlush& f);
  static DriverAction wait();
  static DriverAction cpu_time(CpuCost c, Tick t);
  static DriverAction free_iova(uint16_t did, const IovaRange& r);
  static DriverAction release_tables(uint16_t did, std::vector<Addr> pages);

  std::string str() const;  // one line, for logs and test failures
};

using DriverActions = std::vector<DriverAction>;

const char* to_string(DriverAction::Kind k);
const char* to_string(CpuCost c);

}  // namespace iommusim
