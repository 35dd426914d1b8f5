// Platforms built from a DMAR description: the eight-unit preset made from a
// Linux boot log (configs/platforms/xeon-8unit.yaml) and a two-unit platform
// from an iasl-compiled ACPI DMAR table (tb/data/dmar/platform.asl), routing
// by scope, RMRR/ATSR handling and the errors of each input.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "system_util.h"

using namespace iommusim::test;

namespace fs = std::filesystem;

namespace {

std::string table(const std::string& name) { return std::string(IOMMUSIM_DMAR_TABLE_DIR) + "/" + name + ".aml"; }

}  // namespace

TEST_CASE("platform: the eight-unit preset has the boot log's units, registers, RMRRs and ATSRs", "[system]") {
  const std::string dir = temp_dir();
  // Every unit's CAP and ECAP read back at its own register base; a device
  // DMA goes to dmar7, the INCLUDE_PCI_ALL unit.
  std::string trace = "iommusim-trace 1\n0 00:03.0 dma_r addr=0x1000 size=64\n";
  const char* bases[] = {"0xd37fc000", "0xe0ffc000", "0xee7fc000", "0xfbffc000",
                         "0xaaffc000", "0xb87fc000", "0xc5ffc000", "0x9d7fc000"};
  for (const char* b : bases) trace += fmt::format("+10 host mmio_r addr={:#x} size=8\n", std::stoull(b, nullptr, 16) + 8);
  write_file(dir + "/t.trace", trace);
  auto r = run_cli("run configs/platforms/xeon-8unit.yaml --trace " + dir + "/t.trace --set "
                   "'platform.endpoints=[{name: nic0, bdf: \"00:03.0\"}]' --txn-log " + dir + "/log.csv --out " + dir +
                   "/out");
  REQUIRE(r.status == 0);
  const std::string log = slurp(dir + "/log.csv");
  for (int i = 0; i < 8; ++i) CHECK(log.find(fmt::format("{},", i + 1)) != std::string::npos);
  CHECK(log.find(",0x8d2078c106f0466,") != std::string::npos);
  auto cfg = nlohmann::json::parse(slurp(dir + "/out/config.json"))["platform"];
  REQUIRE(cfg["iommus"].size() == 8);
  for (int i = 0; i < 8; ++i) {
    INFO("unit " << i);
    const auto& u = cfg["iommus"][i];
    CHECK(u["name"] == fmt::format("dmar{}", i));
    CHECK(u["reg_base"] == std::stoull(bases[i], nullptr, 16));
    CHECK(u["cap"] == 0x8d2078c106f0466ull);
    CHECK(u["ecap"] == 0xf020dfull);
    CHECK(u["haw"] == 46);
    CHECK(u["scope"]["include_pci_all"] == (i == 7));
  }
  REQUIRE(cfg["rmrrs"].size() == 2);
  CHECK(cfg["rmrrs"][0]["base"] == 0x6e2cd000ull);
  CHECK(cfg["rmrrs"][0]["limit"] == 0x6e7ccfffull);
  CHECK(cfg["rmrrs"][1]["base"] == 0x6f2e2000ull);
  CHECK(cfg["rmrrs"][1]["limit"] == 0x6f2e4fffull);
  REQUIRE(cfg["atsrs"].size() == 2);
  CHECK(cfg["atsrs"][0]["all_ports"] == false);
  auto stats = nlohmann::json::parse(slurp(dir + "/out/stats.json"))["stats"];
  CHECK(stats["system.dmar7.bypassed"] == 1);
  CHECK(stats["system.dmar0.bypassed"] == 0);
  fs::remove_all(dir);
}

