// Unit tests for interrupt remapping (VT-d chapter 5): the IRTE decoder and
// encoder (9.10 remapped, 9.11 posted), remappable/compatibility MSI handling,
// the interrupt-remapping fault reasons (7.1.3), source validation and the
// posted-interrupt descriptor update (5.2.3). Entry words are hand-computed.
#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <set>

#include "fake_table_memory.h"
#include "iommu/interrupt_remap.h"
#include "vtd/irte.h"

using namespace iommusim;
using iommusim::test::FakeTableMemory;

namespace {

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }

// Remapped format, xAPIC: P, DM=1, RH=1, TM=1, DLM=001, AVAIL=0xA, V=0x5C,
// APIC ID 0x12 in entry bits 47:40 (DST = 0x1200); SID 01:01.0 (0x0108),
// SQ=10b, SVT=01b.
constexpr uint64_t kRemapLo = 0x00001200005C0A3Dull;
constexpr uint64_t kRemapHi = 0x0000000000060108ull;
// Same entry, x2APIC destination 0x00ABCDEF in bits 63:32.
constexpr uint64_t kRemapX2Lo = 0x00ABCDEF005C0A3Dull;
// Posted format: P, FPD, AVAIL=3, URG, IM, VV=0x41, PDA=0x12_34567FC0
// (PDA_L = addr 31:6 at 63:38, PDA_H = addr 63:32 at 127:96); SID 0x0305
// (buses 3..5), SQ=0, SVT=10b.
constexpr uint64_t kPostLo = 0x34567FC00041C303ull;
constexpr uint64_t kPostHi = 0x0000001200080305ull;
constexpr Addr kPda = 0x1234567FC0ull;

constexpr Addr kIrta = 0x100000;
constexpr unsigned kHaw = 48;

InterruptRemapTablePointer irta(unsigned s = 7, bool eime = false) {
  InterruptRemapTablePointer p;
  p.address = kIrta;
  p.eime = eime;
  p.size = s;
  return p;
}

Addr irte_pa(uint32_t index) { return kIrta + Addr{index} * 16; }

// A present, valid remapped entry (xAPIC dest 0x12, no source validation).
constexpr uint64_t kPlainLo = 0x00001200005C0001ull;

MsiRequest remappable(uint16_t handle, uint16_t sid = 0x0108) {
  return MsiRequest{msi_remappable_address(handle, false), 0, sid};
}

}  // namespace

// ---------------------------------------------------------------------------
// IRTE decode / encode
// ---------------------------------------------------------------------------

TEST_CASE("ir: remapped IRTE fields (xAPIC)", "[unit][ir]") {
  const Irte e = Irte::decode(kRemapLo, kRemapHi, /*eime=*/false);
  CHECK(e.present);
  CHECK_FALSE(e.fpd);
  CHECK_FALSE(e.posted);
  CHECK(e.dest_mode_logical);
  CHECK(e.redirection_hint);
  CHECK(e.level_trigger);
  CHECK(e.delivery_mode == kDlmLowestPriority);
  CHECK(e.avail == 0xA);
  CHECK(e.vector == 0x5C);
  CHECK(e.dst == 0x1200);
  CHECK(e.destination(false) == 0x12);
  CHECK(e.sid == 0x0108);
  CHECK(e.sq == kSqIgnore2_1);
  CHECK(e.svt == kSvtRequesterId);
  CHECK_FALSE(e.reserved_nonzero);
}

TEST_CASE("ir: remapped IRTE fields (x2APIC)", "[unit][ir]") {
  const Irte e = Irte::decode(kRemapX2Lo, kRemapHi, /*eime=*/true);
  CHECK(e.dst == 0x00ABCDEF);
  CHECK(e.destination(true) == 0x00ABCDEF);
  CHECK(e.vector == 0x5C);
  CHECK_FALSE(e.reserved_nonzero);
  // In xAPIC mode DST bits 7:0 and 31:16 are reserved.
  CHECK(Irte::decode(kRemapX2Lo, kRemapHi, false).reserved_nonzero);
  CHECK(Irte::make_dst(0x12, false) == 0x1200);
  CHECK(Irte::make_dst(0xABCDEF, true) == 0xABCDEF);
}

