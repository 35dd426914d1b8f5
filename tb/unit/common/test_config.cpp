// Unit tests for the configuration access layer (models/common/config.h):
// loading, typed getters with defaults written back, exact error messages,
// unknown-key detection, command-line overrides and the integer parser.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <stdexcept>

#include <unistd.h>

#include "common/config.h"
#include "common/error.h"

using namespace iommusim;
using Catch::Matchers::StartsWith;

namespace {

// A config with the layout of configs/default.yaml (sections simulation,
// platform, workloads), used by several tests. Line numbers (1-based) are
// noted because messages name them.
const char* kPlatform =
    "simulation:\n"            // 1
    "  seed: 1\n"              // 2
    "platform:\n"              // 3
    "  memory:\n"              // 4
    "    name: mem0\n"         // 5
    "    dram:\n"              // 6
    "      banks: 16\n"        // 7
    "  endpoints:\n"           // 8
    "    - name: nic0\n"       // 9
    "      tags: 32\n"         // 10
    "    - name: nvme0\n"      // 11
    "      tags: 64\n";        // 12

// Reads every key of kPlatform, as the models would.
void read_platform(Config& c) {
  ConfigNode root = c.root();
  root.child("simulation").u64("seed", 0);
  ConfigNode platform = root.child("platform");
  ConfigNode memory = platform.child("memory");
  memory.str("name", "");
  memory.child("dram").u64("banks", 8);
  for (ConfigNode ep : platform.list("endpoints")) {
    ep.required_str("name");
    ep.u64("tags", 32);
  }
}

}  // namespace

// ------------------------------------------------------------------ loading

TEST_CASE("config: from_file on a missing file names the path and cannot open", "[unit][config]") {
  const std::string path = "/nonexistent-dir-iommusim/none.yaml";
  REQUIRE_THROWS_AS(Config::from_file(path), InputError);
  REQUIRE_THROWS_WITH(Config::from_file(path), StartsWith(path + ": cannot open"));
  REQUIRE_THROWS_WITH(Config::from_file(path), path + ": cannot open: No such file or directory");
  // A folder opens as a stream but is not a configuration file.
  REQUIRE_THROWS_WITH(Config::from_file("/tmp"), "/tmp: cannot open: not a regular file");
}

TEST_CASE("config: from_file reads a file and names it in messages", "[unit][config]") {
  const std::string path = "/tmp/iommusim_test_config_" + std::to_string(::getpid()) + ".yaml";
  {
    std::ofstream out(path);
    out << "# comment\nsimulation:\n  seed: 3\n  quantum_ns: 0\n";
  }
  Config c = Config::from_file(path);
  std::remove(path.c_str());
  CHECK(c.name() == path);
  CHECK(c.base_dir() == "/tmp");
  CHECK(c.root().child("simulation").u64("seed", 0) == 3);
  CHECK_THROWS_WITH(c.root().child("simulation").u64("quantum_ns", 0, 1),
                    path + ":4: simulation.quantum_ns: expected an integer >= 1, got 0");
}

TEST_CASE("config: from_string YAML syntax error names the file and line", "[unit][config]") {
  // A tab used for indentation at line 2.
  REQUIRE_THROWS_AS(Config::from_string("a:\n\tb: 1\n", "tab.yaml"), InputError);
  REQUIRE_THROWS_WITH(Config::from_string("a:\n\tb: 1\n", "tab.yaml"),
                      "tab.yaml:2: YAML syntax error: illegal map value");
  // An unterminated flow sequence is noticed at the end of the input (line 4).
  const std::string text = "a:\n  b: 1\n  c: [1, 2\n";
  REQUIRE_THROWS_WITH(Config::from_string(text, "bad.yaml"),
                      "bad.yaml:4: YAML syntax error: end of sequence flow not found");
  REQUIRE_THROWS_WITH(Config::from_string("a: {b: 1\n", "map.yaml"),
                      "map.yaml:2: YAML syntax error: end of map flow not found");
}

