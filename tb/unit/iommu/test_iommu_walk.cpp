// Unit tests for the legacy second-level page walk (VT-d 3.7, 9.8, 7.1.3).
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <tuple>

#include "fake_table_memory.h"
#include "hand_sl_tables.h"
#include "vtd/fault_reason.h"
#include "vtd/sl_pte.h"
#include "iommu/sl_walker.h"

using namespace iommusim;
using iommusim::test::FakeTableMemory;
using iommusim::test::HandSlTables;

namespace {

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }

}  // namespace

TEST_CASE("iommu: walk 4 KiB pages with 3, 4 and 5 levels", "[unit][iommu]") {
  for (unsigned levels : {3u, 4u, 5u}) {
    CAPTURE(levels);
    HandSlTables t(levels);
    const Addr iova = levels == 3 ? 0x0000007f12345678ull
                      : levels == 4 ? 0x0000a5a512345678ull
                                    : 0x01abcdef12345678ull;
    t.map(iova, 0xabcd000);
    auto r = walk_second_level(t.m, t.params(), iova, false, true);
    REQUIRE(r.ok);
    CHECK(r.fault == FaultReason::kNone);
    CHECK(r.pa == 0xabcd678);
    CHECK(r.page_size == 4096);
    CHECK(r.end_level == 1);
    CHECK(r.r);
    CHECK(r.w);
    REQUIRE(r.steps.size() == levels);
    CHECK(t.m.count == levels);
    for (unsigned i = 0; i < levels; ++i) CHECK(r.steps[i].level == levels - i);
    CHECK(r.steps[0].entry_addr == t.root + sl_index(iova, levels) * 8);
    CHECK(r.steps[0].entry == t.m.mem[r.steps[0].entry_addr]);
    for (unsigned i = 1; i < levels; ++i)
      CHECK(r.steps[i].entry_addr ==
            (r.steps[i - 1].entry & SlPte::kAddrMask) + sl_index(iova, levels - i) * 8);
    // The neighbouring page is not mapped.
    auto miss = walk_second_level(t.m, t.params(), iova + 0x1000, false, true);
    CHECK_FALSE(miss.ok);
    CHECK(miss.fault == FaultReason::kReadNoPermission);
    CHECK(miss.end_level == 1);
  }
}

TEST_CASE("iommu: walk 2 MiB and 1 GiB pages", "[unit][iommu]") {
  for (unsigned levels : {3u, 4u, 5u}) {
    CAPTURE(levels);
    HandSlTables t(levels);
    const Addr iova2m = 0x40123456ull + 0x200000 * 3;  // inside a 2 MiB page
    const Addr iova1g = 0x3c0000000ull + 0x12345678;   // inside a 1 GiB page
    t.map(iova2m, 0x7fe00000, 2);
    t.map(iova1g, 0x1c0000000ull, 3);
    auto r2 = walk_second_level(t.m, t.params(), iova2m, true, false);
    REQUIRE(r2.ok);
    CHECK(r2.page_size == 2 * 1024 * 1024);
    CHECK(r2.pa == (0x7fe00000 | (iova2m & 0x1fffff)));
    CHECK(r2.end_level == 2);
    CHECK(r2.steps.size() == levels - 1);
    auto r1 = walk_second_level(t.m, t.params(), iova1g, true, true);
    REQUIRE(r1.ok);
    CHECK(r1.page_size == 1024ull * 1024 * 1024);
    CHECK(r1.pa == 0x1c0000000ull + 0x12345678);
    CHECK(r1.end_level == 3);
    CHECK(r1.steps.size() == levels - 2);
  }
}

