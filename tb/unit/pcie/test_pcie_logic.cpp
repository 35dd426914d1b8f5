// Unit tests for the plain-C++ PCIe logic: TLP splitting (tlp_split.h), the
// outstanding-tag pool (common/slot_pool.h) and DMA sources (dma_source.h).
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "pcie/dma_source.h"
#include "common/slot_pool.h"
#include "pcie/tlp_split.h"
#include "trace/trace_record.h"

using namespace iommusim;

namespace {

using Chunks = std::vector<std::pair<Addr, std::uint32_t>>;

Chunks as_pairs(const std::vector<TlpChunk>& v) {
  Chunks out;
  for (const auto& c : v) out.emplace_back(c.addr, c.size);
  return out;
}

std::vector<DmaRequest> drain(DmaSource& s, std::size_t limit = 1000000) {
  std::vector<DmaRequest> out;
  DmaRequest r;
  while (out.size() < limit && s.next(r)) out.push_back(r);
  return out;
}

GeneratorParams seq_params() {
  GeneratorParams p;
  p.pattern = GeneratorParams::Pattern::Sequential;
  p.write = true;
  p.size = 64;
  p.base = 0x1000;
  p.window = 256;
  p.count = 10;
  p.start_ps = 1000;
  p.interval_ps = 500;
  return p;
}

GeneratorParams rand_params() {
  GeneratorParams p;
  p.pattern = GeneratorParams::Pattern::Random;
  p.write = false;
  p.size = 128;
  p.base = 0x4000'0000;
  p.window = 64 * 1024;
  p.count = 500;
  p.start_ps = 0;
  p.interval_ps = 2000;
  return p;
}

}  // namespace

// ------------------------------------------------------------------ split_request

TEST_CASE("pcie: split_request size below max is one chunk", "[unit][pcie]") {
  CHECK(as_pairs(split_request(0x1000, 64, 128)) == Chunks{{0x1000, 64}});
  CHECK(as_pairs(split_request(0x1234, 1, 128)) == Chunks{{0x1234, 1}});
  CHECK(as_pairs(split_request(0xabc0, 20, 512)) == Chunks{{0xabc0, 20}});
}

TEST_CASE("pcie: split_request size equal to max is one chunk", "[unit][pcie]") {
  CHECK(as_pairs(split_request(0x1000, 128, 128)) == Chunks{{0x1000, 128}});
  CHECK(as_pairs(split_request(0x0, 4096, 4096)) == Chunks{{0x0, 4096}});
  // Ending exactly at a 4 KiB boundary does not cross it.
  CHECK(as_pairs(split_request(0xf80, 128, 128)) == Chunks{{0xf80, 128}});
}

TEST_CASE("pcie: split_request one byte over max is two chunks", "[unit][pcie]") {
  CHECK(as_pairs(split_request(0x1000, 129, 128)) == Chunks{{0x1000, 128}, {0x1080, 1}});
}

