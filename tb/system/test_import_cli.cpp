// System tests of `iommusim import`: the samples in tb/data/import converted
// through the command line, then replayed with `iommusim run --trace`.
#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "system_util.h"

using namespace iommusim::test;
namespace fs = std::filesystem;

TEST_CASE("import: cli converts a QEMU vtd log that then runs", "[system][import]") {
  const std::string dir = temp_dir();
  const std::string out = dir + "/qemu.trace";
  auto r = run_cli("import --format qemu tb/data/import/qemu-vtd.log -o " + out + " --device 00:03.0");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::StartsWith("iommusim import (qemu): tb/data/import/qemu-vtd.log -> " + out + "\n"));
  CHECK_THAT(r.err, Catch::Contains("records written  21: dma_r 2, mmio_r 7, mmio_w 11, msi 1"));
  CHECK_THAT(r.err, Catch::Contains("events imported  21: vtd_dmar_translate 2, vtd_ir_remap_msi 1, vtd_reg_read 7, "
                                    "vtd_reg_write 11"));
  CHECK_THAT(r.err, Catch::Contains("lines skipped    6:"));
  CHECK_THAT(r.err, Catch::Contains("not a QEMU trace line: 1 (first at line 40"));
  CHECK(fs::exists(out));
  CHECK_FALSE(fs::exists(out + ".tmp"));
  CHECK_THAT(slurp(out), Catch::StartsWith("iommusim-trace 1\n# imported from tb/data/import/qemu-vtd.log (qemu)"));

  // The registers are the default unit's (0xfed90000); the translations fault
  // there, since the guest's tables are not in the log.
  const std::string csv = dir + "/txn.csv";
  auto run = run_cli("run --trace " + out + " --out " + dir + "/run --txn-log " + csv);
  INFO(run.err);
  REQUIRE(run.status == 0);
  CHECK_THAT(run.out, Catch::Contains("DMAs done        3 (3 with errors or faults)"));
  const std::string log = slurp(csv);
  CHECK_THAT(log, Catch::Contains("\n4,100000,100011,host,mmio_w,0xfed90020,8,,ok,,,,,\n"));
  CHECK_THAT(log, Catch::Contains("\n6,120000,120021,host,mmio_r,0xfed9001c,4,,ok,,0x40000000,,,\n"));
  CHECK_THAT(log, Catch::Contains(",00:03.0,dma_r,0xfffff000,4,,fault,,,0x1,,\n"));
  CHECK_THAT(log, Catch::Contains(",00:03.0,msi,0xfee00018,4,,fault,,,0x22,,\n"));
  fs::remove_all(dir);
}

TEST_CASE("import: cli converts an ftrace trace whose map records run through the driver model", "[system][import]") {
  const std::string dir = temp_dir();
  const std::string out = dir + "/iommu.trace";
  auto r = run_cli("import --format ftrace tb/data/import/ftrace-iommu.txt -o " + out + " --device 0000:3b:00.0");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Catch::Contains("records written  9: dma_r 2, dma_w 1, map 3, unmap 3"));
  CHECK_THAT(r.err, Catch::Contains("bad timestamp: 1 (first at line 25"));
  auto run = run_cli("run --trace " + out + " --out " + dir + "/run");
  CHECK(run.status == 1);
  CHECK(run.err == "iommusim: error: " + out +
                       ":3: op 'map' needs the OS driver model: add host.driver to the configuration (docs/models/host.md)\n");
  // With the driver: the maps and unmaps are performed (strict: each unmap
  // waits for its invalidation); the imported DMAs fault, as the trace's
  // device DMAs fall outside what it mapped.
  auto with = run_cli("run --trace " + out + " --set host.driver.strict=true --out " + dir + "/run2 --txn-log " + dir +
                      "/log.csv");
  INFO(with.err);
  REQUIRE(with.status == 0);
  const std::string log = slurp(dir + "/log.csv");
  CHECK_THAT(log, Catch::Contains(",host,map,0xfffff000,4096,,ok,"));
  CHECK_THAT(log, Catch::Contains(",host,unmap,0xffe00000,1048576,,ok,"));
  CHECK_THAT(log, Catch::Contains(",3b:00.0,dma_r,0xffd00000,4,,fault,,,0x6,,"));
  auto stats = nlohmann::json::parse(slurp(dir + "/run2/stats.json"))["stats"];
  CHECK(stats["system.host.driver.trace_maps"] == 3);
  CHECK(stats["system.host.driver.trace_unmaps"] == 3);
  CHECK(stats["system.host.driver.psi"] == 3);

  auto d = run_cli("import --format ftrace tb/data/import/ftrace-dma.txt -o " + dir + "/dma.trace");
  CHECK(d.status == 0);
  CHECK_THAT(d.err, Catch::Contains("records written  12: map 6, unmap 6"));
  fs::remove_all(dir);
}

TEST_CASE("import: cli --on-error fail writes no output", "[system][import]") {
  const std::string dir = temp_dir();
  const std::string out = dir + "/qemu.trace";
  auto r = run_cli("import --format qemu tb/data/import/qemu-vtd.log -o " + out + " --on-error fail");
  CHECK(r.status == 1);
  CHECK(r.err ==
        "iommusim: error: tb/data/import/qemu-vtd.log:32: vtd_reg_write: the fields do not match 'addr 0x%x size "
        "0x%x value 0x%x': at column 20: expected 'value', found 'val'\n");
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(out + ".tmp"));

  auto f = run_cli("import --format ftrace tb/data/import/ftrace-dma.txt -o " + out + " --on-error fail");
  CHECK(f.status == 1);
  CHECK(f.err == "iommusim: error: tb/data/import/ftrace-dma.txt:18: dma_map_page: dir=SIDEWAYS: expected TO_DEVICE, "
                 "FROM_DEVICE or BIDIRECTIONAL\n");
  CHECK_FALSE(fs::exists(out));
  fs::remove_all(dir);
}

TEST_CASE("import: cli option errors", "[system][import]") {
  const std::string dir = temp_dir();
  const std::string out = dir + "/x.trace";
  auto fmt = run_cli("import --format pcap tb/data/import/qemu-vtd.log -o " + out);
  CHECK(fmt.status == 1);
  CHECK_THAT(fmt.err, Catch::StartsWith("iommusim: error: command line: --format: pcap not in {ftrace,qemu}"));
  auto dev = run_cli("import --format qemu tb/data/import/qemu-vtd.log -o " + out + " --device 3b:00");
  CHECK(dev.status == 1);
  CHECK(dev.err == "iommusim: error: --device '3b:00': expected a BDF like 3b:00.0 or 0000:3b:00.0\n");
  auto base = run_cli("import --format qemu tb/data/import/qemu-vtd.log -o " + out + " --reg-base fed90000");
  CHECK(base.status == 1);
  CHECK(base.err == "iommusim: error: --reg-base 'fed90000': expected an address, e.g. 0xfed90000\n");
  auto missing = run_cli("import --format qemu tb/data/import/nothing.log -o " + out);
  CHECK(missing.status == 1);
  CHECK(missing.err == "iommusim: error: tb/data/import/nothing.log: cannot open\n");
  auto no_out = run_cli("import --format qemu tb/data/import/qemu-vtd.log");
  CHECK(no_out.status == 1);
  CHECK_THAT(no_out.err, Catch::Contains("--output is required"));
  CHECK_FALSE(fs::exists(out));
  fs::remove_all(dir);
}
