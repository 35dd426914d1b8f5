// Unit tests for scalable-mode translation: context entry (VT-d 9.4), PASID
// directory/table entries (9.5, 9.6), first-level entries (9.7), the
// scalable-mode lookup (3.4.2/3.4.3), the first-level walk (3.6) and nested
// translation (3.8), with the fault codes of 7.1.3.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "fake_table_memory.h"
#include "vtd/fault_reason.h"
#include "vtd/fl_pte.h"
#include "iommu/fl_walker.h"
#include "vtd/pasid_entry.h"
#include "vtd/sl_pte.h"
#include "iommu/sl_walker.h"
#include "vtd/sm_context_entry.h"
#include "iommu/sm_lookup.h"

using namespace iommusim;
using iommusim::test::FakeTableMemory;

namespace {

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }

}  // namespace

// ---------------------------------------------------------------- decoders

TEST_CASE("iommu sm: scalable-mode context entry fields (VT-d 9.4)", "[unit][iommu][scalable]") {
  // PASIDDIRPTR 0x123456000, PDTS 5 (0xa00), PRE 0x10, PASIDE 8, DTE 4, FPD 2, P 1.
  const uint64_t q[4] = {0x123456a1full, 0x1abcdeull, 0, 0};
  const SmContextEntry e = SmContextEntry::decode(q, 48);
  CHECK(e.present);
  CHECK(e.fpd);
  CHECK(e.dte);
  CHECK(e.paside);
  CHECK(e.pre);
  CHECK(e.pdts == 5);
  CHECK(e.pasid_dir_ptr == 0x123456000ull);
  CHECK(e.rid_pasid == 0xabcde);
  CHECK(e.rid_priv);
  CHECK_FALSE(e.reserved_nonzero);
  CHECK(e.pasid_dir_entries() == 4096);
  CHECK(e.max_pasid() == 0x3ffff);
  CHECK(e.q0() == q[0]);
  CHECK(e.q1() == q[1]);
  CHECK(e.q2() == 0);
  CHECK(e.q3() == 0);

  SmContextEntry z;
  z.pdts = 7;
  CHECK(z.pasid_dir_entries() == 16384);
  CHECK(z.max_pasid() == 0xfffff);  // 2^14 * 64 = 2^20 PASIDs
  z.pdts = 0;
  CHECK(z.max_pasid() == 128 * 64 - 1);

  SECTION("field isolation") {
    const uint64_t one[][2] = {{1, 0}, {2, 0}, {4, 0}, {8, 0}, {0x10, 0}};
    for (auto& o : one) {
      const uint64_t qq[4] = {o[0], o[1], 0, 0};
      const SmContextEntry d = SmContextEntry::decode(qq, 48);
      CHECK(int(d.present) + d.fpd + d.dte + d.paside + d.pre == 1);
    }
    const uint64_t qq[4] = {0, bit(20), 0, 0};
    const SmContextEntry d = SmContextEntry::decode(qq, 48);
    CHECK(d.rid_priv);
    CHECK(d.rid_pasid == 0);
  }
  SECTION("reserved bits") {
    CHECK(SmContextEntry::reserved_mask(0, 48) == (0x1e0ull | 0xffff000000000000ull));
    CHECK(SmContextEntry::reserved_mask(1, 48) == 0xffffffffffe00000ull);
    CHECK(SmContextEntry::reserved_mask(2, 48) == ~uint64_t{0});
    CHECK(SmContextEntry::reserved_mask(3, 48) == ~uint64_t{0});
    const std::pair<unsigned, unsigned> rsv[] = {{0, 5}, {0, 6}, {0, 7}, {0, 8}, {0, 48},
                                                 {0, 63}, {1, 21}, {1, 63}, {2, 0}, {3, 63}};
    for (auto [w, b] : rsv) {
      CAPTURE(w, b);
      uint64_t qq[4] = {1, 0, 0, 0};
      qq[w] |= bit(b);
      CHECK(SmContextEntry::decode(qq, 48).reserved_nonzero);
    }
    const uint64_t ok52[4] = {1 | bit(51), 0, 0, 0};
    CHECK_FALSE(SmContextEntry::decode(ok52, 52).reserved_nonzero);
    CHECK(SmContextEntry::decode(ok52, 48).reserved_nonzero);
  }
}

TEST_CASE("iommu sm: PASID directory entry fields (VT-d 9.5)", "[unit][iommu][scalable]") {
  const PasidDirEntry e = PasidDirEntry::decode(0x7654321003ull, 48);
  CHECK(e.present);
  CHECK(e.fpd);
  CHECK(e.table == 0x7654321000ull);
  CHECK_FALSE(e.reserved_nonzero);
  CHECK(e.raw() == 0x7654321003ull);
  CHECK(PasidDirEntry::reserved_mask(48) == (0xffcull | 0xffff000000000000ull));
  for (unsigned b : {2u, 11u, 48u, 63u}) {
    CAPTURE(b);
    CHECK(PasidDirEntry::decode(1 | bit(b), 48).reserved_nonzero);
  }
  CHECK_FALSE(PasidDirEntry::decode(1 | bit(50), 52).reserved_nonzero);
  CHECK_FALSE(PasidDirEntry::decode(0, 48).present);
}

