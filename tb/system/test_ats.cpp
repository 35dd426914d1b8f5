// ATS (PCIe chapter 10) against the remapping unit: translation requests and
// their completions under each context TT (VT-d 9.3: only TT = 01b allows
// translation and translated requests), and the completion data format.
// The endpoint side (device TLB, fallbacks, invalidation, ITE/ICE) runs end to
// end in tb/system/test_runs.cpp with traces/examples/ats.trace.
#include <catch2/catch.hpp>

#include "iommu_bench.h"
#include "vtd/ats_completion.h"

using namespace iommusim;
using namespace iommusim::bench;

TEST_CASE("ats: completion entries and ranges encode as PCIe 10.2.3 says", "[unit][ats]") {
  AtsCompletion c;
  c.addr = 0x800000;
  c.r = c.w = true;
  CHECK(c.encode() == 0x800003);  // S = 0: 4 KiB
  c.addr = 0xa00000;
  c.shift = 21;
  c.w = false;
  // 2 MiB: S (bit 11), address bits 19:12 set, bit 20 clear.
  CHECK(c.encode() == (0xa00000u | 0xff000u | 1u << 11 | 1u));
  const AtsCompletion d = AtsCompletion::decode(c.encode());
  CHECK(d.addr == 0xa00000);
  CHECK(d.shift == 21);
  CHECK(d.r);
  CHECK_FALSE(d.w);
  CHECK_FALSE(d.u);
  // Flag bits.
  AtsCompletion f;
  f.u = f.n = f.exe = f.priv = f.global = true;
  CHECK(f.encode() == (1u << 2 | 1u << 10 | 1u << 3 | 1u << 4 | 1u << 5));
  // Ranges: 8 KiB (bit 12 clear), the whole space (bits 62:12 set).
  AtsRange r = decode_ats_range(0x2000, true);
  CHECK(r.base == 0x2000);
  CHECK(r.shift == 13);
  r = decode_ats_range(0x1000, true);  // bit 12 set, bit 13 clear: 16 KiB at 0
  CHECK(r.base == 0x0);
  CHECK(r.shift == 14);
  CHECK(decode_ats_range(0x7ffffffffffff000ull, true).shift == 64);
  CHECK(decode_ats_range(0x7ffffffffffff000ull, true).contains(0x1234));
  CHECK(encode_ats_range(0, 64) == 0x7ffffffffffff000ull);
  CHECK(encode_ats_range(0x40200000, 21) == 0x402ff000ull);
  CHECK(decode_ats_range(0x40200abc, false).base == 0x40200000);
  CHECK(decode_ats_range(0x40200abc, false).shift == 12);
}

namespace {

constexpr std::uint16_t kRid = 0x0018;

void setup(Bench& b, std::uint8_t tt) {
  const Addr top = b.tables.new_domain_table();
  ContextEntry ce = b.context(1, top);
  ce.tt = tt;
  b.tables.set_context(kRid, ce);
  b.tables.map(top, 0x40000000, 0x800000, 12, true, true);   // RW
  b.tables.map(top, 0x40001000, 0x801000, 12, true, false);  // read-only
  b.tables.map(top, 0x40200000, 0xa00000, 21, true, true);   // 2 MiB
}

}  // namespace

TEST_CASE("ats: with TT = 01b a translation request gets what the tables grant", "[system][ats]") {
  Bench b;
  setup(b, kTtDeviceTlb);
  std::vector<Driver::AtsResult> r;
  sc_core::sc_spawn([&] {
    b.enable();
    r.push_back(b.drv.translate_at(1000 * kNs, kRid, 0x40000010));  // RW 4 KiB
    r.push_back(b.drv.translate_at(2000 * kNs, kRid, 0x40001000));  // read-only
    r.push_back(b.drv.translate_at(3000 * kNs, kRid, 0x40200040));  // 2 MiB
    r.push_back(b.drv.translate_at(4000 * kNs, kRid, 0x40002000));  // not present
    r.push_back(b.drv.translate_at(5000 * kNs, kRid, 0x40000800));  // IOTLB hit
  });
  sc_core::sc_start();
  REQUIRE(r.size() == 5);
  for (const auto& x : r) CHECK(x.ok);
  CHECK(r[0].completion == 0x800003);
  CHECK(r[1].completion == 0x801001);
  CHECK(r[2].completion == (0xa00000u | 0xff000u | 1u << 11 | 3u));
  CHECK(r[3].completion == 0);  // R = W = 0: no access, and no fault
  CHECK(r[4].completion == 0x800003);
  // The hit costs pipeline + context cache + IOTLB: 4 cycles.
  CHECK(r[4].done == (5000 + 4) * kNs);
  CHECK(b.sink.seen.empty());  // nothing reaches memory
  CHECK(b.counter("faults").value() == 0);
  CHECK(b.counter("ats.translation_requests").value() == 5);
  CHECK(b.counter("ats.no_access").value() == 1);
  CHECK(b.counter("iotlb_hits").value() == 1);
}

