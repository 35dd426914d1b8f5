// Directed walks on the RTL walker, each compared with the TLM walker: every
// level count, every page size, every fault reason the walker produces, the
// paging-structure-cache resume, translation requests, the cycle counts and
// timing, and back-pressure on the memory and result ports.
#include <catch2/catch.hpp>

#include "cosim_util.h"
#include "vtd/fault_reason.h"

using namespace iommusim;
using namespace iommusim::test;

namespace {

constexpr Tick kCycle = 1000;  // 1 GHz

// Runs both walkers; requires that they agree, that the RTL took its
// documented cycles (2 + 2 per read without back-pressure) and that its time
// is cycles * period + the memory latencies.
CosimRun agree(RtlSlWalker& rtl, TableReader& mem, const SlWalkParams& p, const SlWalkRequest& q,
               Tick latency = 0, bool back_pressure = false) {
  CosimRun c = run_both(rtl, mem, p, q, latency, kCycle, 5000);
  INFO(c.report());
  REQUIRE(c.diff == 0);
  const Tick mem_time = latency * c.rtl.reads.size();
  CHECK(c.rtl.end - 5000 == c.rtl.cycles * kCycle + mem_time);
  if (!back_pressure) CHECK(c.rtl.cycles == 2 + 2 * c.rtl.reads.size());
  // Steps as the TLM walker reports them (the unit fills its PSCs from them).
  REQUIRE(c.rtl.result.steps.size() == c.tlm.steps.size());
  for (std::size_t i = 0; i < c.tlm.steps.size(); ++i) {
    CHECK(c.rtl.result.steps[i].level == c.tlm.steps[i].level);
    CHECK(c.rtl.result.steps[i].entry_addr == c.tlm.steps[i].entry_addr);
    CHECK(c.rtl.result.steps[i].entry == c.tlm.steps[i].entry);
  }
  return c;
}

CosimRun fault_of(RtlSlWalker& rtl, TableReader& mem, const SlWalkParams& p, const SlWalkRequest& q,
                  FaultReason expected, unsigned level) {
  CosimRun c = agree(rtl, mem, p, q);
  INFO(c.report());
  CHECK_FALSE(c.rtl.result.ok);
  CHECK(c.rtl.result.fault == expected);
  CHECK(c.rtl.result.end_level == level);
  return c;
}

}  // namespace

TEST_CASE("rtl walker: 4 KiB pages with 3, 4 and 5 levels", "[cosim]") {
  auto rtl = make_rtl_sl_walker();
  REQUIRE(rtl);
  for (unsigned levels : {3u, 4u, 5u}) {
    CAPTURE(levels);
    HandSlTables t(levels);
    const Addr iova = levels == 3 ? 0x0000007f12345678ull : levels == 4 ? 0x0000a5a512345678ull : 0x01abcdef12345678ull;
    t.map(iova, 0xabcd000);
    for (Tick latency : {Tick{0}, Tick{7500}}) {
      CosimRun c = agree(*rtl, t.m, t.params(), read_of(iova), latency);
      CHECK(c.rtl.result.ok);
      CHECK(c.rtl.result.pa == 0xabcd678);
      CHECK(c.rtl.result.page_size == 4096);
      CHECK(c.rtl.result.end_level == 1);
      CHECK(c.rtl.reads.size() == levels);
      CHECK(c.rtl.cycles == 2 + 2 * levels);
    }
    agree(*rtl, t.m, t.params(), write_of(iova));
  }
}

