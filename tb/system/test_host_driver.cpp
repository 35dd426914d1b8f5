// The OS driver model's SystemC shell (models/host/host_driver.*): bring-up
// leaves the registers and tables as VT-d requires, map/unmap write exactly
// the expected entries and descriptors, lazy mode batches as configured, and
// per-packet workloads run strict, lazy and pass-through.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "system_util.h"

using namespace iommusim::test;

namespace {

// A 4-level unit (SAGAW 48-bit only, MGAW 48), as on the boot log's Xeon.
const std::string kPlatform =
    "platform:\n"
    "  iommus: [{name: iommu0, features: {sagaw: 0x4, mgaw: 48}}]\n"
    "  endpoints: [{name: nic0, bdf: '00:03.0'}]\n";

struct Run {
  int status = 0;
  std::string err, log;
  nlohmann::json stats;
};

Run run(const std::string& config, const std::string& trace, const std::string& extra = "") {
  const std::string dir = temp_dir();
  write_file(dir + "/c.yaml", config);
  std::string args = "run " + dir + "/c.yaml --out " + dir + "/out " + extra;
  if (!trace.empty()) {
    write_file(dir + "/t.trace", trace);
    args += " --trace " + dir + "/t.trace --txn-log " + dir + "/log.csv";
  }
  auto r = run_cli(args);
  Run out;
  out.status = r.status;
  out.err = r.err;
  if (r.status == 0) {
    if (!trace.empty()) out.log = slurp(dir + "/log.csv");
    out.stats = nlohmann::json::parse(slurp(dir + "/out/stats.json"))["stats"];
  }
  std::filesystem::remove_all(dir);
  return out;
}

// The log row with sequence number `seq`.
std::string row_of(const std::string& log, int seq) {
  const std::size_t at = log.find("\n" + std::to_string(seq) + ",");
  REQUIRE(at != std::string::npos);
  return log.substr(at + 1, log.find('\n', at + 1) - at - 1);
}

// The `data` column of the log row with sequence number `seq`.
std::string data_of(const std::string& log, int seq) {
  std::size_t at = log.find("\n" + std::to_string(seq) + ",");
  REQUIRE(at != std::string::npos);
  const std::string row = log.substr(at + 1, log.find('\n', at + 1) - at - 1);
  std::vector<std::string> cols;
  std::size_t s = 0;
  for (std::size_t e; (e = row.find(',', s)) != std::string::npos; s = e + 1) cols.push_back(row.substr(s, e - s));
  cols.push_back(row.substr(s));
  REQUIRE(cols.size() >= 11);
  return cols[10];
}

}  // namespace

