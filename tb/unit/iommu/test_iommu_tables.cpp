// Unit tests for the VT-d translation-structure decoders (root, scalable-mode
// root, context and second-level entries), fault reason codes and the legacy
// context lookup.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <set>

#include "fake_table_memory.h"
#include "vtd/context_entry.h"
#include "iommu/context_lookup.h"
#include "vtd/fault_reason.h"
#include "vtd/root_entry.h"
#include "vtd/sl_pte.h"

using namespace iommusim;
using iommusim::test::FakeTableMemory;

namespace {

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }

}  // namespace

TEST_CASE("iommu: fault reason codes are the spec's", "[unit][iommu]") {
  // VT-d 7.1.3 legacy codes.
  CHECK(uint8_t(FaultReason::kRootEntryNotPresent) == 0x1);
  CHECK(uint8_t(FaultReason::kContextEntryNotPresent) == 0x2);
  CHECK(uint8_t(FaultReason::kContextEntryInvalid) == 0x3);
  CHECK(uint8_t(FaultReason::kAddressBeyondMgaw) == 0x4);
  CHECK(uint8_t(FaultReason::kWriteNoPermission) == 0x5);
  CHECK(uint8_t(FaultReason::kReadNoPermission) == 0x6);
  CHECK(uint8_t(FaultReason::kPagingEntryAccessError) == 0x7);
  CHECK(uint8_t(FaultReason::kRootTableAccessError) == 0x8);
  CHECK(uint8_t(FaultReason::kContextTableAccessError) == 0x9);
  CHECK(uint8_t(FaultReason::kRootEntryReserved) == 0xA);
  CHECK(uint8_t(FaultReason::kContextEntryReserved) == 0xB);
  CHECK(uint8_t(FaultReason::kPagingEntryReserved) == 0xC);
  CHECK(uint8_t(FaultReason::kBlockedByTranslationType) == 0xD);
  // A sample of the scalable-mode codes.
  CHECK(uint8_t(FaultReason::kSmInvalidRootTableAddress) == 0x30);
  CHECK(uint8_t(FaultReason::kSmRootEntryNotPresent) == 0x39);
  CHECK(uint8_t(FaultReason::kSmContextEntryNotPresent) == 0x41);
  CHECK(uint8_t(FaultReason::kSmContextPreClear) == 0x47);
  CHECK(uint8_t(FaultReason::kSmPasidEntryNotPresent) == 0x59);
  CHECK(uint8_t(FaultReason::kSmPasidEntryInvalid) == 0x5B);
  CHECK(uint8_t(FaultReason::kSmFirstLevelNotPresent) == 0x71);
  CHECK(uint8_t(FaultReason::kSmNonCanonical) == 0x80);
  CHECK(uint8_t(FaultReason::kSmWriteNoPermission) == 0x85);
  CHECK(uint8_t(FaultReason::kSmInterruptAddress) == 0x87);
}

TEST_CASE("iommu: fault reason text and qualification", "[unit][iommu]") {
  std::set<std::string> texts;
  unsigned known = 0;
  for (unsigned v = 0; v < 256; ++v) {
    auto r = static_cast<FaultReason>(v);
    const char* t = fault_reason_text(r);
    REQUIRE(t != nullptr);
    if (fault_reason_known(r)) {
      ++known;
      CHECK(texts.insert(t).second);  // every known code has its own text
    }
  }
  CHECK(known == 13 + 8 + 45);  // legacy, interrupt remapping, scalable
  CHECK(std::strcmp(fault_reason_text(FaultReason(0x28)), "unknown") == 0);
  CHECK(std::strcmp(fault_reason_text(FaultReason(0x20)), "IR: reserved field set in interrupt request") == 0);
  CHECK_FALSE(fault_reason_known(FaultReason::kNone));
  CHECK_FALSE(fault_reason_known(FaultReason(0x0E)));
  // Qualified (suppressed by FPD): 0x2-0x7, 0xC, 0xD.
  const std::set<unsigned> qualified = {0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0xC, 0xD};
  for (unsigned v = 0; v <= 0xD; ++v)
    CHECK(fault_is_qualified(FaultReason(v)) == (qualified.count(v) == 1));
}

