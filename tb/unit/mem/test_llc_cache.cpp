// The host LLC's line logic (mem/llc_cache.h): set index, I/O and CPU
// semantics, DDIO ways, LRU, writebacks, and the benchmark cache states.
#include <catch2/catch.hpp>

#include <string>

#include "common/error.h"
#include "mem/llc_cache.h"

using iommusim::Addr;
using iommusim::CachePreparation;
using iommusim::CacheState;
using iommusim::InputError;
using iommusim::LlcCache;
using iommusim::LlcGeometry;

namespace {

// 4 sets x 4 ways x 64 B = 1 KiB, 2 DDIO ways. With modulo indexing, set 0
// holds 0x0, 0x100, 0x200, ...; set 1 holds 0x40, 0x140, ...
LlcGeometry small(unsigned ddio_ways = 2) {
  LlcGeometry g;
  g.size_bytes = 1024;
  g.ways = 4;
  g.line_bytes = 64;
  g.ddio_ways = ddio_ways;
  return g;
}

}  // namespace

TEST_CASE("llc: geometry and set index rules", "[unit][llc]") {
  LlcCache c(small());
  CHECK(c.sets() == 4);
  CHECK(c.set_of(0x0) == 0);
  CHECK(c.set_of(0x40) == 1);
  CHECK(c.set_of(0x7f) == 1);
  CHECK(c.set_of(0x100) == 0);
  CHECK(c.set_of(54 * 64) == 2);  // modulo: 54 % 4
  CHECK(c.line_of(0x7f) == 0x40);

  LlcGeometry x = small();
  x.index = LlcGeometry::Index::XorFold;
  LlcCache h(x);
  // 2-bit pieces of the line number, XORed.
  CHECK(h.set_of(5 * 64) == 0);       // 01 ^ 01
  CHECK(h.set_of(54 * 64) == 0);      // 0b110110: 10 ^ 01 ^ 11
  CHECK(h.set_of(6 * 64) == 3);       // 0b0110: 10 ^ 01
  CHECK(h.set_of(0x100) == 1);        // line 4 = 0b100: 00 ^ 01

  // 20 MiB, 20 ways (Haswell-EP): 16384 sets; 15 MiB: 12288 (not a power of two).
  LlcGeometry big;
  CHECK(LlcCache(big).sets() == 16384);
  big.size_bytes = 15ull << 20;
  CHECK(LlcCache(big).sets() == 12288);
}

TEST_CASE("llc: I/O reads never allocate and do not change the LRU order", "[unit][llc]") {
  LlcCache c(small());
  auto r = c.io_read(0x0);
  CHECK_FALSE(r.hit);
  CHECK_FALSE(r.in_cache);
  CHECK_FALSE(c.contains(0x0));
  // Fill set 0 by the CPU: free ways from the top, ways 3..0 in order.
  for (Addr a : {0x0, 0x100, 0x200, 0x300}) CHECK_FALSE(c.cpu_read(a).hit);
  r = c.io_read(0x0);
  CHECK(r.hit);
  CHECK(r.in_cache);
  // 0x0 is still the LRU line: the I/O read did not touch it.
  const auto v = c.cpu_read(0x400);
  CHECK(v.evicted);
  CHECK_FALSE(v.writeback);
  CHECK_FALSE(c.contains(0x0));
  CHECK(c.way_of(0x400) == 3u);
}

TEST_CASE("llc: I/O writes allocate dirty into the DDIO ways, LRU among them", "[unit][llc]") {
  LlcCache c(small(2));
  auto r = c.io_write(0x0);
  CHECK_FALSE(r.hit);
  CHECK(r.allocated);
  CHECK(r.in_cache);
  CHECK_FALSE(r.evicted);
  CHECK(c.io_write(0x100).allocated);
  CHECK(c.way_of(0x0) == 0u);
  CHECK(c.way_of(0x100) == 1u);
  CHECK(c.dirty(0x0));
  // Ways 2 and 3 are free, but DMA writes may not use them: 0x0 (LRU) goes.
  r = c.io_write(0x200);
  CHECK(r.evicted);
  REQUIRE(r.writeback);
  CHECK(*r.writeback == 0x0);
  CHECK(c.way_of(0x200) == 0u);
  CHECK(c.valid_lines() == 2);
  // A hit updates in place and becomes most recent: 0x200 is the next victim.
  r = c.io_write(0x100);
  CHECK(r.hit);
  CHECK_FALSE(r.allocated);
  r = c.io_write(0x300);
  REQUIRE(r.writeback);
  CHECK(*r.writeback == 0x200);
  CHECK(c.way_of(0x300) == 0u);
  CHECK(c.way_of(0x100) == 1u);
}

