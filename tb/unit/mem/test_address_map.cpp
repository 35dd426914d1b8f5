#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>
#include <string>

#include "common/error.h"
#include "mem/address_map.h"

using iommusim::AddressMap;
using iommusim::Addr;
using iommusim::DramCoord;
using iommusim::DramGeometry;
using iommusim::InputError;

namespace {

// 4 channels (2 bits), 2 ranks (1), 8 banks (3), 2 KiB rows of 64 B bursts
// (5 column bits), 6 byte-offset bits.
DramGeometry geometry(const std::string& mapping) { return {4, 2, 8, 2048, 64, mapping}; }

}  // namespace

TEST_CASE("address map: default mapping interleaves channels per burst", "[unit]") {
  AddressMap m(DramGeometry{});  // 2 ch, 1 rank, 16 banks, 8 KiB rows, 64 B bursts
  CHECK(m.decode(0x00) == DramCoord{0, 0, 0, 0, 0});
  CHECK(m.decode(0x3f) == DramCoord{0, 0, 0, 0, 0});
  CHECK(m.decode(0x40) == DramCoord{1, 0, 0, 0, 0});
  CHECK(m.decode(0x80) == DramCoord{0, 0, 0, 0, 1});
  // Offset 6 bits, Ch 1, Co 7, Ba 4, Ra 0, then Ro.
  CHECK(m.decode(Addr{3} << 14) == DramCoord{0, 0, 3, 0, 0});
  CHECK(m.decode(Addr{5} << 18) == DramCoord{0, 0, 0, 5, 0});
}

TEST_CASE("address map: field positions for each mapping", "[unit]") {
  // Bits above the 6 offset bits, least significant field first.
  SECTION("RoRaBaChCo") {
    AddressMap m(geometry("RoRaBaChCo"));
    CHECK(m.encode({1, 0, 0, 0, 0}) == Addr{1} << 11);  // Co 5 bits, then Ch
    CHECK(m.encode({0, 1, 0, 0, 0}) == Addr{1} << 16);  // Ch 2, Ba 3, then Ra
    CHECK(m.encode({0, 0, 0, 1, 0}) == Addr{1} << 17);
  }
  SECTION("RoCoRaBaCh") {
    AddressMap m(geometry("RoCoRaBaCh"));
    CHECK(m.encode({1, 0, 0, 0, 0}) == Addr{1} << 6);
    CHECK(m.encode({0, 0, 1, 0, 0}) == Addr{1} << 8);
    CHECK(m.encode({0, 1, 0, 0, 0}) == Addr{1} << 11);
    CHECK(m.encode({0, 0, 0, 0, 1}) == Addr{1} << 12);
    CHECK(m.encode({0, 0, 0, 1, 0}) == Addr{1} << 17);
  }
  SECTION("RoRaBaCoCh") {
    AddressMap m(geometry("RoRaBaCoCh"));
    CHECK(m.encode({0, 0, 0, 0, 1}) == Addr{1} << 8);
    CHECK(m.encode({0, 0, 1, 0, 0}) == Addr{1} << 13);
  }
}

TEST_CASE("address map: decode and encode are inverse for every mapping", "[unit]") {
  const char* mappings[] = {"RoRaBaCoCh", "RoRaBaChCo", "RoCoRaBaCh", "RoChCoBaRa", "RoBaRaChCo"};
  std::mt19937_64 rng(20240501);
  for (const char* mapping : mappings) {
    INFO("mapping " << mapping);
    AddressMap m(geometry(mapping));
    for (int i = 0; i < 10000; ++i) {
      const Addr a = rng() >> (rng() % 64);  // small and large offsets alike
      const DramCoord c = m.decode(a);
      REQUIRE(c.channel < 4);
      REQUIRE(c.rank < 2);
      REQUIRE(c.bank < 8);
      REQUIRE(c.column < 32);
      REQUIRE(m.encode(c) == (a & ~Addr{63}));
      REQUIRE(m.decode(m.encode(c)) == c);
    }
  }
}

TEST_CASE("address map: encode rejects coordinates outside the geometry", "[unit]") {
  AddressMap m(geometry("RoRaBaCoCh"));
  CHECK_THROWS_AS(m.encode({4, 0, 0, 0, 0}), std::out_of_range);
  CHECK_THROWS_AS(m.encode({0, 2, 0, 0, 0}), std::out_of_range);
  CHECK_THROWS_AS(m.encode({0, 0, 8, 0, 0}), std::out_of_range);
  CHECK_THROWS_AS(m.encode({0, 0, 0, 0, 32}), std::out_of_range);
  CHECK_THROWS_AS(m.encode({0, 0, 0, Addr{1} << 47, 0}), std::out_of_range);  // Ro has 47 bits
  CHECK(m.encode({0, 0, 0, (Addr{1} << 47) - 1, 0}) == ~Addr{0} << 17);
}

TEST_CASE("address map: geometry validation errors", "[unit]") {
  auto error = [](DramGeometry g) -> std::string {
    try {
      AddressMap m(g);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  DramGeometry g;
  g.channels = 3;
  CHECK(error(g) == "channels: expected a power of two, got 3");
  g = {};
  g.ranks = 0;
  CHECK(error(g) == "ranks: expected a power of two, got 0");
  g = {};
  g.banks = 12;
  CHECK(error(g) == "banks: expected a power of two, got 12");
  g = {};
  g.burst_bytes = 48;
  CHECK(error(g) == "burst_bytes: expected a power of two, got 48");
  g = {};
  g.row_bytes = 100;
  CHECK(error(g) == "row_bytes: expected a power of two >= burst_bytes, got 100");
  g = {};
  g.row_bytes = 32;
  CHECK(error(g) == "row_bytes: expected a power of two >= burst_bytes, got 32");
  g = {};
  g.row_bytes = Addr{1} << 62;
  g.channels = 8;
  CHECK(error(g) ==
        "row_bytes: channels * ranks * banks * row_bytes needs 69 address bits, more than 64");
  for (const char* bad : {"RoXx", "RoRaBaCoCo", "RoRaBaCoChCh", "rorabacoch", ""}) {
    g = {};
    g.mapping = bad;
    CHECK(error(g) ==
          "mapping '" + std::string(bad) + "': expected a permutation of Ro,Ra,Ba,Ch,Co");
  }
  g = {};
  g.mapping = "RaRoBaCoCh";
  CHECK(error(g) == "mapping 'RaRoBaCoCh': expected Ro first (the row takes all remaining high bits)");
}
