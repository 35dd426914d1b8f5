// End-to-end runs of the iommusim program: the default experiment, a trace
// replay with an exact transaction log, determinism.
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "system_util.h"

using namespace iommusim::test;
namespace fs = std::filesystem;

TEST_CASE("run: the default experiment runs end to end", "[system]") {
  const std::string out = temp_dir();
  auto r = run_cli("run configs/default.yaml --out " + out);
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("DMAs done        220000 (0 with errors or faults)") != std::string::npos);
  CHECK(r.out.find("memory row hits") != std::string::npos);
  auto stats = nlohmann::json::parse(slurp(out + "/stats.json"));
  CHECK(stats["stats"]["system.dmas"] == 220000);
  CHECK(stats["stats"]["system.nic0.dmas"] == 200000);
  CHECK(stats["stats"]["system.nvme0.dmas"] == 20000);
  CHECK(stats["stats"]["system.dma_bytes"] == 200000ull * 64 + 20000ull * 4096);
  // 64 B reads at MRRS 512 are one TLP each; 4 KiB writes at MPS 256 are 16.
  CHECK(stats["stats"]["system.nic0.read_tlps"] == 200000);
  CHECK(stats["stats"]["system.nvme0.write_tlps"] == 320000);
  CHECK(stats["stats"]["system.mem0.reads"] == 200000);
  CHECK(stats["stats"]["system.mem0.writes"] == 320000);
  CHECK(slurp(out + "/stats.txt").find("---------- Begin Simulation Statistics ----------") != std::string::npos);
  auto cfg = nlohmann::json::parse(slurp(out + "/config.json"));
  CHECK(cfg["platform"]["memory"]["dram"]["tCL"] == 22);
  CHECK(cfg["platform"]["endpoints"][0]["name"] == "nic0");
  fs::remove_all(out);
}

TEST_CASE("run: same config and seed give byte-identical stats", "[system]") {
  const std::string a = temp_dir(), b = temp_dir(), c = temp_dir();
  const std::string args = "run configs/default.yaml --set workloads.0.count=20000 --set workloads.1.count=2000";
  REQUIRE(run_cli(args + " --out " + a).status == 0);
  REQUIRE(run_cli(args + " --out " + b).status == 0);
  CHECK(slurp(a + "/stats.json") == slurp(b + "/stats.json"));
  CHECK(slurp(a + "/stats.txt") == slurp(b + "/stats.txt"));
  CHECK(slurp(a + "/config.json") == slurp(b + "/config.json"));
  // Another seed moves the random workload.
  REQUIRE(run_cli(args + " --seed 7 --out " + c).status == 0);
  CHECK(slurp(a + "/stats.json") != slurp(c + "/stats.json"));
  for (const auto& d : {a, b, c}) fs::remove_all(d);
}

// The expected log follows from the default parameters (DDR4-3200 22-22-22 at
// 0.625 ns, tCWL 16, tBURST 4; root complex 10 ns each way; endpoint 250 MHz,
// one TLP per cycle; link Gen3 x8, 50 ns: 126.953125 ps per byte, rounded up
// per TLP, 8 B of framing, sequence number and LCRC per TLP, 3 DW headers
// below 4 GiB, completions split at MPS 256; docs/models/pcie.md):
//   0 mem_w  bank closed: ACT 0, WR at 22 cyc, data 38..42 cyc       -> 26.25 ns
//   1 mem_r  issued when 0 is done (26.25 ns = 42 cyc), row hit:
//            data 64..68 cyc                                          -> 42.5 ns
//   2 dma_r  up 12 + 8 = 20 B: 2.540 ns + 50 + RC 10 -> memory at 162.540 ns,
//            row hit, done 178.790; RC 10; down one completion of
//            12 + 64 + 8 = 84 B: 10.665 + 50                          -> 249.455 ns
//   3 dma_w  one issue cycle after 2 (104 ns); up 12 + 256 + 8 = 276 B:
//            35.040 + 50 + 10 -> memory at 199.040 ns; 4 bursts over 2
//            channels, the last (channel 1, after an ACT) ends at     -> 227.790 ns
//            (no DLLP is due before it: an ACK and an UpdateFC are due
//            every 186.47 TLP bytes, so the first two follow this TLP)
//   4 mmio_r VER of the remapping unit at 0xfed90000 (1.0 = 0x10): RC 10 ns,
//            one register cycle (1 ns), RC 10 ns back                  -> 221 ns
// Translation is off (GSTS.TES = 0 at reset), so DMA passes untranslated.
TEST_CASE("run: a small trace gives the expected transaction log", "[system]") {
  const std::string out = temp_dir();
  auto r = run_cli("run --trace traces/examples/basic.trace --txn-log " + out + "/log.csv --out " + out);
  REQUIRE(r.status == 0);
  CHECK(slurp(out + "/log.csv") == slurp(source_dir() + "/traces/examples/basic.expected.csv"));
  // The trace's device became an endpoint of the default platform.
  auto cfg = nlohmann::json::parse(slurp(out + "/config.json"));
  CHECK(cfg["platform"]["endpoints"][0]["name"] == "ep_00_03_0");
  CHECK(cfg["platform"]["endpoints"][0]["bdf"] == "00:03.0");
  fs::remove_all(out);
}

