// `make bench`: simulation speed, in simulated DMA transactions per wall-clock
// second, for a long random-read workload at quantum 0 (the reference) and at a
// decoupled quantum, next to the rate of a bare initiator->target b_transport
// loop measured in the same run. SystemC elaborates once per process, so each
// case runs in a child process of this program (`iommusim_bench CASE [N]`),
// which prints its numbers on one line for the parent to read.
//
// Beside the random-read cases, the cases users run (issue 15): the default
// experiment (`make run`, and at quantum 1 us with its error), the per-packet
// strict NIC through the driver model, the eight-unit Xeon platform with 16
// active endpoints, a scaling table over 1..64 endpoints, and the simulator's
// memory per mapped 4 KiB page. Each is compared with its bar (issue 15's
// "Done when" list); a benchmark reports, it never fails on a slow machine.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/config.h"
#include "common/progress.h"
#include "common/quiet_systemc.h"
#include "common/stats.h"
#include "host/boot_tables.h"
#include "host/host_driver.h"
#include "platform/system.h"

using namespace iommusim;

namespace {

constexpr std::uint64_t kDmas = 400000;
constexpr std::uint64_t kBareLoops = 20'000'000;

struct BareTarget : sc_core::sc_module {
  tlm_utils::simple_target_socket<BareTarget> sock{"sock"};
  explicit BareTarget(sc_core::sc_module_name n) : sc_module(n) {
    sock.register_b_transport(this, &BareTarget::bt);
  }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    d += sc_core::sc_time(1, sc_core::SC_NS);
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct BareInitiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<BareInitiator> sock{"sock"};
  SC_HAS_PROCESS(BareInitiator);
  explicit BareInitiator(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  void run() {
    unsigned char data[64];
    tlm::tlm_generic_payload t;
    t.set_data_ptr(data);
    t.set_data_length(64);
    t.set_streaming_width(64);
    for (std::uint64_t i = 0; i < kBareLoops; ++i) {
      t.set_command(tlm::TLM_READ_COMMAND);
      t.set_address(i * 64);
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      sock->b_transport(t, d);
    }
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A simulation case: quantum, window, and whether the IOMMU translates.
struct SimCase {
  const char* name;
  const char* label;
  unsigned quantum_ns;
  std::uint64_t window;
  bool translate;
};

const SimCase kCases[] = {
    {"q0", "random 64 B DMA reads, quantum 0", 0, 64ull << 20, false},
    {"q1us", "random 64 B DMA reads, quantum 1 us", 1000, 64ull << 20, false},
    {"tlb_hit", "translated, IOTLB-hit (64 KiB window)", 0, 64ull << 10, true},
    {"tlb_miss", "translated, miss-heavy (64 MiB, 4K pages)", 0, 64ull << 20, true},
};

constexpr Addr kWindowBase = 0x100000000;

// Host records that point the unit at `root` and enable translation (VT-d
// 11.4.4/11.4.5: RTADDR, GCMD.SRTP, GCMD.TE).
Trace enable_translation(Addr root) {
  Trace t;
  t.path = "(bench)";
  const std::pair<Addr, std::uint64_t> writes[] = {{0xFED90020, root}, {0xFED90018, 1u << 30}, {0xFED90018, 1u << 31}};
  for (const auto& [addr, data] : writes) {
    TraceRecord r;
    r.seq = t.records.size();
    r.line = static_cast<std::uint32_t>(r.seq + 2);
    r.host = true;
    r.op = TraceOp::MmioW;
    r.addr = addr;
    r.size = addr == 0xFED90020 ? 8 : 4;
    r.data = data;
    t.records.push_back(r);
  }
  return t;
}

// Prints "RATE MEAN_LATENCY_NS IOTLB_HIT_RATE" for one case.
int run_case(const std::string& name) {
  sc_core::sc_report_handler::set_verbosity_level(sc_core::SC_LOW);
  if (name == "bare") {
    BareInitiator ini("ini");
    BareTarget tgt("tgt");
    ini.sock.bind(tgt.sock);
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    std::printf("%.0f\n", double(kBareLoops) / seconds_since(t0));
    return 0;
  }
  const SimCase* c = nullptr;
  for (const SimCase& k : kCases)
    if (name == k.name) c = &k;
  if (!c) return 2;
  Config cfg = Config::from_string(fmt::format(R"(
simulation: {{ quantum_ns: {}, seed: 1 }}
platform:
  endpoints: [ {{ name: nic0, bdf: "00:03.0", tags: 32 }} ]
workloads:
  - {{ device: nic0, pattern: random, op: read, size: 64, base: {}, window: {}, count: {}, start_ns: 1000 }}
)", c->quantum_ns, kWindowBase, c->window, kDmas), "bench");
  StatsRegistry stats;
  Progress progress;
  // Identity-map the window with 4 KiB pages for 00:03.0 (domain 1, 4-level).
  std::unique_ptr<System> sys;
  Trace setup;
  if (c->translate) {
    // Tables are written straight into memory before the run: the bench times
    // the DMA, not the set-up.
    std::vector<std::pair<Addr, std::uint64_t>> stores;
    BootTables tables(0x10000000, 64ull << 20, [&](Addr pa, std::uint64_t v) { stores.push_back({pa, v}); });
    const Addr top = tables.new_domain_table(4);
    ContextEntry ce;
    ce.present = true;
    ce.did = 1;
    ce.aw = kAw48;
    ce.slptptr = top;
    tables.set_context(0x0018, ce);
    for (Addr off = 0; off < c->window; off += 4096) tables.map(top, kWindowBase + off, kWindowBase + off, 12, true, true);
    setup = enable_translation(tables.root_table());
    sys = std::make_unique<System>("system", cfg, &setup, false, stats, progress, nullptr);
    for (const auto& [pa, v] : stores) sys->physical_memory().write_le(pa, v, 8);
  } else {
    sys = std::make_unique<System>("system", cfg, nullptr, false, stats, progress, nullptr);
  }
  const auto t0 = std::chrono::steady_clock::now();
  sys->run();
  const auto* hit_rate = static_cast<const Formula*>(stats.find("system.iommu0.iotlb_hit_rate"));
  std::printf("%.0f %.3f %.4f\n", double(sys->totals().dmas().value()) / seconds_since(t0),
              sys->totals().latency().mean() / 1000.0, hit_rate ? hit_rate->value() : 0.0);
  return 0;
}

// ---- The cases users run (issue 15) ----------------------------------------

#ifndef IOMMUSIM_SOURCE_DIR
#define IOMMUSIM_SOURCE_DIR "."
#endif

// A configuration of the repository, loaded as `iommusim run FILE --set ...`
// loads it (relative paths inside it are the file's own).
Config repo_config(const char* rel, const std::vector<std::string>& sets) {
  Config cfg = Config::from_file(std::string(IOMMUSIM_SOURCE_DIR) + "/" + rel);
  System::add_default_components(cfg);
  for (const std::string& s : sets) cfg.apply_override(s);
  return cfg;
}

// Builds the system, times System::run() and prints
// "DMAS_PER_S MEAN_LATENCY_NS BANDWIDTH_GBPS DMAS".
int run_timed(Config& cfg) {
  StatsRegistry stats;
  Progress progress;
  System sys("system", cfg, nullptr, false, stats, progress, nullptr);
  cfg.check_unknown_keys();
  const auto t0 = std::chrono::steady_clock::now();
  sys.run();
  const double wall = seconds_since(t0);
  const DmaTotals& t = sys.totals();
  std::printf("%.0f %.3f %.4f %.0f\n", double(t.dmas().value()) / wall, t.latency().mean() / 1000.0,
              t.bandwidth() / 1e9, double(t.dmas().value()));
  return 0;
}

// Endpoint i of a many-endpoint case: buses 01-04 round robin, then devices,
// so that 16 endpoints sit on four buses and 64 on four buses of 16 devices.
std::string many_bdf(unsigned i) { return fmt::format("{:02x}:{:02x}.0", 1 + i % 4, i / 4); }

// `endpoints` endpoints, each doing `per_ep` random 64 B reads (32 tags) over
// the same 64 MiB window at kWindowBase from 1 us on: the YAML lists of
// platform.endpoints and workloads.
std::pair<std::string, std::string> many_readers(unsigned endpoints, std::uint64_t per_ep) {
  std::string eps, wls;
  for (unsigned i = 0; i < endpoints; ++i) {
    eps += fmt::format("{}{{ name: ep{}, bdf: \"{}\", tags: 32 }}", i ? ", " : "", i, many_bdf(i));
    wls += fmt::format("{}{{ device: ep{}, pattern: random, op: read, size: 64, base: {}, window: {}, count: {}, "
                       "start_ns: 1000 }}",
                       i ? ", " : "", i, kWindowBase, 64ull << 20, per_ep);
  }
  return {"[" + eps + "]", "[" + wls + "]"};
}

constexpr std::uint64_t kScaleDmas = 400000;
constexpr unsigned kScaleEndpoints[] = {1, 4, 16, 64};
constexpr unsigned kXeonEndpoints = 16;
constexpr std::uint64_t kXeonDmasPerEndpoint = 50000;
constexpr std::uint64_t kNicPackets = 200000;
constexpr std::uint64_t kMemPages = 1000000;
constexpr Addr kMemPaBase = 0x100000000;

// scale N: kScaleDmas random reads over N endpoints, untranslated, quantum 0.
int run_scale(unsigned n) {
  const auto [eps, wls] = many_readers(n, kScaleDmas / n);
  Config cfg = Config::from_string(fmt::format(R"(
simulation: {{ quantum_ns: 0, seed: 1 }}
platform:
  endpoints: {}
workloads: {}
)", eps, wls), "bench scale");
  return run_timed(cfg);
}

// xeon8: configs/platforms/xeon-8unit.yaml with 16 endpoints (all served by
// dmar7, INCLUDE_PCI_ALL: the log names no PCI device scopes) in one shared
// unmanaged domain that the host driver maps 1:1 over the window (VFIO-style
// fixed map, 2 MiB pages): every DMA is translated.
int run_xeon8() {
  const auto [eps, wls] = many_readers(kXeonEndpoints, kXeonDmasPerEndpoint);
  std::string devices;
  for (unsigned i = 0; i < kXeonEndpoints; ++i)
    devices += fmt::format("{}{{ device: ep{}, domain: unmanaged, domain_name: bench{} }}", i ? ", " : "", i,
                           i == 0 ? fmt::format(", maps: [{{ iova: {}, size: {} }}]", kWindowBase, 64ull << 20) : "");
  Config cfg = repo_config("configs/platforms/xeon-8unit.yaml",
                           {"simulation={quantum_ns: 0, seed: 1}", "platform.endpoints=" + eps, "workloads=" + wls,
                            "host={driver: {devices: [" + devices + "]}}"});
  return run_timed(cfg);
}

// The resident set of this process (VmRSS, or VmHWM for the peak), in bytes.
double proc_status_bytes(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') return std::atof(line.c_str() + n + 1) * 1024.0;
  return 0;
}

// After the driver's bring-up, maps kMemPages distinct 4 KiB pages for one
// device through the driver model's DMA API (dma_map_single(), each map's
// stores performed through the host CPU), measuring the resident set and the
// table pages the driver took from its pool around the loop.
struct PageMapper : sc_core::sc_module {
  SC_HAS_PROCESS(PageMapper);
  PageMapper(sc_core::sc_module_name n, HostDriver& drv, Bdf dev) : sc_module(n), drv_(drv), dev_(dev) {
    SC_THREAD(run);
  }
  void run() {
    drv_.ready().wait_open();
    rss_before = proc_status_bytes("VmRSS");
    tables_before = drv_.api(0).table_pool().in_use();
    for (std::uint64_t i = 0; i < kMemPages; ++i) {
      Addr dma = 0;
      if (!drv_.dma_map(dev_, kMemPaBase + i * 4096, 4096, DmaDirection::FromDevice, dma, &error)) return;
      ++mapped;
    }
    rss_after = proc_status_bytes("VmRSS");
    tables_after = drv_.api(0).table_pool().in_use();
  }
  HostDriver& drv_;
  Bdf dev_;
  std::string error;
  std::uint64_t mapped = 0;
  double rss_before = 0, rss_after = 0;
  std::size_t tables_before = 0, tables_after = 0;
};

// mem: prints "BYTES_PER_PAGE MAPPED RSS_DELTA TABLE_PAGES PEAK_RSS".
int run_mem() {
  Config cfg = Config::from_string(R"(
simulation: { seed: 1 }
platform:
  iommus: [{ name: iommu0 }]
  endpoints: [ { name: nic0, bdf: "00:03.0", tags: 32 } ]
host:
  driver: { strict: true }
)", "bench mem");
  StatsRegistry stats;
  Progress progress;
  System sys("system", cfg, nullptr, false, stats, progress, nullptr);
  cfg.check_unknown_keys();
  PageMapper mapper("mapper", *sys.driver(), Bdf{0, 0, 3, 0});
  sys.run();
  if (mapper.mapped != kMemPages) {
    std::fprintf(stderr, "mem: %llu of %llu maps: %s\n", static_cast<unsigned long long>(mapper.mapped),
                 static_cast<unsigned long long>(kMemPages), mapper.error.c_str());
    return 1;
  }
  const double tables = double(mapper.tables_after - mapper.tables_before);
  const double delta = mapper.rss_after - mapper.rss_before;
  std::printf("%.2f %.0f %.0f %.0f %.0f\n", (delta - 4096.0 * tables) / double(kMemPages), double(kMemPages), delta,
              tables, proc_status_bytes("VmHWM"));
  return 0;
}

// The new cases' child side; -1 for a name that is not one of them.
int run_new_case(const std::string& name, const char* arg) {
  sc_core::sc_report_handler::set_verbosity_level(sc_core::SC_LOW);
  if (name == "default") {
    Config cfg = repo_config("configs/default.yaml", {});
    return run_timed(cfg);
  }
  if (name == "default_q1us") {
    Config cfg = repo_config("configs/default.yaml", {"simulation.quantum_ns=1000"});
    return run_timed(cfg);
  }
  if (name == "nic_strict") {
    Config cfg = repo_config("configs/experiments/nic-strict.yaml", {fmt::format("workloads.0.packets={}", kNicPackets)});
    return run_timed(cfg);
  }
  if (name == "xeon8") return run_xeon8();
  if (name == "scale") return run_scale(arg ? static_cast<unsigned>(std::atoi(arg)) : 1);
  if (name == "mem") return run_mem();
  return -1;
}

// The numbers a child prints on its line (none if it failed).
std::vector<double> run_child(const char* self, const std::string& args) {
  const std::string cmd = std::string("'") + self + "' " + args;
  std::vector<double> out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char line[512];
  if (std::fgets(line, sizeof line, p)) {
    char* at = line;
    for (char* end = nullptr;; at = end) {
      const double v = std::strtod(at, &end);
      if (end == at) break;
      out.push_back(v);
    }
  }
  if (pclose(p) != 0) out.clear();
  return out;
}

double field(const std::vector<double>& v, std::size_t i) { return i < v.size() ? v[i] : 0.0; }

std::string percent_vs(double value, double reference) {
  return reference > 0 ? fmt::format("{:+.3f}%", 100.0 * (value - reference) / reference) : "-";
}

const char* met(bool ok) { return ok ? "yes" : "NO"; }

// One row of the main table.
void print_row(const std::string& label, double rate, double bare, const std::string& bar, const char* ok,
               const std::string& latency, const std::string& vs, const std::string& hits) {
  std::printf("%-44s %14.0f %8.4f  %-20s %-4s %12s %9s %10s\n", label.c_str(), rate, bare > 0 ? rate / bare : 0.0,
              bar.c_str(), ok, latency.c_str(), vs.c_str(), hits.c_str());
}

// Issue 15's bars ("Done when") for the ratio-to-bare cases.
double ratio_bar(const std::string& name) {
  if (name == "q0") return 0.045;
  if (name == "q1us") return 0.055;
  if (name == "tlb_hit") return 0.030;
  return 0.020;  // tlb_miss
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  if (argc >= 2) {
    const int rc = run_new_case(argv[1], argc >= 3 ? argv[2] : nullptr);
    return rc >= 0 ? rc : run_case(argv[1]);
  }
  // The decoupled runs' error is measured against the quantum-0 reference: the
  // relative difference of the simulated mean DMA latency (and, for the
  // default experiment, of the bandwidth).
  const double bare = field(run_child(argv[0], "bare"), 0);
  std::printf("%-44s %14s %8s  %-20s %-4s %12s %9s %10s\n", "case", "per second", "of bare", "bar (issue 15)", "met",
              "mean lat ns", "vs q0", "IOTLB hits");
  print_row("bare b_transport loop", bare, bare, "-", "-", "-", "-", "-");
  double reference = 0;
  for (const SimCase& c : kCases) {
    const std::vector<double> r = run_child(argv[0], c.name);
    const double rate = field(r, 0), latency = field(r, 1);
    if (std::string(c.name) == "q0") reference = latency;
    const double bar = ratio_bar(c.name);
    print_row(c.label, rate, bare, fmt::format("of bare >= {:.3f}", bar), met(bare > 0 && rate / bare >= bar),
              fmt::format("{:.3f}", latency), c.translate ? "-" : percent_vs(latency, reference),
              c.translate ? fmt::format("{:.4f}", field(r, 2)) : "-");
  }

  // The default experiment (`make run`), at quantum 0 and 1 us.
  const std::vector<double> d0 = run_child(argv[0], "default");
  const std::vector<double> d1 = run_child(argv[0], "default_q1us");
  print_row("default experiment (make run), quantum 0", field(d0, 0), bare, "DMAs/s >= 1.5 M",
            met(field(d0, 0) >= 1.5e6), fmt::format("{:.3f}", field(d0, 1)), "-", "-");
  print_row("default experiment, quantum 1 us", field(d1, 0), bare, "-", "-", fmt::format("{:.3f}", field(d1, 1)),
            percent_vs(field(d1, 1), field(d0, 1)), "-");
  const std::vector<double> nic = run_child(argv[0], "nic_strict");
  print_row(fmt::format("strict per-packet NIC, {} k packets", kNicPackets / 1000), field(nic, 0), bare,
            "DMAs/s >= 500 k", met(field(nic, 0) >= 5e5), fmt::format("{:.3f}", field(nic, 1)), "-", "-");
  const std::vector<double> xeon = run_child(argv[0], "xeon8");
  print_row(fmt::format("xeon-8unit, {} endpoints, translated", kXeonEndpoints), field(xeon, 0), bare, "-", "-",
            fmt::format("{:.3f}", field(xeon, 1)), "-", "-");

  std::printf("\nDecoupling error against quantum 0 (bar: within 1 %%)\n");
  std::printf("%-44s %16s %16s %10s %10s %-4s\n", "run", "mean latency", "bandwidth", "lat vs q0", "bw vs q0",
              "met");
  const double lat_err = field(d0, 1) > 0 ? 100.0 * (field(d1, 1) - field(d0, 1)) / field(d0, 1) : 100.0;
  const double bw_err = field(d0, 2) > 0 ? 100.0 * (field(d1, 2) - field(d0, 2)) / field(d0, 2) : 100.0;
  std::printf("%-44s %13.3f ns %11.4f GB/s %10s %10s %-4s\n", "default experiment, quantum 0 (reference)",
              field(d0, 1), field(d0, 2), "-", "-", "-");
  std::printf("%-44s %13.3f ns %11.4f GB/s %+9.3f%% %+9.3f%% %-4s\n", "default experiment, quantum 1 us",
              field(d1, 1), field(d1, 2), lat_err, bw_err,
              met(!d1.empty() && std::abs(lat_err) <= 1.0 && std::abs(bw_err) <= 1.0));

  std::printf("\nScaling: %llu random 64 B reads over N endpoints (bar: at most 1.5x the wall time per DMA of N=1 at "
              "N=64)\n",
              static_cast<unsigned long long>(kScaleDmas));
  std::printf("%-10s %14s %18s %12s %-4s %14s\n", "endpoints", "DMAs/s", "wall ns per DMA", "vs N=1", "met",
              "mean lat ns");
  double one = 0;
  for (unsigned n : kScaleEndpoints) {
    const std::vector<double> r = run_child(argv[0], fmt::format("scale {}", n));
    const double rate = field(r, 0);
    const double ns = rate > 0 ? 1e9 / rate : 0.0;
    if (n == 1) one = ns;
    const double ratio = one > 0 ? ns / one : 0.0;
    std::printf("%-10u %14.0f %18.1f %11.2fx %-4s %14.3f\n", n, rate, ns, ratio,
                n == 64 ? met(rate > 0 && ratio <= 1.5) : "-", field(r, 1));
  }

  const std::vector<double> mem = run_child(argv[0], "mem");
  std::printf("\nMemory: %.0f 4 KiB pages mapped through the driver's DMA API: resident +%.1f MB, of which %.0f "
              "table pages (%.1f MB); peak resident %.1f MB\n",
              field(mem, 1), field(mem, 2) / 1e6, field(mem, 3), field(mem, 3) * 4096 / 1e6, field(mem, 4) / 1e6);
  std::printf("%-44s %14.1f bytes  (bar: <= 64)  met: %s\n", "simulator memory per mapped 4 KiB page", field(mem, 0),
              met(!mem.empty() && field(mem, 0) <= 64));
  return 0;
}

int main(int argc, char* argv[]) {
  silence_systemc_banner();
  return sc_core::sc_elab_and_sim(argc, argv);
}
