// The remapping unit's translation-timing mechanisms as plain C++: ordering
// per requester (outstanding-miss limit, hit-under-miss depth, in-order
// completion), the table reads' path to memory (memory_latency_ns), and
// paging-structure caches sized per level; and their configuration keys.
#include <catch2/catch.hpp>

#include <vector>

#include <tlm>

#include "common/config.h"
#include "common/error.h"
#include "common/sc_time_conv.h"
#include "iommu/paging_structure_cache.h"
#include "iommu/requester_ordering.h"
#include "iommu/timed_table_reader.h"
#include "iommu/unit_params.h"
#include "ordering_rules.h"

using namespace iommusim;

namespace {

constexpr Tick kNs = 1000;
constexpr std::uint16_t kDev = 0x0018, kOther = 0x0020;

// One request as the engine hands it over: arrival, and either a hit that is
// translated at `ready` or a miss whose walk could start at `ready` and takes
// `walk` once started. Returns the completion under the rules.
struct Run {
  explicit Run(const OrderingParams& p) : o(p) {}
  RequesterOrdering o;
  std::vector<Tick> walk_starts;
  Tick hit(std::uint16_t sid, Tick arrival, Tick ready) { return o.complete(sid, arrival, false, ready).done; }
  Tick miss(std::uint16_t sid, Tick arrival, Tick ready, Tick walk) {
    const Tick start = o.walk_start(sid, arrival, ready);
    walk_starts.push_back(start);
    return o.complete(sid, arrival, true, start + walk).done;
  }
};

// A memory that answers every read `latency` after it arrives and records
// when each arrived (the annotated delay: SystemC time stays 0).
struct FakeMemory {
  Tick latency = 30 * kNs;
  std::vector<Tick> arrivals;
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
    arrivals.push_back(to_tick(delay));
    delay += to_sc_time(latency);
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};
struct FakeSocket {
  FakeMemory m;
  FakeMemory* operator->() { return &m; }
};

}  // namespace

TEST_CASE("iommu timing: defaults leave every time as it is", "[unit][iommu][timing]") {
  Run r(OrderingParams{});
  CHECK_FALSE(OrderingParams{}.active());
  CHECK(r.miss(kDev, 0, 4 * kNs, 100 * kNs) == 104 * kNs);
  CHECK(r.miss(kDev, 1 * kNs, 5 * kNs, 100 * kNs) == 105 * kNs);
  CHECK(r.hit(kDev, 2 * kNs, 6 * kNs) == 6 * kNs);
  CHECK(r.walk_starts == std::vector<Tick>{4 * kNs, 5 * kNs});
  CHECK(r.o.requesters() == 0);  // nothing recorded
}

TEST_CASE("iommu timing: the outstanding-miss limit delays a requester's walks", "[unit][iommu][timing]") {
  SECTION("one miss at a time") {
    Run r(ordering_rules(OrderingParams::kUnlimited, 1, false));
    CHECK(r.miss(kDev, 0, 4 * kNs, 100 * kNs) == 104 * kNs);
    // Walk starts at the first miss's completion, not at 14 ns.
    CHECK(r.miss(kDev, 10 * kNs, 14 * kNs, 100 * kNs) == 204 * kNs);
    // Two outstanding (104, 204): the third waits for both, 204.
    CHECK(r.miss(kDev, 20 * kNs, 24 * kNs, 50 * kNs) == 254 * kNs);
    // Another requester is not held.
    CHECK(r.miss(kOther, 30 * kNs, 34 * kNs, 100 * kNs) == 134 * kNs);
    // Hits are not limited.
    CHECK(r.hit(kDev, 40 * kNs, 44 * kNs) == 44 * kNs);
    CHECK(r.walk_starts == std::vector<Tick>{4 * kNs, 104 * kNs, 204 * kNs, 34 * kNs});
    // After they completed: state pruned, walks start at once.
    CHECK(r.miss(kDev, 300 * kNs, 304 * kNs, 10 * kNs) == 314 * kNs);
    CHECK(r.o.recorded_misses(kDev) == 1);
  }
  SECTION("two misses") {
    Run r(ordering_rules(OrderingParams::kUnlimited, 2, false));
    CHECK(r.miss(kDev, 0, 4 * kNs, 100 * kNs) == 104 * kNs);
    CHECK(r.miss(kDev, 10 * kNs, 14 * kNs, 100 * kNs) == 114 * kNs);
    // Two outstanding: the third starts at the earlier completion, 104.
    CHECK(r.miss(kDev, 20 * kNs, 24 * kNs, 100 * kNs) == 204 * kNs);
    // Outstanding at 34: 114 and 204; starts at 114.
    CHECK(r.miss(kDev, 30 * kNs, 34 * kNs, 10 * kNs) == 124 * kNs);
    CHECK(r.walk_starts == std::vector<Tick>{4 * kNs, 14 * kNs, 104 * kNs, 114 * kNs});
  }
}

