// LegacyTables builds structures that the context lookup and the walker read
// back exactly.
#include <map>

#include <catch2/catch.hpp>

#include "iommu/context_lookup.h"
#include "iommu/legacy_tables.h"
#include "iommu/sl_walker.h"

using namespace iommusim;

namespace {

struct MapMemory : TableReader {
  std::map<Addr, std::uint64_t> q;
  std::uint64_t read_qword(Addr pa) override {
    auto it = q.find(pa);
    return it == q.end() ? 0 : it->second;
  }
};

}  // namespace

TEST_CASE("iommu: legacy tables built by software translate as mapped", "[unit][iommu]") {
  MapMemory m;
  LegacyTables t(0x10000, 64 * 4096, [&](Addr pa, std::uint64_t v) { m.q[pa] = v; });
  const Addr top = t.new_domain_table();
  ContextEntry ce;
  ce.present = true;
  ce.did = 7;
  ce.aw = kAw48;
  ce.slptptr = top;
  t.set_context(0x0318, ce);  // 03:03.0
  t.map(top, 4, 0x7000, 0xabc000, 12, true, false);
  t.map(top, 4, 0x40200000, 0x600000, 21, true, true);
  t.map(top, 4, 0x80000000, 0x40000000, 30, true, true);
  // root, context, PML4, PDPT, then a PD and PT for 0x7000 and a PD for 0x40200000
  CHECK(t.tables_allocated() == 7);

  ContextLookup cl = lookup_legacy_context(m, t.root_table(), 0x0318, 48);
  REQUIRE(cl.ok);
  CHECK(cl.ce.did == 7);
  CHECK(cl.ce.slptptr == top);
  CHECK_FALSE(lookup_legacy_context(m, t.root_table(), 0x0319, 48).ok);

  SlWalkParams p;
  p.table = top;
  p.levels = 4;
  p.haw = 48;
  SlWalkResult w = walk_second_level(m, p, 0x7123, false, true);
  REQUIRE(w.ok);
  CHECK(w.pa == 0xabc123);
  CHECK_FALSE(walk_second_level(m, p, 0x7123, true, false).ok);  // read-only
  w = walk_second_level(m, p, 0x40212345, true, false);
  REQUIRE(w.ok);
  CHECK(w.pa == 0x612345);
  CHECK(w.page_size == (1u << 21));
  w = walk_second_level(m, p, 0x80000000 + 0x12345678, false, true);
  REQUIRE(w.ok);
  CHECK(w.pa == 0x40000000 + 0x12345678);
  CHECK_THROWS_AS(t.map(top, 4, 0x40201000, 0x1000, 12, true, true), std::logic_error);  // inside the 2M page

  t.unmap(top, 4, 0x7000, 12);
  CHECK_FALSE(walk_second_level(m, p, 0x7123, false, true).ok);
  LegacyTables small(0x10000, 2 * 4096, [&](Addr, std::uint64_t) {});
  small.new_domain_table();
  CHECK_THROWS_AS(small.new_domain_table(), std::logic_error);  // pool exhausted
}
