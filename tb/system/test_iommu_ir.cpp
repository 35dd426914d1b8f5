// Interrupt remapping through the unit's sockets (VT-d 4.x chapter 5): IRTE
// reads and the interrupt entry cache, remapped delivery in xAPIC and x2APIC
// mode, compatibility format under CFI, every blocking fault with its fault
// record, posted interrupts updating the descriptor in memory, and IEC
// invalidation by descriptor and by SIRTP with ESIRTPS.
//
// Timing (defaults, 1 GHz unit clock): an interrupt request arriving at T is
// looked up at T + ir_cycles (2) + IEC latency (1); on a miss the 16-byte IRTE
// is read through the unit's memory port; delivery happens when the read (and,
// for posted interrupts, the descriptor's read and write) has completed.
#include <catch2/catch.hpp>

#include "iommu/interrupt_remap.h"
#include "vtd/irte.h"
#include "vtd/qi_descriptor.h"
#include "iommu_bench.h"

using namespace iommusim;
using namespace iommusim::bench;

namespace {

constexpr Addr kIrt = 0x600000;  // interrupt remapping table
constexpr Addr kPid = 0x700000;  // a posted-interrupt descriptor
constexpr std::uint16_t kRid = 0x0018;  // 00:03.0

void put_irte(Bench& b, unsigned index, const Irte& e) {
  b.mem.store().write_le(kIrt + 16 * index, e.lo(), 8);
  b.mem.store().write_le(kIrt + 16 * index + 8, e.hi(), 8);
}

Irte remapped(std::uint8_t vector, std::uint32_t apic, bool eime) {
  Irte e;
  e.present = true;
  e.vector = vector;
  e.dst = Irte::make_dst(apic, eime);
  e.svt = kSvtRequesterId;
  e.sid = kRid;
  return e;
}

Irte posted(std::uint8_t vector, Addr pda, bool urgent = false) {
  Irte e;
  e.present = true;
  e.posted = true;
  e.vector = vector;
  e.pda = pda;
  e.urgent = urgent;
  return e;
}

// IRTA (table at kIrt, 2^(s+1) entries), SIRTP, then IRE (and CFI).
void enable_ir(Bench& b, bool eime, unsigned s = 3, bool cfi = false) {
  b.drv.write(reg::kIrta, kIrt | (eime ? reg::kIrtaEime : 0) | s, 8);
  b.drv.write(reg::kGcmd, reg::kGcmdSirtp);
  b.drv.write(reg::kGcmd, reg::kGcmdIre | (cfi ? reg::kGcmdCfi : 0));
}

// FRCD n (FRO = 0x100): {low qword, high qword}.
std::pair<std::uint64_t, std::uint64_t> frcd(Bench& b, unsigned n) {
  return {b.drv.read(0x100 + 16 * n, 8), b.drv.read(0x108 + 16 * n, 8)};
}

unsigned fr_of(std::uint64_t hi) { return static_cast<unsigned>((hi >> reg::kFrcdFrShift) & 0xff); }

}  // namespace

TEST_CASE("ir: a remapped interrupt reads its IRTE once, then hits the interrupt entry cache", "[system][ir]") {
  Bench b;
  put_irte(b, 5, remapped(0x45, 3, false));
  Driver::MsiResult r1{}, r2{};
  std::uint32_t gsts = 0;
  sc_core::sc_spawn([&] {
    enable_ir(b, false);
    gsts = static_cast<std::uint32_t>(b.drv.read(reg::kGsts));
    r1 = b.drv.msi_at(1000 * kNs, kRid, msi_remappable_address(5, false), 0);
    r2 = b.drv.msi_at(2000 * kNs, kRid, msi_remappable_address(5, false), 0);
  });
  sc_core::sc_start();
  CHECK((gsts & reg::kGcmdIre) != 0);    // IRES
  CHECK((gsts & reg::kGcmdSirtp) != 0);  // IRTPS
  const auto& s = b.walk_probe.seen;
  REQUIRE(s.size() == 1);
  CHECK(s[0].addr == kIrt + 5 * 16);
  CHECK(s[0].arrival == (1000 + 2 + 1) * kNs);
  REQUIRE(r1.ok);
  CHECK(r1.delivered);
  CHECK(r1.vector == 0x45);
  CHECK(r1.dest == 3);
  CHECK(r1.done == s[0].done);
  REQUIRE(b.irq_sink.seen.size() == 2);
  CHECK(b.irq_sink.seen[0].first == 0xFEE03000);  // APIC ID 3, physical, no RH
  CHECK(b.irq_sink.seen[0].second == s[0].done);
  CHECK(b.irq_sink.data[0] == 0x45);             // fixed, edge
  // The second request hits the IEC: pipeline + lookup, no read.
  REQUIRE(r2.ok);
  CHECK(r2.vector == 0x45);
  CHECK(r2.done == (2000 + 2 + 1) * kNs);
  CHECK(b.counter("ir.requests").value() == 2);
  CHECK(b.counter("ir.remapped").value() == 2);
  CHECK(b.counter("ir.iec_misses").value() == 1);
  CHECK(b.counter("ir.iec_hits").value() == 1);
  CHECK(b.counter("ir.irte_reads").value() == 1);
  CHECK(b.counter("msis_forwarded").value() == 0);
}