TEST_CASE("run: validate accepts the shipped configs", "[system]") {
  auto r = run_cli("validate configs/default.yaml");
  CHECK(r.status == 0);
  CHECK(r.out == "configs/default.yaml: ok (2 endpoints)\n");
}

TEST_CASE("run: the same requester ID in two PCI segments names two devices", "[system]") {
  const std::string dir = temp_dir();
  write_file(dir + "/c.yaml", R"(platform:
  endpoints:
    - {name: a, bdf: "00:03.0"}
    - {name: b, bdf: "0001:00:03.0"}
)");
  write_file(dir + "/t.trace", "iommusim-trace 1\n0 00:03.0 dma_r addr=0x1000 size=64\n"
                               "0 0001:00:03.0 dma_r addr=0x2000 size=64\n");
  auto r = run_cli("run " + dir + "/c.yaml --trace " + dir + "/t.trace --out " + dir + "/out");
  REQUIRE(r.status == 0);
  auto stats = nlohmann::json::parse(slurp(dir + "/out/stats.json"));
  CHECK(stats["stats"]["system.a.dmas"] == 1);
  CHECK(stats["stats"]["system.b.dmas"] == 1);
  fs::remove_all(dir);
}

// Legacy-mode remapping set up by raw register and memory writes (see the
// trace's comments): translated addresses, the 2 MiB page, pass-through, the
// fault reasons 0x5 (write to a read-only page), 0x6 (not-present PTE) and 0x2
// (no context entry), FSTS = PPF, FRCD0 = {F, FR 5, SID 0x18, write, info
// 0x40001000}, a stale IOTLB entry translating to the old page until the
// page-selective invalidation (IOTLB register reads back IVT clear, IAIG 11),
// and a translated request blocked by TT=00b (0xD).
TEST_CASE("run: legacy remapping set up from a trace gives the expected log", "[system]") {
  const std::string out = temp_dir();
  auto r = run_cli("run --trace traces/examples/legacy_setup.trace --txn-log " + out + "/log.csv --out " + out);
  REQUIRE(r.status == 0);
  CHECK(slurp(out + "/log.csv") == slurp(source_dir() + "/traces/examples/legacy_setup.expected.csv"));
  auto stats = nlohmann::json::parse(slurp(out + "/stats.json"))["stats"];
  CHECK(stats["system.iommu0.translations"] == 10);
  CHECK(stats["system.iommu0.passthrough"] == 1);
  CHECK(stats["system.iommu0.faults"] == 4);
  CHECK(stats["system.iommu0.faults_reason_0d"] == 1);  // the translated request, TT=00b
  CHECK(stats["system.iommu0.faults_reason_02"] == 1);
  CHECK(stats["system.iommu0.faults_reason_05"] == 1);
  CHECK(stats["system.iommu0.faults_reason_06"] == 1);
  CHECK(stats["system.iommu0.iotlb_hits"] == 2);
  CHECK(stats["system.iommu0.iotlb_invalidations"] == 1);
  CHECK(stats["system.iommu0.domain_1.faults"] == 3);
  CHECK(stats["system.iommu0.device_00_05_0.faults"] == 1);
  fs::remove_all(out);
}

