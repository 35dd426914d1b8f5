// The IOMMU's caches over SetAssocCache: IOTLB (unified and split), context
// cache, paging-structure caches; lookups and every invalidation granularity.
#include <catch2/catch.hpp>

#include "common/config.h"
#include "iommu/context_cache.h"
#include "iommu/iotlb.h"
#include "iommu/paging_structure_cache.h"

using namespace iommusim;

namespace {

IotlbEntry page(Addr frame, unsigned shift) { return {frame, static_cast<std::uint8_t>(shift), true, true}; }

IotlbParams unified(std::size_t entries, std::size_t ways) {
  IotlbParams p;
  p.unified = {entries, ways, ReplacementPolicy::Lru, 1};
  return p;
}

}  // namespace

TEST_CASE("iommu: iotlb finds 4K, 2M and 1G entries by the address they cover", "[unit][iommu][iotlb]") {
  Iotlb tlb(unified(16, 0), 1);
  tlb.insert(1, 0x1000, page(0xa000, 12), 100);
  tlb.insert(1, 0x40200000, page(0x80000000, 21), 200);
  tlb.insert(2, 0x80000000, page(0x100000000, 30), 300);
  Tick ready = 0;
  const IotlbEntry* e = tlb.lookup(1, 0x1abc, &ready);
  REQUIRE(e);
  CHECK(e->frame == 0xa000);
  CHECK(ready == 100);
  e = tlb.lookup(1, 0x403fffff, &ready);  // last byte of the 2 MiB page
  REQUIRE(e);
  CHECK(e->frame == 0x80000000);
  CHECK(ready == 200);
  e = tlb.lookup(2, 0xbfffffff, &ready);
  REQUIRE(e);
  CHECK(e->shift == 30);
  CHECK(tlb.lookup(1, 0x2000, &ready) == nullptr);       // other 4K page
  CHECK(tlb.lookup(2, 0x1000, &ready) == nullptr);       // other domain
  CHECK(tlb.lookup(1, 0x80000000, &ready) == nullptr);   // 1G entry belongs to domain 2
  CHECK(tlb.hits() == 3);
  CHECK(tlb.misses() == 3);
  CHECK(tlb.hits_by_size(12) == 1);
  CHECK(tlb.hits_by_size(21) == 1);
  CHECK(tlb.hits_by_size(30) == 1);
}

TEST_CASE("iommu: iotlb split arrays hold each size apart", "[unit][iommu][iotlb]") {
  IotlbParams p;
  p.split = true;
  p.size_4k = {2, 0, ReplacementPolicy::Lru, 1};
  p.size_2m = {1, 0, ReplacementPolicy::Lru, 1};
  p.size_1g = {1, 0, ReplacementPolicy::Lru, 1};
  Iotlb tlb(p, 1);
  tlb.insert(1, 0x0000, page(0x10000, 12), 0);
  tlb.insert(1, 0x1000, page(0x11000, 12), 0);
  tlb.insert(1, 0x200000, page(0x400000, 21), 0);  // does not evict 4K entries
  CHECK(tlb.size() == 3);
  tlb.insert(1, 0x2000, page(0x12000, 12), 0);     // evicts the LRU 4K entry (0x0000)
  Tick r;
  CHECK(tlb.lookup(1, 0x0000, &r) == nullptr);
  CHECK(tlb.lookup(1, 0x1000, &r) != nullptr);
  CHECK(tlb.lookup(1, 0x200000, &r) != nullptr);
  CHECK(tlb.size() == 3);
}

TEST_CASE("iommu: iotlb invalidation removes exactly its scope", "[unit][iommu][iotlb]") {
  auto fill = [](Iotlb& t) {
    t.insert(1, 0x0000, page(0x10000, 12), 0);
    t.insert(1, 0x1000, page(0x11000, 12), 0);
    t.insert(1, 0x5000, page(0x15000, 12), 0);
    t.insert(1, 0x200000, page(0x400000, 21), 0);
    t.insert(2, 0x0000, page(0x20000, 12), 0);
  };
  Tick r;
  {
    Iotlb t(unified(32, 0), 1);
    fill(t);
    std::size_t examined = 0;
    CHECK(t.invalidate_global(&examined) == 5);
    CHECK(examined == 5);
    CHECK(t.size() == 0);
  }
  {
    Iotlb t(unified(32, 0), 1);
    fill(t);
    CHECK(t.invalidate_domain(1) == 4);
    CHECK(t.lookup(2, 0x0000, &r) != nullptr);
  }
  {
    Iotlb t(unified(32, 0), 1);
    fill(t);
    CHECK(t.invalidate_pages(1, 0x1000, 0) == 1);  // one page
    CHECK(t.lookup(1, 0x0000, &r) != nullptr);
    CHECK(t.lookup(1, 0x1000, &r) == nullptr);
    CHECK(t.lookup(2, 0x0000, &r) != nullptr);
  }
  {
    Iotlb t(unified(32, 0), 1);
    fill(t);
    // AM = 3: the 8 pages 0x0000-0x7fff; the 2M page at 0x200000 stays.
    CHECK(t.invalidate_pages(1, 0x3000, 3) == 3);
    CHECK(t.lookup(1, 0x200000, &r) != nullptr);
    CHECK(t.lookup(2, 0x0000, &r) != nullptr);
  }
  {
    Iotlb t(unified(32, 0), 1);
    fill(t);
    // A 4K invalidation inside a 2M page removes the 2M entry.
    CHECK(t.invalidate_pages(1, 0x3ff000, 0) == 1);
    CHECK(t.lookup(1, 0x200000, &r) == nullptr);
  }
}