TEST_CASE("ir: x2APIC destination, subhandle, and every remapped field reach the interrupt controller",
          "[system][ir]") {
  Bench b;
  Irte e = remapped(0x51, 0xABCDEF, true);
  e.dest_mode_logical = true;
  e.redirection_hint = true;
  e.level_trigger = true;
  e.delivery_mode = kDlmLowestPriority;
  put_irte(b, 9, e);  // handle 8 + subhandle 1
  Driver::MsiResult r{};
  sc_core::sc_spawn([&] {
    enable_ir(b, true);
    r = b.drv.msi_at(100 * kNs, kRid, msi_remappable_address(8, true), 1);
  });
  sc_core::sc_start();
  REQUIRE(r.ok);
  CHECK(r.vector == 0x51);
  CHECK(r.dest == 0xABCDEF);
  REQUIRE(b.walk_probe.seen.size() == 1);
  CHECK(b.walk_probe.seen[0].addr == kIrt + 9 * 16);
  REQUIRE(b.irq_sink.seen.size() == 1);
  // Destination bits 7:0 in address 19:12, bits 31:8 in address 63:40; RH
  // (bit 3) and logical mode (bit 2).
  CHECK(b.irq_sink.seen[0].first == ((Addr{0xABCD} << 40) | 0xFEEEF00C));
  // Vector, delivery mode 001 (10:8), level assert (14), level trigger (15).
  CHECK(b.irq_sink.data[0] == (0x51u | 1u << 8 | 1u << 14 | 1u << 15));
}

TEST_CASE("ir: remapping off passes every interrupt on unchanged", "[system][ir]") {
  Bench b;
  put_irte(b, 5, remapped(0x45, 3, false));
  Driver::MsiResult r{};
  sc_core::sc_spawn([&] { r = b.drv.msi_at(100 * kNs, kRid, msi_remappable_address(5, false), 0x99); });
  sc_core::sc_start();
  REQUIRE(r.ok);
  CHECK(r.done == 100 * kNs);
  REQUIRE(b.irq_sink.seen.size() == 1);
  CHECK(b.irq_sink.seen[0].first == msi_remappable_address(5, false));
  CHECK(b.irq_sink.data[0] == 0x99);
  CHECK(b.walk_probe.seen.empty());
  CHECK(b.counter("msis_forwarded").value() == 1);
  CHECK(b.counter("ir.requests").value() == 0);
}

