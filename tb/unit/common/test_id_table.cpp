// Unit tests of the 16-bit id table (models/common/id_table.h).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "common/id_table.h"

using iommusim::IdTable;

TEST_CASE("IdTable: empty table finds nothing and allocates no page", "[common][id_table]") {
  IdTable<int> t;
  CHECK(t.find(0) == nullptr);
  CHECK(t.find(0xffff) == nullptr);
  CHECK(t.size() == 0);
  CHECK(t.pages_used() == 0);
}

TEST_CASE("IdTable: emplace stores once, find returns the same value", "[common][id_table]") {
  IdTable<std::string> t;
  std::string& a = t.emplace(0x0018, "nic0");
  CHECK(a == "nic0");
  CHECK(t.size() == 1);
  CHECK(t.pages_used() == 1);
  REQUIRE(t.find(0x0018) != nullptr);
  CHECK(t.find(0x0018) == &a);
  // Same page, other id: absent.
  CHECK(t.find(0x0019) == nullptr);
  CHECK(t.find(0x0118) == nullptr);
  // A second emplace keeps the first value.
  std::string& again = t.emplace(0x0018, "other");
  CHECK(&again == &a);
  CHECK(a == "nic0");
  CHECK(t.size() == 1);
}

TEST_CASE("IdTable: values keep their address as ids are added", "[common][id_table]") {
  IdTable<int> t;
  int* first = &t.emplace(0, 7);
  for (std::uint32_t id = 1; id <= 0xffff; id += 97) t.emplace(static_cast<std::uint16_t>(id), int(id));
  t.emplace(0xffff, -1);
  CHECK(t.find(0) == first);
  CHECK(*first == 7);
  CHECK(*t.find(0xffff) == -1);
  CHECK(*t.find(98) == 98);
  CHECK(t.find(97) == nullptr);
  // ids 0, 0xffff and 1, 98, ..., 65476 (676 of them).
  CHECK(t.size() == 678);
  CHECK(t.pages_used() == 256);
}

TEST_CASE("IdTable: const find", "[common][id_table]") {
  IdTable<int> t;
  t.emplace(0x1234, 5);
  const IdTable<int>& c = t;
  REQUIRE(c.find(0x1234) != nullptr);
  CHECK(*c.find(0x1234) == 5);
  CHECK(c.find(0x1235) == nullptr);
  CHECK(t.pages_used() == 1);
}