TEST_CASE("iommu: superpage not supported by CAP.SLLPS is reserved (0xC)", "[unit][iommu]") {
  HandSlTables t(4);
  t.map(0x200000, 0x400000, 2);
  t.map(0x40000000, 0x80000000, 3);
  auto p = t.params();
  p.sp_2m = false;
  auto r = walk_second_level(t.m, p, 0x200000, false, true);
  CHECK(r.fault == FaultReason::kPagingEntryReserved);
  CHECK(r.end_level == 2);
  CHECK(walk_second_level(t.m, p, 0x40000000, false, true).ok);
  p = t.params();
  p.sp_1g = false;
  r = walk_second_level(t.m, p, 0x40000000, false, true);
  CHECK(r.fault == FaultReason::kPagingEntryReserved);
  CHECK(r.end_level == 3);
  CHECK(walk_second_level(t.m, p, 0x200000, false, true).ok);
  // PS = 1 in an SL-PML4E is always reserved.
  HandSlTables u(4);
  u.m.mem[u.root] = sl_make_table(0x5000) | SlPte::kPs;
  r = walk_second_level(u.m, u.params(), 0x1000, false, true);
  CHECK(r.fault == FaultReason::kPagingEntryReserved);
  CHECK(r.end_level == 4);
  // PS is ignored in an SL-PTE.
  HandSlTables v(3);
  v.m.mem[v.slot(0x3000, 1)] = sl_make_page(0x9000, 1) | SlPte::kPs;
  r = walk_second_level(v.m, v.params(), 0x3abc, false, true);
  REQUIRE(r.ok);
  CHECK(r.pa == 0x9abc);
}

TEST_CASE("iommu: address beyond AGAW/MGAW (0x4)", "[unit][iommu]") {
  for (unsigned levels : {3u, 4u, 5u}) {
    CAPTURE(levels);
    HandSlTables t(levels);
    const unsigned agaw = 12 + 9 * levels;
    const Addr top = bit(agaw) - 1;
    t.map(top, 0x5000);
    t.m.count = 0;
    auto r = walk_second_level(t.m, t.params(), bit(agaw), false, true);
    CHECK(r.fault == FaultReason::kAddressBeyondMgaw);
    CHECK(r.steps.empty());
    CHECK(t.m.count == 0);
    CHECK(walk_second_level(t.m, t.params(), ~Addr{0}, true, false).fault ==
          FaultReason::kAddressBeyondMgaw);
    auto ok = walk_second_level(t.m, t.params(), top, false, true);
    REQUIRE(ok.ok);
    CHECK(ok.pa == 0x5fff);
  }
  // MGAW below the AGAW limits the input too.
  HandSlTables t(4);
  auto p = t.params();
  p.mgaw = 40;
  CHECK(walk_second_level(t.m, p, bit(40), false, true).fault == FaultReason::kAddressBeyondMgaw);
  CHECK(walk_second_level(t.m, p, bit(40) - 1, false, true).fault ==
        FaultReason::kReadNoPermission);
}

TEST_CASE("iommu: non-present entries fault with the access type's reason", "[unit][iommu]") {
  for (unsigned miss_level : {4u, 3u, 2u, 1u}) {
    CAPTURE(miss_level);
    HandSlTables t(4);
    const Addr iova = 0x12345678000ull;
    t.map(iova, 0x8000);
    // Clear the entry at miss_level, leaving junk in the other bits: an entry
    // with R = W = 0 is not present, its reserved bits are not checked.
    Addr ea = t.slot(iova, miss_level);
    t.m.mem[ea] = (t.m.mem[ea] & ~uint64_t{3}) | bit(50) | 0x880;
    auto rd = walk_second_level(t.m, t.params(), iova, false, true);
    CHECK(rd.fault == FaultReason::kReadNoPermission);
    CHECK(rd.end_level == miss_level);
    CHECK(rd.steps.size() == 4 - miss_level + 1);
    CHECK(rd.steps.back().entry_addr == ea);
    CHECK(walk_second_level(t.m, t.params(), iova, true, false).fault ==
          FaultReason::kWriteNoPermission);
    CHECK(walk_second_level(t.m, t.params(), iova, true, true).fault ==
          FaultReason::kWriteNoPermission);
    // A translation request (neither read nor write) gets "no access", no fault.
    auto tr = walk_second_level(t.m, t.params(), iova, false, false);
    CHECK(tr.ok);
    CHECK_FALSE(tr.r);
    CHECK_FALSE(tr.w);
    CHECK(tr.end_level == miss_level);
  }
  // An empty root table.
  HandSlTables e(3);
  auto r = walk_second_level(e.m, e.params(), 0, true, false);
  CHECK(r.fault == FaultReason::kWriteNoPermission);
  CHECK(r.steps.size() == 1);
}

