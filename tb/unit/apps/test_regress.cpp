// Regression suites (apps/regress_suite): tolerances, comparison, goldens and
// suite files. Plain logic; tb/system/test_sweep_cli.cpp runs the command.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "regress_suite.h"
#include "temp_dir.h"

using namespace iommusim;
using iommusim::test::TempDir;

namespace {

FlatStats stats(std::initializer_list<std::pair<const char*, std::pair<nlohmann::json, const char*>>> l) {
  FlatStats s;
  for (const auto& [name, v] : l) s[name] = StatValue{v.first, v.second};
  return s;
}

Tolerance rel(const char* glob, double r) {
  Tolerance t;
  t.kind = Tolerance::Kind::Relative;
  t.amount = r;
  t.stats = glob;
  return t;
}

}  // namespace

TEST_CASE("regress: stats.json flattens histograms with their units", "[unit][regress]") {
  const auto doc = nlohmann::json::parse(R"j({
    "stats": { "system.dmas": 5, "system.dma_latency": { "samples": 5, "mean": 1.5 } },
    "descriptions": { "system.dmas": "DMAs (Count)", "system.dma_latency": "Latency (Tick)" } })j");
  const FlatStats f = flatten_stats(doc);
  REQUIRE(f.size() == 3);
  CHECK(f.at("system.dmas").unit == "Count");
  CHECK(f.at("system.dma_latency::samples").unit == "Count");
  CHECK(f.at("system.dma_latency::mean").unit == "Tick");
  CHECK(f.at("system.dma_latency::mean").value == 1.5);
}

TEST_CASE("regress: the built-in rules are exact for counts and relative for timings", "[unit][regress]") {
  const FlatStats golden = stats({{"a.hits", {10, "Count"}}, {"a.lat::mean", {1000.0, "Tick"}}});
  const auto rules = builtin_tolerances();
  CHECK(compare_stats(golden, golden, rules).empty());
  const auto moved = compare_stats(golden, stats({{"a.hits", {11, "Count"}}, {"a.lat::mean", {1000.0000000001, "Tick"}}}), rules);
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].stat == "a.hits");
  CHECK(moved[0].kind == StatChange::Kind::Moved);
  CHECK(moved[0].tolerance == "exact (built-in)");
}

TEST_CASE("regress: the first matching rule decides, appeared and disappeared statistics count", "[unit][regress]") {
  const FlatStats golden = stats({{"a.hits", {10, "Count"}}, {"a.lat::mean", {1000.0, "Tick"}}, {"a.old", {1, "Count"}}});
  const FlatStats now = stats({{"a.hits", {10, "Count"}}, {"a.lat::mean", {1015.0, "Tick"}}, {"a.new", {2, "Count"}}});
  std::vector<Tolerance> rules = {rel("*::mean", 0.02)};
  const auto b = builtin_tolerances();
  rules.insert(rules.end(), b.begin(), b.end());
  auto ch = compare_stats(golden, now, rules);
  REQUIRE(ch.size() == 2);
  CHECK(ch[0].stat == "a.new");
  CHECK(ch[0].kind == StatChange::Kind::Appeared);
  CHECK(ch[1].stat == "a.old");
  CHECK(ch[1].kind == StatChange::Kind::Disappeared);

  rules.front().amount = 0.01;  // 1.5 % is now beyond it
  ch = compare_stats(golden, now, rules);
  REQUIRE(ch.size() == 3);
  CHECK(ch[0].stat == "a.lat::mean");  // changes come in name order
  CHECK(ch[0].kind == StatChange::Kind::Moved);

  Tolerance ignore;
  ignore.kind = Tolerance::Kind::Ignore;
  ignore.stats = "a.*";
  CHECK(compare_stats(golden, now, {ignore}).empty());

  Tolerance abs;
  abs.kind = Tolerance::Kind::Absolute;
  abs.amount = 1;
  abs.unit = "Count";
  CHECK(abs.matches("a.hits", "Count"));
  CHECK_FALSE(abs.matches("a.hits", "Tick"));
  CHECK(abs.within(10, 11));
  CHECK_FALSE(abs.within(10, 12));

  const std::string table = changes_table({{"c1", ch}});
  CHECK(table.find("a.lat::mean") != std::string::npos);
  CHECK(table.find("+15 (+1.5%)") != std::string::npos);
  CHECK(table.find("appeared") != std::string::npos);
  CHECK(table.find("disappeared") != std::string::npos);
}

TEST_CASE("regress: goldens read back what was written", "[unit][regress]") {
  TempDir d;
  const FlatStats s = stats({{"a.hits", {10, "Count"}}, {"a.lat::mean", {1000.25, "Tick"}}});
  const std::string path = d.write("golden.json", golden_json(s));
  const FlatStats back = read_golden(path);
  CHECK(diff_stats(s, back).empty());
  CHECK(back.at("a.lat::mean").unit == "Tick");
  CHECK_THROWS_WITH(read_golden(d.path + "/none.json"),
                    d.path + "/none.json: no golden statistics (run iommusim regress with --update to write them)");
}

TEST_CASE("regress: suite and case files are validated", "[unit][regress]") {
  TempDir d;
  CHECK_THROWS_WITH(RegressSuite::load(d.path), d.path + ": no cases (a case is a subfolder with a case.yaml)");
  std::filesystem::create_directories(d.path + "/c1");
  d.write("c1/t.trace", "iommusim-trace 1\n");
  d.write("c1/case.yaml", "trace: t.trace\ntolerances: [{ stats: '*', relative: 0.1 }]\n");
  d.write("suite.yaml", "tolerances:\n  - { unit: Tick, relative: 0.01 }\n");
  RegressSuite s = RegressSuite::load(d.path);
  REQUIRE(s.cases.size() == 1);
  CHECK(s.cases[0].name == "c1");
  CHECK(s.cases[0].trace == d.path + "/c1/t.trace");
  const auto rules = s.rules_for(s.cases[0]);
  REQUIRE(rules.size() >= 3);
  CHECK(rules[0].amount == 0.1);  // the case's own rule first, then the suite's
  CHECK(rules[1].unit == "Tick");

  d.write("suite.yaml", "tolerances:\n  - { unit: Tick, relative: 0.01, exact: true }\n");
  CHECK_THROWS_WITH(RegressSuite::load(d.path),
                    d.path + "/suite.yaml:2: tolerances[0]: expected exactly one of exact: true, relative: R, "
                             "absolute: A, ignore: true (got 2)");
  d.write("suite.yaml", "tolerance: []\n");
  CHECK_THROWS_WITH(RegressSuite::load(d.path), d.path + "/suite.yaml:1: tolerance: unknown key");
  d.write("suite.yaml", "");
  d.write("c1/case.yaml", "trace: nothere.trace\n");
  CHECK_THROWS_WITH(RegressSuite::load(d.path), d.path + "/c1/case.yaml:1: trace: " + d.path + "/c1/nothere.trace: no such file");
  d.write("c1/case.yaml", "set: [a=1]\n");
  CHECK_THROWS_WITH(RegressSuite::load(d.path), d.path + "/c1/case.yaml: a case needs a config, a trace, or both");
}
