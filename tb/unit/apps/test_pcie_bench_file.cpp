// pcie-bench result files (apps/pcie_bench_file.h): parsing, byte-identical
// round trips of measured files, the simulated rows' number formats, and bad
// input.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "pcie_bench_file.h"
#include "pcie_bench_run.h"

using namespace iommusim;

namespace {

std::string data(const std::string& name) {
  std::ifstream in(std::string(IOMMUSIM_SOURCE_DIR) + "/tb/data/pcie-bench/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("pcie-bench files: a latency file parses, keeps its groups and writes back byte for byte",
          "[unit][pcie_bench_file]") {
  const std::string text = data("lat_dma_sweep_rd_rnd_64.txt");
  REQUIRE(!text.empty());
  const BenchFile f = parse_bench_file(text, "lat.txt");
  CHECK(f.layout == BenchLayout::Latency);
  CHECK(f.columns.size() == 23);
  CHECK(f.row_count() == 48);
  CHECK(f.lines.size() == 51);  // 48 rows and 3 blank lines
  const BenchRow& r = *f.lines[0];
  CHECK(r.line == 2);
  CHECK(r.test == "LAT_DMA_RD");
  CHECK(r.pattern == "Rand");
  CHECK(r.cache == "Cold");
  CHECK(r.window == 8192);
  CHECK(r.size == 64);
  CHECK(f.value(r, "Avg(ns)") == 602.6);
  CHECK(f.value(r, "Med(ns)") == 600);
  CHECK(write_bench_file(f) == text);
}

TEST_CASE("pcie-bench files: a bandwidth file writes back byte for byte", "[unit][pcie_bench_file]") {
  const std::string text = data("bw_dma_win_sweep_rd_rnd_64.txt");
  const BenchFile f = parse_bench_file(text, "bw.txt");
  CHECK(f.layout == BenchLayout::Bandwidth);
  CHECK(f.row_count() == 52);
  const BenchRow& r = *f.lines[0];
  CHECK(r.window == 4096);
  CHECK(f.value(r, "BW (GB/s)") == 27.555);
  CHECK(f.value(r, "Time") == 155.87);
  CHECK(f.value(r, "Bytes") == 512.0 * 1024 * 1024);
  CHECK(write_bench_file(f) == text);
}

TEST_CASE("pcie-bench files: sizes as the files write them", "[unit][pcie_bench_file]") {
  CHECK(parse_bench_size("8KB") == std::uint64_t{8192});
  CHECK(parse_bench_size("1.5MB") == std::uint64_t{3} << 19);
  CHECK(parse_bench_size("64MB") == std::uint64_t{64} << 20);
  CHECK(!parse_bench_size("8kb"));
  CHECK(!parse_bench_size("MB"));
  CHECK(format_bench_size(8192) == "8KB");
  CHECK(format_bench_size(std::uint64_t{3} << 19) == "1.5MB");
  CHECK(format_bench_size(6400000) == "6.1MB");
  CHECK(format_bench_size(100) == "100B");
}

TEST_CASE("pcie-bench files: simulated rows in the layouts' number formats (cycles of the device clock)",
          "[unit][pcie_bench_file]") {
  const BenchFile lat = parse_bench_file(data("lat_dma_sweep_rd_rnd_64.txt"), "lat.txt");
  LatencyValues v;
  v.tavg_ps = 795'833;  // 955.0 cycles at 1200 MHz
  v.avg_ps = 602'667;
  v.median_ps = 600'000;
  v.min_ps = 586'667;
  v.max_ps = 1'040'000;
  v.p95_ps = 613'333;
  v.p999_ps = 866'667;
  v.samples = 2097152;
  BenchFile out = lat;
  out.lines.resize(1);
  out.lines[0]->fields = latency_fields(*lat.lines[0], v, 1200);
  const std::string first_row = data("lat_dma_sweep_rd_rnd_64.txt").substr(0, 2 * 174);
  // The measured file's first row, but for Avg (602.6 vs the rounded 602.7).
  CHECK(write_bench_file(out) ==
        first_row.substr(0, 174) +
            "  LAT_DMA_RD Rand    Cold  0  0   8KB   64    955.0  723.2   720   704  1248   736  1040      795.8   "
            "602.7     600     586    1040     613       866            0    2097152\n");

  const BenchFile bw = parse_bench_file(data("bw_dma_win_sweep_rd_rnd_64.txt"), "bw.txt");
  BandwidthValues b;
  b.elapsed_ps = 155'869'226'666.0;  // 187043072 cycles at 1200 MHz
  b.bytes = std::uint64_t{512} << 20;
  b.transactions = 8388608;
  const auto f = bandwidth_fields(*bw.lines[0], b, 1200);
  CHECK(f == std::vector<std::string>{"BW_DMA_RD", "Rand", "Cold", "0", "0", "4KB", "64", "187043072", "155.87ms",
                                      "512MB", "8388608", "27.555", "53818243.5"});
}

TEST_CASE("pcie-bench files: bad input names the file and line", "[unit][pcie_bench_file]") {
  CHECK_THROWS_WITH(parse_bench_file("", "e.txt"), Catch::Contains("e.txt:1: not a pcie-bench"));
  CHECK_THROWS_WITH(parse_bench_file("hello world\n", "x.txt"), Catch::Contains("x.txt:1: not a pcie-bench"));
  const std::string text = data("bw_dma_win_sweep_rd_rnd_64.txt");
  const std::string header = text.substr(0, text.find('\n') + 1);
  CHECK_THROWS_WITH(parse_bench_file(header + " BW_DMA_RD Rand Cold 0 0 4KB 64 1 2ms\n", "b.txt"),
                    Catch::Contains("b.txt:2: expected 13 fields"));
  CHECK_THROWS_WITH(
      parse_bench_file(header + "\n BW_DMA_XX Rand Cold 0 0 4KB 64 1 2.00ms 512MB 8 27.5 5.0\n", "b.txt"),
      Catch::Contains("b.txt:3: unknown Test 'BW_DMA_XX'"));
  CHECK_THROWS_WITH(parse_bench_file(header + " BW_DMA_RD Rand Cold 0 0 4XB 64 1 2.00ms 512MB 8 27.5 5.0\n", "b.txt"),
                    Catch::Contains("b.txt:2: WinSZ '4XB'"));
  CHECK_THROWS_WITH(read_bench_file("/nonexistent/lat.txt"), Catch::Contains("/nonexistent/lat.txt: cannot open"));
}

TEST_CASE("pcie-bench runs: rows the model cannot run say why", "[unit][pcie_bench_file]") {
  BenchRow r;
  r.size = 64;
  r.window = 8192;
  CHECK(pcie_bench_skip_reason(r).empty());
  r.dof = 8;
  CHECK_THAT(pcie_bench_skip_reason(r), Catch::Contains("DO (device offset) 8 is not modelled"));
  r.dof = 0;
  r.size = 4096;
  r.ho = 4;
  CHECK_THAT(pcie_bench_skip_reason(r), Catch::Contains("exceeds 4096"));
}
