// The host driver model's second-level page-table builder: exact stores,
// superpages, refusals, table freeing and recycling, and a property test
// against the project's own walker.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "fake_table_memory.h"
#include "host/domain_page_table.h"
#include "host/table_page_pool.h"
#include "vtd/sl_pte.h"
#include "iommu/sl_walker.h"

using namespace iommusim;
using iommusim::test::FakeTableMemory;

namespace {

constexpr uint64_t k2M = uint64_t{1} << 21, k1G = uint64_t{1} << 30;

}  // namespace

TEST_CASE("driver: page table map writes the intermediate tables, then the leaf", "[unit][driver]") {
  TablePagePool pool(0x100000, 64 * 4096);
  DomainPageTable pt({}, pool);
  CHECK(pt.root() == 0x100000);
  CHECK(pt.aperture_bytes() == (uint64_t{1} << 48));
  PtMapResult m = pt.map(0x1000, 0x5000, 0x1000, true, true);
  const std::vector<PteWrite> want{
      {0x100000, 0x101003},  // SL-PML4E[0] -> SL-PDPT at 0x101000
      {0x101000, 0x102003},  // SL-PDPE[0] -> SL-PD
      {0x102000, 0x103003},  // SL-PDE[0] -> SL-PT
      {0x103008, 0x5003},    // SL-PTE[1]: 4 KiB page at 0x5000, R+W
  };
  CHECK(m.writes == want);
  CHECK(m.new_tables == std::vector<Addr>{0x101000, 0x102000, 0x103000});
  CHECK(m.leaves_4k == 1);
  CHECK_FALSE(m.flush);

  // 2 MiB and 1 GiB leaves where IOVA, PA and size allow.
  m = pt.map(0x200000, 0x40000000, k2M, true, false);
  CHECK(m.writes == std::vector<PteWrite>{{0x102008, 0x40000081}});  // PS + R
  m = pt.map(0x40000000, 0x80000000, k1G, true, true);
  CHECK(m.writes == std::vector<PteWrite>{{0x101008, 0x80000083}});  // PS + R + W
  CHECK(m.leaves_1g == 1);
  // 4 MiB + 8 KiB at 2 MiB-aligned IOVA and PA: two 2 MiB pages, two 4 KiB.
  m = pt.map(0x80200000, 0x1200000, 2 * k2M + 0x2000, false, true);
  CHECK(m.leaves_2m == 2);
  CHECK(m.leaves_4k == 2);
  CHECK(m.new_tables == std::vector<Addr>{0x104000, 0x105000});
  CHECK(m.writes == std::vector<PteWrite>{{0x101010, 0x104003},
                                          {0x104008, 0x1200082},
                                          {0x104010, 0x1400082},
                                          {0x104018, 0x105003},
                                          {0x105000, 0x1600002},
                                          {0x105008, 0x1601002}});
  auto t = pt.translate(0x80401234);
  REQUIRE(t);
  CHECK(t->pa == 0x1401234);
  CHECK(t->page_size == k2M);
  CHECK_FALSE(t->r);
  CHECK(t->w);
  t = pt.translate(0x80601abc);
  REQUIRE(t);
  CHECK(t->pa == 0x1601abc);
  CHECK(t->page_size == 0x1000);
  CHECK_FALSE(pt.translate(0x80602000));
  CHECK(pt.table_pages() == 6);
  CHECK(pt.stats().leaves_2m == 3);

  // Without superpages the same 2 MiB is 512 PTEs.
  PageTableParams no_sp;
  no_sp.superpages = false;
  TablePagePool pool2(0x200000, 8 * 4096);
  DomainPageTable small(no_sp, pool2);
  m = small.map(0x200000, 0x40000000, k2M, true, true);
  CHECK(m.leaves_4k == 512);
  CHECK(m.writes.size() == 3 + 512);
  CHECK(m.writes.back() == PteWrite{0x203ff8, 0x401ff003});
}

TEST_CASE("driver: page table levels 3 and 5", "[unit][driver]") {
  TablePagePool pool(0x100000, 16 * 4096);
  PageTableParams p3;
  p3.levels = 3;
  DomainPageTable t3(p3, pool);
  CHECK(t3.aperture_bytes() == (uint64_t{1} << 39));
  PtMapResult m = t3.map(0x1000, 0x5000, 0x1000, true, true);
  CHECK(m.new_tables.size() == 2);
  m = t3.map(k1G, 0x40000000, k1G, true, true);  // a 1 GiB leaf in the top table
  CHECK(m.writes == std::vector<PteWrite>{{t3.root() + 8, 0x40000083}});
  CHECK_THROWS_AS(t3.map(uint64_t{1} << 39, 0x5000, 0x1000, true, true), std::invalid_argument);

  PageTableParams p5;
  p5.levels = 5;
  DomainPageTable t5(p5, pool);
  m = t5.map(uint64_t{1} << 56, 0x5000, 0x1000, true, true);
  CHECK(m.new_tables.size() == 4);
  CHECK(m.writes.front() == PteWrite{t5.root() + 8 * 256, m.new_tables[0] | 3});
  PageTableParams bad;
  bad.levels = 6;
  CHECK_THROWS_AS(DomainPageTable(bad, pool), std::invalid_argument);
}