TEST_CASE("ir: compatibility format passes only with CFI and only in xAPIC mode", "[system][ir]") {
  Bench b;
  std::vector<Driver::MsiResult> r;
  std::pair<std::uint64_t, std::uint64_t> rec{};
  sc_core::sc_spawn([&] {
    enable_ir(b, false);
    r.push_back(b.drv.msi_at(100 * kNs, kRid, 0xFEE01000, 0x4041));  // CFIS = 0: blocked
    b.drv.write(reg::kGcmd, reg::kGcmdIre | reg::kGcmdCfi);
    r.push_back(b.drv.msi_at(200 * kNs, kRid, 0xFEE01000, 0x4041));  // passed
    b.drv.write(reg::kIrta, kIrt | reg::kIrtaEime | 3, 8);
    b.drv.write(reg::kGcmd, reg::kGcmdIre | reg::kGcmdCfi | reg::kGcmdSirtp);
    r.push_back(b.drv.msi_at(300 * kNs, kRid, 0xFEE01000, 0x4041));  // x2APIC mode: blocked
    rec = frcd(b, 0);
  });
  sc_core::sc_start();
  REQUIRE(r.size() == 3);
  CHECK_FALSE(r[0].ok);
  CHECK(r[0].fault == 0x25);
  CHECK_FALSE(r[0].delivered);
  CHECK(r[0].done == 102 * kNs);  // ir_cycles; no IEC lookup for compatibility format
  REQUIRE(r[1].ok);
  CHECK(r[1].vector == 0x41);
  CHECK(r[1].dest == 1);
  CHECK(r[1].done == 202 * kNs);
  CHECK_FALSE(r[2].ok);
  CHECK(r[2].fault == 0x25);
  CHECK((rec.second & reg::kFrcdF) != 0);
  CHECK(fr_of(rec.second) == 0x25);
  CHECK((rec.second & 0xffff) == kRid);
  CHECK(rec.first == 0);  // index 0 (compatibility format has none)
  CHECK(b.counter("ir.compat_passed").value() == 1);
  CHECK(b.counter("ir.blocked").value() == 2);
  CHECK(b.walk_probe.seen.empty());
}

// Each blocking condition of 5.1.4/5.1.5 gives its reason (7.1.3), recorded in
// the next fault recording register with the interrupt index in FI[63:48],
// SID, T = 0; qualified faults of an IRTE with FPD = 1 are not recorded.
TEST_CASE("ir: every interrupt-remapping fault is recorded with its reason and index", "[system][ir]") {
  Bench b;
  Irte reserved = remapped(0x43, 3, false);
  put_irte(b, 3, reserved);
  b.mem.store().write_le(kIrt + 3 * 16, reserved.lo() | (1u << 13), 8);  // bits 14:12 reserved
  Irte other_source = remapped(0x44, 3, false);
  other_source.sid = 0x0020;
  put_irte(b, 4, other_source);
  b.mem.store().write_le(kIrt + 6 * 16, 0x2, 8);  // not present, FPD = 1
  std::vector<Driver::MsiResult> r;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> rec;
  std::uint32_t fsts = 0;
  sc_core::sc_spawn([&] {
    enable_ir(b, false, 3);  // 16 entries
    r.push_back(b.drv.msi_at(100 * kNs, kRid, msi_remappable_address(16, false), 0));      // 0x21
    r.push_back(b.drv.msi_at(200 * kNs, kRid, msi_remappable_address(2, false), 0));       // 0x22
    r.push_back(b.drv.msi_at(300 * kNs, kRid, msi_remappable_address(3, false), 0));       // 0x24
    r.push_back(b.drv.msi_at(400 * kNs, kRid, msi_remappable_address(4, false), 0));       // 0x26
    r.push_back(b.drv.msi_at(500 * kNs, kRid, msi_remappable_address(0, true), 0x10001));  // 0x20
    r.push_back(b.drv.msi_at(600 * kNs, kRid, msi_remappable_address(6, false), 0));       // 0x22, FPD
    for (unsigned i = 0; i < 6; ++i) rec.push_back(frcd(b, i));
    fsts = static_cast<std::uint32_t>(b.drv.read(reg::kFsts));
  });
  sc_core::sc_start();
  REQUIRE(r.size() == 6);
  const unsigned want[] = {0x21, 0x22, 0x24, 0x26, 0x20, 0x22};
  for (unsigned i = 0; i < 6; ++i) {
    CHECK_FALSE(r[i].ok);
    CHECK_FALSE(r[i].delivered);
    CHECK(r[i].fault == want[i]);
  }
  const unsigned index[] = {16, 2, 3, 4, 1};  // request 4: handle 0 + subhandle 1
  for (unsigned i = 0; i < 5; ++i) {
    INFO("record " << i);
    CHECK((rec[i].second & reg::kFrcdF) != 0);
    CHECK(fr_of(rec[i].second) == want[i]);
    CHECK((rec[i].second & 0xffff) == kRid);
    CHECK((rec[i].second & reg::kFrcdT) == 0);
    CHECK(rec[i].first == (std::uint64_t{index[i]} << 48));
  }
  CHECK((rec[5].second & reg::kFrcdF) == 0);  // FPD: not recorded
  CHECK((fsts & reg::kFstsPpf) != 0);
  CHECK(b.counter("ir.faults_recorded").value() == 5);
  CHECK(b.counter("ir.faults_suppressed").value() == 1);
  CHECK(b.counter("faults_reason_22").value() == 2);
  // Only the source-id fault's entry is usable and cached; 0x21 and 0x20 read
  // nothing.
  CHECK(b.counter("ir.irte_reads").value() == 4);
  CHECK(b.unit.iec().size() == 1);
}

