// `iommusim sweep`, `iommusim regress` and `iommusim map-trace` as a user runs
// them: child processes, output folders, resumption, failures, goldens.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "system_util.h"
#include "host/map_trace.h"

using namespace iommusim::test;
namespace fs = std::filesystem;

namespace {

std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// A short window workload on the default platform (translation off): fast points.
const char* kTinyConfig = R"(
platform:
  endpoints: [ { name: nic0, bdf: "00:03.0" } ]
workloads:
  - { device: nic0, pattern: random, op: read, size: 64, window: 1MiB, count: 50 }
)";

}  // namespace

TEST_CASE("sweep cli: a tiny grid runs every point once, resumes, and gives identical results", "[system][sweep]") {
  const std::string d = temp_dir();
  write_file(d + "/c.yaml", kTinyConfig);
  write_file(d + "/s.yaml", R"(
config: c.yaml
grid:
  iommu0.iotlb.entries: [16, 64]
  nic0.tags: [1, 4, 8]
workloads: [ { name: a }, { name: b, set: [workloads.0.size=128] } ]
stats: { dmas: system.dmas, latency: system.dma_latency::mean }
)");
  auto r = run_cli("sweep " + d + "/s.yaml --out " + d + "/out -j 2 --no-plots");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("12 points (12 run, 0 already done), 0 failed") != std::string::npos);
  const std::string csv = slurp(d + "/out/results.csv");
  CHECK(count_lines(csv) == 13);
  CHECK(csv.rfind("point,workload,iommu0.iotlb.entries,nic0.tags,status,dmas,latency\n", 0) == 0);
  CHECK(count_of(csv, ",ok,50,") == 12);
  const auto j = nlohmann::json::parse(slurp(d + "/out/results.json"));
  CHECK(j["points"].size() == 12);
  CHECK(j["stats"][1]["unit"] == "Tick");
  CHECK_FALSE(fs::exists(d + "/out/report.md"));

  // Everything is done: nothing runs again, and the results are byte-identical.
  r = run_cli("sweep " + d + "/s.yaml --out " + d + "/out -j 2 --no-plots");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("12 points (0 run, 12 already done)") != std::string::npos);
  CHECK(slurp(d + "/out/results.csv") == csv);

  // A point killed before it finished has no done marker: only it runs again.
  fs::remove(d + "/out/points/b/iommu0.iotlb.entries=64,nic0.tags=4/done.json");
  r = run_cli("sweep " + d + "/s.yaml --out " + d + "/out -j 2 --no-plots");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("12 points (1 run, 11 already done)") != std::string::npos);
  CHECK(slurp(d + "/out/results.csv") == csv);

  // A fresh folder gives the same bytes (determinism), and so does a changed
  // workload file make its points run again.
  r = run_cli("sweep " + d + "/s.yaml --out " + d + "/out2 -j 1 --no-plots");
  REQUIRE(r.status == 0);
  CHECK(slurp(d + "/out2/results.csv") == csv);
  CHECK(slurp(d + "/out2/results.json") == slurp(d + "/out/results.json"));
  write_file(d + "/c.yaml", std::string(kTinyConfig) + "# changed\n");
  r = run_cli("sweep " + d + "/s.yaml --out " + d + "/out -j 2 --no-plots");
  CHECK(r.out.find("12 points (12 run, 0 already done)") != std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("sweep cli: a failing point is reported with its stderr and the others complete", "[system][sweep]") {
  const std::string d = temp_dir();
  write_file(d + "/c.yaml", kTinyConfig);
  write_file(d + "/s.yaml", "config: c.yaml\ngrid: { iommu0.iotlb.ways: [1, 3, 8] }\nstats: { dmas: system.dmas }\n");
  const auto r = run_cli("sweep " + d + "/s.yaml --out " + d + "/out -j 2 --no-plots");
  CHECK(r.status == 1);
  CHECK(r.out.find("3 points (3 run, 0 already done), 1 failed") != std::string::npos);
  CHECK(r.err.find("iommusim sweep: point base/iommu0.iotlb.ways=3 failed (exit code 1)") != std::string::npos);
  CHECK(r.err.find("  | iommusim: error: --set platform.iommus[0].iotlb.ways: expected a divisor of entries (128), got 3") !=
        std::string::npos);
  const std::string csv = slurp(d + "/out/results.csv");
  CHECK(csv.find("base/iommu0.iotlb.ways=1,base,1,ok,50\n") != std::string::npos);
  CHECK(csv.find("base/iommu0.iotlb.ways=3,base,3,failed,\n") != std::string::npos);
  CHECK(csv.find("base/iommu0.iotlb.ways=8,base,8,ok,50\n") != std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("sweep cli: bad sweep files and options give one clear error", "[system][sweep]") {
  const std::string d = temp_dir();
  write_file(d + "/s.yaml", "config: c.yaml\ngrid: { iommu0.iotlb.entries: 16 }\n");
  auto r = run_cli("sweep " + d + "/s.yaml --out " + d + "/out");
  CHECK(r.status == 1);
  CHECK(r.err == "iommusim: error: " + d +
                     "/s.yaml:2: grid.iommu0.iotlb.entries: expected a list of values (a --set key path maps to the "
                     "values it takes)\n");
  write_file(d + "/s.yaml", "config: c.yaml\nworkload: []\n");
  r = run_cli("sweep " + d + "/s.yaml");
  CHECK(r.err == "iommusim: error: " + d + "/s.yaml:2: workload: unknown key\n");
  r = run_cli("sweep " + d + "/none.yaml");
  CHECK(r.status == 1);
  CHECK(r.err == "iommusim: error: " + d + "/none.yaml: cannot open: No such file or directory\n");
  r = run_cli("sweep " + d + "/s.yaml -j 0");
  CHECK(r.status == 1);
  CHECK(r.err.find("iommusim: error: command line: --jobs") != std::string::npos);
  fs::remove_all(d);
}

// A fully associative LRU IOTLB of E entries on R passes over N pages in a
// cycle: with E >= N every pass after the first hits every page (N (R - 1)
// hits); with E < N each page was evicted N - E accesses before its reuse,
// so nothing hits. Swept over E around N, from a generated trace.
TEST_CASE("sweep cli: hit count of a fully associative LRU IOTLB on a cyclic pattern matches the analytic value",
          "[system][sweep]") {
  const std::string d = temp_dir();
  constexpr unsigned kPages = 48, kPasses = 4;
  iommusim::MapTraceOptions o;
  o.ranges = {iommusim::parse_map_range("00:03.0:0x100000000:" + std::to_string(kPages * 4096), "--map")};
  std::string trace = iommusim::make_map_trace(o).text;
  // one page at a time (the next DMA issues when the previous completed, 2 us apart), so that no fill is in flight
  for (unsigned pass = 0; pass < kPasses; ++pass)
    for (unsigned p = 0; p < kPages; ++p)
      trace += (pass == 0 && p == 0 ? std::string("10000") : std::string("+2000")) + " 00:03.0 dma_r addr=" +
               std::to_string(0x100000000ull + p * 4096ull) + " size=64\n";
  write_file(d + "/cyclic.trace", trace);
  write_file(d + "/s.yaml", R"(
trace: cyclic.trace
set: [iommu0.iotlb.ways=0, iommu0.iotlb.policy=lru]
grid: { iommu0.iotlb.entries: [1, 16, 32, 47, 48, 49, 64, 256] }
stats: { hits: system.iommu0.iotlb_hits, misses: system.iommu0.iotlb_misses }
)");
  const auto r = run_cli("sweep " + d + "/s.yaml --out " + d + "/out -j 2 --no-plots");
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(slurp(d + "/out/results.json"));
  REQUIRE(j["points"].size() == 8);
  for (const auto& p : j["points"]) {
    const unsigned entries = p["parameters"]["iommu0.iotlb.entries"];
    INFO("entries " << entries);
    const unsigned expected = entries >= kPages ? kPages * (kPasses - 1) : 0;
    CHECK(p["stats"]["hits"] == expected);
    CHECK(p["stats"]["misses"] == kPages * kPasses - expected);
  }
  fs::remove_all(d);
}

TEST_CASE("regress cli: --update writes goldens, an unchanged run passes, a changed statistic is caught",
          "[system][regress]") {
  const std::string d = temp_dir();
  const std::string suite = d + "/suite";
  fs::create_directories(suite + "/basic");
  fs::create_directories(suite + "/msi");
  write_file(suite + "/basic/case.yaml", "trace: " + source_dir() + "/traces/examples/basic.trace\n");
  write_file(suite + "/msi/case.yaml", "trace: " + source_dir() + "/traces/examples/msi.trace\n");
  write_file(suite + "/suite.yaml", "tolerances: [{ unit: Tick, relative: 0.001 }]\n");
  const std::string args = " --out " + d + "/out -j 2";

  auto r = run_cli("regress " + suite + args);  // no goldens yet
  CHECK(r.status == 1);
  CHECK(r.out.find("FAILED  basic: " + suite + "/basic/golden.json: no golden statistics") != std::string::npos);

  r = run_cli("regress " + suite + " --update" + args);
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("  NEW     basic (") != std::string::npos);
  CHECK(r.out.find("2 goldens written, 0 unchanged") != std::string::npos);
  const std::string golden = slurp(suite + "/basic/golden.json");
  CHECK(golden.find("\"system.dmas\": 2") != std::string::npos);

  r = run_cli("regress " + suite + args);
  CHECK(r.status == 0);
  CHECK(r.out.find("  ok      basic\n") != std::string::npos);
  CHECK(r.out.find("2 passed, 0 moved, 0 failed") != std::string::npos);

  // Tamper with the golden: a count moves, a statistic disappears, one timing
  // moves within the suite's tolerance.
  std::string tampered = golden;
  const auto at = tampered.find("\"system.dmas\": 2");
  tampered.replace(at, 16, "\"system.dmas\": 3");
  tampered.replace(tampered.find("\"system.dma_bytes\""), 0, "\"system.aaa_gone\": 7,\n    ");
  write_file(suite + "/basic/golden.json", tampered);
  r = run_cli("regress " + suite + args);
  CHECK(r.status == 1);
  CHECK(r.out.find("  MOVED   basic (2 statistics)") != std::string::npos);
  CHECK(r.out.find("1 passed, 1 moved, 0 failed") != std::string::npos);
  CHECK(r.out.find("system.dmas") != std::string::npos);
  CHECK(r.out.find("-1 (-33.3%)") != std::string::npos);
  CHECK(r.out.find("disappeared") != std::string::npos);

  // --update puts the run's values back and says what changed.
  r = run_cli("regress " + suite + " --update" + args);
  CHECK(r.status == 0);
  CHECK(r.out.find("  UPDATED basic (2 statistics changed)") != std::string::npos);
  CHECK(r.out.find("  same    msi") != std::string::npos);
  CHECK(slurp(suite + "/basic/golden.json") == golden);
  r = run_cli("regress " + suite + " basic" + args);
  CHECK(r.status == 0);
  CHECK(r.out.find("1 cases") != std::string::npos);

  // A case that cannot run is a failure, with its error.
  write_file(suite + "/msi/case.yaml", "trace: " + source_dir() + "/traces/examples/msi.trace\nset: [bogus.key=1]\n");
  r = run_cli("regress " + suite + args);
  CHECK(r.status == 1);
  CHECK(r.out.find("FAILED  msi (exit code 1)") != std::string::npos);
  CHECK(r.out.find("| iommusim: error: --set bogus.key=1: 'bogus' is neither a section nor the name of a component") !=
        std::string::npos);

  write_file(suite + "/msi/case.yaml", "traces: x\n");
  r = run_cli("regress " + suite + args);
  CHECK(r.status == 1);
  CHECK(r.err == "iommusim: error: " + suite + "/msi/case.yaml:1: traces: unknown key\n");
  fs::remove_all(d);
}

TEST_CASE("map-trace cli: writes a trace that turns translation on for the mapped ranges", "[system][sweep]") {
  const std::string d = temp_dir();
  auto r = run_cli("map-trace --map 00:03.0:0x100000000:64K -o " + d + "/m.trace");
  REQUIRE(r.status == 0);
  CHECK(r.err.find("16 pages mapped for 1 ranges") != std::string::npos);
  write_file(d + "/t.trace", slurp(d + "/m.trace") + "5000 00:03.0 dma_r addr=0x10000f000 size=64\n"
                                                     "+100 00:03.0 dma_r addr=0x100010000 size=64\n");
  r = run_cli("run --trace " + d + "/t.trace --txn-log " + d + "/log.csv --out " + d + "/out");
  REQUIRE(r.status == 0);
  const std::string log = slurp(d + "/log.csv");
  CHECK(log.find(",00:03.0,dma_r,0x10000f000,64,,ok,0x10000f000,") != std::string::npos);
  CHECK(log.find(",00:03.0,dma_r,0x100010000,64,,fault,,,0x") != std::string::npos);  // not mapped
  r = run_cli("map-trace --map 00:03.0:0x100000000 -o " + d + "/m.trace");
  CHECK(r.status == 1);
  CHECK(r.err.find("iommusim: error: --map '00:03.0:0x100000000': ") == 0);
  fs::remove_all(d);
}