TEST_CASE("iommu: a stale iotlb entry keeps translating until invalidated", "[unit][iommu][iotlb]") {
  Iotlb t(unified(8, 0), 1);
  t.insert(1, 0x1000, page(0xa000, 12), 0);
  Tick r;
  // (Software changing the page table does not reach the IOTLB.)
  for (int i = 0; i < 3; ++i) CHECK(t.lookup(1, 0x1000, &r)->frame == 0xa000);
  t.invalidate_pages(1, 0x1000, 0);
  CHECK(t.lookup(1, 0x1000, &r) == nullptr);
}

TEST_CASE("iommu: iotlb configuration", "[unit][iommu][iotlb]") {
  Config c = Config::from_string("iotlb: {organization: split, size_4k: {entries: 16, ways: 4}}\n"
                                 "bad: {entries: 12, ways: 5}\n"
                                 "plru: {entries: 12, ways: 3, policy: plru}\n",
                                 "t.yaml");
  IotlbParams p = IotlbParams::from_config(c.root().child("iotlb"));
  CHECK(p.split);
  CHECK(p.size_4k.entries == 16);
  CHECK(p.size_4k.ways == 4);
  CHECK(p.size_2m.entries == 32);
  CHECK_THROWS_WITH(CacheParams::from_config(c.root().child("bad"), {}),
                    "t.yaml:2: bad.ways: expected a divisor of entries (12), got 5");
  CHECK_THROWS_WITH(CacheParams::from_config(c.root().child("plru"), {}),
                    "t.yaml:3: plru.policy: plru needs a power-of-two number of ways, got 3");
}

TEST_CASE("iommu: context cache invalidation by domain and by device with function mask", "[unit][iommu]") {
  auto ce = [](std::uint16_t did) {
    ContextEntry e;
    e.present = true;
    e.did = did;
    return e;
  };
  auto fill = [&](ContextCache& cc) {
    for (std::uint16_t fn = 0; fn < 8; ++fn) cc.insert(0x0318 | fn, ce(1), 0);  // 03:03.0-7
    cc.insert(0x0400, ce(2), 0);
  };
  Tick r;
  {
    ContextCache cc({16, 0, ReplacementPolicy::Lru, 1}, 1);
    fill(cc);
    CHECK(cc.invalidate_domain(2) == 1);
    CHECK(cc.size() == 8);
    CHECK(cc.invalidate_global() == 8);
  }
  const std::size_t expect[4] = {1, 2, 4, 8};  // FM 00, 01, 10, 11 from function 5
  for (unsigned fm = 0; fm < 4; ++fm) {
    ContextCache cc({16, 0, ReplacementPolicy::Lru, 1}, 1);
    fill(cc);
    CHECK(cc.invalidate_device(0x031d, fm) == expect[fm]);
    CHECK(cc.lookup(0x031d, &r) == nullptr);
    CHECK(cc.lookup(0x0400, &r) != nullptr);
  }
  // FM 01 masks function bit 2: functions 1 and 5 go, 3 and 4 stay.
  ContextCache cc({16, 0, ReplacementPolicy::Lru, 1}, 1);
  fill(cc);
  cc.invalidate_device(0x0319, 1);
  CHECK(cc.lookup(0x0319, &r) == nullptr);
  CHECK(cc.lookup(0x031d, &r) == nullptr);
  CHECK(cc.lookup(0x031b, &r) != nullptr);
  CHECK(cc.lookup(0x031c, &r) != nullptr);
}

TEST_CASE("iommu: paging-structure caches return the deepest hit", "[unit][iommu]") {
  PagingStructureCache psc({8, 0, ReplacementPolicy::Lru, 1}, 1);
  psc.insert(1, 0x12345000, 4, {0x100000, true, true}, 10);   // PML4E: covers 512 GiB
  psc.insert(1, 0x12345000, 3, {0x101000, true, false}, 20);  // PDPE: 1 GiB
  PscHit hit{};
  REQUIRE(psc.lookup(1, 0x12345000, 4, hit));
  CHECK(hit.level == 3);
  CHECK(hit.entry.table == 0x101000);
  CHECK_FALSE(hit.entry.w);
  CHECK(hit.ready == 20);
  psc.insert(1, 0x12345000, 2, {0x102000, true, true}, 30);   // PDE: 2 MiB
  REQUIRE(psc.lookup(1, 0x12345678, 4, hit));
  CHECK(hit.level == 2);
  REQUIRE(psc.lookup(1, 0x12400000, 4, hit));  // other 2 MiB region, same 1 GiB
  CHECK(hit.level == 3);
  CHECK_FALSE(psc.lookup(2, 0x12345000, 4, hit));  // other domain
  CHECK_FALSE(psc.lookup(1, 0x12345000, 2, hit) == false);  // top level 2 still sees the PDE
  // Page-selective invalidation of one 4K page removes the PDE, PDPE and PML4E
  // covering it; another domain's entries stay.
  psc.insert(2, 0x0, 2, {0x200000, true, true}, 0);
  CHECK(psc.invalidate_pages(1, 0x12345000, 0) == 3);
  CHECK_FALSE(psc.lookup(1, 0x12345000, 4, hit));
  CHECK(psc.lookup(2, 0x0, 4, hit));
  CHECK(psc.invalidate_domain(2) == 1);
}
