// Synthetic workloads (models/pcie/workloads.h): the exact request sequences
// of the stream, nic and nvme generators, size distributions, determinism,
// recording, and their configuration errors.
#include <map>
#include <vector>

#include <catch2/catch.hpp>

#include "common/config.h"
#include "common/error.h"
#include "pcie/workloads.h"

using namespace iommusim;

namespace {

std::vector<DmaRequest> drain(DmaSource& s) {
  std::vector<DmaRequest> v;
  DmaRequest r;
  while (s.next(r)) v.push_back(r);
  return v;
}

ConfigNode node(Config& c) { return c.root().child("w"); }

}  // namespace

TEST_CASE("workloads: stream transfers wrap inside their region and alternate for 'both'", "[unit][workloads]") {
  Config c = Config::from_string("w: {kind: stream, op: both, base: 0x100000, size: 0x10000, region: 0x20000, "
                                 "count: 5, interval_ns: 100}",
                                 "w.yaml");
  auto src = make_workload(node(c), 48, 1);
  const auto v = drain(*src);
  REQUIRE(v.size() == 5);
  const Addr addrs[] = {0x100000, 0x110000, 0x100000, 0x110000, 0x100000};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(v[i].addr == addrs[i]);
    CHECK(v[i].size == 0x10000);
    CHECK(v[i].write == (i % 2 == 1));
    CHECK(v[i].time == i * 100'000);
  }
}

