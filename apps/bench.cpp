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

// Prints "RATE" (transactions per wall second) for one case.
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
  const std::map<std::string, std::string> quantum = {{"q0", "0"}, {"q1us", "1000"}};
  if (!quantum.count(name)) return 2;
  Config cfg = Config::from_string(fmt::format(R"(
simulation: {{ quantum_ns: {}, seed: 1 }}
platform:
  endpoints: [ {{ name: nic0, bdf: "00:03.0", tags: 32 }} ]
workloads:
  - {{ device: nic0, pattern: random, op: read, size: 64, base: 0x100000000, window: 64MiB, count: {} }}
)", quantum.at(name), kDmas), "bench");
  StatsRegistry stats;
  Progress progress;
  System sys("system", cfg, nullptr, false, stats, progress, nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  sys.run();
  std::printf("%.0f %.3f\n", double(sys.totals().dmas().value()) / seconds_since(t0),
              sys.totals().latency().mean() / 1000.0);
  return 0;
}

struct CaseResult {
  double rate = 0;             // transactions per wall second
  double mean_latency_ns = 0;  // simulated mean DMA latency (not for "bare")
};

CaseResult run_child(const char* self, const std::string& name) {
  const std::string cmd = std::string("'") + self + "' " + name;
  FILE* p = popen(cmd.c_str(), "r");
  CaseResult r;
  if (p && std::fscanf(p, "%lf %lf", &r.rate, &r.mean_latency_ns) < 1) r = CaseResult{};
  if (p) pclose(p);
  return r;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  if (argc == 2) return run_case(argv[1]);
  // The decoupled run's error is measured against the quantum-0 reference: the
  // relative difference of the simulated mean DMA latency.
  const double bare = run_child(argv[0], "bare").rate;
  std::printf("%-40s %15s %8s %16s %10s\n", "case", "transactions/s", "of bare", "mean latency ns", "vs q0");
  std::printf("%-40s %15.0f %8s %16s %10s\n", "bare b_transport loop", bare, "1.000", "-", "-");
  double reference = 0;
  for (const auto& [name, label] : {std::pair<std::string, std::string>{"q0", "random 64 B DMA reads, quantum 0"},
                                   {"q1us", "random 64 B DMA reads, quantum 1 us"}}) {
    const CaseResult r = run_child(argv[0], name);
    if (name == "q0") reference = r.mean_latency_ns;
    const double err = reference > 0 ? 100.0 * (r.mean_latency_ns - reference) / reference : 0.0;
    std::printf("%-40s %15.0f %8.4f %16.3f %+9.3f%%\n", label.c_str(), r.rate, bare > 0 ? r.rate / bare : 0.0,
                r.mean_latency_ns, err);
  }
  return 0;
}

int main(int argc, char* argv[]) {
  silence_systemc_banner();
  return sc_core::sc_elab_and_sim(argc, argv);
}