TEST_CASE("driver: legacy bring-up, strict map and unmap, read back through the trace", "[system][driver]") {
  const std::string trace =
      "iommusim-trace 1\n"
      "0 host mmio_r addr=0xfed9001c size=4\n"      // 0 GSTS
      "+0 host mmio_r addr=0xfed90020 size=8\n"     // 1 RTADDR
      "+0 host mmio_r addr=0xfed90090 size=8\n"     // 2 IQA
      "+0 host mmio_r addr=0xfed90088 size=8\n"     // 3 IQT
      "+0 host mmio_r addr=0xfed90080 size=8\n"     // 4 IQH
      "+0 host mmio_r addr=0xfed900b8 size=8\n"     // 5 IRTA
      "+0 host mem_r addr=0x40002000 size=8\n"      // 6 root entry, bus 0
      "+0 host mem_r addr=0x40004180 size=8\n"      // 7 context entry 00:03.0, low
      "+0 host mem_r addr=0x40004188 size=8\n"      // 8 context entry, high
      "+0 host mem_r addr=0x40003000 size=8\n"      // 9 IRTE 0, low
      "+0 host mem_r addr=0x40003008 size=8\n"      // 10 IRTE 0, high
      "+0 host map dev=00:03.0 iova=0x10000 pa=0x500000 size=0x2000 perm=rw\n"  // 11
      "+0 host mem_r addr=0x41000000 size=8\n"      // 12 PML4E
      "+0 host mem_r addr=0x41001000 size=8\n"      // 13 PDPE
      "+0 host mem_r addr=0x41002000 size=8\n"      // 14 PDE
      "+0 host mem_r addr=0x41003080 size=8\n"      // 15 PTE 0x10000
      "+0 host mem_r addr=0x41003088 size=8\n"      // 16 PTE 0x11000
      "5000 00:03.0 dma_r addr=0x10010 size=64\n"   // 17
      "+0 00:03.0 msi addr=0xfee01000 data=0x45\n"  // 18
      "10000 host unmap dev=00:03.0 iova=0x10000 size=0x2000\n"  // 19
      "+0 host mem_r addr=0x41003080 size=8\n"      // 20
      "+0 host mmio_r addr=0xfed90088 size=8\n"     // 21 IQT
      "+0 host mem_r addr=0x40000050 size=8\n"      // 22 descriptor 5, q0
      "+0 host mem_r addr=0x40000058 size=8\n"      // 23 descriptor 5, q1
      "+0 host mem_r addr=0x40000060 size=8\n"      // 24 descriptor 6 (wait), q0
      "+0 host mem_r addr=0x40000068 size=8\n"      // 25 descriptor 6, q1
      "+0 host mem_r addr=0x40001018 size=4\n"      // 26 status word of slot 6
      "15000 00:03.0 dma_r addr=0x10010 size=64\n"; // 27
  Run r = run(kPlatform + "host: {driver: {strict: true}}\n", trace);
  INFO(r.err);
  REQUIRE(r.status == 0);
  // GSTS: TES, RTPS, QIES, IRES, IRTPS (11.4.4); CFIS clear (compatibility
  // format blocked).
  CHECK(data_of(r.log, 0) == "0xc7000000");
  // Driver memory from 0x40000000: queue, status words, root table, IRT,
  // context table of bus 0; page tables from 0x41000000.
  CHECK(data_of(r.log, 1) == "0x40002000");  // legacy TTM = 00
  CHECK(data_of(r.log, 2) == "0x40000000");  // 128-bit descriptors, QS = 0
  // Bring-up: context-cache global + IOTLB global + wait, IEC global + wait.
  CHECK(data_of(r.log, 3) == "0x50");
  CHECK(data_of(r.log, 4) == "0x50");
  CHECK(data_of(r.log, 5) == "0x40003007");  // 256 entries (S = 7), xAPIC
  CHECK(data_of(r.log, 6) == "0x40004001");
  CHECK(data_of(r.log, 7) == "0x41000001");  // SLPTPTR, TT = 00, P
  CHECK(data_of(r.log, 8) == "0x102");       // DID 1, AW 2 (4-level)
  // Remapped IRTE: vector 0x45, DST 1 << 8 (xAPIC), P; SVT = 01, SID 00:03.0.
  CHECK(data_of(r.log, 9) == "0x10000450001");
  CHECK(data_of(r.log, 10) == "0x40018");
  CHECK(data_of(r.log, 12) == "0x41001003");
  CHECK(data_of(r.log, 13) == "0x41002003");
  CHECK(data_of(r.log, 14) == "0x41003003");
  CHECK(data_of(r.log, 15) == "0x500003");
  CHECK(data_of(r.log, 16) == "0x501003");
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,dma_r,0x10010,64,,ok,0x500010,"));
  // The device's MSI was reprogrammed to remappable format, handle 0.
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,msi,0xfee00010,4,,ok,,,,69,1\n"));
  CHECK(data_of(r.log, 20) == "0x0");
  CHECK(data_of(r.log, 21) == "0x70");
  // Page-selective IOTLB invalidation (6.5.2.3): G = 11, DR, DW, DID 1;
  // address 0x10000, IH (leaf only), AM 1 (two pages).
  CHECK(data_of(r.log, 22) == "0x100f2");
  CHECK(data_of(r.log, 23) == "0x10041");
  // Wait (6.5.2.8): SW, FN, status data QI_DONE (2) to slot 6's word.
  CHECK(data_of(r.log, 24) == "0x200000065");
  CHECK(data_of(r.log, 25) == "0x40001018");
  CHECK(data_of(r.log, 26) == "0x2");
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,dma_r,0x10010,64,,fault,,,0x6,,"));
  CHECK(r.stats["system.host.driver.psi"] == 1);
  // Map: three table pointers and two leaves; unmap: two leaves cleared.
  CHECK(r.stats["system.host.driver.pte_writes"] == 7);
  CHECK(r.stats["system.host.driver.irtes"] == 1);
}