TEST_CASE("iommu: reserved bits in present entries (0xC)", "[unit][iommu]") {
  const Addr iova = 0x7654321000ull;
  auto run = [&](unsigned level, uint64_t set_bits, SlWalkParams* pp = nullptr, unsigned leaf = 1,
                 unsigned haw = 46) {
    HandSlTables t(4);
    t.map(iova, leaf == 1 ? 0xa000 : leaf == 2 ? 0xa00000 : 0x40000000, leaf);
    t.m.mem[t.slot(iova, level)] |= set_bits;
    SlWalkParams p = pp ? *pp : t.params(haw);
    p.table = t.root;
    return walk_second_level(t.m, p, iova, false, true);
  };
  CHECK(run(1, 0, nullptr).ok);
  // Address bits at and above HAW (bits 51:HAW).
  for (unsigned lv : {4u, 3u, 2u, 1u}) {
    CAPTURE(lv);
    auto r = run(lv, bit(46));
    CHECK(r.fault == FaultReason::kPagingEntryReserved);
    CHECK(r.end_level == lv);
    CHECK(run(lv, bit(51)).fault == FaultReason::kPagingEntryReserved);
    CHECK(run(lv, bit(46), nullptr, 1, 48).fault != FaultReason::kPagingEntryReserved);
    // Ignored bits never fault.
    CHECK(run(lv, bit(63) | bit(55) | bit(52) | bit(10) | bit(9) | bit(8)).ok);
  }
  // Non-leaf: SNP and TM positions; PS at level 4.
  for (unsigned lv : {4u, 3u, 2u}) {
    CHECK(run(lv, SlPte::kSnp).fault == FaultReason::kPagingEntryReserved);
    CHECK(run(lv, SlPte::kTm).fault == FaultReason::kPagingEntryReserved);
    // Bits 6:3 of a non-leaf entry are ignored.
    CHECK(run(lv, 0x78).ok);
  }
  CHECK(run(4, SlPte::kPs).fault == FaultReason::kPagingEntryReserved);
  // Leaves: SNP/TM/EMT/IPAT are fields when supported.
  CHECK(run(1, SlPte::kSnp | SlPte::kTm | 0x78).ok);
  SlWalkParams no_sc_dt;
  no_sc_dt.levels = 4;
  no_sc_dt.haw = 46;
  no_sc_dt.sc = false;
  CHECK(run(1, SlPte::kSnp, &no_sc_dt).fault == FaultReason::kPagingEntryReserved);
  CHECK(run(1, SlPte::kTm, &no_sc_dt).ok);
  no_sc_dt.sc = true;
  no_sc_dt.dt = false;
  CHECK(run(1, SlPte::kTm, &no_sc_dt).fault == FaultReason::kPagingEntryReserved);
  // Superpage address bits below the page boundary.
  CHECK(run(2, bit(12), nullptr, 2).fault == FaultReason::kPagingEntryReserved);
  CHECK(run(2, bit(20), nullptr, 2).fault == FaultReason::kPagingEntryReserved);
  CHECK(run(2, bit(21), nullptr, 2).ok);
  CHECK(run(3, bit(29), nullptr, 3).fault == FaultReason::kPagingEntryReserved);
  CHECK(run(3, bit(30), nullptr, 3).ok);
  // Reserved bits beat a permission fault in the same entry.
  HandSlTables t(3);
  t.map(0x1000, 0x2000, 1, false, false);
  t.m.mem[t.slot(0x1000, 1)] |= 1 | bit(50);
  CHECK(walk_second_level(t.m, t.params(46), 0x1000, true, false).fault ==
        FaultReason::kPagingEntryReserved);
}

