// Unit tests for the root complex's inbound queue (pcie/inbound_queue.h) and
// the configuration keys of the two PCIe timing mechanisms of issue 14: the
// root complex's inbound buffers and the endpoint's DMA pipelines.
#include <catch2/catch.hpp>

#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "pcie/endpoint.h"
#include "pcie/inbound_queue.h"
#include "pcie/root_complex.h"

using namespace iommusim;

TEST_CASE("inbound queue: unlimited takes every TLP at its arrival and counts nothing", "[unit][pcie][inbound]") {
  InboundQueue q(0);
  CHECK_FALSE(q.limited());
  for (Tick t : {5, 5, 5, 3}) {
    CHECK(q.enter(t) == t);
    q.hold_until(t + 1000);
  }
  CHECK(q.waited() == 0);
  CHECK(q.wait() == 0);
  CHECK(q.peak() == 0);
}

TEST_CASE("inbound queue: a full queue makes a TLP wait for the entry that frees first", "[unit][pcie][inbound]") {
  // Two entries. TLPs arrive at 100 ps each; each entry is held 250 ps after
  // its TLP entered (the time memory took it).
  InboundQueue q(2);
  REQUIRE(q.limited());
  std::vector<Tick> entered;
  for (Tick i = 1; i <= 6; ++i) {
    const Tick at = q.enter(i * 100);
    entered.push_back(at);
    q.hold_until(at + 250);
  }
  // 100, 200 enter at once (held to 350, 450); 300 waits to 350 (held to
  // 600); 400 waits to 450 (700); 500 to 600 (850); 600 to 700 (950).
  CHECK(entered == std::vector<Tick>{100, 200, 350, 450, 600, 700});
  CHECK(q.waited() == 4);
  CHECK(q.wait() == 50 + 50 + 100 + 100);
  CHECK(q.peak() == 2);
}

TEST_CASE("inbound queue: peak counts only the entries still held when a TLP enters", "[unit][pcie][inbound]") {
  InboundQueue q(4);
  q.enter(0);
  q.hold_until(100);  // frees at 100
  q.enter(0);
  q.hold_until(500);
  CHECK(q.peak() == 2);
  // At 100 the first entry has freed (an entry held until 100 is free at 100):
  // this TLP and the one held to 500.
  CHECK(q.enter(100) == 100);
  q.hold_until(600);
  CHECK(q.peak() == 2);
  CHECK(q.enter(200) == 200);  // 500, 600 and itself
  q.hold_until(700);
  CHECK(q.peak() == 3);
  CHECK(q.waited() == 0);
}

TEST_CASE("inbound queue: root complex and endpoint configuration keys", "[unit][pcie][inbound]") {
  SECTION("defaults keep today's behaviour and are written back") {
    Config cfg = Config::from_string("rc: {}\nep: {name: ep0, bdf: '00:03.0'}", "t.yaml");
    const RootComplexParams rc = RootComplexParams::from_config(cfg.root().child("rc"));
    CHECK(rc.inbound_posted == 0);
    CHECK(rc.inbound_non_posted == 0);
    const EndpointParams ep = EndpointParams::from_config(cfg.root().child("ep"));
    CHECK(ep.request_latency_ps == 0);
    CHECK(ep.completion_latency_ps == 0);
    CHECK(cfg.root().child("rc").child("inbound").u64("posted", 99) == 0);
    CHECK(cfg.root().child("ep").real("request_latency_ns", 99, 0, 1e9) == 0);
  }
  SECTION("values") {
    Config cfg = Config::from_string(
        "rc: {inbound: {posted: 64, non_posted: 32}}\n"
        "ep: {name: ep0, bdf: '00:03.0', request_latency_ns: 120.5, completion_latency_ns: 0.0015}",
        "t.yaml");
    const RootComplexParams rc = RootComplexParams::from_config(cfg.root().child("rc"));
    CHECK(rc.inbound_posted == 64);
    CHECK(rc.inbound_non_posted == 32);
    const EndpointParams ep = EndpointParams::from_config(cfg.root().child("ep"));
    CHECK(ep.request_latency_ps == 120'500);
    CHECK(ep.completion_latency_ps == 2);  // 1.5 ps, rounded half away from zero
  }
  SECTION("bad values name the key") {
    Config a = Config::from_string("rc: {inbound: {posted: 5000}}", "t.yaml");
    CHECK_THROWS_WITH(RootComplexParams::from_config(a.root().child("rc")),
                      Catch::Contains("rc.inbound.posted"));
    Config b = Config::from_string("rc: {inbound: {non_posted: -1}}", "t.yaml");
    CHECK_THROWS_WITH(RootComplexParams::from_config(b.root().child("rc")),
                      Catch::Contains("rc.inbound.non_posted"));
    Config c = Config::from_string("ep: {name: ep0, bdf: '00:03.0', completion_latency_ns: -3}", "t.yaml");
    CHECK_THROWS_WITH(EndpointParams::from_config(c.root().child("ep")),
                      Catch::Contains("ep.completion_latency_ns"));
    Config d = Config::from_string("ep: {name: ep0, bdf: '00:03.0', request_latency_ns: 2e6}", "t.yaml");
    CHECK_THROWS_WITH(EndpointParams::from_config(d.root().child("ep")),
                      Catch::Contains("ep.request_latency_ns"));
  }
}