TEST_CASE("ir: posted IRTE fields", "[unit][ir]") {
  const Irte e = Irte::decode(kPostLo, kPostHi, false, true, kHaw);
  CHECK(e.present);
  CHECK(e.fpd);
  CHECK(e.posted);
  CHECK(e.urgent);
  CHECK(e.avail == 3);
  CHECK(e.vector == 0x41);
  CHECK(e.pda == kPda);
  CHECK(e.sid == 0x0305);
  CHECK(e.sq == kSqAll);
  CHECK(e.svt == kSvtBusRange);
  CHECK_FALSE(e.reserved_nonzero);
}

TEST_CASE("ir: IRTE encoders reproduce the hand-computed words", "[unit][ir]") {
  Irte r;
  r.present = true;
  r.dest_mode_logical = true;
  r.redirection_hint = true;
  r.level_trigger = true;
  r.delivery_mode = kDlmLowestPriority;
  r.avail = 0xA;
  r.vector = 0x5C;
  r.dst = Irte::make_dst(0x12, false);
  r.sid = 0x0108;
  r.sq = kSqIgnore2_1;
  r.svt = kSvtRequesterId;
  CHECK(r.lo() == kRemapLo);
  CHECK(r.hi() == kRemapHi);
  r.dst = 0x00ABCDEF;
  CHECK(r.lo() == kRemapX2Lo);

  Irte p;
  p.present = true;
  p.fpd = true;
  p.posted = true;
  p.urgent = true;
  p.avail = 3;
  p.vector = 0x41;
  p.pda = kPda;
  p.sid = 0x0305;
  p.svt = kSvtBusRange;
  CHECK(p.lo() == kPostLo);
  CHECK(p.hi() == kPostHi);

  // Round trip.
  const Irte back = Irte::decode(p.lo(), p.hi(), false, true, kHaw);
  CHECK(back.pda == kPda);
  CHECK(back.urgent);
  CHECK(back.vector == 0x41);
}

TEST_CASE("ir: IRTE reserved bits per format and mode", "[unit][ir]") {
  // Remapped: 14:12, 31:24, 127:84; xAPIC adds 39:32 and 63:48.
  for (unsigned b : {12u, 13u, 14u, 24u, 31u}) {
    INFO("lo bit " << b);
    CHECK(Irte::decode(kRemapLo | bit(b), kRemapHi, false).reserved_nonzero);
    CHECK(Irte::decode(kRemapX2Lo | bit(b), kRemapHi, true).reserved_nonzero);
  }
  for (unsigned b : {32u, 39u, 48u, 63u}) {
    INFO("lo bit " << b);
    CHECK(Irte::decode(kRemapLo | bit(b), kRemapHi, false).reserved_nonzero);
    CHECK_FALSE(Irte::decode(kRemapLo | bit(b), kRemapHi, true).reserved_nonzero);
  }
  for (unsigned b : {20u, 40u, 63u}) {  // entry bits 84, 104, 127
    INFO("hi bit " << b);
    CHECK(Irte::decode(kRemapLo, kRemapHi | bit(b), false).reserved_nonzero);
  }
  CHECK(Irte::remapped_reserved_lo(true) == 0xff007000ull);
  CHECK(Irte::remapped_reserved_lo(false) == 0xffff00ffff007000ull);

  // Posted: 7:2, 13:12, 37:24, 95:84; PDA bits at and above HAW.
  for (unsigned b : {2u, 7u, 12u, 13u, 24u, 37u}) {
    INFO("posted lo bit " << b);
    CHECK(Irte::decode(kPostLo | bit(b), kPostHi, false, true, kHaw).reserved_nonzero);
  }
  for (unsigned b : {20u, 31u}) {  // entry bits 84, 95
    INFO("posted hi bit " << b);
    CHECK(Irte::decode(kPostLo, kPostHi | bit(b), false, true, kHaw).reserved_nonzero);
  }
  CHECK(Irte::decode(kPostLo, kPostHi | bit(kHaw), false, true, kHaw).reserved_nonzero);
  CHECK_FALSE(Irte::decode(kPostLo, kPostHi | bit(kHaw - 1), false, true, kHaw).reserved_nonzero);
  // Bits that are fields in the posted format but reserved in remapped (and
  // vice versa) are judged by the entry's own format.
  CHECK_FALSE(Irte::decode(kPostLo, kPostHi, /*eime=*/false, true, kHaw).reserved_nonzero);

  // IM is reserved without posting support.
  CHECK(Irte::decode(kPostLo, kPostHi, false, /*posting_supported=*/false, kHaw).reserved_nonzero);
  // SVT = 11b is a reserved encoding.
  CHECK(Irte::decode(kRemapLo, (kRemapHi & ~0xc0000ull) | 0xc0000ull, false).reserved_nonzero);
}

