// Software-built tables (host/table_builder.h, host/boot_tables.h) are what
// the context lookups and the walker read back exactly, stored in the order
// each user needs.
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "fake_table_memory.h"
#include "host/boot_tables.h"
#include "host/table_builder.h"
#include "iommu/context_lookup.h"
#include "iommu/sl_walker.h"
#include "iommu/sm_lookup.h"

using namespace iommusim;
using iommusim::test::FakeTableMemory;

TEST_CASE("iommu: legacy tables built by software translate as mapped", "[unit][iommu]") {
  FakeTableMemory m;
  BootTables t(0x10000, 64 * 4096, m.writer());
  const Addr top = t.new_domain_table();
  ContextEntry ce;
  ce.present = true;
  ce.did = 7;
  ce.aw = kAw48;
  ce.slptptr = top;
  t.set_context(0x0318, ce);  // 03:03.0
  t.map(top, 0x7000, 0xabc000, 12, true, false);
  t.map(top, 0x40200000, 0x600000, 21, true, true);
  t.map(top, 0x80000000, 0x40000000, 30, true, true);
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
  CHECK_THROWS_AS(t.map(top, 0x40201000, 0x1000, 12, true, true), std::logic_error);  // inside the 2M page

  t.unmap(top, 0x7000, 12);
  CHECK_FALSE(walk_second_level(m, p, 0x7123, false, true).ok);
  BootTables small(0x10000, 2 * 4096, [&](Addr, std::uint64_t) {});
  small.new_domain_table();
  CHECK_THROWS_AS(small.new_domain_table(), TablePoolExhausted);  // pool exhausted
}

namespace {

// A bump allocator over fresh pages and a log of the stores.
struct Recorder {
  Addr next = 0x100000;
  std::vector<std::pair<Addr, std::uint64_t>> stores;
  FakeTableMemory m;
  TableBuilder::Allocate allocate() {
    return [this](const char*) { return (next += 0x1000) - 0x1000; };
  }
  TableBuilder::Write write() {
    return [this](Addr pa, std::uint64_t v) {
      stores.emplace_back(pa, v);
      m.mem[pa] = v;
    };
  }
};

}  // namespace

TEST_CASE("tables: legacy root and context entries, present qword last or ascending", "[unit][driver]") {
  ContextEntry ce;
  ce.present = true;
  ce.did = 3;
  ce.aw = kAw48;
  ce.slptptr = 0x555000;
  for (EntryStores order : {EntryStores::PresentLast, EntryStores::Ascending}) {
    Recorder r;
    TableBuilder b(TableMode::Legacy, order, r.allocate(), r.write());
    CHECK(b.root() == 0x100000);
    CHECK(r.stores.empty());
    b.set_context(0x0218, ce);  // 02:03.0: bus 2's context table at 0x101000
    using S = std::vector<std::pair<Addr, std::uint64_t>>;
    if (order == EntryStores::PresentLast)
      CHECK(r.stores == S{{0x100020, 0x101001}, {0x101188, ce.hi()}, {0x101180, ce.lo()}});
    else
      CHECK(r.stores == S{{0x100020, 0x101001}, {0x100028, 0}, {0x101180, ce.lo()}, {0x101188, ce.hi()}});
    ContextLookup cl = lookup_legacy_context(r.m, b.root(), 0x0218, 48);
    REQUIRE(cl.ok);
    CHECK(cl.ce.did == 3);
    CHECK(cl.ce.slptptr == 0x555000);
    // Another device on the bus reuses the table; clearing stores P's qword first.
    r.stores.clear();
    CHECK(b.context_table(0x0220) == 0x101000);
    b.clear_context(0x0218);
    CHECK(r.stores == S{{0x101180, 0}, {0x101188, 0}});
    CHECK_FALSE(lookup_legacy_context(r.m, b.root(), 0x0218, 48).ok);
    CHECK_THROWS_AS(b.clear_context(0x0518), std::out_of_range);  // bus 5 has no table
  }
}

TEST_CASE("tables: scalable-mode context, PASID directory and RID_PASID entry", "[unit][driver]") {
  Recorder r;
  TableBuilder b(TableMode::Scalable, EntryStores::PresentLast, r.allocate(), r.write());
  PasidEntry pe;
  pe.present = true;
  pe.did = 9;
  pe.pgtt = kPgttSecondLevel;
  pe.aw = kAw48;
  pe.slptptr = 0x777000;
  b.set_rid_pasid(0x0381, pe);  // 03:10.1, devfn 0x81: the upper half of bus 3
  // Pages: root 0x100000, context table 0x101000, directory 0x102000, PASID table 0x103000.
  using S = std::vector<std::pair<Addr, std::uint64_t>>;
  const S want{{0x100038, 0x101001},     // root entry, upper half: UP, UCTP
               {0x103008, pe.q(1)},      // PASID entry: DID ...
               {0x103000, pe.q(0)},      // ... then P
               {0x102000, 0x103001},     // directory entry 0
               {0x101028, 0},            // context entry (devfn 0x81 & 0x7f = 1): RID_PASID 0
               {0x101020, 0x102001}};    // P, PDTS 0, PASIDDIRPTR
  CHECK(r.stores == want);
  const SmLookup l = lookup_scalable(r.m, b.root(), 0x0381, false, 0, 48);
  REQUIRE(l.ok);
  CHECK(l.pasid == 0);
  CHECK(l.pe.did == 9);
  CHECK(l.pe.slptptr == 0x777000);
  // The lower half of the same bus: only the root entry's lower qword is stored.
  r.stores.clear();
  CHECK(b.context_table(0x0301) == 0x104000);
  CHECK(r.stores == S{{0x100030, 0x104001}});
  CHECK_THROWS_AS(b.set_context(0x0301, ContextEntry{}), std::logic_error);
}
