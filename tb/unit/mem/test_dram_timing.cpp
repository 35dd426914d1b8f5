#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "common/error.h"
#include "mem/dram_timing.h"

using iommusim::Addr;
using iommusim::AddressMap;
using iommusim::DramAccess;
using iommusim::DramCoord;
using iommusim::DramParams;
using iommusim::DramTiming;
using iommusim::InputError;
using iommusim::Tick;

namespace {

// Default DDR4-3200 parameters with the given controller frontend latency.
DramParams ddr4(unsigned frontend) {
  DramParams p;
  p.frontend_cycles = frontend;
  return p;
}

// Tests run a DramTiming next to cycle arithmetic in the parameters' own terms.
struct Bench {
  explicit Bench(const DramParams& params) : p(params), dram(p), map(p.geometry) {}

  Tick ck(unsigned cycles) const { return Tick{cycles} * p.tck_ps; }
  Addr at(unsigned bank, uint64_t row, unsigned channel = 0, uint64_t column = 0) const {
    return map.encode(DramCoord{channel, 0, bank, row, column});
  }
  DramAccess read(Tick arrival, Addr a, uint64_t size = 64) {
    return dram.access(arrival, a, size, false);
  }
  DramAccess write(Tick arrival, Addr a, uint64_t size = 64) {
    return dram.access(arrival, a, size, true);
  }

  DramParams p;
  DramTiming dram;
  AddressMap map;
};

}  // namespace

TEST_CASE("dram: first access to a closed bank", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  Bench b(ddr4(F));
  const Tick arrival = 1000;
  const DramAccess r = b.read(arrival, b.at(3, 7));
  CHECK(r.done == arrival + b.ck(F + 22 + 22 + 4));  // F + tRCD + tCL + tBURST
  CHECK(r.bursts == 1);
  CHECK(r.row_misses == 1);
  CHECK(r.row_hits + r.row_conflicts == 0);

  const DramAccess w = b.write(arrival, b.at(4, 7));
  CHECK(w.done == arrival + b.ck(F + 22 + 16 + 4));  // F + tRCD + tCWL + tBURST
}

TEST_CASE("dram: row hit latency on an idle bank", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  Bench b(ddr4(F));
  b.read(0, b.at(3, 7));
  const Tick arrival = b.ck(1000);  // bank and bus long idle
  const DramAccess r = b.read(arrival, b.at(3, 7, 0, 5));
  CHECK(r.done == arrival + b.ck(F + 22 + 4));  // F + tCL + tBURST
  CHECK(r.row_hits == 1);
}

TEST_CASE("dram: row conflict with tRAS satisfied", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  Bench b(ddr4(F));
  b.read(0, b.at(3, 7));
  const Tick arrival = b.ck(1000);
  const DramAccess r = b.read(arrival, b.at(3, 8));
  CHECK(r.done == arrival + b.ck(F + 22 + 22 + 22 + 4));  // F + tRP + tRCD + tCL + tBURST
  CHECK(r.row_conflicts == 1);
}

TEST_CASE("dram: simultaneous reads to an open row queue on the data bus", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  Bench b(ddr4(F));
  b.read(0, b.at(3, 7));
  const Tick arrival = b.ck(1000);
  for (unsigned k = 0; k < 8; ++k) {
    INFO("read " << k);
    const DramAccess r = b.read(arrival, b.at(3, 7, 0, k));
    CHECK(r.done == arrival + b.ck(F + 22 + (k + 1) * 4));  // F + tCL + (k+1) tBURST
  }
  CHECK(b.dram.row_hits() == 8);
}

TEST_CASE("dram: row conflict waits for tRAS", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  Bench b(ddr4(F));
  b.read(0, b.at(3, 7));  // ACT at F
  const DramAccess r = b.read(b.ck(30), b.at(3, 8));
  // PRE at F + tRAS, then tRP + tRCD + tCL + tBURST.
  CHECK(r.done == b.ck(F + 52 + 22 + 22 + 22 + 4));
}

TEST_CASE("dram: row conflict after a write waits for write recovery", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  Bench b(ddr4(F));
  const DramAccess w = b.write(0, b.at(3, 7));
  const Tick write_done = b.ck(F + 22 + 16 + 4);  // F + tRCD + tCWL + tBURST
  CHECK(w.done == write_done);
  // Arrives after tRAS, but PRE must wait for write_done + tWR.
  const DramAccess r = b.read(b.ck(53), b.at(3, 8));
  CHECK(r.done == write_done + b.ck(24 + 22 + 22 + 22 + 4));  // tWR tRP tRCD tCL tBURST
}

