// iommusim: the command-line program.
//
//   iommusim run [CONFIG] [--trace FILE] [--set key=value]... [--out DIR]
//                [--txn-log FILE] [--seed N] [-v]
//                [--strict-cosim] [--vcd FILE [--vcd-window START_NS:END_NS]]
//   iommusim validate CONFIG
//   iommusim import --format ftrace|qemu INPUT -o OUTPUT [--device BDF]
//                   [--reg-base ADDR] [--on-error skip|fail]
//   iommusim sweep SWEEP.yaml [-j N] [--out DIR] [--no-plots]
//   iommusim regress SUITE_DIR [CASE]... [--update] [-j N] [--out DIR]
//   iommusim pcie-bench CONFIG FILE... --out DIR [-j N] [--set key=value]...
//                       [--iommu off|4k|2m] [--device NAME] [--lat-samples N]
//                       [--bw-transactions N] [--base ADDR]
//   iommusim map-trace --map BDF:IOVA:SIZE... -o FILE [--tables ADDR]
//                      [--reg-base ADDR] [--page-size 4K|2M|1G]
//
// Bad input ends the run with one line "iommusim: error: <input>:<place>:
// <problem>" on stderr and exit code 1; output files of a failed run never
// appear (they are written through temporary files and renamed at the end).
// With --strict-cosim, a run in which the RTL and TLM walkers disagreed
// (walker: both) writes its outputs and then exits with code 2.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <systemc>

#include "common/config.h"
#include "common/error.h"
#include "common/progress.h"
#include "common/quiet_systemc.h"
#include "common/stats.h"
#include "host/map_trace.h"
#include "platform/system.h"
#include "pcie_bench_run.h"
#include "process_pool.h"
#include "regress_run.h"
#include "sweep_run.h"
#include "trace/import_ftrace.h"
#include "trace/import_qemu.h"
#include "trace/trace_reader.h"
#include "trace/txn_log.h"

namespace fs = std::filesystem;
using namespace iommusim;

namespace {

struct RunOptions {
  std::string config;
  std::string trace;
  std::vector<std::string> sets;
  std::string out;
  std::string txn_log;
  std::optional<std::uint64_t> seed;
  int verbose = 0;
  bool strict_cosim = false;
  std::string vcd;
  std::string vcd_window;
};

constexpr int kExitCosimMismatch = 2;

// "START_NS:END_NS" (either side may be empty: from the start, to the end).
std::pair<Tick, Tick> parse_vcd_window(const std::string& w) {
  const auto colon = w.find(':');
  const auto bad = [&w](const std::string& why) {
    return InputError(fmt::format("--vcd-window '{}': {} (expected START_NS:END_NS, e.g. 1000:5000)", w, why));
  };
  if (colon == std::string::npos) throw bad("no ':'");
  const auto parse = [&](const std::string& text, Tick def) -> Tick {
    if (text.empty()) return def;
    std::size_t used = 0;
    double ns = 0;
    try {
      ns = std::stod(text, &used);
    } catch (const std::exception&) {
      throw bad(fmt::format("'{}' is not a number of nanoseconds", text));
    }
    if (used != text.size() || !(ns >= 0) || ns > 1e12) throw bad(fmt::format("'{}' is not a number of nanoseconds", text));
    return ticks_from_ns(ns);
  };
  const Tick from = parse(w.substr(0, colon), 0);
  const Tick to = parse(w.substr(colon + 1), ~Tick{0});
  if (from > to) throw bad("START is after END");
  return {from, to};
}

// The VCD is written to FILE.tmp and renamed when the run has succeeded.
struct VcdOutput {
  std::string path;
  bool done = false;
  ~VcdOutput() {
    std::error_code ec;
    if (!path.empty() && !done) fs::remove(path + ".tmp", ec);
  }
};

void write_text_file(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) throw InputError(fmt::format("{}: cannot write", tmp.string()));
  }
  fs::rename(tmp, path);
}

