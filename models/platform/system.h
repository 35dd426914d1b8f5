// The simulated system, built from a configuration (and a trace, if any):
//
//   endpoint --link--> root complex --dma--> remapping unit (by scope) --> memory controller
//   remapping unit --walks--> memory controller
//   host cpu --mmio--> root complex --> remapping unit registers (and other windows)
//   host cpu --mem--> memory controller
//   with platform.llc, the memory controller's requesters above reach it through
//   the host cache (llc: io for DMA and walks, cpu for the host)
//
// System is the top SystemC module ("system"), so every statistic is named
// after its owner's instance path (system.mem0.reads). Building reads every
// parameter through ConfigNode; the caller then checks for unknown keys. The
// constructor runs the platform builder's steps (platform_builder.h).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "common/config.h"
#include "common/progress.h"
#include "common/stats.h"
#include "host/host_cpu.h"
#include "host/interrupt_controller.h"
#include "iommu/remapping_unit.h"
#include "mem/llc.h"
#include "mem/memory_controller.h"
#include "pcie/dma_totals.h"
#include "pcie/endpoint.h"
#include "pcie/link.h"
#include "pcie/root_complex.h"
#include "platform/simulation_params.h"
#include "platform/rmrr_atsr.h"
#include "platform/unit_scope.h"
#include "trace/trace_reader.h"
#include "trace/txn_log.h"

namespace iommusim {

class System : public sc_core::sc_module {
 public:
  // `trace` may be null. `auto_endpoints`: create a default endpoint for every
  // device the trace names (a trace run without a config); otherwise a device
  // the platform lacks is an error. Throws InputError on bad input.
  System(sc_core::sc_module_name name, Config& cfg, const Trace* trace, bool auto_endpoints,
         StatsRegistry& stats, Progress& progress, TxnLog* txn_log);

  // Adds the components a platform has when its configuration does not name
  // them (one remapping unit, iommu0), so that overrides can reach them.
  static void add_default_components(Config& cfg);

  const SimulationParams& sim() const { return sim_; }
  const DmaTotals& totals() const { return totals_; }
  const MemoryController& memory() const { return *mem_; }
  // The host last-level cache (platform.llc), null without one; prepare() it
  // before the run to set up a benchmark's cache state.
  HostCache* host_cache() { return llc_.get(); }
  // The first remapping unit, and all of them in configuration order.
  const RemappingUnit& iommu() const { return *units_.front(); }
  const std::vector<std::unique_ptr<RemappingUnit>>& units() const { return units_; }
  const std::vector<UnitScope>& scopes() const { return scopes_; }
  const std::vector<RmrrRegion>& rmrrs() const { return rmrrs_; }
  const std::vector<AtsrPorts>& atsrs() const { return atsrs_; }
  // The RTL walker's waveform and cosimulation (walker: rtl | both; see
  // RemappingUnit::open_vcd): the waveform is the first such unit's. Throws
  // InputError when no unit has an RTL walker.
  void open_rtl_vcd(const std::string& path, Tick from, Tick to) { rtl_unit().open_vcd(path, from, to); }
  void close_rtl_vcd() { rtl_unit().close_vcd(); }
  bool cosim_enabled() const {
    for (const auto& u : units_)
      if (u->params().walker == WalkerKind::Both) return true;
    return false;
  }
  std::uint64_t cosim_mismatches() const {
    std::uint64_t n = 0;
    for (const auto& u : units_) n += u->cosim_mismatches();
    return n;
  }
  // Tests: the first unit itself (e.g. to swap in another RTL walker).
  RemappingUnit& iommu_unit() { return *units_.front(); }
  // The bytes of physical memory, for untimed set-up before a run (as a loader
  // would write them).
  SparseMemory& physical_memory() { return mem_->store(); }
  const std::vector<std::unique_ptr<Endpoint>>& endpoints() const { return endpoints_; }
  // The OS driver model (null without host.driver).
  HostDriver* driver() { return host_->driver(); }

  // Runs to completion (or to simulation.end_ns). Returns the final time: the
  // later of the kernel's time and the last completion any model computed.
  Tick run();

 private:
  friend class PlatformBuilder;  // fills the members below, step by step

  void write_recorded_trace();
  RemappingUnit& rtl_unit() {
    for (auto& u : units_)
      if (u->params().walker != WalkerKind::Tlm) return *u;
    return *units_.front();  // open_vcd refuses it with the message
  }

  SimulationParams sim_;
  DmaTotals totals_;
  std::unique_ptr<MemoryController> mem_;
  std::unique_ptr<HostCache> llc_;  // platform.llc
  std::unique_ptr<RootComplex> rc_;
  std::vector<std::unique_ptr<RemappingUnit>> units_;
  std::vector<UnitScope> scopes_;
  std::vector<RmrrRegion> rmrrs_;
  std::vector<AtsrPorts> atsrs_;
  std::vector<TraceRecord> recorded_;  // simulation.record_trace
  std::unique_ptr<HostCpu> host_;
  std::unique_ptr<InterruptController> ic_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  Tick last_done_ = 0;
};

}  // namespace iommusim