TEST_CASE("driver: page table refuses overlaps, unaligned arguments and split superpages", "[unit][driver]") {
  TablePagePool pool(0x100000, 64 * 4096);
  DomainPageTable pt({}, pool);
  pt.map(0x200000, 0x40000000, k2M, true, true);
  pt.map(0x1000, 0x5000, 0x1000, true, true);
  const uint64_t writes = pt.stats().entry_writes;
  CHECK_THROWS_WITH(pt.map(0x1ff000, 0x9000, 0x2000, true, true),
                    "map [0x1ff000, 0x201000): overlaps the 2 MiB page mapped at IOVA 0x200000");
  CHECK_THROWS_WITH(pt.map(0x0, 0x9000, 0x3000, true, true),
                    "map [0x0, 0x3000): overlaps the 4 KiB page mapped at IOVA 0x1000");
  CHECK_THROWS_WITH(pt.map(0x1800, 0x9000, 0x1000, true, true),
                    "map of 0x1000 bytes at IOVA 0x1800: IOVA and size must be 4 KiB aligned");
  CHECK_THROWS_WITH(pt.map(0x8000, 0x9010, 0x1000, true, true),
                    "map at IOVA 0x8000: physical address 0x9010 is not 4 KiB aligned");
  CHECK_THROWS_WITH(pt.map(0x8000, 0x9000, 0x800, true, true),
                    "map of 0x800 bytes at IOVA 0x8000: IOVA and size must be 4 KiB aligned");
  CHECK_THROWS_WITH(pt.map(0x8000, 0x9000, 0, true, true), "map at IOVA 0x8000: size 0");
  CHECK_THROWS_WITH(pt.map(0x8000, 0x9000, 0x1000, false, false),
                    "map at IOVA 0x8000: neither read nor write permission");
  CHECK_THROWS_WITH(pt.map(0xffffffffff000, 0x9000, 0x2000, true, true),
                    "map [0xffffffffff000, 0x10000000001000): beyond the 4-level table's 48-bit input space");
  CHECK_THROWS_AS(pt.map(0x8000, (uint64_t{1} << 52) - 0x1000, 0x2000, true, true), std::invalid_argument);
  CHECK_THROWS_WITH(pt.unmap(0x200000, 0x1000),
                    "unmap [0x200000, 0x201000): would split the 2 MiB page at IOVA 0x200000");
  CHECK_THROWS_WITH(pt.unmap(0x100000, 0x101000),
                    "unmap [0x100000, 0x201000): would split the 2 MiB page at IOVA 0x200000");
  CHECK_THROWS_AS(pt.unmap(0x1000, 0x1800), std::invalid_argument);
  CHECK(pt.stats().entry_writes == writes);  // nothing was written
  CHECK(pt.translate(0x1000)->pa == 0x5000);
}

TEST_CASE("driver: page table unmap clears leaves and reports what to invalidate", "[unit][driver]") {
  TablePagePool pool(0x100000, 64 * 4096);
  DomainPageTable pt({}, pool);
  pt.map(0x1000, 0x5000, 0x3000, true, true);
  pt.map(0x200000, 0x40000000, k2M, true, true);
  PtUnmapResult u = pt.unmap(0x2000, 0x1000);
  CHECK(u.writes == std::vector<PteWrite>{{0x103010, 0}});
  CHECK(u.unmapped_bytes == 0x1000);
  CHECK(u.flush == FlushRange{0x2000, 0x1000, true});
  CHECK(u.flush.psi() == PsiCover{0x2000, 0});
  CHECK(u.freed_tables.empty());
  // A range with holes: only what is mapped is cleared.
  u = pt.unmap(0x0, 0x400000);
  CHECK(u.writes == std::vector<PteWrite>{{0x103008, 0}, {0x103018, 0}, {0x102008, 0}});
  CHECK(u.unmapped_bytes == 0x202000);
  CHECK(u.flush.psi() == PsiCover{0x0, 10});
  CHECK(pt.table_pages() == 4);  // clear leaves only: the empty tables stay
  CHECK_FALSE(pt.translate(0x1000));
  CHECK(pt.stats().leaf_clears == 4);

  // A 2 MiB page where an empty table hangs replaces it, invalidates the
  // span (the paging-structure caches may hold the pointer) and frees it.
  PtMapResult m = pt.map(0x0, 0x600000, k2M, true, true);
  CHECK(m.writes == std::vector<PteWrite>{{0x102000, 0x600083}});
  CHECK(m.freed_tables == std::vector<Addr>{0x103000});
  REQUIRE(m.flush);
  CHECK(*m.flush == FlushRange{0x0, k2M, false});
  CHECK(pt.pending_release() == 1);
  CHECK(pool.in_use() == 4);
  pt.release_tables(m.freed_tables);
  CHECK(pool.in_use() == 3);
  CHECK(pt.pending_release() == 0);
  CHECK_THROWS_AS(pt.release_tables({0x103000}), std::logic_error);
}