std::string stem_of(const std::string& path) { return fs::path(path).stem().string(); }

Config load_config(const RunOptions& o) {
  Config cfg = o.config.empty() ? Config::empty() : Config::from_file(o.config);
  System::add_default_components(cfg);  // before the overrides, so that --set iommu0.x=... reaches them
  for (const std::string& s : o.sets) cfg.apply_override(s);
  if (o.seed) cfg.apply_override(fmt::format("simulation.seed={}", *o.seed));
  return cfg;
}

std::optional<Trace> load_trace(Config& cfg, const std::string& cli_trace) {
  std::string path = cli_trace;
  if (path.empty()) path = SimulationParams::from_config(cfg.root().child("simulation"), cfg.base_dir()).trace;
  if (path.empty()) return std::nullopt;
  return read_trace_file(path);
}

void print_summary(const std::string& what, const System& sys, const StatsRegistry& stats, Tick end,
                   double wall, const fs::path& out) {
  const DmaTotals& t = sys.totals();
  const double bursts = double(sys.memory().timing().row_hits() + sys.memory().timing().row_misses() +
                               sys.memory().timing().row_conflicts());
  const Histogram& lat = t.latency();
  fmt::print("iommusim {}: {}\n", IOMMUSIM_VERSION, what);
  fmt::print("  simulated time   {:.3f} us\n", double(end) / 1e6);
  fmt::print("  DMAs done        {} ({} with errors or faults)\n", t.dmas().value(), t.errors().value());
  fmt::print("  bytes            {} ({:.2f} MiB)\n", t.bytes().value(), double(t.bytes().value()) / (1 << 20));
  fmt::print("  bandwidth        {:.3f} GB/s\n", t.bandwidth() / 1e9);
  fmt::print("  DMA latency      mean {:.1f} ns, p99 {:.1f} ns\n", lat.mean() / 1000.0,
             lat.count() ? double(lat.percentile(99)) / 1000.0 : 0.0);
  fmt::print("  memory row hits  {:.1f} % of {} bursts\n",
             bursts ? 100.0 * double(sys.memory().timing().row_hits()) / bursts : 0.0, std::uint64_t(bursts));
  const std::string unit = sys.iommu().name();
  if (const auto* w = dynamic_cast<const Counter*>(stats.find(unit + ".cosim.walks"))) {
    const auto* mm = dynamic_cast<const Counter*>(stats.find(unit + ".cosim.mismatches"));
    const auto* diff = dynamic_cast<const Histogram*>(stats.find(unit + ".cosim.cycle_diff"));
    fmt::print("  cosim            {} walks, {} mismatches, RTL slower by {:.1f} cycles/walk (max {})\n", w->value(),
               mm ? mm->value() : 0, diff ? diff->mean() : 0.0, diff ? diff->max() : 0);
  }
  fmt::print("  wall time        {:.2f} s ({:.0f} DMAs/s)\n", wall, wall > 0 ? double(t.dmas().value()) / wall : 0.0);
  fmt::print("  output           {}/{{stats.json,stats.txt,config.json}}\n", out.string());
}

