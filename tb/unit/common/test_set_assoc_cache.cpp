#include <catch2/catch.hpp>

#include <cstdint>
#include <list>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/replacement.h"
#include "common/set_assoc_cache.h"

using iommusim::parse_replacement;
using iommusim::replacement_name;
using iommusim::ReplacementPolicy;
using iommusim::ReplacementState;
using iommusim::SetAssocCache;
using iommusim::SplitMix64;
using iommusim::Tick;

namespace {

using Cache = SetAssocCache<int, int>;

std::size_t mod2(const int& k) { return static_cast<std::size_t>(k) % 2; }

// Looks `key` up; on a miss inserts it with value key*10. Returns "h<key>",
// "m<key>" or "m<key>/<evicted key>".
std::string access(Cache& c, int key) {
  if (int* v = c.lookup(key)) {
    CHECK(*v == key * 10);
    return "h" + std::to_string(key);
  }
  auto ev = c.insert(key, key * 10, 0);
  std::string out = "m" + std::to_string(key);
  if (ev) {
    CHECK(ev->value == ev->key * 10);
    out += "/" + std::to_string(ev->key);
  }
  return out;
}

std::string run(Cache& c, const std::vector<int>& keys) {
  std::string out;
  for (int k : keys) {
    if (!out.empty()) out += ' ';
    out += access(c, k);
  }
  return out;
}

const std::vector<int> kBelady = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
const std::vector<int> kTwoSets = {0, 2, 4, 1, 3, 0, 5, 2, 3, 0, 7, 4};

}  // namespace

TEST_CASE("cache: policy names parse and print", "[unit][cache]") {
  CHECK(parse_replacement("lru") == ReplacementPolicy::Lru);
  CHECK(parse_replacement("plru") == ReplacementPolicy::TreePlru);
  CHECK(parse_replacement("fifo") == ReplacementPolicy::Fifo);
  CHECK(parse_replacement("random") == ReplacementPolicy::Random);
  CHECK_FALSE(parse_replacement("LRU").has_value());
  CHECK_FALSE(parse_replacement("").has_value());
  CHECK_FALSE(parse_replacement("tree-plru").has_value());
  for (auto p : {ReplacementPolicy::Lru, ReplacementPolicy::TreePlru, ReplacementPolicy::Fifo,
                 ReplacementPolicy::Random}) {
    CHECK(parse_replacement(replacement_name(p)) == p);
  }
}

TEST_CASE("cache: lru, one set of 4 ways, Belady's sequence", "[unit][cache]") {
  Cache c(4, 4, ReplacementPolicy::Lru);
  CHECK(run(c, kBelady) == "m1 m2 m3 m4 h1 h2 m5/3 h1 h2 m3/4 m4/5 m5/1");
  CHECK(c.hits() == 4);
  CHECK(c.misses() == 8);
  CHECK(c.fills() == 8);
  CHECK(c.evictions() == 4);
  CHECK(c.size() == 4);
  // LRU order of the ways (for_each visits one set's slots in way order).
  std::vector<int> by_way;
  c.for_each([&](const int& k, const int&) { by_way.push_back(k); });
  std::vector<int> lru_to_mru;
  for (std::size_t w : c.replacement().order(0)) lru_to_mru.push_back(by_way.at(w));
  CHECK(lru_to_mru == std::vector<int>{2, 3, 4, 5});
}

TEST_CASE("cache: lru, 2 sets x 2 ways", "[unit][cache]") {
  Cache c(4, 2, ReplacementPolicy::Lru, 1, mod2);
  CHECK(c.sets() == 2);
  CHECK(run(c, kTwoSets) == "m0 m2 m4/0 m1 m3 m0/2 m5/1 m2/4 h3 h0 m7/5 m4/2");
  CHECK(c.hits() == 2);
  CHECK(c.misses() == 10);
  CHECK(c.evictions() == 6);
}

