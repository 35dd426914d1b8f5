// The host driver model's DMA API: the exact action lists a SystemC shell
// will perform, per domain type and invalidation policy, and a property test
// that replays the actions into memory and checks translation and IOVA reuse.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fake_table_memory.h"
#include "host/dma_api.h"
#include "iommu/sl_walker.h"

using namespace iommusim;
using iommusim::test::FakeTableMemory;

namespace {

constexpr Tick kMs = 1000ull * 1000 * kPsPerNs;
const Bdf kDev{0, 0, 3, 0};  // 00:03.0
const Bdf kDev2{0, 0, 4, 0};  // 00:04.0

std::vector<std::string> strs(const DriverActions& a) {
  std::vector<std::string> v;
  for (const auto& x : a) v.push_back(x.str());
  return v;
}

}  // namespace

TEST_CASE("driver: DMA API map and strict unmap, action by action", "[unit][driver]") {
  DmaApiParams p;
  p.flush.strict = true;
  DmaApi api(p);
  const DomainId d = api.create_domain(DomainType::Dma, 1);
  api.attach(kDev, d);  // 32-bit DMA mask
  const ContextEntry ce = api.context_entry(kDev);
  CHECK(ce.present);
  CHECK(ce.tt == kTtUntranslatedOnly);
  CHECK(ce.slptptr == 0x40000000);
  CHECK(ce.aw == kAw48);
  CHECK(ce.did == 1);

  DmaMapResult m = api.map(kDev, 0x12345678, 0x100, DmaDirection::ToDevice);
  REQUIRE(m.ok);
  CHECK(m.dma_addr == 0xfffff678);  // the top page below 4 GiB, plus pa's offset
  CHECK(strs(m.actions) == std::vector<std::string>{
                               "write 0x40000000 = 0x40001003",  // SL-PML4E[0]
                               "write 0x40001018 = 0x40002003",  // SL-PDPE[3]
                               "write 0x40002ff8 = 0x40003003",  // SL-PDE[511]
                               "write 0x40003ff8 = 0x12345001",  // SL-PTE[511]: read only (to device)
                           });
  // Crossing a page boundary takes two pages; from-device is write only.
  DmaMapResult m2 = api.map(kDev, 0x20000ff0, 0x20, DmaDirection::FromDevice);
  REQUIRE(m2.ok);
  CHECK(m2.dma_addr == 0xffffcff0);  // 2 pages: rounded to 2, aligned to 2
  CHECK(strs(m2.actions) == std::vector<std::string>{"write 0x40003fe0 = 0x20000002",
                                                     "write 0x40003fe8 = 0x20001002"});
  CHECK(api.live_mappings(d) == 2);

  DriverActions u = api.unmap(0, kDev, 0xfffff678, 0x100);
  CHECK(strs(u) == std::vector<std::string>{
                       "write 0x40003ff8 = 0x0",
                       "invalidate page did=1 addr=0xfffff000 am=0 ih=1",
                       "wait",
                       "free_iova did=1 [0xfffff000, 0x100000000)",
                   });
  CHECK(u[1].flush.descriptor().iotlb_granularity == IotlbGranularity::Page);
  u = api.unmap(0, kDev, 0xffffcff0, 0x20);
  CHECK(strs(u) == std::vector<std::string>{
                       "write 0x40003fe0 = 0x0",
                       "write 0x40003fe8 = 0x0",
                       "invalidate page did=1 addr=0xffffc000 am=1 ih=1",
                       "wait",
                       "free_iova did=1 [0xffffc000, 0xffffe000)",
                   });
  CHECK_FALSE(api.next_deadline());
  CHECK(api.stats().maps == 2);
  CHECK(api.stats().unmaps == 2);
  CHECK(api.stats().writes == 9);
  CHECK(api.stats().invalidations == 2);
  CHECK(api.stats().waits == 2);
  CHECK(api.stats().iova_frees == 2);
  CHECK(api.stats().bytes_mapped == 0x120);

  // Unmaps that match no mapping are logic errors.
  CHECK_THROWS_WITH(api.unmap(0, kDev, 0xfffff678, 0x100),
                    "unmap for 00:03.0 of [0xfffff678, 0xfffff778): no DMA mapping starts at IOVA 0xfffff000");
  m = api.map(kDev, 0x5000, 0x2000, DmaDirection::Bidirectional);
  CHECK_THROWS_WITH(api.unmap(0, kDev, m.dma_addr, 0x1000),
                    "unmap for 00:03.0 of [0xffffc000, 0xffffd000): 1 pages, but the mapping at 0xffffc000 has 2");
  CHECK_THROWS_AS(api.map(kDev2, 0x5000, 0x1000, DmaDirection::ToDevice), std::invalid_argument);
  CHECK_THROWS_AS(api.map(kDev, 0x5000, 0, DmaDirection::ToDevice), std::invalid_argument);
}