TEST_CASE("iommu timing: hit-under-miss lets at most H hits pass a miss", "[unit][iommu][timing]") {
  SECTION("H = 1") {
    Run r(ordering_rules(1, OrderingParams::kUnlimited, false));
    CHECK(r.miss(kDev, 0, 4 * kNs, 196 * kNs) == 200 * kNs);
    CHECK(r.hit(kDev, 10 * kNs, 14 * kNs) == 14 * kNs);    // passes the miss (1 of 1)
    CHECK(r.hit(kDev, 20 * kNs, 24 * kNs) == 200 * kNs);   // waits for it
    CHECK(r.hit(kOther, 25 * kNs, 29 * kNs) == 29 * kNs);  // another requester passes freely
    CHECK(r.miss(kDev, 30 * kNs, 34 * kNs, 116 * kNs) == 150 * kNs);
    // Held by the first miss (full) to 200, which is after the second (150):
    // it passes neither.
    CHECK(r.hit(kDev, 40 * kNs, 44 * kNs) == 200 * kNs);
    CHECK(r.o.recorded_misses(kDev) == 2);
    // Arriving after both completed: not held, and the state is pruned.
    CHECK(r.hit(kDev, 210 * kNs, 214 * kNs) == 214 * kNs);
    CHECK(r.o.recorded_misses(kDev) == 0);
    CHECK(r.o.requesters() == 0);
  }
  SECTION("H = 2, a later miss fills up on its own") {
    Run r(ordering_rules(2, OrderingParams::kUnlimited, false));
    CHECK(r.miss(kDev, 0, 4 * kNs, 196 * kNs) == 200 * kNs);   // A
    CHECK(r.hit(kDev, 10 * kNs, 14 * kNs) == 14 * kNs);        // passes A (1)
    CHECK(r.miss(kDev, 20 * kNs, 24 * kNs, 76 * kNs) == 100 * kNs);  // B
    CHECK(r.hit(kDev, 30 * kNs, 34 * kNs) == 34 * kNs);        // passes A (2) and B (1)
    CHECK(r.hit(kDev, 40 * kNs, 44 * kNs) == 200 * kNs);       // A full: waits for A
    CHECK(r.hit(kDev, 110 * kNs, 114 * kNs) == 200 * kNs);     // B done; A still full
  }
  SECTION("H = 0 is a blocking unit") {
    Run r(ordering_rules(0, OrderingParams::kUnlimited, false));
    CHECK(r.miss(kDev, 0, 4 * kNs, 196 * kNs) == 200 * kNs);
    const RequesterOrdering::Completion c = r.o.complete(kDev, 10 * kNs, false, 14 * kNs);
    CHECK(c.done == 200 * kNs);
    CHECK(c.hit_wait == 186 * kNs);
    CHECK(c.order_wait == 0);
    // A miss is not held by an earlier miss (only by the miss limit).
    CHECK(r.miss(kDev, 20 * kNs, 24 * kNs, 10 * kNs) == 34 * kNs);
    // A hit arriving before the miss it would pass is not later than it.
    CHECK(r.hit(kDev, 15 * kNs, 30 * kNs) == 200 * kNs);  // held by the first only
  }
}

TEST_CASE("iommu timing: in-order completion per requester", "[unit][iommu][timing]") {
  Run r(ordering_rules(OrderingParams::kUnlimited, OrderingParams::kUnlimited, true));
  CHECK(r.miss(kDev, 0, 4 * kNs, 196 * kNs) == 200 * kNs);
  RequesterOrdering::Completion c = r.o.complete(kDev, 10 * kNs, false, 14 * kNs);
  CHECK(c.done == 200 * kNs);
  CHECK(c.order_wait == 186 * kNs);
  CHECK(c.hit_wait == 0);
  CHECK(r.miss(kDev, 20 * kNs, 24 * kNs, 126 * kNs) == 200 * kNs);  // done at 150, after the previous
  CHECK(r.hit(kOther, 30 * kNs, 34 * kNs) == 34 * kNs);
  CHECK(r.hit(kDev, 300 * kNs, 304 * kNs) == 304 * kNs);
  // With hit-under-miss too: the limit, then the order.
  Run h(ordering_rules(1, OrderingParams::kUnlimited, true));
  CHECK(h.miss(kDev, 0, 4 * kNs, 96 * kNs) == 100 * kNs);
  CHECK(h.hit(kDev, 10 * kNs, 14 * kNs) == 100 * kNs);  // in order, though the limit allowed it
  c = h.o.complete(kDev, 20 * kNs, false, 24 * kNs);
  // The hit before it completed with the miss, so it did not pass it: the
  // limit does not hold this one, in-order completion does.
  CHECK(c.done == 100 * kNs);
  CHECK(c.hit_wait == 0);
  CHECK(c.order_wait == 76 * kNs);
}

