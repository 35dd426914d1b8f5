// Unit tests for BdfTable (common/bdf_table.h): a Bdf-keyed table with
// constant-time lookup.
#include <catch2/catch.hpp>

#include <map>

#include "common/bdf_table.h"

using namespace iommusim;

namespace {
Bdf bdf(std::uint16_t seg, std::uint8_t bus, std::uint8_t dev, std::uint8_t fn) {
  Bdf b;
  b.segment = seg;
  b.bus = bus;
  b.dev = dev;
  b.fn = fn;
  return b;
}
}  // namespace

TEST_CASE("bdf_table: empty table finds nothing", "[unit]") {
  BdfTable<int> t;
  CHECK(t.size() == 0);
  CHECK(t.find(bdf(0, 0, 3, 0)) == nullptr);
  CHECK(t.find(bdf(1, 0xff, 0x1f, 7)) == nullptr);
}

TEST_CASE("bdf_table: set, replace and find by segment, bus, device and function", "[unit]") {
  BdfTable<int> t;
  t.set(bdf(0, 0, 3, 0), 1);
  t.set(bdf(0, 0, 3, 1), 2);   // same device, other function
  t.set(bdf(0, 0, 4, 0), 3);   // same bus, other device
  t.set(bdf(0, 0x3a, 3, 0), 4);  // other bus
  t.set(bdf(1, 0, 3, 0), 5);   // other segment
  CHECK(t.size() == 5);
  REQUIRE(t.find(bdf(0, 0, 3, 0)));
  CHECK(*t.find(bdf(0, 0, 3, 0)) == 1);
  CHECK(*t.find(bdf(0, 0, 3, 1)) == 2);
  CHECK(*t.find(bdf(0, 0, 4, 0)) == 3);
  CHECK(*t.find(bdf(0, 0x3a, 3, 0)) == 4);
  CHECK(*t.find(bdf(1, 0, 3, 0)) == 5);
  CHECK(t.find(bdf(0, 0, 3, 2)) == nullptr);
  CHECK(t.find(bdf(0, 0x3a, 3, 1)) == nullptr);
  CHECK(t.find(bdf(2, 0, 3, 0)) == nullptr);
  t.set(bdf(0, 0, 3, 0), 7);  // replace: the size stays
  CHECK(t.size() == 5);
  CHECK(*t.find(bdf(0, 0, 3, 0)) == 7);
}

TEST_CASE("bdf_table: a value of 0 (a route to unit 0) is found, not missing", "[unit]") {
  BdfTable<int> t;
  t.set(bdf(0, 0xff, 0x1f, 7), 0);
  REQUIRE(t.find(bdf(0, 0xff, 0x1f, 7)));
  CHECK(*t.find(bdf(0, 0xff, 0x1f, 7)) == 0);
  CHECK(t.find(bdf(0, 0xff, 0x1f, 6)) == nullptr);
}

TEST_CASE("bdf_table: agrees with std::map over many functions", "[unit]") {
  BdfTable<int> t;
  std::map<Bdf, int> ref;
  std::uint32_t x = 1;
  for (int i = 0; i < 2000; ++i) {
    x = x * 1103515245u + 12345u;
    const Bdf b = bdf(static_cast<std::uint16_t>((x >> 28) & 1), static_cast<std::uint8_t>(x >> 20),
                      static_cast<std::uint8_t>((x >> 8) & 0x1f), static_cast<std::uint8_t>((x >> 4) & 7));
    t.set(b, i);
    ref[b] = i;
  }
  CHECK(t.size() == ref.size());
  for (const auto& [b, v] : ref) {
    REQUIRE(t.find(b));
    CHECK(*t.find(b) == v);
  }
  for (std::uint32_t seg = 0; seg < 2; ++seg)
    for (std::uint32_t bus = 0; bus < 256; bus += 7)
      for (std::uint32_t d = 0; d < 32; ++d)
        for (std::uint32_t f = 0; f < 8; ++f) {
          const Bdf b = bdf(static_cast<std::uint16_t>(seg), static_cast<std::uint8_t>(bus),
                            static_cast<std::uint8_t>(d), static_cast<std::uint8_t>(f));
          const auto it = ref.find(b);
          const int* v = t.find(b);
          if (it == ref.end()) {
            CHECK(v == nullptr);
          } else {
            REQUIRE(v);
            CHECK(*v == it->second);
          }
        }
}
