// Unit tests of the statistics registry (models/common/stats.h).
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "common/stats.h"

using namespace iommusim;
using Catch::Matchers::Contains;

namespace {

std::string txt_of(const StatsRegistry& r) {
  std::ostringstream os;
  r.write_txt(os);
  return os.str();
}

std::string json_of(const StatsRegistry& r) {
  std::ostringstream os;
  r.write_json(os);
  return os.str();
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::filesystem::path fresh_dir(const std::string& tag) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  std::mt19937_64 rng(static_cast<std::uint64_t>(now));
  auto d = std::filesystem::temp_directory_path() /
           ("iommusim_stats_" + tag + "_" + std::to_string(rng()));
  std::filesystem::remove_all(d);
  return d;
}

// The small registry whose text output is checked byte for byte. `order`
// selects one of two registration orders; the values are the same.
void fill_small(StatsRegistry& r, bool reversed) {
  std::function<void()> steps[] = {
      [&] { r.counter("system.mem0.reads", "Number of reads") += 42; },
      [&] {
        auto& a = r.average("system.iommu0.walk_depth", "Average page walk depth");
        a.sample(3.0);
        a.sample(4.0, 3);
      },
      [&] {
        r.formula("system.mem0.bw", "Achieved bandwidth", "Byte/Second",
                  [] { return 1.0 / 3.0; });
      },
      [&] {
        r.formula("system.zero_div", "Hit rate", "Ratio", [] {
          volatile double zero = 0.0;
          return zero / zero;  // NaN, printed as 0
        });
      },
      [&] {
        auto& h = r.histogram("system.iommu0.lat", "Translation latency", "Tick");
        for (std::uint64_t v : {100, 200, 300, 400}) h.sample(v);
      },
      [&] {
        auto& c = r.counter("system.plain", "", "");
        c += 7;
      },
  };
  const int n = static_cast<int>(std::size(steps));
  for (int i = 0; i < n; ++i) steps[reversed ? n - 1 - i : i]();
}

}  // namespace

TEST_CASE("stats: counter counts", "[unit]") {
  StatsRegistry r;
  Counter& c = r.counter("system.a.hits", "Hits");
  CHECK(c.value() == 0);
  ++c;
  c++;
  c += 40;
  CHECK(c.value() == 42);
  CHECK(c.name() == "system.a.hits");
  CHECK(c.desc() == "Hits");
  CHECK(c.unit() == "Count");
  c.reset();
  CHECK(c.value() == 0);
}

TEST_CASE("stats: average mean, count and sum", "[unit]") {
  StatsRegistry r;
  Average& a = r.average("system.a.occupancy", "Occupancy", "Ratio");
  CHECK(a.mean() == 0.0);
  CHECK(a.count() == 0);
  a.sample(1.0);
  a.sample(2.0, 3);
  a.sample(100.0, 0);  // n = 0 adds nothing
  CHECK(a.count() == 4);
  CHECK(a.sum() == 7.0);
  CHECK(a.mean() == 7.0 / 4.0);
  CHECK(a.unit() == "Ratio");
  a.reset();
  CHECK(a.count() == 0);
  CHECK(a.mean() == 0.0);
}

TEST_CASE("stats: formula evaluated at read time, non-finite as 0", "[unit]") {
  StatsRegistry r;
  Counter& hits = r.counter("c.hits", "Hits");
  Counter& total = r.counter("c.accesses", "Accesses");
  Formula& rate = r.formula("c.hit_rate", "Hit rate", "Ratio", [&] {
    return total.value() ? double(hits.value()) / double(total.value()) : 0.0;
  });
  CHECK(rate.value() == 0.0);
  hits += 3;
  total += 4;
  CHECK(rate.value() == 0.75);

  Formula& inf = r.formula("c.inf", "Inf", "Ratio",
                           [] { return std::numeric_limits<double>::infinity(); });
  Formula& nan = r.formula("c.nan", "NaN", "Ratio",
                           [] { return std::numeric_limits<double>::quiet_NaN(); });
  Formula& negzero = r.formula("c.negzero", "-0", "Ratio", [] { return -0.0; });
  CHECK(inf.value() == 0.0);
  CHECK(nan.value() == 0.0);
  CHECK_FALSE(std::signbit(negzero.value()));
  CHECK_THROWS_AS(r.formula("c.empty", "no fn", "Ratio", nullptr), std::logic_error);
}