TEST_CASE("ats: TT = 00b and 10b block translation and translated requests with 0xD", "[system][ats]") {
  // Both TT values on one bench (one elaboration per process): 00:03.0 has
  // TT = 00b, 00:04.0 TT = 10b.
  Bench b;
  const Addr top = b.tables.new_domain_table();
  b.tables.map(top, 0x40000000, 0x800000, 12, true, true);
  ContextEntry ce = b.context(1, top);
  b.tables.set_context(0x0018, ce);  // TT = 00b
  ce.tt = kTtPassThrough;
  b.tables.set_context(0x0020, ce);  // TT = 10b
  std::vector<Driver::AtsResult> r;
  std::vector<Driver::Result> d;
  std::uint64_t frcd_hi = 0;
  sc_core::sc_spawn([&] {
    b.enable();
    r.push_back(b.drv.translate_at(1000 * kNs, 0x0018, 0x40000000));
    r.push_back(b.drv.translate_at(2000 * kNs, 0x0020, 0x40000000));
    frcd_hi = b.drv.read(0x108, 8);
    // A translated request (AT = 10b) is blocked the same way; untranslated
    // requests translate (TT = 00b) or pass through (TT = 10b).
    d.push_back(b.drv.dma_at(3000 * kNs, 0x0018, 0x40000000, false));
  });
  sc_core::sc_start();
  REQUIRE(r.size() == 2);
  CHECK_FALSE(r[0].ok);
  CHECK(r[0].fault == 0xD);
  CHECK_FALSE(r[1].ok);
  CHECK(r[1].fault == 0xD);
  CHECK(((frcd_hi >> reg::kFrcdFrShift) & 0xff) == 0xD);
  CHECK(((frcd_hi >> reg::kFrcdAtShift) & 3) == 1);  // AT = translation request (ECAP.DT)
  CHECK(d[0].ok);
  CHECK(b.counter("ats.unsupported").value() == 2);
}

TEST_CASE("ats: with translation disabled a request translates to itself", "[system][ats]") {
  Bench b;
  Driver::AtsResult r{};
  sc_core::sc_spawn([&] { r = b.drv.translate_at(100 * kNs, kRid, 0x12345678); });
  sc_core::sc_start();
  REQUIRE(r.ok);
  CHECK(r.completion == 0x12345003);
  CHECK(r.done == 100 * kNs);
}

TEST_CASE("ats: an invalidate request reaches the endpoint, and its completion gates the wait",
          "[system][ats][qi]") {
  // Device-TLB invalidate descriptor, then a wait: the bench's ATS sink
  // answers at once, so the wait follows the descriptor by its costs only.
  Bench b;
  auto put = [&](Addr a, std::uint64_t v) { b.mem.store().write_le(a, v, 8); };
  put(0x400000, 0x1800000003);  // device-TLB, SID 00:03.0
  put(0x400008, 0x40200000 | 0xff000 | 1);  // S = 1: 2 MiB at 0x40200000
  put(0x400010, 0x700000025);   // wait: SW, status 7
  put(0x400018, 0x500000);
  sc_core::sc_spawn([&] {
    b.drv.write(reg::kIqa, 0x400000, 8);
    b.drv.write(reg::kGcmd, 1u << 26);
    b.drv.write(reg::kIqt, 0x20, 8);
  });
  sc_core::sc_start();
  REQUIRE(b.ats_sink.seen.size() == 1);
  const Addr body = b.ats_sink.seen[0].first;
  const AtsRange range = decode_ats_range(body, (body >> 11) & 1);
  CHECK(range.base == 0x40200000);
  CHECK(range.shift == 21);
  CHECK(b.mem.store().read_le(0x500000, 4) == 7);
  CHECK(b.counter("devtlb_invalidations").value() == 1);
  CHECK(b.counter("devtlb_timeouts").value() == 0);
}
