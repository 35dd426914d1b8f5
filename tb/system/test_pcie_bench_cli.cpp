// `iommusim pcie-bench` as a user runs it: a small pcie-bench file rerun in
// the simulator (child runs, the simulated file in pcie-bench's format,
// compare.json, skipped rows), and bad input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "system_util.h"

using namespace iommusim::test;
namespace fs = std::filesystem;

namespace {

const char* kPreset = R"(simulation: { seed: 1 }
platform:
  iommus: [{ name: iommu0 }]
  endpoints:
    - name: nic0
      bdf: "00:03.0"
      clock_mhz: 1200
      link: { generation: 3, width: 8, rcb: 64, latency_ns: 50 }
)";

const char* kLatHeader =
    "        Test  PAT   Cache HO DO WinSZ   SZ     TAvg    Avg   Med   Min   Max   95% 99.9%   TAvg(ns) Avg(ns) "
    "Med(ns) Min(ns) Max(ns) 95%(ns) 99.9%(ns)    #outliers   #samples\n";
const char* kLatRows[] = {
    "  LAT_DMA_RD Rand    Cold  0  0   8KB   64    955.0  723.2   720   704  1248   736  1040      795.8   602.6     "
    "600     586    1040     613       866            0    2097152\n",
    "LAT_DMA_WRRD Rand    Cold  0  0  64MB   64   1166.0  932.3   928   912  1008   944   960      971.7   776.9     "
    "773     760     840     786       800            0   16777216\n",
    "  LAT_DMA_RD  Seq   HWarm  0  8   8KB   64    912.0  679.9   688   640   752   688   720      760.0   566.6     "
    "573     533     626     573       600            0    2097152\n"};
const char* kBw =
    "      Test  PAT   Cache HO DO WinSZ   SZ     Time(cyc)      Time    Bytes     Trans   BW (GB/s)    Trans/s\n"
    " BW_DMA_RD Rand    Cold  0  0   4KB   64     187043072  155.87ms    512MB   8388608      27.555 53818243.5\n"
    " BW_DMA_WR Rand    Cold  0  0  64MB  128     212372208  176.98ms   1024MB   8388608      48.538 47399467.6\n";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

}  // namespace

TEST_CASE("pcie-bench command: reruns every row and writes pcie-bench's format and compare.json", "[system][pcie_bench]") {
  const std::string dir = temp_dir();
  write_file(dir + "/preset.yaml", kPreset);
  write_file(dir + "/lat.txt", std::string(kLatHeader) + kLatRows[0] + kLatRows[1] + "\n" + kLatRows[2]);
  write_file(dir + "/bw.txt", kBw);
  const CliResult r = run_cli("pcie-bench " + dir + "/preset.yaml " + dir + "/lat.txt " + dir +
                              "/bw.txt --out " + dir + "/out -j 2 --iommu 4k --lat-samples 50 --bw-transactions 300");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("4 rows simulated, 1 skipped, 0 failed"));

  const auto lat = lines_of(slurp(dir + "/out/lat.txt"));
  REQUIRE(lat.size() == 5);  // header, two rows, the blank line, the skipped row
  CHECK(lat[0] + "\n" == kLatHeader);
  CHECK(lat[1].size() == 173);
  CHECK(lat[2].size() == 173);
  CHECK(lat[3].empty());
  CHECK(lat[1].substr(0, 42) == std::string(kLatRows[0]).substr(0, 42));
  CHECK(lat[2].substr(0, 42) == std::string(kLatRows[1]).substr(0, 42));
  CHECK(lat[1].substr(lat[1].size() - 24) == std::string(12, ' ') + "0" + std::string(9, ' ') + "50");  // no outliers, 50 samples
  CHECK(lat[4].substr(0, 42) == std::string(kLatRows[2]).substr(0, 42));
  CHECK(lat[4].substr(42).find_first_not_of(" -") == std::string::npos);

  const auto bw = lines_of(slurp(dir + "/out/bw.txt"));
  REQUIRE(bw.size() == 3);
  CHECK(bw[1].size() == 106);
  CHECK(bw[2].size() == 106);
  std::istringstream f(bw[2]);
  std::vector<std::string> fields;
  for (std::string w; f >> w;) fields.push_back(w);
  REQUIRE(fields.size() == 13);
  CHECK(fields[9] == "37.5KB");  // 300 x 128 bytes
  CHECK(fields[10] == "300");

  const auto cmp = nlohmann::json::parse(slurp(dir + "/out/compare.json"));
  REQUIRE(cmp["files"].size() == 2);
  const auto& rows = cmp["files"][0]["rows"];
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["status"] == "ok");
  CHECK(rows[0]["measured"]["median_ns"] == 600.0);
  CHECK(rows[0]["simulated"]["samples"] == 50);
  CHECK(rows[0]["simulated"]["avg_ns"].get<double>() > 0);
  CHECK(rows[1]["test"] == "LAT_DMA_WRRD");
  CHECK(rows[1]["window"] == 64 << 20);
  CHECK(rows[2]["status"] == "skipped");
  CHECK_THAT(rows[2]["reason"].get<std::string>(), Catch::Contains("device offset"));
  const auto& b = cmp["files"][1]["rows"];
  REQUIRE(b.size() == 2);
  CHECK(b[0]["measured"]["gbps"] == 27.555);
  CHECK(b[1]["simulated"]["transactions"] == 300);
  CHECK(b[1]["simulated"]["gbps"].get<double>() > 0);
  // The run configurations are kept.
  CHECK(fs::exists(dir + "/out/runs/lat/line0002.yaml"));
  CHECK(fs::exists(dir + "/out/runs/bw/line0003/stats.json"));
  fs::remove_all(dir);
}

TEST_CASE("pcie-bench command: bad input is one clear error", "[system][pcie_bench]") {
  const std::string dir = temp_dir();
  write_file(dir + "/preset.yaml", kPreset);
  write_file(dir + "/notbench.txt", "cycles ns cdf\n1 2 3\n");
  CliResult r = run_cli("pcie-bench " + dir + "/preset.yaml " + dir + "/notbench.txt --out " + dir + "/out");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("notbench.txt:1: not a pcie-bench DMA result file"));
  CHECK_FALSE(fs::exists(dir + "/out/compare.json"));

  r = run_cli("pcie-bench " + dir + "/preset.yaml " + dir + "/missing.txt --out " + dir + "/out");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("missing.txt: cannot open the pcie-bench result file"));

  write_file(dir + "/bad.txt", std::string(kLatHeader) + "  LAT_DMA_RD Rand Cold 0 0 8KB 64 955.0\n");
  r = run_cli("pcie-bench " + dir + "/preset.yaml " + dir + "/bad.txt --out " + dir + "/out");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("bad.txt:2: expected 23 fields"));
  fs::remove_all(dir);
}
