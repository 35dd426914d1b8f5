// Every class of bad input ends the run with one line naming the input and the
// place, exit code 1, and no output files.
#include <filesystem>
#include <vector>

#include <catch2/catch.hpp>

#include "system_util.h"

using namespace iommusim::test;
namespace fs = std::filesystem;

namespace {

const char* kGoodPlatform = R"(platform:
  endpoints:
    - name: nic0
      bdf: "00:03.0"
)";

struct BadCase {
  const char* what;
  std::string config;  // "" for none
  std::string trace;   // "" for none
  std::string extra;   // more command-line arguments
  std::string expect;  // the whole error line after "iommusim: error: ", with DIR for the temp folder
};

void check_rejected(const BadCase& c) {
  INFO(c.what);
  const std::string dir = temp_dir();
  std::string args = "run";
  if (!c.config.empty()) {
    write_file(dir + "/c.yaml", c.config);
    args += " " + dir + "/c.yaml";
  }
  if (!c.trace.empty()) {
    write_file(dir + "/t.trace", c.trace);
    args += " --trace " + dir + "/t.trace";
  }
  args += " " + c.extra + " --out " + dir + "/out --txn-log " + dir + "/out/log.csv";
  auto r = run_cli(args);
  CHECK(r.status == 1);
  std::string expect = "iommusim: error: " + c.expect + "\n";
  for (auto p = expect.find("DIR"); p != std::string::npos; p = expect.find("DIR", p + dir.size()))
    expect.replace(p, 3, dir);
  CHECK(r.err == expect);
  CHECK(r.out.empty());
  for (const char* f : {"stats.json", "stats.txt", "config.json", "log.csv"})
    CHECK_FALSE(fs::exists(dir + "/out/" + f));
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("bad input: configuration files", "[system]") {
  const std::vector<BadCase> cases = {
      {"YAML syntax error", "platform: {memory: [\n", "", "",
       "DIR/c.yaml:2: YAML syntax error: end of sequence flow not found"},
      {"unknown key", "platform:\n  memroy: {}\n", "", "", "DIR/c.yaml:2: platform.memroy: unknown key"},
      {"unknown key in a list element", std::string(kGoodPlatform) + "      tgas: 4\n", "", "",
       "DIR/c.yaml:5: platform.endpoints[0].tgas: unknown key"},
      {"wrong type", "simulation:\n  seed: [1, 2]\n", "", "",
       "DIR/c.yaml:2: simulation.seed: expected an unsigned integer, got a list"},
      {"wrong type: text for a number", "platform:\n  memory:\n    dram: {tCL: fast}\n", "", "",
       "DIR/c.yaml:3: platform.memory.dram.tCL: expected an unsigned integer, got 'fast'"},
      {"negative size", std::string(kGoodPlatform) + "workloads:\n  - {device: nic0, size: -64}\n", "", "",
       "DIR/c.yaml:6: workloads[0].size: expected an unsigned integer, got '-64'"},
      {"zero where at least one is needed", std::string(kGoodPlatform) + "      tags: 0\n", "", "",
       "DIR/c.yaml:5: platform.endpoints[0].tags: expected an integer in [1, 1024], got 0"},
      {"non-power-of-two", std::string(kGoodPlatform) + "      mps: 300\n", "", "",
       "DIR/c.yaml:5: platform.endpoints[0].mps: expected a power of two, got 300"},
      {"link width PCIe does not have", std::string(kGoodPlatform) + "      link: {width: 3}\n", "", "",
       "DIR/c.yaml:5: platform.endpoints[0].link.width: expected 1, 2, 4, 8, 12, 16 or 32 lanes, got 3"},
      {"a key of the old fixed-rate link", std::string(kGoodPlatform) + "      link: {bytes_per_ns: 7.877}\n", "", "",
       "DIR/c.yaml:5: platform.endpoints[0].link.bytes_per_ns: unknown key"},
      {"impossible value: window smaller than the DMA",
       std::string(kGoodPlatform) + "workloads:\n  - {device: nic0, size: 4096, window: 64}\n", "", "",
       "DIR/c.yaml:6: workloads[0].window: expected an integer in [4096, 4503595332403200], got 64"},
      {"workload for a missing endpoint", std::string(kGoodPlatform) + "workloads:\n  - {device: nic9}\n", "", "",
       "DIR/c.yaml:6: workloads[0].device: no endpoint named 'nic9' in platform.endpoints"},
      {"bad choice", "platform:\n  memory:\n    dram: {page_policy: sometimes}\n", "", "",
       "DIR/c.yaml:3: platform.memory.dram.page_policy: expected one of open, closed, adaptive, got 'sometimes'"},
      {"bad instance name", "platform:\n  endpoints:\n    - name: nic-0\n      bdf: \"00:03.0\"\n", "", "",
       "DIR/c.yaml:3: platform.endpoints[0].name: expected a name of letters, digits and '_', got 'nic-0'"},
      {"two endpoints with one requester ID",
       std::string(kGoodPlatform) + "    - name: nic1\n      bdf: \"00:03.0\"\n", "", "",
       "DIR/c.yaml:6: platform.endpoints[1].bdf: 00:03.0 is used by endpoint 'nic0'"},
      {"raw CAP with a feature iommusim does not model (ECMDS)",
       "platform:\n  iommus:\n    - name: iommu0\n      cap: 0x28d2078c106f0466\n      ecap: 0xf020db\n", "", "",
       "DIR/c.yaml:4: platform.iommus[0].cap: cap: bit 61 (ECMDS) is set, but iommusim does not model ECMDS"},
      {"posted interrupts without interrupt remapping",
       "platform:\n  iommus:\n    - name: iommu0\n      features: {ir: false, pi: true, eim: false}\n", "", "",
       "DIR/c.yaml:4: platform.iommus[0].features: iommu unit: pi needs ir (posted interrupts are part of "
       "interrupt remapping)"},
      {"an interrupt entry cache whose ways do not divide its entries",
       "platform:\n  iommus:\n    - name: iommu0\n      iec: {entries: 6, ways: 4}\n", "", "",
       "DIR/c.yaml:4: platform.iommus[0].iec.ways: expected a divisor of entries (6), got 4"},
      {"a device TLB behind a unit without Device-TLB support",
       "platform:\n  iommus:\n    - name: iommu0\n      features: {dt: false}\n  endpoints:\n    - name: nic0\n"
       "      bdf: \"00:03.0\"\n      devtlb: {entries: 32}\n", "", "",
       "DIR/c.yaml:8: platform.endpoints[0].devtlb: a device TLB needs a remapping unit with Device-TLB support "
       "(ECAP.DT, features.dt), and iommu0 has none"},
      {"a device TLB behind a scalable-mode unit",
       "platform:\n  iommus:\n    - name: iommu0\n      features: {smts: true}\n  endpoints:\n    - name: nic0\n"
       "      bdf: \"00:03.0\"\n      devtlb: {entries: 32}\n", "", "",
       "DIR/c.yaml:8: platform.endpoints[0].devtlb: a device TLB behind a unit with scalable mode (features.smts) is "
       "not supported yet: ATS in scalable mode is not built yet"},
      {"two remapping units with INCLUDE_PCI_ALL",
       "platform:\n  iommus: [{name: a}, {name: b, reg_base: 0xfed91000}]\n", "", "",
       "DIR/c.yaml:2: platform.iommus: units a and b both have INCLUDE_PCI_ALL for segment 0"},
      {"an INCLUDE_PCI_ALL unit before another unit of its segment",
       "platform:\n  iommus: [{name: a}, {name: b, reg_base: 0xfed91000, scope: {devices: [\"00:03.0\"]}}]\n", "", "",
       "DIR/c.yaml:2: platform.iommus: unit a has INCLUDE_PCI_ALL but is not the last unit of segment 0 (b follows; "
       "VT-d 8.3)"},
      {"a device in two units' scopes",
       "platform:\n  iommus:\n    - {name: a, scope: {devices: [\"00:03.0\"]}}\n"
       "    - {name: b, reg_base: 0xfed91000, scope: {subtrees: [\"00-01\"]}}\n", "", "",
       "DIR/c.yaml:3: platform.iommus: device 00:03.0 is in the scopes of units a and b"},
      {"two units with one register block",
       "platform:\n  iommus:\n    - {name: a, scope: {devices: [\"00:03.0\"]}}\n    - {name: b}\n", "", "",
       "DIR/c.yaml: platform.iommus[1].reg_base: MMIO window of b at 0xfed90000 overlaps a's at 0xfed90000"},
      {"two units with one name",
       "platform:\n  iommus:\n    - {name: a, scope: {devices: [\"00:03.0\"]}}\n    - {name: a, reg_base: 0xfed91000}\n",
       "", "", "DIR/c.yaml:4: platform.iommus[1].name: duplicate remapping unit name 'a'"},
      {"a bus range that is not one",
       "platform:\n  iommus:\n    - {name: a, scope: {subtrees: [\"05-01\"]}}\n", "", "",
       "DIR/c.yaml:3: platform.iommus[0].scope.subtrees: element 0: expected a bus range BB-BB (hex, first <= last), "
       "got '05-01'"},
      {"INCLUDE_PCI_ALL together with listed devices",
       "platform:\n  iommus:\n    - {name: a, scope: {include_pci_all: true, devices: [\"00:03.0\"]}}\n", "", "",
       "DIR/c.yaml:3: platform.iommus[0].scope.include_pci_all: a unit with INCLUDE_PCI_ALL lists no devices or "
       "subtrees (VT-d 8.3)"},
      {"bad --set", "", "iommusim-trace 1\n", "--set platform.memory.dram.tCL=abc",
       "--set platform.memory.dram.tCL: expected an unsigned integer, got 'abc'"},
  };
  for (const auto& c : cases) check_rejected(c);
}

TEST_CASE("bad input: missing and unreadable files", "[system]") {
  const std::string dir = temp_dir();
  auto r = run_cli("run " + dir + "/nope.yaml --out " + dir + "/out");
  CHECK(r.status == 1);
  CHECK(r.err == "iommusim: error: " + dir + "/nope.yaml: cannot open: No such file or directory\n");
  r = run_cli("run " + dir + " --out " + dir + "/out");  // a folder, not a file
  CHECK(r.status == 1);
  CHECK(r.err == "iommusim: error: " + dir + ": cannot open: not a regular file\n");
  r = run_cli("run --trace " + dir + "/nope.trace --out " + dir + "/out");
  CHECK(r.status == 1);
  CHECK(r.err == "iommusim: error: " + dir + "/nope.trace: cannot open: No such file or directory\n");
  r = run_cli("validate " + dir + "/nope.yaml");
  CHECK(r.status == 1);
  CHECK_FALSE(fs::exists(dir + "/out/stats.json"));
  fs::remove_all(dir);
}

TEST_CASE("bad input: traces", "[system]") {
  const std::string hdr = "iommusim-trace 1\n";
  const std::vector<BadCase> cases = {
      {"no header", "", "0 host mem_r addr=0x0 size=4\n", "",
       "DIR/t.trace:1: expected header 'iommusim-trace 1'"},
      {"bad number", "", hdr + "0 host mem_r addr=0xzz size=4\n", "",
       "DIR/t.trace:2: mem_r: bad number '0xzz' for key 'addr'"},
      {"unknown op", "", hdr + "0 00:03.0 dma_x addr=0 size=4\n", "", "DIR/t.trace:2: unknown op 'dma_x'"},
      {"unknown source", "", hdr + "0 cpu0 mem_r addr=0 size=4\n", "",
       "DIR/t.trace:2: unknown source 'cpu0': expected 'host' or a BDF like 00:03.0"},
      {"address range beyond 64 bits", "", hdr + "0 00:03.0 dma_r addr=0xffffffffffffffc0 size=128\n", "",
       "DIR/t.trace:2: dma_r: addr 0xffffffffffffffc0 + size 128 overflows the 64-bit address space"},
      {"host access outside physical memory", "platform: {memory: {size: 1GiB}}\n",
       hdr + "0 host mem_r addr=0x40000000 size=8\n", "",
       "DIR/t.trace:2: mem_r of 8 bytes at 0x40000000 is outside physical memory"},
      {"size out of range", "", hdr + "0 host mem_w addr=0 size=9 data=0\n", "",
       "DIR/t.trace:2: mem_w: size must be 1..8, got 9"},
      {"device the platform lacks", kGoodPlatform, hdr + "0 00:05.0 dma_r addr=0 size=64\n", "",
       "DIR/t.trace:2: device 00:05.0 is not in the platform"},
      {"map without the driver model", "", hdr + "0 host map dev=00:03.0 iova=0x1000 pa=0x2000 size=4096 perm=rw\n", "",
       "DIR/t.trace:2: op 'map' needs the OS driver model: add host.driver to the configuration (docs/models/host.md)"},
      {"ats from a device without a device TLB", "", hdr + "0 00:03.0 ats addr=0x1000 size=4096\n", "",
       "DIR/t.trace:2: ats needs a device TLB, and endpoint 'ep_00_03_0' has none (platform.endpoints[].devtlb)"},
      {"unmap for a device the platform lacks", "platform: {endpoints: [{name: nic0, bdf: '00:03.0'}]}\nhost: {driver: {}}\n",
       hdr + "0 host unmap dev=00:07.0 iova=0 size=4096\n", "",
       "DIR/t.trace:2: unmap for device 00:07.0, which is not in the platform"},
      {"pasid on a unit without requests-with-PASID", "", hdr + "0 00:03.0 dma_r addr=0 size=64 pasid=1\n", "",
       "DIR/t.trace:2: pasid needs a remapping unit with requests-with-PASID (features smts and pasid), and iommu0 "
       "has none"},
  };
  for (const auto& c : cases) check_rejected(c);
}

TEST_CASE("bad input: command line", "[system]") {
  auto r = run_cli("run --bogus");
  CHECK(r.status == 1);
  CHECK(r.err == "iommusim: error: command line: The following argument was not expected: --bogus "
                 "(see iommusim --help)\n");
  r = run_cli("run");
  CHECK(r.status == 1);
  CHECK(r.err == "iommusim: error: run needs a CONFIG, a --trace FILE, or both\n");
  r = run_cli("validate");
  CHECK(r.status == 1);
  CHECK(r.err.rfind("iommusim: error: command line: ", 0) == 0);
}
