// Translation ordering per request class (ordering.posted /
// ordering.non_posted): one shared rule set and state without class blocks,
// one per class with them; the configuration keys, their errors, and the
// per-class statistics.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/stats.h"
#include "common/stats_group.h"
#include "iommu/requester_ordering.h"
#include "iommu/unit_params.h"
#include "ordering_rules.h"
#include "iommu/unit_stats.h"

using namespace iommusim;

namespace {

constexpr Tick kNs = 1000;
constexpr std::uint16_t kDev = 0x0018;
constexpr RequestClass kW = RequestClass::Posted, kR = RequestClass::NonPosted;
constexpr unsigned kUnl = OrderingParams::kUnlimited;

// Requests of one requester as the engine hands them over (see
// test_translation_timing.cpp's Run), each of a class.
struct ClassRun {
  explicit ClassRun(const ClassOrderingParams& p) : o(p) {}
  ClassOrdering o;
  std::vector<Tick> walk_starts;
  Tick hit(RequestClass c, Tick arrival, Tick ready) { return o.of(c).complete(kDev, arrival, false, ready).done; }
  Tick miss(RequestClass c, Tick arrival, Tick ready, Tick walk) {
    const Tick start = o.of(c).walk_start(kDev, arrival, ready);
    walk_starts.push_back(start);
    return o.of(c).complete(kDev, arrival, true, start + walk).done;
  }
};

RemappingUnitParams unit_of(Config& c) { return RemappingUnitParams::from_config(c.root().child("unit"), 46); }
RemappingUnitParams unit(const std::string& yaml) {
  Config c = Config::from_string(yaml, "u.yaml");
  return unit_of(c);
}
bool same(const OrderingParams& a, const OrderingParams& b) {
  return a.hit_under_miss == b.hit_under_miss && a.misses == b.misses && a.in_order == b.in_order;
}

}  // namespace

TEST_CASE("iommu ordering classes: without class rules both classes share one rule set and state",
          "[unit][iommu][timing][ordering]") {
  ClassOrderingParams p;
  p.all = ordering_rules(0, 1, false);
  ClassRun r(p);
  CHECK_FALSE(r.o.by_class());
  CHECK(&r.o.of(kW) == &r.o.of(kR));
  // As one RequesterOrdering (today's behaviour): a read is held by a write's
  // walk and the other way round.
  CHECK(r.miss(kW, 0, 4 * kNs, 296 * kNs) == 300 * kNs);            // W1
  CHECK(r.miss(kR, 10 * kNs, 14 * kNs, 86 * kNs) == 386 * kNs);     // R1: walks after W1 (misses: 1)
  CHECK(r.hit(kR, 20 * kNs, 24 * kNs) == 386 * kNs);                // held by W1 and R1 (H = 0)
  CHECK(r.hit(kW, 30 * kNs, 34 * kNs) == 386 * kNs);
  CHECK(r.walk_starts == std::vector<Tick>{4 * kNs, 300 * kNs});
  CHECK(r.o.of(kR).recorded_misses(kDev) == 2);
}

