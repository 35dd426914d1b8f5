// Unit tests for the root complex's read-after-posted-write ordering
// (pcie/posted_ordering.h, docs/models/pcie.md "Ordering") and its
// configuration key. The root complex with it is tested in
// tb/system/test_models_tlm.cpp ("root complex: ordering ...").
#include <catch2/catch.hpp>

#include "common/bdf.h"
#include "common/config.h"
#include "pcie/posted_ordering.h"
#include "pcie/root_complex.h"

using namespace iommusim;

namespace {
Bdf bdf(const char* s) { return *parse_bdf(s); }
}  // namespace

TEST_CASE("posted ordering: none lets every non-posted request go at once and keeps no state",
          "[unit][pcie][ordering]") {
  PostedOrdering o(false);
  CHECK_FALSE(o.enabled());
  o.posted(bdf("00:03.0"), 1'140'000);
  CHECK(o.visible(bdf("00:03.0")) == 0);
  CHECK(o.non_posted(bdf("00:03.0"), 1'000'000) == 1'000'000);
  CHECK(o.waits() == 0);
  CHECK(o.wait() == 0);
}

TEST_CASE("posted ordering: a read waits for its requester's earlier writes, not for another requester's",
          "[unit][pcie][ordering]") {
  PostedOrdering o(true);
  REQUIRE(o.enabled());
  const Bdf a = bdf("00:03.0"), b = bdf("00:04.0");
  // Before any write: no wait.
  CHECK(o.non_posted(a, 500'000) == 500'000);
  // A write of `a` visible at 1140 ns; a second one visible earlier (900 ns,
  // its call came back sooner) does not move the time back.
  o.posted(a, 1'140'000);
  o.posted(a, 900'000);
  CHECK(o.visible(a) == 1'140'000);
  // a's read ready at 1000 ns goes at 1140 ns (a 140 ns wait).
  CHECK(o.non_posted(a, 1'000'000) == 1'140'000);
  // b has not written: its read at 1000 ns goes at once.
  CHECK(o.non_posted(b, 1'000'000) == 1'000'000);
  CHECK(o.visible(b) == 0);
  // a's read ready at or after the visibility time does not wait.
  CHECK(o.non_posted(a, 1'140'000) == 1'140'000);
  CHECK(o.non_posted(a, 1'200'000) == 1'200'000);
  // A later write of a, visible at 1500 ns: a read ready at 1300 ns waits 200 ns.
  o.posted(a, 1'500'000);
  CHECK(o.non_posted(a, 1'300'000) == 1'500'000);
  CHECK(o.waits() == 2);
  CHECK(o.wait() == 140'000 + 200'000);
}

TEST_CASE("posted ordering: requesters of different segments are different requesters", "[unit][pcie][ordering]") {
  PostedOrdering o(true);
  o.posted(bdf("0001:00:03.0"), 2'000);
  CHECK(o.non_posted(bdf("00:03.0"), 1'000) == 1'000);
  CHECK(o.non_posted(bdf("0001:00:03.0"), 1'000) == 2'000);
  CHECK(o.waits() == 1);
  CHECK(o.wait() == 1'000);
}

TEST_CASE("posted ordering: the root complex's ordering key", "[unit][pcie][ordering]") {
  SECTION("default none, written back") {
    Config cfg = Config::from_string("rc: {}", "t.yaml");
    CHECK_FALSE(RootComplexParams::from_config(cfg.root().child("rc")).pcie_ordering);
    CHECK(cfg.root().child("rc").str("ordering", "x") == "none");
  }
  SECTION("pcie") {
    Config cfg = Config::from_string("rc: {ordering: pcie}", "t.yaml");
    CHECK(RootComplexParams::from_config(cfg.root().child("rc")).pcie_ordering);
  }
  SECTION("a bad value names the key") {
    Config cfg = Config::from_string("rc: {ordering: relaxed}", "t.yaml");
    CHECK_THROWS_WITH(RootComplexParams::from_config(cfg.root().child("rc")),
                      Catch::Contains("rc.ordering") && Catch::Contains("relaxed"));
  }
}