TEST_CASE("cache: fifo ignores hits and shows Belady's anomaly", "[unit][cache]") {
  Cache four(4, 4, ReplacementPolicy::Fifo);
  CHECK(run(four, kBelady) == "m1 m2 m3 m4 h1 h2 m5/1 m1/2 m2/3 m3/4 m4/5 m5/1");
  CHECK(four.misses() == 10);
  Cache three(3, 0, ReplacementPolicy::Fifo);
  CHECK(run(three, kBelady) == "m1 m2 m3 m4/1 m1/2 m2/3 m5/4 h1 h2 m3/1 m4/2 h5");
  CHECK(three.misses() == 9);
}

TEST_CASE("cache: fifo, 2 sets x 2 ways", "[unit][cache]") {
  Cache c(4, 2, ReplacementPolicy::Fifo, 1, mod2);
  CHECK(run(c, kTwoSets) == "m0 m2 m4/0 m1 m3 m0/2 m5/1 m2/4 h3 h0 m7/3 m4/0");
}

TEST_CASE("cache: tree-plru, one set of 4 ways", "[unit][cache]") {
  Cache c(4, 4, ReplacementPolicy::TreePlru);
  const auto& r = c.replacement();
  // Fills of w0..w3 leave b0=0 b1=0 b2=0.
  CHECK(run(c, {1, 2, 3, 4}) == "m1 m2 m3 m4");
  CHECK_FALSE(r.plru_bit(0, 0));
  CHECK_FALSE(r.plru_bit(0, 1));
  CHECK_FALSE(r.plru_bit(0, 2));
  // Touch w0 (b0=1 b1=1), w1 (b0=1 b1=0), w2 (b0=0 b2=1).
  CHECK(run(c, {1, 2, 3}) == "h1 h2 h3");
  CHECK_FALSE(r.plru_bit(0, 0));
  CHECK_FALSE(r.plru_bit(0, 1));
  CHECK(r.plru_bit(0, 2));
  // Victim: b0=0 -> left, b1=0 -> w0 (key 1), where true LRU would evict 4.
  CHECK(access(c, 5) == "m5/1");  // fill w0: b0=1 b1=1 (b2=1)
  CHECK(access(c, 6) == "m6/4");  // b0=1 -> right, b2=1 -> w3; fill w3: b0=0 b2=0
  CHECK(access(c, 2) == "h2");    // w1: b0=1 b1=0
  CHECK(access(c, 7) == "m7/3");  // b0=1 -> right, b2=0 -> w2; fill: b0=0 b2=1
  CHECK(access(c, 8) == "m8/5");  // b0=0 -> left, b1=0 -> w0
}

TEST_CASE("cache: tree-plru, 2 sets x 2 ways behaves as lru", "[unit][cache]") {
  Cache c(4, 2, ReplacementPolicy::TreePlru, 1, mod2);
  CHECK(run(c, kTwoSets) == "m0 m2 m4/0 m1 m3 m0/2 m5/1 m2/4 h3 h0 m7/5 m4/2");
}

TEST_CASE("cache: tree-plru bits of an 8-way set", "[unit][cache]") {
  ReplacementState r(ReplacementPolicy::TreePlru, 2, 8);
  CHECK(r.victim(0) == 0);
  // Way 5 = right, left, right: nodes 0, 2, 5 point away from it.
  r.touch(0, 5);
  CHECK_FALSE(r.plru_bit(0, 0));
  CHECK(r.plru_bit(0, 2));
  CHECK_FALSE(r.plru_bit(0, 5));
  CHECK(r.victim(0) == 0);
  r.touch(0, 0);  // nodes 0, 1, 3 -> 1, 1, 1: victim right, b2=1 -> node 6 (0) -> way 6
  CHECK(r.victim(0) == 6);
  r.invalidate(0, 3);  // point toward way 3
  CHECK(r.victim(0) == 3);
  CHECK(r.victim(1) == 0);  // other set untouched
  r.reset();
  CHECK(r.victim(0) == 0);
}

