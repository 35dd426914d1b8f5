// Unit tests of the statistics group helper (models/common/stats_group.h).
#include <catch2/catch.hpp>

#include <stdexcept>

#include "common/stats_group.h"

using namespace iommusim;

TEST_CASE("stats group: names are the prefix plus the leaf, subgroups nest", "[unit]") {
  StatsRegistry reg;
  const StatsGroup unit(reg, "system.iommu0");
  Counter& hits = unit.counter("iotlb_hits", "IOTLB hits");
  const StatsGroup ir = unit.group("ir");
  Counter& posted = ir.counter("posted", "Posted");
  const StatsGroup dom = unit.group("domain_7");
  Average& a = dom.average("reads", "Reads");
  Histogram& h = ir.histogram("latency", "Latency");
  Formula& f = unit.formula("rate", "Rate", "Ratio", [] { return 0.5; });

  CHECK(hits.name() == "system.iommu0.iotlb_hits");
  CHECK(posted.name() == "system.iommu0.ir.posted");
  CHECK(a.name() == "system.iommu0.domain_7.reads");
  CHECK(h.name() == "system.iommu0.ir.latency");
  CHECK(f.name() == "system.iommu0.rate");
  CHECK(ir.prefix() == "system.iommu0.ir");
  CHECK(unit.name("x") == "system.iommu0.x");
  CHECK(&unit.registry() == &reg);
  CHECK(reg.size() == 5);
  CHECK(reg.find("system.iommu0.ir.posted") == &posted);
}

TEST_CASE("stats group: default units follow the convention (Count, Tick for histograms)", "[unit]") {
  StatsRegistry reg;
  const StatsGroup g(reg, "system.mem0");
  CHECK(g.counter("reads", "Reads").unit() == "Count");
  CHECK(g.average("mean_reads", "Mean").unit() == "Count");
  CHECK(g.histogram("latency", "Latency").unit() == "Tick");
  CHECK(g.counter("bytes_read", "Bytes", "Byte").unit() == "Byte");
  CHECK(g.histogram("cycles", "Cycles", "Cycle").unit() == "Cycle");
}

TEST_CASE("stats group: an empty prefix gives bare leaves, duplicates are refused", "[unit]") {
  StatsRegistry reg;
  const StatsGroup top(reg, "");
  CHECK(top.counter("dmas", "DMAs").name() == "dmas");
  CHECK(top.group("system").counter("dmas", "DMAs").name() == "system.dmas");
  const StatsGroup g(reg, "system");
  CHECK_THROWS_AS(g.counter("dmas", "again"), std::logic_error);
  CHECK_THROWS_AS(g.counter("bad name", "spaces"), std::logic_error);
}