// Found by fuzzing (tb/fuzz/regressions/config/invalid-utf8-in-string): a
// string that is not UTF-8 loaded, ran, and then the effective configuration
// (config.json) could not be written. It is refused on load now.
TEST_CASE("config: text that is not UTF-8 is refused on load and in --set", "[unit][config]") {
  REQUIRE_THROWS_WITH(Config::from_string("a: 1\nname: x\xffy\n", "bin.yaml"),
                      "bin.yaml:2: byte 0xff at column 8 is not UTF-8 (a configuration is UTF-8 text)");
  REQUIRE_THROWS_WITH(Config::from_string("\xc0\x80: 1\n", "overlong.yaml"),
                      "overlong.yaml:1: byte 0xc0 at column 1 is not UTF-8 (a configuration is UTF-8 text)");
  REQUIRE_THROWS_WITH(Config::from_string("a: \xed\xa0\x80\n", "surrogate.yaml"),
                      "surrogate.yaml:1: byte 0xed at column 4 is not UTF-8 (a configuration is UTF-8 text)");
  REQUIRE_THROWS_WITH(Config::from_string("a: \xe2\x82", "cut.yaml"),
                      "cut.yaml:1: byte 0xe2 at column 4 is not UTF-8 (a configuration is UTF-8 text)");
  Config ok = Config::from_string("name: \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n", "utf8.yaml");
  CHECK(ok.to_json().dump() == "{\"name\":\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
  REQUIRE_THROWS_WITH(ok.apply_override("name=\xff"), "--set name=\xff: not UTF-8 text");
}

TEST_CASE("config: from_string top level must be a map", "[unit][config]") {
  REQUIRE_THROWS_WITH(Config::from_string("- 1\n- 2\n", "list.yaml"),
                      "list.yaml: expected a map of sections at the top level");
  REQUIRE_THROWS_WITH(Config::from_string("42\n", "scalar.yaml"),
                      "scalar.yaml: expected a map of sections at the top level");
  // Empty text is an empty map.
  Config c = Config::from_string("", "empty.yaml");
  CHECK(c.to_json() == nlohmann::ordered_json::object());
  CHECK(c.name() == "empty.yaml");
  CHECK_NOTHROW(c.check_unknown_keys());
}

TEST_CASE("config: empty and base_dir", "[unit][config]") {
  Config e = Config::empty();
  CHECK(e.name() == "(built-in defaults)");
  CHECK(e.base_dir() == "");
  CHECK(Config::from_string("{}", "dir/sub/x.yaml").base_dir() == "dir/sub");
  CHECK(Config::from_string("{}", "/abs/x.yaml").base_dir() == "/abs");
  CHECK(Config::from_string("{}", "x.yaml").base_dir() == ".");
}

// ------------------------------------------------------------------ typed getters

TEST_CASE("config: typed getters read present values", "[unit][config]") {
  Config c = Config::from_string(
      "s:\n"
      "  n: 42\n"
      "  p: 4096\n"
      "  r: 0.25\n"
      "  b: true\n"
      "  f: false\n"
      "  t: hello\n"
      "  ch: lru\n"
      "  req: abc\n",
      "t.yaml");
  ConfigNode s = c.root().child("s");
  CHECK(s.path() == "s");
  CHECK(s.has("n"));
  CHECK_FALSE(s.has("missing"));
  CHECK(s.u64("n", 7) == 42);
  CHECK(s.pow2("p", 8) == 4096);
  CHECK(s.real("r", 1.0, 0.0, 1.0) == 0.25);
  CHECK(s.boolean("b", false) == true);
  CHECK(s.boolean("f", true) == false);
  CHECK(s.str("t", "x") == "hello");
  CHECK(s.choice("ch", "fifo", {"lru", "fifo", "random"}) == "lru");
  CHECK(s.required_str("req") == "abc");
  CHECK_NOTHROW(c.check_unknown_keys());
}

TEST_CASE("config: absent keys take defaults that are written back", "[unit][config]") {
  Config c = Config::from_string("s:\n  n: 1\n", "t.yaml");
  ConfigNode root = c.root();
  ConfigNode s = root.child("s");
  CHECK(s.u64("n", 7) == 1);
  CHECK(s.u64("m", 7) == 7);
  CHECK(s.pow2("p", 64) == 64);
  CHECK(s.real("r", 0.5, 0.0, 1.0) == 0.5);
  CHECK(s.boolean("b", true) == true);
  CHECK(s.str("t", "abc") == "abc");
  CHECK(s.choice("ch", "fifo", {"lru", "fifo"}) == "fifo");
  ConfigNode sub = root.child("newsection");
  CHECK(sub.path() == "newsection");
  CHECK(sub.u64("k", 3) == 3);
  CHECK(root.list("items").empty());
  CHECK(s.has("m"));

  nlohmann::ordered_json expected = {
      {"s", {{"n", 1}, {"m", 7}, {"p", 64}, {"r", 0.5}, {"b", true}, {"t", "abc"}, {"ch", "fifo"}}},
      {"newsection", {{"k", 3}}},
      {"items", nlohmann::ordered_json::array()}};
  CHECK(c.to_json() == expected);
  CHECK(c.to_json().dump() ==
        R"({"s":{"n":1,"m":7,"p":64,"r":0.5,"b":true,"t":"abc","ch":"fifo"},"newsection":{"k":3},"items":[]})");
  // Everything present was read.
  CHECK_NOTHROW(c.check_unknown_keys());
}

TEST_CASE("config: defaults on the built-in empty config", "[unit][config]") {
  Config c = Config::empty();
  ConfigNode iommu = c.root().child("iommu");
  CHECK(iommu.child("iotlb").u64("entries", 256) == 256);
  CHECK(c.to_json().dump() == R"({"iommu":{"iotlb":{"entries":256}}})");
}

TEST_CASE("config: hex and size suffixes in u64 and pow2", "[unit][config]") {
  Config c = Config::from_string(
      "s:\n"
      "  a: 0x10\n"
      "  b: 64KiB\n"
      "  c: 2M\n"
      "  d: 0X1f\n"
      "  e: 1GiB\n"
      "  f: 3T\n"
      "  g: 4 KiB\n",
      "t.yaml");
  ConfigNode s = c.root().child("s");
  CHECK(s.u64("a", 0) == 16);
  CHECK(s.pow2("b", 1) == 65536);
  CHECK(s.u64("c", 0) == 2097152);
  CHECK(s.u64("d", 0) == 31);
  CHECK(s.pow2("e", 1) == (1ull << 30));
  CHECK(s.u64("f", 0) == 3ull << 40);
  CHECK(s.u64("g", 0) == 4096);
  // The effective configuration writes them as the numbers they mean.
  // (d, written 0X1f, is left out: to_json() gives 31.0 for it; reported.)
  nlohmann::ordered_json j = c.to_json();
  CHECK(j["s"]["a"].dump() == "16");
  CHECK(j["s"]["b"].dump() == "65536");
  CHECK(j["s"]["c"].dump() == "2097152");
  CHECK(j["s"]["e"].dump() == "1073741824");
  CHECK(j["s"]["f"].dump() == "3298534883328");
  CHECK(j["s"]["g"].dump() == "4096");
}

TEST_CASE("config: wrong type errors", "[unit][config]") {
  Config c = Config::from_string(
      "s:\n"              // 1
      "  m:\n"            // 2
      "    x: 1\n"        // 3
      "  l: [1, 2]\n"     // 4
      "  t: abc\n"        // 5
      "  r: fast\n"       // 6
      "  b: yes\n"        // 7
      "  n: ~\n"          // 8
      "  h: 0x\n"         // 9
      "  neg: -1\n"       // 10
      "  k: 12abc\n",     // 11
      "t.yaml");
  ConfigNode s = c.root().child("s");
  CHECK_THROWS_AS(s.u64("m", 0), InputError);
  CHECK_THROWS_WITH(s.u64("m", 0), "t.yaml:3: s.m: expected an unsigned integer, got a map");
  CHECK_THROWS_WITH(s.u64("l", 0), "t.yaml:4: s.l: expected an unsigned integer, got a list");
  CHECK_THROWS_WITH(s.u64("t", 0), "t.yaml:5: s.t: expected an unsigned integer, got 'abc'");
  CHECK_THROWS_WITH(s.u64("n", 0), "t.yaml:8: s.n: expected an unsigned integer, got nothing");
  CHECK_THROWS_WITH(s.u64("h", 0), "t.yaml:9: s.h: expected an unsigned integer, got '0x'");
  CHECK_THROWS_WITH(s.u64("neg", 0), "t.yaml:10: s.neg: expected an unsigned integer, got '-1'");
  CHECK_THROWS_WITH(s.u64("k", 0), "t.yaml:11: s.k: expected an unsigned integer, got '12abc'");
  CHECK_THROWS_WITH(s.pow2("t", 1), "t.yaml:5: s.t: expected an unsigned integer, got 'abc'");
  CHECK_THROWS_WITH(s.real("r", 0, 0, 1), "t.yaml:6: s.r: expected a number, got 'fast'");
  CHECK_THROWS_WITH(s.real("m", 0, 0, 1), "t.yaml:3: s.m: expected a number, got a map");
  CHECK_THROWS_WITH(s.boolean("b", false), "t.yaml:7: s.b: expected true or false, got 'yes'");
  CHECK_THROWS_WITH(s.boolean("l", false), "t.yaml:4: s.l: expected true or false, got a list");
  CHECK_THROWS_WITH(s.str("m", ""), "t.yaml:3: s.m: expected a string, got a map");
  CHECK_THROWS_WITH(s.required_str("l"), "t.yaml:4: s.l: expected a string, got a list");
  CHECK_THROWS_WITH(s.choice("m", "a", {"a", "b"}), "t.yaml:3: s.m: expected a string, got a map");
  CHECK_THROWS_WITH(s.child("t"), "t.yaml:5: s.t: expected a map, got 'abc'");
  CHECK_THROWS_WITH(s.child("l"), "t.yaml:4: s.l: expected a map, got a list");
  CHECK_THROWS_WITH(s.list("m"), "t.yaml:3: s.m: expected a list, got a map");
  CHECK_THROWS_WITH(s.list("t"), "t.yaml:5: s.t: expected a list, got 'abc'");
  CHECK_THROWS_WITH(s.list("l"), "t.yaml:4: s.l: element 0: expected a map, got '1'");
  // The wrong-type value itself is a map at the top level.
  Config top = Config::from_string("s: 5\n", "top.yaml");
  CHECK_THROWS_WITH(top.root().child("s"), "top.yaml:1: s: expected a map, got '5'");
}

TEST_CASE("config: real number edge cases", "[unit][config]") {
  Config c = Config::from_string(
      "s:\n"            // 1
      "  a: 1e3\n"      // 2
      "  b: nan\n"      // 3
      "  c: inf\n"      // 4
      "  d: 1e999\n"    // 5
      "  e: 1.5x\n"     // 6
      "  f: -0.5\n"     // 7
      "  g: 2\n",       // 8
      "t.yaml");
  ConfigNode s = c.root().child("s");
  CHECK(s.real("a", 0, 0, 1e6) == 1000.0);
  CHECK_THROWS_WITH(s.real("b", 0, 0, 1), "t.yaml:3: s.b: expected a number, got 'nan'");
  CHECK_THROWS_WITH(s.real("c", 0, 0, 1), "t.yaml:4: s.c: expected a number, got 'inf'");
  CHECK_THROWS_WITH(s.real("d", 0, 0, 1), "t.yaml:5: s.d: expected a number, got '1e999'");
  CHECK_THROWS_WITH(s.real("e", 0, 0, 1), "t.yaml:6: s.e: expected a number, got '1.5x'");
  CHECK(s.real("f", 0, -1, 1) == -0.5);
  CHECK_THROWS_WITH(s.real("f", 0, 0, 1), "t.yaml:7: s.f: expected a number in [0, 1], got -0.5");
  CHECK_THROWS_WITH(s.real("g", 0, 0.5, 1.5), "t.yaml:8: s.g: expected a number in [0.5, 1.5], got 2");
}

TEST_CASE("config: time_ns reads nanoseconds as picoseconds, rounded once", "[unit][config]") {
  Config c = Config::from_string(
      "s:\n"              // 1
      "  a: 1.2345\n"     // 2
      "  b: 0.0005\n"     // 3
      "  c: 1.2344\n"     // 4
      "  d: 1e6\n"        // 5
      "  e: 1001\n"       // 6
      "  f: -1\n"         // 7
      "  g: 3ns\n"        // 8
      "  h: 0.001\n",     // 9
      "t.yaml");
  ConfigNode s = c.root().child("s");
  // std::llround(ns * 1000): halves away from zero.
  CHECK(s.time_ns("a", 0, 0, 1e9) == 1235);
  CHECK(s.time_ns("b", 0, 0, 1e9) == 1);
  CHECK(s.time_ns("c", 0, 0, 1e9) == 1234);
  CHECK(s.time_ns("d", 0, 0, 1e9) == 1'000'000'000);
  // The range is in nanoseconds, and the message names the key path.
  CHECK_THROWS_WITH(s.time_ns("e", 0, 0, 1000), "t.yaml:6: s.e: expected a number in [0, 1000], got 1001");
  CHECK_THROWS_WITH(s.time_ns("f", 0, 0, 1000), "t.yaml:7: s.f: expected a number in [0, 1000], got -1");
  CHECK_THROWS_WITH(s.time_ns("g", 0, 0, 1000), "t.yaml:8: s.g: expected a number, got '3ns'");
  // Microseconds, by the same rule.
  CHECK(s.time_us("h", 0, 0, 1e9) == 1000);
  // Absent: the default (in ns) is returned in ps and written back in ns.
  CHECK(s.time_ns("lat", 2.5, 0, 1e9) == 2500);
  CHECK(s.time_ns("half", 0.0015, 0, 1e9) == 2);
  CHECK(s.time_us("timeout_us", 10000, 0.001, 1e9) == 10'000'000'000ull);
  const nlohmann::ordered_json j = c.to_json()["s"];
  CHECK(j["lat"] == 2.5);
  CHECK(j["half"] == 0.0015);
  CHECK(j["timeout_us"] == 10000);
  // An override is named as the option.
  c.apply_override("s.e=2000");
  CHECK_THROWS_WITH(c.root().child("s").time_ns("e", 0, 0, 1000), "--set s.e: expected a number in [0, 1000], got 2000");
  // A range whose picoseconds do not fit a Tick is a programming error.
  CHECK_THROWS_AS(s.time_ns("a", 0, 0, 1e16), std::logic_error);
}

TEST_CASE("config: range errors below min and above max", "[unit][config]") {
  Config c = Config::from_string(
      "s:\n"             // 1
      "  lo: 2\n"        // 2
      "  hi: 0x20\n"     // 3
      "  z: 0\n"         // 4
      "  big: 1KiB\n",   // 5
      "t.yaml");
  ConfigNode s = c.root().child("s");
  CHECK_THROWS_WITH(s.u64("lo", 8, 4), "t.yaml:2: s.lo: expected an integer >= 4, got 2");
  CHECK_THROWS_WITH(s.u64("lo", 8, 4, 16), "t.yaml:2: s.lo: expected an integer in [4, 16], got 2");
  // The original text is quoted back.
  CHECK_THROWS_WITH(s.u64("hi", 8, 4, 16), "t.yaml:3: s.hi: expected an integer in [4, 16], got 0x20");
  CHECK_THROWS_WITH(s.u64("big", 8, 0, 1000), "t.yaml:5: s.big: expected an integer in [0, 1000], got 1KiB");
  // Zero where the minimum is 1.
  CHECK_THROWS_WITH(s.u64("z", 1, 1), "t.yaml:4: s.z: expected an integer >= 1, got 0");
  CHECK_THROWS_WITH(s.pow2("z", 1), "t.yaml:4: s.z: expected an integer >= 1, got 0");
  // Bounds are inclusive.
  CHECK(s.u64("lo", 8, 2, 2) == 2);
  CHECK(s.u64("hi", 8, 0, 32) == 32);
  CHECK(s.pow2("hi", 8, 32, 32) == 32);
  CHECK_THROWS_WITH(s.pow2("hi", 8, 64), "t.yaml:3: s.hi: expected an integer >= 64, got 0x20");
  CHECK_THROWS_WITH(s.real("lo", 0, 3, 4), "t.yaml:2: s.lo: expected a number in [3, 4], got 2");
}

TEST_CASE("config: pow2 rejects non-powers of two", "[unit][config]") {
  Config c = Config::from_string(
      "s:\n"             // 1
      "  a: 48\n"        // 2
      "  b: 0x30\n"      // 3
      "  z: 0\n"         // 4
      "  ok: 1\n",       // 5
      "t.yaml");
  ConfigNode s = c.root().child("s");
  CHECK_THROWS_WITH(s.pow2("a", 1), "t.yaml:2: s.a: expected a power of two, got 48");
  CHECK_THROWS_WITH(s.pow2("b", 1), "t.yaml:3: s.b: expected a power of two, got 48");
  // With min 0, zero passes the range check but is not a power of two.
  CHECK_THROWS_WITH(s.pow2("z", 1, 0), "t.yaml:4: s.z: expected a power of two, got 0");
  CHECK(s.pow2("ok", 2) == 1);
}

TEST_CASE("config: choice and required_str errors", "[unit][config]") {
  Config c = Config::from_string(
      "cache:\n"              // 1
      "  policy: mru\n"       // 2
      "  name: l1\n",         // 3
      "t.yaml");
  ConfigNode cache = c.root().child("cache");
  CHECK_THROWS_WITH(cache.choice("policy", "lru", {"lru", "fifo", "random"}),
                    "t.yaml:2: cache.policy: expected one of lru, fifo, random, got 'mru'");
  CHECK(cache.required_str("name") == "l1");
  // Missing required key: the line is that of the enclosing map.
  CHECK_THROWS_WITH(cache.required_str("kind"), "t.yaml:2: cache.kind: required key is missing");
  // At the root of a file the line is 1.
  CHECK_THROWS_WITH(c.root().required_str("top"), "t.yaml:1: top: required key is missing");
  // In a map that the model created (no file position), only the file is named.
  ConfigNode made = c.root().child("made");
  CHECK_THROWS_WITH(made.required_str("x"), "t.yaml: made.x: required key is missing");
}

TEST_CASE("config: fail names file, line and key path", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  ConfigNode dram = c.root().child("platform").child("memory").child("dram");
  CHECK(dram.path() == "platform.memory.dram");
  CHECK_THROWS_WITH(dram.fail("banks", "too many"), "p.yaml:7: platform.memory.dram.banks: too many");
  CHECK_THROWS_WITH(dram.fail("", "bad section"), "p.yaml:7: platform.memory.dram: bad section");
  auto eps = c.root().child("platform").list("endpoints");
  REQUIRE(eps.size() == 2);
  CHECK(eps[0].path() == "platform.endpoints[0]");
  CHECK(eps[1].path() == "platform.endpoints[1]");
  CHECK_THROWS_WITH(eps[1].fail("tags", "bad"), "p.yaml:12: platform.endpoints[1].tags: bad");
  CHECK_THROWS_WITH(eps[1].u64("tags", 8, 1, 32),
                    "p.yaml:12: platform.endpoints[1].tags: expected an integer in [1, 32], got 64");
}

// ------------------------------------------------------------------ unknown keys

TEST_CASE("config: check_unknown_keys reports the first unread key", "[unit][config]") {
  Config c = Config::from_string(
      "iommu:\n"               // 1
      "  iotlb:\n"             // 2
      "    entries: 128\n"     // 3
      "    wayz: 4\n"          // 4
      "    extra: 1\n"         // 5
      "bogus: 1\n",            // 6
      "t.yaml");
  ConfigNode iotlb = c.root().child("iommu").child("iotlb");
  iotlb.u64("entries", 64);
  iotlb.u64("ways", 8);
  CHECK_THROWS_AS(c.check_unknown_keys(), InputError);
  CHECK_THROWS_WITH(c.check_unknown_keys(), "t.yaml:4: iommu.iotlb.wayz: unknown key");
  iotlb.u64("wayz", 0);
  CHECK_THROWS_WITH(c.check_unknown_keys(), "t.yaml:5: iommu.iotlb.extra: unknown key");
  iotlb.u64("extra", 0);
  CHECK_THROWS_WITH(c.check_unknown_keys(), "t.yaml:6: bogus: unknown key");
  c.root().u64("bogus", 0);
  CHECK_NOTHROW(c.check_unknown_keys());
}

TEST_CASE("config: check_unknown_keys reports a whole unread section", "[unit][config]") {
  Config c = Config::from_string("memory:\n  size: 1G\niommu:\n  x: 1\n", "t.yaml");
  c.root().child("iommu").u64("x", 0);
  CHECK_THROWS_WITH(c.check_unknown_keys(), "t.yaml:1: memory: unknown key");
}

TEST_CASE("config: check_unknown_keys inside a list element", "[unit][config]") {
  Config c = Config::from_string(
      "platform:\n"              // 1
      "  endpoints:\n"           // 2
      "    - name: nic0\n"       // 3
      "      tgas: 8\n"          // 4
      "    - name: nvme0\n"      // 5
      "      tags: 4\n",         // 6
      "t.yaml");
  for (ConfigNode ep : c.root().child("platform").list("endpoints")) {
    ep.required_str("name");
    ep.u64("tags", 32, 1, 256);
  }
  CHECK_THROWS_WITH(c.check_unknown_keys(), "t.yaml:4: platform.endpoints[0].tgas: unknown key");
  // The default was written into the first element only; the second has its value.
  CHECK(c.to_json().dump() ==
        R"({"platform":{"endpoints":[{"name":"nic0","tgas":8,"tags":32},{"name":"nvme0","tags":4}]}})");
}

// ------------------------------------------------------------------ overrides

TEST_CASE("config: apply_override sets an existing leaf", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  c.apply_override("platform.memory.dram.banks=8");
  CHECK(c.root().child("platform").child("memory").child("dram").u64("banks", 0) == 8);
  // Values are parsed as YAML: suffixes still work through the getter.
  c.apply_override("platform.memory.dram.banks=1KiB");
  CHECK(c.root().child("platform").child("memory").child("dram").u64("banks", 0) == 1024);
  c.apply_override("simulation.seed=0x10");
  CHECK(c.root().child("simulation").u64("seed", 0) == 16);
  read_platform(c);
  CHECK_NOTHROW(c.check_unknown_keys());
}

TEST_CASE("config: apply_override creates a missing key", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  c.apply_override("platform.memory.dram.ranks=2");
  c.apply_override("simulation.quantum_ns=5");
  c.apply_override("platform.root_complex.name=rc");
  CHECK(c.root().child("platform").child("memory").child("dram").u64("ranks", 1) == 2);
  CHECK(c.root().child("simulation").u64("quantum_ns", 0) == 5);
  CHECK(c.root().child("platform").child("root_complex").str("name", "") == "rc");
  CHECK(c.to_json()["platform"]["memory"]["dram"].dump() == R"({"banks":16,"ranks":2})");

  // A section absent from the file (here: everything) is created too.
  Config e = Config::empty();
  e.apply_override("platform.memory.dram.banks=4");
  e.apply_override("workloads=[]");
  CHECK(e.to_json().dump() == R"({"platform":{"memory":{"dram":{"banks":4}}},"workloads":[]})");
  CHECK(e.root().child("platform").child("memory").child("dram").u64("banks", 16) == 4);
}

TEST_CASE("config: an override key that no model reads is unknown", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  c.apply_override("platform.memory.dram.bankz=4");
  read_platform(c);
  CHECK_THROWS_AS(c.check_unknown_keys(), InputError);
  CHECK_THROWS_WITH(c.check_unknown_keys(), "--set platform.memory.dram.bankz: unknown key");
  // Addressed by element name, the key is reported by its index path.
  Config d = Config::from_string(kPlatform, "p.yaml");
  d.apply_override("platform.endpoints.nvme0.tagz=4");
  read_platform(d);
  CHECK_THROWS_WITH(d.check_unknown_keys(), "--set platform.endpoints[1].tagz: unknown key");
}

TEST_CASE("config: errors in an overridden value name the option", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  c.apply_override("platform.endpoints.nic0.tags=abc");
  c.apply_override("platform.endpoints.1.tags=0");
  c.apply_override("platform.memory.dram.banks=12");
  auto eps = c.root().child("platform").list("endpoints");
  CHECK_THROWS_WITH(eps[0].u64("tags", 32, 1),
                    "--set platform.endpoints[0].tags: expected an unsigned integer, got 'abc'");
  CHECK_THROWS_WITH(eps[1].u64("tags", 32, 1), "--set platform.endpoints[1].tags: expected an integer >= 1, got 0");
  CHECK_THROWS_WITH(c.root().child("platform").child("memory").child("dram").pow2("banks", 16),
                    "--set platform.memory.dram.banks: expected a power of two, got 12");
}

TEST_CASE("config: apply_override addresses list elements by index and by name", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  c.apply_override("platform.endpoints.1.tags=16");
  c.apply_override("platform.endpoints.nic0.tags=8");
  c.apply_override("platform.endpoints.nvme0.msi=true");
  auto eps = c.root().child("platform").list("endpoints");
  REQUIRE(eps.size() == 2);
  CHECK(eps[0].u64("tags", 0) == 8);
  CHECK(eps[1].u64("tags", 0) == 16);
  CHECK(eps[1].boolean("msi", false) == true);
  CHECK(c.to_json()["platform"]["endpoints"].dump() ==
        R"([{"name":"nic0","tags":8},{"name":"nvme0","tags":16,"msi":true}])");
  // Replacing a whole list element by index.
  c.apply_override("platform.endpoints.0={name: nic9, tags: 2}");
  auto eps2 = c.root().child("platform").list("endpoints");
  REQUIRE(eps2.size() == 2);
  CHECK(eps2[0].str("name", "") == "nic9");
  CHECK(eps2[0].u64("tags", 0) == 2);
  CHECK(eps2[1].str("name", "") == "nvme0");
}

TEST_CASE("config: apply_override resolves a component name as first component", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  CHECK_NOTHROW(c.apply_override("nic0.tags=8"));
  // Only the named element changes; the rest of the document stays.
  auto j = c.to_json();
  CHECK(j["platform"]["endpoints"][0]["name"] == "nic0");
  CHECK(j["platform"]["endpoints"][0]["tags"] == 8);
  CHECK(j["platform"]["endpoints"][1]["name"] == "nvme0");
  CHECK(j.contains("platform"));
  CHECK_FALSE(j.contains("tags"));
  // A huge index is an error, not a crash.
  CHECK_THROWS_AS(c.apply_override("platform.endpoints.99999999999999999999.tags=1"), iommusim::InputError);
  // Duplicate keys are refused when the document is read.
  CHECK_THROWS_WITH(Config::from_string("simulation:\n  seed: 1\n  seed: 2\n", "d.yaml"),
                    "d.yaml:3: simulation.seed: duplicate key");
  // A key of more than 128 bytes is refused: its quoted, escaped form in
  // config.json could exceed YAML's 1024-character limit for keys.
  CHECK_THROWS_WITH(Config::from_string("platform:\n  " + std::string(129, 'k') + ": 1\n", "k.yaml"),
                    "k.yaml:2: platform: a key of 129 bytes (at most 128)");
  CHECK_NOTHROW(Config::from_string("platform:\n  \"" + std::string(128, 'k') + "\": 1\n", "k.yaml"));
  Config d = Config::from_string(kPlatform, "p.yaml");
  CHECK_THROWS_WITH(d.apply_override("nic7.tags=1"),
                    "--set nic7.tags=1: 'nic7' is neither a section nor the name of a component");
  // Only elements of lists are components: a top-level key that is absent and
  // not a section is an error, even if a map elsewhere has that name.
  CHECK_THROWS_WITH(d.apply_override("memory.dram.banks=1"),
                    "--set memory.dram.banks=1: 'memory' is neither a section nor the name of a component");
}

TEST_CASE("config: apply_override of a single component sets a top-level key", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  c.apply_override("extra=7");
  read_platform(c);
  CHECK_THROWS_WITH(c.check_unknown_keys(), "--set extra: unknown key");
  CHECK(c.root().u64("extra", 0) == 7);
  CHECK_NOTHROW(c.check_unknown_keys());
}

TEST_CASE("config: apply_override errors", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  CHECK_THROWS_AS(c.apply_override("simulation.seed"), InputError);
  CHECK_THROWS_WITH(c.apply_override("simulation.seed"), "--set simulation.seed: expected key.path=value");
  CHECK_THROWS_WITH(c.apply_override("=5"), "--set =5: expected key.path=value");
  CHECK_THROWS_WITH(c.apply_override("platform..banks=5"), "--set platform..banks=5: empty component in key path");
  CHECK_THROWS_WITH(c.apply_override(".platform=5"), "--set .platform=5: empty component in key path");
  CHECK_THROWS_WITH(c.apply_override("platform.=5"), "--set platform.=5: empty component in key path");
  CHECK_THROWS_WITH(c.apply_override("platform.endpoints.2.tags=1"),
                    "--set platform.endpoints.2.tags=1: index 2 beyond the 2 elements of the list");
  CHECK_THROWS_WITH(c.apply_override("platform.endpoints.nic7.tags=1"),
                    "--set platform.endpoints.nic7.tags=1: no element named 'nic7'");
  CHECK_THROWS_WITH(c.apply_override("platform.endpoints.nic0=1"),
                    "--set platform.endpoints.nic0=1: 'nic0' is not an index of the list");
  CHECK_THROWS_WITH(c.apply_override("platform.endpoints.5=1"),
                    "--set platform.endpoints.5=1: '5' is not an index of the list");
  CHECK_THROWS_WITH(c.apply_override("platform.memory.name.x=1"),
                    "--set platform.memory.name.x=1: platform.memory.name is a value, not a map");
  CHECK_THROWS_WITH(c.apply_override("platform.memory.dram.banks=[1, 2"),
                    StartsWith("--set platform.memory.dram.banks=[1, 2: cannot parse value: "));
  // Nothing was changed by the failed overrides.
  read_platform(c);
  CHECK_NOTHROW(c.check_unknown_keys());
  CHECK(c.root().child("platform").child("memory").child("dram").u64("banks", 0) == 16);
  CHECK(c.root().child("platform").list("endpoints").size() == 2);
}

// ------------------------------------------------------------------ append

TEST_CASE("config: append adds maps to a list, creating it", "[unit][config]") {
  Config c = Config::from_string(kPlatform, "p.yaml");
  c.append("platform.endpoints", {{"name", "dev2"}, {"bdf", "00:05.0"}});
  c.append("trace.devices", {{"bdf", "00:06.0"}});
  auto eps = c.root().child("platform").list("endpoints");
  REQUIRE(eps.size() == 3);
  CHECK(eps[2].path() == "platform.endpoints[2]");
  CHECK(eps[2].str("name", "") == "dev2");
  CHECK(eps[2].str("bdf", "") == "00:05.0");
  auto devs = c.root().child("trace").list("devices");
  REQUIRE(devs.size() == 1);
  CHECK(devs[0].str("bdf", "") == "00:06.0");
}

// ------------------------------------------------------------------ parse_config_u64

TEST_CASE("config: parse_config_u64 accepts decimal, hex and suffixes", "[unit][config]") {
  CHECK(parse_config_u64("0") == std::uint64_t{0});
  CHECK(parse_config_u64("42") == std::uint64_t{42});
  CHECK(parse_config_u64("007") == std::uint64_t{7});
  CHECK(parse_config_u64("0x10") == std::uint64_t{16});
  CHECK(parse_config_u64("0XfF") == std::uint64_t{255});
  CHECK(parse_config_u64("0x0") == std::uint64_t{0});
  CHECK(parse_config_u64("64KiB") == std::uint64_t{65536});
  CHECK(parse_config_u64("64K") == std::uint64_t{65536});
  CHECK(parse_config_u64("2M") == std::uint64_t{2097152});
  CHECK(parse_config_u64("2MiB") == std::uint64_t{2097152});
  CHECK(parse_config_u64("3G") == std::uint64_t{3} << 30);
  CHECK(parse_config_u64("3GiB") == std::uint64_t{3} << 30);
  CHECK(parse_config_u64("1TiB") == std::uint64_t{1} << 40);
  CHECK(parse_config_u64("1T") == std::uint64_t{1} << 40);
  CHECK(parse_config_u64("4 KiB") == std::uint64_t{4096});
  CHECK(parse_config_u64("0K") == std::uint64_t{0});
  CHECK(parse_config_u64("18446744073709551615") == UINT64_MAX);
  CHECK(parse_config_u64("0xffffffffffffffff") == UINT64_MAX);
  // Largest multiple of 2^40 that fits.
  CHECK(parse_config_u64("16777215TiB") == std::uint64_t{16777215} << 40);
  CHECK(parse_config_u64("17179869183G") == std::uint64_t{17179869183} << 30);
}

TEST_CASE("config: parse_config_u64 rejects malformed and overflowing text", "[unit][config]") {
  for (const char* s : {"", "0x", "0X", "12abc", "abc", "-1", "+1", " 1", "1 ", "1.5", "1.5K", "1e3",
                        "0x10K", "0xg", "1kib", "1k", "1KB", "1B", "KiB", "K", " K", "00x10", "1 2"})
    CHECK_FALSE(parse_config_u64(s));
  // Overflow without and with a suffix.
  CHECK_FALSE(parse_config_u64("18446744073709551616"));
  CHECK_FALSE(parse_config_u64("99999999999999999999999"));
  CHECK_FALSE(parse_config_u64("0x10000000000000000"));
  CHECK_FALSE(parse_config_u64("16777216TiB"));
  CHECK_FALSE(parse_config_u64("16777216T"));
  CHECK_FALSE(parse_config_u64("17179869184G"));
  CHECK_FALSE(parse_config_u64("18446744073709551615K"));
}