TEST_CASE("dram: closed page policy precharges after every burst", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  DramParams p = ddr4(F);
  p.page_policy = DramParams::PagePolicy::Closed;
  Bench b(p);

  CHECK(b.read(0, b.at(3, 7)).done == b.ck(F + 22 + 22 + 4));
  // Same row, but the bank precharged at F + tRAS: ACT at F + tRAS + tRP.
  const DramAccess again = b.read(b.ck(30), b.at(3, 7));
  CHECK(again.row_misses == 1);
  CHECK(again.done == b.ck(F + 52 + 22 + 22 + 22 + 4));

  // A write's precharge waits for write recovery.
  const Tick t = b.ck(1000);
  CHECK(b.write(t, b.at(3, 7)).done == t + b.ck(F + 22 + 16 + 4));
  const Tick pre = t + b.ck(F + 22 + 16 + 4 + 24);  // write done + tWR
  CHECK(b.read(t + 1, b.at(3, 7)).done == pre + b.ck(22 + 22 + 22 + 4));
  CHECK(b.dram.row_hits() == 0);
  CHECK(b.dram.row_misses() == 4);
}

TEST_CASE("dram: a multi-burst request spans two channels", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  Bench b(ddr4(F));  // RoRaBaCoCh: consecutive bursts alternate channels
  // 256 B: bursts 0 and 2 on channel 0, 1 and 3 on channel 1, all in bank 0
  // row 0. Each channel opens its row, then has a row hit one tBURST later.
  const DramAccess r = b.read(0, 0, 256);
  CHECK(r.bursts == 4);
  CHECK(r.row_misses == 2);
  CHECK(r.row_hits == 2);
  CHECK(r.done == b.ck(F + 22 + 22 + 2 * 4));

  // An unaligned 64 B request touches two bursts, one per channel.
  const Tick t = b.ck(1000);
  const DramAccess u = b.read(t, 0x1000 + 32, 64);
  CHECK(u.bursts == 2);
  CHECK(u.done == t + b.ck(F + 22 + 4));
}

TEST_CASE("dram: a later burst fills an idle gap on the data bus", "[unit]") {
  const unsigned F = GENERATE(0u, 8u);
  Bench b(ddr4(F));
  b.read(0, b.at(1, 0));  // opens bank 1 row 0
  const Tick t = b.ck(1000);
  // Bank 2 is closed: its data is on the bus at T + tRCD + tCL.
  CHECK(b.read(t, b.at(2, 0)).done == t + b.ck(F + 22 + 22 + 4));
  // Row hits in bank 1, called later, use the bus before that.
  CHECK(b.read(t, b.at(1, 0, 0, 1)).done == t + b.ck(F + 22 + 4));
  CHECK(b.read(t, b.at(1, 0, 0, 2)).done == t + b.ck(F + 22 + 2 * 4));
  // The gap [T + tCL, T + tRCD + tCL) holds five bursts; the sixth would
  // overlap bank 2's burst and goes after it.
  for (unsigned k = 3; k <= 5; ++k)
    CHECK(b.read(t, b.at(1, 0, 0, k)).done == t + b.ck(F + 22 + k * 4));
  CHECK(b.read(t, b.at(1, 0, 0, 6)).done == t + b.ck(F + 22 + 22 + 2 * 4));
}

TEST_CASE("dram: cumulative counters", "[unit]") {
  Bench b(ddr4(0));
  b.read(0, 0, 100);     // 2 bursts
  b.write(0, 4096, 64);  // 1 burst
  b.read(0, 64, 1);      // 1 burst
  CHECK(b.dram.reads() == 2);
  CHECK(b.dram.writes() == 1);
  CHECK(b.dram.bytes() == 165);
  CHECK(b.dram.bursts() == 4);
  CHECK(b.dram.row_hits() + b.dram.row_misses() + b.dram.row_conflicts() == 4);
  CHECK(b.dram.bus_busy_ps() == 4 * b.ck(4));
  CHECK_THROWS_AS(b.read(0, 0, 0), std::invalid_argument);
}