TEST_CASE("pcie: split_request splits at a 4 KiB boundary", "[unit][pcie]") {
  // Below max, but crossing the boundary at 0x1000.
  CHECK(as_pairs(split_request(0xfc0, 128, 256)) == Chunks{{0xfc0, 64}, {0x1000, 64}});
  // One byte before the boundary.
  CHECK(as_pairs(split_request(0x2fff, 2, 512)) == Chunks{{0x2fff, 1}, {0x3000, 1}});
  // max larger than 4 KiB: still split at every boundary.
  CHECK(as_pairs(split_request(0x800, 4096, 4096)) == Chunks{{0x800, 0x800}, {0x1000, 0x800}});
  CHECK(as_pairs(split_request(0x0, 8192, 8192)) == Chunks{{0x0, 4096}, {0x1000, 4096}});
  // High addresses.
  CHECK(as_pairs(split_request(0xffff'ffff'ffff'ef00ull, 0x200, 0x1000)) ==
        Chunks{{0xffff'ffff'ffff'ef00ull, 0x100}, {0xffff'ffff'ffff'f000ull, 0x100}});
}

TEST_CASE("pcie: split_request MRRS 512 read of 2048 B at 0x1f80", "[unit][pcie]") {
  CHECK(as_pairs(split_request(0x1f80, 2048, 512)) ==
        Chunks{{0x1f80, 128}, {0x2000, 512}, {0x2200, 512}, {0x2400, 512}, {0x2600, 384}});
}

TEST_CASE("pcie: split_request 4 KiB write with MPS 128 gives 32 chunks", "[unit][pcie]") {
  auto chunks = split_request(0x10000, 4096, 128);
  REQUIRE(chunks.size() == 32);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    CHECK(chunks[i].addr == 0x10000 + i * 128);
    CHECK(chunks[i].size == 128);
  }
  // Unaligned start: 33 chunks, first and last partial.
  auto u = split_request(0x10040, 4096, 128);
  REQUIRE(u.size() == 33);
  CHECK(u.front().addr == 0x10040);
  CHECK(u.front().size == 128);
  CHECK(u[31].addr == 0x10040 + 31 * 128);
  CHECK(u[31].size == 64);  // ends at the 4 KiB boundary 0x11000
  CHECK(u[32].addr == 0x11000);
  CHECK(u[32].size == 64);
}

TEST_CASE("pcie: TlpSplitter gives split_request's chunks one at a time", "[unit][pcie]") {
  TlpSplitter s(0x1f80, 2048, 512);
  Chunks got;
  for (TlpChunk c; s.next(c);) got.emplace_back(c.addr, c.size);
  CHECK(got == Chunks{{0x1f80, 128}, {0x2000, 512}, {0x2200, 512}, {0x2400, 512}, {0x2600, 384}});
  TlpChunk c{7, 7};
  CHECK_FALSE(s.next(c));  // stays done
  CHECK_FALSE(TlpSplitter(0x1000, 0, 128).next(c));  // nothing to send (an ATS-only request)
  CHECK(c.addr == 7);
  CHECK(c.size == 7);
}

TEST_CASE("pcie: split_request random property test", "[unit][pcie]") {
  std::mt19937_64 rng(1);
  const std::uint32_t maxes[] = {1, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 100, 3000};
  for (int iter = 0; iter < 2000; ++iter) {
    const Addr addr = rng() & 0x0000'ffff'ffff'ffffull;
    const std::uint64_t size = 1 + rng() % 16384;
    const std::uint32_t max = maxes[rng() % (sizeof(maxes) / sizeof(maxes[0]))];
    const auto chunks = split_request(addr, size, max);
    INFO("addr=" << addr << " size=" << size << " max=" << max);
    REQUIRE_FALSE(chunks.empty());
    REQUIRE(chunks.front().addr == addr);
    Addr next = addr;
    std::uint64_t total = 0;
    bool ok = true;
    for (const auto& c : chunks) {
      ok = ok && c.addr == next;                                  // contiguous
      ok = ok && c.size >= 1 && c.size <= max;                    // within the limit
      ok = ok && (c.addr >> 12) == ((c.addr + c.size - 1) >> 12); // no 4 KiB crossing
      next = c.addr + c.size;
      total += c.size;
    }
    REQUIRE(ok);
    REQUIRE(total == size);  // covers exactly [addr, addr + size)
    REQUIRE(next == addr + size);
    // Each chunk is as large as the limits allow: only the last may be short of
    // both max and the boundary.
    bool greedy = true;
    for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
      const auto& c = chunks[i];
      const std::uint64_t to_boundary = 4096 - (c.addr & 4095);
      greedy = greedy && c.size == std::min<std::uint64_t>(max, to_boundary);
    }
    REQUIRE(greedy);
  }
}

// ------------------------------------------------------------------ SlotPool

TEST_CASE("pcie: SlotPool free tags are granted at the asking time", "[unit][pcie]") {
  SlotPool pool(2);
  CHECK(pool.capacity() == 2);
  CHECK(pool.in_use() == 0);
  CHECK(pool.acquire(0) == 0);
  pool.occupy_until(100);
  CHECK(pool.in_use() == 1);
  CHECK(pool.acquire(0) == 0);
  pool.occupy_until(50);
  CHECK(pool.in_use() == 2);
}