TEST_CASE("cache: random victims for seed 1 follow splitmix64", "[unit][cache]") {
  // splitmix64(seed 1) outputs: 0x910a2dec89025cc1 (%4 = 1), 0xbeeb8da1658eec67 (3),
  // 0xf893a2eefb32555e (2), 0x71c18690ee42c90b (3), 0x71bb54d8d101b5b9 (1),
  // 0xc34d0bff90150280 (0), 0xe099ec6cd7363ca5 (1).
  SplitMix64 g(1);
  CHECK(g.next() == 0x910a2dec89025cc1ULL);
  CHECK(g.next() == 0xbeeb8da1658eec67ULL);
  SplitMix64 ref(1234567);  // published test vector
  CHECK(ref.next() == 6457827717110365317ULL);
  CHECK(ref.next() == 3203168211198807973ULL);

  Cache c(4, 4, ReplacementPolicy::Random, 1);
  // Fills take ways 0..3 without drawing; then victims are ways 1 3 2 3 1 0.
  CHECK(run(c, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) ==
        "m0 m1 m2 m3 m4/1 m5/3 m6/2 m7/5 m8/4 m9/0");

  // One stream per cache, shared by its sets: %2 = 1 1 0 1 1 0 1.
  Cache two(4, 2, ReplacementPolicy::Random, 1, mod2);
  CHECK(run(two, kTwoSets) == "m0 m2 m4/2 m1 m3 h0 m5/3 m2/0 m3/5 m0/4 m7/1 m4/0");
}

TEST_CASE("cache: random is deterministic and picks valid ways", "[unit][cache]") {
  std::vector<int> keys;
  std::mt19937 gen(5);
  for (int i = 0; i < 2000; ++i) keys.push_back(static_cast<int>(gen() % 40));
  Cache a(12, 6, ReplacementPolicy::Random, 7);
  Cache b(12, 6, ReplacementPolicy::Random, 7);
  Cache d(12, 6, ReplacementPolicy::Random, 8);
  const std::string ta = run(a, keys);
  CHECK(ta == run(b, keys));
  CHECK(ta != run(d, keys));

  ReplacementState r(ReplacementPolicy::Random, 1, 6, 3);
  std::set<std::size_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::size_t v = r.victim(0);
    REQUIRE(v < 6);
    seen.insert(v);
  }
  CHECK(seen.size() == 6);
}

TEST_CASE("cache: insert of a present key replaces it in place", "[unit][cache]") {
  for (auto p : {ReplacementPolicy::Lru, ReplacementPolicy::TreePlru, ReplacementPolicy::Fifo,
                 ReplacementPolicy::Random}) {
    Cache c(4, 4, p);
    CHECK_FALSE(c.insert(1, 10, 5).has_value());
    CHECK_FALSE(c.insert(2, 20, 5).has_value());
    CHECK_FALSE(c.insert(1, 11, 9).has_value());
    CHECK(c.size() == 2);
    CHECK(c.fills() == 3);
    CHECK(c.evictions() == 0);
    Tick ready = 0;
    const int* v = c.peek(1, &ready);
    REQUIRE(v != nullptr);
    CHECK(*v == 11);
    CHECK(ready == 9);
    // Still in its original way: two more inserts fill ways 2 and 3 without evicting.
    CHECK_FALSE(c.insert(3, 30, 0).has_value());
    CHECK_FALSE(c.insert(4, 40, 0).has_value());
    CHECK(c.size() == 4);
  }
  // FIFO: rewriting does not renew the entry's age.
  Cache f(2, 2, ReplacementPolicy::Fifo);
  f.insert(1, 10, 0);
  f.insert(2, 20, 0);
  f.insert(1, 12, 0);
  auto ev = f.insert(3, 30, 0);
  REQUIRE(ev.has_value());
  CHECK(ev->key == 1);
  CHECK(ev->value == 12);
  // LRU: rewriting is a use.
  Cache l(2, 2, ReplacementPolicy::Lru);
  l.insert(1, 10, 0);
  l.insert(2, 20, 0);
  l.insert(1, 12, 0);
  ev = l.insert(3, 30, 0);
  REQUIRE(ev.has_value());
  CHECK(ev->key == 2);
}

