// The platform builder: how System (system.h) is made from a configuration
// (and a trace, if any), in named steps that System's constructor runs in
// this order:
//
//   parse_configuration     every platform parameter into its struct
//                           (simulation, memory, root complex, remapping
//                           units and scopes, bridges, RMRRs, ATSRs,
//                           endpoints), with the checks of each list itself
//   build_modules           the SystemC modules, in their creation order
//   check_cross_references  scopes against units, device TLBs against their
//                           unit and the ATSRs, BARs against the MSI window
//                           and memory
//   bind_sockets            every socket, the root complex's routes and
//                           MMIO windows
//   form_iommu_groups       groups from the topology (statistics, peer routes)
//   attach_workloads        synthetic workloads to their endpoints
//   attach_trace            a trace's device records to their endpoints
//   attach_host_driver      the host CPU and the OS driver model
//
// The order matters beyond the steps' inputs: SystemC runs processes of the
// same simulated time in creation order, so modules are created exactly as
// listed in build_modules; and the configuration is read in one fixed order,
// which decides the order of the defaults written back to config.json.
//
// add_dmar_components is the DMAR import's step (platform.dmar,
// platform.dmar_boot_log): it runs once, from System::add_default_components,
// before the --set overrides.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/progress.h"
#include "common/stats.h"
#include "iommu/unit_params.h"
#include "mem/llc.h"
#include "mem/memory_controller.h"
#include "pcie/endpoint.h"
#include "pcie/root_complex.h"
#include "platform/bridges.h"
#include "platform/dmar_import.h"
#include "trace/trace_reader.h"
#include "trace/txn_log.h"

namespace iommusim {

class System;

class PlatformBuilder {
 public:
  PlatformBuilder(System& sys, Config& cfg, StatsRegistry& stats, Progress& progress, TxnLog* txn_log);

  // `auto_endpoints`: add a default endpoint for every device `trace` names
  // (a trace run without a config). Each step throws InputError on bad input.
  void parse_configuration(const Trace* trace, bool auto_endpoints);
  void build_modules();
  void check_cross_references();
  void bind_sockets();
  void form_iommu_groups();
  void attach_workloads();
  void attach_trace(const Trace& trace);
  void attach_host_driver(const Trace* trace);

  // Reads platform.dmar or platform.dmar_boot_log, imports the description
  // (dmar_import.h) and adds what it describes to `cfg` (platform.iommus,
  // rmrrs, atsrs, endpoints), as if the file had it.
  static void add_dmar_components(Config& cfg);

 private:
  // Writes an import into the configuration, where --set reaches it and
  // config.json shows it.
  static void add_to_config(Config& cfg, const ImportedPlatform& p);
  void check_trace(const Trace& trace) const;

  System& sys_;
  Config& cfg_;
  StatsRegistry& stats_;
  Progress& progress_;
  TxnLog* txn_log_;

  // platform (which parse_configuration has read by then).

  // What parse_configuration read; the ConfigNodes name places in messages.
  MemoryParams memory_;
  std::string memory_name_;
  std::optional<LlcParams> llc_;  // platform.llc; absent: no host cache
  RootComplexParams root_complex_;
  std::string root_complex_name_;
  std::vector<ConfigNode> unit_nodes_;
  std::vector<RemappingUnitParams> units_;
  std::map<Bdf, Bridge> bridges_;
  bool check_atsr_ = false;  // an endpoint with a device TLB must be below an ATSR
  std::vector<ConfigNode> endpoint_nodes_;
  std::vector<EndpointParams> endpoints_;

  // The endpoints built, by segment and requester ID and by name.
  std::map<Bdf, Endpoint*> by_bdf_;
  std::map<std::string, Endpoint*> by_name_;
  std::vector<TraceRecord> host_records_;  // the trace's host records, for the host CPU
};

}  // namespace iommusim