// ---------------------------------------------------------------------------
// Source validation (5.1.5 / 9.10)
// ---------------------------------------------------------------------------

TEST_CASE("ir: source validation SVT 01 with SQ masks", "[unit][ir]") {
  Irte e;
  e.present = true;
  e.svt = kSvtRequesterId;
  e.sid = 0x0108;  // 01:01.0

  e.sq = kSqAll;
  CHECK(irte_source_valid(e, 0x0108));
  CHECK_FALSE(irte_source_valid(e, 0x010C));  // function 4
  e.sq = kSqIgnore2;
  CHECK(irte_source_valid(e, 0x010C));
  CHECK_FALSE(irte_source_valid(e, 0x010A));  // function 2
  e.sq = kSqIgnore2_1;
  CHECK(irte_source_valid(e, 0x010A));
  CHECK(irte_source_valid(e, 0x010E));
  CHECK_FALSE(irte_source_valid(e, 0x010F));  // function 7: bit 0 differs
  e.sq = kSqIgnore2_0;
  CHECK(irte_source_valid(e, 0x010F));
  CHECK_FALSE(irte_source_valid(e, 0x0110));  // device 2
  CHECK_FALSE(irte_source_valid(e, 0x0208));  // bus 2

  e.svt = kSvtNone;
  CHECK(irte_source_valid(e, 0xFFFF));
}

TEST_CASE("ir: source validation SVT 10 bus range", "[unit][ir]") {
  Irte e;
  e.present = true;
  e.svt = kSvtBusRange;
  e.sid = 0x0305;  // start bus 3 (SID[15:8]), end bus 5 (SID[7:0])
  CHECK_FALSE(irte_source_valid(e, 0x02FF));
  CHECK(irte_source_valid(e, 0x0300));
  CHECK(irte_source_valid(e, 0x04A7));
  CHECK(irte_source_valid(e, 0x05FF));
  CHECK_FALSE(irte_source_valid(e, 0x0600));
  // Start above end matches nothing.
  e.sid = 0x0503;
  CHECK_FALSE(irte_source_valid(e, 0x0400));
}

// ---------------------------------------------------------------------------
// remap_msi
// ---------------------------------------------------------------------------

TEST_CASE("ir: remappable format decode without SHV", "[unit][ir]") {
  CHECK(msi_remappable_address(5, false) == 0xFEE000B0ull);
  CHECK(msi_remappable_address(0x8003, false) == 0xFEE00074ull);
  CHECK(msi_remappable_address(0x10, true) == 0xFEE00218ull);

  FakeTableMemory m;
  m.put(irte_pa(5), kRemapLo, kRemapHi);
  // Data is ignored without SHV (an IOAPIC-style vector here).
  const RemapOutcome o = remap_msi(m, MsiRequest{0xFEE000B0, 0xFFFF0041, 0x0108}, irta(), true,
                                   false, kHaw);
  REQUIRE(o.kind == RemapOutcome::Kind::Remapped);
  CHECK(o.fault == FaultReason::kNone);
  CHECK(o.index == 5);
  REQUIRE(o.reads.size() == 1);
  CHECK(o.reads[0] == kIrta + 5 * 16);
  CHECK(o.vector == 0x5C);
  CHECK(o.dest == 0x12);
  CHECK(o.dest_mode_logical);
  CHECK(o.redirection_hint);
  CHECK(o.level_trigger);
  CHECK(o.delivery_mode == kDlmLowestPriority);
  CHECK_FALSE(o.record_fault());

  // handle[15] comes from address bit 2.
  FakeTableMemory big;
  big.put(irte_pa(0x8003), kPlainLo, 0);
  const RemapOutcome h = remap_msi(big, MsiRequest{0xFEE00074, 0, 0}, irta(15), true, false, kHaw);
  REQUIRE(h.kind == RemapOutcome::Kind::Remapped);
  CHECK(h.index == 0x8003);
  CHECK(h.reads.at(0) == kIrta + 0x8003ull * 16);
}

