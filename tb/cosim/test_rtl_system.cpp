// The RTL walker inside the remapping unit: trace runs with walker: rtl and
// both, the cosim statistics, --strict-cosim, --vcd and --vcd-window, the
// errors around them, and a broken RTL caught inside a running system.
#include <filesystem>
#include <regex>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../system/system_util.h"
#include "common/config.h"
#include "common/progress.h"
#include "common/stats.h"
#include "platform/system.h"
#include "trace/trace_reader.h"

using namespace iommusim;
using namespace iommusim::test;
namespace fs = std::filesystem;

namespace {

const char* const kTrace = "run --trace traces/examples/legacy_setup.trace";

nlohmann::json stats_of(const std::string& dir) { return nlohmann::json::parse(slurp(dir + "/stats.json"))["stats"]; }

bool is_rtl_stat(const std::string& name) {
  return name.find(".cosim.") != std::string::npos || name.find(".rtl_walker.") != std::string::npos;
}

}  // namespace

TEST_CASE("rtl system: a trace in walker: both mode has no mismatches and TLM timing", "[cosim]") {
  const std::string both = temp_dir(), tlm = temp_dir();
  const CliResult r = run_cli(std::string(kTrace) + " --set iommu0.walker=both --strict-cosim --out " + both);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("cosim            5 walks, 0 mismatches") != std::string::npos);
  REQUIRE(run_cli(std::string(kTrace) + " --out " + tlm).status == 0);
  const auto sb = stats_of(both), st = stats_of(tlm);
  CHECK(sb["system.iommu0.cosim.walks"] == 5);
  CHECK(sb["system.iommu0.cosim.mismatches"] == 0);
  CHECK(sb["system.iommu0.cosim.mismatch_pa"] == 0);
  CHECK(sb["system.iommu0.cosim.mismatch_reads"] == 0);
  CHECK(sb["system.iommu0.rtl_walker.walks"] == 5);
  // The RTL's extra cycles per walk: 2 + 2 per read.
  CHECK(sb["system.iommu0.cosim.cycle_diff"]["max"] == 10);
  CHECK(sb["system.iommu0.cosim.cycle_diff"]["min"] == 4);
  CHECK(sb["system.iommu0.cosim.rtl_faster"] == 0);
  CHECK(sb["system.iommu0.cosim.tlm_cycles"]["samples"] == 5);
  // Timing follows the TLM walker: every other statistic is the TLM run's.
  for (const auto& [name, value] : st.items()) {
    CAPTURE(name);
    CHECK(sb[name] == value);
  }
  for (const auto& [name, value] : sb.items()) {
    CAPTURE(name);
    CHECK((st.contains(name) || is_rtl_stat(name)));
  }
  fs::remove_all(both);
  fs::remove_all(tlm);
}

TEST_CASE("rtl system: walker: rtl translates the same, slower by its cycles", "[cosim]") {
  const std::string rtl = temp_dir(), tlm = temp_dir();
  const CliResult r = run_cli(std::string(kTrace) + " --txn-log " + rtl + "/log.csv --set iommu0.walker=rtl --out " + rtl);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  REQUIRE(run_cli(std::string(kTrace) + " --txn-log " + tlm + "/log.csv --out " + tlm).status == 0);
  const auto sr = stats_of(rtl), st = stats_of(tlm);
  for (const char* n : {"system.iommu0.translations", "system.iommu0.faults", "system.iommu0.walks",
                        "system.iommu0.walk_reads", "system.iommu0.iotlb_hits", "system.iommu0.psc_hits",
                        "system.dmas", "system.iommu0.faults_reason_05", "system.iommu0.faults_reason_06"}) {
    CAPTURE(n);
    CHECK(sr[n] == st[n]);
  }
  CHECK(sr["system.iommu0.rtl_walker.walks"] == 5);
  CHECK_FALSE(sr.contains("system.iommu0.cosim.walks"));
  // Walk time = RTL cycles * 1 ns + the same memory latencies: 64 cycles
  // over the 5 walks (mean 6.4 each, clock_cycles below).
  CHECK(sr["system.iommu0.rtl_walker.clock_cycles"]["mean"] == 6.4);
  const double dt = double(sr["system.iommu0.walk_latency"]["mean"]) - double(st["system.iommu0.walk_latency"]["mean"]);
  CHECK(dt == Approx(6400.0));
  CHECK(double(sr["system.iommu0.translation_latency"]["mean"]) >
        double(st["system.iommu0.translation_latency"]["mean"]));
  // The same requests complete with the same outcomes.
  std::vector<std::string> lr, lt;
  auto outcome_columns = [](const std::string& csv) {
    std::vector<std::string> rows;
    std::istringstream in(csv);
    for (std::string line; std::getline(in, line);) rows.push_back(line.substr(0, line.find(',')));
    return rows;
  };
  CHECK(outcome_columns(slurp(rtl + "/log.csv")) == outcome_columns(slurp(tlm + "/log.csv")));
  fs::remove_all(rtl);
  fs::remove_all(tlm);
}

