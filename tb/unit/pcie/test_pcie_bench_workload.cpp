// The pcie_bench workload (models/pcie/pcie_bench_workload.h): pcie-bench's
// address sequences, one DMA outstanding in the latency tests (driven through
// the DmaSource API as the endpoint's engine drives it), the bandwidth tests'
// read/write mix, its statistics and its configuration errors.
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "common/config.h"
#include "common/error.h"
#include "common/stats.h"
#include "pcie/pcie_bench_workload.h"
#include "pcie/workloads.h"

using namespace iommusim;

namespace {

std::unique_ptr<DmaSource> make(const std::string& yaml, Config& c) {
  c = Config::from_string("w: {kind: pcie_bench, " + yaml + "}", "w.yaml");
  return make_workload(c.root().child("w"), 48, 1);
}

// The endpoint's engine for one DMA at a time: it adds `origin` to a request's
// time, issues it at max(time, cursor), the DMA takes `lat` ps, and the next
// TLP can leave `gap` ps after this one left.
struct FakeEngine {
  Tick origin = 0, lat = 0, gap = 0, cursor = 0;
  struct Done {
    DmaRequest r;
    Tick issued, done;
  };
  std::vector<Done> run(DmaSource& s) {
    std::vector<Done> out;
    cursor = origin;
    DmaRequest r;
    while (s.next(r)) {
      r.time += origin;
      const Tick issued = std::max(r.time, cursor);
      const Tick done = issued + lat;
      cursor = issued + gap;
      s.completed(r, issued, done, true);
      out.push_back({r, issued, done});
    }
    return out;
  }
};

}  // namespace

TEST_CASE("pcie_bench: sequential addresses step by the cache-line unit of size + HO and skip 4 KiB crossings",
          "[unit][pcie_bench]") {
  Config c = Config::empty();
  // size 150 + HO 8 -> unit 192; window 4608 -> 24 units. Unit 21 is at
  // 4032 + 8: 150 bytes would cross 4096, so Seq moves on to unit 22 (and
  // every later index one unit further), wrapping after unit 23.
  auto s = make("test: BW_DMA_RD, pattern: Seq, size: 150, host_offset: 8, window: 4608, base: 0x200000, count: 25", c);
  std::vector<Addr> a;
  DmaRequest r;
  while (s->next(r)) {
    CHECK(r.size == 150);
    a.push_back(r.addr - 0x200000);
  }
  REQUIRE(a.size() == 25);
  for (std::size_t i = 0; i < 21; ++i) CHECK(a[i] == i * 192 + 8);
  CHECK(a[21] == 22 * 192 + 8);  // unit 21 skipped
  CHECK(a[22] == 23 * 192 + 8);
  CHECK(a[23] == 0 * 192 + 8);   // wraps
  CHECK(a[24] == 1 * 192 + 8);
}

TEST_CASE("pcie_bench: random addresses are unit-aligned plus HO, inside the window, never crossing 4 KiB",
          "[unit][pcie_bench]") {
  PcieBenchParams p;
  p.random = true;
  p.size = 64;
  p.host_offset = 4;
  p.window = 64 << 10;
  PcieBenchAddresses a(p, 42);
  CHECK(a.unit() == 128);
  CHECK(a.units() == 512);
  std::vector<bool> seen(512);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t off = a.next();
    REQUIRE(off % 128 == 4);
    REQUIRE(off + 64 <= p.window);
    REQUIRE((off & 0xfff) + 64 <= 0x1000);
    seen[off / 128] = true;
  }
  CHECK(std::count(seen.begin(), seen.end(), true) == 512);
  // Deterministic: the same seed gives the same sequence.
  PcieBenchAddresses b(p, 42), d(p, 43);
  std::vector<std::uint64_t> x, y, z;
  for (int i = 0; i < 8; ++i) x.push_back(b.next());
  PcieBenchAddresses b2(p, 42);
  for (int i = 0; i < 8; ++i) y.push_back(b2.next()), z.push_back(d.next());
  CHECK(x == y);
  CHECK(x != z);
}