TEST_CASE("dram: parameter validation errors", "[unit]") {
  auto error = [](const DramParams& p) -> std::string {
    try {
      DramTiming::validate(p);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error(DramParams{}) == "no error");
  DramParams p;
  p.tck_ps = 0;
  CHECK(error(p) == "tck_ps: expected >= 1, got 0");
  unsigned DramParams::*fields[] = {&DramParams::tCL,  &DramParams::tRCD, &DramParams::tRP,
                                    &DramParams::tRAS, &DramParams::tCWL, &DramParams::tBURST};
  const char* names[] = {"tCL", "tRCD", "tRP", "tRAS", "tCWL", "tBURST"};
  for (size_t i = 0; i < 6; ++i) {
    p = {};
    p.*fields[i] = 0;
    CHECK(error(p) == std::string(names[i]) + ": expected >= 1, got 0");
  }
  p = {};
  p.tWR = 0;  // write recovery may be ignored
  CHECK(error(p) == "no error");
  p = {};
  p.geometry.row_bytes = 100;
  CHECK(error(p) == "geometry.row_bytes: expected a power of two >= burst_bytes, got 100");
  p = {};
  p.geometry.channels = 3;
  CHECK(error(p) == "geometry.channels: expected a power of two, got 3");
  p = {};
  p.geometry.mapping = "RoXx";
  CHECK(error(p) == "geometry.mapping 'RoXx': expected a permutation of Ro,Ra,Ba,Ch,Co");
  p = {};
  p.geometry.channels = 1024;
  p.geometry.banks = 128;
  CHECK(error(p) == "geometry.banks: expected channels * ranks * banks <= 65536, got 131072");
  CHECK_THROWS_AS(DramTiming(p), InputError);
}

// Refresh (tREFI_ps, tRFC_ps): rank r refreshes in
// [r * tREFI / ranks + k * tREFI, ... + tRFC) for k >= 1.
namespace {
DramParams with_refresh(Tick trefi, Tick trfc, unsigned ranks = 1) {
  DramParams p;
  p.tREFI_ps = trefi;
  p.tRFC_ps = trfc;
  p.geometry.ranks = ranks;
  return p;
}
}  // namespace

TEST_CASE("dram: a burst arriving during a refresh waits for its end", "[unit][refresh]") {
  Bench b(with_refresh(7'800'000, 350'000));  // JEDEC DDR4 8 Gb: 7.8 us, 350 ns
  CHECK(b.dram.refresh_start(0, 1) == 7'800'000);
  // Before the first refresh: as without refresh.
  CHECK(b.read(1000, b.at(3, 7)).done == 1000 + b.ck(22 + 22 + 4));
  // 100 ns into refresh 1: waits until 8.15 us, then the bank is closed.
  const DramAccess r = b.read(7'900'000, b.at(4, 7));
  CHECK(r.done == 8'150'000 + b.ck(22 + 22 + 4));
  CHECK(r.refresh_waits == 1);
  CHECK(r.row_misses == 1);
  CHECK(b.dram.refresh_waits() == 1);
  // Just after the refresh (on the other channel, whose bus is free): no wait.
  const DramAccess s = b.read(8'150'000, b.at(5, 7, 1));
  CHECK(s.refresh_waits == 0);
  CHECK(s.done == 8'150'000 + b.ck(22 + 22 + 4));
}

TEST_CASE("dram: a refresh closes the rank's open rows", "[unit][refresh]") {
  Bench b(with_refresh(7'800'000, 350'000));
  b.read(0, b.at(3, 7));  // opens bank 3 row 7
  const Tick t = 10'000'000;  // after refresh 1 (7.8 .. 8.15 us)
  const DramAccess r = b.read(t, b.at(3, 7));
  CHECK(r.row_hits == 0);  // a hit without refresh (tCL + tBURST)
  CHECK(r.row_misses == 1);
  CHECK(r.refresh_closes == 1);
  CHECK(r.refresh_waits == 0);
  CHECK(r.done == t + b.ck(22 + 22 + 4));
  // The row is open again until the next refresh.
  CHECK(b.read(t + 100'000, b.at(3, 7)).row_hits == 1);
  CHECK(b.dram.refresh_closes() == 1);

  Bench off(ddr4(0));  // the same accesses without refresh
  off.read(0, off.at(3, 7));
  CHECK(off.read(t, off.at(3, 7)).done == t + off.ck(22 + 4));
}

TEST_CASE("dram: a refresh that starts before the burst's first command applies to it", "[unit][refresh]") {
  // tREFI 40 ns, tRFC 10 ns (short, to land a refresh inside a bank's wait).
  Bench b(with_refresh(40'000, 10'000));
  // Write at 0: ACT 0, data at tRCD + tCWL, done 42 ck = 26.25 ns; next_pre =
  // done + tWR = 41.25 ns.
  CHECK(b.write(0, b.at(3, 7)).done == b.ck(22 + 16 + 4));
  // A conflicting read at 30 ns would PRE at 41.25 ns, after refresh 1 began
  // at 40 ns: the refresh closes the row and the read waits until 50 ns, then
  // finds the bank closed: ACT 50 ns, + tRCD + tCL + tBURST.
  const DramAccess r = b.read(30'000, b.at(3, 8));
  CHECK(r.refresh_closes == 1);
  CHECK(r.refresh_waits == 1);
  CHECK(r.row_misses == 1);
  CHECK(r.row_conflicts == 0);
  CHECK(r.done == 50'000 + b.ck(22 + 22 + 4));
}

TEST_CASE("dram: ranks refresh staggered by tREFI / ranks", "[unit][refresh]") {
  Bench b(with_refresh(7'800'000, 350'000, 2));
  CHECK(b.dram.refresh_start(1, 1) == 3'900'000 + 7'800'000);
  const Addr rank0 = b.map.encode(DramCoord{0, 0, 2, 0, 0});
  const Addr rank1 = b.map.encode(DramCoord{0, 1, 2, 0, 0});
  const Tick t = 11'750'000;  // 50 ns into rank 1's first refresh; rank 0's ended at 8.15 us
  CHECK(b.read(t, rank0).done == t + b.ck(22 + 22 + 4));
  CHECK(b.read(t, rank1).done == 12'050'000 + b.ck(22 + 22 + 4));
  CHECK(b.dram.refresh_waits() == 1);
}

TEST_CASE("dram: refresh parameter errors", "[unit][refresh]") {
  auto error = [](const DramParams& p) -> std::string {
    try {
      DramTiming::validate(p);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error(with_refresh(7'800'000, 350'000)) == "no error");
  CHECK(error(with_refresh(0, 350'000)) == "tRFC_ns: expected 0 when tREFI_ns is 0 (refresh off), got 350");
  CHECK(error(with_refresh(7'800'000, 0)) == "tRFC_ns: expected 0 < tRFC_ns < tREFI_ns (7800), got 0");
  CHECK(error(with_refresh(300'000, 350'000)) == "tRFC_ns: expected 0 < tRFC_ns < tREFI_ns (300), got 350");
}

// Adaptive page closing: DDR4-3200 defaults (tCK 0.625 ns, CL = tRCD = tRP =
// 22, tBURST 4), page_idle 20 ns. A read to a closed bank at 0: ACT at 0,
// column at tRCD (13.75 ns), data tCL later, done at 13.75 + 13.75 + 2.5 =
// 30 ns; the row's last use ends at col + tBURST = 16.25 ns.
TEST_CASE("dram: adaptive page policy keeps a busy row open and closes an idle one", "[unit]") {
  DramParams p = ddr4(0);
  p.page_policy = DramParams::PagePolicy::Adaptive;
  p.page_idle_ps = 20'000;
  Bench b(p);
  const Addr a = b.at(3, 7), other_col = b.at(3, 7, 0, 8);
  REQUIRE(b.read(0, a).done == b.ck(22 + 22 + 4));
  SECTION("a hit within the idle time is a row hit") {
    // Arrives at 30 ns <= 16.25 + 20: column at 30, done 30 + 13.75 + 2.5.
    const DramAccess r = b.read(30'000, other_col);
    CHECK(r.row_hits == 1);
    CHECK(r.done == 30'000 + b.ck(22 + 4));
  }
  SECTION("after the idle time the row was closed: a miss, no precharge wait") {
    // Idle since 16.25 ns: closed at max(36.25, tRAS = 32.5) = 36.25 ns, ACT
    // possible from 36.25 + 13.75 = 50 ns. A read at 60 ns: ACT at 60.
    const DramAccess r = b.read(60'000, other_col);
    CHECK(r.row_misses == 1);
    CHECK(r.row_hits == 0);
    CHECK(r.done == 60'000 + b.ck(22 + 22 + 4));
  }
  SECTION("just after the idle time, the burst waits for the precharge") {
    // At 40 ns the row closed at 36.25; ACT from 50 ns.
    const DramAccess r = b.read(40'000, other_col);
    CHECK(r.row_misses == 1);
    CHECK(r.done == 50'000 + b.ck(22 + 22 + 4));
  }
}