TEST_CASE("iommu: legacy root entry fields", "[unit][iommu]") {
  const uint64_t lo = 0x0000123456789000ull | 1;
  auto e = RootEntry::decode(lo, 0, 46);
  CHECK(e.present);
  CHECK(e.ctp == 0x123456789000ull);
  CHECK_FALSE(e.reserved_nonzero);
  CHECK(e.lo() == lo);
  CHECK(e.hi() == 0);

  CHECK_FALSE(RootEntry::decode(0x5000, 0, 46).present);
  CHECK(RootEntry::decode(0x5000, 0, 46).ctp == 0x5000);
  CHECK(RootEntry::reserved_mask_lo(46) == 0xFFFFC00000000FFEull);
  CHECK(RootEntry::reserved_mask_lo(52) == 0xFFF0000000000FFEull);
  // Bits 11:1, 63:HAW and the whole high qword are reserved.
  for (unsigned b : {1u, 5u, 11u, 46u, 51u, 52u, 63u})
    CHECK(RootEntry::decode(1 | bit(b), 0, 46).reserved_nonzero);
  CHECK_FALSE(RootEntry::decode(1 | bit(46), 0, 52).reserved_nonzero);
  CHECK(RootEntry::decode(1 | bit(46), 0, 52).ctp == bit(46));
  CHECK(RootEntry::decode(1 | bit(52), 0, 52).reserved_nonzero);
  for (unsigned b : {0u, 12u, 63u}) CHECK(RootEntry::decode(1, bit(b), 46).reserved_nonzero);

  RootEntry enc;
  enc.present = true;
  enc.ctp = 0xabc000;
  CHECK(enc.lo() == 0xabc001);
}

TEST_CASE("iommu: scalable-mode root entry fields", "[unit][iommu]") {
  auto e = ScalableRootEntry::decode(0x1000 | 1, 0x7ff2000ull | 1, 46);
  CHECK(e.lower_present);
  CHECK(e.upper_present);
  CHECK(e.lctp == 0x1000);
  CHECK(e.uctp == 0x7ff2000);
  CHECK_FALSE(e.reserved_nonzero);
  CHECK(e.present_for(0));
  CHECK(e.context_entry_addr(0) == 0x1000);
  CHECK(e.context_entry_addr(5) == 0x1000 + 5 * 32);
  CHECK(e.context_entry_addr(127) == 0x1000 + 127 * 32);
  CHECK(e.context_entry_addr(128) == 0x7ff2000);
  CHECK(e.context_entry_addr(130) == 0x7ff2000 + 2 * 32);
  CHECK(e.lo() == (0x1000 | 1));
  CHECK(e.hi() == (0x7ff2000ull | 1));

  auto lower_only = ScalableRootEntry::decode(0x3000 | 1, 0x4000, 46);
  CHECK(lower_only.present_for(0x7f));
  CHECK_FALSE(lower_only.present_for(0x80));
  CHECK(lower_only.uctp == 0x4000);
  // Reserved bits: 11:1 and 63:HAW in each half, checked in a present half.
  CHECK(ScalableRootEntry::decode(1 | bit(3), 0, 46).reserved_nonzero);
  CHECK(ScalableRootEntry::decode(1 | bit(50), 0, 46).reserved_nonzero);
  CHECK(ScalableRootEntry::decode(0, 1 | bit(11), 46).reserved_nonzero);
  CHECK(ScalableRootEntry::decode(0, 1 | bit(63), 46).reserved_nonzero);
  CHECK_FALSE(ScalableRootEntry::decode(bit(3), bit(11), 46).reserved_nonzero);
  CHECK(ScalableRootEntry::reserved_mask_hi(48) == 0xFFFF000000000FFEull);
}