TEST_CASE("iommu: permissions accumulate along the walk", "[unit][iommu]") {
  struct Perm {
    bool r, w;
  };
  const Perm perms[] = {{true, false}, {false, true}, {true, true}};
  const Addr iova = 0x0000123456789000ull;
  for (Perm upper : perms)
    for (Perm mid : perms)
      for (Perm leaf : perms)
        for (int access = 0; access < 3; ++access) {
          const bool rd = access != 1, wr = access != 0;  // read, write, atomic
          HandSlTables t(4);
          t.map(iova, 0xfeed000, 1, leaf.r, leaf.w);
          t.m.mem[t.slot(iova, 4)] = sl_make_table(t.m.mem[t.slot(iova, 4)] & SlPte::kAddrMask,
                                                   upper.r, upper.w);
          t.m.mem[t.slot(iova, 2)] = sl_make_table(t.m.mem[t.slot(iova, 2)] & SlPte::kAddrMask,
                                                   mid.r, mid.w);
          const bool er = upper.r && mid.r && leaf.r, ew = upper.w && mid.w && leaf.w;
          auto r = walk_second_level(t.m, t.params(), iova + 0x123, wr, rd);
          CAPTURE(upper.r, upper.w, mid.r, mid.w, leaf.r, leaf.w, rd, wr);
          CHECK(r.r == er);
          CHECK(r.w == ew);
          CHECK(r.steps.size() == 4);  // the walk always reaches the leaf
          if (wr && !ew) {
            CHECK(r.fault == FaultReason::kWriteNoPermission);
          } else if (rd && !er) {
            CHECK(r.fault == FaultReason::kReadNoPermission);
          } else {
            REQUIRE(r.ok);
            CHECK(r.pa == 0xfeed123);
          }
        }
}

TEST_CASE("iommu: walk resumes from a start level", "[unit][iommu]") {
  HandSlTables t(5);
  const Addr iova = 0x00fedcba98765432ull;
  t.map(iova, 0x3333000);
  auto full = walk_second_level(t.m, t.params(), iova, true, true);
  REQUIRE(full.ok);
  REQUIRE(full.steps.size() == 5);
  for (unsigned start = 5; start >= 1; --start) {
    CAPTURE(start);
    // The table for level `start` is the address field of the entry above it.
    const Addr table = start == 5 ? t.root : full.steps[4 - start].entry & SlPte::kAddrMask;
    t.m.count = 0;
    auto r = walk_second_level(t.m, t.params(), iova, true, true, start, table);
    REQUIRE(r.ok);
    CHECK(r.pa == full.pa);
    CHECK(t.m.count == start);
    REQUIRE(r.steps.size() == start);
    for (unsigned i = 0; i < start; ++i) {
      CHECK(r.steps[i].level == full.steps[5 - start + i].level);
      CHECK(r.steps[i].entry_addr == full.steps[5 - start + i].entry_addr);
    }
    // Permissions of the skipped (cached) levels are ANDed in.
    auto no_w = walk_second_level(t.m, t.params(), iova, true, false, start, table, true, false);
    CHECK(no_w.fault == FaultReason::kWriteNoPermission);
    CHECK_FALSE(no_w.w);
    auto no_r = walk_second_level(t.m, t.params(), iova, false, true, start, table, false, true);
    CHECK(no_r.fault == FaultReason::kReadNoPermission);
    // The AGAW check still applies.
    CHECK(walk_second_level(t.m, t.params(), bit(57), false, true, start, table).fault ==
          FaultReason::kAddressBeyondMgaw);
  }
}

TEST_CASE("iommu: walk access errors and bad levels", "[unit][iommu]") {
  HandSlTables t(4);
  const Addr iova = 0x5555000;
  t.map(iova, 0x1000);
  auto full = walk_second_level(t.m, t.params(), iova, false, true);
  REQUIRE(full.ok);
  // Through SLPTPTR: invalid context programming (0x3).
  t.m.bad = {full.steps[0].entry_addr};
  auto r = walk_second_level(t.m, t.params(), iova, false, true);
  CHECK(r.fault == FaultReason::kContextEntryInvalid);
  CHECK(r.end_level == 4);
  CHECK(r.steps.empty());
  // Through a paging entry's ADDR: 0x7, also when resuming midway.
  for (unsigned i = 1; i < 4; ++i) {
    t.m.bad = {full.steps[i].entry_addr};
    r = walk_second_level(t.m, t.params(), iova, false, true);
    CHECK(r.fault == FaultReason::kPagingEntryAccessError);
    CHECK(r.end_level == 4 - i);
    CHECK(r.steps.size() == i);
  }
  t.m.bad = {full.steps[2].entry_addr};
  r = walk_second_level(t.m, t.params(), iova, false, true, 2,
                        full.steps[1].entry & SlPte::kAddrMask);
  CHECK(r.fault == FaultReason::kPagingEntryAccessError);
  // Levels other than 3..5 are invalid programming.
  for (unsigned lv : {0u, 2u, 6u}) {
    auto p = t.params();
    p.levels = lv;
    CHECK(walk_second_level(t.m, p, iova, false, true).fault == FaultReason::kContextEntryInvalid);
  }
}