TEST_CASE("cache: invalid ways are filled first, lowest index first", "[unit][cache]") {
  for (auto p : {ReplacementPolicy::Lru, ReplacementPolicy::TreePlru, ReplacementPolicy::Fifo,
                 ReplacementPolicy::Random}) {
    Cache c(4, 4, p);
    for (int k = 1; k <= 4; ++k) c.insert(k, k * 10, 0);
    CHECK(c.invalidate(3));
    CHECK(c.invalidate(1));
    CHECK_FALSE(c.invalidate(1));
    CHECK(c.size() == 2);
    CHECK(c.invalidations() == 2);
    CHECK_FALSE(c.insert(5, 50, 0).has_value());
    CHECK_FALSE(c.insert(6, 60, 0).has_value());
    // Slot order of for_each is way order: 5 took way 0, 6 took way 2.
    std::vector<int> order;
    c.for_each([&](const int& k, const int& v) {
      CHECK(v == k * 10);
      order.push_back(k);
    });
    CHECK(order == std::vector<int>{5, 2, 6, 4});
    CHECK(c.insert(7, 70, 0).has_value());  // now full: evicts
    CHECK(c.evictions() == 1);
  }
}

TEST_CASE("cache: invalidate_if removes exactly the matching entries", "[unit][cache]") {
  Cache c(16, 4, ReplacementPolicy::Lru);
  for (int k = 0; k < 16; ++k) c.insert(k, k * 10, 0);
  REQUIRE(c.size() == 16);
  std::size_t examined = 0;
  const std::size_t removed = c.invalidate_if([](const int& k, const int&) { return k % 3 == 0; },
                                              &examined);
  CHECK(removed == 6);  // 0 3 6 9 12 15
  CHECK(examined == 16);
  CHECK(c.size() == 10);
  CHECK(c.invalidations() == 6);
  for (int k = 0; k < 16; ++k) CHECK((c.peek(k) != nullptr) == (k % 3 != 0));
  // By value; only the valid entries are examined.
  CHECK(c.invalidate_if([](const int&, const int& v) { return v == 40; }, &examined) == 1);
  CHECK(examined == 10);
  CHECK(c.invalidate_if([](const int&, const int&) { return false; }) == 0);
  CHECK(c.size() == 9);
  // One set only.
  const std::size_t set = c.set_of(5);
  std::size_t in_set = 0;
  c.for_each([&](const int& k, const int&) { in_set += c.set_of(k) == set; });
  std::size_t ex = 0;
  CHECK(c.invalidate_in_set(set, [](const int&, const int&) { return true; }, &ex) == in_set);
  CHECK(ex == in_set);
  CHECK(c.peek(5) == nullptr);
  CHECK(c.size() == 9 - in_set);
  c.clear();
  CHECK(c.size() == 0);
  CHECK(c.invalidations() == 16);
  c.for_each([](const int&, const int&) { FAIL("entry left after clear"); });
}

TEST_CASE("cache: a line being filled is visible with its fill time", "[unit][cache]") {
  Cache c(8, 2, ReplacementPolicy::Lru);
  CHECK(c.lookup(42) == nullptr);
  c.insert(42, 7, 5000);  // walk completes at 5000 ps
  Tick ready = 0;
  int* v = c.lookup(42, &ready);
  REQUIRE(v != nullptr);
  CHECK(*v == 7);
  CHECK(ready == 5000);
  *v = 8;  // lookup gives write access
  CHECK(*c.peek(42) == 8);
  CHECK(c.hits() == 1);
  CHECK(c.misses() == 1);
  c.insert(42, 9, 7000);
  CHECK(c.lookup(42, &ready) != nullptr);
  CHECK(ready == 7000);
  // peek changes nothing.
  const auto hits = c.hits();
  CHECK(c.peek(43) == nullptr);
  CHECK(c.peek(42, &ready) != nullptr);
  CHECK(c.hits() == hits);
  CHECK(c.misses() == 1);
}