TEST_CASE("driver: scalable-mode bring-up writes root, context, PASID directory and PASID entries",
          "[system][driver]") {
  const std::string trace =
      "iommusim-trace 1\n"
      "0 host mmio_r addr=0xfed90020 size=8\n"   // 0 RTADDR
      "+0 host mmio_r addr=0xfed90090 size=8\n"  // 1 IQA
      "+0 host mmio_r addr=0xfed90088 size=8\n"  // 2 IQT
      "+0 host mem_r addr=0x40002000 size=8\n"   // 3 root entry bus 0, lower half
      "+0 host mem_r addr=0x40004300 size=8\n"   // 4 SM context entry devfn 0x18, q0
      "+0 host mem_r addr=0x40004308 size=8\n"   // 5 q1 (RID_PASID 0)
      "+0 host mem_r addr=0x40005000 size=8\n"   // 6 PASID directory entry 0
      "+0 host mem_r addr=0x40006000 size=8\n"   // 7 PASID entry 0, q0
      "+0 host mem_r addr=0x40006008 size=8\n"   // 8 PASID entry 0, q1
      "+0 host map dev=00:03.0 iova=0x10000 pa=0x500000 size=0x1000 perm=r\n"
      "1000 00:03.0 dma_r addr=0x10008 size=8\n"
      "+0 00:03.0 dma_w addr=0x10008 size=8\n";
  Run r = run(kPlatform + "host: {driver: {mode: scalable}}\n", trace, "--set iommu0.features.smts=true");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(data_of(r.log, 0) == "0x40002400");  // TTM = 01
  CHECK(data_of(r.log, 1) == "0x40000800");  // DW = 1 (256-bit descriptors)
  // context-cache + PASID-cache + IOTLB global + wait, IEC + wait: 6 x 32 bytes.
  CHECK(data_of(r.log, 2) == "0xc0");
  CHECK(data_of(r.log, 3) == "0x40004001");
  CHECK(data_of(r.log, 4) == "0x40005001");  // PASID directory, PDTS 0, P
  CHECK(data_of(r.log, 5) == "0x0");
  CHECK(data_of(r.log, 6) == "0x40006001");
  // Second-level only (PGTT 010), AW 2, SLPTPTR 0x41000000, P; DID 1.
  CHECK(data_of(r.log, 7) == "0x41000089");
  CHECK(data_of(r.log, 8) == "0x1");
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,dma_r,0x10008,8,,ok,0x500008,"));
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,dma_w,0x10008,8,,fault,"));
}

TEST_CASE("driver: lazy unmaps are batched as the flush queue is configured", "[system][driver]") {
  std::string trace = "iommusim-trace 1\n";
  for (int i = 0; i < 10; ++i) {
    const std::string iova = "0x" + std::to_string(10 + i) + "000";
    trace += "+0 host map dev=00:03.0 iova=" + iova + " pa=0x600000 size=4096 perm=rw\n";
    trace += "+0 host unmap dev=00:03.0 iova=" + iova + " size=4096\n";
  }
  Run r = run(kPlatform + "host: {driver: {strict: false, flush_queue: {entries: 4, timeout_us: 100}}}\n", trace);
  INFO(r.err);
  REQUIRE(r.status == 0);
  // Unmaps 1-4 queue; the 5th finds the queue full: one domain-selective
  // flush frees 4; the 9th likewise; the timer flushes the last two.
  CHECK(r.stats["system.host.driver.lazy_full_flushes"] == 2);
  CHECK(r.stats["system.host.driver.lazy_timeout_flushes"] == 1);
  CHECK(r.stats["system.host.driver.dsi"] == 3);
  CHECK(r.stats["system.host.driver.psi"] == 0);
  CHECK(r.stats["system.host.driver.lazy_ranges_flushed"] == 10);
  CHECK(r.stats["system.host.driver.waits"] == 3);
  CHECK(r.stats["system.iommu0.iotlb_invalidations"] == 1 + 3);  // bring-up's global one, then the batches
}