TEST_CASE("rtl walker: 2 MiB and 1 GiB pages at every level count", "[cosim]") {
  auto rtl = make_rtl_sl_walker();
  for (unsigned levels : {3u, 4u, 5u}) {
    CAPTURE(levels);
    HandSlTables t(levels);
    const Addr iova2m = 0x40123456ull + 0x200000 * 3, iova1g = 0x3c0000000ull + 0x12345678;
    t.map(iova2m, 0x7fe00000, 2);
    t.map(iova1g, 0x1c0000000ull, 3);
    CosimRun c2 = agree(*rtl, t.m, t.params(), write_of(iova2m));
    CHECK(c2.rtl.result.ok);
    CHECK(c2.rtl.result.page_size == 2u << 20);
    CHECK(c2.rtl.result.pa == (0x7fe00000 | (iova2m & 0x1fffff)));
    CHECK(c2.rtl.result.end_level == 2);
    CosimRun c1 = agree(*rtl, t.m, t.params(), read_of(iova1g));
    CHECK(c1.rtl.result.ok);
    CHECK(c1.rtl.result.page_size == 1u << 30);
    CHECK(c1.rtl.result.pa == (0x1c0000000ull | (iova1g & 0x3fffffff)));
    CHECK(c1.rtl.result.end_level == 3);
    // Read+write (an AtomicOp).
    SlWalkRequest both = read_of(iova1g);
    both.write = true;
    agree(*rtl, t.m, t.params(), both);
  }
}

TEST_CASE("rtl walker: faults 0x3 and 0x4 before any read", "[cosim]") {
  auto rtl = make_rtl_sl_walker();
  HandSlTables t(4);
  t.map(0x1000, 0x2000);
  for (unsigned bad_levels : {0u, 1u, 2u, 6u, 7u}) {
    SlWalkParams p = t.params();
    p.levels = bad_levels;
    CosimRun c = fault_of(*rtl, t.m, p, read_of(0x1000), FaultReason::kContextEntryInvalid, 0);
    CHECK(c.rtl.reads.empty());
    CHECK(c.rtl.cycles == 2);
  }
  // Beyond the AGAW of each level count (39, 48, 57 bits).
  for (unsigned levels : {3u, 4u, 5u}) {
    HandSlTables u(levels);
    const unsigned agaw = 12 + 9 * levels;
    SlWalkParams p = u.params();
    fault_of(*rtl, u.m, p, read_of(Addr{1} << agaw), FaultReason::kAddressBeyondMgaw, levels);
    fault_of(*rtl, u.m, p, write_of(~Addr{0}), FaultReason::kAddressBeyondMgaw, levels);
    // Just below the limit walks.
    agree(*rtl, u.m, p, read_of((Addr{1} << agaw) - 1));
  }
  // Beyond MGAW when MGAW < AGAW.
  SlWalkParams p = t.params();
  p.mgaw = 40;
  fault_of(*rtl, t.m, p, read_of(Addr{1} << 40), FaultReason::kAddressBeyondMgaw, 4);
  agree(*rtl, t.m, p, read_of((Addr{1} << 40) - 0x1000));
}

TEST_CASE("rtl walker: faults 0x3 and 0x7 on read errors", "[cosim]") {
  auto rtl = make_rtl_sl_walker();
  HandSlTables t(4);
  const Addr iova = 0x12345000;
  t.map(iova, 0x99000);
  // SLPTPTR points at memory that cannot be read: 0x3.
  t.m.bad_pages.insert(t.root);
  fault_of(*rtl, t.m, t.params(), read_of(iova), FaultReason::kContextEntryInvalid, 4);
  t.m.bad_pages.clear();
  // A lower table cannot be read: 0x7 at that level.
  const Addr l3_table = t.entry(iova, 4) & SlPte::kAddrMask;
  const Addr l1_table = t.entry(iova, 2) & SlPte::kAddrMask;
  t.m.bad_pages.insert(l3_table);
  fault_of(*rtl, t.m, t.params(), read_of(iova), FaultReason::kPagingEntryAccessError, 3);
  t.m.bad_pages = {l1_table};
  fault_of(*rtl, t.m, t.params(), write_of(iova), FaultReason::kPagingEntryAccessError, 1);
  // A resumed walk's first read is not through SLPTPTR: 0x7, not 0x3.
  SlWalkRequest q = read_of(iova);
  q.start_level = 1;
  q.start_table = l1_table;
  fault_of(*rtl, t.m, t.params(), q, FaultReason::kPagingEntryAccessError, 1);
}