TEST_CASE("iommu ordering classes: a mixed read/write sequence of one requester under per-class rules",
          "[unit][iommu][timing][ordering]") {
  // Posted: writes translated ahead (walks in parallel) and completed in
  // order. Non-posted: a blocking unit (H = 0) with one walk at a time.
  ClassOrderingParams p;
  p.by_class = {ordering_rules(kUnl, kUnl, true), ordering_rules(0, 1, false)};
  ClassRun r(p);
  REQUIRE(r.o.by_class());
  CHECK(&r.o.of(kW) != &r.o.of(kR));
  CHECK(r.miss(kW, 0, 4 * kNs, 296 * kNs) == 300 * kNs);         // W1 miss
  CHECK(r.miss(kR, 10 * kNs, 14 * kNs, 86 * kNs) == 100 * kNs);  // R1 miss: W1's walk does not hold it
  CHECK(r.hit(kR, 20 * kNs, 24 * kNs) == 100 * kNs);             // R2 hit: held by R1 (H = 0), not by W1
  CHECK(r.hit(kW, 30 * kNs, 34 * kNs) == 300 * kNs);             // W2 hit: in order behind W1
  CHECK(r.hit(kR, 110 * kNs, 114 * kNs) == 114 * kNs);           // R3 hit: W1 still walks, not held
  CHECK(r.miss(kW, 120 * kNs, 124 * kNs, 26 * kNs) == 300 * kNs);  // W3 miss: walks at once, done 150, in order
  CHECK(r.miss(kR, 130 * kNs, 134 * kNs, 50 * kNs) == 184 * kNs);  // R4 miss: W1, W3 outstanding do not count
  CHECK(r.miss(kR, 140 * kNs, 144 * kNs, 50 * kNs) == 234 * kNs);  // R5 miss: waits for R4 (misses: 1)
  CHECK(r.miss(kW, 150 * kNs, 154 * kNs, 50 * kNs) == 300 * kNs);  // W4 miss: walks at 154, done 204, in order
  const RequesterOrdering::Completion c = r.o.of(kR).complete(kDev, 160 * kNs, false, 164 * kNs);  // R6 hit
  CHECK(c.done == 234 * kNs);  // the latest of R4, R5 (both full at H = 0)
  CHECK(c.hit_wait == 70 * kNs);
  CHECK(c.order_wait == 0);
  CHECK(r.walk_starts ==
        std::vector<Tick>{4 * kNs, 14 * kNs, 124 * kNs, 134 * kNs, 184 * kNs, 154 * kNs});
  // Each class records only its own misses: R4 and R5 (the posted rules have
  // no miss or hit limit, so they keep no misses, only the last completion).
  CHECK(r.o.of(kW).recorded_misses(kDev) == 0);
  CHECK(r.o.of(kR).recorded_misses(kDev) == 2);
  // A write after every write completed: not held, although R5 still walks.
  CHECK(r.hit(kW, 301 * kNs, 305 * kNs) == 305 * kNs);
}

TEST_CASE("iommu ordering classes: configuration keys, defaults and errors", "[unit][iommu][timing][ordering]") {
  SECTION("no class block: one rule set, nothing added to the effective configuration") {
    Config c = Config::from_string("unit: {ordering: {hit_under_miss: 3}}", "u.yaml");
    const RemappingUnitParams p = unit_of(c);
    CHECK_FALSE(p.ordering_class.has_value());
    CHECK_FALSE(p.ordering_rules().by_class.has_value());
    CHECK(same(p.ordering_rules().of(kW), ordering_rules(3, kUnl, false)));
    CHECK(same(p.ordering_rules().of(kR), ordering_rules(3, kUnl, false)));
    const auto j = c.to_json();
    CHECK_FALSE(j["unit"]["ordering"].contains("posted"));
    CHECK_FALSE(j["unit"]["ordering"].contains("non_posted"));
    CHECK_NOTHROW(c.check_unknown_keys());
  }
  SECTION("a class block's keys override the top level's for that class only") {
    const RemappingUnitParams p = unit(
        "unit:\n"
        "  ordering:\n"
        "    hit_under_miss: 4\n"
        "    misses: 2\n"
        "    posted: {in_order: true, hit_under_miss: unlimited}\n"
        "    non_posted: {misses: 1}\n");
    CHECK(same(p.ordering, ordering_rules(4, 2, false)));
    REQUIRE(p.ordering_class.has_value());
    CHECK(same(p.ordering_rules().of(kW), ordering_rules(kUnl, 2, true)));
    CHECK(same(p.ordering_rules().of(kR), ordering_rules(4, 1, false)));
  }
  SECTION("one class block: both classes get their own rules and state") {
    Config c = Config::from_string("unit: {ordering: {in_order: true, non_posted: {hit_under_miss: 0x10}}}", "u.yaml");
    const RemappingUnitParams p = unit_of(c);
    REQUIRE(p.ordering_class.has_value());
    CHECK(same(p.ordering_rules().of(kW), ordering_rules(kUnl, kUnl, true)));
    CHECK(same(p.ordering_rules().of(kR), ordering_rules(16, kUnl, true)));
    // Both blocks are written back with their effective values.
    const auto j = c.to_json();
    for (const char* cls : {"posted", "non_posted"})
      for (const char* key : {"hit_under_miss", "misses", "in_order"}) CHECK(j["unit"]["ordering"][cls].contains(key));
    CHECK_NOTHROW(c.check_unknown_keys());
    CHECK(ClassOrdering(p.ordering_rules()).by_class());
  }
  SECTION("errors name the key") {
    CHECK_THROWS_WITH(unit("unit: {ordering: {posted: {misses: 0}}}"),
                      "u.yaml:1: unit.ordering.posted.misses: expected an integer in [1, 65535] or 'unlimited', got 0");
    CHECK_THROWS_WITH(
        unit("unit: {ordering: {non_posted: {hit_under_miss: 70000}}}"),
        "u.yaml:1: unit.ordering.non_posted.hit_under_miss: expected an integer in [0, 65535] or 'unlimited', got 70000");
    CHECK_THROWS_WITH(unit("unit: {ordering: {non_posted: {in_order: maybe}}}"),
                      "u.yaml:1: unit.ordering.non_posted.in_order: expected true or false, got 'maybe'");
    CHECK_THROWS_WITH(unit("unit: {ordering: {posted: 3}}"),
                      Catch::StartsWith("u.yaml:1: unit.ordering.posted: expected a map"));
    Config c = Config::from_string("unit: {ordering: {posted: {in_order: true, depth: 2}}}", "u.yaml");
    unit_of(c);
    CHECK_THROWS_WITH(c.check_unknown_keys(), "u.yaml:1: unit.ordering.posted.depth: unknown key");
    Config d = Config::from_string("unit: {ordering: {reads: {in_order: true}}}", "u.yaml");
    unit_of(d);
    CHECK_THROWS_WITH(d.check_unknown_keys(), "u.yaml:1: unit.ordering.reads: unknown key");
  }
}

