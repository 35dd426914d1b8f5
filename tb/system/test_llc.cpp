// The host LLC's SystemC shell (mem/llc.h) through its sockets: latencies of
// hits, misses, DDIO writes and writebacks in front of a fake memory with a
// fixed latency; then whole platforms with and without platform.llc.
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/config.h"
#include "common/error.h"
#include "common/sc_time_conv.h"
#include "common/stats.h"
#include "mem/llc.h"
#include "mem/memory_controller.h"
#include "mem/memory_outcome.h"
#include "system_util.h"

using namespace iommusim;
using namespace iommusim::test;

namespace {

constexpr Tick kMemLatency = 50'000;  // the fake memory: 50 ns per request

// Memory of `size` bytes at 0 with a fixed latency; records every timed request.
struct FakeMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<FakeMemory> sock{"sock"};
  std::vector<unsigned char> bytes;
  struct Seen {
    Tick at;
    Addr addr;
    unsigned size;
    bool write;
    bool operator==(const Seen& o) const {
      return at == o.at && addr == o.addr && size == o.size && write == o.write;
    }
  };
  std::vector<Seen> seen;
  FakeMemory(sc_core::sc_module_name n, std::size_t size) : sc_module(n), bytes(size) {
    sock.register_b_transport(this, &FakeMemory::bt);
    sock.register_transport_dbg(this, &FakeMemory::dbg);
  }
  bool move(tlm::tlm_generic_payload& t) {
    const Addr a = t.get_address();
    const unsigned len = t.get_data_length();
    if (a + len > bytes.size() || len == 0) {
      t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return false;
    }
    if (t.is_read()) std::memcpy(t.get_data_ptr(), &bytes[a], len);
    if (t.is_write()) std::memcpy(&bytes[a], t.get_data_ptr(), len);
    t.set_response_status(tlm::TLM_OK_RESPONSE);
    return true;
  }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    if (!move(t)) return;
    seen.push_back({now_tick() + to_tick(d), t.get_address(), t.get_data_length(), t.is_write()});
    d += to_sc_time(kMemLatency);
  }
  unsigned dbg(tlm::tlm_generic_payload& t) { return move(t) ? t.get_data_length() : 0; }
};

// Issues requests at given times on one of the LLC's sockets; records the end times.
struct Requester : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Requester> sock{"sock"};
  struct Req {
    Tick at;
    Addr addr;
    unsigned size;
    bool write;
  };
  std::vector<Req> reqs;
  std::vector<Tick> done;
  std::vector<tlm::tlm_response_status> status;
  std::vector<MemoryOutcome> outcomes;
  std::vector<std::vector<unsigned char>> data;  // what each read returned
  SC_HAS_PROCESS(Requester);
  explicit Requester(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  void run() {
    for (const Req& r : reqs) {
      if (r.at > now_tick()) wait(to_sc_time(r.at - now_tick()));
      std::vector<unsigned char> buf(r.size, static_cast<unsigned char>(r.write ? 0xa0 + done.size() : 0));
      tlm::tlm_generic_payload t;
      MemoryOutcome out;
      t.set_extension(&out);
      t.set_command(r.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      t.set_address(r.addr);
      t.set_data_ptr(buf.data());
      t.set_data_length(r.size);
      t.set_streaming_width(r.size);
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      sock->b_transport(t, d);
      t.clear_extension(&out);
      done.push_back(now_tick() + to_tick(d));
      status.push_back(t.get_response_status());
      outcomes.push_back(out);
      data.push_back(buf);
    }
  }
};

LlcParams small_llc(unsigned ddio_ways) {
  LlcParams p;
  p.geometry.size_bytes = 1024;  // 4 sets x 4 ways x 64 B
  p.geometry.ways = 4;
  p.geometry.line_bytes = 64;
  p.geometry.ddio_ways = ddio_ways;
  p.hit_latency_ps = 20'000;
  p.miss_latency_ps = 10'000;
  return p;
}

std::uint64_t count(StatsRegistry& s, const char* name) {
  const Stat* st = s.find(name);
  REQUIRE(st != nullptr);
  return static_cast<const Counter*>(st)->value();
}

}  // namespace