TEST_CASE("iommu: legacy context entry fields", "[unit][iommu]") {
  const uint64_t lo = 0x00000ABCDEF01000ull | (1u << 2) | 2 | 1;
  const uint64_t hi = (0xBEEFull << 8) | 2;
  auto e = ContextEntry::decode(lo, hi, 46);
  CHECK(e.present);
  CHECK(e.fpd);
  CHECK(e.tt == kTtDeviceTlb);
  CHECK(e.slptptr == 0xABCDEF01000ull);
  CHECK(e.aw == kAw48);
  CHECK(e.did == 0xBEEF);
  CHECK_FALSE(e.reserved_nonzero);
  CHECK(e.levels() == 4);
  CHECK(e.agaw_bits() == 48);
  CHECK(e.lo() == lo);
  CHECK(e.hi() == hi);

  auto tt_of = [](uint64_t l) { return ContextEntry::decode(l, 2, 48).tt; };
  CHECK(tt_of(1) == kTtUntranslatedOnly);
  CHECK(tt_of(1 | 4) == kTtDeviceTlb);
  CHECK(tt_of(1 | 8) == kTtPassThrough);
  CHECK(tt_of(1 | 12) == kTtReserved);
  CHECK_FALSE(ContextEntry::decode(2, 0, 48).present);
  CHECK(ContextEntry::decode(2, 0, 48).fpd);

  ContextEntry aw;
  aw.aw = kAw39;
  CHECK(aw.levels() == 3);
  CHECK(aw.agaw_bits() == 39);
  aw.aw = kAw57;
  CHECK(aw.levels() == 5);
  CHECK(aw.agaw_bits() == 57);
  CHECK(ContextEntry::decode(1, 0xffff00 | 7, 48).aw == 7);
  CHECK(ContextEntry::decode(1, 0xffff00 | 7, 48).did == 0xffff);

  // SAGAW: bit n supports AW = n.
  const uint8_t sagaw = kSagaw39 | kSagaw48;
  CHECK(sagaw == 0x6);
  CHECK(kSagaw57 == 0x8);
  for (uint8_t v = 0; v < 8; ++v) {
    ContextEntry c;
    c.aw = v;
    CHECK(c.aw_supported(sagaw) == (v == 1 || v == 2));
  }

  // Reserved: lo 11:4 and 63:HAW; hi 127:88 (hi bits 63:24) and 71 (hi bit 7).
  CHECK(ContextEntry::reserved_mask_lo(46) == 0xFFFFC00000000FF0ull);
  CHECK(ContextEntry::reserved_mask_hi() == 0xFFFFFFFFFF000080ull);
  for (unsigned b : {4u, 7u, 11u, 46u, 63u})
    CHECK(ContextEntry::decode(1 | bit(b), 2, 46).reserved_nonzero);
  CHECK_FALSE(ContextEntry::decode(1 | bit(46), 2, 48).reserved_nonzero);
  for (unsigned b : {7u, 24u, 40u, 63u})
    CHECK(ContextEntry::decode(1, 2 | bit(b), 46).reserved_nonzero);
  // hi bits 6:3 (70:67) are ignored, not reserved.
  CHECK_FALSE(ContextEntry::decode(1, 2 | 0x78, 46).reserved_nonzero);
  CHECK(ContextEntry::decode(1, 2 | 0x78, 46).aw == 2);

  ContextEntry enc;
  enc.present = true;
  enc.tt = kTtPassThrough;
  enc.slptptr = 0x123000;
  enc.aw = kAw57;
  enc.did = 0x42;
  CHECK(enc.lo() == (0x123000 | 8 | 1));
  CHECK(enc.hi() == ((0x42 << 8) | 3));
}

TEST_CASE("iommu: second-level entry fields", "[unit][iommu]") {
  const uint64_t raw = SlPte::kR | SlPte::kW | SlPte::kX | (5u << 3) | SlPte::kIpat | SlPte::kPs |
                       SlPte::kSnp | SlPte::kTm | 0x0000000123400000ull | bit(63) | bit(52) |
                       bit(9);
  auto e = SlPte::decode(raw);
  CHECK(e.r);
  CHECK(e.w);
  CHECK(e.x);
  CHECK(e.emt == 5);
  CHECK(e.ipat);
  CHECK(e.ps);
  CHECK(e.snp);
  CHECK(e.tm);
  CHECK(e.addr == 0x123400000ull);
  CHECK(e.present());
  // Re-encoding drops the ignored bits (63, 61:52, 10:8).
  CHECK(e.raw() == (raw & ~(bit(63) | bit(52) | bit(9))));

  CHECK(SlPte::kR == 1);
  CHECK(SlPte::kW == 2);
  CHECK(SlPte::kPs == 0x80);
  CHECK(SlPte::kSnp == 0x800);
  CHECK(SlPte::kTm == bit(62));
  CHECK(SlPte::kAddrMask == 0x000FFFFFFFFFF000ull);
  CHECK_FALSE(SlPte::decode(SlPte::kX | 0x5000).present());
  CHECK(SlPte::decode(SlPte::kW).present());
  auto r_only = SlPte::decode(1);
  CHECK(r_only.r);
  CHECK_FALSE(r_only.w);

  CHECK(SlPte::is_leaf(1, false));
  CHECK(SlPte::is_leaf(1, true));
  CHECK(SlPte::is_leaf(2, true));
  CHECK(SlPte::is_leaf(3, true));
  CHECK_FALSE(SlPte::is_leaf(2, false));
  CHECK_FALSE(SlPte::is_leaf(4, true));

  CHECK(sl_level_shift(1) == 12);
  CHECK(sl_level_shift(2) == 21);
  CHECK(sl_level_shift(3) == 30);
  CHECK(sl_level_shift(4) == 39);
  CHECK(sl_level_shift(5) == 48);
  CHECK(sl_level_size(2) == 2 * 1024 * 1024);
  CHECK(sl_level_size(3) == 1024ull * 1024 * 1024);
  const Addr iova = (0x1aull << 48) | (0x1b3ull << 39) | (0x0c4ull << 30) | (0x1d5ull << 21) |
                    (0x0e6ull << 12) | 0x777;
  CHECK(sl_index(iova, 5) == 0x1a);
  CHECK(sl_index(iova, 4) == 0x1b3);
  CHECK(sl_index(iova, 3) == 0x0c4);
  CHECK(sl_index(iova, 2) == 0x1d5);
  CHECK(sl_index(iova, 1) == 0x0e6);

  CHECK(sl_make_table(0x7000) == (0x7000 | 3));
  CHECK(sl_make_table(0x7000, true, false) == (0x7000 | 1));
  CHECK(sl_make_page(0x9000, 1, false, true) == (0x9000 | 2));
  CHECK(sl_make_page(0x200000, 2) == (0x200000 | 0x80 | 3));
  CHECK(sl_make_page(0x40000000, 3) == (0x40000000 | 0x80 | 3));
}

