#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "common/strided_runs.h"

namespace {

struct Rec {
  uint64_t a = 0, b = 0;
  bool operator==(const Rec& o) const { return a == o.a && b == o.b; }
};
using Runs = iommusim::StridedRuns<Rec, &Rec::a, &Rec::b>;

}  // namespace

TEST_CASE("strided runs: an empty sequence", "[unit]") {
  Runs r;
  CHECK(r.empty());
  CHECK(r.size() == 0);
  CHECK(r.begin() == r.end());
  CHECK(r.runs().empty());
  CHECK(r == std::vector<Rec>{});
}

TEST_CASE("strided runs: page-table stores of a 4 KiB map fold into runs", "[unit]") {
  Runs r;
  // A pointer store into the parent table, then 512 leaves (entry +8,
  // value +4 KiB), then the next pointer and 512 more leaves.
  std::vector<Rec> want;
  auto add = [&](uint64_t a, uint64_t b) {
    r.push_back(Rec{a, b});
    want.push_back(Rec{a, b});
  };
  add(0x41001000, 0x41003003);
  for (uint64_t i = 0; i < 512; ++i) add(0x41003000 + 8 * i, 0x100000003 + 0x1000 * i);
  add(0x41001008, 0x41004003);
  for (uint64_t i = 0; i < 512; ++i) add(0x41004000 + 8 * i, 0x100200003 + 0x1000 * i);
  CHECK(r.size() == 1026);
  CHECK(r == want);
  CHECK(want == r);
  // The pointer and the first leaf make a run of two; the other 511 leaves
  // one run: two runs per table.
  REQUIRE(r.runs().size() == 4);
  CHECK(r.runs()[0].count == 2);
  CHECK(r.runs()[1].count == 511);
  CHECK(r.runs()[1].start == 2);
  CHECK(r.runs()[1].da == 8);
  CHECK(r.runs()[1].db == 0x1000);
  CHECK(r.runs()[3].start == 515);
  CHECK(r.front() == Rec{0x41001000, 0x41003003});
  CHECK(r.back() == Rec{0x41004ff8, 0x1003ff003});
  CHECK(r[0] == want[0]);
  CHECK(r[1] == want[1]);
  CHECK(r[2] == want[2]);
  CHECK(r[513] == Rec{0x41001008, 0x41004003});
  CHECK(r[514] == Rec{0x41004000, 0x100200003});
  CHECK(r[1025] == want[1025]);
}

TEST_CASE("strided runs: equal records, falling strides and wrap-around are exact", "[unit]") {
  Runs r;
  for (int i = 0; i < 5; ++i) r.push_back(Rec{7, 0});        // stride 0
  for (int i = 0; i < 3; ++i) r.push_back(Rec{100 - 8 * uint64_t(i), ~uint64_t{0} + uint64_t(i)});
  CHECK(r == std::vector<Rec>{{7, 0}, {7, 0}, {7, 0}, {7, 0}, {7, 0}, {100, ~uint64_t{0}}, {92, 0}, {84, 1}});
  CHECK(r.runs().size() == 2);
  CHECK(r.runs()[1].da == uint64_t(0) - 8);
  CHECK(r != std::vector<Rec>{{7, 0}});
  Runs same;
  for (const Rec& x : r) same.push_back(x);
  CHECK(same == r);
  same.clear();
  CHECK(same.empty());
  CHECK(same != r);
}

TEST_CASE("strided runs: a seeded random sequence reads back as it was written", "[unit]") {
  std::mt19937_64 rng(15);
  Runs r;
  std::vector<Rec> want;
  uint64_t a = 0, b = 0;
  for (int i = 0; i < 20000; ++i) {
    switch (rng() % 4) {
      case 0: a = rng(); b = rng(); break;  // anything
      case 1: a += 8; b += 0x1000; break;   // the common stride
      case 2: a += 8; b = 0; break;         // zeroing stores
      default: break;                       // the same record again
    }
    r.push_back(Rec{a, b});
    want.push_back(Rec{a, b});
  }
  CHECK(r.size() == want.size());
  CHECK(r == want);
  for (std::size_t i = 0; i < want.size(); i += 97) CHECK(r[i] == want[i]);
  CHECK(r.back() == want.back());
}
