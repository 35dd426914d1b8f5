// The host driver model's invalidation policy: page-selective coverage of a
// range, strict invalidation, and the lazy flush queue with its timer.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "host/flush_queue.h"
#include "host/iotlb_flush.h"
#include "vtd/qi_descriptor.h"

using namespace iommusim;

namespace {

constexpr Tick kMs = 1000ull * 1000 * kPsPerNs;

UnmapNotice notice(uint16_t did, uint64_t pfn, uint64_t pages = 1) {
  UnmapNotice n;
  n.did = did;
  n.iova = pfn << 12;
  n.bytes = pages << 12;
  n.alloc = IovaRange{pfn, pages};
  return n;
}

std::vector<uint64_t> released_pfns(const FlushActions& a) {
  std::vector<uint64_t> v;
  for (const auto& r : a.releases) v.push_back(r.alloc.pfn);
  return v;
}

}  // namespace

TEST_CASE("driver: page-selective invalidation covers a range with one aligned mask", "[unit][driver]") {
  CHECK(psi_cover(0x1000, 0x1000) == PsiCover{0x1000, 0});
  CHECK(psi_cover(0x1234, 0x10) == PsiCover{0x1000, 0});
  CHECK(psi_cover(0x8000, 0x8000) == PsiCover{0x8000, 3});
  CHECK(psi_cover(0x200000, 0x200000) == PsiCover{0x200000, 9});
  // 3 pages at pfn 3: 4 pages would start at pfn 3, unaligned; pfns 3..5
  // agree from bit 3 up, so 8 pages at pfn 0.
  CHECK(psi_cover(0x3000, 0x3000) == PsiCover{0x0, 3});
  CHECK(psi_cover(0x7000, 0x2000) == PsiCover{0x0, 4});
  CHECK(psi_cover(0xfffff000, 0x2000) == PsiCover{0x0, 21});

  FlushCaps caps;  // PSI, MAMV 18, DRD, DWD
  IotlbFlush f = flush_for_range(7, 0x3000, 0x3000, true, caps);
  CHECK(f.scope == FlushScope::Page);
  CHECK(f.did == 7);
  CHECK(f.addr == 0);
  CHECK(f.am == 3);
  CHECK(f.ih);
  CHECK(f.dr);
  CHECK(f.dw);
  CHECK(f.last() == 0x7fff);
  // Beyond MAMV, or without PSI: domain-selective.
  CHECK(flush_for_range(7, 0, uint64_t{1} << 31, true, caps) == flush_domain(7, caps));
  caps.psi = false;
  CHECK(flush_for_range(7, 0x1000, 0x1000, true, caps).scope == FlushScope::Domain);

  // The descriptor decodes back to the same request.
  for (const IotlbFlush& x : {flush_for_range(9, 0x40000000, 0x200000, false, FlushCaps{}),
                              flush_domain(9, FlushCaps{}), flush_global(FlushCaps{})}) {
    const QiDescriptor d = x.descriptor();
    const auto q = encode(d);
    const QiDecode back = decode_qi_descriptor(q.data(), false, QiCaps{});
    REQUIRE(back.ok());
    CHECK(back.desc == d);
    CHECK(back.desc.type == QiType::Iotlb);
  }
  const QiDescriptor d = flush_for_range(9, 0x40000000, 0x200000, false, FlushCaps{}).descriptor();
  CHECK(d.iotlb_granularity == IotlbGranularity::Page);
  CHECK(d.addr == 0x40000000);
  CHECK(d.am == 9);
  CHECK(d.did == 9);
}