TEST_CASE("cache: custom set index function", "[unit][cache]") {
  // Index by bits [13:12] of an address key, like an IOTLB by page number.
  SetAssocCache<std::uint64_t, int> c(8, 2, ReplacementPolicy::Lru, 1,
                                      [](const std::uint64_t& a) { return (a >> 12) & 3; });
  CHECK(c.sets() == 4);
  CHECK(c.set_of(0x3000) == 3);
  CHECK(c.set_of(0x7000) == 3);
  CHECK(c.set_of(0x4000) == 0);
  // Three pages in set 3 with room for two: the first is evicted, set 0 untouched.
  c.insert(0x4000, 4, 0);
  c.insert(0x3000, 3, 0);
  c.insert(0x7000, 7, 0);
  auto ev = c.insert(0xb000, 11, 0);
  REQUIRE(ev.has_value());
  CHECK(ev->key == 0x3000);
  CHECK(c.peek(0x4000) != nullptr);
  // The result is reduced modulo sets.
  SetAssocCache<int, int> m(4, 2, ReplacementPolicy::Lru, 1, [](const int& k) {
    return static_cast<std::size_t>(k) * 2 + 1;
  });
  CHECK(m.set_of(0) == 1);
  CHECK(m.set_of(3) == 1);
}

TEST_CASE("cache: validation errors", "[unit][cache]") {
  auto message = [](auto f) -> std::string {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  CHECK(message([] { Cache(0, 0, ReplacementPolicy::Lru); }) ==
        "cache needs at least 1 entry, got 0");
  CHECK(message([] { Cache(0, 4, ReplacementPolicy::Lru); }) ==
        "cache needs at least 1 entry, got 0");
  CHECK(message([] { Cache(8, 3, ReplacementPolicy::Lru); }) ==
        "cache ways (3) must divide entries (8)");
  CHECK(message([] { Cache(4, 8, ReplacementPolicy::Lru); }) ==
        "cache ways (8) must divide entries (4)");
  CHECK(message([] { Cache(12, 6, ReplacementPolicy::TreePlru); }) ==
        "plru needs a power-of-two number of ways, got 6");
  CHECK(message([] { Cache(6, 0, ReplacementPolicy::TreePlru); }) ==
        "plru needs a power-of-two number of ways, got 6");
  CHECK(message([] { ReplacementState(ReplacementPolicy::Lru, 0, 4); }) ==
        "replacement needs at least 1 set, got 0");
  CHECK(message([] { ReplacementState(ReplacementPolicy::Lru, 1, 0); }) ==
        "replacement needs at least 1 way, got 0");
  CHECK(message([] { Cache(12, 6, ReplacementPolicy::Lru); }) == "no exception");
  CHECK(message([] { Cache(1, 1, ReplacementPolicy::TreePlru); }) == "no exception");
}

TEST_CASE("cache: fully associative mode", "[unit][cache]") {
  Cache c(6, 0, ReplacementPolicy::Lru);
  CHECK(c.ways() == 6);
  CHECK(c.sets() == 1);
  CHECK(c.entries() == 6);
  for (int k = 0; k < 6; ++k) CHECK_FALSE(c.insert(k * 1000, k, 0).has_value());
  CHECK(c.size() == 6);
  CHECK(c.lookup(0) != nullptr);
  auto ev = c.insert(99, 99, 0);
  REQUIRE(ev.has_value());
  CHECK(ev->key == 1000);  // least recently used
  // A large fully associative cache (hash-indexed).
  Cache big(64, 0, ReplacementPolicy::TreePlru);
  CHECK(big.sets() == 1);
  for (int k = 0; k < 64; ++k) CHECK_FALSE(big.insert(k, k * 10, 0).has_value());
  for (int k = 0; k < 64; ++k) CHECK(big.lookup(k) != nullptr);
  CHECK(big.insert(64, 640, 0).has_value());
  CHECK(big.size() == 64);
  CHECK(big.invalidate_if([](const int& k, const int&) { return k < 10; }) <= 10);
  big.for_each([&](const int& k, const int& v) {
    CHECK(v == k * 10);
    CHECK(k >= 10);
    CHECK(big.peek(k) != nullptr);
  });
}

namespace {

// Reference: per set a list of keys, most recently used first.
struct ReferenceLru {
  ReferenceLru(std::size_t n_sets, std::size_t n_ways) : lists(n_sets), ways(n_ways) {}
  std::vector<std::list<std::pair<int, int>>> lists;
  std::size_t ways;

  // Returns the value on a hit.
  const int* lookup(std::size_t set, int key) {
    auto& l = lists[set];
    for (auto it = l.begin(); it != l.end(); ++it) {
      if (it->first == key) {
        l.splice(l.begin(), l, it);
        return &l.front().second;
      }
    }
    return nullptr;
  }
  // Returns the evicted key or -1.
  int insert(std::size_t set, int key, int value) {
    auto& l = lists[set];
    if (lookup(set, key)) {
      l.front().second = value;
      return -1;
    }
    int evicted = -1;
    if (l.size() == ways) {
      evicted = l.back().first;
      l.pop_back();
    }
    l.emplace_front(key, value);
    return evicted;
  }
  bool invalidate(std::size_t set, int key) {
    auto& l = lists[set];
    for (auto it = l.begin(); it != l.end(); ++it) {
      if (it->first == key) {
        l.erase(it);
        return true;
      }
    }
    return false;
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& l : lists) n += l.size();
    return n;
  }
};

}  // namespace