TEST_CASE("iommu ordering classes: statistics per class only with class rules", "[unit][iommu][timing][ordering]") {
  StatsRegistry reg;
  StatsGroup g(reg, "iommu0");
  TranslationStats s(g);
  auto value = [&reg](const std::string& name) { return static_cast<const Counter*>(reg.find(name))->value(); };
  // Without class rules: the totals only.
  s.in_order(kW, 5 * kNs);
  s.hit_under_miss(kR, 7 * kNs);
  CHECK(reg.find("iommu0.posted.in_order_stalls") == nullptr);
  CHECK(reg.find("iommu0.non_posted.hit_under_miss_wait") == nullptr);
  CHECK(value("iommu0.in_order_stalls") == 1);
  CHECK(value("iommu0.in_order_wait") == 5 * kNs);
  CHECK(value("iommu0.hit_under_miss_wait") == 7 * kNs);
  // With them: each class counts its own, the totals both.
  s.add_ordering_classes(g);
  s.in_order(kW, 3 * kNs);
  s.miss_limit(kR, 11 * kNs);
  s.miss_limit(kW, 13 * kNs);
  s.hit_under_miss(kR, 2 * kNs);
  CHECK(value("iommu0.in_order_stalls") == 2);
  CHECK(value("iommu0.in_order_wait") == 8 * kNs);
  CHECK(value("iommu0.posted.in_order_stalls") == 1);
  CHECK(value("iommu0.posted.in_order_wait") == 3 * kNs);
  CHECK(value("iommu0.non_posted.in_order_stalls") == 0);
  CHECK(value("iommu0.miss_limit_stalls") == 2);
  CHECK(value("iommu0.miss_limit_wait") == 24 * kNs);
  CHECK(value("iommu0.posted.miss_limit_wait") == 13 * kNs);
  CHECK(value("iommu0.non_posted.miss_limit_wait") == 11 * kNs);
  CHECK(value("iommu0.non_posted.miss_limit_stalls") == 1);
  CHECK(value("iommu0.hit_under_miss_stalls") == 2);
  CHECK(value("iommu0.non_posted.hit_under_miss_stalls") == 1);
  CHECK(value("iommu0.non_posted.hit_under_miss_wait") == 2 * kNs);
  CHECK(value("iommu0.posted.hit_under_miss_stalls") == 0);
  CHECK(std::string(request_class_name(kW)) == "posted");
  CHECK(std::string(request_class_name(kR)) == "non_posted");
}