TEST_CASE("iommu sm: PASID table entry fields (VT-d 9.6)", "[unit][iommu][scalable]") {
  // q0: SLPTPTR 0xabcdef000, SLADE 0x200, PGTT 3 (0xc0), SLEE 0x20, AW 2 (0x8), FPD, P.
  // q1: DID 0x1234, PWSNP bit 23, PGSNP bit 24.
  // q2: FLPTPTR 0xfedcba000, EAFE 0x80, SMEP 0x40, NXE 0x20, WPE 0x10, FLPM 1 (0x4), ERE 2, SRE 1.
  const uint64_t q[8] = {0xabcdef2ebull, 0x1801234ull, 0xfedcba0f7ull, 0, 0, 0, 0, 0};
  const PasidEntry e = PasidEntry::decode(q, 48);
  CHECK(e.present);
  CHECK(e.fpd);
  CHECK(e.aw == 2);
  CHECK(e.slee);
  CHECK(e.pgtt == kPgttNested);
  CHECK(e.slade);
  CHECK(e.slptptr == 0xabcdef000ull);
  CHECK(e.did == 0x1234);
  CHECK(e.pwsnp);
  CHECK(e.pgsnp);
  CHECK(e.sre);
  CHECK(e.ere);
  CHECK(e.flpm == kFlpm5Level);
  CHECK(e.wpe);
  CHECK(e.nxe);
  CHECK(e.smep);
  CHECK(e.eafe);
  CHECK(e.flptptr == 0xfedcba000ull);
  CHECK_FALSE(e.reserved_nonzero);
  CHECK(e.sl_levels() == 4);
  CHECK(e.fl_levels() == 5);
  CHECK(e.uses_first_level());
  CHECK(e.uses_second_level());
  for (unsigned i = 0; i < 8; ++i) CHECK(e.q(i) == q[i]);

  SECTION("PGTT encodings") {
    for (uint64_t pgtt = 0; pgtt < 8; ++pgtt) {
      const uint64_t qq[8] = {1 | (pgtt << 6), 0, 0, 0, 0, 0, 0, 0};
      const PasidEntry d = PasidEntry::decode(qq, 48);
      CHECK(d.pgtt == pgtt);
      CHECK(d.uses_first_level() == (pgtt == 1 || pgtt == 3));
      CHECK(d.uses_second_level() == (pgtt == 2 || pgtt == 3));
    }
  }
  SECTION("reserved bits") {
    const std::pair<unsigned, unsigned> rsv[] = {{0, 10}, {0, 11}, {1, 16}, {1, 22}, {2, 8},
                                                 {2, 11}, {3, 0},  {4, 5},  {7, 63}};
    for (auto [w, b] : rsv) {
      CAPTURE(w, b);
      uint64_t qq[8] = {1 | (uint64_t{kPgttFirstLevel} << 6), 0, 0, 0, 0, 0, 0, 0};
      qq[w] |= bit(b);
      CHECK(PasidEntry::decode(qq, 48).reserved_nonzero);
    }
    // Pointer bits above HAW count only for the pointer the PGTT uses.
    const uint64_t fl_only[8] = {1 | (uint64_t{kPgttFirstLevel} << 6) | bit(50), 0, 0, 0,
                                 0, 0, 0, 0};
    CHECK_FALSE(PasidEntry::decode(fl_only, 48).reserved_nonzero);
    const uint64_t sl_hi[8] = {1 | (uint64_t{kPgttSecondLevel} << 6) | bit(50), 0, 0, 0,
                               0, 0, 0, 0};
    CHECK(PasidEntry::decode(sl_hi, 48).reserved_nonzero);
    CHECK_FALSE(PasidEntry::decode(sl_hi, 52).reserved_nonzero);
    const uint64_t fl_hi[8] = {1 | (uint64_t{kPgttFirstLevel} << 6), 0, bit(49), 0,
                               0, 0, 0, 0};
    CHECK(PasidEntry::decode(fl_hi, 48).reserved_nonzero);
    const uint64_t sl_fl_hi[8] = {1 | (uint64_t{kPgttSecondLevel} << 6), 0, bit(49), 0,
                                  0, 0, 0, 0};
    CHECK_FALSE(PasidEntry::decode(sl_fl_hi, 48).reserved_nonzero);
    CHECK(PasidEntry::reserved_mask(0, kPgttNested, 48) == (0xc00ull | 0xffff000000000000ull));
    CHECK(PasidEntry::reserved_mask(1, kPgttNested, 48) == 0x7f0000ull);
    CHECK(PasidEntry::reserved_mask(2, kPgttNested, 48) == (0xf00ull | 0xffff000000000000ull));
  }
}