TEST_CASE("driver: a map the driver refuses is an error row, and the run goes on", "[system][driver]") {
  const std::string trace =
      "iommusim-trace 1\n"
      "0 host map dev=00:03.0 iova=0x10000 pa=0x500000 size=0x2000 perm=rw\n"
      "+0 host map dev=00:03.0 iova=0x11000 pa=0x600000 size=0x1000 perm=rw\n"
      "+0 host unmap dev=00:03.0 iova=0x30000 size=0x1000\n"
      "+0 host unmap dev=00:03.0 iova=0x10000 size=0x2000\n";
  Run r = run(kPlatform + "host: {driver: {strict: true}}\n", trace);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(row_of(r.log, 1), Catch::Contains(",host,map,0x11000,4096,,error,"));
  CHECK_THAT(r.log, Catch::Contains(",host,unmap,0x30000,4096,,error,"));
  CHECK_THAT(r.log, Catch::Contains(",host,unmap,0x10000,8192,,ok,"));
  CHECK(r.stats["system.host.driver_errors"] == 2);
  CHECK(r.stats["system.host.driver.refused"] == 2);
}

TEST_CASE("driver: per-packet NIC mapping, strict, lazy and pass-through", "[system][driver]") {
  const std::string nic =
      "workloads:\n"
      "  - {device: nic0, kind: nic, direction: rx, packet_size: 64, packets: 64, ring_entries: 16,\n"
      "     moderation_packets: 8, mapping: per_packet, ring_base: 0x700000, buffer_base: 0x800000}\n";
  Run strict = run(kPlatform + "host: {driver: {strict: true}}\n" + nic, "");
  INFO(strict.err);
  REQUIRE(strict.status == 0);
  CHECK(strict.stats["system.nic0.dmas"] == 64 * 3 + 8);
  CHECK(strict.stats["system.nic0.errors"] == 0);
  CHECK(strict.stats["system.host.driver.maps"] == 65);  // the ring, then each buffer
  CHECK(strict.stats["system.host.driver.unmaps"] == 64);
  CHECK(strict.stats["system.host.driver.psi"] == 64);
  CHECK(strict.stats["system.host.driver.nic0.batches"] == 8);
  CHECK(strict.stats["system.iommu0.iotlb_invalidations"] == 1 + 64);
  CHECK(strict.stats["system.ic.vector_40.count"] == 8);

  Run lazy = run(kPlatform + "host: {driver: {strict: false}}\n" + nic, "");
  REQUIRE(lazy.status == 0);
  CHECK(lazy.stats["system.nic0.errors"] == 0);
  CHECK(lazy.stats["system.host.driver.psi"] == 0);
  CHECK(lazy.stats["system.host.driver.dsi"] == 1);  // the timer's, 10 ms after the first unmap
  CHECK(lazy.stats["system.host.driver.lazy_ranges_flushed"] == 64);

  Run pt = run(kPlatform + "host: {driver: {default_domain: identity}}\n" + nic, "");
  REQUIRE(pt.status == 0);
  CHECK(pt.stats["system.nic0.errors"] == 0);
  CHECK(pt.stats["system.host.driver.iotlb_invalidations"] == 0);
  CHECK(pt.stats["system.iommu0.iotlb_hits"] == 0);
  CHECK(pt.stats["system.iommu0.iotlb_misses"] == 0);

  // Deterministic: the same run twice gives the same statistics.
  Run again = run(kPlatform + "host: {driver: {strict: true}}\n" + nic, "");
  CHECK(again.stats == strict.stats);
}

TEST_CASE("driver: unmanaged domains get their fixed maps, RMRRs are mapped 1:1", "[system][driver]") {
  const std::string cfg =
      "platform:\n"
      "  iommus: [{name: iommu0, features: {sagaw: 0x4, mgaw: 48}}]\n"
      "  endpoints: [{name: nic0, bdf: '00:03.0'}, {name: gpu0, bdf: '00:04.0'}]\n"
      "  rmrrs: [{base: 0x3e000000, limit: 0x3e1fffff, devices: ['00:04.0']}]\n"
      "host:\n"
      "  driver:\n"
      "    devices:\n"
      "      - {device: nic0, domain: unmanaged, maps: [{iova: 0x100000000, pa: 0x2000000, size: 2MiB, perm: r}]}\n";
  const std::string trace =
      "iommusim-trace 1\n"
      "0 00:03.0 dma_r addr=0x100001000 size=64\n"
      "+0 00:03.0 dma_w addr=0x100001000 size=64\n"
      "+0 00:04.0 dma_w addr=0x3e100000 size=64\n"
      "+0 00:04.0 dma_w addr=0x3e200000 size=64\n";
  Run r = run(cfg, trace);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,dma_r,0x100001000,64,,ok,0x2001000,"));
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,dma_w,0x100001000,64,,fault,,,0x5,"));
  CHECK_THAT(r.log, Catch::Contains(",00:04.0,dma_w,0x3e100000,64,,ok,0x3e100000,"));
  CHECK_THAT(r.log, Catch::Contains(",00:04.0,dma_w,0x3e200000,64,,fault,"));
  CHECK(r.stats["system.host.driver.fixed_maps"] == 1);
  CHECK(r.stats["system.host.driver.direct_maps"] == 1);
}