TEST_CASE("driver: DMA API lazy unmap defers the flush and the IOVA free", "[unit][driver]") {
  DmaApiParams p;
  p.map_cpu_ns = 100;
  p.unmap_cpu_ns = 50;
  p.inv_wait_cpu_ns = 1000;
  DmaApi api(p);
  const DomainId d = api.create_domain(DomainType::Dma, 4);
  api.attach(kDev, d);
  const DmaMapResult a = api.map(kDev, 0x100000, 0x1000, DmaDirection::Bidirectional);
  CHECK(strs(a.actions).front() == "cpu map 100000 ps");
  DriverActions u = api.unmap(1 * kMs, kDev, a.dma_addr, 0x1000);
  CHECK(strs(u) == std::vector<std::string>{"cpu unmap 50000 ps", "write 0x40003ff8 = 0x0"});
  CHECK(*api.next_deadline() == 11 * kMs);
  // The queued IOVA stays allocated: the next map gets another one.
  const DmaMapResult b = api.map(kDev, 0x200000, 0x1000, DmaDirection::Bidirectional);
  CHECK(a.dma_addr == 0xfffff000);
  CHECK(b.dma_addr == 0xffffe000);
  api.unmap(2 * kMs, kDev, b.dma_addr, 0x1000);
  CHECK(api.on_time(11 * kMs - 1).empty());
  CHECK(strs(api.on_time(11 * kMs)) == std::vector<std::string>{
                                            "invalidate domain did=4",
                                            "wait",
                                            "cpu invalidation_wait 1000000 ps",
                                            "free_iova did=4 [0xfffff000, 0x100000000)",
                                            "free_iova did=4 [0xffffe000, 0xfffff000)",
                                        });
  // Freed IOVAs come back from the cache, most recent first.
  CHECK(api.map(kDev, 0x300000, 0x1000, DmaDirection::ToDevice).dma_addr == 0xffffe000);
  CHECK(api.iova_allocator(d)->stats().cache_hits == 1);
  CHECK(api.flush_queue().stats().timeout_flushes == 1);
  CHECK(api.flush_queue().stats().dsi == 1);

  // A device with live mappings cannot move; another in the same domain can.
  const DomainId other = api.create_domain(DomainType::Identity, 8);
  api.attach(kDev2, d);
  CHECK_THROWS_WITH(api.attach(kDev, other), "attach 00:03.0 to domain 1: it still has DMA mappings in domain 0");
  api.attach(kDev2, other);
  CHECK(api.context_entry(kDev2).tt == kTtPassThrough);
}