TEST_CASE("iommu sm: first-level paging entry fields (VT-d 9.7)", "[unit][iommu][scalable]") {
  const uint64_t raw = 0x8000000123456000ull | 0x1ff;
  const FlPte e = FlPte::decode(raw);
  CHECK(e.p);
  CHECK(e.rw);
  CHECK(e.us);
  CHECK(e.pwt);
  CHECK(e.pcd);
  CHECK(e.a);
  CHECK(e.d);
  CHECK(e.ps);
  CHECK(e.g);
  CHECK(e.xd);
  CHECK(e.addr == 0x123456000ull);
  CHECK(e.raw() == raw);
  const unsigned bits[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 63};
  for (unsigned b : bits) {
    const FlPte d = FlPte::decode(bit(b));
    CHECK(int(d.p) + d.rw + d.us + d.pwt + d.pcd + d.a + d.d + d.ps + d.g + d.xd == 1);
  }
  CHECK(FlPte::decode(0x7ff0000000000000ull).raw() == 0);  // bits 62:52 ignored

  CHECK(fl_make_table(0x5000) == 0x5007ull);
  CHECK(fl_make_table(0x5000, false, false, true) == (0x5001ull | bit(63)));
  CHECK(fl_make_page(0x40000000, 3) == 0x40000087ull);
  CHECK(fl_make_page(0x200000, 2, true, false) == 0x200083ull);
  CHECK(fl_make_page(0x3000, 1, false, true) == 0x3005ull);

  SECTION("reserved masks") {
    const uint64_t above48 = 0x000f000000000000ull;
    FlCaps c;
    c.sp_1g = true;
    CHECK(fl_reserved_mask(1, false, 48, c) == above48);
    CHECK(fl_reserved_mask(1, true, 48, c) == above48);  // bit 7 is PAT in a PTE
    CHECK(fl_reserved_mask(2, false, 48, c) == above48);
    CHECK(fl_reserved_mask(2, true, 48, c) == (above48 | 0x1fe000ull));
    CHECK(fl_reserved_mask(3, false, 48, c) == above48);
    CHECK(fl_reserved_mask(3, true, 48, c) == (above48 | 0x3fffe000ull));
    CHECK(fl_reserved_mask(4, false, 48, c) == (above48 | 0x80));
    CHECK(fl_reserved_mask(5, true, 48, c) == (above48 | 0x80));
    CHECK(fl_reserved_mask(1, false, 52, c) == 0);
    c.sp_1g = false;
    CHECK(fl_reserved_mask(3, true, 48, c) == (above48 | 0x80));
    c.nxe = false;
    CHECK(fl_reserved_mask(1, false, 52, c) == bit(63));
  }
}

// ---------------------------------------------------------- scalable lookup

namespace {

constexpr Addr kRta = 0x10000, kCtxLo = 0x20000, kCtxHi = 0x21000, kDir = 0x30000,
               kPtbl0 = 0x40000, kPtbl7 = 0x41000;

// Bus 3; devfn 0x05 (lower half) and 0x85 (upper half) both set up; PASID
// 0x1c7 (directory 7, table index 7) and RID_PASID 0x2 (directory 0, index 2).
struct SmSetup {
  FakeTableMemory m;
  SmContextEntry ce;
  PasidEntry pe;
  SmSetup() {
    ScalableRootEntry re;
    re.lower_present = re.upper_present = true;
    re.lctp = kCtxLo;
    re.uctp = kCtxHi;
    m.mem[kRta + 3 * 16] = re.lo();
    m.mem[kRta + 3 * 16 + 8] = re.hi();
    ce.present = ce.paside = ce.dte = true;
    ce.pdts = 0;
    ce.pasid_dir_ptr = kDir;
    ce.rid_pasid = 2;
    write_ce(0x05);
    write_ce(0x85);
    PasidDirEntry d;
    d.present = true;
    d.table = kPtbl0;
    m.mem[kDir] = d.raw();
    d.table = kPtbl7;
    m.mem[kDir + 7 * 8] = d.raw();
    pe.present = true;
    pe.pgtt = kPgttFirstLevel;
    pe.did = 9;
    pe.flptptr = 0x50000;
    pe.aw = kAw48;
    write_pe(kPtbl7 + 7 * 64);
    pe.did = 5;
    pe.pgtt = kPgttSecondLevel;
    pe.slptptr = 0x60000;
    write_pe(kPtbl0 + 2 * 64);
  }
  Addr ce_addr(uint8_t devfn) const {
    return devfn < 128 ? kCtxLo + devfn * 32 : kCtxHi + (devfn - 128) * 32;
  }
  void write_ce(uint8_t devfn) {
    const Addr a = ce_addr(devfn);
    m.mem[a] = ce.q0();
    m.mem[a + 8] = ce.q1();
    m.mem[a + 16] = 0;
    m.mem[a + 24] = 0;
  }
  void write_pe(Addr a) {
    for (unsigned i = 0; i < 8; ++i) m.mem[a + i * 8] = pe.q(i);
  }
  SmLookup run(uint8_t devfn, bool has_pasid, uint32_t pasid = 0x1c7, const SmCaps& caps = {}) {
    return lookup_scalable(m, kRta, static_cast<uint16_t>(0x300 | devfn), has_pasid, pasid, 48,
                           caps);
  }
};

}  // namespace

TEST_CASE("iommu sm: lookup with and without PASID", "[unit][iommu][scalable]") {
  SmSetup s;
  for (uint8_t devfn : {uint8_t{0x05}, uint8_t{0x85}}) {
    CAPTURE(int(devfn));
    SmLookup r = s.run(devfn, true);
    REQUIRE(r.ok);
    CHECK(r.fault == FaultReason::kNone);
    CHECK(r.pasid == 0x1c7);
    CHECK(r.pe.did == 9);
    CHECK(r.pe.pgtt == kPgttFirstLevel);
    CHECK(r.pe.flptptr == 0x50000);
    CHECK_FALSE(r.fpd);
    CHECK(r.reads == std::vector<Addr>{kRta + 48, s.ce_addr(devfn), kDir + 56, kPtbl7 + 7 * 64});

    r = s.run(devfn, false);  // RID_PASID = 2
    REQUIRE(r.ok);
    CHECK(r.pasid == 2);
    CHECK(r.pe.did == 5);
    CHECK(r.pe.pgtt == kPgttSecondLevel);
    CHECK(r.pe.slptptr == 0x60000);
    CHECK(r.reads == std::vector<Addr>{kRta + 48, s.ce_addr(devfn), kDir, kPtbl0 + 2 * 64});
  }
  // Every qword of each entry is read: 2 + 4 + 1 + 8.
  s.m.log.clear();
  s.run(0x05, true);
  CHECK(s.m.log.size() == 15);

  SECTION("FPD is the OR of context, directory and PASID entry") {
    s.pe.fpd = true;
    s.pe.did = 9;
    s.pe.pgtt = kPgttFirstLevel;
    s.write_pe(kPtbl7 + 7 * 64);
    SmLookup r = s.run(0x05, true);
    CHECK(r.ok);
    CHECK(r.fpd);
  }
}