TEST_CASE("ir: remappable format decode with SHV", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(0x13), kPlainLo, 0);
  const RemapOutcome o = remap_msi(m, MsiRequest{0xFEE00218, 3, 0x0108}, irta(), true, false, kHaw);
  REQUIRE(o.kind == RemapOutcome::Kind::Remapped);
  CHECK(o.index == 0x13);  // handle 0x10 + subhandle 3
  CHECK(o.reads.at(0) == kIrta + 0x13 * 16);
  CHECK(o.vector == 0x5C);
  CHECK(o.dest == 0x12);
}

TEST_CASE("ir: x2APIC destination from a remapped entry", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(5), kRemapX2Lo, kRemapHi);
  const RemapOutcome o = remap_msi(m, remappable(5), irta(7, /*eime=*/true), true, false, kHaw);
  REQUIRE(o.kind == RemapOutcome::Kind::Remapped);
  CHECK(o.dest == 0x00ABCDEF);
  // The same entry under xAPIC mode has reserved DST bits set.
  const RemapOutcome x = remap_msi(m, remappable(5), irta(7, false), true, false, kHaw);
  CHECK(x.kind == RemapOutcome::Kind::Blocked);
  CHECK(x.fault == FaultReason::kIrEntryReserved);
}

TEST_CASE("ir: fault reason codes are the spec's", "[unit][ir]") {
  CHECK(uint8_t(FaultReason::kIrRequestReserved) == 0x20);
  CHECK(uint8_t(FaultReason::kIrIndexBeyondTable) == 0x21);
  CHECK(uint8_t(FaultReason::kIrEntryNotPresent) == 0x22);
  CHECK(uint8_t(FaultReason::kIrTableAccessError) == 0x23);
  CHECK(uint8_t(FaultReason::kIrEntryReserved) == 0x24);
  CHECK(uint8_t(FaultReason::kIrCompatibilityBlocked) == 0x25);
  CHECK(uint8_t(FaultReason::kIrSourceIdInvalid) == 0x26);
  CHECK(uint8_t(FaultReason::kIrPostedDescriptorAccessError) == 0x27);
  // Qualified: 0x22, 0x24, 0x26, 0x27.
  CHECK_FALSE(fault_is_qualified(FaultReason::kIrRequestReserved));
  CHECK_FALSE(fault_is_qualified(FaultReason::kIrIndexBeyondTable));
  CHECK(fault_is_qualified(FaultReason::kIrEntryNotPresent));
  CHECK_FALSE(fault_is_qualified(FaultReason::kIrTableAccessError));
  CHECK(fault_is_qualified(FaultReason::kIrEntryReserved));
  CHECK_FALSE(fault_is_qualified(FaultReason::kIrCompatibilityBlocked));
  CHECK(fault_is_qualified(FaultReason::kIrSourceIdInvalid));
  CHECK(fault_is_qualified(FaultReason::kIrPostedDescriptorAccessError));
  for (unsigned c = 0x20; c <= 0x27; ++c)
    CHECK(fault_reason_text(static_cast<FaultReason>(c)) != kFaultReasonUnknownText);
  CHECK(fault_reason_text(static_cast<FaultReason>(0x28)) == kFaultReasonUnknownText);
}

TEST_CASE("ir: 0x20 reserved fields in the request", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(0x13), kPlainLo, 0);
  // SHV with data bits 31:16 set.
  RemapOutcome o = remap_msi(m, MsiRequest{0xFEE00218, 0x10003, 0}, irta(), true, false, kHaw);
  CHECK(o.kind == RemapOutcome::Kind::Blocked);
  CHECK(o.fault == FaultReason::kIrRequestReserved);
  CHECK(o.reads.empty());
  CHECK(o.record_fault());
  // Address outside 0xFEEx_xxxx or with upper bits set.
  o = remap_msi(m, MsiRequest{0xFED00218, 3, 0}, irta(), true, false, kHaw);
  CHECK(o.fault == FaultReason::kIrRequestReserved);
  o = remap_msi(m, MsiRequest{0x1FEE00218ull, 3, 0}, irta(), true, false, kHaw);
  CHECK(o.fault == FaultReason::kIrRequestReserved);
}