TEST_CASE("driver: DMA API identity, blocked and unmanaged domains", "[unit][driver]") {
  DmaApi api;
  const DomainId id = api.create_domain(DomainType::Identity, 2);
  const DomainId bl = api.create_domain(DomainType::Blocked, 3);
  const DomainId um = api.create_domain(DomainType::Unmanaged, 5);
  const DomainId dma = api.create_domain(DomainType::Dma, 6);
  CHECK_THROWS_AS(api.create_domain(DomainType::Dma, 6), std::invalid_argument);
  CHECK(api.page_table(id) == nullptr);
  CHECK(api.iova_allocator(um) == nullptr);

  // Identity: DMA addresses are physical; nothing is written.
  api.attach(kDev, id);
  DmaMapResult m = api.map(kDev, 0x12345678, 0x100, DmaDirection::ToDevice);
  CHECK(m.ok);
  CHECK(m.dma_addr == 0x12345678);
  CHECK(m.actions.empty());
  CHECK(api.unmap(0, kDev, 0x12345678, 0x100).empty());
  ContextEntry ce = api.context_entry(kDev);
  CHECK(ce.present);
  CHECK(ce.tt == kTtPassThrough);
  CHECK(ce.did == 2);
  m = api.map(kDev, 0xfffff000, 0x2000, DmaDirection::ToDevice);  // beyond the 32-bit mask
  CHECK_FALSE(m.ok);
  CHECK(m.error ==
        "map for 00:03.0: [0xfffff000, 0x100001000) is beyond the DMA mask 0xffffffff (bounce buffers are not modelled)");

  // Blocked: no DMA at all.
  api.attach(kDev, bl);
  CHECK_FALSE(api.context_entry(kDev).present);
  CHECK_THROWS_WITH(api.map(kDev, 0x1000, 0x1000, DmaDirection::ToDevice),
                    "map for 00:03.0: domain 1 (DID 3) is blocked; DMA is not allowed");

  // Unmanaged: fixed IOVAs, superpages, always strict.
  api.attach(kDev, um);
  CHECK_THROWS_WITH(api.map(kDev, 0x1000, 0x1000, DmaDirection::ToDevice),
                    "map for 00:03.0: domain 2 (DID 5) is unmanaged; its user maps fixed IOVAs (map_fixed)");
  CHECK_THROWS_AS(api.map_fixed(dma, 0x1000, 0x1000, 0x1000, DmaPerm{}), std::logic_error);
  const Addr root = api.page_table(um)->root();
  DriverActions a = api.map_fixed(um, 0x40000000, 0x80000000, 0x201000, DmaPerm{true, true});
  CHECK(strs(a) == std::vector<std::string>{
                       fmt::format("write {:#x} = {:#x}", root, root + 0x2000 + 3),
                       fmt::format("write {:#x} = {:#x}", root + 0x2000 + 8, root + 0x3000 + 3),
                       fmt::format("write {:#x} = 0x80000083", root + 0x3000),
                       fmt::format("write {:#x} = {:#x}", root + 0x3000 + 8, root + 0x4000 + 3),
                       fmt::format("write {:#x} = 0x80200003", root + 0x4000),
                   });
  a = api.unmap_fixed(um, 0x40000000, 0x201000);
  CHECK(strs(a) == std::vector<std::string>{
                       fmt::format("write {:#x} = 0x0", root + 0x3000),
                       fmt::format("write {:#x} = 0x0", root + 0x4000),
                       "invalidate page did=5 addr=0x40000000 am=10 ih=1",
                       "wait",
                   });
  CHECK(api.unmap_fixed(um, 0x40000000, 0x1000).empty());  // nothing mapped: nothing to do
  // An empty table under a 2 MiB slot is replaced at once, then released.
  a = api.map_fixed(um, 0x40000000, 0x80000000, 0x200000, DmaPerm{true, false});
  CHECK(strs(a) == std::vector<std::string>{
                       fmt::format("write {:#x} = 0x80000081", root + 0x3000),
                   });
  api.map_fixed(um, 0x40200000, 0x5000, 0x1000, DmaPerm{false, true});
  api.unmap_fixed(um, 0x40200000, 0x1000);
  a = api.map_fixed(um, 0x40200000, 0x80200000, 0x200000, DmaPerm{true, true});
  CHECK(strs(a) == std::vector<std::string>{
                       fmt::format("write {:#x} = 0x80200083", root + 0x3000 + 8),
                       "invalidate page did=5 addr=0x40200000 am=9 ih=0",
                       "wait",
                       "release_tables did=5 pages=1",
                   });
  CHECK(api.table_pool().in_use() == 4);  // two roots, SL-PDPT, SL-PD (the SL-PT went back)
  CHECK(api.stats().fixed_maps == 4);
  CHECK(api.stats().table_releases == 1);
}