TEST_CASE("iommu sm: lookup faults carry their VT-d 7.1.3 codes", "[unit][iommu][scalable]") {
  SmSetup s;
  const Addr re = kRta + 48;

  SECTION("0x38 root entry read error") {
    s.m.bad.insert(re + 8);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmRootEntryAccessError);
  }
  SECTION("0x39 root half not present; other half still usable") {
    ScalableRootEntry r;
    r.lower_present = true;
    r.lctp = kCtxLo;
    s.m.mem[re] = r.lo();
    s.m.mem[re + 8] = r.hi();
    CHECK(s.run(0x85, true).fault == FaultReason::kSmRootEntryNotPresent);
    CHECK(s.run(0x05, true).ok);
    CHECK(uint8_t(FaultReason::kSmRootEntryNotPresent) == 0x39);
  }
  SECTION("0x3A root reserved, checked only in the half used") {
    s.m.mem[re + 8] |= bit(5);
    CHECK(s.run(0x85, true).fault == FaultReason::kSmRootEntryReserved);
    CHECK(s.run(0x05, true).ok);
  }
  SECTION("0x40 context read error") {
    s.m.bad.insert(s.ce_addr(0x05) + 24);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmContextEntryAccessError);
  }
  SECTION("0x41 context not present, FPD reported") {
    s.m.mem[s.ce_addr(0x05)] = 2;  // FPD only
    SmLookup r = s.run(0x05, true);
    CHECK(r.fault == FaultReason::kSmContextEntryNotPresent);
    CHECK(r.fpd);
    CHECK(r.reads.size() == 2);
  }
  SECTION("0x42 context reserved") {
    s.m.mem[s.ce_addr(0x05) + 16] = 1;
    CHECK(s.run(0x05, true).fault == FaultReason::kSmContextEntryReserved);
    s.m.mem[s.ce_addr(0x05) + 16] = 0;
    s.m.mem[s.ce_addr(0x05)] |= bit(6);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmContextEntryReserved);
  }
  SECTION("0x45 PASID request with PASIDE clear; RID_PASID still works") {
    s.ce.paside = false;
    s.write_ce(0x05);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmContextPasidEnableClear);
    CHECK(s.run(0x05, false).ok);
  }
  SECTION("0x46 PASID beyond PDTS; 0x48 for RID_PASID") {
    // PDTS 0: 128 directory entries, PASIDs 0..8191.
    CHECK(s.run(0x05, true, 8191).fault != FaultReason::kSmPasidTooLarge);
    SmLookup r = s.run(0x05, true, 8192);
    CHECK(r.fault == FaultReason::kSmPasidTooLarge);
    CHECK(r.reads.size() == 2);
    s.ce.rid_pasid = 0x10000;
    s.write_ce(0x05);
    CHECK(s.run(0x05, false).fault == FaultReason::kSmRidPasidError);
    s.ce.pdts = 3;  // 1024 entries: 0x10000 >> 6 = 1024 still beyond
    s.write_ce(0x05);
    CHECK(s.run(0x05, false).fault == FaultReason::kSmRidPasidError);
    s.ce.pdts = 4;
    s.write_ce(0x05);
    CHECK(s.run(0x05, false).fault == FaultReason::kSmPasidDirEntryNotPresent);
  }
  SECTION("0x50 directory read error") {
    s.m.bad.insert(kDir + 56);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmPasidDirAccessError);
  }
  SECTION("0x51 directory entry not present") {
    SmLookup r = s.run(0x05, true, 0x40);  // directory 1
    CHECK(r.fault == FaultReason::kSmPasidDirEntryNotPresent);
    CHECK(r.reads.back() == kDir + 8);
  }
  SECTION("0x52 directory entry reserved") {
    s.m.mem[kDir + 56] |= bit(3);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmPasidDirEntryReserved);
  }
  SECTION("0x58 PASID table read error") {
    s.m.bad.insert(kPtbl7 + 7 * 64 + 56);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmPasidTableAccessError);
  }
  SECTION("0x59 PASID entry not present") {
    SmLookup r = s.run(0x05, true, 0x1c8);
    CHECK(r.fault == FaultReason::kSmPasidEntryNotPresent);
    CHECK(r.reads.back() == kPtbl7 + 8 * 64);
  }
  SECTION("0x5A PASID entry reserved") {
    s.m.mem[kPtbl7 + 7 * 64 + 40] = 1;
    CHECK(s.run(0x05, true).fault == FaultReason::kSmPasidEntryReserved);
  }
  SECTION("0x5B invalid PGTT / AW / FLPM for the unit") {
    const Addr pa = kPtbl7 + 7 * 64;
    for (uint8_t pgtt : {uint8_t{0}, uint8_t{5}, uint8_t{7}}) {
      s.pe.pgtt = pgtt;
      s.write_pe(pa);
      CHECK(s.run(0x05, true).fault == FaultReason::kSmPasidEntryInvalid);
    }
    struct Case {
      uint8_t pgtt;
      SmCaps caps;
    };
    SmCaps no_fl, no_sl, no_nest, no_pt;
    no_fl.flts = false;
    no_sl.slts = false;
    no_nest.nest = false;
    no_pt.pt = false;
    const Case bad[] = {{kPgttFirstLevel, no_fl}, {kPgttSecondLevel, no_sl},
                        {kPgttNested, no_nest}, {kPgttNested, no_fl},
                        {kPgttPassThrough, no_pt}};
    for (const Case& c : bad) {
      CAPTURE(int(c.pgtt));
      s.pe.pgtt = c.pgtt;
      s.write_pe(pa);
      CHECK(s.run(0x05, true, 0x1c7, c.caps).fault == FaultReason::kSmPasidEntryInvalid);
      CHECK(s.run(0x05, true).ok);
    }
    s.pe.pgtt = kPgttSecondLevel;
    s.pe.aw = kAw57;
    s.write_pe(pa);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmPasidEntryInvalid);
    SmCaps c57;
    c57.sagaw = kSagaw48 | kSagaw57;
    CHECK(s.run(0x05, true, 0x1c7, c57).ok);
    s.pe.pgtt = kPgttFirstLevel;  // AW not checked without a second level
    s.write_pe(pa);
    CHECK(s.run(0x05, true).ok);
    s.pe.flpm = kFlpm5Level;
    s.write_pe(pa);
    CHECK(s.run(0x05, true).fault == FaultReason::kSmPasidEntryInvalid);
    SmCaps c5;
    c5.fl5lp = true;
    CHECK(s.run(0x05, true, 0x1c7, c5).ok);
    s.pe.flpm = 2;
    s.write_pe(pa);
    CHECK(s.run(0x05, true, 0x1c7, c5).fault == FaultReason::kSmPasidEntryInvalid);
  }
}