TEST_CASE("rtl system: --vcd writes the RTL's waveform, --vcd-window limits it", "[cosim]") {
  const std::string dir = temp_dir();
  const CliResult all = run_cli(std::string(kTrace) + " --set iommu0.walker=rtl --vcd " + dir + "/all.vcd --out " + dir);
  INFO(all.out << all.err);
  REQUIRE(all.status == 0);
  const std::string vcd = slurp(dir + "/all.vcd");
  CHECK(vcd.find("$timescale") != std::string::npos);
  CHECK(vcd.find("mem_req_addr") != std::string::npos);
  CHECK(vcd.find("c_state") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/all.vcd.tmp"));
  auto times = [](const std::string& text) {
    std::vector<std::uint64_t> ts;
    static const std::regex re("\n#([0-9]+)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
      ts.push_back(std::stoull((*it)[1]));
    return ts;
  };
  const auto ta = times(vcd);
  REQUIRE(ta.size() > 50);
  CHECK(std::is_sorted(ta.begin(), ta.end()));
  // A window around the second half of the walks only.
  const std::uint64_t mid = ta[ta.size() / 2];
  const std::string window = std::to_string(mid / 1000) + ":" + std::to_string(ta.back() / 1000 + 1);
  const CliResult part = run_cli(std::string(kTrace) + " --set iommu0.walker=both --vcd " + dir +
                                 "/part.vcd --vcd-window " + window + " --out " + dir);
  INFO(part.err);
  REQUIRE(part.status == 0);
  const auto tp = times(slurp(dir + "/part.vcd"));
  REQUIRE_FALSE(tp.empty());
  CHECK(tp.size() < ta.size());
  CHECK(tp.front() >= mid / 1000 * 1000);
  CHECK(tp.back() == ta.back());
  fs::remove_all(dir);
}

TEST_CASE("rtl system: errors in the walker options", "[cosim]") {
  const std::string dir = temp_dir();
  CliResult r = run_cli(std::string(kTrace) + " --vcd " + dir + "/x.vcd --out " + dir);
  CHECK(r.status == 1);
  CHECK(r.err.find("--vcd") != std::string::npos);
  CHECK(r.err.find("walker: tlm") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/x.vcd"));
  CHECK_FALSE(fs::exists(dir + "/x.vcd.tmp"));
  r = run_cli(std::string(kTrace) + " --strict-cosim --set iommu0.walker=rtl --out " + dir);
  CHECK(r.status == 1);
  CHECK(r.err.find("--strict-cosim") != std::string::npos);
  r = run_cli(std::string(kTrace) + " --set iommu0.walker=rtl --vcd " + dir + "/x.vcd --vcd-window 5:abc --out " + dir);
  CHECK(r.status == 1);
  CHECK(r.err.find("--vcd-window '5:abc'") != std::string::npos);
  r = run_cli(std::string(kTrace) + " --set iommu0.walker=rtl --vcd " + dir + "/x.vcd --vcd-window 9:5 --out " + dir);
  CHECK(r.status == 1);
  r = run_cli(std::string(kTrace) + " --set iommu0.walker=rtl --vcd-window 1:5 --out " + dir);
  CHECK(r.status == 1);
  CHECK(r.err.find("--vcd-window needs --vcd") != std::string::npos);
  r = run_cli(std::string(kTrace) + " --set iommu0.walker=verilog --out " + dir);
  CHECK(r.status == 1);
  CHECK(r.err.find("walker") != std::string::npos);
  CHECK(r.err.find("verilog") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("rtl system: a broken RTL in walker: both mode is caught and reported", "[cosim]") {
  Config cfg = Config::empty();
  System::add_default_components(cfg);
  cfg.apply_override("iommu0.walker=both");
  const Trace trace = read_trace_file(source_dir() + "/traces/examples/legacy_setup.trace");
  StatsRegistry stats;
  Progress progress;
  System sys("system", cfg, &trace, true, stats, progress, nullptr);
  sys.iommu_unit().use_rtl_walker(make_rtl_sl_walker(RtlVariant::BrokenPa));
  sc_core::sc_report_handler::set_actions("/iommu/cosim", sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
  sys.run();
  // The walks that translated differ in the output address, the faults do not.
  CHECK(sys.cosim_mismatches() == 3);
  const auto* pa = dynamic_cast<const Counter*>(stats.find("system.iommu0.cosim.mismatch_pa"));
  REQUIRE(pa);
  CHECK(pa->value() == 3);
  const auto* reads = dynamic_cast<const Counter*>(stats.find("system.iommu0.cosim.mismatch_reads"));
  CHECK(reads->value() == 0);
  REQUIRE(sys.iommu().cosim_reports().size() == 3);
  const std::string& rep = sys.iommu().cosim_reports().front();
  INFO(rep);
  CHECK(rep.find("differ in pa") != std::string::npos);
  CHECK(rep.find("request: iova=0x40000010 read table=0x102000 levels=4") != std::string::npos);
  CHECK(rep.find("tlm: ok pa=0x800010 size=4K perm=rw level=1") != std::string::npos);
  CHECK(rep.find("rtl: ok pa=0x801010 size=4K perm=rw level=1") != std::string::npos);
  // The table entries read: the 4-level path of the first walk.
  CHECK(rep.find("0x000000102000: 0x0000000000103003") != std::string::npos);
  CHECK(rep.find("0x000000105000: 0x0000000000800003") != std::string::npos);
}