TEST_CASE("stats: histogram exact count, mean, min, max, stdev", "[unit]") {
  Histogram h("h", "latency");
  CHECK(h.count() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.stdev() == 0.0);
  CHECK(h.percentile(50) == 0);

  h.sample(1);
  CHECK(h.stdev() == 0.0);  // one sample
  h.sample(2);
  h.sample(4);
  CHECK(h.count() == 3);
  CHECK(h.mean() == 7.0 / 3.0);
  CHECK(h.min() == 1);
  CHECK(h.max() == 4);
  // sample stdev of {1,2,4}: sqrt(((4/3)^2 + (1/3)^2 + (5/3)^2) / 2) = sqrt(7/3)
  CHECK(h.stdev() == Approx(std::sqrt(7.0 / 3.0)).epsilon(1e-12));

  // Values far above the exact region keep exact min/max and an exact sum
  // (the sum of two UINT64_MAX overflows 64 bits).
  Histogram big("big", "big");
  const std::uint64_t m = std::numeric_limits<std::uint64_t>::max();
  big.sample(m);
  big.sample(m);
  big.sample(1000003);
  CHECK(big.min() == 1000003);
  CHECK(big.max() == m);
  CHECK(big.mean() == (std::ldexp(2.0, 64) + 1000003.0) / 3.0);

  Histogram odd("odd", "odd");
  odd.sample(1000001);
  odd.sample(1000002);
  CHECK(odd.mean() == 1000001.5);  // exact, not bucketed

  h.reset();
  CHECK(h.count() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.bucket_count() == 0);
}

TEST_CASE("stats: histogram percentile of identical values is exact", "[unit]") {
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{77}, std::uint64_t{129},
                          std::uint64_t{123456789}, std::uint64_t{1} << 40,
                          std::numeric_limits<std::uint64_t>::max()}) {
    Histogram h("h", "same");
    for (int i = 0; i < 1000; ++i) h.sample(v);
    for (double p : {0.001, 1.0, 50.0, 95.0, 99.0, 99.9, 100.0}) {
      INFO("v=" << v << " p=" << p);
      CHECK(h.percentile(p) == v);
    }
    CHECK(h.min() == v);
    CHECK(h.max() == v);
    CHECK(h.stdev() == 0.0);
  }
}

TEST_CASE("stats: histogram percentile on 1..1000 within bound and monotone", "[unit]") {
  Histogram h("h", "ramp");
  for (std::uint64_t v = 1000; v >= 1; --v) h.sample(v);  // order must not matter
  CHECK(h.mean() == 500.5);
  std::uint64_t prev = 0;
  for (int i = 1; i <= 1000; ++i) {
    const double p = i / 10.0;  // 0.1 .. 100.0
    const std::uint64_t x = static_cast<std::uint64_t>(i);  // exact nearest-rank value
    const std::uint64_t got = h.percentile(p);
    INFO("p=" << p << " exact=" << x << " got=" << got);
    CHECK(got >= x);
    CHECK(got <= x + x / 128);  // documented bound
    if (x < 128) CHECK(got == x);
    if (x >= 128) CHECK(double(got - x) < double(x) / 128.0);
    CHECK(got >= prev);
    prev = got;
  }
  CHECK(h.percentile(100) == 1000);
  CHECK(h.percentile(50) == 501);  // 500 is in bucket [500, 501]
  CHECK(h.percentile(1e-9) == 1);
  CHECK_THROWS_AS(h.percentile(0.0), std::out_of_range);
  CHECK_THROWS_AS(h.percentile(-5.0), std::out_of_range);
  CHECK_THROWS_AS(h.percentile(100.5), std::out_of_range);
  CHECK_THROWS_AS(h.percentile(std::nan("")), std::out_of_range);
}

TEST_CASE("stats: histogram bucket geometry", "[unit]") {
  CHECK(Histogram::bucket_index(0) == 0);
  CHECK(Histogram::bucket_index(127) == 127);
  CHECK(Histogram::bucket_index(128) == 128);
  CHECK(Histogram::bucket_upper(128) == 128);
  CHECK(Histogram::bucket_index(255) == 255);
  CHECK(Histogram::bucket_index(256) == 256);
  CHECK(Histogram::bucket_upper(256) == 257);  // width 2 from 256
  CHECK(Histogram::bucket_index(std::numeric_limits<std::uint64_t>::max()) ==
        Histogram::kMaxBuckets - 1);
  CHECK(Histogram::bucket_upper(Histogram::kMaxBuckets - 1) ==
        std::numeric_limits<std::uint64_t>::max());

  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const std::size_t b = Histogram::bucket_index(v);
    const std::uint64_t up = Histogram::bucket_upper(b);
    INFO("v=" << v);
    REQUIRE(up >= v);
    REQUIRE(up - v <= v / 128);
    if (b > 0) REQUIRE(Histogram::bucket_upper(b - 1) < v);  // v is in bucket b
  }
}