// -------------------------------------------------------- first-level walk

namespace {

// Builds first-level tables. Tables are allocated at "table addresses" (GPAs
// when nested); `to_mem` maps one to where its bytes live (identity unless
// nested).
struct FlTables {
  FakeTableMemory m;
  unsigned levels;
  Addr root;
  Addr next_free = 0x1000000;
  std::function<Addr(Addr)> to_mem = [](Addr a) { return a; };
  std::vector<Addr> tables;  // every table allocated, root first
  explicit FlTables(unsigned lv) : levels(lv) { root = alloc(); }
  Addr alloc() {
    next_free += 0x1000;
    tables.push_back(next_free);
    return next_free;
  }
  uint64_t& at(Addr table, Addr va, unsigned level) {
    return m.mem[to_mem(table) + fl_index(va, level) * 8];
  }
  // Creates the path for `va` down to `leaf_level` and returns the leaf slot.
  uint64_t& slot(Addr va, unsigned leaf_level, bool rw = true, bool us = true, bool xd = false) {
    Addr table = root;
    for (unsigned l = levels; l > leaf_level; --l) {
      uint64_t& e = at(table, va, l);
      if (!(e & FlPte::kP)) e = fl_make_table(alloc(), rw, us, xd);
      table = e & FlPte::kAddrMask;
    }
    return at(table, va, leaf_level);
  }
  void map(Addr va, Addr frame, unsigned leaf_level = 1, bool rw = true, bool us = true,
           bool xd = false) {
    slot(va, leaf_level) = fl_make_page(frame, leaf_level, rw, us, xd);
  }
  FlWalkParams params() const {
    FlWalkParams p;
    p.table = root;
    p.levels = levels;
    p.haw = 48;
    p.sp_1g = true;
    p.sre = true;
    return p;
  }
};

}  // namespace

TEST_CASE("iommu sm: first-level walk, 4 and 5 levels, 4 KiB pages", "[unit][iommu][scalable]") {
  for (unsigned levels : {4u, 5u}) {
    CAPTURE(levels);
    FlTables t(levels);
    const Addr va = levels == 4 ? 0x00007f1234567abcull : 0x00ff7f1234567abcull;
    t.map(va, 0xabcdef000ull);
    const FlWalkResult r = walk_first_level(t.m, t.params(), va, true, false, false);
    REQUIRE(r.ok);
    CHECK(r.fault == FaultReason::kNone);
    CHECK(r.pa == 0xabcdefabcull);
    CHECK(r.page_size == 4096);
    CHECK(r.r);
    CHECK(r.w);
    CHECK(r.x);
    CHECK(r.user);
    CHECK(r.end_level == 1);
    REQUIRE(r.steps.size() == levels);
    CHECK(r.steps[0].entry_addr == t.root + fl_index(va, levels) * 8);
    for (unsigned i = 0; i < levels; ++i) CHECK(r.steps[i].level == levels - i);
    CHECK(t.m.log.size() == levels);
  }
  // Upper-half canonical addresses walk too (index from bits 47:39).
  FlTables t(4);
  const Addr va = 0xffff800000001000ull;
  t.map(va, 0x5000);
  const FlWalkResult r = walk_first_level(t.m, t.params(), va, false, false, false);
  REQUIRE(r.ok);
  CHECK(r.pa == 0x5000);
  CHECK(r.steps[0].entry_addr == t.root + 256 * 8);
}