TEST_CASE("rtl walker: faults 0x5 and 0x6, translation requests", "[cosim]") {
  auto rtl = make_rtl_sl_walker();
  HandSlTables t(4);
  const Addr ro = 0x200000, wo = 0x400000, none = 0x600000;
  t.map(ro, 0xa000, 1, true, false);
  t.map(wo, 0xb000, 1, false, true);
  t.slot(none, 1);  // tables down to an empty SL-PTE
  // Not present at level 1 and at level 4.
  fault_of(*rtl, t.m, t.params(), read_of(none), FaultReason::kReadNoPermission, 1);
  fault_of(*rtl, t.m, t.params(), write_of(none), FaultReason::kWriteNoPermission, 1);
  fault_of(*rtl, t.m, t.params(), read_of(Addr{1} << 40), FaultReason::kReadNoPermission, 4);
  // Leaf permissions.
  fault_of(*rtl, t.m, t.params(), write_of(ro), FaultReason::kWriteNoPermission, 1);
  fault_of(*rtl, t.m, t.params(), read_of(wo), FaultReason::kReadNoPermission, 1);
  agree(*rtl, t.m, t.params(), read_of(ro));
  agree(*rtl, t.m, t.params(), write_of(wo));
  // An AtomicOp needs both; W is checked first.
  SlWalkRequest atomic = read_of(ro);
  atomic.write = true;
  fault_of(*rtl, t.m, t.params(), atomic, FaultReason::kWriteNoPermission, 1);
  // Permissions are ANDed along the walk: a read-only table entry above.
  const Addr rw_below_ro = 0x8000000000ull;
  t.map(rw_below_ro, 0xc000);
  t.entry(rw_below_ro, 4) &= ~SlPte::kW;
  fault_of(*rtl, t.m, t.params(), write_of(rw_below_ro), FaultReason::kWriteNoPermission, 1);
  CosimRun c = agree(*rtl, t.m, t.params(), read_of(rw_below_ro));
  CHECK(c.rtl.result.r);
  CHECK_FALSE(c.rtl.result.w);
  // Translation requests (neither read nor write): what the entries grant.
  SlWalkRequest tr;
  tr.iova = none;
  CosimRun n = agree(*rtl, t.m, t.params(), tr);
  CHECK(n.rtl.result.ok);
  CHECK_FALSE(n.rtl.result.r);
  CHECK_FALSE(n.rtl.result.w);
  CHECK(n.rtl.result.page_size == 4096);
  tr.iova = Addr{1} << 40;  // not present at level 4
  CosimRun n4 = agree(*rtl, t.m, t.params(), tr);
  CHECK(n4.rtl.result.ok);
  CHECK(n4.rtl.result.page_size == Addr{1} << 39);
  CHECK(n4.rtl.result.end_level == 4);
  tr.iova = ro;
  CosimRun g = agree(*rtl, t.m, t.params(), tr);
  CHECK(g.rtl.result.ok);
  CHECK(g.rtl.result.r);
  CHECK_FALSE(g.rtl.result.w);
}

