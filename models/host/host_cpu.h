// The host CPU as a trace source: raw register and memory accesses (trace-v1
// host ops mmio_w, mmio_r, mem_w, mem_r, load), performed in file order, each
// starting when its time has come and the previous one has completed (a CPU
// that waits for each access, as uncached MMIO and the table writes before a
// doorbell require).
//
// mmio_* go downstream through the root complex (`mmio` socket); mem_* go to
// the memory controller (`mem` socket), timed like any other request; `load`
// copies a file into memory through the debug transport, untimed, as a loader
// would before the workload starts. map/unmap go to the OS driver model
// (host_driver.h), which a configuration with `host.driver` adds as this
// module's child `driver`; the CPU first lets it bring the remapping units
// up, then performs the trace's records. The driver's own accesses go
// through the same sockets (HostBus) and count in the same statistics.
#pragma once
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "common/local_clock.h"
#include "common/payload_pool.h"
#include "common/run_error.h"
#include "host/host_bus.h"
#include "host/host_driver.h"
#include "common/progress.h"
#include "common/stats_group.h"
#include "trace/trace_record.h"
#include "trace/txn_log.h"

namespace iommusim {

class HostCpu : public sc_core::sc_module, public HostBus {
 public:
  tlm_utils::simple_initiator_socket<HostCpu> mmio;
  tlm_utils::simple_initiator_socket<HostCpu> mem;

  // `driver`: the OS driver model to add as child `driver` (null: none).
  HostCpu(sc_core::sc_module_name name, StatsRegistry& stats, Progress& progress, TxnLog* txn_log,
          const HostDriverSetup* driver = nullptr);

  // The host records of the trace, in file order; call before simulation starts.
  void set_records(std::vector<TraceRecord> records) { records_ = std::move(records); }

  HostDriver* driver() { return driver_.get(); }
  // Where an error that stops the run is kept (System::run rethrows it).
  RunError& run_error() { return run_error_; }

  // HostBus: timed accesses from any thread of the host (the driver's).
  bool mmio_read(Addr addr, unsigned size, uint64_t& value) override;
  bool mmio_write(Addr addr, unsigned size, uint64_t value) override;
  bool mem_read(Addr addr, unsigned size, uint64_t& value) override;
  bool mem_write(Addr addr, unsigned size, uint64_t value) override;
  void compute(Tick t) override;

 private:
  SC_HAS_PROCESS(HostCpu);
  void run();
  // Trace times count from `origin` (the end of the driver's bring-up).
  void perform_records(Tick origin);
  // Performs one access; returns completion time and fills `row`.
  Tick access(const TraceRecord& r, TxnLogRow& row);
  Tick load(const TraceRecord& r, TxnLogRow& row);
  Tick driver_op(const TraceRecord& r, TxnLogRow& row);
  // One access; returns its completion time.
  Tick transport(bool is_mmio, bool write, Addr addr, unsigned size, uint64_t& data, bool& ok);
  bool blocking(bool is_mmio, bool write, Addr addr, unsigned size, uint64_t& data);

  Progress& progress_;
  TxnLog* txn_log_;
  std::vector<TraceRecord> records_;
  StatsGroup stats_group_;  // the statistics below, under the instance name
  Counter& mmio_reads_;
  Counter& mmio_writes_;
  Counter& mem_reads_;
  Counter& mem_writes_;
  Counter& loads_;
  Counter& errors_;
  Counter& driver_errors_;
  PayloadPool payloads_;  // its accesses (no allocation per access)
  std::unique_ptr<HostDriver> driver_;
  RunError run_error_;
};

}  // namespace iommusim