TEST_CASE("iommu sm: first-level 2 MiB and 1 GiB pages", "[unit][iommu][scalable]") {
  FlTables t(4);
  t.map(0x40000000, 0x80000000ull, 3);
  t.map(0x80200000, 0x12600000ull, 2);
  FlWalkResult r = walk_first_level(t.m, t.params(), 0x4abcdef1, false, false, false);
  REQUIRE(r.ok);
  CHECK(r.pa == 0x8abcdef1ull);
  CHECK(r.page_size == (1ull << 30));
  CHECK(r.end_level == 3);
  CHECK(r.steps.size() == 2);
  r = walk_first_level(t.m, t.params(), 0x802fedcb, true, false, false);
  REQUIRE(r.ok);
  CHECK(r.pa == 0x126fedcbull);
  CHECK(r.page_size == (2ull << 20));
  CHECK(r.end_level == 2);
  CHECK(r.steps.size() == 3);

  // Without FL1GP a 1 GiB leaf is a reserved-bit fault.
  FlWalkParams p = t.params();
  p.sp_1g = false;
  r = walk_first_level(t.m, p, 0x4abcdef1, false, false, false);
  CHECK(r.fault == FaultReason::kSmFirstLevelReserved);
  CHECK(r.end_level == 3);
  // Superpage frames with low address bits set are reserved (bit 12 is PAT).
  t.slot(0x80200000, 2) |= bit(13);
  CHECK(walk_first_level(t.m, t.params(), 0x80200000, false, false, false).fault ==
        FaultReason::kSmFirstLevelReserved);
  t.slot(0x80200000, 2) &= ~bit(13);
  t.slot(0x80200000, 2) |= bit(12);  // PAT
  CHECK(walk_first_level(t.m, t.params(), 0x80200000, false, false, false).ok);
  t.slot(0x40000000, 3) |= bit(29);
  CHECK(walk_first_level(t.m, t.params(), 0x40000000, false, false, false).fault ==
        FaultReason::kSmFirstLevelReserved);
}

TEST_CASE("iommu sm: first-level permission faults", "[unit][iommu][scalable]") {
  FlTables t(4);
  const Addr ro = 0x1000, sup = 0x2000, nx = 0x3000, ro_mid = 0x40000000;
  t.map(ro, 0xa000, 1, /*rw=*/false);
  t.map(sup, 0xb000, 1, true, /*us=*/false);
  t.map(nx, 0xc000, 1, true, true, /*xd=*/true);
  // Read-only at a non-leaf level (PDPE) covering an otherwise RW page.
  t.slot(ro_mid, 2, /*rw=*/false) = 0;
  t.map(ro_mid, 0xd000);
  const FlWalkParams p = t.params();

  SECTION("write to read-only page: 0x85 (user, and supervisor with WPE=1)") {
    FlWalkResult r = walk_first_level(t.m, p, ro, true, false, false);
    CHECK(r.fault == FaultReason::kSmWriteNoPermission);
    CHECK(r.end_level == 1);
    CHECK_FALSE(r.w);
    CHECK(walk_first_level(t.m, p, ro, true, false, true).fault ==
          FaultReason::kSmWriteNoPermission);
    CHECK(walk_first_level(t.m, p, ro, false, false, false).ok);
    FlWalkParams nowp = p;
    nowp.wpe = false;
    CHECK(walk_first_level(t.m, nowp, ro, true, false, true).ok);
    CHECK(walk_first_level(t.m, nowp, ro, true, false, false).fault ==
          FaultReason::kSmWriteNoPermission);
    CHECK(walk_first_level(t.m, p, ro_mid, true, false, false).fault ==
          FaultReason::kSmWriteNoPermission);
    CHECK(walk_first_level(t.m, p, ro_mid, false, false, false).ok);
  }
  SECTION("user access to supervisor page: 0x81") {
    FlWalkResult r = walk_first_level(t.m, p, sup, false, false, false);
    CHECK(r.fault == FaultReason::kSmUserSupervisor);
    CHECK_FALSE(r.user);
    CHECK(walk_first_level(t.m, p, sup, true, false, true).ok);
  }
  SECTION("execute of an XD page: 0x82") {
    CHECK(walk_first_level(t.m, p, nx, false, true, false).fault == FaultReason::kSmNoExecute);
    FlWalkResult r = walk_first_level(t.m, p, nx, false, false, false);
    CHECK(r.ok);
    CHECK_FALSE(r.x);
    FlWalkParams nonxe = p;  // XD reserved when NXE = 0
    nonxe.nxe = false;
    CHECK(walk_first_level(t.m, nonxe, nx, false, false, false).fault ==
          FaultReason::kSmFirstLevelReserved);
  }
  SECTION("supervisor request without SRE 0x5D, execute without ERE 0x5C") {
    FlWalkParams q = p;
    q.sre = false;
    CHECK(walk_first_level(t.m, q, ro, false, false, true).fault ==
          FaultReason::kSmPasidEntrySreClear);
    q.ere = false;
    CHECK(walk_first_level(t.m, q, ro, false, true, false).fault ==
          FaultReason::kSmPasidEntryEreClear);
    CHECK(t.m.log.empty());
  }
}

