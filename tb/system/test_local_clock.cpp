// LocalClock (common/local_clock.h): quantum 0 waits, and its lookahead goes
// on without waiting only while no other process has activity before the
// local time. Each test case elaborates its own SystemC model (one process
// per case under CTest).
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <systemc>

#include "common/local_clock.h"
#include "common/sc_time_conv.h"

using namespace iommusim;

namespace {

// One thread that advances its clock to each time of `targets` in turn and
// records (target, SystemC time after advance_to), then syncs.
struct Issuer : sc_core::sc_module {
  SC_HAS_PROCESS(Issuer);
  Issuer(sc_core::sc_module_name n, LocalClock c, std::vector<Tick> t) : sc_module(n), clock(c), targets(std::move(t)) {
    SC_THREAD(run);
  }
  void run() {
    sc_core::wait(sc_core::SC_ZERO_TIME);  // every other process has reached its first wait
    for (Tick t : targets) {
      clock.advance_to(t);
      seen.push_back({t, now_tick()});
    }
    clock.sync();
    synced_at = now_tick();
  }
  LocalClock clock;
  std::vector<Tick> targets;
  std::vector<std::pair<Tick, Tick>> seen;
  Tick synced_at = 0;
};

// Another process with activity at one time: records when it ran.
struct Other : sc_core::sc_module {
  SC_HAS_PROCESS(Other);
  Other(sc_core::sc_module_name n, Tick at) : sc_module(n), at_(at) { SC_THREAD(run); }
  void run() {
    sc_core::wait(to_sc_time(at_));
    ran_at = now_tick();
  }
  Tick at_;
  Tick ran_at = 0;
};

using Seen = std::vector<std::pair<Tick, Tick>>;

}  // namespace

TEST_CASE("LocalClock at quantum 0 without lookahead waits for every time") {
  Issuer a("a", LocalClock(0), {100, 200});
  sc_core::sc_start();
  CHECK(a.seen == Seen{{100, 100}, {200, 200}});
  CHECK(a.synced_at == 200);
}

TEST_CASE("LocalClock lookahead alone in the simulation never waits until sync") {
  Issuer a("a", LocalClock(0, true, 0), {100, 200, 200, 150});
  sc_core::sc_start();
  CHECK(a.seen == Seen{{100, 0}, {200, 0}, {200, 0}, {150, 0}});
  CHECK(a.synced_at == 200);  // the latest time it went on without waiting
  CHECK(now_tick() == 200);
}

TEST_CASE("LocalClock lookahead waits once another process has activity before the local time") {
  Issuer a("a", LocalClock(0, true, 0), {100, 200, 300});
  Other b("b", 150);
  sc_core::sc_start();
  // 100 < 150: goes on; 200 > 150: waits, so b runs at 150 first; then
  // nothing is pending and 300 goes on without waiting.
  CHECK(a.seen == Seen{{100, 0}, {200, 200}, {300, 200}});
  CHECK(b.ran_at == 150);
  CHECK(a.synced_at == 300);
}

TEST_CASE("LocalClock lookahead waits for a tie with another process's activity") {
  Issuer a("a", LocalClock(0, true, 0), {150});
  Other b("b", 150);
  sc_core::sc_start();
  CHECK(a.seen == Seen{{150, 150}});
}

TEST_CASE("LocalClock lookahead never goes on at or past the run's end time") {
  Issuer a("a", LocalClock(0, true, 250), {100, 250, 300});
  sc_core::sc_start(to_sc_time(1000));
  // 100 goes on; 250 is the end: waits there, as the reference does.
  CHECK(a.seen == Seen{{100, 0}, {250, 250}, {300, 300}});
}

TEST_CASE("LocalClock with a quantum waits only once a whole quantum ahead") {
  Issuer a("a", LocalClock(100), {50, 99, 100, 250});
  sc_core::sc_start();
  CHECK(a.seen == Seen{{50, 0}, {99, 0}, {100, 100}, {250, 250}});
}