int cmd_run(const RunOptions& o) {
  Config cfg = load_config(o);
  std::optional<Trace> trace = load_trace(cfg, o.trace);
  const fs::path out = !o.out.empty() ? fs::path(o.out)
                       : fs::path("out") / (!o.config.empty() ? stem_of(o.config)
                                                              : (trace ? stem_of(trace->path) : "run"));
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create output folder: {}", out.string(), ec.message()));
  for (const char* f : {"stats.json", "stats.txt", "config.json"}) fs::remove(out / f, ec);

  StatsRegistry stats;
  Progress progress;
  if (isatty(STDERR_FILENO)) progress.enable();
  std::unique_ptr<TxnLog> log;
  if (!o.txn_log.empty()) {
    fs::remove(o.txn_log, ec);
    log = std::make_unique<TxnLog>(o.txn_log);
  }
  System sys("system", cfg, trace ? &*trace : nullptr, o.config.empty(), stats, progress, log.get());
  cfg.check_unknown_keys();
  if (o.strict_cosim && !sys.cosim_enabled())
    throw InputError(fmt::format("--strict-cosim: {} does not compare walkers; set its walker to both (e.g. --set "
                                 "{}.walker=both)",
                                 sys.iommu().params().name, sys.iommu().params().name));
  if (!o.vcd_window.empty() && o.vcd.empty()) throw InputError("--vcd-window needs --vcd FILE");
  VcdOutput vcd;
  if (!o.vcd.empty()) {
    const auto [from, to] = o.vcd_window.empty() ? std::pair<Tick, Tick>{0, ~Tick{0}} : parse_vcd_window(o.vcd_window);
    fs::remove(o.vcd, ec);
    sys.open_rtl_vcd(o.vcd + ".tmp", from, to);
    vcd.path = o.vcd;
  }

  const auto t0 = std::chrono::steady_clock::now();
  const Tick end = sys.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.finish();
  stats.formula("system.sim_seconds", "Simulated time: the later of the kernel's time and the last completion",
                "Second", [end] { return double(end) * 1e-12; });

  stats.write_files(out.string());
  write_text_file(out / "config.json", cfg.to_json().dump(2) + "\n");
  if (log) log->finish();
  if (!vcd.path.empty()) {
    sys.close_rtl_vcd();
    fs::rename(vcd.path + ".tmp", vcd.path);
    vcd.done = true;
  }
  print_summary(!o.config.empty() ? o.config : (trace ? trace->path : "(built-in platform)"), sys, stats, end,
                wall, out);
  if (o.strict_cosim && sys.cosim_mismatches() > 0) {
    std::cerr << fmt::format("iommusim: error: --strict-cosim: {} of {}'s walks differ between the RTL and TLM "
                             "walkers (reported above; counts in {}/stats.txt, {}.cosim.*)\n",
                             sys.cosim_mismatches(), sys.iommu().params().name, out.string(), sys.iommu().name());
    return kExitCosimMismatch;
  }
  return 0;
}

int cmd_validate(const std::string& config) {
  RunOptions o;
  o.config = config;
  Config cfg = load_config(o);
  std::optional<Trace> trace = load_trace(cfg, "");
  StatsRegistry stats;
  Progress progress;
  System sys("system", cfg, trace ? &*trace : nullptr, false, stats, progress, nullptr);
  cfg.check_unknown_keys();
  fmt::print("{}: ok ({} endpoints{})\n", config, sys.endpoints().size(),
             trace ? fmt::format(", trace {} with {} records", trace->path, trace->records.size()) : "");
  return 0;
}

struct ImportCli {
  std::string format;
  std::string input;
  std::string output;
  std::string device;
  std::string reg_base;
  std::string on_error = "skip";
};