TEST_CASE("llc: an I/O write hit on a CPU line updates it where it is", "[unit][llc]") {
  LlcCache c(small(2));
  for (Addr a : {0x0, 0x100, 0x200, 0x300}) c.cpu_read(a);
  CHECK_FALSE(c.dirty(0x300));
  const auto r = c.io_write(0x300);
  CHECK(r.hit);
  CHECK(r.in_cache);
  CHECK_FALSE(r.allocated);
  CHECK(c.way_of(0x300) == 0u);  // a DDIO way, as the CPU's fill left it
  CHECK(c.dirty(0x300));
}

TEST_CASE("llc: CPU accesses allocate into any way, write-back, LRU", "[unit][llc]") {
  LlcCache c(small(2));
  // Free ways are filled from the top: the ways DDIO does not use first.
  for (Addr a : {0x0, 0x100, 0x200, 0x300}) CHECK(c.cpu_read(a).allocated);
  CHECK(c.way_of(0x0) == 3u);
  CHECK(c.way_of(0x100) == 2u);
  CHECK(c.way_of(0x300) == 0u);
  CHECK(c.cpu_read(0x0).hit);  // 0x0 most recent: LRU order 0x100, 0x200, 0x300, 0x0
  auto r = c.cpu_read(0x400);
  CHECK(r.evicted);
  CHECK_FALSE(r.writeback);  // 0x100 was clean
  CHECK_FALSE(c.contains(0x100));
  CHECK(c.way_of(0x400) == 2u);
  r = c.cpu_write(0x500);  // evicts 0x200 (clean), allocates dirty
  CHECK_FALSE(r.writeback);
  CHECK(c.way_of(0x500) == 1u);
  CHECK(c.dirty(0x500));
  CHECK(c.cpu_write(0x0).hit);  // dirty now; order 0x300, 0x400, 0x500, 0x0
  CHECK_FALSE(c.cpu_read(0x600).writeback);  // 0x300
  CHECK_FALSE(c.cpu_read(0x700).writeback);  // 0x400
  r = c.cpu_read(0x800);                     // 0x500, dirty
  REQUIRE(r.writeback);
  CHECK(*r.writeback == 0x500);
  r = c.cpu_read(0x900);  // 0x0, dirty
  REQUIRE(r.writeback);
  CHECK(*r.writeback == 0x0);
  CHECK(c.dirty_lines() == 0);
}

TEST_CASE("llc: without DDIO ways I/O writes go around the cache and drop a cached copy", "[unit][llc]") {
  LlcCache c(small(0));
  auto r = c.io_write(0x0);
  CHECK_FALSE(r.hit);
  CHECK_FALSE(r.in_cache);
  CHECK_FALSE(r.allocated);
  CHECK(c.valid_lines() == 0);
  c.cpu_write(0x40);
  c.cpu_read(0x80);
  r = c.io_write(0x40);  // dirty copy: written back, then dropped
  CHECK(r.hit);
  CHECK_FALSE(r.in_cache);
  REQUIRE(r.writeback);
  CHECK(*r.writeback == 0x40);
  CHECK_FALSE(c.contains(0x40));
  r = c.io_write(0x80);  // clean copy: dropped
  CHECK(r.hit);
  CHECK_FALSE(r.writeback);
  CHECK_FALSE(c.contains(0x80));
}

TEST_CASE("llc: geometry errors name the field", "[unit][llc]") {
  LlcGeometry g = small();
  g.size_bytes = 1000;
  CHECK_THROWS_WITH(LlcCache(g), Catch::StartsWith("size: expected a multiple of ways * line_bytes (4 * 64 = 256)"));
  g = small();
  g.ddio_ways = 5;
  CHECK_THROWS_WITH(LlcCache(g), "ddio_ways: expected <= ways (4), got 5");
  g = small();
  g.ways = 0;
  CHECK_THROWS_AS(LlcCache(g), InputError);
}

