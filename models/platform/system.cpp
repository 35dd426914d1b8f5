#include "platform/system.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/error.h"
#include "common/sc_time_conv.h"
#include "platform/platform_builder.h"
#include "trace/trace_writer.h"

namespace iommusim {

System::System(sc_core::sc_module_name name, Config& cfg, const Trace* trace, bool auto_endpoints,
               StatsRegistry& stats, Progress& progress, TxnLog* txn_log)
    : sc_module(name), totals_(std::string(this->name()), stats) {
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("SystemC time resolution must be 1 ps");
  PlatformBuilder build(*this, cfg, stats, progress, txn_log);
  build.parse_configuration(trace, auto_endpoints);
  build.build_modules();
  build.check_cross_references();
  build.bind_sockets();
  build.form_iommu_groups();
  build.attach_workloads();
  if (trace) build.attach_trace(*trace);
  build.attach_host_driver(trace);
}

void System::add_default_components(Config& cfg) {
  ConfigNode plat = cfg.root().child("platform");
  if (plat.has("dmar") || plat.has("dmar_boot_log")) {
    if (!cfg.flag("dmar_imported")) PlatformBuilder::add_dmar_components(cfg);
    return;
  }
  if (!plat.has("iommus")) cfg.append("platform.iommus", {{"name", "iommu0"}});
}

Tick System::run() {
  SC_REPORT_INFO_VERB("/platform/system",
                      fmt::format("{} endpoints, memory {:#x}+{:#x}, quantum {} ps", endpoints_.size(),
                                  mem_->params().base, mem_->params().size, sim_.quantum_ps)
                          .c_str(),
                      sc_core::SC_MEDIUM);
  if (sim_.end_ps) sc_core::sc_start(to_sc_time(sim_.end_ps));
  else sc_core::sc_start();
  host_->run_error().rethrow_if_failed();
  if (!sim_.record_trace.empty()) write_recorded_trace();
  return std::max(now_tick(), totals_.last_done());
}

void System::write_recorded_trace() {
  // Per device the records are in issue order with non-decreasing times; a
  // stable sort by time interleaves the devices and keeps each one's order.
  std::stable_sort(recorded_.begin(), recorded_.end(),
                   [](const TraceRecord& a, const TraceRecord& b) { return a.time < b.time; });
  const std::string tmp = sim_.record_trace + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << "iommusim-trace 1\n# Recorded from the workloads of a run (simulation.record_trace), seed "
        << sim_.seed << ".\n";
    for (const TraceRecord& r : recorded_) out << format_record(r) << '\n';
    if (!out) throw InputError(fmt::format("{}: cannot write", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, sim_.record_trace, ec);
  if (ec) throw InputError(fmt::format("{}: cannot write: {}", sim_.record_trace, ec.message()));
}

}  // namespace iommusim