TEST_CASE("driver: configurations the driver cannot serve are refused with the place", "[system][driver]") {
  struct Case {
    const char* name;
    std::string config;
    std::string extra;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"identity domain without ECAP.PT", kPlatform + "host: {driver: {default_domain: identity}}\n",
       "--set iommu0.features.pt=false",
       "host driver: 00:03.0 is in an identity (pass-through) domain, but iommu0 has no pass-through (ECAP.PT)"},
      {"scalable mode on a legacy unit", kPlatform + "host: {driver: {mode: scalable}}\n", "",
       "host.driver.mode: scalable needs scalable-mode translation with second-level tables (ECAP.SMTS and SLTS), "
       "and iommu0 has no SMTS"},
      {"unknown device", kPlatform + "host: {driver: {devices: [{device: nic9}]}}\n", "",
       "host.driver.devices: no endpoint named 'nic9' in platform.endpoints"},
      {"maps outside an unmanaged domain",
       kPlatform + "host: {driver: {devices: [{device: nic0, maps: [{iova: 0}]}]}}\n", "",
       "host.driver.devices[0].maps[0].iova: fixed maps belong to unmanaged domains (domain: unmanaged)"},
      {"a fixed map that is not page aligned",
       kPlatform + "host: {driver: {devices: [{device: nic0, domain: unmanaged, maps: [{iova: 0x1800, pa: 0x2800}]}]}}\n",
       "", "host.driver.devices[0].maps[0].iova: expected a 4 KiB aligned address"},
      {"driver memory outside physical memory",
       kPlatform + "host: {driver: {memory: {base: 0x80000000}}}\n", "--set platform.memory.size=1GiB",
       "host.driver.memory.base: the driver's memory 0x80000000+0x4000000 is not inside physical memory (0x0+0x40000000)"},
      {"fixed maps on the second device of a shared domain",
       "platform:\n  endpoints: [{name: a, bdf: '00:03.0'}, {name: b, bdf: '00:04.0'}]\n"
       "host: {driver: {devices: [{device: a, domain: unmanaged, domain_name: s},\n"
       "  {device: b, domain: unmanaged, domain_name: s, maps: [{iova: 0x1000}]}]}}\n",
       "", "host.driver.devices: 'b' joins domain 's', whose fixed maps come from its first device; give maps there"},
      {"per-packet mapping without a driver",
       kPlatform + "workloads: [{device: nic0, kind: nic, mapping: per_packet}]\n", "",
       "workloads[0].mapping: per_packet mapping needs the OS driver model: add host.driver to the configuration"},
      {"per-packet mapping in an unmanaged domain",
       kPlatform + "host: {driver: {devices: [{device: nic0, domain: unmanaged}]}}\n"
                   "workloads: [{device: nic0, kind: nic, packets: 4, mapping: per_packet}]\n",
       "", "host driver: per-packet mapping for 00:03.0: map for 00:03.0: domain 0 (DID 1) is unmanaged; its user "
           "maps fixed IOVAs (map_fixed)"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Run r = run(c.config, "", c.extra);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains(c.expect));
    REQUIRE_FALSE(r.err.empty());
    CHECK(r.err.find('\n') == r.err.size() - 1);  // one line
  }
}