TEST_CASE("pcie_bench: LAT_DMA_RD keeps one read outstanding and starts the next gap_ns after completion",
          "[unit][pcie_bench]") {
  Config c = Config::empty();
  auto s = make("test: LAT_DMA_RD, pattern: Seq, size: 64, window: 8KiB, base: 0x100000, count: 3, gap_ns: 200", c);
  FakeEngine e;
  e.origin = 5'000;  // the driver's bring-up ended at 5 ns
  e.lat = 600'000;
  e.gap = 4'000;
  const auto d = e.run(*s);
  REQUIRE(d.size() == 3);
  CHECK(d[0].issued == 5'000);
  CHECK(d[1].issued == 5'000 + 600'000 + 200'000);
  CHECK(d[2].issued == 5'000 + 2 * 800'000);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(d[i].r.write);
    CHECK(d[i].r.addr == 0x100000 + 64 * Addr(i));
  }
  auto& b = static_cast<PcieBenchSource&>(*s);
  CHECK(b.samples() == std::vector<Tick>{600'000, 600'000, 600'000});
  CHECK(b.elapsed() == 2 * 800'000 + 600'000);
  CHECK(b.iteration_time() == Approx(2'200'000.0 / 3).epsilon(1e-12));
  CHECK(b.transactions() == 3);
  CHECK(b.bytes() == 192);
}

TEST_CASE("pcie_bench: LAT_DMA_WRRD writes then reads the same address, a sample is write issue to read completion",
          "[unit][pcie_bench]") {
  Config c = Config::empty();
  auto s = make("test: LAT_DMA_WRRD, pattern: Seq, size: 128, window: 8KiB, base: 0x100000, count: 2, gap_ns: 100", c);
  FakeEngine e;
  e.lat = 500'000;
  e.gap = 4'000;  // the read leaves one issue gap after the write
  const auto d = e.run(*s);
  REQUIRE(d.size() == 4);
  CHECK(d[0].r.write);
  CHECK_FALSE(d[1].r.write);
  CHECK(d[0].r.addr == 0x100000);
  CHECK(d[1].r.addr == 0x100000);
  CHECK(d[2].r.addr == 0x100080);
  CHECK(d[3].r.addr == 0x100080);
  CHECK(d[1].issued == 4'000);
  CHECK(d[2].issued == 504'000 + 100'000);
  CHECK(d[3].issued == 608'000);
  auto& b = static_cast<PcieBenchSource&>(*s);
  CHECK(b.samples() == std::vector<Tick>{504'000, 504'000});
  CHECK(b.transactions() == 4);
  CHECK(b.elapsed() == 608'000 + 500'000);
}

TEST_CASE("pcie_bench: bandwidth tests issue at once, RW alternates write, read", "[unit][pcie_bench]") {
  Config c = Config::empty();
  auto s = make("test: BW_DMA_RW, pattern: Seq, size: 64, window: 4KiB, count: 5", c);
  DmaRequest r;
  std::vector<bool> w;
  while (s->next(r)) {
    CHECK(r.time == 0);
    w.push_back(r.write);
  }
  CHECK(w == std::vector<bool>{true, false, true, false, true});
  Config c2 = Config::empty();
  auto wr = make("test: BW_DMA_WR, count: 2", c2);
  REQUIRE(wr->next(r));
  CHECK(r.write);
}

TEST_CASE("pcie_bench: statistics under the endpoint, with pcie-bench's median and percentiles", "[unit][pcie_bench]") {
  Config c = Config::empty();
  auto s = make("test: LAT_DMA_RD, count: 4, window: 8KiB", c);
  StatsRegistry reg;
  s->register_stats(StatsGroup(reg, "system.nic0"));
  DmaRequest r;
  const Tick lat[] = {100, 400, 200, 300};
  for (Tick l : lat) {
    REQUIRE(s->next(r));
    s->completed(r, 1000, 1000 + l, true);
  }
  auto& b = static_cast<PcieBenchSource&>(*s);
  CHECK(b.sample_median() == 250.0);
  CHECK(b.sample_percentile(95) == Approx(385.0));  // idx 2.85: 300 * 0.15 + 400 * 0.85
  CHECK(b.sample_percentile(100) == 400.0);
  const Histogram* h = dynamic_cast<const Histogram*>(reg.find("system.nic0.pcie_bench.latency"));
  REQUIRE(h);
  CHECK(h->count() == 4);
  CHECK(h->min() == 100);
  CHECK(h->max() == 400);
  REQUIRE(reg.find("system.nic0.pcie_bench.latency_p999"));
  REQUIRE(reg.find("system.nic0.pcie_bench.elapsed"));
}

TEST_CASE("pcie_bench: the cache state is reported for the buffer's physical range", "[unit][pcie_bench]") {
  Config c = Config::empty();
  auto s = make("test: BW_DMA_RD, cache: DWarm, base: 0x300000, window: 1MiB", c);
  auto prep = s->cache_preparation();
  REQUIRE(prep);
  CHECK(prep->state == CacheState::DeviceWarm);
  CHECK(prep->base == 0x300000);
  CHECK(prep->size == 1 << 20);
  Config c2 = Config::empty();
  auto s2 = make("test: BW_DMA_RD, base: 0x300000, buffer_pa: 0x7000000, window: 8KiB", c2);
  CHECK(s2->cache_preparation()->base == 0x7000000);
  CHECK(s2->cache_preparation()->state == CacheState::Cold);
}

TEST_CASE("pcie_bench: bad configuration names the key", "[unit][pcie_bench]") {
  Config c = Config::empty();
  CHECK_THROWS_WITH(make("test: LAT_DMA_XX", c), Catch::Contains("w.test"));
  CHECK_THROWS_WITH(make("host_offset: 64", c), Catch::Contains("w.host_offset"));
  CHECK_THROWS_WITH(make("device_offset: 64", c), Catch::Contains("w.device_offset"));
  CHECK_THROWS_WITH(make("size: 4096, host_offset: 1", c), Catch::Contains("w.size"));
  CHECK_THROWS_WITH(make("size: 256, window: 128", c), Catch::Contains("w.window"));
  CHECK_THROWS_WITH(make("pattern: random", c), Catch::Contains("w.pattern"));
  CHECK_THROWS_WITH(make("cache: Warm", c), Catch::Contains("w.cache"));
}