TEST_CASE("driver: strict invalidation flushes each unmap before freeing it", "[unit][driver]") {
  FlushQueueParams p;
  p.strict = true;
  FlushQueue q(p);
  UnmapNotice n = notice(3, 3, 3);
  n.alloc = IovaRange{0, 4};  // allocation may be larger than what was mapped
  FlushActions a = q.on_unmap(5, n);
  REQUIRE(a.invalidations.size() == 1);
  IotlbFlush want;
  want.scope = FlushScope::Page;
  want.did = 3;
  want.addr = 0;
  want.am = 3;
  want.ih = true;
  want.dr = want.dw = true;
  CHECK(a.invalidations[0] == want);
  REQUIRE(a.releases.size() == 1);
  CHECK(a.releases[0].alloc == IovaRange{0, 4});
  CHECK(a.releases[0].unmapped_at == 5);
  // 2 GiB needs AM 19 > MAMV 18: domain-selective.
  a = q.on_unmap(6, notice(3, 0x80000, 0x80000));
  CHECK(a.invalidations == std::vector<IotlbFlush>{flush_domain(3, p.caps)});
  CHECK(q.stats().strict_invalidations == 2);
  CHECK(q.stats().psi == 1);
  CHECK(q.stats().dsi == 1);
  CHECK(q.stats().psi_fallbacks == 1);
  CHECK(q.stats().flushes == 0);
  CHECK_FALSE(q.next_deadline());
  CHECK(q.total_depth() == 0);
}

TEST_CASE("driver: lazy flush queue flushes when full and when its timer expires", "[unit][driver]") {
  FlushQueueParams p;
  p.entries = 4;
  FlushQueue q(p);
  CHECK(p.timeout == 10 * kMs);
  for (uint64_t i = 0; i < 4; ++i) CHECK(q.on_unmap((1 + i) * kMs, notice(5, 0x100 + i)).empty());
  CHECK(q.depth(5) == 4);
  CHECK(*q.next_deadline() == 11 * kMs);  // armed by the first unmap
  // The fifth finds the queue full: one domain-selective flush frees the
  // four, then the fifth is queued; the timer stays where it was.
  FlushActions a = q.on_unmap(5 * kMs, notice(5, 0x104));
  CHECK(a.invalidations == std::vector<IotlbFlush>{flush_domain(5, p.caps)});
  CHECK(released_pfns(a) == std::vector<uint64_t>{0x100, 0x101, 0x102, 0x103});
  CHECK(q.depth(5) == 1);
  CHECK(*q.next_deadline() == 11 * kMs);
  CHECK(q.on_time(11 * kMs - 1).empty());
  a = q.on_time(11 * kMs);
  CHECK(a.invalidations == std::vector<IotlbFlush>{flush_domain(5, p.caps)});
  CHECK(released_pfns(a) == std::vector<uint64_t>{0x104});
  CHECK(a.releases[0].unmapped_at == 5 * kMs);
  CHECK_FALSE(q.next_deadline());
  // An unmap after an unprocessed expiry runs the timer first.
  CHECK(q.on_unmap(12 * kMs, notice(5, 0x105)).empty());
  a = q.on_unmap(30 * kMs, notice(5, 0x106));
  CHECK(a.invalidations.size() == 1);
  CHECK(released_pfns(a) == std::vector<uint64_t>{0x105});
  CHECK(*q.next_deadline() == 40 * kMs);

  const FlushQueueStats& s = q.stats();
  CHECK(s.unmaps == 7);
  CHECK(s.flushes == 3);
  CHECK(s.full_flushes == 1);
  CHECK(s.timeout_flushes == 2);
  CHECK(s.ranges_flushed == 6);
  CHECK(s.max_ranges_per_flush == 4);
  CHECK(s.mean_ranges_per_flush() == Approx(2.0));
  CHECK(s.max_depth == 4);
  CHECK(s.dsi == 3);
  CHECK(s.empty_flushes == 0);

  // drain() flushes what is left.
  a = q.drain(31 * kMs);
  CHECK(released_pfns(a) == std::vector<uint64_t>{0x106});
  CHECK(q.total_depth() == 0);
  CHECK_FALSE(q.next_deadline());
  FlushQueueParams zero;
  zero.entries = 0;
  CHECK_THROWS_AS(FlushQueue(zero), std::invalid_argument);
}