TEST_CASE("driver: page table frees covered tables when asked, and recycled pages are zeroed", "[unit][driver]") {
  PageTableParams p;
  p.free_tables_on_unmap = true;
  TablePagePool pool(0x100000, 64 * 4096);
  DomainPageTable pt(p, pool);
  pt.map(0x1000, 0x5000, 0x1000, true, true);
  pt.map(0x201000, 0x6000, 0x1000, true, true);
  // [0, 2 MiB) covers the first SL-PT: its pointer is cleared, its PTE is
  // left in place, and the page is freed.
  PtUnmapResult u = pt.unmap(0x0, k2M);
  CHECK(u.writes == std::vector<PteWrite>{{0x102000, 0}});
  CHECK(u.freed_tables == std::vector<Addr>{0x103000});
  CHECK(u.unmapped_bytes == 0x1000);
  CHECK(u.flush == FlushRange{0x0, k2M, false});  // IH = 0: a table went
  pt.release_tables(u.freed_tables);
  // The recycled page still holds 0x5003 at index 1: the next table taken
  // from the pool gets a zero there first.
  PtMapResult m = pt.map(0x600000, 0x7000, 0x1000, true, false);
  CHECK(m.new_tables == std::vector<Addr>{0x103000});
  CHECK(m.writes == std::vector<PteWrite>{{0x103008, 0}, {0x102018, 0x103003}, {0x103000, 0x7001}});
  CHECK(pt.stats().zero_writes == 1);
  // A range covering 1 GiB frees the SL-PD and both SL-PTs under it.
  u = pt.unmap(0x0, k1G);
  CHECK(u.writes == std::vector<PteWrite>{{0x101000, 0}});
  CHECK(u.freed_tables.size() == 3);
  CHECK(u.unmapped_bytes == 0x2000);
  CHECK(pt.table_pages() == 2);

  // Not enough table pages: refused before anything is written.
  TablePagePool tiny(0x900000, 3 * 4096);
  DomainPageTable t(PageTableParams{}, tiny);
  CHECK_THROWS_AS(t.map(0x1000, 0x5000, 0x1000, true, true), TablePoolExhausted);
  CHECK(tiny.in_use() == 1);
  CHECK(t.stats().entry_writes == 0);
  CHECK_THROWS_AS(TablePagePool(0x900010, 4096), std::invalid_argument);
  CHECK_THROWS_AS(TablePagePool(0x900000, 100), std::invalid_argument);
}