TEST_CASE("workloads: a NIC packet is a descriptor read, the buffer DMA, the write-back, and an MSI per batch",
          "[unit][workloads]") {
  Config c = Config::from_string(
      "w: {kind: nic, direction: both, ring_base: 0x10000, ring_entries: 2, buffer_base: 0x20000, buffer_bytes: 2048, "
      "pool_buffers: 3, packet_size: 1000, packets: 4, moderation_packets: 2, interval_ns: 50, "
      "msi: {addr: 0xfee01000, data: 0x61}}",
      "w.yaml");
  auto src = make_workload(node(c), 48, 7);
  const auto v = drain(*src);
  // Packets 0 and 2 are received (buffer written), 1 and 3 sent (buffer read);
  // MSIs after packets 1 and 3.
  REQUIRE(v.size() == 4 * 3 + 2);
  struct Want {
    bool write;
    Addr addr;
    std::uint64_t size;
    bool msi;
  };
  const Want want[] = {
      {false, 0x10000, 16, false}, {true, 0x20000, 1000, false},  {true, 0x10000, 16, false},
      {false, 0x10010, 16, false}, {false, 0x20800, 1000, false}, {true, 0x10010, 16, false}, {true, 0xfee01000, 4, true},
      {false, 0x10000, 16, false}, {true, 0x21000, 1000, false},  {true, 0x10000, 16, false},
      {false, 0x10010, 16, false}, {false, 0x20000, 1000, false}, {true, 0x10010, 16, false}, {true, 0xfee01000, 4, true},
  };
  for (std::size_t i = 0; i < v.size(); ++i) {
    INFO("request " << i);
    CHECK(v[i].seq == i);
    CHECK(v[i].write == want[i].write);
    CHECK(v[i].addr == want[i].addr);
    CHECK(v[i].size == want[i].size);
    CHECK(v[i].msi == want[i].msi);
  }
  CHECK(v[6].data == 0x61);
  CHECK(v[3].time == 50'000);   // packet 1
  CHECK(v[13].time == 150'000); // packet 3's MSI
}

TEST_CASE("workloads: NIC packets at a line rate arrive one wire time apart", "[unit][workloads]") {
  // 64 + 20 bytes at 10 Gb/s: 67.2 ns; 1500 + 20 bytes: 1216 ns.
  Config c = Config::from_string("w: {kind: nic, packets: 3, packet_size: {histogram: [\"64:1\"]}, line_rate_gbps: 10, "
                                 "moderation_packets: 0, start_ns: 1000}", "w.yaml");
  auto src = make_workload(node(c), 48, 1);
  const auto v = drain(*src);
  REQUIRE(v.size() == 9);
  CHECK(v[0].time == 1000000);
  CHECK(v[3].time == 1000000 + 67200);
  CHECK(v[6].time == 1000000 + 2 * 67200);
  Config big = Config::from_string("w: {kind: nic, packets: 2, packet_size: 1500, line_rate_gbps: 10, "
                                   "moderation_packets: 0}", "w.yaml");
  const auto w = drain(*make_workload(node(big), 48, 1));
  CHECK(w[3].time == 1216000);
  Config both = Config::from_string("w: {kind: nic, line_rate_gbps: 10, interval_ns: 100}", "w.yaml");
  CHECK_THROWS_WITH(make_workload(node(both), 48, 1),
                    Catch::Contains("w.line_rate_gbps: give line_rate_gbps or interval_ns, not both"));
}

TEST_CASE("workloads: an NVMe command reads its SQ entry and PRP list, moves data, writes its CQ entry",
          "[unit][workloads]") {
  Config c = Config::from_string(
      "w: {kind: nvme, sq_base: 0x10000, cq_base: 0x20000, prp_base: 0x30000, data_base: 0x100000, queue_depth: 2, "
      "io_size: 16384, read_fraction: 1.0, commands: 3, completions_per_msi: 2}",
      "w.yaml");
  auto src = make_workload(node(c), 48, 3);
  const auto v = drain(*src);
  // 16 KiB = 4 pages: a PRP list of 3 entries (24 bytes). Read commands: the
  // device writes host memory. One MSI after the second completion.
  REQUIRE(v.size() == 3 * 4 + 1);
  CHECK((!v[0].write && v[0].addr == 0x10000 && v[0].size == 64));
  CHECK((!v[1].write && v[1].addr == 0x30000 && v[1].size == 24));
  CHECK((v[2].write && v[2].addr == 0x100000 && v[2].size == 16384));
  CHECK((v[3].write && v[3].addr == 0x20000 && v[3].size == 16));
  CHECK((v[4].addr == 0x10040 && v[5].addr == 0x31000 && v[6].addr == 0x104000 && v[7].addr == 0x20010));
  CHECK(v[8].msi);
  CHECK((v[9].addr == 0x10000 && v[11].addr == 0x100000));  // slot 0 again
}

TEST_CASE("workloads: size distributions draw by weight and generators are deterministic", "[unit][workloads]") {
  const SizeDistribution imix = SizeDistribution::imix();
  std::map<std::uint64_t, int> counts;
  for (std::uint64_t r = 0; r < 12; ++r) ++counts[imix.draw(r)];
  CHECK(counts == std::map<std::uint64_t, int>{{64, 7}, {576, 4}, {1500, 1}});
  Config c = Config::from_string("w: {kind: nic, packet_size: {histogram: [\"64:1\", \"1500:3\"]}, packets: 200}",
                                 "w.yaml");
  ConfigNode n = node(c);
  const NicParams p = NicParams::from_config(n, 48);
  CHECK(p.packet_size.bins() == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{64, 1}, {1500, 3}});
  NicSource a(p, 42), b(p, 42), d(p, 43);
  const auto va = drain(a), vb = drain(b), vd = drain(d);
  std::size_t same = 0;
  for (std::size_t i = 0; i < va.size(); ++i) {
    CHECK(va[i].size == vb[i].size);
    same += va[i].size == vd[i].size;
  }
  CHECK(same < va.size());  // another seed, another sequence
}

TEST_CASE("workloads: a recording source keeps each request as a trace record", "[unit][workloads]") {
  Config c = Config::from_string("w: {kind: nic, packets: 2, moderation_packets: 1}", "w.yaml");
  std::vector<TraceRecord> rec;
  RecordingSource src(make_workload(node(c), 48, 1), Bdf{0, 3, 0, 0}, &rec);
  const auto v = drain(src);
  REQUIRE(rec.size() == v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    CHECK(rec[i].source == (Bdf{0, 3, 0, 0}));
    CHECK(rec[i].addr == v[i].addr);
    CHECK(rec[i].size == v[i].size);
    CHECK(rec[i].op == (v[i].msi ? TraceOp::Msi : v[i].write ? TraceOp::DmaW : TraceOp::DmaR));
  }
  CHECK(rec[3].data == 0x40);
}

TEST_CASE("workloads: bad workload configurations are clear errors", "[unit][workloads]") {
  auto err = [](const std::string& yaml) {
    Config c = Config::from_string(yaml, "w.yaml");
    try {
      make_workload(node(c), 48, 1);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(err("w: {kind: nic, packet_size: 4000}") ==
        "w.yaml:1: w.packet_size: packets of up to 4000 bytes do not fit buffers of 2048 bytes (buffer_bytes)");
  CHECK(err("w: {kind: nic, mapping: per_buffer}") ==
        "w.yaml:1: w.mapping: expected one of pool, per_packet, got 'per_buffer'");
  CHECK(err("w: {kind: nvme, io_size: {histogram: [\"4096\"]}}") ==
        "w.yaml:1: w.io_size.histogram: element 0: expected \"SIZE:WEIGHT\" with 1 <= SIZE <= 2097152 and WEIGHT >= "
        "1, got '4096'");
  CHECK(err("w: {kind: disk}") == "w.yaml:1: w.kind: expected one of window, stream, nic, nvme, pcie_bench, got 'disk'");
  CHECK(err("w: {kind: nic, msi: {addr: 0xfee00002}}") ==
        "w.yaml:1: w.msi.addr: expected a 4-byte aligned address, got 0xfee00002");
}