TEST_CASE("ir: 0x21 index beyond the table size", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(255), kPlainLo, 0);
  // S = 7: 2^8 = 256 entries.
  CHECK(remap_msi(m, remappable(255), irta(7), true, false, kHaw).kind ==
        RemapOutcome::Kind::Remapped);
  RemapOutcome o = remap_msi(m, remappable(256), irta(7), true, false, kHaw);
  CHECK(o.kind == RemapOutcome::Kind::Blocked);
  CHECK(o.fault == FaultReason::kIrIndexBeyondTable);
  CHECK(o.index == 256);
  CHECK(o.reads.empty());
  CHECK(o.record_fault());
  // handle + subhandle crossing the end.
  o = remap_msi(m, MsiRequest{msi_remappable_address(250, true), 6, 0}, irta(7), true, false,
                kHaw);
  CHECK(o.fault == FaultReason::kIrIndexBeyondTable);
  CHECK(o.index == 256);
  // S = 0: two entries.
  CHECK(remap_msi(m, remappable(2), irta(0), true, false, kHaw).fault == FaultReason::kIrIndexBeyondTable);
}

TEST_CASE("ir: 0x22 not present, FPD qualifies it", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(1), 0, 0);
  m.put(irte_pa(2), 0x2, 0);  // P = 0, FPD = 1
  RemapOutcome o = remap_msi(m, remappable(1), irta(), true, false, kHaw);
  CHECK(o.kind == RemapOutcome::Kind::Blocked);
  CHECK(o.fault == FaultReason::kIrEntryNotPresent);
  CHECK(o.index == 1);
  CHECK(o.reads.size() == 1);
  CHECK_FALSE(o.fpd);
  CHECK(o.record_fault());
  o = remap_msi(m, remappable(2), irta(), true, false, kHaw);
  CHECK(o.fault == FaultReason::kIrEntryNotPresent);
  CHECK(o.fpd);
  CHECK_FALSE(o.record_fault());
}

TEST_CASE("ir: 0x23 table access error", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(4), kPlainLo | 0x2, 0);
  m.bad.insert(irte_pa(4));
  const RemapOutcome o = remap_msi(m, remappable(4), irta(), true, false, kHaw);
  CHECK(o.kind == RemapOutcome::Kind::Blocked);
  CHECK(o.fault == FaultReason::kIrTableAccessError);
  CHECK(o.reads.at(0) == irte_pa(4));
  CHECK(o.record_fault());  // unqualified, and no FPD could be read
}

TEST_CASE("ir: 0x24 reserved IRTE, FPD qualifies it", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(6), kPlainLo | bit(12), 0);
  m.put(irte_pa(7), kPlainLo | bit(12) | 0x2, 0);
  RemapOutcome o = remap_msi(m, remappable(6), irta(), true, false, kHaw);
  CHECK(o.fault == FaultReason::kIrEntryReserved);
  CHECK(o.record_fault());
  o = remap_msi(m, remappable(7), irta(), true, false, kHaw);
  CHECK(o.fault == FaultReason::kIrEntryReserved);
  CHECK_FALSE(o.record_fault());
  // A posted entry while posting is unsupported.
  m.put(irte_pa(8), kPostLo, kPostHi);
  o = remap_msi(m, MsiRequest{msi_remappable_address(8, false), 0, 0x0400}, irta(), true, false,
                kHaw, /*posting_supported=*/false);
  CHECK(o.fault == FaultReason::kIrEntryReserved);
}