TEST_CASE("driver: page table property: the walker translates exactly what is mapped", "[unit][driver]") {
  for (bool free_tables : {false, true}) {
    std::mt19937_64 rng(free_tables ? 11 : 12);
    FakeTableMemory mem;
    PageTableParams p;
    p.free_tables_on_unmap = free_tables;
    TablePagePool pool(0x10000000, 4096 * 4096);
    DomainPageTable pt(p, pool, mem.writer());
    struct Leaf {
      uint64_t size;
      Addr pa;
      bool r, w;
    };
    std::map<Addr, Leaf> ref;  // leaves by IOVA
    auto leaf_at = [&](Addr a) -> std::map<Addr, Leaf>::iterator {
      auto it = ref.upper_bound(a);
      if (it == ref.begin()) return ref.end();
      --it;
      return a < it->first + it->second.size ? it : ref.end();
    };
    auto erase_range = [&](Addr lo, uint64_t size) {  // no leaf straddles the ends
      uint64_t n = 0;
      for (auto it = ref.lower_bound(lo); it != ref.end() && it->first < lo + size;) {
        n += it->second.size;
        it = ref.erase(it);
      }
      return n;
    };
    std::vector<std::pair<Addr, uint64_t>> mapped;
    const Addr space = 4 * k1G;  // IOVAs in [0, 4 GiB): collisions happen
    for (int op = 0; op < 600; ++op) {
      const unsigned kind = rng() % 10;
      if (kind < 6) {
        uint64_t size;
        Addr iova, pa;
        switch (rng() % 3) {
          case 0:
            size = (1 + rng() % 8) * 0x1000;
            iova = (rng() % (space >> 12)) << 12;
            pa = (rng() % (uint64_t{1} << 28)) << 12;
            break;
          case 1:
            size = (1 + rng() % 3) * k2M + (rng() % 2) * 0x1000;
            iova = (rng() % (space >> 21)) << 21;
            pa = (rng() % (uint64_t{1} << 19)) << 21;
            break;
          default:
            size = k1G + (rng() % 2) * k2M;
            iova = (rng() % (space >> 30)) << 30;
            pa = (rng() % 64) << 30;
            break;
        }
        if (iova + size > space) continue;
        const bool r = rng() % 4 != 0, w = !r || rng() % 2;
        auto next = ref.lower_bound(iova);
        const bool overlaps = leaf_at(iova) != ref.end() || (next != ref.end() && next->first < iova + size);
        if (overlaps) {
          REQUIRE_THROWS_AS(pt.map(iova, pa, size, r, w), std::invalid_argument);
          continue;
        }
        PtMapResult m = pt.map(iova, pa, size, r, w);
        pt.release_tables(m.freed_tables);  // no IOMMU here: free at once
        // Re-derive the leaves the way the builder picks them.
        Addr cur = iova, cur_pa = pa;
        uint64_t left = size;
        while (left) {
          uint64_t sz = 0x1000;
          for (uint64_t big : {k1G, k2M})
            if (((cur | cur_pa) & (big - 1)) == 0 && left >= big) {
              sz = big;
              break;
            }
          ref[cur] = Leaf{sz, cur_pa, r, w};
          cur += sz;
          cur_pa += sz;
          left -= sz;
        }
        mapped.emplace_back(iova, size);
      } else if (kind < 9 && !mapped.empty()) {
        const std::size_t i = rng() % mapped.size();
        const auto [iova, size] = mapped[i];
        mapped.erase(mapped.begin() + static_cast<long>(i));
        const uint64_t expect = erase_range(iova, size);
        PtUnmapResult u = pt.unmap(iova, size);
        REQUIRE(u.unmapped_bytes == expect);
        REQUIRE(u.flush.leaf_only == u.freed_tables.empty());
        pt.release_tables(u.freed_tables);
      } else {
        // A random range: refused iff it splits a superpage.
        const Addr iova = (rng() % (space >> 12)) << 12;
        const uint64_t size = std::min<uint64_t>((1 + rng() % 1024) * 0x1000, space - iova);
        const auto first = leaf_at(iova), last = leaf_at(iova + size - 1);
        const bool split = (first != ref.end() && first->first < iova) ||
                           (last != ref.end() && last->first + last->second.size > iova + size);
        if (split) {
          REQUIRE_THROWS_AS(pt.unmap(iova, size), std::invalid_argument);
          continue;
        }
        const uint64_t expect = erase_range(iova, size);
        PtUnmapResult u = pt.unmap(iova, size);
        REQUIRE(u.unmapped_bytes == expect);
        pt.release_tables(u.freed_tables);
        // Ranges partly unmapped are no longer unmapped as a whole later.
        std::vector<std::pair<Addr, uint64_t>> keep;
        for (auto& mr : mapped)
          if (mr.first + mr.second <= iova || iova + size <= mr.first) keep.push_back(mr);
        mapped = keep;
      }
      // Check a sample against the walker reading the written memory.
      for (int k = 0; k < 20; ++k) {
        Addr probe;
        if (!ref.empty() && k % 2) {
          auto it = ref.begin();
          std::advance(it, static_cast<long>(rng() % ref.size()));
          probe = it->first + rng() % it->second.size;
        } else {
          probe = rng() % space;
        }
        SlWalkParams wp;
        wp.table = pt.root();
        wp.levels = 4;
        wp.haw = 52;
        const auto it = leaf_at(probe);
        const auto tr = pt.translate(probe);
        INFO("probe " << std::hex << probe);
        if (it == ref.end()) {
          REQUIRE_FALSE(tr);
          REQUIRE_FALSE(walk_second_level(mem, wp, probe, false, true).ok);
          continue;
        }
        const Leaf& l = it->second;
        const SlWalkResult w = walk_second_level(mem, wp, probe, l.w, l.r);
        REQUIRE(w.ok);
        REQUIRE(w.pa == l.pa + (probe - it->first));
        REQUIRE(w.page_size == l.size);
        REQUIRE(tr);
        REQUIRE(tr->pa == w.pa);
        if (!l.w) REQUIRE_FALSE(walk_second_level(mem, wp, probe, true, false).ok);
        if (!l.r) REQUIRE_FALSE(walk_second_level(mem, wp, probe, false, true).ok);
      }
    }
    CHECK(pt.stats().leaves_1g > 0);
    CHECK(pt.stats().leaves_2m > 0);
    CHECK(pt.pending_release() == 0);
    if (free_tables) CHECK(pt.stats().tables_freed > 0);
  }
}