// CAP/ECAP given raw (as Linux prints them) make the unit report exactly those
// values; a host-only trace (no endpoints) runs.
TEST_CASE("run: a unit built from raw CAP and ECAP reports them", "[system]") {
  const std::string dir = temp_dir();
  write_file(dir + "/c.yaml", "platform:\n  iommus:\n    - name: iommu0\n      cap: 0xd2078c10780c06\n"
                              "      ecap: 0xf020c1\n");
  write_file(dir + "/t.trace", "iommusim-trace 1\n0 host mmio_r addr=0xfed90008 size=8\n"
                               "+0 host mmio_r addr=0xfed90010 size=8\n");
  auto r = run_cli("run " + dir + "/c.yaml --trace " + dir + "/t.trace --txn-log " + dir + "/log.csv --out " + dir +
                   "/out");
  REQUIRE(r.status == 0);
  CHECK(slurp(dir + "/log.csv") ==
        "seq,issue_ns,done_ns,source,op,addr,size,pasid,status,pa,data,fault_reason,vector,dest\n"
        "0,0,21,host,mmio_r,0xfed90008,8,,ok,,0xd2078c10780c06,,,\n"
        "1,21,42,host,mmio_r,0xfed90010,8,,ok,,0xf020c1,,,\n");
  fs::remove_all(dir);
}

// Scalable mode set up from a trace (see its comments): a request without
// PASID through RID_PASID and second-level tables; first level with a write
// to a read-only page (0x85), a user access to a supervisor page (0x81), a
// supervisor request without SRE (0x5d), a non-canonical address (0x80);
// nested translation; pass-through; a PASID without a PASID-table entry
// (0x59); an IOTLB hit tagged with the PASID; a supervisor request to a page
// a user request cached (0x5d); a nested write to a page the second level maps
// read-only (0x85).
TEST_CASE("run: scalable-mode remapping set up from a trace gives the expected log", "[system]") {
  const std::string out = temp_dir();
  auto r = run_cli("run configs/examples/scalable.yaml --txn-log " + out + "/log.csv --out " + out);
  REQUIRE(r.status == 0);
  CHECK(slurp(out + "/log.csv") == slurp(source_dir() + "/traces/examples/scalable_setup.expected.csv"));
  auto stats = nlohmann::json::parse(slurp(out + "/stats.json"))["stats"];
  CHECK(stats["system.iommu0.translations"] == 13);
  CHECK(stats["system.iommu0.faults"] == 7);
  CHECK(stats["system.iommu0.passthrough"] == 1);
  // Nine first-level walks: the cached user translation does not serve the
  // supervisor request (SRE = 0), and the nested read's entry does not serve
  // the write (the second level was checked for reading only).
  CHECK(stats["system.iommu0.fl_walks"] == 9);
  CHECK(stats["system.iommu0.fl_psc_hits"] == 4);  // later PASID-5 walks resume at the PT
  CHECK(stats["system.iommu0.iotlb_hits"] == 1);
  CHECK(stats["system.iommu0.pasid_cache_misses"] == 5);  // no PASID (RID_PASID), 5, 6, 7, 9
  fs::remove_all(out);
}

// Queued invalidation from a trace (see its comments): QIES; a stale IOTLB
// entry until the page-selective descriptor; the wait descriptor's status
// write (1) and ICS.IWC; IQH = 0x20; a register-based invalidation refused
// while QI is on (IAIG 00); an invalid descriptor: FSTS.IQE, IQEI 3, IQH kept;
// after repair and clearing IQE the queue runs on (status 2, IQH 0x30).
TEST_CASE("run: queued invalidation from a trace gives the expected log", "[system]") {
  const std::string out = temp_dir();
  auto r = run_cli("run --trace traces/examples/qi.trace --txn-log " + out + "/log.csv --out " + out);
  REQUIRE(r.status == 0);
  CHECK(slurp(out + "/log.csv") == slurp(source_dir() + "/traces/examples/qi.expected.csv"));
  auto stats = nlohmann::json::parse(slurp(out + "/stats.json"))["stats"];
  CHECK(stats["system.iommu0.qi_descriptors"] == 6);
  CHECK(stats["system.iommu0.qi_waits"] == 3);
  CHECK(stats["system.iommu0.context_invalidations"] == 1);
  CHECK(stats["system.iommu0.ir.iec_invalidations"] == 1);
  CHECK(stats["system.iommu0.context_walks"] == 2);
  CHECK(stats["system.iommu0.qi_errors"] == 1);
  CHECK(stats["system.iommu0.register_invalidations_refused"] == 1);
  CHECK(stats["system.iommu0.invalidation_events"] == 0);  // IECTL.IM is set at reset: the event is held
  fs::remove_all(out);
}