TEST_CASE("iommu sm: first-level structural faults", "[unit][iommu][scalable]") {
  FlTables t(4);
  t.map(0x1000, 0xa000);
  const FlWalkParams p = t.params();

  SECTION("non-canonical input: 0x80, no reads") {
    for (Addr va : {0x0000800000000000ull, 0xffff7fffffffffffull, 0x8000000000001000ull}) {
      CAPTURE(va);
      CHECK(walk_first_level(t.m, p, va, false, false, false).fault ==
            FaultReason::kSmNonCanonical);
    }
    CHECK(t.m.log.empty());
    FlTables t5(5);
    FlWalkParams p5 = t5.params();
    CHECK(walk_first_level(t5.m, p5, 0x0100000000000000ull, false, false, false).fault ==
          FaultReason::kSmNonCanonical);
    CHECK(walk_first_level(t5.m, p5, 0x0000800000000000ull, false, false, false).fault ==
          FaultReason::kSmFirstLevelNotPresent);
  }
  SECTION("not present: 0x71 at the level it stops") {
    FlWalkResult r = walk_first_level(t.m, p, 0x200000, false, false, false);
    CHECK(r.fault == FaultReason::kSmFirstLevelNotPresent);
    CHECK(r.end_level == 2);
    CHECK(r.steps.size() == 3);
    r = walk_first_level(t.m, p, 0x8000000000ull, false, false, false);
    CHECK(r.fault == FaultReason::kSmFirstLevelNotPresent);
    CHECK(r.end_level == 4);
  }
  SECTION("reserved bits: 0x72") {
    t.slot(0x1000, 4) |= FlPte::kPs;  // PS in a PML4E
    CHECK(walk_first_level(t.m, p, 0x1000, false, false, false).fault ==
          FaultReason::kSmFirstLevelReserved);
    t.slot(0x1000, 4) &= ~FlPte::kPs;
    t.slot(0x1000, 1) |= bit(50);  // above HAW 48
    FlWalkResult r = walk_first_level(t.m, p, 0x1000, false, false, false);
    CHECK(r.fault == FaultReason::kSmFirstLevelReserved);
    CHECK(r.end_level == 1);
    FlWalkParams p52 = p;
    p52.haw = 52;
    CHECK(walk_first_level(t.m, p52, 0x1000, false, false, false).ok);
    t.slot(0x1000, 1) &= ~bit(50);
    t.slot(0x1000, 1) |= 0x7ff0000000000000ull;  // ignored bits
    CHECK(walk_first_level(t.m, p, 0x1000, false, false, false).ok);
  }
  SECTION("read errors: 0x73 through FLPTPTR, 0x70 below") {
    t.m.bad.insert(t.root + fl_index(0x1000, 4) * 8);
    CHECK(walk_first_level(t.m, p, 0x1000, false, false, false).fault ==
          FaultReason::kSmFirstLevelTableAccessError);
    t.m.bad.clear();
    t.m.bad.insert(t.tables[1] + fl_index(0x1000, 3) * 8);
    CHECK(walk_first_level(t.m, p, 0x1000, false, false, false).fault ==
          FaultReason::kSmFirstLevelAccessError);
  }
  SECTION("paging depth other than 4/5: 0x5B") {
    FlWalkParams q = p;
    q.levels = 3;
    CHECK(walk_first_level(t.m, q, 0x1000, false, false, false).fault ==
          FaultReason::kSmPasidEntryInvalid);
  }
}

// ------------------------------------------------------------------ nested