// Converts a real trace (ftrace text, a QEMU vtd_* log) into trace-v1; the
// summary goes to stderr. The output appears only when the import succeeded.
int cmd_import(const ImportCli& c) {
  ImportOptions o;
  if (!c.device.empty()) {
    o.device = parse_bdf(c.device);
    if (!o.device) throw InputError(fmt::format("--device '{}': expected a BDF like 3b:00.0 or 0000:3b:00.0", c.device));
  }
  if (!c.reg_base.empty()) {
    const auto base = parse_import_number(c.reg_base);
    if (!base) throw InputError(fmt::format("--reg-base '{}': expected an address, e.g. 0xfed90000", c.reg_base));
    o.reg_base = *base;
  }
  o.on_error = c.on_error == "fail" ? ImportOnError::Fail : ImportOnError::Skip;

  std::ifstream in(c.input, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open", c.input));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(fmt::format("{}: cannot read", c.input));

  const ImportResult r = c.format == "qemu" ? import_qemu(text, c.input, o) : import_ftrace(text, c.input, o);
  const std::string trace = r.trace_text();
  parse_trace(trace, c.output, "");  // the contract: what we write reads back (throws otherwise)
  write_text_file(c.output, trace);
  std::cerr << fmt::format("iommusim import ({}): {} -> {}\n{}", c.format, c.input, c.output, r.summary());
  return 0;
}

struct SweepCli {
  std::string file;
  std::string out;
  unsigned jobs = 0;
  bool no_plots = false;
};

int cmd_sweep(const SweepCli& c) {
  const SweepSpec spec = SweepSpec::from_file(c.file);
  SweepOptions o;
  o.out = !c.out.empty() ? c.out : (fs::path("out") / "sweeps" / stem_of(c.file)).string();
  o.jobs = c.jobs ? c.jobs : default_jobs();
  o.plots = !c.no_plots;
  o.progress = isatty(STDERR_FILENO);
  o.binary = self_executable();
  o.plot_script = IOMMUSIM_PLOT_SCRIPT;
  return run_sweep(spec, o, std::cout, std::cerr);
}

struct CalibrateCli {
  std::vector<std::string> dirs;
  std::string out;
  std::string base = IOMMUSIM_CALIBRATE_BASE;
  unsigned jobs = 0;
  double budget_minutes = 20;
  unsigned evaluations = 60;
  std::uint64_t lat_samples = 3000, bw_transactions = 20000;
  std::vector<std::string> sets;
};

// `iommusim calibrate` is scripts/calibrate.py (scipy's optimisers) driving
// `iommusim pcie-bench`; this checks what it can and then becomes the script.
int cmd_calibrate(const CalibrateCli& c) {
  const std::string python = "/usr/bin/python3";
  const std::string script = IOMMUSIM_CALIBRATE_SCRIPT;
  if (access(python.c_str(), X_OK) != 0)
    throw InputError(python + ": not found: iommusim calibrate needs Debian's python3 with python3-scipy "
                              "(scripts/setup installs them)");
  if (access(script.c_str(), R_OK) != 0)
    throw InputError(script + ": the calibration script is missing (it belongs to the source tree this binary was "
                              "built from)");
  std::vector<std::string> args = {python, script, "--iommusim", self_executable(), "--base", c.base,
                                   "--out", c.out, "-j", std::to_string(c.jobs ? c.jobs : default_jobs()),
                                   "--budget-minutes", fmt::format("{}", c.budget_minutes),
                                   "--evaluations", std::to_string(c.evaluations),
                                   "--lat-samples", std::to_string(c.lat_samples),
                                   "--bw-transactions", std::to_string(c.bw_transactions)};
  for (const std::string& s : c.sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  for (const std::string& d : c.dirs) args.push_back(d);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  execv(python.c_str(), argv.data());
  throw InputError(fmt::format("cannot start {}: {}", python, std::strerror(errno)));
}

struct RegressCli {
  std::string suite;
  std::vector<std::string> cases;
  std::string out;
  unsigned jobs = 0;
  bool update = false;
};

int cmd_regress(const RegressCli& c) {
  const RegressSuite suite = RegressSuite::load(c.suite);
  RegressOptions o;
  std::string name = fs::path(c.suite).lexically_normal().filename().string();
  if (name.empty()) name = fs::path(c.suite).lexically_normal().parent_path().filename().string();
  o.out = !c.out.empty() ? c.out : (fs::path("out") / "regress" / name).string();
  o.jobs = c.jobs ? c.jobs : default_jobs();
  o.update = c.update;
  o.progress = isatty(STDERR_FILENO);
  o.binary = self_executable();
  o.only = c.cases;
  return run_regress(suite, o, std::cout, std::cerr);
}

struct PcieBenchCli {
  std::string config;
  std::vector<std::string> files;
  std::string out;
  unsigned jobs = 0;
  std::vector<std::string> sets;
  std::string iommu = "off";
  std::string device;
  std::uint64_t lat_samples = 20000;
  std::uint64_t bw_transactions = 100000;
  std::string base = "0x100000000";
};

int cmd_pcie_bench(const PcieBenchCli& c) {
  PcieBenchRunOptions o;
  o.config = c.config;
  o.files = c.files;
  o.out = c.out;
  o.jobs = c.jobs ? c.jobs : default_jobs();
  o.sets = c.sets;
  o.iommu = c.iommu;
  o.device = c.device;
  o.lat_samples = c.lat_samples;
  o.bw_transactions = c.bw_transactions;
  const auto b = parse_config_u64(c.base);
  if (!b || (*b & 0xfff))
    throw InputError(fmt::format("--base '{}': expected a 4 KiB aligned address, e.g. 0x100000000", c.base));
  o.base = *b;
  o.progress = isatty(STDERR_FILENO);
  o.binary = self_executable();
  return run_pcie_bench(o, std::cout, std::cerr);
}

struct MapTraceCli {
  std::vector<std::string> maps;
  std::string output;
  std::string tables = "0x10000000";
  std::string reg_base = "0xfed90000";
  std::string page_size = "4K";
};

// Writes a trace that sets up legacy-mode identity maps and turns translation on.
int cmd_map_trace(const MapTraceCli& c) {
  MapTraceOptions o;
  for (const std::string& m : c.maps) o.ranges.push_back(parse_map_range(m, "--map"));
  const auto number = [](const std::string& opt, const std::string& text) {
    const auto v = parse_config_u64(text);
    if (!v) throw InputError(fmt::format("{} '{}': expected an address, e.g. 0x10000000", opt, text));
    return *v;
  };
  o.tables_base = number("--tables", c.tables);
  if (o.tables_base & 0xfff) throw InputError(fmt::format("--tables '{}': expected a 4 KiB aligned address", c.tables));
  o.reg_base = number("--reg-base", c.reg_base);
  o.page_shift = c.page_size == "4K" ? 12 : c.page_size == "2M" ? 21 : 30;
  const MapTrace t = make_map_trace(o);
  parse_trace(t.text, c.output, "");  // what we write reads back
  write_text_file(c.output, t.text);
  std::cerr << fmt::format("iommusim map-trace: {}: {} pages mapped for {} ranges, {} table pages, {} records\n",
                           c.output, t.pages, o.ranges.size(), t.table_pages, t.records);
  return 0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  CLI::App app{"iommusim: a cycle-approximate simulator of an Intel VT-d IOMMU and its PCIe/memory system"};
  app.set_version_flag("--version", std::string("iommusim ") + IOMMUSIM_VERSION);
  app.require_subcommand(1);

  RunOptions ro;
  std::uint64_t seed = 0;
  CLI::App* run = app.add_subcommand("run", "Run a simulation");
  run->add_option("config", ro.config, "Experiment configuration (YAML); omit to replay --trace on the default platform");
  run->add_option("--trace", ro.trace, "Trace file (trace-v1) to replay");
  run->add_option("--set", ro.sets, "Override a configuration value: key.path=value (repeatable)");
  run->add_option("--out", ro.out, "Output folder (default out/<config name>)");
  run->add_option("--txn-log", ro.txn_log, "Write the per-transaction log (CSV) of the trace's records here");
  CLI::Option* seed_opt = run->add_option("--seed", seed, "Random seed (overrides simulation.seed)");
  run->add_flag("-v,--verbose", ro.verbose, "More log output (repeat for more)");
  run->add_flag("--strict-cosim", ro.strict_cosim,
                "Exit with code 2 if the RTL and TLM walkers disagree on any walk (needs walker: both)");
  run->add_option("--vcd", ro.vcd, "Write the RTL walker's waveform (VCD) here (needs walker: rtl or both)");
  run->add_option("--vcd-window", ro.vcd_window,
                  "Dump only the walks inside START_NS:END_NS of simulated time (either side may be empty)");

  std::string vconfig;
  CLI::App* validate = app.add_subcommand("validate", "Check a configuration (and its trace) without running");
  validate->add_option("config", vconfig, "Configuration file")->required();

  ImportCli ic;
  CLI::App* imp = app.add_subcommand("import", "Convert a real trace (Linux ftrace text, QEMU vtd_* log) into trace-v1");
  imp->add_option("--format", ic.format, "Input format: ftrace (iommu and dma events) or qemu (intel-iommu vtd_* events)")
      ->required()
      ->check(CLI::IsMember({"ftrace", "qemu"}));
  imp->add_option("input", ic.input, "Input file")->required();
  imp->add_option("-o,--output", ic.output, "Output trace file (trace-v1)")->required();
  imp->add_option("--device", ic.device,
                  "Requester BDF for events that name no PCI device (iommu map/unmap, non-PCI devices, MSIs)");
  imp->add_option("--reg-base", ic.reg_base, "qemu: register block base of the remapping unit (default 0xfed90000)");
  imp->add_option("--on-error", ic.on_error, "Malformed lines: skip and count them (default), or fail")
      ->check(CLI::IsMember({"skip", "fail"}));

  SweepCli sc;
  CLI::App* sweep = app.add_subcommand("sweep", "Run a parameter sweep: every grid point of every workload as its own run");
  sweep->add_option("sweep", sc.file, "Sweep file (YAML, see docs/sweeps.md)")->required();
  sweep->add_option("-j,--jobs", sc.jobs, "Points run at once (default: the number of processors)")
      ->check(CLI::Range(1u, 1024u));
  sweep->add_option("--out", sc.out, "Output folder (default out/sweeps/<sweep file name>); finished points in it are not run again");
  sweep->add_flag("--no-plots", sc.no_plots, "Write results.csv and results.json only (no plots, no report.md)");

  RegressCli rc;
  CLI::App* regress = app.add_subcommand("regress", "Run a regression suite and compare its statistics with the goldens");
  regress->add_option("suite", rc.suite, "Suite folder (cases in subfolders with case.yaml, see docs/sweeps.md)")
      ->required();
  regress->add_option("cases", rc.cases, "Run only these cases (folder names)");
  regress->add_flag("--update", rc.update, "Rewrite the golden statistics with this run's and print what changed");
  regress->add_option("-j,--jobs", rc.jobs, "Cases run at once (default: the number of processors)")
      ->check(CLI::Range(1u, 1024u));
  regress->add_option("--out", rc.out, "Output folder of the runs (default out/regress/<suite folder name>)");

  PcieBenchCli pc;
  CLI::App* pbench = app.add_subcommand(
      "pcie-bench", "Rerun pcie-bench result files in the simulator and write the simulated files in pcie-bench's format");
  pbench->add_option("config", pc.config, "Platform preset (YAML with a platform: map and one endpoint)")->required();
  pbench->add_option("files", pc.files, "pcie-bench result files (*.txt)")->required();
  pbench->add_option("--out", pc.out, "Output folder: the simulated files, compare.json, runs/")->required();
  pbench->add_option("-j,--jobs", pc.jobs, "Rows run at once (default: the number of processors)")
      ->check(CLI::Range(1u, 1024u));
  pbench->add_option("--set", pc.sets, "Override a configuration value in every run: key.path=value (repeatable)");
  pbench->add_option("--iommu", pc.iommu, "off (driver disabled), 4k (4 KiB pages) or 2m (superpages allowed)")
      ->check(CLI::IsMember({"off", "4k", "2m"}));
  pbench->add_option("--device", pc.device, "The benchmark's endpoint (default: the preset's only endpoint)");
  pbench->add_option("--lat-samples", pc.lat_samples, "Latency samples per LAT row (default 20000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  pbench->add_option("--bw-transactions", pc.bw_transactions, "DMAs per BW row (default 100000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  pbench->add_option("--base", pc.base, "IOVA (and physical address) of the DMA buffer (default 0x100000000)");

  CalibrateCli cc;
  CLI::App* calibrate = app.add_subcommand(
      "calibrate", "Fit a platform preset to pcie-bench result folders of one host (docs/calibration.md)");
  calibrate->add_option("dirs", cc.dirs, "pcie-bench result folders ([off|4k|2m:]DIR; the IOMMU setting from the "
                                         "folder name's -iommu / -iommu-nosp suffix otherwise)")
      ->required();
  calibrate->add_option("--out", cc.out, "Output folder: preset.yaml, report.md, sim/<folder>/")->required();
  calibrate->add_option("--base", cc.base, "Platform preset to start from (default configs/platforms/pcie-bench-base.yaml)");
  calibrate->add_option("-j,--jobs", cc.jobs, "Simulations at once (default: the number of processors)")
      ->check(CLI::Range(1u, 1024u));
  calibrate->add_option("--budget-minutes", cc.budget_minutes, "Stop fitting after this long (default 20; the final simulation of every file follows)")
      ->check(CLI::Range(0.5, 10000.0));
  calibrate->add_option("--set", cc.sets, "Fix a configuration value of the preset: key.path=value (repeatable)");
  calibrate->add_option("--evaluations", cc.evaluations, "Simulations per continuous fit of a stage (default 60)")
      ->check(CLI::Range(1u, 100000u));
  calibrate->add_option("--lat-samples", cc.lat_samples, "Latency samples per row while fitting (default 3000; x2 in the final files)")
      ->check(CLI::Range(std::uint64_t{10}, std::uint64_t{1} << 30));
  calibrate->add_option("--bw-transactions", cc.bw_transactions, "DMAs per bandwidth row while fitting (default 20000; x2 in the final files)")
      ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{1} << 30));

  MapTraceCli mc;
  CLI::App* maptrace = app.add_subcommand(
      "map-trace", "Write a trace that identity-maps IOVA ranges in legacy-mode tables and enables translation");
  maptrace->add_option("--map", mc.maps, "BDF:IOVA:SIZE to identity-map for a device (repeatable), e.g. 00:03.0:0x100000000:8MiB")
      ->required();
  maptrace->add_option("-o,--output", mc.output, "Output trace file")->required();
  maptrace->add_option("--tables", mc.tables, "Where the table pages go (default 0x10000000)");
  maptrace->add_option("--reg-base", mc.reg_base, "Register base of the remapping unit (default 0xfed90000)");
  maptrace->add_option("--page-size", mc.page_size, "Page size of the mappings: 4K (default), 2M or 1G")
      ->check(CLI::IsMember({"4K", "2M", "1G"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "iommusim: error: command line: " << e.what() << " (see iommusim --help)\n";
    return 1;
  }
  if (*seed_opt) ro.seed = seed;
  if (ro.config.empty() && ro.trace.empty() && *run) {
    std::cerr << "iommusim: error: run needs a CONFIG, a --trace FILE, or both\n";
    return 1;
  }
  sc_core::sc_report_handler::set_verbosity_level(ro.verbose >= 2 ? sc_core::SC_DEBUG
                                                  : ro.verbose == 1 ? sc_core::SC_MEDIUM
                                                                    : sc_core::SC_LOW);
  try {
    if (*imp) return cmd_import(ic);
    if (*sweep) return cmd_sweep(sc);
    if (*regress) return cmd_regress(rc);
    if (*maptrace) return cmd_map_trace(mc);
    if (*pbench) return cmd_pcie_bench(pc);
    if (*calibrate) return cmd_calibrate(cc);
    return *run ? cmd_run(ro) : cmd_validate(vconfig);
  } catch (const InputError& e) {
    std::cerr << "iommusim: error: " << e.what() << "\n";
  } catch (const sc_core::sc_report& e) {
    std::cerr << "iommusim: error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "iommusim: internal error: " << e.what() << "\n";
  }
  return 1;
}

// Our own main: SystemC prints its banner once per process (Debian's build has
// no switch to turn it off); print it into /dev/null first so that the
// program's stderr carries only its own messages.
int main(int argc, char* argv[]) {
  iommusim::silence_systemc_banner();
  return sc_core::sc_elab_and_sim(argc, argv);
}