TEST_CASE("driver: ATS is enabled for a device TLB, and unmaps invalidate it too", "[system][driver]") {
  const std::string cfg =
      "platform:\n"
      "  iommus: [{name: iommu0, features: {sagaw: 0x4, mgaw: 48}}]\n"
      "  endpoints: [{name: nic0, bdf: '00:03.0', devtlb: {entries: 32, invalidation_latency_ns: 200}}]\n"
      "host: {driver: {strict: true, interrupt_remapping: false}}\n";
  const std::string trace =
      "iommusim-trace 1\n"
      "0 host mem_r addr=0x40003188 size=8\n"     // 0 context entry high
      "+0 host mem_r addr=0x40003180 size=8\n"    // 1 context entry low: TT = 01
      "+0 host map dev=00:03.0 iova=0x10000 pa=0x500000 size=0x1000 perm=rw\n"  // 2
      "1000 00:03.0 dma_r addr=0x10000 size=64\n"  // 3: translation request, then translated
      "5000 host unmap dev=00:03.0 iova=0x10000 size=0x1000\n"  // 4
      "+0 host mem_r addr=0x40000030 size=8\n"    // 5 descriptor 3: IOTLB PSI
      "+0 host mem_r addr=0x40000040 size=8\n"    // 6 descriptor 4: device-TLB, q0
      "+0 host mem_r addr=0x40000048 size=8\n"    // 7 q1
      "+0 host mem_r addr=0x40000050 size=8\n"    // 8 descriptor 5: wait
      "10000 00:03.0 dma_r addr=0x10000 size=64\n";  // 9
  Run r = run(cfg, trace);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(data_of(r.log, 0) == "0x102");
  CHECK(data_of(r.log, 1) == "0x41000005");  // SLPTPTR, TT = 01, P
  CHECK_THAT(row_of(r.log, 3), Catch::Contains(",00:03.0,dma_r,0x10000,64,,ok,0x500000,"));
  CHECK(data_of(r.log, 5) == "0x100f2");
  // Device-TLB invalidate (6.5.2.5): type 3, SID 00:03.0 (0x18) at 47:32,
  // PFSID 0x18 (its bits 3:0 at 15:12, bits 15:4 at 63:52); one page: S = 0.
  CHECK(data_of(r.log, 6) == "0x10001800008003");
  CHECK(data_of(r.log, 7) == "0x10000");
  CHECK(data_of(r.log, 8) == "0x200000065");
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,dma_r,0x10000,64,,fault,,,0x6,,"));
  CHECK(r.stats["system.host.driver.ats_enabled"] == 1);
  CHECK(r.stats["system.nic0.ats.invalidations"] == 1);
  CHECK(r.stats["system.nic0.ats.entries_invalidated"] == 1);
  CHECK(r.stats["system.nic0.ats.translated_tlps"] == 1);
}


TEST_CASE("driver: a device moved to another domain loses its old translations at once", "[system][driver]") {
  // VFIO gives the device back: from an unmanaged domain to blocked, then
  // to a DMA domain of its own.
  const std::string cfg = kPlatform +
                          "host: {driver: {devices: [{device: nic0, domain: unmanaged, maps: [{iova: 0x10000, pa: "
                          "0x500000}]}],\n"
                          "  events: [{at_ns: 3000, device: nic0, domain: blocked}, {at_ns: 6000, device: nic0, "
                          "domain: dma}]}}\n";
  const std::string trace =
      "iommusim-trace 1\n"
      "0 host mem_r addr=0x40004180 size=8\n"
      "1000 00:03.0 dma_r addr=0x10000 size=64\n"    // 1: ok (IOTLB and context cache filled)
      "4000 00:03.0 dma_r addr=0x10000 size=64\n"    // 2: blocked: context entry not present
      "7000 00:03.0 dma_r addr=0x10000 size=64\n"    // 3: new DMA domain (DID 2): nothing mapped
      "7000 host mem_r addr=0x40004180 size=8\n"     // 4
      "+0 host mem_r addr=0x40004188 size=8\n";      // 5
  Run r = run(cfg, trace);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.log, Catch::Contains(",00:03.0,dma_r,0x10000,64,,ok,0x500000,"));
  CHECK_THAT(row_of(r.log, 1), Catch::Contains(",00:03.0,dma_r,0x10000,64,,ok,0x500000,"));
  CHECK_THAT(row_of(r.log, 2), Catch::Contains(",fault,,,0x2,,"));
  CHECK_THAT(row_of(r.log, 3), Catch::Contains(",fault,,,0x6,,"));
  CHECK(data_of(r.log, 0) == "0x41000001");
  CHECK(data_of(r.log, 5) == "0x302");  // DID 3 (1: unmanaged, 2: blocked), AW 2
  CHECK(r.stats["system.host.driver.domain_moves"] == 2);
  // Bring-up: context-cache and IOTLB global; the first move: context-cache
  // device-selective and IOTLB domain-selective; the second clears a
  // not-present entry and invalidates the same way.
  CHECK(r.stats["system.iommu0.iotlb_invalidations"] == 3);
}