TEST_CASE("driver: DMA API 64-bit devices try below 4 GiB first until it fails once", "[unit][driver]") {
  DmaApi api;
  const DomainId d = api.create_domain(DomainType::Dma, 1);
  api.attach(kDev, d, (uint64_t{1} << 48) - 1);
  CHECK(api.tries_32bit_first(kDev));
  // 256 MiB buffers: 14 fit below 4 GiB (pfn 0 and the MSI window spoil the
  // first and last 256 MiB).
  std::vector<Addr> got;
  for (int i = 0; i < 16; ++i) {
    const DmaMapResult m = api.map(kDev, Addr(i) << 28, 1ull << 28, DmaDirection::Bidirectional);
    REQUIRE(m.ok);
    got.push_back(m.dma_addr);
  }
  CHECK(got[0] == 0xe0000000);
  CHECK(got[13] == 0x10000000);
  CHECK(got[14] == 0xfffff0000000);  // the top of the 48-bit space
  CHECK(got[15] == 0xffffe0000000);
  CHECK_FALSE(api.tries_32bit_first(kDev));
  CHECK(api.stats().dac_fallbacks == 1);
  CHECK(api.page_table(d)->stats().leaves_2m == 16 * 128);

  // With iommu.forcedac the first map already goes to the top.
  DmaApiParams p;
  p.forcedac = true;
  DmaApi f(p);
  f.attach(kDev, f.create_domain(DomainType::Dma, 1), (uint64_t{1} << 48) - 1);
  CHECK(f.map(kDev, 0x1000, 0x1000, DmaDirection::ToDevice).dma_addr == 0xfffffffff000);

  // The MSI window is never handed out.
  DmaApi w;
  w.attach(kDev, w.create_domain(DomainType::Dma, 1), 0xfeefffff);
  CHECK(w.map(kDev, 0x1000, 0x1000, DmaDirection::ToDevice).dma_addr == 0xfedff000);

  // Caching mode: every map is invalidated too.
  DmaApiParams c;
  c.caching_mode = true;
  DmaApi cm(c);
  cm.attach(kDev, cm.create_domain(DomainType::Dma, 9));
  const DmaMapResult m = cm.map(kDev, 0x1000, 0x1000, DmaDirection::ToDevice);
  CHECK(strs(m.actions).back() == "wait");
  CHECK(strs(m.actions)[4] == "invalidate page did=9 addr=0xfffff000 am=0 ih=0");

  // Out of table pages: the map fails and gives its IOVA back.
  DmaApiParams t;
  t.table_pool_bytes = 3 * 4096;
  DmaApi tiny(t);
  const DomainId td = tiny.create_domain(DomainType::Dma, 1);
  tiny.attach(kDev, td);
  const DmaMapResult bad = tiny.map(kDev, 0x1000, 0x1000, DmaDirection::ToDevice);
  CHECK_FALSE(bad.ok);
  CHECK(bad.error ==
        "map for 00:03.0: map [0xfffff000, 0x100000000): needs 3 table pages, the pool at 0x40000000 has 2 left");
  CHECK(tiny.live_mappings(td) == 0);
  CHECK_FALSE(tiny.iova_allocator(td)->is_allocated(IovaRange{0xfffff, 1}));
  CHECK(tiny.stats().map_failures == 1);
}