TEST_CASE("ir: table and posted-descriptor access errors fault with 0x23 and 0x27", "[system][ir]") {
  Bench b("", "memory: {size: 0x1000000}");  // 16 MiB of memory
  put_irte(b, 1, posted(0x61, 0x2000000));    // descriptor beyond memory
  std::vector<Driver::MsiResult> r;
  std::pair<std::uint64_t, std::uint64_t> rec0{}, rec1{};
  sc_core::sc_spawn([&] {
    enable_ir(b, false);
    r.push_back(b.drv.msi_at(100 * kNs, kRid, msi_remappable_address(1, false), 0));
    b.drv.write(reg::kIrta, 0x4000000 | 3, 8);  // a table beyond memory
    b.drv.write(reg::kGcmd, reg::kGcmdIre | reg::kGcmdSirtp);
    r.push_back(b.drv.msi_at(200 * kNs, kRid, msi_remappable_address(2, false), 0));
    rec0 = frcd(b, 0);
    rec1 = frcd(b, 1);
  });
  sc_core::sc_start();
  REQUIRE(r.size() == 2);
  CHECK(r[0].fault == 0x27);
  CHECK(r[1].fault == 0x23);
  CHECK(fr_of(rec0.second) == 0x27);
  CHECK(rec0.first == (std::uint64_t{1} << 48));
  CHECK(fr_of(rec1.second) == 0x23);
  CHECK(rec1.first == (std::uint64_t{2} << 48));
}