TEST_CASE("platform: an ACPI DMAR table builds the units, scopes and endpoints it names", "[system]") {
  const std::string dir = temp_dir();
  write_file(dir + "/c.yaml", "platform:\n  dmar: " + table("platform") + R"(
  bridges: [{bdf: "00:1c.0", secondary: 1, subordinate: 3}]
  endpoints:
    - { name: nic, bdf: "01:00.0", devtlb: { entries: 8 } }
    - { name: usb, bdf: "00:14.0" }
    - { name: disk, bdf: "02:00.0" }
)");
  write_file(dir + "/t.trace", R"(iommusim-trace 1
0 00:03.0 dma_r addr=0x1000 size=64
0 01:00.0 dma_r addr=0x2000 size=64
0 02:00.0 dma_r addr=0x3000 size=64
0 00:14.0 dma_r addr=0x4000 size=64
)");
  auto r = run_cli("run " + dir + "/c.yaml --trace " + dir + "/t.trace --out " + dir + "/out");
  REQUIRE(r.status == 0);
  auto cfg = nlohmann::json::parse(slurp(dir + "/out/config.json"))["platform"];
  REQUIRE(cfg["iommus"].size() == 2);
  const auto& u0 = cfg["iommus"][0];
  CHECK(u0["name"] == "dmar0");
  CHECK(u0["reg_base"] == 0xfed90000ull);
  CHECK(u0["features"]["haw"] == 46);  // the table's HAW field 0x2d, plus 1
  CHECK(u0["scope"]["include_pci_all"] == false);
  CHECK(u0["scope"]["devices"] == nlohmann::json::array({"00:03.0", "01:00.0"}));
  CHECK(u0["scope"]["subtrees"] == nlohmann::json::array({"01-03"}));
  CHECK(cfg["iommus"][1]["scope"]["include_pci_all"] == true);
  // 00:03.0 came from the table (an idle endpoint the trace then drives).
  REQUIRE(cfg["endpoints"].size() == 4);
  CHECK(cfg["endpoints"][3]["name"] == "ep_00_03_0");
  REQUIRE(cfg["rmrrs"].size() == 1);
  CHECK(cfg["rmrrs"][0]["devices"] == nlohmann::json::array({"00:14.0"}));
  CHECK(cfg["atsrs"][0]["ports"] == nlohmann::json::array({"00:1c.0"}));
  auto stats = nlohmann::json::parse(slurp(dir + "/out/stats.json"))["stats"];
  CHECK(stats["system.dmar0.bypassed"] == 3);  // 00:03.0, 01:00.0 and 02:00.0 (bus 2 below the bridge)
  CHECK(stats["system.dmar1.bypassed"] == 1);  // 00:14.0, by INCLUDE_PCI_ALL
  fs::remove_all(dir);
}

TEST_CASE("platform: bad DMAR imports are clear errors", "[system]") {
  const std::string dir = temp_dir();
  struct Case {
    const char* what;
    std::string yaml;
    std::string expect;  // DIR stands for the folder
  } cases[] = {
      {"a path through a bridge the platform does not describe", "platform:\n  dmar: " + table("platform") + "\n",
       table("platform") + ": DRHD 0 (register base 0xfed90000): scope names bridge 00:1c.0: give its bus numbers in "
                           "platform.bridges ({bdf: \"00:1c.0\", secondary: N, subordinate: M})"},
      {"a device TLB below a root port no ATSR names",
       "platform:\n  dmar: " + table("platform") +
           "\n  bridges: [{bdf: \"00:1c.0\", secondary: 1}]\n  endpoints: [{name: usb, bdf: \"00:14.0\", devtlb: "
           "{entries: 8}}]\n",
       "DIR/c.yaml:4: platform.endpoints[0].devtlb: no ATSR of the platform covers 00:14.0 (platform.atsrs): ATS is "
       "not allowed below its root port (VT-d 8.5)"},
      {"units given twice", "platform:\n  dmar: " + table("platform") + "\n  iommus: [{name: a}]\n",
       "DIR/c.yaml:3: platform.iommus: the remapping units come from the DMAR import (platform.dmar or "
       "dmar_boot_log): platform.iommus cannot be given too (use --set dmarN.key=value to change a unit)"},
      {"two DMAR sources", "platform:\n  dmar: " + table("platform") + "\n  dmar_boot_log: x.txt\n",
       "DIR/c.yaml:3: platform.dmar_boot_log: give platform.dmar or platform.dmar_boot_log, not both"},
      {"a missing table", "platform:\n  dmar: nothing.aml\n", "DIR/nothing.aml: cannot open"},
      {"a truncated table", "platform:\n  dmar: short.aml\n",
       "DIR/short.aml: offset 0x4: table length 154 is larger than the 100 bytes of data: the table is truncated"},
  };
  {
    std::string bytes = slurp(table("platform"));
    write_file(dir + "/short.aml", bytes.substr(0, 100));
  }
  for (const Case& c : cases) {
    INFO(c.what);
    write_file(dir + "/c.yaml", c.yaml);
    fs::remove_all(dir + "/out");
    auto r = run_cli("run " + dir + "/c.yaml --out " + dir + "/out");
    CHECK(r.status == 1);
    std::string expect = c.expect;
    for (auto p = expect.find("DIR"); p != std::string::npos; p = expect.find("DIR", p + dir.size()))
      expect.replace(p, 3, dir);
    CHECK(r.err.find(expect) != std::string::npos);
    CHECK_FALSE(fs::exists(dir + "/out/stats.json"));
  }
  fs::remove_all(dir);
}

