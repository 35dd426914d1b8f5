// What the host CPU offers the OS driver model: timed register (MMIO) and
// memory accesses, each blocking the calling SystemC thread until it has
// completed, as a CPU's uncached loads and its stores before a doorbell do.
// HostCpu implements it over its `mmio` and `mem` sockets, so the driver's
// accesses are counted and timed like a trace's host ops.
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

class HostBus {
 public:
  virtual ~HostBus() = default;
  // size 1, 2, 4 or 8. False when the access completed with an error.
  virtual bool mmio_read(Addr addr, unsigned size, uint64_t& value) = 0;
  virtual bool mmio_write(Addr addr, unsigned size, uint64_t value) = 0;
  virtual bool mem_read(Addr addr, unsigned size, uint64_t& value) = 0;
  virtual bool mem_write(Addr addr, unsigned size, uint64_t value) = 0;
  // CPU time spent computing (no access): the thread waits `t`.
  virtual void compute(Tick t) = 0;
};

}  // namespace iommusim