TEST_CASE("pcie: SlotPool full pool waits for the earliest completion", "[unit][pcie]") {
  SlotPool pool(2);
  CHECK(pool.acquire(0) == 0);
  pool.occupy_until(100);
  CHECK(pool.acquire(0) == 0);
  pool.occupy_until(50);
  // Busy until {50, 100}: the third request waits for 50.
  CHECK(pool.acquire(10) == 50);
  CHECK(pool.in_use() == 1);
  pool.occupy_until(120);  // busy {100, 120}
  CHECK(pool.in_use() == 2);
  // The fourth waits for 100.
  CHECK(pool.acquire(10) == 100);
  pool.occupy_until(200);  // busy {120, 200}
  // Asking after the earliest completion: granted at the asking time.
  CHECK(pool.acquire(300) == 300);
  pool.occupy_until(310);  // busy {200, 310}
  // Asking exactly at a completion time.
  CHECK(pool.acquire(200) == 200);
  pool.occupy_until(400);  // busy {310, 400}
  CHECK(pool.acquire(0) == 310);
  pool.occupy_until(305);  // completion earlier than another outstanding one: busy {305, 400}
  CHECK(pool.acquire(0) == 305);
  pool.occupy_until(1000);  // busy {400, 1000}
  CHECK(pool.acquire(0) == 400);
  pool.occupy_until(401);  // busy {401, 1000}
  CHECK(pool.acquire(0) == 401);
  CHECK(pool.in_use() == 1);
}

TEST_CASE("pcie: SlotPool single tag serialises requests", "[unit][pcie]") {
  SlotPool pool(1);
  Tick t = 0;
  std::vector<Tick> issued;
  for (int i = 0; i < 5; ++i) {
    t = pool.acquire(t);
    issued.push_back(t);
    pool.occupy_until(t + 30);
  }
  CHECK(issued == std::vector<Tick>{0, 30, 60, 90, 120});
}

TEST_CASE("pcie: SlotPool issue times of a stream with capacity 4", "[unit][pcie]") {
  // Requests wanted every 10 ps, each outstanding 100 ps, 4 tags: the first 4
  // go at once, then each waits for the completion 4 earlier.
  SlotPool pool(4);
  std::vector<Tick> issued;
  for (Tick i = 0; i < 10; ++i) {
    const Tick t = pool.acquire(i * 10);
    issued.push_back(t);
    pool.occupy_until(t + 100);
  }
  CHECK(issued == std::vector<Tick>{0, 10, 20, 30, 100, 110, 120, 130, 200, 210});
  CHECK(pool.in_use() == 4);
}

// ------------------------------------------------------------------ GeneratorSource

TEST_CASE("pcie: GeneratorSource sequential addresses wrap at the window", "[unit][pcie]") {
  GeneratorSource src(seq_params(), 1);
  auto reqs = drain(src);
  REQUIRE(reqs.size() == 10);
  const Addr expected[] = {0x1000, 0x1040, 0x1080, 0x10c0, 0x1000, 0x1040, 0x1080, 0x10c0, 0x1000, 0x1040};
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    INFO("i=" << i);
    CHECK(reqs[i].seq == i);
    CHECK(reqs[i].addr == expected[i]);
    CHECK(reqs[i].size == 64);
    CHECK(reqs[i].write);
    CHECK(reqs[i].time == 1000 + i * 500);
    CHECK_FALSE(reqs[i].from_trace);
    CHECK_FALSE(reqs[i].has_pasid);
    CHECK_FALSE(reqs[i].translated);
  }
  // Exhausted for good.
  DmaRequest r;
  CHECK_FALSE(src.next(r));
  CHECK_FALSE(src.next(r));
}

TEST_CASE("pcie: GeneratorSource sequential window not a multiple of size", "[unit][pcie]") {
  GeneratorParams p = seq_params();
  p.window = 200;  // 3 whole slots
  p.count = 7;
  p.interval_ps = 0;
  p.start_ps = 0;
  GeneratorSource src(p, 99);
  auto reqs = drain(src);
  REQUIRE(reqs.size() == 7);
  std::vector<Addr> addrs;
  for (const auto& r : reqs) {
    addrs.push_back(r.addr);
    CHECK(r.time == 0);
  }
  CHECK(addrs == std::vector<Addr>{0x1000, 0x1040, 0x1080, 0x1000, 0x1040, 0x1080, 0x1000});
  // Sequential does not depend on the seed.
  GeneratorSource other(p, 12345);
  auto reqs2 = drain(other);
  REQUIRE(reqs2.size() == 7);
  for (std::size_t i = 0; i < 7; ++i) CHECK(reqs2[i].addr == addrs[i]);
}

