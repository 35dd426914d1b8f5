// Random walks: the RTL walker against the TLM walker over seeded random
// tables (every level count, page size, fault, resume and access type), and
// the deliberately broken RTL variant being caught.
#include <array>
#include <chrono>
#include <map>
#include <random>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "cosim_util.h"
#include "vtd/fault_reason.h"

using namespace iommusim;
using namespace iommusim::test;

namespace {

constexpr Tick kCycle = 1000;

// A random request over `mem` (whose seed and flavour it also sets).
struct RandomWalk {
  SlWalkParams p;
  SlWalkRequest q;
  Tick latency = 0;
};

RandomWalk random_walk(std::mt19937_64& rng, RandomTables& mem) {
  RandomWalk w;
  mem.seed = rng();
  mem.clean = rng() % 3 != 0;
  SlWalkParams& p = w.p;
  p.levels = rng() % 50 == 0 ? static_cast<unsigned>(rng() % 8) : 3 + static_cast<unsigned>(rng() % 3);
  static const unsigned haws[] = {39, 42, 46, 48, 52};
  static const unsigned mgaws[] = {57, 64, 57, 64, 57, 64, 48, 39};
  p.haw = haws[rng() % 5];
  p.mgaw = mgaws[rng() % 8];
  p.sp_2m = rng() % 5 != 0;
  p.sp_1g = rng() % 5 != 0;
  p.sc = rng() % 5 != 0;
  p.dt = rng() % 5 != 0;
  p.table = rng() % 33 == 0 ? RandomTables::kBad + (rng() % 16) * 0x1000
                            : RandomTables::pool_page(rng()) | (rng() % 4 == 0 ? rng() & 0xfff : 0);
  SlWalkRequest& q = w.q;
  const unsigned lv = p.levels >= 3 && p.levels <= 5 ? p.levels : 4;
  const unsigned width = rng() % 30 == 0 ? 64 : 12 + 9 * lv + (rng() % 16 == 0 ? 1 : 0);
  q.iova = width >= 64 ? rng() : rng() & ((Addr{1} << width) - 1);
  switch (rng() % 4) {
    case 0: q.read = true; break;
    case 1: q.write = true; break;
    case 2: q.read = q.write = true; break;
    default: break;  // a translation request
  }
  if (rng() % 5 == 0) {
    q.start_level = 1 + static_cast<unsigned>(rng() % (lv + 1));
    q.start_table = rng() % 40 == 0 ? RandomTables::kBad : RandomTables::pool_page(rng());
    q.start_r = rng() % 5 != 0;
    q.start_w = rng() % 5 != 0;
  }
  w.latency = (rng() % 3) * 2500;
  return w;
}

}  // namespace

TEST_CASE("rtl walker: 100000 random walks match the TLM walker", "[cosim]") {
  const auto t0 = std::chrono::steady_clock::now();
  auto rtl = make_rtl_sl_walker();
  REQUIRE(rtl);
  RandomTables mem;
  std::mt19937_64 rng(20240607);
  constexpr unsigned kWalks = 100000;
  unsigned mismatches = 0, bad_timing = 0, ok = 0, no_access = 0, resumed = 0, reads = 0;
  std::map<unsigned, unsigned> faults;       // reason -> walks
  std::map<std::uint64_t, unsigned> pages;   // page size -> translated walks
  std::map<unsigned, unsigned> levels;       // level count -> walks that read
  for (unsigned i = 0; i < kWalks; ++i) {
    if (i == kWalks / 2) {
      // The second half with back-pressure on every port.
      RtlPortTiming bp;
      bp.max_mem_stall = 3;
      bp.max_rsp_delay = 4;
      bp.max_result_stall = 2;
      bp.seed = 99;
      rtl->set_port_timing(bp);
    }
    const RandomWalk w = random_walk(rng, mem);
    const CosimRun c = run_both(*rtl, mem, w.p, w.q, w.latency, kCycle, Tick{i} * 100000);
    if (c.diff) {
      if (++mismatches <= 5) FAIL_CHECK(c.report());
      continue;
    }
    const SlWalkResult& r = c.tlm;
    if (c.rtl.end - Tick{i} * 100000 != c.rtl.cycles * kCycle + w.latency * c.rtl.reads.size()) ++bad_timing;
    if (i < kWalks / 2 && c.rtl.cycles != 2 + 2 * c.rtl.reads.size()) ++bad_timing;
    reads += static_cast<unsigned>(c.rtl.reads.size());
    resumed += w.q.start_level != 0;
    if (!c.rtl.reads.empty()) ++levels[w.p.levels];
    if (r.ok && (r.r || r.w)) {
      ++ok;
      ++pages[r.page_size];
    } else if (r.ok) {
      ++no_access;
    } else {
      ++faults[static_cast<unsigned>(r.fault)];
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("walks " << kWalks << ", translated " << ok << ", no access " << no_access << ", resumed " << resumed
                << ", reads " << reads << ", " << secs << " s");
  std::string fault_counts;
  for (const auto& [f, n] : faults) fault_counts += fmt::format(" {:#x}:{}", f, n);
  INFO("faults (reason:walks)" << fault_counts);
  REQUIRE(mismatches == 0);
  CHECK(bad_timing == 0);
  // The random tables reached every outcome.
  CHECK(ok > 10000);
  CHECK(no_access > 100);
  CHECK(resumed > 10000);
  for (unsigned f : {0x3u, 0x4u, 0x5u, 0x6u, 0x7u, 0xCu}) {
    CAPTURE(f);
    CHECK(faults[f] > 200);
  }
  CHECK(faults.size() == 6);
  for (std::uint64_t s : {std::uint64_t{1} << 12, std::uint64_t{1} << 21, std::uint64_t{1} << 30}) {
    CAPTURE(s);
    CHECK(pages[s] > 1000);
  }
  for (unsigned l : {3u, 4u, 5u}) CHECK(levels[l] > 10000);
  CHECK(secs < 60);  // a guard against a pathological slowdown; the budget is 2 minutes
}

TEST_CASE("rtl walker: the broken variant (BROKEN_PA_BIT = 12) is caught", "[cosim]") {
  auto broken = make_rtl_sl_walker(RtlVariant::BrokenPa);
  REQUIRE(broken);
  // A plain 4 KiB walk: only the output address differs, by bit 12.
  HandSlTables t(4);
  t.map(0x12345000, 0xabcd000);
  const CosimRun c = run_both(*broken, t.m, t.params(), read_of(0x12345678));
  CHECK(c.diff == kCosimPa);
  CHECK((c.rtl.result.pa ^ c.tlm.pa) == bit(12));
  CHECK(c.report().find("RTL and TLM walks differ in pa") != std::string::npos);
  CHECK(c.report().find("0xabcd678") != std::string::npos);
  // Random walks: every successful walk is caught, nothing else differs.
  RandomTables mem;
  std::mt19937_64 rng(7);
  unsigned caught = 0, successes = 0;
  for (int i = 0; i < 5000; ++i) {
    const RandomWalk w = random_walk(rng, mem);
    const CosimRun r = run_both(*broken, mem, w.p, w.q, w.latency);
    successes += r.tlm.ok;
    if (r.diff) {
      ++caught;
      CHECK(r.diff == kCosimPa);
    }
  }
  CHECK(successes > 500);
  CHECK(caught == successes);
}
