// Model tests through TLM sockets (each test case elaborates its own SystemC
// model, so CTest runs each in its own process).
#include <optional>
#include <vector>

#include <catch2/catch.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/config.h"
#include "common/sc_time_conv.h"
#include "common/stats.h"
#include "mem/memory_controller.h"
#include "mem/memory_outcome.h"
#include "pcie/endpoint.h"
#include "pcie/root_complex.h"

using namespace iommusim;

namespace {

// Issues reads at given times (quantum 0 style) and records completion times.
struct Reader : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Reader> sock{"sock"};
  struct Req {
    Tick at;
    Addr addr;
    unsigned size;
  };
  std::vector<Req> reqs;
  std::vector<Tick> done;
  std::vector<Tick> accepted;  // MemoryOutcome::accepted of each
  SC_HAS_PROCESS(Reader);
  explicit Reader(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  void run() {
    unsigned char buf[4096];
    for (const Req& r : reqs) {
      if (r.at > now_tick()) wait(to_sc_time(r.at - now_tick()));
      tlm::tlm_generic_payload t;
      t.set_command(tlm::TLM_READ_COMMAND);
      t.set_address(r.addr);
      t.set_data_ptr(buf);
      t.set_data_length(r.size);
      t.set_streaming_width(r.size);
      MemoryOutcome outcome;
      t.set_extension(&outcome);
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      sock->b_transport(t, d);
      t.clear_extension(&outcome);
      REQUIRE(t.is_response_ok());
      REQUIRE(outcome.reached);
      done.push_back(now_tick() + to_tick(d));
      accepted.push_back(outcome.accepted);
    }
  }
};

MemoryParams default_memory() {
  Config cfg = Config::empty();
  return MemoryParams::from_config(cfg.root().child("memory"));
}

}  // namespace

// DDR4-3200 defaults: tCK 625 ps, tCL = tRCD = tRP = 22, tRAS 52, tBURST 4.
// Mapping RoRaBaCoCh, 64 B bursts, 2 channels, 16 banks, 8 KiB rows: the
// channel is address bit 6, the column bits 7..13, the bank bits 14..17, the
// row bits 18 and up.
TEST_CASE("memory controller: latencies of row miss and row hit and conflict and saturated channel", "[system][mem]") {
  StatsRegistry stats;
  MemoryController mem("mem0", default_memory(), stats);
  Reader rd("rd");
  rd.sock.bind(mem.tsock);
  constexpr Tick ck = 625;
  const Addr row1 = Addr(1) << 18;  // bank 0, row 1
  rd.reqs = {
      {0, 0x0, 64},                  // closed bank: tRCD + tCL + tBURST = 48 cycles
      {100 * ck, 0x80, 64},          // same row, idle bank: tCL + tBURST = 26
      {200 * ck, row1, 64},          // other row, tRAS long past: tRP + tRCD + tCL + tBURST = 70
      {400 * ck, row1 + 0x100, 64},  // four bursts at once to the open row of channel 0:
      {400 * ck, row1 + 0x200, 64},  //   the k-th ends at tCL + (k+1) * tBURST
      {400 * ck, row1 + 0x300, 64},
      {400 * ck, row1 + 0x400, 64},
  };
  sc_core::sc_start();
  REQUIRE(rd.done.size() == 7);
  CHECK(rd.done[0] == 48 * ck);
  CHECK(rd.done[1] == (100 + 26) * ck);
  CHECK(rd.done[2] == (200 + 70) * ck);
  CHECK(rd.done[3] == (400 + 22 + 4) * ck);
  CHECK(rd.done[4] == (400 + 22 + 8) * ck);
  CHECK(rd.done[5] == (400 + 22 + 12) * ck);
  CHECK(rd.done[6] == (400 + 22 + 16) * ck);
  // Memory took each request when it arrived, whatever its wait for the bus.
  CHECK(rd.accepted == std::vector<Tick>{0, 100 * ck, 200 * ck, 400 * ck, 400 * ck, 400 * ck, 400 * ck});
  CHECK(stats.find("mem0.row_misses") != nullptr);
  CHECK(static_cast<const Counter*>(stats.find("mem0.row_misses"))->value() == 1);
  CHECK(static_cast<const Counter*>(stats.find("mem0.row_conflicts"))->value() == 1);
  CHECK(static_cast<const Counter*>(stats.find("mem0.row_hits"))->value() == 5);
}