TEST_CASE("pcie: GeneratorSource random addresses are size-aligned inside the window", "[unit][pcie]") {
  const GeneratorParams p = rand_params();
  GeneratorSource src(p, 7);
  auto reqs = drain(src);
  REQUIRE(reqs.size() == 500);
  std::set<Addr> distinct;
  bool ok = true;
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const auto& r = reqs[i];
    ok = ok && r.addr >= p.base && r.addr + r.size <= p.base + p.window;
    ok = ok && (r.addr - p.base) % p.size == 0;
    ok = ok && r.size == 128 && !r.write && r.seq == i && r.time == i * 2000;
    distinct.insert(r.addr);
  }
  CHECK(ok);
  // 512 slots, 500 draws: the stream is not degenerate.
  CHECK(distinct.size() > 250);
}

TEST_CASE("pcie: GeneratorSource random is deterministic per seed", "[unit][pcie]") {
  const GeneratorParams p = rand_params();
  GeneratorSource a(p, 42), b(p, 42), c(p, 43);
  auto ra = drain(a), rb = drain(b), rc = drain(c);
  REQUIRE(ra.size() == 500);
  REQUIRE(rb.size() == 500);
  REQUIRE(rc.size() == 500);
  std::vector<Addr> aa, ab, ac;
  for (std::size_t i = 0; i < 500; ++i) {
    aa.push_back(ra[i].addr);
    ab.push_back(rb[i].addr);
    ac.push_back(rc[i].addr);
  }
  CHECK(aa == ab);
  CHECK(aa != ac);
}

TEST_CASE("pcie: GeneratorSource random is splitmix64 (fixed output)", "[unit][pcie]") {
  // splitmix64 seeded 0 yields 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, ...
  GeneratorParams p;
  p.pattern = GeneratorParams::Pattern::Random;
  p.size = 64;
  p.base = 0x1'0000'0000;
  p.window = 1 << 20;  // 16384 slots
  p.count = 2;
  GeneratorSource src(p, 0);
  auto reqs = drain(src);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].addr == 0x1'0000'0000 + (0xe220a8397b1dcdafull % 16384) * 64);
  CHECK(reqs[1].addr == 0x1'0000'0000 + (0x6e789e6aa1b965f4ull % 16384) * 64);
  CHECK(reqs[0].addr == 0x1'0003'6bc0);
  CHECK(reqs[1].addr == 0x1'0009'7d00);
}

TEST_CASE("pcie: GeneratorSource count is respected", "[unit][pcie]") {
  for (std::uint64_t count : {1ull, 2ull, 17ull, 1000ull}) {
    GeneratorParams p = rand_params();
    p.count = count;
    GeneratorSource src(p, 3);
    CHECK(drain(src).size() == count);
  }
  GeneratorParams p = seq_params();
  p.count = 0;
  GeneratorSource none(p, 1);
  DmaRequest r;
  CHECK_FALSE(none.next(r));
}

TEST_CASE("pcie: GeneratorSource window equal to size always hits base", "[unit][pcie]") {
  GeneratorParams p = rand_params();
  p.window = p.size;
  p.count = 20;
  GeneratorSource src(p, 5);
  for (const auto& r : drain(src)) CHECK(r.addr == p.base);
}

// ------------------------------------------------------------------ GeneratorParams::from_config

TEST_CASE("pcie: GeneratorParams::from_config reads every field", "[unit][pcie]") {
  Config c = Config::from_string(
      "workloads:\n"
      "  - device: nic0\n"
      "    pattern: sequential\n"
      "    op: write\n"
      "    size: 4KiB\n"
      "    base: 0x2000000\n"
      "    window: 1M\n"
      "    count: 77\n"
      "    start_ns: 1.5\n"
      "    interval_ns: 2\n",
      "w.yaml");
  auto wl = c.root().list("workloads");
  REQUIRE(wl.size() == 1);
  wl[0].str("device", "");
  GeneratorParams p = GeneratorParams::from_config(wl[0], 48);
  CHECK(p.pattern == GeneratorParams::Pattern::Sequential);
  CHECK(p.write);
  CHECK(p.size == 4096);
  CHECK(p.base == 0x2000000);
  CHECK(p.window == 1048576);
  CHECK(p.count == 77);
  CHECK(p.start_ps == 1500);
  CHECK(p.interval_ps == 2000);
  CHECK_NOTHROW(c.check_unknown_keys());
}