TEST_CASE("driver: DMA API property: mappings translate, and no IOVA is freed before it is invalidated",
          "[unit][driver]") {
  for (int variant = 0; variant < 3; ++variant) {
    std::mt19937_64 rng(100 + variant);
    DmaApiParams p;
    p.flush.strict = variant == 0;
    p.flush.entries = 4;
    p.flush.timeout = 50 * kPsPerNs;
    p.flush.global_flush = variant == 2;
    p.page_table.free_tables_on_unmap = variant != 1;
    p.iova.rcache_capacity = 64;
    DmaApi api(p);
    const DomainId d1 = api.create_domain(DomainType::Dma, 1);
    const DomainId d2 = api.create_domain(DomainType::Dma, 2);
    api.attach(kDev, d1);                              // 32-bit
    api.attach(kDev2, d2, (uint64_t{1} << 39) - 1);    // 39-bit
    const uint16_t dids[2] = {1, 2};
    const Bdf devs[2] = {kDev, kDev2};
    FakeTableMemory mem;
    // Per DID: IOVA pages unmapped but not yet invalidated.
    std::map<uint16_t, std::set<uint64_t>> stale;
    struct Live {
      Addr dma;
      uint64_t size;
      Addr pa;
      DmaDirection dir;
    };
    std::vector<Live> live[2];
    Tick now = 0;

    auto apply = [&](const DriverActions& acts) {
      for (const auto& a : acts) {
        switch (a.kind) {
          case DriverAction::Kind::Write: mem.mem[a.pa] = a.value; break;
          case DriverAction::Kind::Invalidate:
            if (a.flush.scope == FlushScope::Global) {
              stale.clear();
            } else if (a.flush.scope == FlushScope::Domain) {
              stale[a.flush.did].clear();
            } else {
              auto& s = stale[a.flush.did];
              for (auto it = s.lower_bound(a.flush.first() >> 12); it != s.end() && *it <= (a.flush.last() >> 12);)
                it = s.erase(it);
            }
            break;
          case DriverAction::Kind::FreeIova:
            for (uint64_t pfn = a.iova.pfn; pfn <= a.iova.last_pfn(); ++pfn) REQUIRE(stale[a.did].count(pfn) == 0);
            break;
          default: break;
        }
      }
    };

    for (int op = 0; op < 1500; ++op) {
      now += rng() % (20 * kPsPerNs);
      while (api.next_deadline() && *api.next_deadline() <= now) apply(api.on_time(*api.next_deadline()));
      const int i = static_cast<int>(rng() % 2);
      if (live[i].empty() || rng() % 100 < 55) {
        Live l;
        const bool big = rng() % 10 == 0;
        l.size = big ? (1 + rng() % 3) * 0x200000 : 1 + rng() % 0x9000;
        l.pa = big ? (rng() % 1024) << 21 : rng() % (uint64_t{1} << 34);
        l.dir = static_cast<DmaDirection>(rng() % 3);
        const DmaMapResult m = api.map(devs[i], l.pa, l.size, l.dir);
        REQUIRE(m.ok);
        l.dma = m.dma_addr;
        apply(m.actions);
        REQUIRE((l.dma & 0xfff) == (l.pa & 0xfff));
        for (const auto& o : live[i]) REQUIRE((o.dma + o.size <= l.dma || l.dma + l.size <= o.dma));
        // No new mapping on a page whose old translation may still be cached.
        for (Addr a = l.dma & ~Addr{0xfff}; a < l.dma + l.size; a += 0x1000)
          REQUIRE(stale[dids[i]].count(a >> 12) == 0);
        live[i].push_back(l);
      } else {
        const std::size_t k = rng() % live[i].size();
        const Live l = live[i][k];
        live[i].erase(live[i].begin() + static_cast<long>(k));
        for (Addr a = l.dma & ~Addr{0xfff}; a < l.dma + l.size; a += 0x1000) stale[dids[i]].insert(a >> 12);
        apply(api.unmap(now, devs[i], l.dma, l.size));
        SlWalkParams wp;
        wp.table = api.page_table(i == 0 ? d1 : d2)->root();
        wp.haw = 52;
        CHECK_FALSE(walk_second_level(mem, wp, l.dma, false, true).ok);
      }
      // Every live mapping translates from memory as the walker reads it.
      if (op % 50 == 0)
        for (int j = 0; j < 2; ++j)
          for (const auto& l : live[j]) {
            SlWalkParams wp;
            wp.table = api.page_table(j == 0 ? d1 : d2)->root();
            wp.haw = 52;
            const bool r = l.dir != DmaDirection::FromDevice, w = l.dir != DmaDirection::ToDevice;
            for (Addr off : {Addr{0}, l.size - 1}) {
              const SlWalkResult res = walk_second_level(mem, wp, l.dma + off, w, r);
              REQUIRE(res.ok);
              REQUIRE(res.pa == l.pa + off);
            }
          }
    }
    apply(api.drain(now));
    CHECK(api.flush_queue().total_depth() == 0);
    CHECK(api.stats().maps == api.stats().unmaps + live[0].size() + live[1].size());
    CHECK(api.stats().iova_frees == api.stats().unmaps);
    if (variant != 1) CHECK(api.page_table(d1)->pending_release() == 0);
    CHECK(api.page_table(d1)->stats().leaves_2m > 0);
    if (variant != 0) {
      CHECK(api.flush_queue().stats().full_flushes > 0);
      CHECK(api.flush_queue().stats().timeout_flushes > 0);
    }
    CHECK(api.iova_allocator(d1)->stats().cache_hits > 0);
    CHECK(api.stats().dac_fallbacks == 0);
  }
}