TEST_CASE("memory controller: bytes written are read back and outside memory is an address error", "[system][mem]") {
  Config cfg = Config::from_string("memory: {base: 0x1000, size: 0x2000}", "t");
  StatsRegistry stats;
  MemoryController mem("mem0", MemoryParams::from_config(cfg.root().child("memory")), stats);
  Reader rd("rd");  // no requests: used for its socket
  rd.sock.bind(mem.tsock);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);  // completes the bindings
  unsigned char w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[8] = {};
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_WRITE_COMMAND);
  t.set_address(0x2ffc);
  t.set_data_ptr(w);
  t.set_data_length(4);
  t.set_streaming_width(4);
  CHECK(rd.sock->transport_dbg(t) == 4);
  t.set_command(tlm::TLM_READ_COMMAND);
  t.set_data_ptr(r);
  CHECK(rd.sock->transport_dbg(t) == 4);
  CHECK(std::vector<int>(r, r + 4) == std::vector<int>{1, 2, 3, 4});
  t.set_address(0x2ffe);  // runs past the end of memory
  CHECK(rd.sock->transport_dbg(t) == 0);
  CHECK(t.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  t.set_address(0x0);  // below the base
  CHECK(rd.sock->transport_dbg(t) == 0);
}

namespace {

// A completer with a fixed latency that records each TLP it sees.
struct Completer : sc_core::sc_module {
  tlm_utils::simple_target_socket<Completer> sock{"sock"};
  Tick latency;
  struct Seen {
    Tick at;
    Addr addr;
    unsigned size;
    bool write;
  };
  std::vector<Seen> seen;
  // When set: like a root complex with an inbound buffer, the completer's
  // receive buffer takes each TLP this long after it arrived and returns its
  // credit then (PcieAttr::credit_return).
  std::optional<Tick> credit_after;
  Completer(sc_core::sc_module_name n, Tick lat) : sc_module(n), latency(lat) {
    sock.register_b_transport(this, &Completer::bt);
  }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    if (PcieAttr* a = t.get_extension<PcieAttr>(); a && credit_after)
      a->credit_return = now_tick() + to_tick(d) + *credit_after;
    seen.push_back({now_tick() + to_tick(d), t.get_address(), t.get_data_length(), t.is_write()});
    d += to_sc_time(latency);
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct ListSource : DmaSource {
  std::vector<DmaRequest> reqs;
  std::size_t i = 0;
  bool next(DmaRequest& out) override {
    if (i == reqs.size()) return false;
    out = reqs[i++];
    return true;
  }
};

}  // namespace

// Endpoint at 250 MHz (4 ns per issue cycle), 2 tags, 1 posted credit, MRRS
// 512, MPS 128; the completer answers after 1000 ns.
TEST_CASE("endpoint: MRRS and MPS splitting with tag limit and posted credits", "[system][pcie]") {
  Config cfg = Config::from_string(
      "ep: {name: ep0, bdf: '00:03.0', tags: 2, posted_credits: 1, mrrs: 512, mps: 128}", "t");
  const EndpointParams p = EndpointParams::from_config(cfg.root().child("ep"));
  StatsRegistry stats;
  DmaTotals totals("system", stats);
  Progress progress;
  Endpoint ep("ep0", p, stats, totals, LocalClock(0), progress, nullptr);
  Completer c("c", 1'000'000);
  ep.to_link.bind(c.sock);
  auto src = std::make_unique<ListSource>();
  DmaRequest rd;
  rd.addr = 0x1f80;  // 2048 B read, crossing the 4 KiB boundary at 0x2000
  rd.size = 2048;
  DmaRequest wr;
  wr.write = true;
  wr.addr = 0x10000;
  wr.size = 256;
  src->reqs = {rd, wr};
  ep.set_source(std::move(src));
  sc_core::sc_start();

  constexpr Tick ns = 1000;
  REQUIRE(c.seen.size() == 7);
  // Read: 0x1f80+128 (to the boundary), then 512, 512, 512, 384.
  CHECK(c.seen[0].addr == 0x1f80);
  CHECK(c.seen[0].size == 128);
  CHECK(c.seen[1].addr == 0x2000);
  CHECK(c.seen[1].size == 512);
  CHECK(c.seen[4].addr == 0x2600);
  CHECK(c.seen[4].size == 384);
  // Two tags: TLPs 0 and 1 leave at 0 and 4 ns; 2 waits for 0's completion at
  // 1000 ns, 3 for 1's at 1004 ns, 4 for 2's at 2000 ns.
  CHECK(c.seen[0].at == 0);
  CHECK(c.seen[1].at == 4 * ns);
  CHECK(c.seen[2].at == 1000 * ns);
  CHECK(c.seen[3].at == 1004 * ns);
  CHECK(c.seen[4].at == 2000 * ns);
  // Write: 2 x 128 B; issued one cycle after the last read TLP; one posted
  // credit, so the second waits for the first to be performed.
  CHECK(c.seen[5].write);
  CHECK(c.seen[5].size == 128);
  CHECK(c.seen[5].at == 2004 * ns);
  CHECK(c.seen[6].at == 3004 * ns);
  CHECK(totals.dmas().value() == 2);
  // The read takes 0 .. 3000 ns, the write 2004 .. 4004 ns.
  CHECK(totals.latency().max() == 3000 * ns);
  CHECK(totals.latency().min() == 2000 * ns);
  // Each TLP wants to leave one cycle after the previous: TLP 2 at 8 ns waits
  // to 1000, TLP 3 at 1004 finds 1's tag free, TLP 4 at 1008 waits to 2000,
  // the second write at 2008 waits for the credit until 3004.
  CHECK(static_cast<const Counter*>(stats.find("ep0.tag_wait"))->value() == (992 + 992 + 996) * ns);
}

namespace {

// A DMA source that records when the engine reports each DMA done.
struct TimedListSource : ListSource {
  std::vector<Tick> done;
  void completed(const DmaRequest&, Tick, Tick t, bool) override { done.push_back(t); }
};

// An endpoint (configured by `ep_yaml`, "ep: {...}") on a completer that
// answers after 1 us, fed by a TimedListSource: set b.s->reqs, then b.run().
struct EpBench {
  Config cfg;
  EndpointParams p;
  StatsRegistry stats;
  DmaTotals totals{"system", stats};
  Progress progress;
  Endpoint ep;
  Completer c{"c", 1'000'000};
  TimedListSource* s;
  explicit EpBench(const char* ep_yaml)
      : cfg(Config::from_string(ep_yaml, "t")),
        p(EndpointParams::from_config(cfg.root().child("ep"))),
        ep("ep0", p, stats, totals, LocalClock(0), progress, nullptr) {
    ep.to_link.bind(c.sock);
    auto src = std::make_unique<TimedListSource>();
    s = src.get();
    ep.set_source(std::move(src));
  }
  void run() { sc_core::sc_start(); }
};

DmaRequest dma(bool write, Addr addr, std::uint32_t size) {
  DmaRequest r;
  r.write = write;
  r.addr = addr;
  r.size = size;
  return r;
}

}  // namespace

// Endpoint at 250 MHz (issue gap 4 ns), 2 tags, request latency 100 ns,
// completion latency 200 ns; the completer answers after 1000 ns.
TEST_CASE("endpoint: request and completion latency delay each DMA but not the issue rate", "[system][pcie]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0', tags: 2, request_latency_ns: 100, completion_latency_ns: 200}");
  b.s->reqs = {dma(false, 0x1000, 64), dma(false, 0x2000, 64), dma(false, 0x3000, 64), dma(true, 0x4000, 64)};
  b.run();