TEST_CASE("pcie: GeneratorParams::from_config defaults are written back", "[unit][pcie]") {
  Config c = Config::from_string("workloads:\n  - device: nic0\n", "w.yaml");
  auto wl = c.root().list("workloads");
  GeneratorParams p = GeneratorParams::from_config(wl[0], 48);
  CHECK(p.pattern == GeneratorParams::Pattern::Random);
  CHECK_FALSE(p.write);
  CHECK(p.size == 64);
  CHECK(p.base == 0x1'0000'0000);
  CHECK(p.window == 1 << 20);
  CHECK(p.count == 10000);
  CHECK(p.start_ps == 0);
  CHECK(p.interval_ps == 0);
  CHECK(c.to_json().dump() ==
        R"({"workloads":[{"device":"nic0","pattern":"random","op":"read","size":64,"base":4294967296,)"
        R"("window":1048576,"count":10000,"start_ns":0,"interval_ns":0}]})");
}

TEST_CASE("pcie: GeneratorParams::from_config errors", "[unit][pcie]") {
  auto load = [](const std::string& fields) {
    return Config::from_string("workloads:\n  - device: nic0\n" + fields, "w.yaml");
  };
  SECTION("window smaller than size") {
    Config c = load("    size: 4096\n    window: 1024\n");  // lines 3, 4
    auto wl = c.root().list("workloads");
    CHECK_THROWS_AS(GeneratorParams::from_config(wl[0], 48), InputError);
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 48),
                      "w.yaml:4: workloads[0].window: expected an integer in [4096, 281470681743360], got 1024");
  }
  SECTION("window smaller than the default size") {
    Config c = load("    base: 0\n    window: 32\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 39),
                      "w.yaml:4: workloads[0].window: expected an integer in [64, 549755813888], got 32");
  }
  SECTION("window beyond the address space") {
    Config c = load("    base: 0xfffff000\n    window: 8K\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 32),
                      "w.yaml:4: workloads[0].window: expected an integer in [64, 4096], got 8K");
  }
  SECTION("base beyond the address space") {
    Config c = load("    base: 0x8000000000\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 39),
                      "w.yaml:3: workloads[0].base: expected an integer in [0, 549755813887], got 0x8000000000");
  }
  SECTION("zero size") {
    Config c = load("    size: 0\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 48),
                      "w.yaml:3: workloads[0].size: expected an integer in [1, 1073741824], got 0");
  }
  SECTION("zero count") {
    Config c = load("    count: 0\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 48),
                      "w.yaml:3: workloads[0].count: expected an integer >= 1, got 0");
  }
  SECTION("bad pattern") {
    Config c = load("    pattern: zigzag\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 48),
                      "w.yaml:3: workloads[0].pattern: expected one of random, sequential, got 'zigzag'");
  }
  SECTION("bad op") {
    Config c = load("    op: rw\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 48),
                      "w.yaml:3: workloads[0].op: expected one of read, write, got 'rw'");
  }
  SECTION("negative start") {
    Config c = load("    start_ns: -1\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 48),
                      "w.yaml:3: workloads[0].start_ns: expected a number in [0, 1000000000000], got -1");
  }
  SECTION("size given as a map") {
    Config c = load("    size: {a: 1}\n");
    auto wl = c.root().list("workloads");
    CHECK_THROWS_WITH(GeneratorParams::from_config(wl[0], 48),
                      "w.yaml:3: workloads[0].size: expected an unsigned integer, got a map");
  }
}

// ------------------------------------------------------------------ TraceDmaSource

