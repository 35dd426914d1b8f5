// Memory controller: the SystemC shell around DramTiming (timing) and
// SparseMemory (bytes). A TLM-2.0 target serving [base, base+size) of host
// physical memory; every initiator (root complex / IOMMU for DMA, the IOMMU's
// walker and queue fetches, the host CPU) binds to its multi-target socket, so
// that all of them compete for the same banks and data buses.
//
// Timing: the annotated arrival time (sc_time_stamp() + delay) is the request's
// arrival; the response's delay is set to DramTiming's completion time. DMI is
// granted for one 4 KiB page at a time with zero latency: it is the host's
// untimed path (docs/architecture.md, "The system, as data flows through
// it"). transport_dbg reads and writes the bytes without timing.
#pragma once
#include <cstdint>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "common/config.h"
#include "common/stats_group.h"
#include "mem/backing_store.h"
#include "mem/dram_timing.h"

namespace iommusim {

struct MemoryParams {
  Addr base = 0;
  std::uint64_t size = 1ull << 52;   // default: the whole address space above base
  unsigned address_width = 52;       // host physical address width
  DramParams dram;

  static MemoryParams from_config(ConfigNode node);
};

class MemoryController : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<MemoryController> tsock;

  MemoryController(sc_core::sc_module_name name, const MemoryParams& p, StatsRegistry& stats);

  SparseMemory& store() { return store_; }
  const DramTiming& timing() const { return dram_; }
  bool contains(Addr a, std::uint64_t len) const;
  const MemoryParams& params() const { return p_; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& trans);
  // Checks range and byte enables; copies the data. False -> response status set.
  bool move_data(tlm::tlm_generic_payload& trans);

  MemoryParams p_;
  SparseMemory store_;
  DramTiming dram_;

  StatsGroup stats_group_;  // the statistics below, under the instance name
  Counter& reads_;
  Counter& writes_;
  Counter& bytes_read_;
  Counter& bytes_written_;
  Counter& row_hits_;
  Counter& row_misses_;
  Counter& row_conflicts_;
  Counter& errors_;
  Histogram& latency_;
  // Registered only with refresh on (tREFI_ns > 0), so that the statistics of
  // a platform without refresh stay as they were.
  Counter* refresh_waits_ = nullptr;
  Counter* refresh_closes_ = nullptr;
};

}  // namespace iommusim