TEST_CASE("llc: prepare Cold drops the range's lines only", "[unit][llc]") {
  LlcCache c(small());
  for (Addr a = 0; a < 0x400; a += 64) c.cpu_write(a);
  CHECK(c.valid_lines() == 16);
  c.prepare({CacheState::Cold, 0x30, 0x20}, 0, 1 << 20);  // touches lines 0x0 and 0x40
  CHECK_FALSE(c.contains(0x0));
  CHECK_FALSE(c.contains(0x40));
  CHECK(c.contains(0x80));
  c.prepare({CacheState::Cold, 0x0, 0x200}, 0, 1 << 20);
  for (Addr a = 0; a < 0x200; a += 64) CHECK_FALSE(c.contains(a));
  for (Addr a = 0x200; a < 0x400; a += 64) CHECK(c.contains(a));
  CHECK(c.valid_lines() == 8);
}

TEST_CASE("llc: prepare HostWarm allocates in address order and keeps the last part", "[unit][llc]") {
  LlcCache c(small());
  c.prepare({CacheState::HostWarm, 0x0, 0x800}, 0, 1 << 20);  // 32 lines, the cache holds 16
  for (Addr a = 0; a < 0x400; a += 64) CHECK_FALSE(c.contains(a));
  for (Addr a = 0x400; a < 0x800; a += 64) CHECK(c.contains(a));
  CHECK(c.dirty_lines() == 0);
  CHECK(c.way_of(0x700) == 0u);  // set 0: 0x400, 0x500, 0x600, 0x700 in ways 3..0
}

TEST_CASE("llc: prepare DeviceWarm allocates dirty lines into the DDIO ways", "[unit][llc]") {
  LlcCache c(small(2));
  c.prepare({CacheState::DeviceWarm, 0x0, 0x400}, 0, 1 << 20);  // 4 lines per set, 2 DDIO ways
  for (Addr a = 0; a < 0x200; a += 64) CHECK_FALSE(c.contains(a));
  for (Addr a = 0x200; a < 0x400; a += 64) {
    CHECK(c.dirty(a));
    CHECK(*c.way_of(a) < 2u);
  }
  CHECK(c.valid_lines() == 8);
  CHECK(c.dirty_lines() == 8);

  LlcCache none(small(0));
  none.prepare({CacheState::DeviceWarm, 0x0, 0x400}, 0, 1 << 20);
  CHECK(none.valid_lines() == 0);
}

TEST_CASE("llc: prepare DeviceThrash fills the DDIO ways with dirty lines outside the range", "[unit][llc]") {
  LlcCache c(small(2));
  c.prepare({CacheState::HostWarm, 0x0, 0x400}, 0, 1 << 20);  // set s: ways 3..0 = s*0x40 + {0, 0x100, 0x200, 0x300}
  c.prepare({CacheState::DeviceThrash, 0x200, 0x200}, 0, 1 << 20);
  for (Addr a = 0x200; a < 0x400; a += 64) CHECK_FALSE(c.contains(a));
  for (Addr s = 0; s < 4; ++s) {
    INFO("set " << s);
    // The first candidates after the range not cached yet: 0x400, 0x500.
    CHECK(c.way_of(0x400 + 0x40 * s) == 0u);
    CHECK(c.way_of(0x500 + 0x40 * s) == 1u);
    CHECK(c.dirty(0x400 + 0x40 * s));
    CHECK(c.dirty(0x500 + 0x40 * s));
    CHECK(c.way_of(0x0 + 0x40 * s) == 3u);  // the other ways keep their lines
    CHECK(c.way_of(0x100 + 0x40 * s) == 2u);
  }
  CHECK(c.dirty_lines() == 8);

  // A range at the end of memory: the candidates wrap to its start.
  LlcCache w(small(2));
  w.prepare({CacheState::DeviceThrash, 0x400, 0x400}, 0, 0x800);
  for (Addr a = 0; a < 0x200; a += 64) CHECK(w.dirty(a));
  CHECK(w.dirty_lines() == 8);

  // Hashed sets are filled too (the candidates go on until every set is full).
  LlcGeometry x = small(2);
  x.index = LlcGeometry::Index::XorFold;
  LlcCache h(x);
  h.prepare({CacheState::DeviceThrash, 0x0, 0x1000}, 0, 1 << 20);
  CHECK(h.dirty_lines() == 8);
  for (Addr a = 0; a < 0x1000; a += 64) CHECK_FALSE(h.contains(a));

  // No DDIO ways: Cold.
  LlcCache none(small(0));
  none.prepare({CacheState::HostWarm, 0x0, 0x400}, 0, 1 << 20);
  none.prepare({CacheState::DeviceThrash, 0x0, 0x200}, 0, 1 << 20);
  CHECK(none.valid_lines() == 8);
  CHECK(none.dirty_lines() == 0);
}