TEST_CASE("iommu timing: every table read pays the unit's path to memory", "[unit][iommu][timing]") {
  FakeSocket s;
  SECTION("memory_latency 0: reads go straight to memory") {
    TimedTableReader<FakeSocket> r(s, 1 * kNs);
    std::uint64_t v = 1;
    REQUIRE(r.try_read_qword(0x1000, v));
    CHECK(v == 0);
    std::uint64_t e[2];
    REQUIRE(r.try_read_entry(0x2000, e, 2));
    CHECK(s.m.arrivals == std::vector<Tick>{1 * kNs, 31 * kNs});
    CHECK(r.time() == 61 * kNs);
    CHECK(r.reads() == 2);
  }
  SECTION("memory_latency 25.001 ns: 12.5 ns there, 12.501 ns back, reads one after the other") {
    TimedTableReader<FakeSocket> r(s, 1 * kNs, 25001);
    std::uint64_t v = 0;
    REQUIRE(r.try_read_qword(0x1000, v));
    CHECK(r.time() == 1000 + 12500 + 30000 + 12501);  // 56001
    REQUIRE(r.try_read_qword(0x1008, v));
    CHECK(s.m.arrivals == std::vector<Tick>{1000 + 12500, 56001 + 12500});
    CHECK(r.time() == 56001 + 12500 + 30000 + 12501);  // 111002
  }
}

TEST_CASE("iommu timing: paging-structure caches sized per level", "[unit][iommu][timing]") {
  PscParams p(CacheParams{4, 0, ReplacementPolicy::Lru, 1});
  p.level[4].entries = 1;  // a one-entry PML4E cache
  PagingStructureCache psc(p, 1);
  const Addr a = 0x1000, b = Addr(1) << 39;  // two 512 GiB regions
  psc.insert(1, a, 4, {0x100000, true, true}, 0);
  psc.insert(1, b, 4, {0x200000, true, true}, 0);  // evicts a's PML4E
  psc.insert(1, a, 2, {0x300000, true, true}, 0);
  psc.insert(1, a + 0x200000, 2, {0x400000, true, true}, 0);  // the PDE cache keeps both
  CHECK(psc.evictions(4) == 1);
  CHECK(psc.evictions(2) == 0);
  CHECK(psc.size(4) == 1);
  CHECK(psc.size(2) == 2);
  PscHit hit{};
  REQUIRE(psc.lookup(1, a, 4, hit));
  CHECK(hit.level == 2);
  CHECK(hit.entry.table == 0x300000);
  REQUIRE(psc.lookup(1, a + 0x200000, 4, hit));
  CHECK(hit.entry.table == 0x400000);
  // Probed level 2, 3 and 4 and missed each: a's PML4E is gone.
  CHECK_FALSE(psc.lookup(1, a + 0x400000, 4, hit));
  REQUIRE(psc.lookup(1, b, 4, hit));
  CHECK(hit.level == 4);
  CHECK(hit.entry.table == 0x200000);
  CHECK(psc.hits(2) == 2);
  CHECK(psc.hits(3) == 0);
  CHECK(psc.hits(4) == 1);
  CHECK(psc.misses(2) == 2);
  CHECK(psc.misses(3) == 2);
  CHECK(psc.misses(4) == 1);
  CHECK(psc.misses() == 1);
  // The same fills with every level alike (4 entries): the PML4E of a stays.
  PagingStructureCache uniform(CacheParams{4, 0, ReplacementPolicy::Lru, 1}, 1);
  uniform.insert(1, a, 4, {0x100000, true, true}, 0);
  uniform.insert(1, b, 4, {0x200000, true, true}, 0);
  CHECK(uniform.evictions(4) == 0);
  REQUIRE(uniform.lookup(1, a + 0x400000, 4, hit));
  CHECK(hit.level == 4);
  CHECK(hit.entry.table == 0x100000);
}