TEST_CASE("pcie: TraceDmaSource yields only dma_r, dma_w, msi and ats records in order", "[unit][pcie]") {
  std::vector<TraceRecord> recs;
  auto add = [&](TraceOp op, std::uint64_t seq, Tick time, Addr addr, std::uint64_t size) -> TraceRecord& {
    TraceRecord r;
    r.op = op;
    r.seq = seq;
    r.line = static_cast<std::uint32_t>(seq + 10);
    r.time = time;
    r.addr = addr;
    r.size = size;
    recs.push_back(r);
    return recs.back();
  };
  add(TraceOp::MmioW, 0, 0, 0xfed90000, 4);
  add(TraceOp::DmaR, 1, 1000, 0x10000, 64);
  add(TraceOp::Msi, 2, 1500, 0xfee00000, 4).data = 0x41;
  {
    TraceRecord& w = add(TraceOp::DmaW, 3, 2000, 0x20040, 256);
    w.has_pasid = true;
    w.pasid = 0x1234;
    w.priv = true;
    w.exec = true;
  }
  add(TraceOp::Ats, 4, 2500, 0x30000, 4096);
  add(TraceOp::MemW, 5, 2600, 0x5000, 8);
  {
    TraceRecord& r = add(TraceOp::DmaR, 6, 3000, 0x40000, 4096);
    r.translated = true;
  }
  add(TraceOp::Map, 7, 3100, 0, 0);

  TraceDmaSource src(recs);
  auto out = drain(src);
  REQUIRE(out.size() == 5);
  // The ats record: translation requests for its range.
  CHECK(out[3].seq == 4);
  CHECK(out[3].ats);
  CHECK_FALSE(out[3].write);
  CHECK(out[3].addr == 0x30000);
  CHECK(out[3].size == 4096);
  out.erase(out.begin() + 3);
  // The MSI is a 4-byte write of its data.
  CHECK(out[1].seq == 2);
  CHECK(out[1].msi);
  CHECK(out[1].write);
  CHECK(out[1].data == 0x41);
  CHECK(out[1].addr == 0xfee00000);
  CHECK(out[1].size == 4);
  out.erase(out.begin() + 1);

  CHECK(out[0].seq == 1);
  CHECK_FALSE(out[0].msi);
  CHECK(out[0].time == 1000);
  CHECK_FALSE(out[0].write);
  CHECK(out[0].addr == 0x10000);
  CHECK(out[0].size == 64);
  CHECK_FALSE(out[0].has_pasid);
  CHECK(out[0].pasid == 0);
  CHECK_FALSE(out[0].priv);
  CHECK_FALSE(out[0].exec);
  CHECK_FALSE(out[0].translated);
  CHECK(out[0].from_trace);

  CHECK(out[1].seq == 3);
  CHECK(out[1].time == 2000);
  CHECK(out[1].write);
  CHECK(out[1].addr == 0x20040);
  CHECK(out[1].size == 256);
  CHECK(out[1].has_pasid);
  CHECK(out[1].pasid == 0x1234);
  CHECK(out[1].priv);
  CHECK(out[1].exec);
  CHECK_FALSE(out[1].translated);
  CHECK(out[1].from_trace);

  CHECK(out[2].seq == 6);
  CHECK(out[2].time == 3000);
  CHECK_FALSE(out[2].write);
  CHECK(out[2].addr == 0x40000);
  CHECK(out[2].size == 4096);
  CHECK_FALSE(out[2].has_pasid);
  CHECK_FALSE(out[2].priv);
  CHECK(out[2].translated);
  CHECK(out[2].from_trace);

  DmaRequest r;
  CHECK_FALSE(src.next(r));
}

TEST_CASE("pcie: TraceDmaSource resets fields of the output request", "[unit][pcie]") {
  std::vector<TraceRecord> recs(1);
  recs[0].op = TraceOp::DmaR;
  recs[0].seq = 9;
  recs[0].addr = 0x100;
  recs[0].size = 4;
  TraceDmaSource src(recs);
  DmaRequest r;
  r.has_pasid = true;
  r.pasid = 5;
  r.priv = r.exec = r.translated = r.write = true;
  REQUIRE(src.next(r));
  CHECK(r.seq == 9);
  CHECK_FALSE(r.has_pasid);
  CHECK(r.pasid == 0);
  CHECK_FALSE(r.priv);
  CHECK_FALSE(r.exec);
  CHECK_FALSE(r.translated);
  CHECK_FALSE(r.write);
  CHECK(r.from_trace);
}

TEST_CASE("pcie: TraceDmaSource with no DMA, MSI or ATS records is empty", "[unit][pcie]") {
  std::vector<TraceRecord> recs(3);
  recs[0].op = TraceOp::MmioW;
  recs[1].op = TraceOp::MemR;
  recs[2].op = TraceOp::Map;
  TraceDmaSource src(recs);
  DmaRequest r;
  CHECK_FALSE(src.next(r));
  TraceDmaSource empty({});
  CHECK_FALSE(empty.next(r));
}