// Topology: a bridge without ACS (a switch, buses 1-2) puts its two devices
// in one IOMMU group, and a request from one to the other's BAR is routed
// below it, never reaching the remapping unit; a device below a root port
// with ACS (bus 3) is alone, and its request to a peer's BAR goes up through
// the unit and then down to the peer; two functions of one device without ACS
// share a group. Host MMIO reaches the BARs through the links.
TEST_CASE("platform: IOMMU groups follow bridges and ACS, and peer requests follow them", "[system]") {
  const std::string dir = temp_dir();
  write_file(dir + "/c.yaml", R"(platform:
  memory: { size: 0x80000000 }  # 2 GiB: the BARs sit in the MMIO hole above it
  bridges:
    - { bdf: "00:1c.0", secondary: 1, subordinate: 2, acs: false }
    - { bdf: "00:1d.0", secondary: 3, subordinate: 3 }
  endpoints:
    - { name: a, bdf: "01:00.0", bars: [{ base: 0xe0000000, size: 0x1000 }] }
    - { name: b, bdf: "02:00.0", bars: [{ base: 0xe0100000, size: 0x1000 }] }
    - { name: c, bdf: "03:00.0", bars: [{ base: 0xe0200000, size: 0x1000 }] }
    - { name: d0, bdf: "04:00.0" }
    - { name: d1, bdf: "04:00.1" }
    - { name: e, bdf: "02:01.0", devtlb: { entries: 8 } }
)");
  write_file(dir + "/t.trace", R"(iommusim-trace 1
0 01:00.0 dma_w addr=0xe0100000 size=64
0 03:00.0 dma_w addr=0xe0000040 size=64
0 04:00.0 dma_r addr=0x1000 size=64
500 02:01.0 dma_r addr=0xe0100000 size=64
1000 host mmio_r addr=0xe0100000 size=4
+0 host mmio_r addr=0xe0000040 size=4
)");
  auto r = run_cli("run " + dir + "/c.yaml --trace " + dir + "/t.trace --txn-log " + dir + "/log.csv --out " + dir +
                   "/out");
  REQUIRE(r.status == 0);
  auto stats = nlohmann::json::parse(slurp(dir + "/out/stats.json"))["stats"];
  CHECK(stats["system.iommu_groups"] == 3);
  CHECK(stats["system.a.iommu_group"] == 0);
  CHECK(stats["system.b.iommu_group"] == 0);
  CHECK(stats["system.c.iommu_group"] == 1);
  CHECK(stats["system.d0.iommu_group"] == 2);
  CHECK(stats["system.d1.iommu_group"] == 2);
  // a -> b below the bridge; e's translation request goes up to the unit (a
  // translation request is never answered by a peer), then its translated
  // read to b's BAR goes below the bridge too.
  CHECK(stats["system.rc.p2p_direct"] == 2);
  CHECK(stats["system.iommu0.ats.translation_requests"] == 1);
  CHECK(stats["system.e.ats.translated_tlps"] == 1);
  CHECK(stats["system.b.bar_reads"] == 2);  // e's read and the host's
  CHECK(stats["system.rc.p2p_via_root"] == 1);  // c -> a, through the unit
  CHECK(stats["system.iommu0.bypassed"] == 2);  // c's request and d0's read (translation is off)
  CHECK(stats["system.b.bar_writes"] == 1);
  CHECK(stats["system.a.bar_writes"] == 1);
  // The peers' writes landed in the BARs: the host reads the pattern back
  // (write payload bytes are the low byte of each address).
  const std::string log = slurp(dir + "/log.csv");
  CHECK(log.find(",host,mmio_r,0xe0100000,4,,ok,,0x3020100,") != std::string::npos);
  CHECK(log.find(",host,mmio_r,0xe0000040,4,,ok,,0x43424140,") != std::string::npos);
  fs::remove_all(dir);
}