TEST_CASE("iommu timing: configuration keys, defaults and errors", "[unit][iommu][timing]") {
  auto unit = [](const std::string& yaml) {
    Config c = Config::from_string(yaml, "u.yaml");
    return RemappingUnitParams::from_config(c.root().child("unit"), 46);
  };
  const RemappingUnitParams d = unit("unit: {}");
  CHECK(d.memory_latency_ps == 0);
  CHECK(d.ordering.hit_under_miss == OrderingParams::kUnlimited);
  CHECK(d.ordering.misses == OrderingParams::kUnlimited);
  CHECK_FALSE(d.ordering.in_order);
  for (unsigned l = kPscMinLevel; l <= kPscMaxLevel; ++l) {
    CHECK(d.psc.level[l].entries == 16);
    CHECK(d.psc.level[l].ways == 0);
    CHECK(d.fl_psc.level[l].entries == 16);
  }
  CHECK(d.psc.latency_cycles == 1);

  const RemappingUnitParams p = unit(
      "unit:\n"
      "  memory_latency_ns: 42.5\n"
      "  ordering: {hit_under_miss: 0, misses: 2, in_order: true}\n"
      "  psc: {entries: 8, latency_cycles: 3, pde: {entries: 32, ways: 4}, pml4e: {entries: 1}}\n"
      "  fl_psc: {pdpte: {entries: 2, policy: fifo}}\n");
  CHECK(p.memory_latency_ps == 42500);
  CHECK(p.ordering.hit_under_miss == 0);
  CHECK(p.ordering.misses == 2);
  CHECK(p.ordering.in_order);
  CHECK(p.psc.latency_cycles == 3);
  CHECK(p.psc.level[2].entries == 32);
  CHECK(p.psc.level[2].ways == 4);
  CHECK(p.psc.level[3].entries == 8);
  CHECK(p.psc.level[4].entries == 1);
  CHECK(p.psc.level[5].entries == 8);
  CHECK(p.fl_psc.level[3].entries == 2);
  CHECK(p.fl_psc.level[3].policy == ReplacementPolicy::Fifo);
  CHECK(p.fl_psc.level[2].entries == 16);
  CHECK(unit("unit: {ordering: {hit_under_miss: unlimited, misses: 0x10}}").ordering.misses == 16);

  CHECK_THROWS_WITH(unit("unit: {ordering: {misses: 0}}"),
                    "u.yaml:1: unit.ordering.misses: expected an integer in [1, 65535] or 'unlimited', got 0");
  CHECK_THROWS_WITH(unit("unit: {ordering: {hit_under_miss: many}}"),
                    "u.yaml:1: unit.ordering.hit_under_miss: expected an integer in [0, 65535] or 'unlimited', got many");
  CHECK_THROWS_WITH(unit("unit: {memory_latency_ns: -1}"), Catch::Contains("unit.memory_latency_ns"));
  CHECK_THROWS_WITH(unit("unit: {psc: {pde: {entries: 12, ways: 5}}}"),
                    "u.yaml:1: unit.psc.pde.ways: expected a divisor of entries (12), got 5");
  CHECK_THROWS_WITH(unit("unit: {psc: {pml5e: {entries: 6, policy: plru}}}"),
                    "u.yaml:1: unit.psc.pml5e.policy: plru needs a power-of-two number of ways, got 6");
}

TEST_CASE("iommu timing: the ordering state stays bounded by the requests in flight", "[unit][iommu][timing]") {
  // A miss every 10 ns, each translated 25 ns after it arrives, with a hit
  // between: two earlier misses are outstanding when a miss arrives (below the
  // limit of 3, so none is held), and three are recorded at most.
  Run r(ordering_rules(2, 3, true));
  std::size_t most = 0;
  for (Tick i = 0; i < 10000; ++i) {
    const Tick at = i * 10 * kNs;
    CHECK(r.miss(kDev, at, at, 25 * kNs) == at + 25 * kNs);
    most = std::max(most, r.o.recorded_misses(kDev));  // the two before it, and it
    CHECK(r.hit(kDev, at + 5 * kNs, at + 6 * kNs) == at + 25 * kNs);  // in order, behind the miss
    most = std::max(most, r.o.recorded_misses(kDev));
  }
  CHECK(most == 3);
  CHECK(r.o.requesters() == 1);
  CHECK(r.walk_starts.back() == 9999 * 10 * kNs);
}