  constexpr Tick ns = 1000;
  REQUIRE(b.c.seen.size() == 4);
  // The engine issues R0 at 0 and R1 at 4 ns; each reaches the link 100 ns
  // later (the pipeline does not hold the engine back). R2, issued at 8 ns,
  // is at the link at 108 ns and waits there for R0's tag, free when R0's
  // completion is back at 1100 ns (not 200 ns later); the engine, stalled,
  // counts R2 as issued at 1000 ns, so the write follows at 1004 ns and
  // reaches the link at 1104 ns.
  CHECK(b.c.seen[0].at == 100 * ns);
  CHECK(b.c.seen[1].at == 104 * ns);
  CHECK(b.c.seen[2].at == 1100 * ns);
  CHECK(b.c.seen[3].at == 1104 * ns);
  CHECK(b.c.seen[3].write);
  // Reads are done 200 ns after their completion: 1300, 1304, 2300 ns; the
  // posted write when it was performed, 2104 ns (no completion pipeline).
  CHECK(b.s->done == std::vector<Tick>{1300 * ns, 1304 * ns, 2300 * ns, 2104 * ns});
  // Latency from the engine's issue: 1300 ns per read, 1100 ns the write.
  const auto& lat = *static_cast<const Histogram*>(b.stats.find("ep0.latency"));
  CHECK(lat.count() == 4);
  CHECK(lat.min() == 1100 * ns);
  CHECK(lat.max() == 1300 * ns);
  CHECK(lat.sum() == double((3 * 1300 + 1100) * ns));
  CHECK(b.totals.latency().sum() == double((3 * 1300 + 1100) * ns));
  // At the link interface every DMA took the completer's 1000 ns.
  const auto* link = static_cast<const Histogram*>(b.stats.find("ep0.link_latency"));
  REQUIRE(link);
  CHECK(link->count() == 4);
  CHECK(link->min() == 1000 * ns);
  CHECK(link->max() == 1000 * ns);
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.tag_wait"))->value() == (1100 - 108) * ns);
}

TEST_CASE("endpoint: without DMA pipelines there is no link_latency statistic", "[system][pcie]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0'}");
  b.s->reqs = {dma(false, 0x1000, 64)};
  b.run();
  CHECK(b.stats.find("ep0.link_latency") == nullptr);
  CHECK(b.stats.find("ep0.copy_time") == nullptr);  // no data mover either
  REQUIRE(b.c.seen.size() == 1);
  CHECK(b.c.seen[0].at == 0);
  CHECK(b.s->done == std::vector<Tick>{1'000'000});
}