TEST_CASE("llc: I/O reads, DDIO writes, writebacks and CPU fills are timed by the rules", "[system][mem][llc]") {
  StatsRegistry stats;
  FakeMemory mem("mem", 1 << 16);
  HostCache llc("llc", small_llc(2), 0, 1 << 16, stats);
  Requester dma("dma"), host("host");
  llc.to_memory.bind(mem.sock);
  dma.sock.bind(llc.io);
  host.sock.bind(llc.cpu);
  constexpr Tick us = 1'000'000;
  dma.reqs = {
      {0, 0x0, 64, false},         // 0: miss: memory at +10 ns, done +60 ns; not allocated
      {1 * us, 0x0, 64, false},    // 1: miss again
      {2 * us, 0x0, 64, true},     // 2: DDIO allocation (set 0, way 0): done +20 ns, no memory request
      {3 * us, 0x0, 64, false},    // 3: hit: +20 ns, the written bytes
      {4 * us, 0x0, 256, false},   // 4: 0x0 hits, 0x40..0xff miss: one 192 B memory read at +10 ns
      {5 * us, 0x100, 64, true},   // 5: set 0, way 1
      {6 * us, 0x200, 64, true},   // 6: evicts 0x0 (LRU of the DDIO ways, dirty): writeback at +10 ns
      {7 * us, 0x10000, 64, false},  // 7: outside memory: the memory's error, no line
  };
  host.reqs = {
      {10 * us, 0x40, 8, false},  // CPU read miss: fill at +10 ns, done +60 ns
      {11 * us, 0x40, 8, false},  // hit: +20 ns
      {12 * us, 0x80, 8, true},   // CPU write miss: write-allocate fill read, done +60 ns
  };
  sc_core::sc_start();
  REQUIRE(dma.done.size() == 8);
  CHECK(dma.done[0] == 60'000);
  CHECK(dma.done[1] == 1 * us + 60'000);
  CHECK(dma.done[2] == 2 * us + 20'000);
  CHECK(dma.done[3] == 3 * us + 20'000);
  CHECK(dma.data[3] == std::vector<unsigned char>(64, 0xa2));  // request 2's bytes
  CHECK(dma.done[4] == 4 * us + 60'000);
  CHECK(dma.done[5] == 5 * us + 20'000);
  CHECK(dma.done[6] == 6 * us + 20'000);
  CHECK(dma.status[7] == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  for (int i = 0; i < 7; ++i) {
    INFO("request " << i);
    CHECK(dma.status[i] == tlm::TLM_OK_RESPONSE);
    CHECK(dma.outcomes[i].reached);
    CHECK(dma.outcomes[i].addr == dma.reqs[i].addr);
    CHECK(dma.outcomes[i].accepted == dma.reqs[i].at);
  }
  REQUIRE(host.done.size() == 3);
  CHECK(host.done[0] == 10 * us + 60'000);
  CHECK(host.done[1] == 11 * us + 20'000);
  CHECK(host.done[2] == 12 * us + 60'000);

  using S = FakeMemory::Seen;
  CHECK(mem.seen == std::vector<S>{
                        {10'000, 0x0, 64, false},
                        {1 * us + 10'000, 0x0, 64, false},
                        {4 * us + 10'000, 0x40, 192, false},
                        {6 * us + 10'000, 0x0, 64, true},  // the writeback
                        {10 * us + 10'000, 0x40, 8, false},
                        {12 * us + 10'000, 0x80, 8, false},
                    });
  CHECK(std::vector<unsigned char>(mem.bytes.begin(), mem.bytes.begin() + 64) ==
        std::vector<unsigned char>(64, 0xa2));  // the bytes are in memory's store
  CHECK(count(stats, "llc.io_read_hits") == 2);    // requests 3 and 4's first line
  CHECK(count(stats, "llc.io_read_misses") == 5);  // 0, 1, and 4's three lines
  CHECK(count(stats, "llc.io_write_misses") == 3);
  CHECK(count(stats, "llc.io_write_hits") == 0);
  CHECK(count(stats, "llc.ddio_allocations") == 3);
  CHECK(count(stats, "llc.evictions") == 1);
  CHECK(count(stats, "llc.writebacks") == 1);
  CHECK(count(stats, "llc.cpu_read_misses") == 1);
  CHECK(count(stats, "llc.cpu_read_hits") == 1);
  CHECK(count(stats, "llc.cpu_write_misses") == 1);
  CHECK(llc.cache().dirty(0x80));
}

TEST_CASE("llc: without DDIO ways a DMA write goes to memory and drops the cached copy", "[system][mem][llc]") {
  StatsRegistry stats;
  FakeMemory mem("mem", 1 << 16);
  HostCache llc("llc", small_llc(0), 0, 1 << 16, stats);
  Requester dma("dma"), host("host");
  llc.to_memory.bind(mem.sock);
  dma.sock.bind(llc.io);
  host.sock.bind(llc.cpu);
  host.reqs = {{0, 0x40, 8, true}};  // a dirty CPU line (fill at 10 ns)
  dma.reqs = {
      {1'000'000, 0x40, 64, true},  // writeback of the dirty copy, then the write, both at +10 ns
      {2'000'000, 0x40, 64, false},  // a miss now
  };
  sc_core::sc_start();
  REQUIRE(dma.done.size() == 2);
  CHECK(dma.done[0] == 1'000'000 + 60'000);
  CHECK(dma.done[1] == 2'000'000 + 60'000);
  CHECK(dma.data[1] == std::vector<unsigned char>(64, 0xa0));
  using S = FakeMemory::Seen;
  CHECK(mem.seen == std::vector<S>{
                        {10'000, 0x40, 8, false},
                        {1'010'000, 0x40, 64, true},  // the write itself
                        {1'010'000, 0x40, 64, true},  // the dirty copy's writeback
                        {2'010'000, 0x40, 64, false},
                    });
  CHECK(count(stats, "llc.io_write_hits") == 1);
  CHECK(count(stats, "llc.ddio_allocations") == 0);
  CHECK(count(stats, "llc.writebacks") == 1);
  CHECK_FALSE(llc.cache().contains(0x40));
}

TEST_CASE("llc: prepare sets a benchmark's cache state before the run", "[system][mem][llc]") {
  StatsRegistry stats;
  FakeMemory mem("mem", 1 << 16);
  HostCache llc("llc", small_llc(2), 0, 1 << 16, stats);
  Requester dma("dma");
  llc.to_memory.bind(mem.sock);
  dma.sock.bind(llc.io);
  llc.prepare({CacheState::HostWarm, 0x1000, 0x100});
  dma.reqs = {{0, 0x1000, 64, false}, {1'000'000, 0x1100, 64, false}};
  sc_core::sc_start();
  REQUIRE(dma.done.size() == 2);
  CHECK(dma.done[0] == 20'000);              // HWarm: a hit
  CHECK(dma.done[1] == 1'000'000 + 60'000);  // outside the range: a miss
}

TEST_CASE("llc: platform.llc keys are checked and named in errors", "[system][llc]") {
  auto params = [](const std::string& yaml) {
    Config cfg = Config::from_string(yaml, "c.yaml");
    return LlcParams::from_config(cfg.root().child("llc"));
  };
  const LlcParams p = params("llc: {size: 15MiB, ways: 20, ddio_ways: 2, hit_latency_ns: 18.5, index: xor_fold}");
  CHECK(p.geometry.size_bytes == 15ull << 20);
  CHECK(p.hit_latency_ps == 18'500);
  CHECK(p.miss_latency_ps == 10'000);
  CHECK(p.geometry.index == LlcGeometry::Index::XorFold);
  CHECK_THROWS_WITH(params("llc: {size: 2000}"), Catch::Contains("llc: size: expected a multiple of ways"));
  CHECK_THROWS_WITH(params("llc: {ways: 4, ddio_ways: 5, size: 4KiB}"),
                    Catch::Contains("llc: ddio_ways: expected <= ways (4), got 5"));
  CHECK_THROWS_WITH(params("llc: {index: crc}"), Catch::Contains("llc.index"));
}

TEST_CASE("llc: a platform with an LLC serves DMA reads of lines DMA wrote from the cache", "[system][llc]") {
  const std::string dir = temp_dir();
  // Translation is off after reset: DMA goes straight to memory. Banks: 0x10000
  // is bank 4, 0x20000 bank 8 (RoRaBaCoCh), both closed at first.
  write_file(dir + "/t.trace", R"(iommusim-trace 1
0     00:03.0 dma_w addr=0x10000 size=64
1000  00:03.0 dma_r addr=0x10000 size=64
2000  00:03.0 dma_r addr=0x20000 size=64
3000  host    mem_r addr=0x30000 size=8
)");
  const std::string endpoint = "platform:\n  endpoints: [{name: nic0, bdf: \"00:03.0\"}]\n";
  write_file(dir + "/plain.yaml", endpoint);
  write_file(dir + "/llc.yaml", endpoint + "  llc: {size: 1MiB, ways: 16, ddio_ways: 2, hit_latency_ns: 5, "
                                           "miss_latency_ns: 10}\n");
  auto plain = run_cli("run " + dir + "/plain.yaml --trace " + dir + "/t.trace --txn-log " + dir + "/a.csv --out " +
                       dir + "/a");
  REQUIRE(plain.status == 0);
  auto cached = run_cli("run " + dir + "/llc.yaml --trace " + dir + "/t.trace --txn-log " + dir + "/b.csv --out " +
                        dir + "/b");
  INFO(cached.err);
  REQUIRE(cached.status == 0);
  // done_ns - issue_ns per record, by seq.
  auto latencies = [](const std::string& csv) {
    std::map<int, double> out;
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string seq, issue, done;
      std::getline(f, seq, ',');
      std::getline(f, issue, ',');
      std::getline(f, done, ',');
      out[std::stoi(seq)] = std::stod(done) - std::stod(issue);
    }
    return out;
  };
  auto a = latencies(slurp(dir + "/a.csv"));
  auto b = latencies(slurp(dir + "/b.csv"));
  REQUIRE(a.size() == 4);
  REQUIRE(b.size() == 4);
  // The DMA write: DRAM closed bank (tRCD + tCWL + tBURST = 26.25 ns) without
  // the LLC, a 5 ns DDIO allocation with it.
  CHECK(b[0] == Approx(a[0] - 26.25 + 5).margin(1e-6));
  // The read of the line DMA wrote: DRAM row hit (tCL + tBURST = 16.25 ns)
  // without the LLC, a 5 ns hit with it.
  CHECK(b[1] == Approx(a[1] - 16.25 + 5).margin(1e-6));
  // A line nobody wrote: the same DRAM access (closed bank), plus the miss path.
  CHECK(b[2] == Approx(a[2] + 10).margin(1e-6));
  // The host's read misses too: fill through the miss path.
  CHECK(b[3] == Approx(a[3] + 10).margin(1e-6));
  auto sa = nlohmann::json::parse(slurp(dir + "/a/stats.json"))["stats"];
  auto sb = nlohmann::json::parse(slurp(dir + "/b/stats.json"))["stats"];
  CHECK(sa.find("system.llc.io_read_hits") == sa.end());  // no LLC, no statistics of one
  CHECK(sa["system.mem0.writes"] == 1);
  CHECK(sb["system.mem0.writes"] == 0);  // the DMA write stayed in the LLC (DDIO)
  CHECK(sb["system.llc.io_read_hits"] == 1);
  CHECK(sb["system.llc.io_read_misses"] == 1);
  CHECK(sb["system.llc.ddio_allocations"] == 1);
  CHECK(sb["system.llc.cpu_read_misses"] == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("memory controller: refresh keys, and its statistics only with refresh on", "[system][mem][refresh]") {
  Config bad = Config::from_string("memory: {dram: {tRFC_ns: 350}}", "c.yaml");
  CHECK_THROWS_WITH(MemoryParams::from_config(bad.root().child("memory")),
                    Catch::Contains("memory.dram: tRFC_ns: expected 0 when tREFI_ns is 0 (refresh off), got 350"));
  Config off = Config::from_string("memory: {}", "c.yaml");
  const MemoryParams p_off = MemoryParams::from_config(off.root().child("memory"));
  CHECK(p_off.dram.tREFI_ps == 0);
  CHECK(p_off.dram.tRFC_ps == 0);
  Config on = Config::from_string("memory: {dram: {tREFI_ns: 7800, tRFC_ns: 350}}", "c.yaml");
  const MemoryParams p_on = MemoryParams::from_config(on.root().child("memory"));
  CHECK(p_on.dram.tREFI_ps == 7'800'000);
  CHECK(p_on.dram.tRFC_ps == 350'000);

  StatsRegistry stats;
  MemoryController plain("plain", p_off, stats);
  MemoryController mem("mem0", p_on, stats);
  CHECK(stats.find("plain.refresh_waits") == nullptr);
  Requester rd("rd"), idle("idle");
  rd.sock.bind(mem.tsock);
  idle.sock.bind(plain.tsock);
  rd.reqs = {{7'900'000, 0x0, 64, false}};  // 100 ns into the first refresh
  sc_core::sc_start();
  REQUIRE(rd.done.size() == 1);
  CHECK(rd.done[0] == 8'150'000 + 48 * 625);  // refresh end + tRCD + tCL + tBURST
  CHECK(rd.outcomes[0].accepted == 7'900'000);
  CHECK(count(stats, "mem0.refresh_waits") == 1);
  CHECK(count(stats, "mem0.refresh_closes") == 0);
}

TEST_CASE("llc: a pcie_bench workload's cache state is set up before the run, and needs an LLC", "[system][llc]") {
  const std::string dir = temp_dir();
  // 1000 one-outstanding 64 B reads in a 16 KiB window (256 lines): HWarm puts
  // every line in the LLC, so every read hits; Cold leaves them all out.
  const std::string plat = "platform:\n  endpoints: [{name: nic0, bdf: \"00:03.0\"}]\n";
  const std::string llc = "  llc: {size: 1MiB, ways: 16, ddio_ways: 2, hit_latency_ns: 5, miss_latency_ns: 10}\n";
  auto workload = [](const std::string& cache) {
    return "workloads:\n  - {device: nic0, kind: pcie_bench, test: LAT_DMA_RD, window: 16KiB, count: 1000, cache: " +
           cache + "}\n";
  };
  write_file(dir + "/hwarm.yaml", plat + llc + workload("HWarm"));
  write_file(dir + "/cold.yaml", plat + llc + workload("Cold"));
  write_file(dir + "/nollc.yaml", plat + workload("HWarm"));
  write_file(dir + "/nollc-cold.yaml", plat + workload("Cold"));
  auto hw = run_cli("run " + dir + "/hwarm.yaml --out " + dir + "/hw");
  INFO(hw.err);
  REQUIRE(hw.status == 0);
  auto cold = run_cli("run " + dir + "/cold.yaml --out " + dir + "/cold");
  REQUIRE(cold.status == 0);
  auto sh = nlohmann::json::parse(slurp(dir + "/hw/stats.json"))["stats"];
  auto sc = nlohmann::json::parse(slurp(dir + "/cold/stats.json"))["stats"];
  CHECK(sh["system.llc.io_read_hits"] == 1000);
  CHECK(sh["system.llc.io_read_misses"] == 0);
  CHECK(sc["system.llc.io_read_hits"] == 0);
  CHECK(sc["system.llc.io_read_misses"] == 1000);
  // Without a host cache, a warm state cannot be set up: an error naming the key.
  auto bad = run_cli("run " + dir + "/nollc.yaml --out " + dir + "/bad");
  CHECK(bad.status != 0);
  CHECK_THAT(bad.err, Catch::Contains("workloads[0].cache") && Catch::Contains("HWarm needs a host cache model"));
  // Cold needs nothing.
  CHECK(run_cli("run " + dir + "/nollc-cold.yaml --out " + dir + "/ok").status == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("memory controller: page_policy adaptive and its idle time", "[system][mem]") {
  auto params = [](const std::string& yaml) {
    Config cfg = Config::from_string(yaml, "c.yaml");
    return MemoryParams::from_config(cfg.root().child("memory"));
  };
  const MemoryParams a = params("memory: {dram: {page_policy: adaptive}}");
  CHECK(a.dram.page_policy == DramParams::PagePolicy::Adaptive);
  CHECK(a.dram.page_idle_ps == 20'000);
  CHECK(params("memory: {dram: {page_policy: adaptive, page_idle_ns: 7.5}}").dram.page_idle_ps == 7'500);
  CHECK(params("memory: {dram: {}}").dram.page_idle_ps == 0);
  CHECK_THROWS_WITH(params("memory: {dram: {page_idle_ns: 10}}"),
                    Catch::Contains("memory.dram.page_idle_ns: only the adaptive page_policy closes idle rows"));
  CHECK_THROWS_WITH(params("memory: {dram: {page_policy: lazy}}"), Catch::Contains("memory.dram.page_policy"));
}