TEST_CASE("ir: 0x25 compatibility format per CFI and EIME", "[unit][ir]") {
  FakeTableMemory m;
  // Compatibility MSI: dest 0x07 (addr 19:12), RH, DM logical; data vector
  // 0x31, delivery mode 001, level.
  const MsiRequest compat{0xFEE0700C, 0x8131, 0x0108};
  RemapOutcome o = remap_msi(m, compat, irta(), /*ire=*/true, /*cfi=*/false, kHaw);
  CHECK(o.kind == RemapOutcome::Kind::Blocked);
  CHECK(o.fault == FaultReason::kIrCompatibilityBlocked);
  CHECK(o.record_fault());

  o = remap_msi(m, compat, irta(), true, /*cfi=*/true, kHaw);
  REQUIRE(o.kind == RemapOutcome::Kind::Passthrough);
  CHECK(o.fault == FaultReason::kNone);
  CHECK(o.reads.empty());
  CHECK(o.dest == 0x07);
  CHECK(o.vector == 0x31);
  CHECK(o.delivery_mode == 1);
  CHECK(o.level_trigger);
  CHECK(o.dest_mode_logical);
  CHECK(o.redirection_hint);

  // x2APIC mode blocks compatibility format whatever CFI says.
  o = remap_msi(m, compat, irta(7, /*eime=*/true), true, true, kHaw);
  CHECK(o.fault == FaultReason::kIrCompatibilityBlocked);
}

TEST_CASE("ir: interrupt remapping disabled passes requests through", "[unit][ir]") {
  FakeTableMemory m;
  RemapOutcome o = remap_msi(m, MsiRequest{0xFEE0700C, 0x8131, 0}, irta(), /*ire=*/false, false,
                             kHaw);
  CHECK(o.kind == RemapOutcome::Kind::Passthrough);
  CHECK(o.vector == 0x31);
  // Even a remappable-format request is not looked up.
  o = remap_msi(m, remappable(5), irta(), false, false, kHaw);
  CHECK(o.kind == RemapOutcome::Kind::Passthrough);
  CHECK(o.reads.empty());
  CHECK_FALSE(o.record_fault());
}

TEST_CASE("ir: 0x26 source validation failure, FPD qualifies it", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(5), kRemapLo, kRemapHi);  // SID 0x0108, SQ ignore 2:1
  CHECK(remap_msi(m, remappable(5, 0x010E), irta(), true, false, kHaw).kind ==
        RemapOutcome::Kind::Remapped);
  RemapOutcome o = remap_msi(m, remappable(5, 0x0109), irta(), true, false, kHaw);
  CHECK(o.kind == RemapOutcome::Kind::Blocked);
  CHECK(o.fault == FaultReason::kIrSourceIdInvalid);
  CHECK(o.record_fault());
  m.put(irte_pa(6), kRemapLo | 0x2, kRemapHi);
  o = remap_msi(m, remappable(6, 0x0109), irta(), true, false, kHaw);
  CHECK(o.fault == FaultReason::kIrSourceIdInvalid);
  CHECK_FALSE(o.record_fault());
}

TEST_CASE("ir: posted IRTE yields a posted outcome", "[unit][ir]") {
  FakeTableMemory m;
  m.put(irte_pa(9), kPostLo, kPostHi);  // SVT 10: buses 3..5
  RemapOutcome o = remap_msi(m, remappable(9, 0x0420), irta(), true, false, kHaw);
  REQUIRE(o.kind == RemapOutcome::Kind::Posted);
  CHECK(o.vector == 0x41);
  CHECK(o.pda == kPda);
  CHECK(o.urgent);
  CHECK(o.fpd);
  o = remap_msi(m, remappable(9, 0x0620), irta(), true, false, kHaw);
  CHECK(o.fault == FaultReason::kIrSourceIdInvalid);
  CHECK_FALSE(o.record_fault());  // the entry has FPD set
}

// ---------------------------------------------------------------------------
// Posted-interrupt descriptor update
// ---------------------------------------------------------------------------

namespace {
// NV = 0xF2, NDST = 0x0300 (xAPIC APIC ID 3 in NDST[15:8]).
constexpr uint64_t kCtrl = 0x0000030000F20000ull;
}  // namespace

