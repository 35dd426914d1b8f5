// The RTL walker at its ports, with several walks in flight: the testbench
// drives the Verilated model directly, answers reads out of order after
// random delays, and holds every ready low at random. Each walk's result and
// reads are compared with the TLM walker's.
#include <deque>
#include <random>

#include <catch2/catch.hpp>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <verilated.h>

#include "Viommu_sl_walker.h"
#pragma GCC diagnostic pop

#include "cosim_util.h"

using namespace iommusim;
using namespace iommusim::test;

namespace {

struct Walk {
  RandomTables mem;
  SlWalkParams p;
  SlWalkRequest q;
  SlWalkResult tlm;
  std::vector<WalkRead> tlm_reads;
  std::vector<WalkRead> rtl_reads;
  bool active = false;
};

struct PendingRead {
  unsigned id;
  std::uint64_t data;
  bool ok;
  std::uint64_t ready_cycle;
};

}  // namespace

TEST_CASE("rtl walker: walks in flight together, reads answered out of order", "[cosim]") {
  auto ctx = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Viommu_sl_walker>(ctx.get(), "walker");
  Viommu_sl_walker& t = *top;
  const unsigned kContexts = make_rtl_sl_walker()->contexts();
  REQUIRE(kContexts == 4);

  auto tick = [&t] {
    t.clk = 1;
    t.eval();
    t.clk = 0;
    t.eval();
  };
  t.rst_n = 0;
  t.req_valid = t.mem_req_ready = t.mem_rsp_valid = t.rsp_ready = 0;
  tick();
  tick();
  t.rst_n = 1;
  t.cfg_haw = 48;
  t.cfg_mgaw = 57;
  t.cfg_sp_2m = t.cfg_sp_1g = t.cfg_sc = t.cfg_dt = 1;

  std::mt19937_64 rng(4242);
  constexpr unsigned kWalks = 3000;
  std::vector<Walk> walks(kContexts);
  std::vector<PendingRead> pending;
  Walk next;
  bool have_next = false;
  unsigned issued = 0, completed = 0, mismatches = 0, ok = 0;
  std::size_t max_outstanding = 0;
  unsigned max_busy = 0;
  std::uint64_t cycle = 0;

  auto make_walk = [&](Walk& w) {
    w = Walk{};
    w.mem.seed = rng();
    w.mem.clean = rng() % 3 != 0;
    w.p.levels = 3 + static_cast<unsigned>(rng() % 3);
    w.p.haw = 48;
    w.p.mgaw = 57;
    w.p.table = RandomTables::pool_page(rng());
    w.q.iova = rng() & ((Addr{1} << (12 + 9 * w.p.levels)) - 1);
    w.q.read = rng() % 2;
    w.q.write = !w.q.read || rng() % 4 == 0;
    if (rng() % 4 == 0) {
      w.q.start_level = 1 + static_cast<unsigned>(rng() % (w.p.levels - 1));
      w.q.start_table = RandomTables::pool_page(rng());
    }
    RecordingReader rec(w.mem);
    w.tlm = walk_second_level(rec, w.p, w.q.iova, w.q.write, w.q.read, w.q.start_level, w.q.start_table,
                              w.q.start_r, w.q.start_w);
    w.tlm_reads = rec.log();
  };

  while (completed < kWalks) {
    REQUIRE(cycle < 1000000);
    // Inputs of this cycle.
    if (!have_next && issued < kWalks) {
      make_walk(next);
      have_next = true;
    }
    t.req_valid = have_next && rng() % 4 != 0;
    if (have_next) {
      t.req_iova = next.q.iova;
      t.req_read = next.q.read;
      t.req_write = next.q.write;
      t.req_levels = static_cast<CData>(next.p.levels);
      t.req_table = next.p.table;
      t.req_start_level = static_cast<CData>(next.q.start_level);
      t.req_start_table = next.q.start_table;
      t.req_start_r = next.q.start_r;
      t.req_start_w = next.q.start_w;
    }
    t.mem_req_ready = rng() % 3 != 0;
    t.rsp_ready = rng() % 3 != 0;
    // Answer one of the reads that are due, any of them (out of order).
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < pending.size(); ++i)
      if (pending[i].ready_cycle <= cycle) due.push_back(i);
    std::size_t answered = pending.size();
    t.mem_rsp_valid = 0;
    if (!due.empty()) {
      answered = due[rng() % due.size()];
      t.mem_rsp_valid = 1;
      t.mem_rsp_id = static_cast<CData>(pending[answered].id);
      t.mem_rsp_data = pending[answered].data;
      t.mem_rsp_err = !pending[answered].ok;
    }
    t.eval();
    REQUIRE(t.mem_rsp_ready);

    // Handshakes, then the edge.
    const bool req_fire = t.req_valid && t.req_ready;
    const unsigned req_id = t.req_id;
    const bool mem_fire = t.mem_req_valid && t.mem_req_ready;
    const unsigned mem_id = t.mem_req_id;
    const Addr mem_addr = t.mem_req_addr;
    const bool rsp_fire = t.rsp_valid && t.rsp_ready;
    SlWalkResult got;
    const unsigned rsp_id = t.rsp_id;
    if (rsp_fire) {
      got.ok = t.rsp_ok;
      got.fault = static_cast<FaultReason>(t.rsp_fault);
      got.pa = t.rsp_pa;
      got.page_size = t.rsp_page_shift ? std::uint64_t{1} << t.rsp_page_shift : 0;
      got.r = t.rsp_r;
      got.w = t.rsp_w;
      got.end_level = t.rsp_level;
    }
    tick();
    ++cycle;

    if (answered < pending.size()) pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(answered));
    if (mem_fire) {
      REQUIRE(mem_id < kContexts);
      Walk& w = walks[mem_id];
      REQUIRE(w.active);
      WalkRead r;
      r.addr = mem_addr;
      r.ok = w.mem.try_read_qword(mem_addr, r.data);
      w.rtl_reads.push_back(r);
      pending.push_back({mem_id, r.data, r.ok, cycle + rng() % 12});
      max_outstanding = std::max(max_outstanding, pending.size());
    }
    if (rsp_fire) {
      REQUIRE(rsp_id < kContexts);
      Walk& w = walks[rsp_id];
      REQUIRE(w.active);
      const unsigned diff = compare_walks(w.tlm, w.tlm_reads, got, w.rtl_reads);
      if (diff && ++mismatches <= 5)
        FAIL_CHECK(describe_walk_mismatch(w.p, w.q, w.tlm, w.tlm_reads, got, w.rtl_reads, diff));
      ok += got.ok;
      w.active = false;
      ++completed;
    }
    if (req_fire) {
      REQUIRE(req_id < kContexts);
      REQUIRE_FALSE(walks[req_id].active);
      walks[req_id] = std::move(next);
      walks[req_id].active = true;
      have_next = false;
      ++issued;
    }
    unsigned busy = 0;
    for (const Walk& w : walks) busy += w.active;
    max_busy = std::max(max_busy, busy);
  }
  top->final();
  CHECK(mismatches == 0);
  CHECK(ok > 300);
  CHECK(max_busy == kContexts);             // every context was used at once
  CHECK(max_outstanding == kContexts);      // ... with a read outstanding each
  CHECK(pending.empty());
}
