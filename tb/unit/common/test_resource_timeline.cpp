#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "common/resource_timeline.h"

using iommusim::ResourceTimeline;
using iommusim::Tick;

TEST_CASE("timeline: back-to-back reservations queue and merge", "[unit]") {
  ResourceTimeline t;
  CHECK(t.busy_until() == 0);
  CHECK(t.reserve(100, 10) == 100);
  CHECK(t.reserve(100, 10) == 110);  // waits for the first
  CHECK(t.reserve(105, 5) == 120);
  CHECK(t.intervals() == 1);  // [100, 125) after merging
  CHECK(t.busy_until() == 125);
  CHECK(t.reserve(200, 10) == 200);  // idle resource: starts on arrival
  CHECK(t.intervals() == 2);
  CHECK(t.busy_until() == 210);
}

TEST_CASE("timeline: an earlier gap that fits is used", "[unit]") {
  ResourceTimeline t;
  CHECK(t.reserve(0, 10) == 0);
  CHECK(t.reserve(30, 10) == 30);
  CHECK(t.reserve(60, 10) == 60);
  // [10, 30) fits 20 exactly; joins both neighbours into [0, 40).
  CHECK(t.reserve(5, 20) == 10);
  CHECK(t.intervals() == 2);
  // [40, 60) is too short for 25: goes after the last interval.
  CHECK(t.reserve(35, 25) == 70);
  // Inside a gap: starts on arrival.
  CHECK(t.reserve(45, 5) == 45);
  CHECK(t.intervals() == 3);  // [0,40) [45,50) [60,95)
  CHECK(t.busy_until() == 95);
}

TEST_CASE("timeline: zero duration books nothing", "[unit]") {
  ResourceTimeline t;
  CHECK(t.reserve(50, 10) == 50);
  CHECK(t.reserve(55, 0) == 55);
  CHECK(t.reserve(20, 0) == 20);
  CHECK(t.intervals() == 1);
  CHECK(t.busy_until() == 60);
}

TEST_CASE("timeline: old intervals are forgotten, late requests start after them", "[unit]") {
  const Tick horizon = 1000;
  ResourceTimeline t(horizon);
  CHECK(t.reserve(0, 10) == 0);
  CHECK(t.reserve(500, 10) == 500);
  // The latest request moves to 1600: [0,10) and [500,510) end before 600.
  CHECK(t.reserve(1600, 10) == 1600);
  CHECK(t.intervals() == 1);
  // The gap [10, 500) is forgotten too: treated as busy up to 510.
  CHECK(t.reserve(100, 10) == 510);
  CHECK(t.reserve(0, 0) == 510);
}

TEST_CASE("timeline: a million reservations keep memory bounded", "[unit]") {
  // 2.5 ns bursts every 5 ns: every reservation is its own interval.
  ResourceTimeline small(1'000'000);  // 1 us horizon
  ResourceTimeline standard;          // 1 ms horizon
  for (Tick i = 0; i < 1'000'000; ++i) {
    REQUIRE(small.reserve(i * 5000, 2500) == i * 5000);
    REQUIRE(standard.reserve(i * 1'000'000, 2500) == i * 1'000'000);
  }
  CHECK(small.intervals() <= 202);
  CHECK(standard.intervals() <= 1002);
  CHECK(small.busy_until() == 999'999 * Tick{5000} + 2500);
}

namespace {
// The timeline's rules written the plainest way (a tree of intervals), to
// check the flat implementation against.
struct ReferenceTimeline {
  Tick horizon, latest = 0, forgotten = 0;
  std::map<Tick, Tick> busy;
  Tick reserve(Tick earliest, Tick duration) {
    if (earliest > latest) {
      latest = earliest;
      if (latest > horizon)
        while (!busy.empty() && busy.begin()->second < latest - horizon) {
          forgotten = busy.begin()->second;
          busy.erase(busy.begin());
        }
    }
    Tick start = std::max(earliest, forgotten);
    if (duration == 0) return start;
    for (bool moved = true; moved;) {  // first gap of `duration` at or after start
      moved = false;
      for (const auto& [s, e] : busy)
        if (s < start + duration && e > start) {
          start = e;
          moved = true;
        }
    }
    busy[start] = start + duration;
    for (auto it = busy.begin(); std::next(it) != busy.end();) {  // merge touching
      auto n = std::next(it);
      if (it->second == n->first) {
        it->second = n->second;
        busy.erase(n);
      } else {
        ++it;
      }
    }
    return start;
  }
};
}  // namespace

TEST_CASE("timeline: random reservations match the reference rules (seeded)", "[unit]") {
  for (std::uint32_t seed : {1u, 2u, 3u, 4u, 5u}) {
    std::mt19937_64 rng(seed);
    const Tick horizon = 2000 + rng() % 5000;
    ResourceTimeline t(horizon);
    ReferenceTimeline ref{horizon, 0, 0, {}};
    Tick now = 0;
    for (int i = 0; i < 3000; ++i) {
      now += rng() % 40;
      // Mostly near the present, sometimes into the past (decoupled
      // initiators), sometimes zero-length.
      const Tick back = rng() % 4 == 0 ? rng() % 3000 : rng() % 30;
      const Tick earliest = now > back ? now - back : 0;
      const Tick duration = rng() % 10 == 0 ? 0 : 1 + rng() % 60;
      INFO("seed " << seed << " step " << i);
      REQUIRE(t.reserve(earliest, duration) == ref.reserve(earliest, duration));
      REQUIRE(t.intervals() == ref.busy.size());
      REQUIRE(t.busy_until() == (ref.busy.empty() ? ref.forgotten : ref.busy.rbegin()->second));
    }
  }
}
