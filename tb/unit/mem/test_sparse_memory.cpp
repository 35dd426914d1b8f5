#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "common/error.h"
#include "mem/backing_store.h"

using iommusim::Addr;
using iommusim::SparseMemory;

TEST_CASE("memory: untouched memory reads zeros without allocating", "[unit]") {
  SparseMemory m;
  std::vector<uint8_t> buf(10000, 0xaa);
  m.read(0x1234'5678'9000, buf.data(), buf.size());
  CHECK(buf == std::vector<uint8_t>(10000, 0));
  CHECK(m.read_le(0xfff'ffff'fff8, 8) == 0);
  CHECK(m.pages_allocated() == 0);
}

TEST_CASE("memory: read and write across pages", "[unit]") {
  SparseMemory m;
  const Addr a = 3 * SparseMemory::kPageBytes - 100;  // spans pages 2, 3 and 4
  std::vector<uint8_t> data(SparseMemory::kPageBytes + 200);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);
  m.write(a, data.data(), data.size());
  CHECK(m.pages_allocated() == 3);

  std::vector<uint8_t> back(data.size());
  m.read(a, back.data(), back.size());
  CHECK(back == data);

  // Neighbouring bytes are still zero.
  CHECK(m.read_le(a - 1, 1) == 0);
  CHECK(m.read_le(a + data.size(), 1) == 0);
}

TEST_CASE("memory: little-endian integers", "[unit]") {
  SparseMemory m;
  m.write_le(0x1ffd, 0x1122'3344'5566'7788, 8);  // crosses a page boundary
  CHECK(m.read_le(0x1ffd, 8) == 0x1122'3344'5566'7788);
  CHECK(m.read_le(0x1ffd, 1) == 0x88);
  CHECK(m.read_le(0x1ffe, 2) == 0x6677);
  CHECK(m.read_le(0x2001, 4) == 0x1122'3344);
  m.write_le(0x1ffd, 0xabcd, 2);  // only the low two bytes
  CHECK(m.read_le(0x1ffd, 8) == 0x1122'3344'5566'abcd);
  CHECK_THROWS_AS(m.read_le(0, 0), std::invalid_argument);
  CHECK_THROWS_AS(m.write_le(0, 0, 9), std::invalid_argument);
}

TEST_CASE("memory: width 52 upper bound", "[unit]") {
  SparseMemory m;  // 52 bits
  const Addr top = Addr{1} << 52;
  CHECK(m.in_range(top - 8, 8));
  CHECK_FALSE(m.in_range(top - 8, 9));
  CHECK_FALSE(m.in_range(top, 1));
  CHECK_FALSE(m.in_range(~Addr{0}, 2));  // would wrap around 2^64
  m.write_le(top - 8, 0x0102'0304'0506'0708, 8);
  CHECK(m.read_le(top - 8, 8) == 0x0102'0304'0506'0708);

  SparseMemory full(64);
  CHECK(full.in_range(~Addr{0}, 1));
  CHECK_FALSE(full.in_range(~Addr{0}, 2));
  full.write_le(~Addr{0} - 3, 0xdeadbeef, 4);
  CHECK(full.read_le(~Addr{0} - 3, 4) == 0xdeadbeef);
}

TEST_CASE("memory: out-of-range accesses throw naming the address", "[unit]") {
  SparseMemory m(32);
  uint8_t buf[16] = {};
  CHECK_THROWS_WITH(m.read(0xffff'fff8, buf, 16), Catch::Contains("0xfffffff8"));
  CHECK_THROWS_AS(m.write(0x1'0000'0000, buf, 1), std::out_of_range);
  CHECK_THROWS_AS(m.page_for_dmi(0x1'0000'0000), std::out_of_range);
  CHECK(m.pages_allocated() == 0);
}

TEST_CASE("memory: DMI page is the backing page", "[unit]") {
  SparseMemory m;
  uint8_t* page = m.page_for_dmi(0x5123);
  CHECK(m.pages_allocated() == 1);
  page[0x123] = 0x5a;
  CHECK(m.read_le(0x5123, 1) == 0x5a);
  m.write_le(0x5ffc, 0x01020304, 4);
  CHECK(page[0xffc] == 0x04);
  CHECK(m.page_for_dmi(0x5fff) == page);
}

TEST_CASE("memory: address width is validated", "[unit]") {
  CHECK_THROWS_WITH(SparseMemory(31), "address_bits: expected 32..64, got 31");
  CHECK_THROWS_AS(SparseMemory(65), iommusim::InputError);
}
