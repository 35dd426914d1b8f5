// `make bench`: simulation speed, in simulated DMA transactions per wall-clock
// second, for a long random-read workload at quantum 0 (the reference) and at a
// decoupled quantum, next to the rate of a bare initiator->target b_transport
// loop measured in the same run. SystemC elaborates once per process, so each
// case runs in a child process of this program (`iommusim_bench CASE`).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

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

struct CaseResult {
  double rate = 0;             // transactions per wall second
  double mean_latency_ns = 0;  // simulated mean DMA latency (not for "bare")
  double iotlb_hit_rate = 0;
};

CaseResult run_child(const char* self, const std::string& name) {
  const std::string cmd = std::string("'") + self + "' " + name;
  FILE* p = popen(cmd.c_str(), "r");
  CaseResult r;
  if (p && std::fscanf(p, "%lf %lf %lf", &r.rate, &r.mean_latency_ns, &r.iotlb_hit_rate) < 1) r = CaseResult{};
  if (p) pclose(p);
  return r;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  if (argc == 2) return run_case(argv[1]);
  // The decoupled run's error is measured against the quantum-0 reference: the
  // relative difference of the simulated mean DMA latency.
  const double bare = run_child(argv[0], "bare").rate;
  std::printf("%-42s %15s %8s %16s %9s %10s\n", "case", "transactions/s", "of bare", "mean latency ns", "vs q0",
              "IOTLB hits");
  std::printf("%-42s %15.0f %8s %16s %9s %10s\n", "bare b_transport loop", bare, "1.000", "-", "-", "-");
  double reference = 0;
  for (const SimCase& c : kCases) {
    const CaseResult r = run_child(argv[0], c.name);
    if (std::string(c.name) == "q0") reference = r.mean_latency_ns;
    const std::string vs = c.translate || reference <= 0
                               ? "-"
                               : fmt::format("{:+.3f}%", 100.0 * (r.mean_latency_ns - reference) / reference);
    const std::string hits = c.translate ? fmt::format("{:.4f}", r.iotlb_hit_rate) : "-";
    std::printf("%-42s %15.0f %8.4f %16.3f %9s %10s\n", c.label, r.rate, bare > 0 ? r.rate / bare : 0.0,
                r.mean_latency_ns, vs.c_str(), hits.c_str());
  }
  return 0;
}

int main(int argc, char* argv[]) {
  silence_systemc_banner();
  return sc_core::sc_elab_and_sim(argc, argv);
}