// Interrupt messages reach the host interrupt controller: two device MSIs
// (vector 0x41 to APIC 1, vector 0x22 to APIC 0, logged with vector and dest)
// and the remapping unit's fault event (FEDATA 0x51) raised by a DMA that
// faults once FECTL.IM is cleared.
// Interrupt remapping set up from raw register and memory writes
// (traces/examples/ir.trace explains each record): remapped, posted, blocked
// and faulted interrupts, the posted descriptor and the fault record.
TEST_CASE("run: interrupt remapping from a trace gives the expected log", "[system]") {
  const std::string out = temp_dir();
  auto r = run_cli("run --trace traces/examples/ir.trace --txn-log " + out + "/log.csv --out " + out);
  REQUIRE(r.status == 0);
  CHECK(slurp(out + "/log.csv") == slurp(source_dir() + "/traces/examples/ir.expected.csv"));
  auto stats = nlohmann::json::parse(slurp(out + "/stats.json"))["stats"];
  CHECK(stats["system.iommu0.ir.requests"] == 9);
  CHECK(stats["system.iommu0.ir.remapped"] == 2);
  CHECK(stats["system.iommu0.ir.posted"] == 2);
  CHECK(stats["system.iommu0.ir.notifications"] == 1);
  CHECK(stats["system.iommu0.ir.blocked"] == 5);
  CHECK(stats["system.iommu0.ir.faults_recorded"] == 4);
  CHECK(stats["system.iommu0.ir.faults_suppressed"] == 1);
  CHECK(stats["system.iommu0.ir.iec_hits"] == 2);
  CHECK(stats["system.iommu0.faults_reason_22"] == 2);
  CHECK(stats["system.ic.vector_41.count"] == 2);
  CHECK(stats["system.ic.vector_f2.count"] == 1);
  CHECK(stats["system.ic.vector_51.count"] == 1);  // one fault event: PPF stays set after the first
  fs::remove_all(out);
}

// ATS end to end (traces/examples/ats.trace explains each record): device-TLB
// misses send translation requests, hits send translated TLPs, a write the
// translation does not allow falls back to an untranslated request that the
// unit blocks (0x5), a stale device-TLB entry is used until the IOTLB and the
// device TLB are invalidated, an invalidation for a missing function raises
// ICE and one the endpoint never answers ITE.
TEST_CASE("run: ATS and device TLBs from a trace give the expected log", "[system]") {
  const std::string out = temp_dir();
  auto r = run_cli("run configs/examples/ats.yaml --txn-log " + out + "/log.csv --out " + out);
  REQUIRE(r.status == 0);
  CHECK(slurp(out + "/log.csv") == slurp(source_dir() + "/traces/examples/ats.expected.csv"));
  auto stats = nlohmann::json::parse(slurp(out + "/stats.json"))["stats"];
  // Misses: the first read, the read-only write, the read after the
  // invalidation; hits: the second read, the 2 MiB read, the stale read; the
  // two 'ats' records send requests without a lookup.
  CHECK(stats["system.nic0.ats.translation_requests"] == 5);
  CHECK(stats["system.nic0.devtlb.hits"] == 3);
  CHECK(stats["system.nic0.devtlb.misses"] == 3);
  CHECK(stats["system.nic0.ats.translated_tlps"] == 5);
  CHECK(stats["system.nic0.ats.untranslated_fallbacks"] == 1);
  CHECK(stats["system.nic0.ats.entries_invalidated"] == 1);
  CHECK(stats["system.dead0.ats.invalidations"] == 1);
  CHECK(stats["system.iommu0.ats.translation_requests"] == 5);
  CHECK(stats["system.iommu0.ats.no_access"] == 1);
  CHECK(stats["system.iommu0.devtlb_invalidations"] == 3);
  CHECK(stats["system.iommu0.devtlb_completion_errors"] == 1);
  CHECK(stats["system.iommu0.devtlb_timeouts"] == 1);
  CHECK(stats["system.iommu0.faults_reason_05"] == 1);
  fs::remove_all(out);
}

TEST_CASE("run: interrupt messages and the fault event reach the interrupt controller", "[system]") {
  const std::string out = temp_dir();
  auto r = run_cli("run --trace traces/examples/msi.trace --txn-log " + out + "/log.csv --out " + out);
  REQUIRE(r.status == 0);
  CHECK(slurp(out + "/log.csv") == slurp(source_dir() + "/traces/examples/msi.expected.csv"));
  auto stats = nlohmann::json::parse(slurp(out + "/stats.json"))["stats"];
  CHECK(stats["system.ic.interrupts"] == 3);
  CHECK(stats["system.ic.vector_41.count"] == 1);
  CHECK(stats["system.ic.vector_22.count"] == 1);
  CHECK(stats["system.ic.vector_51.count"] == 1);
  // When the fault was found: the DMA read at 1000 ns is a 20 B request
  // (3 DW header + 8) on Gen3 x8, 2.540 ns, then 50 ns of link latency, the
  // root complex's 10 ns, and 33 ns in the remapping unit until the fault
  // (its root-entry read; not changed by the link); the two MSIs before it
  // (24 B each) made no DLLP due.
  CHECK(stats["system.ic.vector_51.last_arrival"] == 1095540);
  CHECK(stats["system.iommu0.fault_events"] == 1);
  fs::remove_all(out);
}

