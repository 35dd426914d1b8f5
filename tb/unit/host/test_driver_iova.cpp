// The host driver model's IOVA allocator (Linux iova.c behaviour).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "host/iova_allocator.h"

using namespace iommusim;

namespace {

IovaAllocatorParams no_cache() {
  IovaAllocatorParams p;
  p.rcache_capacity = 0;
  return p;
}

constexpr uint64_t k32 = 0xfffff;  // DMA_BIT_MASK(32) >> 12

// Is there an aligned block of `size` pages (alignment: size rounded up to a
// power of two) in [start, limit] that touches none of `used`?
bool aligned_gap_exists(const std::vector<IovaRange>& used, uint64_t size, uint64_t start, uint64_t limit) {
  const uint64_t align = uint64_t{1} << iova_order(size);
  for (uint64_t pfn = (start + align - 1) / align * align; pfn + size - 1 <= limit; pfn += align) {
    bool clash = false;
    for (const auto& u : used)
      if (u.pfn <= pfn + size - 1 && pfn <= u.last_pfn()) {
        clash = true;
        break;
      }
    if (!clash) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("driver: IOVA allocation is top-down, rounded, size-aligned and first fit from the cached node",
          "[unit][driver]") {
  IovaAllocator a(no_cache());
  CHECK(*a.alloc(1, k32) == IovaRange{0xfffff, 1});
  CHECK(*a.alloc(1, k32) == IovaRange{0xffffe, 1});
  // 3 pages: rounded to 4 and aligned to 4, leaving 0xffffc..0xffffd free.
  CHECK(*a.alloc(3, k32) == IovaRange{0xffff8, 4});
  // The search starts at the last allocation, so the hole above is skipped.
  CHECK(*a.alloc(2, k32) == IovaRange{0xffff6, 2});
  CHECK(a.stats().search_steps == 4);
  // 33 pages are not rounded (not cacheable) but aligned to 64.
  CHECK(*a.alloc(33, k32) == IovaRange{0xfffc0, 33});
  CHECK(a.rounded_pages(33) == 33);
  CHECK(a.rounded_pages(17) == 32);
  CHECK(a.rounded_pages(32) == 32);

  // Freeing at or above the cached node moves it just above the freed range.
  a.free(IovaRange{0xffff8, 4});
  CHECK(*a.alloc(4, k32) == IovaRange{0xffff8, 4});
  CHECK(*a.alloc(2, k32) == IovaRange{0xffff4, 2});  // the gap below 0xffff6
  CHECK(a.stats().allocations == 7);
  CHECK(a.stats().tree_allocs == 7);
  CHECK(a.stats().frees == 1);
  CHECK(a.stats().cache_hits == 0);
  CHECK(a.stats().cache_misses == 0);  // cache off: not counted

  // Round every size (pre-5.11 intel_alloc_iova()).
  IovaAllocatorParams p = no_cache();
  p.round_all_sizes = true;
  IovaAllocator b(p);
  CHECK(*b.alloc(33, k32) == IovaRange{0xfffc0, 64});
}

TEST_CASE("driver: IOVA below-4-GiB searches share one cached node and retry above it", "[unit][driver]") {
  IovaAllocatorParams p = no_cache();
  p.start_pfn = 0x7fe;
  IovaAllocator a(p);
  CHECK(*a.alloc(1, 0x7ff) == IovaRange{0x7ff, 1});
  // A larger limit still starts at the cached 32-bit node (Linux's
  // cached32_node), so this lands below 0x7ff, not at 0xfffff.
  CHECK(*a.alloc(1, k32) == IovaRange{0x7fe, 1});
  CHECK(a.stats().search_retries == 0);
  // Nothing left below the cached node: the search retries above it.
  CHECK(*a.alloc(1, k32) == IovaRange{0xfffff, 1});
  CHECK(a.stats().search_retries == 1);
  // Above 4 GiB a separate cached node starts at the anchor.
  CHECK(*a.alloc(1, (uint64_t{1} << 36) - 1) == IovaRange{(uint64_t{1} << 36) - 1, 1});
  CHECK(*a.alloc(16, (uint64_t{1} << 36) - 1) == IovaRange{(uint64_t{1} << 36) - 32, 16});
  // IOVA 0 page is never handed out with the default start pfn.
  IovaAllocator z(no_cache());
  for (int i = 0; i < 7; ++i) REQUIRE(z.alloc(2, 0xf));  // pfns 2..15
  CHECK_FALSE(z.alloc(2, 0xf));
  CHECK(*z.alloc(1, 0xf) == IovaRange{1, 1});
  CHECK_FALSE(z.alloc(1, 0xf));
}

TEST_CASE("driver: IOVA exhaustion returns nothing and remembers the failed size below 4 GiB", "[unit][driver]") {
  IovaAllocator a(no_cache());
  CHECK(*a.alloc(8, 0xf) == IovaRange{8, 8});
  CHECK_FALSE(a.alloc(8, 0xf));  // pfn 0 is never given, so 0..7 cannot be used
  CHECK(a.stats().failures == 1);
  CHECK(a.stats().search_retries == 1);
  CHECK_FALSE(a.alloc(8, 0xf));  // max32_alloc_size: decided without a search
  CHECK(a.stats().max32_fast_fails == 1);
  CHECK(*a.alloc(4, 0xf) == IovaRange{4, 4});
  CHECK_FALSE(a.alloc(4, 0xf));
  CHECK(*a.alloc(2, 0xf) == IovaRange{2, 2});
  CHECK(*a.alloc(1, 0xf) == IovaRange{1, 1});
  CHECK_FALSE(a.alloc(1, 0xf));
  // A free below 4 GiB forgets the remembered size.
  a.free(IovaRange{8, 8});
  CHECK(*a.alloc(8, 0xf) == IovaRange{8, 8});
  CHECK(a.stats().failures == 4);
  CHECK(a.tree_size() == 4);
}

TEST_CASE("driver: IOVA frees of ranges not allocated are logic errors naming the range", "[unit][driver]") {
  IovaAllocatorParams p;
  p.rcache_capacity = 4;
  IovaAllocator a(p);
  a.reserve(0xfee00, 0xfeeff);
  const IovaRange r = *a.alloc(4, k32);
  CHECK_THROWS_WITH(a.free(IovaRange{0x1234, 1}), "IOVA free of [0x1234000, 0x1235000): not allocated");
  CHECK_THROWS_WITH(a.free(IovaRange{r.pfn, 2}),
                    "IOVA free of [0xffffc000, 0xffffe000): size differs from the allocation "
                    "[0xffffc000, 0x100000000)");
  CHECK_THROWS_WITH(a.free(IovaRange{0xfee00, 0x100}),
                    "IOVA free of [0xfee00000, 0xfef00000): reserved, not allocated");
  a.free(r);
  CHECK_THROWS_WITH(a.free(r), "IOVA free of [0xffffc000, 0x100000000): already freed (in the IOVA cache)");
  CHECK_THROWS_AS(a.free(IovaRange{5, 0}), std::logic_error);
  CHECK_THROWS_AS(a.reserve(0xfeef0, 0xfef10), std::logic_error);
  CHECK_THROWS_AS(a.alloc(0, k32), std::invalid_argument);
  CHECK(a.stats().frees == 1);
}

TEST_CASE("driver: IOVA cache is a LIFO per order with a capacity, and is emptied when space runs out",
          "[unit][driver]") {
  IovaAllocatorParams p;
  p.rcache_capacity = 2;
  IovaAllocator a(p);
  const IovaRange x = *a.alloc(1, k32), y = *a.alloc(1, k32), z = *a.alloc(1, k32);
  CHECK(z == IovaRange{0xffffd, 1});
  a.free(x);
  a.free(y);
  a.free(z);  // order-0 cache full: back to the tree
  CHECK(a.cached(0) == 2);
  CHECK(a.stats().cache_inserts == 2);
  CHECK(a.stats().cache_full == 1);
  CHECK(a.stats().tree_frees == 1);
  CHECK(a.tree_size() == 2);  // cached ranges stay reserved in the tree
  CHECK_FALSE(a.is_allocated(x));
  CHECK(*a.alloc(1, k32) == y);  // last in, first out
  CHECK(a.is_allocated(y));
  // A cached range above the limit is not used.
  CHECK(*a.alloc(1, 0x7ff) == IovaRange{0x7ff, 1});
  CHECK(a.stats().cache_misses == 4);
  CHECK(*a.alloc(1, k32) == x);
  CHECK(a.stats().cache_hits == 2);
  // 64 pages (order 6) are never cached.
  const IovaRange big = *a.alloc(64, k32);
  a.free(big);
  CHECK(a.stats().tree_frees == 2);

  // Out of space: the caches go back to the tree and the search runs again.
  IovaAllocatorParams q;
  q.rcache_capacity = 8;
  IovaAllocator b(q);
  const IovaRange r16 = *b.alloc(16, 0x1f);
  CHECK(r16 == IovaRange{16, 16});
  b.free(r16);
  CHECK(b.cached(4) == 1);
  CHECK(*b.alloc(8, 0x1f) == IovaRange{8, 8});
  CHECK(*b.alloc(8, 0x1f) == IovaRange{24, 8});
  CHECK(b.stats().cache_flushes == 1);
  CHECK(b.cached(4) == 0);
  CHECK(b.stats().failures == 0);
  // Without permission to flush, the first search's failure stands.
  IovaAllocator c(q);
  c.free(*c.alloc(16, 0x1f));
  CHECK(*c.alloc(8, 0x1f) == IovaRange{8, 8});
  CHECK_FALSE(c.alloc(8, 0x1f, false));
  CHECK(c.cached(4) == 1);
}

TEST_CASE("driver: IOVA allocator property: no overlap, alignment, limits, and failure only when full",
          "[unit][driver]") {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937_64 rng(seed);
    IovaAllocatorParams p;
    p.rcache_capacity = seed % 2 ? 8 : 0;
    p.round_all_sizes = seed == 3;
    IovaAllocator a(p);
    const uint64_t limit = 0x3ff;
    a.reserve(0x100, 0x10f);
    std::vector<IovaRange> live;
    const std::vector<IovaRange> reserved{{0x100, 0x10}};
    for (int op = 0; op < 3000; ++op) {
      if (live.empty() || rng() % 100 < 55) {
        const uint64_t pages = 1 + rng() % 40;
        auto r = a.alloc(pages, limit);
        const uint64_t size = a.rounded_pages(pages);
        if (r) {
          INFO("seed " << seed << " op " << op << " got " << r->str());
          REQUIRE(r->pages == size);
          REQUIRE(r->pfn >= 1);
          REQUIRE(r->last_pfn() <= limit);
          REQUIRE(r->pfn % (uint64_t{1} << iova_order(size)) == 0);
          for (const auto& u : live) REQUIRE((u.last_pfn() < r->pfn || r->last_pfn() < u.pfn));
          for (const auto& u : reserved) REQUIRE((u.last_pfn() < r->pfn || r->last_pfn() < u.pfn));
          live.push_back(*r);
        } else {
          // After a failure (and the cache flush it implies) the tree holds
          // only live and reserved ranges, and none leaves room.
          std::vector<IovaRange> used = live;
          used.insert(used.end(), reserved.begin(), reserved.end());
          INFO("seed " << seed << " op " << op << " failed for " << pages << " pages");
          REQUIRE(a.tree_size() == used.size());
          REQUIRE_FALSE(aligned_gap_exists(used, size, 1, limit));
        }
      } else {
        const std::size_t i = rng() % live.size();
        a.free(live[i]);
        live.erase(live.begin() + static_cast<long>(i));
      }
      std::size_t cached = 0;
      for (unsigned o = 0; o <= p.rcache_max_order; ++o) cached += a.cached(o);
      REQUIRE(a.tree_size() == live.size() + reserved.size() + cached);
    }
    for (const auto& r : live) CHECK(a.is_allocated(r));
    CHECK(a.stats().allocations == a.stats().cache_hits + a.stats().tree_allocs);
    CHECK(a.stats().failures > 0);  // the space did fill up
    if (p.rcache_capacity) CHECK(a.stats().cache_hits > 0);
  }
}

TEST_CASE("driver: IOVA allocator property: mixed 32- and 64-bit limits keep ranges disjoint", "[unit][driver]") {
  std::mt19937_64 rng(77);
  IovaAllocator a;  // default cache
  a.reserve(0xfee00, 0xfeeff);
  const uint64_t limits[] = {0xfff, k32, (uint64_t{1} << 36) - 1, (uint64_t{1} << 20) + 0x3ff};
  std::map<uint64_t, IovaRange> live;
  for (int op = 0; op < 20000; ++op) {
    if (live.empty() || rng() % 100 < 50) {
      const uint64_t limit = limits[rng() % 4];
      const uint64_t pages = 1 + (rng() % 8 == 0 ? rng() % 600 : rng() % 16);
      auto r = a.alloc(pages, limit);
      if (!r) {
        REQUIRE(limit == 0xfff);  // only the 16 MiB space can fill up
        continue;
      }
      REQUIRE(r->last_pfn() <= limit);
      REQUIRE(r->pfn % (uint64_t{1} << iova_order(r->pages)) == 0);
      auto above = live.lower_bound(r->pfn);
      if (above != live.end()) REQUIRE(r->last_pfn() < above->second.pfn);
      if (above != live.begin()) REQUIRE(std::prev(above)->second.last_pfn() < r->pfn);
      REQUIRE((r->last_pfn() < 0xfee00 || r->pfn > 0xfeeff));
      live[r->pfn] = *r;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      a.free(it->second);
      live.erase(it);
    }
  }
  CHECK(a.stats().cache_hits > 0);
}