TEST_CASE("cache: lru matches a reference model over 100k random accesses", "[unit][cache]") {
  struct Shape {
    std::size_t entries, ways;
  };
  // Scanned sets, direct mapped, and hash-indexed fully associative / wide sets.
  const Shape shape = GENERATE(Shape{16, 4}, Shape{8, 1}, Shape{32, 0}, Shape{64, 32});
  CAPTURE(shape.entries, shape.ways);
  Cache c(shape.entries, shape.ways, ReplacementPolicy::Lru, 1,
          [](const int& k) { return static_cast<std::size_t>(k) * 2654435761u >> 7; });
  ReferenceLru ref(c.sets(), c.ways());
  std::mt19937_64 gen(20240601);
  const int key_range = static_cast<int>(shape.entries) * 2;
  std::uint64_t hits = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto r = gen();
    // Skewed keys: half the accesses go to a hot quarter of the range.
    const int key = (r & 1) ? static_cast<int>((r >> 8) % (key_range / 4))
                            : static_cast<int>((r >> 8) % key_range);
    const std::size_t set = c.set_of(key);
    const unsigned op = static_cast<unsigned>((r >> 40) % 100);
    if (op < 5) {
      REQUIRE(c.invalidate(key) == ref.invalidate(set, key));
    } else if (op < 10) {
      const int value = i;
      const auto ev = c.insert(key, value, static_cast<Tick>(i));
      const int ref_ev = ref.insert(set, key, value);
      REQUIRE(ev.has_value() == (ref_ev != -1));
      if (ev) REQUIRE(ev->key == ref_ev);
    } else {
      Tick ready = 0;
      int* v = c.lookup(key, &ready);
      const int* rv = ref.lookup(set, key);
      REQUIRE((v != nullptr) == (rv != nullptr));
      if (v) {
        ++hits;
        REQUIRE(*v == *rv);
        REQUIRE(ready == static_cast<Tick>(*v));
      } else {
        const auto ev = c.insert(key, i, static_cast<Tick>(i));
        const int ref_ev = ref.insert(set, key, i);
        REQUIRE(ev.has_value() == (ref_ev != -1));
        if (ev) REQUIRE(ev->key == ref_ev);
      }
    }
    REQUIRE(c.size() == ref.size());
  }
  CHECK(c.hits() == hits);
  CHECK(hits > 10000);
  std::size_t n = 0;
  c.for_each([&](const int& k, const int& v) {
    ++n;
    const int* rv = ref.lookup(c.set_of(k), k);
    REQUIRE(rv != nullptr);
    CHECK(*rv == v);
  });
  CHECK(n == ref.size());
}