// Posted interrupts (5.2.3): the descriptor's PIR bit for the vector is set
// and, when ON was clear and (URG or SN clear), ON is set and the notification
// event NV goes to NDST.
TEST_CASE("ir: posted interrupts set PIR and ON and send the notification event as the spec says",
          "[system][ir]") {
  Bench b;
  const std::uint64_t control = (std::uint64_t{Irte::make_dst(1, false)} << 32) | (0xF2u << 16);  // NDST 1, NV 0xF2
  b.mem.store().write_le(kPid + 32, control, 8);
  put_irte(b, 7, posted(0x61, kPid));
  put_irte(b, 8, posted(0x62, kPid, /*urgent=*/true));
  std::vector<Driver::MsiResult> r;
  std::uint64_t pir1_after_first = 0, on_after_first = 0;
  sc_core::sc_spawn([&] {
    enable_ir(b, false);
    r.push_back(b.drv.msi_at(1000 * kNs, kRid, msi_remappable_address(7, false), 0));
    pir1_after_first = b.mem.store().read_le(kPid + 8, 8);
    on_after_first = b.mem.store().read_le(kPid + 32, 8) & 1;
    r.push_back(b.drv.msi_at(2000 * kNs, kRid, msi_remappable_address(7, false), 0));  // ON set: no event
    // Software handles the notification: clears ON and PIR; suppresses.
    b.mem.store().write_le(kPid + 8, 0, 8);
    b.mem.store().write_le(kPid + 32, control | 2, 8);  // SN
    r.push_back(b.drv.msi_at(3000 * kNs, kRid, msi_remappable_address(7, false), 0));  // SN: no event
    r.push_back(b.drv.msi_at(4000 * kNs, kRid, msi_remappable_address(8, false), 0));  // urgent: event
  });
  sc_core::sc_start();
  REQUIRE(r.size() == 4);
  for (const auto& x : r) CHECK(x.ok);
  CHECK(pir1_after_first == (std::uint64_t{1} << (0x61 - 64)));
  CHECK(on_after_first == 1);
  const auto& s = b.walk_probe.seen;
  // IRTE read, descriptor read, descriptor write; then, from the IEC, a
  // descriptor read and write per request; the urgent entry's IRTE read.
  REQUIRE(s.size() == 3 + 2 + 2 + 3);
  CHECK(s[0].addr == kIrt + 7 * 16);
  CHECK(s[0].arrival == 1003 * kNs);
  CHECK(s[1].addr == kPid);
  CHECK(s[1].arrival == s[0].done);
  CHECK(s[2].addr == kPid);
  CHECK(s[2].arrival == s[1].done);
  CHECK(r[0].delivered);
  CHECK(r[0].vector == 0xF2);
  CHECK(r[0].dest == 1);
  CHECK(r[0].done == s[2].done);
  CHECK(s[3].arrival == 2003 * kNs);  // IEC hit
  CHECK_FALSE(r[1].delivered);
  CHECK(r[1].done == s[4].done);
  CHECK_FALSE(r[2].delivered);
  CHECK(r[3].delivered);
  CHECK(r[3].vector == 0xF2);
  REQUIRE(b.irq_sink.seen.size() == 2);
  CHECK(b.irq_sink.seen[0].first == 0xFEE01000);
  CHECK(b.irq_sink.data[0] == 0xF2);
  // PIR holds 0x61 (third request) and 0x62 (fourth); ON set by the urgent one, SN kept.
  CHECK(b.mem.store().read_le(kPid + 8, 8) == ((std::uint64_t{1} << (0x61 - 64)) | (std::uint64_t{1} << (0x62 - 64))));
  CHECK(b.mem.store().read_le(kPid + 32, 8) == (control | 3));
  CHECK(b.counter("ir.posted").value() == 4);
  CHECK(b.counter("ir.notifications").value() == 2);
  CHECK(b.counter("ir.pid_updates").value() == 4);
}

// Interrupt entry cache invalidate descriptors (6.5.2.6): index-selective
// removes exactly the entries 2^IM-aligned around IIDX; global removes all.
TEST_CASE("ir: IEC descriptors invalidate exactly their entries", "[system][ir][qi]") {
  Bench b;
  put_irte(b, 4, remapped(0x44, 3, false));
  put_irte(b, 5, remapped(0x45, 3, false));
  put_irte(b, 6, remapped(0x46, 3, false));
  auto put_desc = [&](Addr a, const QiDescriptor& d) {
    const auto q = encode(d);
    b.mem.store().write_le(a, q[0], 8);
    b.mem.store().write_le(a + 8, q[1], 8);
  };
  QiDescriptor by_index;
  by_index.type = QiType::InterruptEntryCache;
  by_index.iec_granularity = IecGranularity::Index;
  by_index.iidx = 5;
  by_index.im = 0;
  QiDescriptor global;
  global.type = QiType::InterruptEntryCache;
  global.iec_granularity = IecGranularity::Global;
  put_desc(0x400000, by_index);
  put_desc(0x400010, global);
  auto vec = [&](unsigned index, Tick at) {
    return b.drv.msi_at(at, kRid, msi_remappable_address(static_cast<std::uint16_t>(index), false), 0).vector;
  };
  std::vector<std::uint32_t> v;
  std::vector<bool> cached;
  sc_core::sc_spawn([&] {
    enable_ir(b, false);
    b.drv.write(reg::kIqa, 0x400000, 8);
    b.drv.write(reg::kGcmd, reg::kGcmdIre | (1u << 26));  // QIE, IRE kept
    for (unsigned i = 4; i <= 6; ++i) v.push_back(vec(i, now_tick() + 100 * kNs));
    for (unsigned i = 4; i <= 6; ++i) put_irte(b, i, remapped(static_cast<std::uint8_t>(0x50 + i), 3, false));
    v.push_back(vec(5, now_tick() + 100 * kNs));  // stale: still cached
    b.drv.write(reg::kIqt, 0x10, 8);               // index-selective, IIDX 5
    sc_core::wait(to_sc_time(1000 * kNs));
    for (unsigned i = 4; i <= 6; ++i) cached.push_back(b.unit.iec().contains(static_cast<std::uint16_t>(i)));
    v.push_back(vec(5, now_tick() + 100 * kNs));  // re-read: new vector
    v.push_back(vec(6, now_tick() + 100 * kNs));  // still the cached one
    b.drv.write(reg::kIqt, 0x20, 8);               // global
    sc_core::wait(to_sc_time(1000 * kNs));
    cached.push_back(b.unit.iec().size() == 0);
    v.push_back(vec(6, now_tick() + 100 * kNs));
  });
  sc_core::sc_start();
  CHECK(v == std::vector<std::uint32_t>{0x44, 0x45, 0x46, 0x45, 0x55, 0x46, 0x56});
  CHECK(cached == std::vector<bool>{true, false, true, true});
  CHECK(b.counter("ir.iec_invalidations").value() == 2);
}