TEST_CASE("rtl walker: fault 0xC for every reserved bit", "[cosim]") {
  auto rtl = make_rtl_sl_walker();
  const Addr iova = 0x0000123456789000ull;
  struct Case {
    const char* what;
    unsigned level;      // the entry on iova's path that is changed
    unsigned leaf;       // the level the path's leaf is at
    std::uint64_t set;   // bits set in that entry
    unsigned haw = 48;
    bool sp_2m = true, sp_1g = true, sc = true, dt = true;
  };
  const Case cases[] = {
      {"table pointer above HAW", 4, 1, bit(47), 46},
      {"4 KiB leaf above HAW", 1, 1, bit(51), 48},
      {"2 MiB leaf above HAW", 2, 2, bit(48), 48},
      {"SNP in a table pointer", 3, 1, SlPte::kSnp},
      {"TM in a table pointer", 2, 1, SlPte::kTm},
      {"PS in an SL-PML4E", 4, 1, SlPte::kPs},
      {"PS in an SL-PML5E", 5, 1, SlPte::kPs},
      {"2 MiB page without CAP.SLLPS 2M", 2, 2, 0, 48, false, true},
      {"1 GiB page without CAP.SLLPS 1G", 3, 3, 0, 48, true, false},
      {"2 MiB leaf address bits 20:12", 2, 2, bit(12)},
      {"2 MiB leaf address bit 20", 2, 2, bit(20)},
      {"1 GiB leaf address bit 29", 3, 3, bit(29)},
      {"1 GiB leaf address bit 13", 3, 3, bit(13)},
      {"SNP in a leaf without ECAP.SC", 1, 1, SlPte::kSnp, 48, true, true, false, true},
      {"TM in a leaf without ECAP.DT", 1, 1, SlPte::kTm, 48, true, true, true, false},
      {"TM in a 1 GiB leaf without ECAP.DT", 3, 3, SlPte::kTm, 48, true, true, true, false},
  };
  for (const Case& k : cases) {
    CAPTURE(k.what);
    HandSlTables t(5);
    t.map(iova, k.leaf == 1 ? 0x5000 : k.leaf == 2 ? 0x40000000 : 0x80000000, k.leaf);
    t.entry(iova, k.level) |= k.set;
    SlWalkParams p = t.params(k.haw);
    p.sp_2m = k.sp_2m;
    p.sp_1g = k.sp_1g;
    p.sc = k.sc;
    p.dt = k.dt;
    fault_of(*rtl, t.m, p, read_of(iova), FaultReason::kPagingEntryReserved, k.level);
    // The same bits are fields (no fault) where the capability exists or
    // the entry is of the other kind.
  }
  // Not reserved: SNP and TM in leaves with SC and DT, PS in an SL-PTE,
  // ignored bits, and reserved bits in a not-present entry.
  HandSlTables t(4);
  t.map(iova, 0x5000);
  t.entry(iova, 1) |= SlPte::kSnp | SlPte::kTm | SlPte::kPs | bit(63) | bit(60) | bit(9) | SlPte::kX;
  CHECK(agree(*rtl, t.m, t.params(), read_of(iova)).rtl.result.ok);
  t.entry(iova, 1) = SlPte::kSnp | SlPte::kTm | bit(51);
  fault_of(*rtl, t.m, t.params(), read_of(iova), FaultReason::kReadNoPermission, 1);
}

TEST_CASE("rtl walker: resume from a paging-structure-cache hit", "[cosim]") {
  auto rtl = make_rtl_sl_walker();
  HandSlTables t(5);
  const Addr iova = 0x00abcdef12345000ull & ((Addr{1} << 57) - 1);
  t.map(iova, 0x77000);
  const Addr l2_table = t.entry(iova, 3) & SlPte::kAddrMask;
  const Addr l3_table = t.entry(iova, 4) & SlPte::kAddrMask;
  for (unsigned start : {1u, 2u, 3u, 4u, 5u, 6u}) {
    CAPTURE(start);
    SlWalkRequest q = read_of(iova);
    q.start_level = start;
    q.start_table = start == 3 ? l3_table | 0xabc : start == 2 ? l2_table : t.slot(iova, start) & ~Addr{0xfff};
    agree(*rtl, t.m, t.params(), q);
    q.start_w = false;
    q.write = true;
    q.read = false;
    CosimRun c = fault_of(*rtl, t.m, t.params(), q, FaultReason::kWriteNoPermission, 1);
    CHECK(c.rtl.result.r);
  }
}

TEST_CASE("rtl walker: back-pressure on the memory and result ports", "[cosim]") {
  auto rtl = make_rtl_sl_walker();
  RtlPortTiming bp;
  bp.max_mem_stall = 4;
  bp.max_rsp_delay = 6;
  bp.max_result_stall = 3;
  bp.seed = 12345;
  rtl->set_port_timing(bp);
  for (unsigned levels : {3u, 4u, 5u}) {
    HandSlTables t(levels);
    const Addr a = 0x12345000, b = 0x40200000, c = 0x80000000;
    t.map(a, 0x1000);
    t.map(b, 0x200000, 2);
    t.map(c, 0x40000000, 3, true, false);
    unsigned stalled = 0;
    for (int i = 0; i < 50; ++i) {
      for (Addr iova : {a, b, c, Addr{0x7000}}) {
        CosimRun r = agree(*rtl, t.m, t.params(), i % 2 ? write_of(iova) : read_of(iova), 3000, true);
        CHECK(r.rtl.cycles >= 2 + 2 * r.rtl.reads.size());
        stalled += r.rtl.cycles > 2 + 2 * r.rtl.reads.size();
      }
    }
    CHECK(stalled > 100);  // back-pressure did stretch most walks
  }
}
