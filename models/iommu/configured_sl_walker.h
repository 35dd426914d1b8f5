// The second-level walker a unit is configured with (platform.iommus[].walker,
// docs/models/rtl-walker.md):
//   tlm   the C++ walker (sl_walker.h) reads the tables through the unit's
//         memory port;
//   rtl   the Verilated walker (rtl/) does, its reads handed over at its clock
//         edges;
//   both  the C++ walk decides; the RTL walks the same request against a
//         replay of the C++ walk's reads (same data, same latencies, no
//         traffic) and the two results are compared (walk_cosim.h).
// It owns the RTL walker and the statistics of the rtl_walker.* and cosim.*
// groups, and the waveform (VCD) of the RTL walks.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "common/stats_group.h"
#include "iommu/rtl_walker.h"
#include "iommu/sl_walker.h"
#include "iommu/unit_params.h"
#include "iommu/unit_ports.h"
#include "iommu/walk_cosim.h"

namespace iommusim {

class ConfiguredSlWalker {
 public:
  // `unit_name`: the unit's SystemC name (statistics, reports); `config_name`
  // its configured name (for the --set hint of open_vcd). Throws InputError
  // when the walker needs the RTL and this build has none.
  ConfiguredSlWalker(const StatsGroup& unit, const std::string& config_name, WalkerKind kind, Tick cycle_ps,
                     UnitPort& mem);

  // One second-level walk whose reads go through `reader` (its time is the
  // walk's time; a resumed walk starts at rq.start_level).
  SlWalkResult walk(UnitReader& reader, const SlWalkParams& wp, const SlWalkRequest& rq);

  // With walker: both, the walks whose TLM and RTL results differed, and the
  // reports of the first ones (as also given to SC_REPORT_WARNING).
  std::uint64_t cosim_mismatches() const { return cosim_.mismatches ? cosim_.mismatches->value() : 0; }
  const std::vector<std::string>& cosim_reports() const { return cosim_reports_; }
  // The RTL walker's waveform, for walks overlapping [from, to] ps (walker:
  // rtl or both; else InputError). close_vcd() finishes the file.
  void open_vcd(const std::string& path, Tick from, Tick to);
  void close_vcd();
  // Tests: replace the RTL walker (e.g. by a deliberately broken variant).
  void use_rtl_walker(std::unique_ptr<RtlSlWalker> w);

 private:
  static constexpr std::uint64_t kCosimReportsShown = 10;
  std::string unit_name_;
  std::string config_name_;
  WalkerKind kind_;
  Tick cycle_ps_;
  UnitPort& mem_;
  std::unique_ptr<RtlSlWalker> rtl_;
  struct {
    Counter* walks = nullptr;
    Histogram* clock_cycles = nullptr;
  } rtl_stats_;
  struct {
    Counter* walks = nullptr;
    Counter* mismatches = nullptr;
    std::array<Counter*, kCosimFieldCount> field{};
    Histogram* tlm_cycles = nullptr;
    Histogram* rtl_cycles = nullptr;
    Histogram* cycle_diff = nullptr;
    Counter* rtl_faster = nullptr;
  } cosim_;
  std::vector<std::string> cosim_reports_;
};

}  // namespace iommusim
