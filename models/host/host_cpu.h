// The host CPU as a trace source: raw register and memory accesses (trace-v1
// host ops mmio_w, mmio_r, mem_w, mem_r, load), performed in file order, each
// starting when its time has come and the previous one has completed (a CPU
// that waits for each access, as uncached MMIO and the table writes before a
// doorbell require).
//
// mmio_* go downstream through the root complex (`mmio` socket); mem_* go to
// the memory controller (`mem` socket), timed like any other request; `load`
// copies a file into memory through the debug transport, untimed, as a loader
// would before the workload starts. map/unmap need the OS driver model and are rejected by
// trace validation until it exists.
#pragma once
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "common/local_clock.h"
#include "common/progress.h"
#include "common/stats.h"
#include "trace/trace_record.h"
#include "trace/txn_log.h"

namespace iommusim {

class HostCpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<HostCpu> mmio;
  tlm_utils::simple_initiator_socket<HostCpu> mem;

  HostCpu(sc_core::sc_module_name name, StatsRegistry& stats, Progress& progress, TxnLog* txn_log);

  // The host records of the trace, in file order; call before simulation starts.
  void set_records(std::vector<TraceRecord> records) { records_ = std::move(records); }

 private:
  SC_HAS_PROCESS(HostCpu);
  void run();
  // Performs one access; returns completion time and fills `row`.
  Tick access(const TraceRecord& r, TxnLogRow& row);
  Tick load(const TraceRecord& r, TxnLogRow& row);

  Progress& progress_;
  TxnLog* txn_log_;
  std::vector<TraceRecord> records_;
  Counter& mmio_reads_;
  Counter& mmio_writes_;
  Counter& mem_reads_;
  Counter& mem_writes_;
  Counter& loads_;
  Counter& errors_;
};

}  // namespace iommusim