// Several remapping units (VT-d 8.3): unit a serves 00:03.0 by name, unit b
// the buses 01-01 (a sub-hierarchy), with registers at 0xfed91000; a device on
// bus 02 is in no scope and is not remapped. Each request, DMA or interrupt,
// goes to its device's unit; each unit's registers answer at its base.
TEST_CASE("run: requests go to the remapping unit whose scope holds the device", "[system]") {
  const std::string dir = temp_dir();
  write_file(dir + "/c.yaml", R"(platform:
  iommus:
    - name: a
      scope: { devices: ["00:03.0"] }
    - name: b
      reg_base: 0xfed91000
      scope: { subtrees: ["01"] }
  endpoints:
    - { name: d0, bdf: "00:03.0" }
    - { name: d1, bdf: "01:00.0" }
    - { name: d2, bdf: "02:00.0" }
)");
  write_file(dir + "/t.trace", R"(iommusim-trace 1
0 00:03.0 dma_r addr=0x1000 size=64
0 01:00.0 dma_r addr=0x2000 size=64
0 01:00.0 msi addr=0xfee01000 data=0x41
0 02:00.0 dma_w addr=0x3000 size=64
100 host mmio_r addr=0xfed91000 size=4
)");
  auto r = run_cli("run " + dir + "/c.yaml --trace " + dir + "/t.trace --out " + dir + "/out");
  REQUIRE(r.status == 0);
  auto stats = nlohmann::json::parse(slurp(dir + "/out/stats.json"))["stats"];
  CHECK(stats["system.a.bypassed"] == 1);
  CHECK(stats["system.b.bypassed"] == 1);
  CHECK(stats["system.a.msis_forwarded"] == 0);
  CHECK(stats["system.b.msis_forwarded"] == 1);
  CHECK(stats["system.rc.unremapped"] == 1);
  CHECK(stats["system.rc.dma_requests"] == 4);
  CHECK(stats["system.ic.vector_41.count"] == 1);
  fs::remove_all(dir);
}

// Workloads are deterministic and can be recorded: a run of a NIC and an NVMe
// workload, recorded with simulation.record_trace, and the replay of the
// recorded trace on the same platform give identical statistics.
TEST_CASE("run: a recorded workload replays to identical statistics", "[system]") {
  const std::string dir = temp_dir();
  const std::string platform = R"(platform:
  endpoints:
    - { name: nic0, bdf: "00:03.0" }
    - { name: ssd0, bdf: "00:04.0" }
)";
  write_file(dir + "/gen.yaml", platform + R"(workloads:
  - { device: nic0, kind: nic, direction: both, packet_size: imix, packets: 300, interval_ns: 20 }
  - { device: ssd0, kind: nvme, io_size: {histogram: ["4096:3", "65536:1"]}, read_fraction: 0.7, commands: 100 }
)");
  write_file(dir + "/replay.yaml", platform);
  auto a = run_cli("run " + dir + "/gen.yaml --set simulation.record_trace=" + dir + "/rec.trace --out " + dir + "/a");
  REQUIRE(a.status == 0);
  auto b = run_cli("run " + dir + "/replay.yaml --trace " + dir + "/rec.trace --out " + dir + "/b");
  REQUIRE(b.status == 0);
  auto sa = nlohmann::json::parse(slurp(dir + "/a/stats.json"))["stats"];
  auto sb = nlohmann::json::parse(slurp(dir + "/b/stats.json"))["stats"];
  CHECK(sa["system.nic0.dmas"] == 300 * 3 + 300 / 32);
  // SQ entry, data, CQ entry and MSI per command, plus a PRP-list read for
  // each 64 KiB command (16 pages): this seed draws 33 of them.
  CHECK(sa["system.ssd0.dmas"] == 100 * 4 + 33);
  CHECK(sa == sb);
  // And the same seed gives the same trace again.
  auto c = run_cli("run " + dir + "/gen.yaml --set simulation.record_trace=" + dir + "/rec2.trace --out " + dir + "/c");
  REQUIRE(c.status == 0);
  CHECK(slurp(dir + "/rec.trace") == slurp(dir + "/rec2.trace"));
  fs::remove_all(dir);
}