TEST_CASE("iommu: second-level reserved-bit masks per level", "[unit][iommu]") {
  const uint64_t above48 = 0x000F000000000000ull;  // bits 51:48
  const uint64_t nonleaf = bit(62) | 0x800;         // TM and SNP positions
  SlCaps all;
  CHECK(sl_reserved_mask(1, false, 48, all) == above48);
  CHECK(sl_reserved_mask(1, true, 48, all) == above48);  // PS ignored in an SL-PTE
  CHECK(sl_reserved_mask(1, false, 52, all) == 0);
  CHECK(sl_reserved_mask(1, false, 39, all) == 0x000FFF8000000000ull);
  CHECK(sl_reserved_mask(2, true, 48, all) == (above48 | 0x1FF000));
  CHECK(sl_reserved_mask(3, true, 48, all) == (above48 | 0x3FFFF000));
  CHECK(sl_reserved_mask(2, false, 48, all) == (above48 | nonleaf));
  CHECK(sl_reserved_mask(3, false, 48, all) == (above48 | nonleaf));
  CHECK(sl_reserved_mask(4, false, 48, all) == (above48 | nonleaf | 0x80));
  CHECK(sl_reserved_mask(4, true, 48, all) == (above48 | nonleaf | 0x80));
  CHECK(sl_reserved_mask(5, false, 48, all) == (above48 | nonleaf | 0x80));

  SlCaps none;
  none.sp_2m = none.sp_1g = none.sc = none.dt = false;
  CHECK(sl_reserved_mask(1, false, 48, none) == (above48 | nonleaf));
  CHECK(sl_reserved_mask(2, true, 48, none) == (above48 | nonleaf | 0x80));
  CHECK(sl_reserved_mask(3, true, 48, none) == (above48 | nonleaf | 0x80));
  CHECK(sl_reserved_mask(2, false, 48, none) == (above48 | nonleaf));

  SlCaps only2m = none;
  only2m.sp_2m = true;
  CHECK(sl_reserved_mask(2, true, 48, only2m) == (above48 | nonleaf | 0x1FF000));
  CHECK(sl_reserved_mask(3, true, 48, only2m) == (above48 | nonleaf | 0x80));
}

// ---------------------------------------------------------------------------
// Legacy context lookup.

namespace {

constexpr Addr kRoot = 0x10000, kCtx = 0x20000;
constexpr uint16_t kSid = 0x03 << 8 | 0x2a;  // 03:05.2

struct LookupFixture {
  FakeTableMemory m;
  ContextEntry ce;
  LookupFixture() {
    m.put(kRoot + 3 * 16, kCtx | 1, 0);
    ce.present = true;
    ce.tt = kTtUntranslatedOnly;
    ce.slptptr = 0x30000;
    ce.aw = kAw48;
    ce.did = 7;
    store();
  }
  void store() { m.put(kCtx + 0x2a * 16, ce.lo(), ce.hi()); }
  ContextLookup run(const ContextCaps& caps = {}) {
    return lookup_legacy_context(m, kRoot, kSid, 46, caps);
  }
};

}  // namespace

TEST_CASE("iommu: legacy context lookup success", "[unit][iommu]") {
  LookupFixture f;
  auto r = f.run();
  REQUIRE(r.ok);
  CHECK(r.fault == FaultReason::kNone);
  CHECK(r.ce.did == 7);
  CHECK(r.ce.slptptr == 0x30000);
  CHECK(r.ce.levels() == 4);
  CHECK(r.re.ctp == kCtx);
  CHECK_FALSE(r.fpd);
  CHECK(r.reads == std::vector<Addr>{kRoot + 0x30, kCtx + 0x2a0});
  CHECK(f.m.count == 4);  // two 128-bit entries, two qwords each
  // Root table pointer bits 11:0 are not part of the address.
  CHECK(lookup_legacy_context(f.m, kRoot | 0x400, kSid, 46).ok);
}

