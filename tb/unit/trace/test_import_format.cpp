// Unit tests for match_event_format, the printf-style field matcher the
// importers share.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "trace/event_format.h"

using namespace iommusim;

TEST_CASE("import: event format conversions", "[import]") {
  std::vector<EventField> f;
  REQUIRE_FALSE(match_event_format("dev 3a:1f.07 iova 0xFFfe -> n=-12 u=42 tag=abc x:",
                                   "dev %x:%x.%x iova 0x%x -> n=%d u=%u tag=%s %s:", f));
  REQUIRE(f.size() == 8);
  CHECK(f[0].num == 0x3a);
  CHECK(f[1].num == 0x1f);
  CHECK(f[2].num == 7);
  CHECK(f[2].text == "07");
  CHECK(f[3].num == 0xfffe);
  CHECK(f[4].num == uint64_t(-12));
  CHECK(f[5].num == 42);
  CHECK(f[6].text == "abc");
  CHECK(f[7].text == "x");

  // blanks: one or more; %s may be empty; %* takes the rest
  REQUIRE_FALSE(match_event_format("IOMMU:   0000:00:02.0  attrs=A|B c", "IOMMU:%s %s attrs=%*", f));
  CHECK(f[0].text.empty());
  CHECK(f[1].text == "0000:00:02.0");
  CHECK(f[2].text == "A|B c");
  REQUIRE_FALSE(match_event_format("attrs=", "attrs=%*", f));
  CHECK(f[0].text.empty());
}

TEST_CASE("import: event format arrays", "[import]") {
  std::vector<EventField> f;
  REQUIRE_FALSE(match_event_format("a={0x1,0xffffffffffffffff} b={} c={0x10}", "a=%a b=%a c=%a", f));
  CHECK(f[0].array == std::vector<uint64_t>{1, ~0ull});
  CHECK(f[0].text == "{0x1,0xffffffffffffffff}");
  CHECK(f[1].array.empty());
  CHECK(f[2].array == std::vector<uint64_t>{0x10});
  CHECK(*match_event_format("a={0x1;0x2}", "a=%a", f) == "at column 7: expected ',' or '}', found ';0x2}'");
  CHECK(*match_event_format("a={1}", "a=%a", f) == "at column 4: expected '0x' (an array element), found '1}'");
  CHECK(*match_event_format("a=0x1", "a=%a", f) == "at column 3: expected '{' (an array), found '0x1'");
}

TEST_CASE("import: event format mismatches name the column and what was expected", "[import]") {
  std::vector<EventField> f;
  CHECK(*match_event_format("addr 0x18 size 0x4 val", "addr 0x%x size 0x%x value 0x%x", f) ==
        "at column 20: expected 'value', found 'val'");
  CHECK(*match_event_format("addr 0xg", "addr 0x%x", f) == "at column 8: expected a hex number, found 'g'");
  CHECK(*match_event_format("n=x", "n=%d", f) == "at column 3: expected a decimal number, found 'x'");
  CHECK(*match_event_format("n=1 extra", "n=%u", f) == "at column 4: expected the end of the line, found ' extra'");
  CHECK(*match_event_format("n=1", "n=%u m", f) == "at column 4: expected a blank, found the end of the line");
  CHECK(*match_event_format("n=18446744073709551616", "n=%u", f) ==
        "at column 3: expected a number that fits in 64 bits, found '18446744073709551616'");
  CHECK(*match_event_format("x", "%q", f) == "bad pattern conversion '%q'");
  CHECK_FALSE(match_event_format("n=18446744073709551615", "n=%u", f));
  CHECK(f[0].num == ~0ull);
}