TEST_CASE("ir: posting sets PIR and notifies on the first posting", "[unit][ir]") {
  std::array<uint64_t, 8> d{};
  d[4] = kCtrl;
  d[6] = 0x5555;  // reserved words are carried unchanged

  PostedUpdate u = post_interrupt(d, 0x41, false);
  CHECK(u.desc[1] == bit(1));  // vector 65
  CHECK(u.desc[0] == 0);
  CHECK(u.notify);
  CHECK(u.nv == 0xF2);
  CHECK(u.ndst == 0x0300);
  CHECK(posted_notification_apic_id(u.ndst, false) == 3);
  CHECK(posted_notification_apic_id(0x00ABCDEF, true) == 0x00ABCDEF);
  CHECK(u.desc[4] == (kCtrl | 1));  // ON set, NV/NDST kept
  CHECK(u.desc[6] == 0x5555);

  // ON is now set: the next posting only adds its PIR bit.
  u = post_interrupt(u.desc, 0x42, false);
  CHECK(u.desc[1] == (bit(1) | bit(2)));
  CHECK_FALSE(u.notify);
  CHECK(u.desc[4] == (kCtrl | 1));
  u = post_interrupt(u.desc, 0x42, true);  // urgent does not override ON
  CHECK_FALSE(u.notify);

  // Vector edges.
  u = post_interrupt(d, 0, false);
  CHECK(u.desc[0] == 1);
  u = post_interrupt(d, 255, false);
  CHECK(u.desc[3] == bit(63));
}

TEST_CASE("ir: posting with SN set notifies only urgent interrupts", "[unit][ir]") {
  std::array<uint64_t, 8> d{};
  d[4] = kCtrl | 2;  // SN

  PostedUpdate u = post_interrupt(d, 0x30, /*urgent=*/false);
  CHECK(u.desc[0] == bit(0x30));
  CHECK_FALSE(u.notify);
  CHECK((u.desc[4] & 1) == 0);  // ON stays clear

  u = post_interrupt(u.desc, 0x31, /*urgent=*/true);
  CHECK(u.desc[0] == (bit(0x30) | bit(0x31)));
  CHECK(u.notify);
  CHECK(u.desc[4] == (kCtrl | 3));  // ON and SN
}

// ---- Interrupt message format and the interrupt entry cache -------------

#include "common/msi_message.h"
#include "iommu/interrupt_entry_cache.h"

TEST_CASE("ir: interrupt messages encode and decode every field", "[unit][ir]") {
  MsiFields f;
  f.dest = 0x12345678;
  f.vector = 0xA5;
  f.delivery_mode = kDlmNmi;
  f.logical = true;
  f.redirection_hint = true;
  f.level = true;
  const Addr a = msi_address(f);
  CHECK(a == ((Addr{0x123456} << 40) | 0xFEE78000 | 0xC));
  CHECK(msi_data(f) == (0xA5u | 4u << 8 | 1u << 14 | 1u << 15));
  CHECK(is_msi_address(a));
  const MsiFields g = decode_msi(a, msi_data(f));
  CHECK(g.dest == f.dest);
  CHECK(g.vector == f.vector);
  CHECK(g.delivery_mode == f.delivery_mode);
  CHECK(g.logical);
  CHECK(g.redirection_hint);
  CHECK(g.level);
  // xAPIC destinations keep the upper dword clear.
  MsiFields x;
  x.dest = 0x7;
  x.vector = 0x30;
  CHECK(msi_address(x) == 0xFEE07000);
  CHECK(msi_data(x) == 0x30);
  CHECK_FALSE(is_msi_address(0xFED00000));
  CHECK_FALSE(is_msi_address((Addr{1} << 32) | 0xFEE00000));  // bits 39:32 reserved
}

TEST_CASE("ir: interrupt entry cache index-selective invalidation covers 2^IM aligned entries", "[unit][ir]") {
  InterruptEntryCache iec(CacheParams{64, 0, ReplacementPolicy::Lru, 1}, 1);
  for (std::uint16_t i = 0; i < 16; ++i) iec.insert(i, IecEntry{i, 0}, 0);
  std::size_t examined = 0;
  CHECK(iec.invalidate_index(5, 0, &examined) == 1);  // 5
  CHECK(examined == 16);
  CHECK_FALSE(iec.contains(5));
  CHECK(iec.contains(4));
  CHECK(iec.invalidate_index(9, 2) == 4);  // 8..11
  for (std::uint16_t i = 8; i < 12; ++i) CHECK_FALSE(iec.contains(i));
  CHECK(iec.contains(12));
  CHECK(iec.invalidate_index(0xFFFF, 4) == 0);  // 0xFFF0..0xFFFF: none cached
  CHECK(iec.size() == 11);
  CHECK(iec.invalidate_index(0x000F, 4) == 11);  // 0..15: the rest
  CHECK(iec.size() == 0);
  iec.insert(3, IecEntry{3, 0}, 0);
  CHECK(iec.invalidate_global() == 1);
}