TEST_CASE("iommu: legacy context lookup faults", "[unit][iommu]") {
  SECTION("root entry not present (0x1)") {
    LookupFixture f;
    auto r = lookup_legacy_context(f.m, kRoot, 0x0400, 46);
    CHECK_FALSE(r.ok);
    CHECK(r.fault == FaultReason::kRootEntryNotPresent);
    CHECK(r.reads.size() == 1);
  }
  SECTION("root entry reserved bits (0xA)") {
    LookupFixture f;
    f.m.mem[kRoot + 3 * 16] |= bit(4);
    CHECK(f.run().fault == FaultReason::kRootEntryReserved);
    LookupFixture g;
    g.m.mem[kRoot + 3 * 16 + 8] = 1;
    CHECK(g.run().fault == FaultReason::kRootEntryReserved);
    LookupFixture h;
    h.m.mem[kRoot + 3 * 16] |= bit(46);  // beyond HAW 46
    CHECK(h.run().fault == FaultReason::kRootEntryReserved);
  }
  SECTION("context entry not present (0x2), FPD reported") {
    LookupFixture f;
    f.ce.present = false;
    f.store();
    auto r = f.run();
    CHECK(r.fault == FaultReason::kContextEntryNotPresent);
    CHECK_FALSE(r.fpd);
    CHECK(r.reads.size() == 2);
    f.ce.fpd = true;
    f.store();
    r = f.run();
    CHECK(r.fault == FaultReason::kContextEntryNotPresent);
    CHECK(r.fpd);
  }
  SECTION("context entry reserved bits (0xB)") {
    LookupFixture f;
    f.m.mem[kCtx + 0x2a * 16] |= bit(8);
    CHECK(f.run().fault == FaultReason::kContextEntryReserved);
    LookupFixture g;
    g.m.mem[kCtx + 0x2a * 16 + 8] |= bit(7);
    CHECK(g.run().fault == FaultReason::kContextEntryReserved);
    LookupFixture h;
    h.m.mem[kCtx + 0x2a * 16 + 8] |= bit(30);
    auto r = h.run();
    CHECK(r.fault == FaultReason::kContextEntryReserved);
    CHECK_FALSE(fault_is_qualified(r.fault));
  }
  SECTION("present entry with FPD") {
    LookupFixture f;
    f.ce.fpd = true;
    f.store();
    auto r = f.run();
    CHECK(r.ok);
    CHECK(r.fpd);
  }
  SECTION("invalid programming (0x3): TT") {
    LookupFixture f;
    f.ce.tt = kTtReserved;
    f.store();
    CHECK(f.run().fault == FaultReason::kContextEntryInvalid);
    ContextCaps no_dt, no_pt;
    no_dt.dt = false;
    no_pt.pt = false;
    f.ce.tt = kTtDeviceTlb;
    f.store();
    CHECK(f.run().ok);
    CHECK(f.run(no_dt).fault == FaultReason::kContextEntryInvalid);
    f.ce.tt = kTtPassThrough;
    f.store();
    CHECK(f.run().ok);
    CHECK(f.run(no_pt).fault == FaultReason::kContextEntryInvalid);
  }
  SECTION("invalid programming (0x3): AW not in SAGAW") {
    LookupFixture f;
    f.ce.aw = kAw57;
    f.store();
    CHECK(f.run().fault == FaultReason::kContextEntryInvalid);
    ContextCaps c57;
    c57.sagaw = kSagaw57;
    CHECK(f.run(c57).ok);
    for (uint8_t aw : {0, 4, 5, 6, 7}) {
      f.ce.aw = aw;
      f.store();
      ContextCaps every;
      every.sagaw = 0x0e;
      CHECK(f.run(every).fault == FaultReason::kContextEntryInvalid);
    }
    // Pass-through does not use AW.
    f.ce.tt = kTtPassThrough;
    f.store();
    CHECK(f.run().ok);
  }
  SECTION("access errors (0x8, 0x9)") {
    LookupFixture f;
    f.m.bad.insert(kRoot + 0x30 + 8);
    CHECK(f.run().fault == FaultReason::kRootTableAccessError);
    LookupFixture g;
    g.m.bad.insert(kCtx + 0x2a0);
    CHECK(g.run().fault == FaultReason::kContextTableAccessError);
  }
}
