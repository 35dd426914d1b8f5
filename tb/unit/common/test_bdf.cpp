// Unit tests for the BDF type and its parser.
#include <catch2/catch.hpp>

#include "common/bdf.h"

using namespace iommusim;

TEST_CASE("bdf: parse and format without segment", "[unit]") {
  auto b = parse_bdf("3a:1f.7");
  REQUIRE(b);
  CHECK(b->segment == 0);
  CHECK(b->bus == 0x3a);
  CHECK(b->dev == 0x1f);
  CHECK(b->fn == 7);
  CHECK(b->rid() == (0x3a << 8 | 0x1f << 3 | 7));
  CHECK(b->str() == "3a:1f.7");
  CHECK(parse_bdf("00:03.0")->str() == "00:03.0");
}

TEST_CASE("bdf: parse and format with segment", "[unit]") {
  auto b = parse_bdf("0001:3A:00.1");
  REQUIRE(b);
  CHECK(b->segment == 1);
  CHECK(b->str() == "0001:3a:00.1");
  // Segment 0 is written without the segment.
  CHECK(parse_bdf("0000:3a:00.1")->str() == "3a:00.1");
  CHECK(*parse_bdf("0000:3a:00.1") == *parse_bdf("3a:00.1"));
  CHECK(parse_bdf("ffff:ff:1f.7")->str() == "ffff:ff:1f.7");
}

TEST_CASE("bdf: malformed and out of range", "[unit]") {
  for (const char* s : {"", "0:3.0", "00:20.0", "00:03.8", "00-03.0", "00:03:0", "00:03.0 ",
                        "g0:03.0", "000:00:03.0", "00000:00:03.0", "0000:00:03", "host",
                        "00:03.00", "+0:03.0"})
    CHECK_FALSE(parse_bdf(s));
}

TEST_CASE("bdf: ordering and equality", "[unit]") {
  Bdf a = *parse_bdf("00:03.0"), b = *parse_bdf("00:03.1"), c = *parse_bdf("01:00.0"),
      d = *parse_bdf("0001:00:00.0");
  CHECK(a < b);
  CHECK(b < c);
  CHECK(c < d);
  CHECK_FALSE(b < a);
  CHECK(a == *parse_bdf("00:03.0"));
  CHECK(a != b);
}