// One posted credit, default link latency 50 ns. The completer performs each
// write after 1000 ns, but its receive buffer takes the TLP 20 ns after it
// arrived and returns the credit then: the credit is back at the endpoint
// 20 + 50 ns after the first write reached the completer.
TEST_CASE("endpoint: a posted credit returns with the root complex UpdateFC and not when memory wrote", "[system][pcie]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0', posted_credits: 1}");
  REQUIRE(b.p.link.timing.latency_ps == 50'000);
  b.c.credit_after = 20'000;
  b.s->reqs = {dma(true, 0x1000, 64), dma(true, 0x2000, 64), dma(false, 0x3000, 64)};
  b.run();

  constexpr Tick ns = 1000;
  REQUIRE(b.c.seen.size() == 3);
  CHECK(b.c.seen[0].at == 0);
  CHECK(b.c.seen[1].at == 70 * ns);  // credit returned at 20 ns, UpdateFC 50 ns on the link
  CHECK(b.c.seen[2].at == 74 * ns);  // the read needs a tag, not a credit
  // Writes are still done when performed.
  CHECK(b.s->done == std::vector<Tick>{1000 * ns, 1070 * ns, 1074 * ns});
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.tag_wait"))->value() == 66 * ns);
}

namespace {

// Sends TLPs from requester 00:03.0 into the root complex, each at its time
// (the loosely timed call returns at once), and records what came back.
struct TlpSender : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<TlpSender> sock{"sock"};
  tlm_utils::simple_initiator_socket<TlpSender> mmio{"mmio"};  // unused: binds the root complex's mmio_in
  struct Tlp {
    Tick at;
    bool write;
    Addr addr;
    const char* requester = "00:03.0";
  };
  struct Result {
    Tick done;
    Tick credit_return;
    bool ok;
  };
  std::vector<Tlp> tlps;
  std::vector<Result> results;
  SC_HAS_PROCESS(TlpSender);
  explicit TlpSender(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  void run() {
    unsigned char buf[64] = {};
    for (const Tlp& p : tlps) {
      if (p.at > now_tick()) wait(to_sc_time(p.at - now_tick()));
      tlm::tlm_generic_payload t;
      t.set_command(p.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      t.set_address(p.addr);
      t.set_data_ptr(buf);
      t.set_data_length(64);
      t.set_streaming_width(64);
      t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      PcieAttr attr;
      attr.requester = *parse_bdf(p.requester);
      t.set_extension(&attr);
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      sock->b_transport(t, d);
      t.clear_extension(&attr);
      results.push_back({now_tick() + to_tick(d), attr.credit_return, t.is_response_ok()});
    }
  }
};

// A remapping unit with a fixed 30 ns that blocks addresses from 0xdead0000
// (a fault: the request never reaches memory) and passes the rest back to
// the root complex's translated_in.
struct FakeUnit : sc_core::sc_module {
  tlm_utils::simple_target_socket<FakeUnit> in{"in"};
  tlm_utils::simple_initiator_socket<FakeUnit> out{"out"};
  std::vector<Tick> seen;
  explicit FakeUnit(sc_core::sc_module_name n) : sc_module(n) { in.register_b_transport(this, &FakeUnit::bt); }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    seen.push_back(now_tick() + to_tick(d));
    d += to_sc_time(30'000);
    if (t.get_address() >= 0xdead0000) {
      t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    out->b_transport(t, d);
  }
};

// Memory with a fixed 100 ns that reports, as the memory controller does,
// when it took each request.
struct FakeMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<FakeMemory> sock{"sock"};
  std::vector<Tick> seen;
  explicit FakeMemory(sc_core::sc_module_name n) : sc_module(n) { sock.register_b_transport(this, &FakeMemory::bt); }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    const Tick arrival = now_tick() + to_tick(d);
    seen.push_back(arrival);
    if (MemoryOutcome* o = t.get_extension<MemoryOutcome>()) {
      o->reached = true;
      o->addr = t.get_address();
      o->accepted = arrival;
    }
    d += to_sc_time(100'000);
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// An interrupt input (a unit's msi_in) that takes 20 ns.
struct FakeIrq : sc_core::sc_module {
  tlm_utils::simple_target_socket<FakeIrq> sock{"sock"};
  explicit FakeIrq(sc_core::sc_module_name n) : sc_module(n) { sock.register_b_transport(this, &FakeIrq::bt); }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    d += to_sc_time(20'000);
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct RcBench {
  StatsRegistry stats;
  RootComplex rc;
  TlpSender tx{"tx"};
  FakeUnit unit{"unit"};
  FakeMemory mem{"mem"};
  FakeIrq irq{"irq"};
  explicit RcBench(const std::string& yaml)
      : rc("rc", [&] {
          Config cfg = Config::from_string(yaml, "t");
          return RootComplexParams::from_config(cfg.root().child("rc"));
        }(), stats) {
    tx.sock.bind(rc.from_links);
    rc.to_memory.bind(unit.in);
    rc.msi_out.bind(irq.sock);
    unit.out.bind(rc.translated_in);
    rc.to_dram.bind(mem.sock);
    tx.mmio.bind(rc.mmio_in);
    rc.set_default_route(0);
  }
  double stat(const std::string& leaf) const {
    const Stat* s = stats.find("rc.inbound." + leaf);
    REQUIRE(s);
    return static_cast<const Formula*>(s)->value();
  }
  double ordering_stat(const std::string& leaf) const {
    const Stat* s = stats.find("rc.ordering." + leaf);
    REQUIRE(s);
    return static_cast<const Formula*>(s)->value();
  }
};

}  // namespace

// Root complex 10 ns each way; 2 posted and 1 non-posted inbound entries; the
// unit takes 30 ns, memory 100 ns. Every TLP arrives at 1000 ns.
TEST_CASE("root complex: inbound queues return credits when a TLP enters and free entries when memory took it",
          "[system][pcie][inbound]") {
  RcBench b("rc: {inbound: {posted: 2, non_posted: 1}}");
  constexpr Tick ns = 1000;
  b.tx.tlps = {
      {1000 * ns, true, 0x1000},      // W0: enters at once, memory takes it at 1040
      {1000 * ns, true, 0x2000},      // W1: likewise
      {1000 * ns, true, 0x3000},      // W2: waits for W0's entry, free at 1040; memory 1080
      {1000 * ns, true, 0xdead0000},  // W3: waits for W1's (1040); faults, back at 1080
      {1000 * ns, true, 0x4000},      // W4: waits for W2's or W3's entry (1080)
      {1000 * ns, false, 0x5000},     // R0: enters at once, issued to memory at 1040
      {1000 * ns, false, 0x6000},     // R1: waits for R0's entry until 1040, not its completion
  };
  sc_core::sc_start();
  REQUIRE(b.tx.results.size() == 7);
  const auto& r = b.tx.results;
  // Credits are returned when a TLP enters the inbound queue.
  CHECK(r[0].credit_return == 1000 * ns);
  CHECK(r[1].credit_return == 1000 * ns);
  CHECK(r[2].credit_return == 1040 * ns);
  CHECK(r[3].credit_return == 1040 * ns);
  CHECK(r[4].credit_return == 1080 * ns);
  CHECK(r[5].credit_return == 1000 * ns);
  CHECK(r[6].credit_return == 1040 * ns);
  // From entering: 10 ns root complex, 30 ns unit, 100 ns memory (+10 ns back
  // for reads).
  CHECK(r[0].done == 1140 * ns);
  CHECK(r[2].done == 1180 * ns);
  CHECK_FALSE(r[3].ok);
  CHECK(r[3].done == 1080 * ns);
  CHECK(r[4].done == 1220 * ns);
  CHECK(r[5].done == 1150 * ns);
  CHECK(r[6].done == 1190 * ns);
  CHECK(b.unit.seen == std::vector<Tick>{1010 * ns, 1010 * ns, 1050 * ns, 1050 * ns, 1090 * ns, 1010 * ns, 1050 * ns});
  CHECK(b.mem.seen == std::vector<Tick>{1040 * ns, 1040 * ns, 1080 * ns, 1120 * ns, 1040 * ns, 1080 * ns});
  CHECK(b.stat("posted_wait") == double((40 + 40 + 80) * ns));
  CHECK(b.stat("posted_waits") == 3);
  CHECK(b.stat("posted_peak") == 2);
  CHECK(b.stat("non_posted_wait") == double(40 * ns));
  CHECK(b.stat("non_posted_waits") == 1);
  CHECK(b.stat("non_posted_peak") == 1);
}

TEST_CASE("root complex: without inbound limits TLPs pass at once and credit_return stays unset and no statistics",
          "[system][pcie][inbound]") {
  RcBench b("rc: {inbound: {posted: 0, non_posted: 4}}");
  constexpr Tick ns = 1000;
  b.tx.tlps = {{1000 * ns, true, 0x1000}, {1000 * ns, true, 0x2000}, {1000 * ns, true, 0x3000},
               {1000 * ns, false, 0x4000}};
  sc_core::sc_start();
  REQUIRE(b.tx.results.size() == 4);
  for (int i = 0; i < 3; ++i) {
    CHECK(b.tx.results[i].credit_return == 0);
    CHECK(b.tx.results[i].done == 1140 * ns);
  }
  CHECK(b.tx.results[3].credit_return == 1000 * ns);  // a limited class
  CHECK(b.tx.results[3].done == 1150 * ns);
  CHECK(b.stats.find("rc.inbound.posted_wait") == nullptr);
  CHECK(b.stats.find("rc.inbound.posted_peak") == nullptr);
  CHECK(b.stat("non_posted_wait") == 0);
  CHECK(b.stat("non_posted_peak") == 1);
}

// Read-after-posted-write ordering (docs/models/pcie.md, "Ordering"). Root
// complex 10 ns each way, the unit 30 ns, memory 100 ns (a write is performed
// when its call comes back), interrupts 20 ns. Every TLP arrives at 1000 ns.
TEST_CASE("root complex: ordering pcie holds a read until its requester's earlier writes are visible",
          "[system][pcie][ordering]") {
  RcBench b("rc: {ordering: pcie}");
  constexpr Tick ns = 1000;
  b.tx.tlps = {
      {1000 * ns, true, 0x1000, "00:03.0"},       // W: unit at 1010, memory 1040, performed (visible) 1140
      {1000 * ns, false, 0x1000, "00:03.0"},      // R: waits for W until 1140, unit 1150, memory 1180
      {1000 * ns, false, 0x2000, "00:04.0"},      // another requester: no wait
      {1000 * ns, true, 0xFEE00000, "00:05.0"},   // an interrupt message: the unit's msi_in returns at 1030
      {1000 * ns, false, 0x3000, "00:05.0"},      // waits for the interrupt message until 1030
      {1200 * ns, false, 0x4000, "00:03.0"},      // after W is visible: no wait
  };
  sc_core::sc_start();
  REQUIRE(b.tx.results.size() == 6);
  const auto& r = b.tx.results;
  CHECK(r[0].done == 1140 * ns);
  CHECK(r[1].done == (1140 + 10 + 30 + 100 + 10) * ns);  // 1290; without ordering 1150
  CHECK(r[2].done == 1150 * ns);
  CHECK(r[3].done == 1030 * ns);
  CHECK(r[4].done == (1030 + 150) * ns);
  CHECK(r[5].done == 1350 * ns);
  for (const auto& x : r) CHECK(x.ok);
  CHECK(r[1].credit_return == 0);  // no inbound limit
  CHECK(b.unit.seen == std::vector<Tick>{1010 * ns, 1150 * ns, 1010 * ns, 1040 * ns, 1210 * ns});
  CHECK(b.mem.seen == std::vector<Tick>{1040 * ns, 1180 * ns, 1040 * ns, 1070 * ns, 1240 * ns});
  CHECK(b.ordering_stat("read_waits") == 2);
  CHECK(b.ordering_stat("read_wait") == double((140 + 30) * ns));
}

TEST_CASE("root complex: ordering none lets the read pass the write, as without the key, with no statistics",
          "[system][pcie][ordering]") {
  RcBench b("rc: {ordering: none}");
  constexpr Tick ns = 1000;
  b.tx.tlps = {{1000 * ns, true, 0x1000, "00:03.0"}, {1000 * ns, false, 0x1000, "00:03.0"},
               {1000 * ns, true, 0xFEE00000, "00:05.0"}, {1000 * ns, false, 0x3000, "00:05.0"}};
  sc_core::sc_start();
  REQUIRE(b.tx.results.size() == 4);
  CHECK(b.tx.results[0].done == 1140 * ns);
  CHECK(b.tx.results[1].done == 1150 * ns);  // issued at 1000 ns, before the write is performed
  CHECK(b.tx.results[2].done == 1030 * ns);
  CHECK(b.tx.results[3].done == 1150 * ns);
  CHECK(b.mem.seen == std::vector<Tick>{1040 * ns, 1040 * ns, 1040 * ns});
  CHECK(b.stats.find("rc.ordering.read_waits") == nullptr);
  CHECK(b.stats.find("rc.ordering.read_wait") == nullptr);
}

// With one non-posted inbound entry: the waiting read holds it, so a read of
// another requester that needs no ordering waits for the entry instead.
TEST_CASE("root complex: ordering pcie with inbound queues: a waiting read holds its non-posted entry",
          "[system][pcie][ordering][inbound]") {
  RcBench b("rc: {ordering: pcie, inbound: {posted: 1, non_posted: 1}}");
  constexpr Tick ns = 1000;
  b.tx.tlps = {
      {1000 * ns, true, 0x1000, "00:03.0"},   // W: enters at 1000, memory takes it 1040, visible 1140
      {1000 * ns, false, 0x1000, "00:03.0"},  // R0: enters at 1000, waits to 1140, memory takes it at 1180
      {1000 * ns, false, 0x2000, "00:04.0"},  // R1: waits for R0's entry until 1180, then no ordering wait
  };
  sc_core::sc_start();
  REQUIRE(b.tx.results.size() == 3);
  const auto& r = b.tx.results;
  CHECK(r[0].credit_return == 1000 * ns);
  CHECK(r[0].done == 1140 * ns);
  CHECK(r[1].credit_return == 1000 * ns);  // the credit returns when it enters, before the ordering wait
  CHECK(r[1].done == 1290 * ns);
  CHECK(r[2].credit_return == 1180 * ns);
  CHECK(r[2].done == (1180 + 150) * ns);
  CHECK(b.mem.seen == std::vector<Tick>{1040 * ns, 1180 * ns, 1220 * ns});
  CHECK(b.ordering_stat("read_waits") == 1);
  CHECK(b.ordering_stat("read_wait") == double(140 * ns));
  CHECK(b.stat("non_posted_waits") == 1);
  CHECK(b.stat("non_posted_wait") == double(180 * ns));
  CHECK(b.stat("posted_waits") == 0);
}

// Endpoint at 1200 MHz (833 ps a cycle; the period rounds to the ps):
// issue_cycles 2 (1.666 ns), write_issue_cycles 25 (20.825 ns). The completer
// answers after 1 us; tags and credits are plentiful.
TEST_CASE("endpoint: write_issue_cycles spaces the TLPs after a write, issue_cycles the others", "[system][pcie]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0', clock_mhz: 1200, issue_cycles: 2, write_issue_cycles: 25}");
  CHECK(b.p.write_issue_cycles == 25);
  CHECK(EndpointParams::from_config(Config::from_string("ep: {name: e, bdf: '00:03.0', issue_cycles: 3}", "t").root().child("ep"))
            .write_issue_cycles == 3);  // default: issue_cycles
  b.s->reqs = {dma(true, 0x1000, 64), dma(true, 0x2000, 64), dma(false, 0x3000, 64), dma(false, 0x4000, 64),
               dma(true, 0x5000, 64)};
  b.run();
  REQUIRE(b.c.seen.size() == 5);
  // W0 at 0; W1 a write gap later (20.825 ns); R2 another (41.650 ns); R3 a
  // read gap after R2 (43.316 ns); W4 a read gap after R3 (44.982 ns).
  CHECK(b.c.seen[0].at == 0);
  CHECK(b.c.seen[1].at == 20'825);
  CHECK(b.c.seen[2].at == 41'650);
  CHECK(b.c.seen[3].at == 43'316);
  CHECK(b.c.seen[4].at == 44'982);
  CHECK_THROWS_WITH(EndpointParams::from_config(
                        Config::from_string("ep: {name: e, bdf: '00:03.0', write_issue_cycles: -1}", "t").root().child("ep")),
                    Catch::Contains("write_issue_cycles"));
}

// write_bytes_per_cycle 16 at 1200 MHz (833 ps): a 64 B write adds 4 cycles,
// a 100 B write 7 (ceil), to write_issue_cycles 21.
TEST_CASE("endpoint: write_bytes_per_cycle adds the write data's cycles to the gap after a write", "[system][pcie]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0', clock_mhz: 1200, write_issue_cycles: 21, write_bytes_per_cycle: 16}");
  b.s->reqs = {dma(true, 0x1000, 64), dma(true, 0x2000, 100), dma(false, 0x3000, 64)};
  b.run();
  REQUIRE(b.c.seen.size() == 3);
  CHECK(b.c.seen[1].at == 25 * 833);
  CHECK(b.c.seen[2].at == 25 * 833 + 28 * 833);
}

// The DMA data mover (copy_bytes_per_cycle). Endpoint at 250 MHz (4000 ps a
// cycle, issue gap 4 ns), 3 bytes a cycle: a 64 B DMA copies for 64 / 3 x
// 4000 = 85333.33 -> 85333 ps, a 512 B one 682666.67 -> 682667 ps, a 2048 B
// one 2730666.67 -> 2730667 ps. The completer answers after 1000 ns.
TEST_CASE("endpoint: a read DMA is done its data copy after its last completion and the completion latency",
          "[system][pcie][copy]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0', request_latency_ns: 100, completion_latency_ns: 200, copy_bytes_per_cycle: 3}");
  DmaRequest big = dma(false, 0x2000, 2048);  // MRRS 512: four TLPs
  big.time = 10'000'000;                      // one DMA outstanding at a time
  b.s->reqs = {dma(false, 0x1000, 64), big};
  b.run();

  REQUIRE(b.c.seen.size() == 5);
  // The request side is as without the mover: 100 ns of request pipeline.
  CHECK(b.c.seen[0].at == 100'000);
  CHECK(b.c.seen[1].at == 10'100'000);
  CHECK(b.c.seen[4].at == 10'112'000);
  // 64 B: completion at 1100 ns, + 200 ns completion latency + 85333 ps copy.
  // 2048 B: last completion at 11112 ns, + 200 ns + 2730667 ps.
  CHECK(b.s->done == std::vector<Tick>{1'385'333, 14'042'667});
  const auto& lat = *static_cast<const Histogram*>(b.stats.find("ep0.latency"));
  CHECK(lat.count() == 2);
  CHECK(lat.min() == 1'385'333);
  CHECK(lat.max() == 14'042'667 - 10'000'000);
  CHECK(b.totals.latency().sum() == double(1'385'333 + 4'042'667));
  // At the link interface: the completer's 1000 ns, and 1012 ns for four TLPs.
  const auto* link = static_cast<const Histogram*>(b.stats.find("ep0.link_latency"));
  REQUIRE(link);
  CHECK(link->min() == 1'000'000);
  CHECK(link->max() == 1'012'000);
  const auto* copy = static_cast<const Counter*>(b.stats.find("ep0.copy_time"));
  REQUIRE(copy);
  CHECK(copy->value() == 85'333 + 2'730'667);
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.tag_wait"))->value() == 0);
}

// pcie-bench's LAT_DMA_WRRD: a 512 B write (MPS 256: two TLPs) and a 64 B
// read of the same address, handed to the engine at once.
TEST_CASE("endpoint: a write DMA's TLPs leave after its data copy and a read behind it waits in order",
          "[system][pcie][copy]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0', request_latency_ns: 100, copy_bytes_per_cycle: 3}");
  b.s->reqs = {dma(true, 0x4000, 512), dma(false, 0x4000, 64)};
  b.run();

  REQUIRE(b.c.seen.size() == 3);
  // The engine takes the write at 0; its data is fetched by 682667 ps; the
  // first TLP is at the link interface 100 ns later, the second one issue gap
  // after it (the engine issued it at 4 ns, before the data was there).
  CHECK(b.c.seen[0].write);
  CHECK(b.c.seen[0].at == 782'667);
  CHECK(b.c.seen[1].at == 786'667);
  // The engine issues the read at 8 ns (it did not wait for the write's
  // data); the read leaves in order, one issue gap after the write's last TLP.
  CHECK_FALSE(b.c.seen[2].write);
  CHECK(b.c.seen[2].at == 790'667);
  // Write performed at 1786667 ps; read completion at 1790667 ps + 85333 copy.
  CHECK(b.s->done == std::vector<Tick>{1'786'667, 1'876'000});
  const auto& lat = *static_cast<const Histogram*>(b.stats.find("ep0.latency"));
  CHECK(lat.min() == 1'786'667);          // the write, from 0: copy + pipeline + completer
  CHECK(lat.max() == 1'876'000 - 8'000);  // the read, from its issue at 8 ns
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.copy_time"))->value() == 682'667 + 85'333);
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.tag_wait"))->value() == 0);
}

// Many DMAs in flight: the mover is per DMA and holds no tag, credit or issue
// slot, so TLPs leave at exactly the times they leave without it (reads) or
// all shifted by one copy (writes of one size): the same throughput.
TEST_CASE("endpoint: with many reads in flight the data copy changes no departure, only each DMA's end",
          "[system][pcie][copy]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0', tags: 8, copy_bytes_per_cycle: 3}");
  for (Addr i = 0; i < 32; ++i) b.s->reqs.push_back(dma(false, 0x10000 + i * 64, 64));
  b.run();

  REQUIRE(b.c.seen.size() == 32);
  REQUIRE(b.s->done.size() == 32);
  for (std::size_t i = 0; i < 32; ++i) {
    // 8 tags, 4 ns apart, each back after 1000 ns: as without a mover.
    const Tick dep = 1'000'000 * Tick(i / 8) + 4'000 * Tick(i % 8);
    CHECK(b.c.seen[i].at == dep);
    CHECK(b.s->done[i] == dep + 1'000'000 + 85'333);
  }
  // The tag waits of TLPs 8, 16, 24 (968 ns each), as without a mover.
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.tag_wait"))->value() == 3 * 968'000);
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.copy_time"))->value() == 32 * 85'333);
}

TEST_CASE("endpoint: with many writes in flight the data copy shifts every departure by one copy",
          "[system][pcie][copy]") {
  EpBench b("ep: {name: ep0, bdf: '00:03.0', posted_credits: 4, copy_bytes_per_cycle: 3}");
  for (Addr i = 0; i < 16; ++i) b.s->reqs.push_back(dma(true, 0x10000 + i * 64, 64));
  b.run();

  REQUIRE(b.c.seen.size() == 16);
  REQUIRE(b.s->done.size() == 16);
  for (std::size_t i = 0; i < 16; ++i) {
    // 4 credits, each back when the write was performed (1000 ns): the
    // departures without a mover, 85333 ps later.
    const Tick dep = 85'333 + 1'000'000 * Tick(i / 4) + 4'000 * Tick(i % 4);
    CHECK(b.c.seen[i].at == dep);
    CHECK(b.s->done[i] == dep + 1'000'000);
  }
  // Every write: its copy plus the completer's 1000 ns (the credit waits of
  // writes 4, 8 and 12, 984 ns each, stall the engine before them).
  const auto& lat = *static_cast<const Histogram*>(b.stats.find("ep0.latency"));
  CHECK(lat.min() == 1'085'333);
  CHECK(lat.max() == 1'085'333);
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.tag_wait"))->value() == 3 * 984'000);
  CHECK(static_cast<const Counter*>(b.stats.find("ep0.copy_time"))->value() == 16 * 85'333);
}