// ---------------------------------------------------------------------------
// Property test: random sparse tables, random requests. The expectation comes
// from a record of what each entry was meant to be, not from decoding bits.

namespace {

struct Intent {
  enum Kind { kTable, kLeaf, kAbsent, kPoisoned } kind;
  bool r = false, w = false;
  Addr frame = 0;  // leaf
};

struct RandomTables {
  unsigned levels, haw;
  bool sp_2m, sp_1g;
  FakeTableMemory m;
  Addr root;
  Addr next_free = 0x100000000ull;
  std::map<std::pair<unsigned, Addr>, std::pair<Intent, Addr>> intents;  // (level, prefix) -> intent, next table

  static Addr prefix(Addr iova, unsigned level) { return iova >> sl_level_shift(level); }
  Addr alloc() { return next_free += 0x1000; }
};

}  // namespace

TEST_CASE("iommu: walk property test against intended mappings", "[unit][iommu]") {
  std::mt19937_64 rng(0x5eed1234abcdull);
  auto coin = [&](unsigned pct) { return rng() % 100 < pct; };
  unsigned checked_ok = 0, checked_fault = 0;
  std::map<FaultReason, unsigned> seen;

  for (int round = 0; round < 24; ++round) {
    RandomTables t;
    t.levels = 3 + round % 3;
    t.haw = std::vector<unsigned>{39, 46, 48, 52}[rng() % 4];
    t.sp_2m = coin(80);
    t.sp_1g = coin(60);
    t.root = t.alloc();
    const unsigned agaw = 12 + 9 * t.levels;
    const Addr in_mask = bit(agaw) - 1;
    const Addr frame_mask = (bit(t.haw) - 1) & ~Addr{0xfff};

    // A few clusters so that tables are shared.
    std::vector<Addr> bases;
    for (int i = 0; i < 4; ++i) bases.push_back(rng() & in_mask);
    std::vector<Addr> mapped;

    for (int n = 0; n < 300; ++n) {
      Addr iova = (bases[rng() % bases.size()] ^ (rng() & 0x3ffffffull)) & in_mask;
      unsigned leaf_level = 1 + rng() % 3;  // 1, 2 or 3 (2/3 may be unsupported: poisoned)
      Addr table = t.root;
      bool conflict = false;
      for (unsigned l = t.levels; l > leaf_level && !conflict; --l) {
        auto key = std::make_pair(l, RandomTables::prefix(iova, l));
        auto it = t.intents.find(key);
        const Addr ea = table + sl_index(iova, l) * 8;
        if (it != t.intents.end()) {
          if (it->second.first.kind != Intent::kTable) conflict = true;
          else table = it->second.second;
          continue;
        }
        Intent in{Intent::kTable};
        const int pr = rng() % 8;  // mostly RW, sometimes R or W only
        in.r = pr != 0;
        in.w = pr != 1;
        const Addr next = t.alloc();
        uint64_t raw = sl_make_table(next, in.r, in.w);
        if (coin(3)) {  // a reserved bit in a table entry
          in.kind = Intent::kPoisoned;
          raw |= coin(50) ? SlPte::kSnp : SlPte::kTm;
        }
        t.m.mem[ea] = raw;
        t.intents[key] = {in, next};
        if (in.kind != Intent::kTable) conflict = true;
        table = next;
      }
      if (conflict) continue;
      auto key = std::make_pair(leaf_level, RandomTables::prefix(iova, leaf_level));
      if (t.intents.count(key)) continue;
      const Addr ea = table + sl_index(iova, leaf_level) * 8;
      const uint64_t size = sl_level_size(leaf_level);
      Intent in{Intent::kLeaf};
      const int pr = rng() % 4;  // R, W, RW or absent
      in.r = pr == 0 || pr == 2;
      in.w = pr == 1 || pr == 2;
      in.frame = rng() & frame_mask & ~(size - 1);
      uint64_t raw = sl_make_page(in.frame, leaf_level, in.r, in.w);
      if (!in.r && !in.w) {
        in.kind = Intent::kAbsent;
        raw |= rng() & ~uint64_t{3};  // junk in a non-present entry
      } else if ((leaf_level == 2 && !t.sp_2m) || (leaf_level == 3 && !t.sp_1g) || coin(4)) {
        in.kind = Intent::kPoisoned;
        if (leaf_level > 1) raw |= bit(12 + rng() % (sl_level_shift(leaf_level) - 12));
        if (t.haw < 52) raw |= bit(t.haw + rng() % (52 - t.haw));
        if (leaf_level == 1 && t.haw == 52) raw = sl_make_table(in.frame, in.r, in.w) | SlPte::kTm;
      }
      t.m.mem[ea] = raw;
      t.intents[key] = {in, 0};
      mapped.push_back(iova);
    }
    // dt = false: TM is reserved in leaves too (the haw = 52 poisoning case).
    SlWalkParams p;
    p.table = t.root;
    p.levels = t.levels;
    p.haw = t.haw;
    p.sp_2m = t.sp_2m;
    p.sp_1g = t.sp_1g;
    p.dt = false;

    for (int q = 0; q < 1500; ++q) {
      Addr iova;
      switch (rng() % 4) {
        case 0: iova = rng(); break;                                  // anywhere, mostly beyond AGAW
        case 1: iova = rng() & in_mask; break;                        // unmapped, mostly
        default: iova = mapped.empty() ? 0 : mapped[rng() % mapped.size()] ^ (rng() & 0x1fffff);
      }
      const int access = rng() % 3;
      const bool rd = access != 1, wr = access != 0;

      // Expectation from the intents.
      FaultReason want = FaultReason::kNone;
      Addr want_pa = 0;
      unsigned want_level = 0;
      if (iova >> agaw) {
        want = FaultReason::kAddressBeyondMgaw;
      } else {
        bool er = true, ew = true;
        for (unsigned l = t.levels; l >= 1; --l) {
          auto it = t.intents.find({l, RandomTables::prefix(iova, l)});
          want_level = l;
          if (it == t.intents.end() || it->second.first.kind == Intent::kAbsent) {
            want = wr ? FaultReason::kWriteNoPermission : FaultReason::kReadNoPermission;
            break;
          }
          const Intent& in = it->second.first;
          if (in.kind == Intent::kPoisoned) {
            want = FaultReason::kPagingEntryReserved;
            break;
          }
          er = er && in.r;
          ew = ew && in.w;
          if (in.kind == Intent::kLeaf) {
            if (wr && !ew) want = FaultReason::kWriteNoPermission;
            else if (rd && !er) want = FaultReason::kReadNoPermission;
            else want_pa = in.frame + (iova & (sl_level_size(l) - 1));
            break;
          }
        }
      }

      auto r = walk_second_level(t.m, p, iova, wr, rd);
      CAPTURE(round, q, iova, rd, wr, t.levels, t.haw);
      ++seen[want];
      if (want == FaultReason::kNone) {
        ++checked_ok;
        REQUIRE(r.ok);
        CHECK(r.pa == want_pa);
        CHECK(r.end_level == want_level);
        CHECK(r.page_size == sl_level_size(want_level));
      } else {
        ++checked_fault;
        REQUIRE_FALSE(r.ok);
        CHECK(r.fault == want);
        if (want != FaultReason::kAddressBeyondMgaw) CHECK(r.end_level == want_level);
      }
    }
  }
  // The test exercised every outcome.
  CHECK(checked_ok > 1000);
  CHECK(checked_fault > 1000);
  for (FaultReason f : {FaultReason::kAddressBeyondMgaw, FaultReason::kWriteNoPermission,
                        FaultReason::kReadNoPermission, FaultReason::kPagingEntryReserved})
    CHECK(seen[f] > 50);
}