TEST_CASE("ir: SIRTP invalidates the interrupt entry cache only with CAP.ESIRTPS", "[system][ir]") {
  Bench b("unit: {features: {esirtps: true}}");
  put_irte(b, 5, remapped(0x45, 3, false));
  std::vector<std::uint32_t> v;
  std::uint64_t cap = 0;
  sc_core::sc_spawn([&] {
    cap = b.drv.read(reg::kCap, 8);
    enable_ir(b, false);
    v.push_back(b.drv.msi_at(100 * kNs, kRid, msi_remappable_address(5, false), 0).vector);
    put_irte(b, 5, remapped(0x55, 3, false));
    v.push_back(b.drv.msi_at(200 * kNs, kRid, msi_remappable_address(5, false), 0).vector);
    b.drv.write(reg::kGcmd, reg::kGcmdIre | reg::kGcmdSirtp);
    v.push_back(b.drv.msi_at(300 * kNs, kRid, msi_remappable_address(5, false), 0).vector);
  });
  sc_core::sc_start();
  CHECK((cap >> reg::kCapEsirtps) & 1);
  CHECK(v == std::vector<std::uint32_t>{0x45, 0x45, 0x55});
  CHECK(b.counter("ir.iec_invalidations").value() == 2);  // both SIRTPs
}

TEST_CASE("ir: without ESIRTPS a new table pointer leaves the cache as it was", "[system][ir]") {
  Bench b;
  put_irte(b, 5, remapped(0x45, 3, false));
  std::vector<std::uint32_t> v;
  sc_core::sc_spawn([&] {
    enable_ir(b, false);
    v.push_back(b.drv.msi_at(100 * kNs, kRid, msi_remappable_address(5, false), 0).vector);
    put_irte(b, 5, remapped(0x55, 3, false));
    b.drv.write(reg::kGcmd, reg::kGcmdIre | reg::kGcmdSirtp);
    v.push_back(b.drv.msi_at(300 * kNs, kRid, msi_remappable_address(5, false), 0).vector);
  });
  sc_core::sc_start();
  CHECK(v == std::vector<std::uint32_t>{0x45, 0x45});  // software must invalidate the IEC
  CHECK(b.counter("ir.iec_invalidations").value() == 0);
}

// memory_latency_ns (the unit's uncore path): the IRTE read reaches memory
// half of it later and the interrupt is delivered the other half after
// memory answered.
TEST_CASE("ir: an IRTE read pays the unit's memory_latency_ns like a table read", "[system][ir][timing]") {
  Bench b("unit: {memory_latency_ns: 30}");
  put_irte(b, 5, remapped(0x45, 3, false));
  Driver::MsiResult r{};
  sc_core::sc_spawn([&] {
    enable_ir(b, false);
    r = b.drv.msi_at(1000 * kNs, kRid, msi_remappable_address(5, false), 0);
  });
  sc_core::sc_start();
  const auto& s = b.walk_probe.seen;
  REQUIRE(s.size() == 1);
  CHECK(s[0].arrival == (1000 + 2 + 1 + 15) * kNs);
  REQUIRE(r.ok);
  CHECK(r.done == s[0].done + 15 * kNs);
}