TEST_CASE("stats: histogram memory bounded", "[unit]") {
  Histogram small("small", "small");
  for (std::uint64_t v = 0; v < 1000; ++v) small.sample(v);
  CHECK(small.bucket_count() == 128 + 3 * 128);  // exact + octaves 2^7, 2^8, 2^9

  Histogram h("h", "wide");
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000000; ++i) h.sample(rng() >> (rng() % 64));
  CHECK(h.count() == 1000000);
  CHECK(h.bucket_count() <= Histogram::kMaxBuckets);
  CHECK(Histogram::kMaxBuckets == 7424);
  CHECK(h.percentile(1) <= h.percentile(50));
  CHECK(h.percentile(50) <= h.percentile(99));
  CHECK(h.percentile(99) <= h.max());
}

TEST_CASE("stats: malformed and duplicate names rejected", "[unit]") {
  StatsRegistry r;
  for (const char* ok : {"a", "system.mem0.reads", "A_b.C9._x", "0.1"}) {
    INFO(ok);
    CHECK(StatsRegistry::valid_name(ok));
  }
  for (const char* bad : {"", ".", ".a", "a.", "a..b", "a-b", "a b", "a::b", "a/b", "é"}) {
    INFO(bad);
    CHECK_FALSE(StatsRegistry::valid_name(bad));
    CHECK_THROWS_AS(r.counter(bad, "bad"), std::logic_error);
  }
  CHECK_THROWS_WITH(r.histogram("sys.x-y", "bad"), Contains("sys.x-y"));

  r.counter("system.mem0.reads", "Reads");
  CHECK_THROWS_WITH(r.counter("system.mem0.reads", "Reads"), Contains("system.mem0.reads"));
  CHECK_THROWS_AS(r.histogram("system.mem0.reads", "Reads"), std::logic_error);
  CHECK_THROWS_AS(r.average("system.mem0.reads", "Reads"), std::logic_error);
  CHECK_THROWS_AS(r.formula("system.mem0.reads", "Reads", "Count", [] { return 1.0; }),
                  std::logic_error);
  CHECK(r.size() == 1);
}

TEST_CASE("stats: find and reset_all", "[unit]") {
  StatsRegistry r;
  Counter& c = r.counter("x.c", "c");
  Average& a = r.average("x.a", "a");
  Histogram& h = r.histogram("x.h", "h");
  c += 5;
  a.sample(2.0);
  h.sample(9);
  CHECK(r.find("x.c") == &c);
  CHECK(r.find("x.h") == &h);
  CHECK(r.find("x.nope") == nullptr);
  CHECK(dynamic_cast<const Counter*>(r.find("x.c"))->value() == 5);
  r.reset_all();
  CHECK(c.value() == 0);
  CHECK(a.count() == 0);
  CHECK(h.count() == 0);
}

TEST_CASE("stats: stats.txt exact gem5 layout", "[unit]") {
  StatsRegistry r;
  fill_small(r, false);
  const std::string expected =
      "\n"
      "---------- Begin Simulation Statistics ----------\n"
      "system.iommu0.lat::samples                          4                       # Translation latency (Tick)\n"
      "system.iommu0.lat::mean                           250                       # Translation latency (Tick)\n"
      "system.iommu0.lat::stdev                   129.099445                       # Translation latency (Tick)\n"
      "system.iommu0.lat::min_value                      100                       # Translation latency (Tick)\n"
      "system.iommu0.lat::max_value                      400                       # Translation latency (Tick)\n"
      "system.iommu0.lat::p50                            200                       # Translation latency (Tick)\n"
      "system.iommu0.lat::p95                            400                       # Translation latency (Tick)\n"
      "system.iommu0.lat::p99                            400                       # Translation latency (Tick)\n"
      "system.iommu0.walk_depth                     3.750000                       # Average page walk depth (Count)\n"
      "system.mem0.bw                               0.333333                       # Achieved bandwidth (Byte/Second)\n"
      "system.mem0.reads                                  42                       # Number of reads (Count)\n"
      "system.plain                                        7                      \n"
      "system.zero_div                                     0                       # Hit rate (Ratio)\n"
      "\n"
      "---------- End Simulation Statistics   ----------\n";
  CHECK(txt_of(r) == expected);

  // An empty histogram prints zeros, not nan.
  StatsRegistry e;
  e.histogram("e.h", "Empty", "Tick");
  const std::string t = txt_of(e);
  CHECK(t.find("nan") == std::string::npos);
  CHECK_THAT(t, Contains("e.h::p99                                            0                       # Empty (Tick)\n"));
}