TEST_CASE("iommu sm: nested walk translates every FL pointer through stage 2",
          "[unit][iommu][scalable]") {
  // Stage 2: 4-level SL tables mapping GPA page g to HPA g + kShift for every
  // page the first level uses (FL tables, and the final frame).
  constexpr Addr kShift = 0x100000000ull;
  FlTables t(4);
  t.to_mem = [](Addr gpa) { return gpa + kShift; };
  const Addr va = 0x00007f0012345678ull, frame_gpa = 0x7000000;
  t.map(va, frame_gpa);

  Addr next_sl = 0x200000000ull;
  const Addr sl_root = next_sl;
  auto sl_map = [&](Addr gpa, Addr hpa, bool r = true, bool w = true) {
    Addr table = sl_root;
    for (unsigned l = 4; l > 1; --l) {
      uint64_t& e = t.m.mem[table + sl_index(gpa, l) * 8];
      if (!e) e = sl_make_table(next_sl += 0x1000);
      table = e & SlPte::kAddrMask;
    }
    t.m.mem[table + sl_index(gpa, 1) * 8] = sl_make_page(hpa, 1, r, w);
  };
  for (Addr tb : t.tables) sl_map(tb, tb + kShift);
  sl_map(frame_gpa, 0x3456000ull);
  SlWalkParams sp;
  sp.table = sl_root;
  sp.levels = 4;
  sp.haw = 48;

  std::vector<Addr> sl_reads;
  const FlStage2 s2 = make_sl_stage2(t.m, sp, false, &sl_reads);
  t.m.log.clear();
  FlWalkResult r = walk_first_level(t.m, t.params(), va, false, false, false, s2);
  REQUIRE(r.ok);
  CHECK(r.pa == 0x3456678ull);
  CHECK(r.page_size == 4096);
  // 5 stage-2 walks (FLPTPTR, 3 table pointers, output) of 4 reads + 4 FL reads.
  REQUIRE(t.m.log.size() == 24);
  CHECK(sl_reads.size() == 20);
  // Order: SL x4 (FLPTPTR), FL PML4E, SL x4, FL PDPE, SL x4, FL PDE, SL x4, FL PTE, SL x4.
  std::vector<Addr> fl_reads;
  for (const FlStep& s : r.steps) fl_reads.push_back(s.entry_addr);
  for (unsigned i = 0; i < 4; ++i) {
    CHECK(t.m.log[i * 5 + 4] == fl_reads[i]);
    CHECK(fl_reads[i] == t.tables[i] + kShift + fl_index(va, 4 - i) * 8);
    CHECK(t.m.log[i * 5] == sl_root + sl_index(t.tables[i], 4) * 8);
  }
  CHECK(t.m.log[20] == sl_root + sl_index(frame_gpa, 4) * 8);

  SECTION("stage-2 read denial on FLPTPTR 0x75, on a table 0x76") {
    sl_map(t.tables[0], t.tables[0] + kShift, /*r=*/false, true);
    CHECK(walk_first_level(t.m, t.params(), va, false, false, false, s2).fault ==
          FaultReason::kSmFirstLevelTableNestedReadError);
    sl_map(t.tables[0], t.tables[0] + kShift);
    sl_map(t.tables[2], t.tables[2] + kShift, false, true);
    FlWalkResult f = walk_first_level(t.m, t.params(), va, false, false, false, s2);
    CHECK(f.fault == FaultReason::kSmFirstLevelNestedReadError);
    CHECK(f.end_level == 3);
  }
  SECTION("final access through a write stage 2: 0x85 on a read-only GPA") {
    sl_map(frame_gpa, 0x3456000ull, true, false);
    const FlStage2 s2w = make_sl_stage2(t.m, sp, true);
    FlWalkResult f = walk_first_level(t.m, t.params(), va, true, false, false, s2, s2w);
    CHECK(f.fault == FaultReason::kSmWriteNoPermission);
    CHECK(walk_first_level(t.m, t.params(), va, false, false, false, s2, s2).ok);
  }
  SECTION("stage-2 not mapped for the output: read fault passed through") {
    t.map(va, 0x9000000);
    CHECK(walk_first_level(t.m, t.params(), va, false, false, false, s2).fault ==
          FaultReason::kSmReadNoPermission);
  }
  SECTION("legacy SL codes map to scalable-mode ones") {
    CHECK(sm_fault_from_sl(FaultReason::kAddressBeyondMgaw) ==
          FaultReason::kSmSecondLevelBeyondMax);
    CHECK(sm_fault_from_sl(FaultReason::kPagingEntryReserved) ==
          FaultReason::kSmSecondLevelReserved);
    CHECK(sm_fault_from_sl(FaultReason::kPagingEntryAccessError) ==
          FaultReason::kSmSecondLevelAccessError);
    CHECK(sm_fault_from_sl(FaultReason::kContextEntryInvalid) ==
          FaultReason::kSmSecondLevelTableInvalid);
    CHECK(sm_fault_from_sl(FaultReason::kWriteNoPermission) ==
          FaultReason::kSmWriteNoPermission);
  }
}

// ---------------------------------------------------------------- property

TEST_CASE("iommu sm: first-level walk matches an independent model (seeded)",
          "[unit][iommu][scalable]") {
  std::mt19937_64 rng(0x5ca1ab1e);
  for (int iter = 0; iter < 400; ++iter) {
    const unsigned levels = (rng() & 1) ? 5 : 4;
    const unsigned leaf = 1 + rng() % 3;
    const unsigned width = 12 + 9 * levels;  // 48 or 57
    CAPTURE(iter, levels, leaf);
    // Random canonical VA.
    Addr va = rng() & ((Addr{1} << width) - 1);
    if (va >> (width - 1)) va |= ~((Addr{1} << width) - 1);
    // Independent per-level flags: table entries from `levels` down to the leaf.
    FakeTableMemory m;
    Addr next = 0x100000;
    const Addr root = next;
    Addr table = root;
    bool all_rw = true, all_us = true, any_xd = false;
    for (unsigned l = levels; l >= leaf; --l) {
      const bool rw = rng() % 4 != 0, us = rng() % 4 != 0, xd = rng() % 5 == 0;
      all_rw &= rw;
      all_us &= us;
      any_xd |= xd;
      const Addr ea = table + ((va >> (12 + 9 * (l - 1))) & 511) * 8;
      if (l == leaf) {
        const Addr frame = (rng() & 0xfffffffff000ull) & ~((Addr{1} << (12 + 9 * (l - 1))) - 1);
        m.mem[ea] = fl_make_page(frame, l, rw, us, xd);
        const Addr off = va & ((Addr{1} << (12 + 9 * (l - 1))) - 1);
        const bool write = rng() & 1, exec = rng() % 3 == 0, priv = rng() & 1;
        const bool wpe = rng() & 1;
        FlWalkParams p;
        p.table = root;
        p.levels = levels;
        p.haw = 48;
        p.sp_1g = true;
        p.sre = true;
        p.wpe = wpe;
        const FlWalkResult r = walk_first_level(m, p, va, write, exec, priv);
        FaultReason want = FaultReason::kNone;
        if (!priv && !all_us)
          want = FaultReason::kSmUserSupervisor;
        else if (exec && any_xd)
          want = FaultReason::kSmNoExecute;
        else if (write && !all_rw && (!priv || wpe))
          want = FaultReason::kSmWriteNoPermission;
        CAPTURE(write, exec, priv, wpe, all_rw, all_us, any_xd);
        CHECK(r.fault == want);
        CHECK(r.ok == (want == FaultReason::kNone));
        CHECK(r.steps.size() == levels - leaf + 1);
        CHECK(r.page_size == (uint64_t{1} << (12 + 9 * (l - 1))));
        if (r.ok) CHECK(r.pa == (frame | off));
        break;
      }
      next += 0x1000;
      m.mem[ea] = fl_make_table(next, rw, us, xd);
      table = next;
    }
  }
}