TEST_CASE("driver: lazy flush queues are per domain, a global flush frees them all", "[unit][driver]") {
  FlushQueueParams p;
  p.entries = 2;
  FlushQueue dq(p);
  dq.on_unmap(0, notice(1, 0x10));
  dq.on_unmap(1 * kMs, notice(2, 0x20));
  dq.on_unmap(2 * kMs, notice(1, 0x11));
  FlushActions a = dq.on_unmap(3 * kMs, notice(1, 0x12));  // domain 1 full
  CHECK(a.invalidations == std::vector<IotlbFlush>{flush_domain(1, p.caps)});
  CHECK(released_pfns(a) == std::vector<uint64_t>{0x10, 0x11});
  CHECK(dq.depth(2) == 1);
  // Both timers expire: earliest first.
  a = dq.on_time(20 * kMs);
  CHECK(a.invalidations == std::vector<IotlbFlush>{flush_domain(1, p.caps), flush_domain(2, p.caps)});
  CHECK(released_pfns(a) == std::vector<uint64_t>{0x12, 0x20});

  p.global_flush = true;
  FlushQueue gq(p);
  gq.on_unmap(0, notice(1, 0x10));
  gq.on_unmap(1 * kMs, notice(2, 0x20));
  gq.on_unmap(2 * kMs, notice(1, 0x11));
  a = gq.on_unmap(3 * kMs, notice(1, 0x12));
  CHECK(a.invalidations == std::vector<IotlbFlush>{flush_global(p.caps)});
  CHECK(released_pfns(a) == std::vector<uint64_t>{0x10, 0x11, 0x20});
  a = gq.on_time(10 * kMs);  // domain 1's timer: frees 0x12
  CHECK(released_pfns(a) == std::vector<uint64_t>{0x12});
  a = gq.on_time(11 * kMs);  // domain 2's timer finds nothing, flushes anyway
  CHECK(a.invalidations == std::vector<IotlbFlush>{flush_global(p.caps)});
  CHECK(a.releases.empty());
  CHECK(gq.stats().empty_flushes == 1);
  CHECK(gq.stats().global == 3);
}

TEST_CASE("driver: flush queue property: nothing is freed before a flush covering it, nor held too long",
          "[unit][driver]") {
  for (bool global : {false, true}) {
    std::mt19937_64 rng(global ? 5 : 6);
    FlushQueueParams p;
    p.entries = 8;
    p.timeout = 1000;
    p.global_flush = global;
    FlushQueue q(p);
    Tick now = 0;
    uint64_t queued = 0, released = 0, next_pfn = 0;
    auto check = [&](const FlushActions& a, Tick at) {
      for (const auto& r : a.releases) {
        bool covered = false;
        for (const auto& f : a.invalidations)
          covered |= f.scope == FlushScope::Global || (f.scope == FlushScope::Domain && f.did == r.did);
        REQUIRE(covered);
        REQUIRE(at - r.unmapped_at <= p.timeout);
        ++released;
      }
    };
    for (int op = 0; op < 5000; ++op) {
      now += rng() % 40;
      // The shell calls on_time at each deadline.
      while (q.next_deadline() && *q.next_deadline() <= now) {
        const Tick t = *q.next_deadline();
        check(q.on_time(t), t);
      }
      const uint16_t did = static_cast<uint16_t>(1 + rng() % 3);
      check(q.on_unmap(now, notice(did, next_pfn++)), now);
      ++queued;
      for (uint16_t d = 1; d <= 3; ++d) REQUIRE(q.depth(d) <= p.entries);
      REQUIRE(queued == released + q.total_depth());
    }
    CHECK(q.stats().full_flushes > 0);
    CHECK(q.stats().timeout_flushes > 0);
    CHECK(q.stats().max_depth == p.entries);
  }
}
