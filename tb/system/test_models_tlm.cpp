// Model tests through TLM sockets (each test case elaborates its own SystemC
// model, so CTest runs each in its own process).
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
#include "pcie/endpoint.h"

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
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      sock->b_transport(t, d);
      REQUIRE(t.is_response_ok());
      done.push_back(now_tick() + to_tick(d));
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
  Completer(sc_core::sc_module_name n, Tick lat) : sc_module(n), latency(lat) {
    sock.register_b_transport(this, &Completer::bt);
  }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
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