TEST_CASE("stats: stats.json content", "[unit]") {
  {
    StatsRegistry tiny;
    tiny.counter("a", "d") += 1;
    CHECK(json_of(tiny) ==
          "{\n"
          "  \"stats\": {\n"
          "    \"a\": 1\n"
          "  },\n"
          "  \"descriptions\": {\n"
          "    \"a\": \"d (Count)\"\n"
          "  }\n"
          "}\n");
  }

  StatsRegistry r;
  fill_small(r, false);
  r.histogram("system.empty", "Nothing", "Tick");
  const auto j = nlohmann::json::parse(json_of(r));
  REQUIRE(j.size() == 2);
  const auto& s = j.at("stats");
  CHECK(s.size() == 7);
  CHECK(s.at("system.mem0.reads").is_number_integer());
  CHECK(s.at("system.mem0.reads").get<std::uint64_t>() == 42);
  CHECK(s.at("system.plain").get<std::uint64_t>() == 7);
  CHECK(s.at("system.iommu0.walk_depth").get<double>() == 3.75);
  CHECK(s.at("system.mem0.bw").get<double>() == 1.0 / 3.0);
  CHECK(s.at("system.zero_div").get<double>() == 0.0);
  const auto& h = s.at("system.iommu0.lat");
  CHECK(h.at("samples").get<std::uint64_t>() == 4);
  CHECK(h.at("mean").get<double>() == 250.0);
  CHECK(h.at("stdev").get<double>() == Approx(std::sqrt(50000.0 / 3.0)));
  CHECK(h.at("min").get<std::uint64_t>() == 100);
  CHECK(h.at("max").get<std::uint64_t>() == 400);
  CHECK(h.at("p50").get<std::uint64_t>() == 200);
  CHECK(h.at("p95").get<std::uint64_t>() == 400);
  CHECK(h.at("p99").get<std::uint64_t>() == 400);
  const auto& e = s.at("system.empty");
  for (const char* k : {"samples", "mean", "stdev", "min", "max", "p50", "p95", "p99"}) {
    INFO(k);
    CHECK(e.at(k).is_number());
    CHECK(e.at(k).get<double>() == 0.0);
  }
  const auto& d = j.at("descriptions");
  CHECK(d.size() == 7);
  CHECK(d.at("system.mem0.bw") == "Achieved bandwidth (Byte/Second)");
  CHECK(d.at("system.plain") == "");
  // Keys are in name order.
  std::string prev;
  for (auto it = s.begin(); it != s.end(); ++it) {
    CHECK(prev < it.key());
    prev = it.key();
  }
}

TEST_CASE("stats: output independent of registration order", "[unit]") {
  StatsRegistry a, b;
  fill_small(a, false);
  fill_small(b, true);
  CHECK(txt_of(a) == txt_of(b));
  CHECK(json_of(a) == json_of(b));
  CHECK(json_of(a) == json_of(a));  // repeatable

  const auto da = fresh_dir("order_a");
  const auto db = fresh_dir("order_b");
  a.write_files(da.string());
  b.write_files(db.string());
  CHECK(slurp(da / "stats.json") == slurp(db / "stats.json"));
  CHECK(slurp(da / "stats.txt") == slurp(db / "stats.txt"));
  std::filesystem::remove_all(da);
  std::filesystem::remove_all(db);
}

TEST_CASE("stats: write_files writes both files and leaves no .tmp", "[unit]") {
  StatsRegistry r;
  fill_small(r, false);
  const auto d = fresh_dir("files") / "nested";  // created on demand
  r.write_files(d.string());
  CHECK(slurp(d / "stats.json") == json_of(r));
  CHECK(slurp(d / "stats.txt") == txt_of(r));

  // A second dump replaces the files in place.
  r.counter("system.later", "Later") += 1;
  r.write_files(d.string());
  CHECK(slurp(d / "stats.txt") == txt_of(r));

  int files = 0;
  for (const auto& ent : std::filesystem::directory_iterator(d)) {
    ++files;
    INFO(ent.path());
    CHECK(ent.path().extension() != ".tmp");
  }
  CHECK(files == 2);

  // A directory that cannot exist (below a regular file) fails with its name.
  const std::string bad = (d / "stats.txt" / "sub").string();
  CHECK_THROWS_AS(r.write_files(bad), std::runtime_error);
  CHECK_THROWS_WITH(r.write_files(bad), Contains(bad));
  std::filesystem::remove_all(d.parent_path());
}
