// Sweep files (apps/sweep_spec), results formatting (apps/sweep_run) and the
// map-trace generator (models/host/map_trace): plain logic, no processes.
#include <catch2/catch.hpp>

#include <set>

#include "common/error.h"
#include "sweep_run.h"
#include "sweep_spec.h"
#include "host/map_trace.h"
#include "trace/trace_reader.h"

using namespace iommusim;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    SweepSpec::from_string(yaml, "s.yaml", "");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("sweep: a grid expands to every combination for every workload", "[unit][sweep]") {
  const SweepSpec s = SweepSpec::from_string(R"(
config: base.yaml
set: [simulation.seed=3]
grid:
  iommu0.iotlb.entries: [16, 64, 256]
  iommu0.iotlb.ways: [1, 0]
workloads:
  - { name: a }
  - { name: b, config: other.yaml, trace: t.trace, set: [workloads.0.count=10] }
stats: { hits: system.iommu0.iotlb_hits }
)", "dir/s.yaml", "dir");
  REQUIRE(s.grid.size() == 2);
  REQUIRE(s.workloads.size() == 2);
  CHECK(s.workloads[0].config == "dir/base.yaml");
  CHECK(s.workloads[1].config == "dir/other.yaml");
  CHECK(s.workloads[1].trace == "dir/t.trace");
  const auto points = expand_points(s);
  REQUIRE(points.size() == 12);
  // workload-major, the last parameter fastest
  CHECK(points[0].values == std::vector<std::string>{"16", "1"});
  CHECK(points[1].values == std::vector<std::string>{"16", "0"});
  CHECK(points[2].values == std::vector<std::string>{"64", "1"});
  CHECK(points[6].workload == 1);
  CHECK(points[0].id == "a/iommu0.iotlb.entries=16,iommu0.iotlb.ways=1");
  std::set<std::string> ids;
  for (const auto& p : points) ids.insert(p.id);
  CHECK(ids.size() == points.size());
  const auto args = point_run_args(s, points[7], "o/p");
  CHECK(args == std::vector<std::string>{"run", "dir/other.yaml", "--trace", "dir/t.trace", "--set",
                                         "simulation.seed=3", "--set", "workloads.0.count=10", "--set",
                                         "iommu0.iotlb.entries=16", "--set", "iommu0.iotlb.ways=0", "--out", "o/p"});
  // plots default to the first parameter, every column, the first column's heat map
  CHECK(s.plots.x == "iommu0.iotlb.entries");
  CHECK(s.plots.lines == std::vector<std::string>{"hits"});
  CHECK(s.plots.heatmaps == std::vector<std::string>{"hits"});
}

TEST_CASE("sweep: values that sanitize alike get distinct folders", "[unit][sweep]") {
  const SweepSpec s = SweepSpec::from_string("config: c.yaml\ngrid: { a.b: ['x/y', 'x_y'] }\n", "s.yaml", "");
  const auto points = expand_points(s);
  REQUIRE(points.size() == 2);
  CHECK(points[0].id == "base/a.b=x_y");
  CHECK(points[1].id == "base/a.b=x_y~2");
}

TEST_CASE("sweep: bad sweep files name the file, line and key", "[unit][sweep]") {
  CHECK(error_of("config: c.yaml\ngridd: {}\n") == "s.yaml:2: gridd: unknown key");
  CHECK(error_of("config: c.yaml\ngrid: { a.b: 16 }\n") ==
        "s.yaml:2: grid.a.b: expected a list of values (a --set key path maps to the values it takes)");
  CHECK(error_of("config: c.yaml\ngrid: { a.b: [] }\n") == "s.yaml:2: grid.a.b: expected at least one value");
  CHECK(error_of("config: c.yaml\ngrid: { a.b: [1, 1] }\n") == "s.yaml:2: grid.a.b: value '1' given twice");
  CHECK(error_of("grid: { a.b: [1] }\n") ==
        "s.yaml: workloads: expected at least one workload, or a top-level config or trace");
  CHECK(error_of("workloads: [{ name: x }]\n") ==
        "s.yaml:1: workloads[0]: a workload needs a config or a trace (its own, or the sweep's `config` / `trace`)");
  CHECK(error_of("config: c.yaml\nworkloads: [{ name: x }, { name: x }]\n") ==
        "s.yaml:2: workloads[1].name: workload name 'x' used twice");
  CHECK(error_of("config: c.yaml\nworkloads: [{ name: x, sett: [] }]\n") == "s.yaml:2: workloads[0].sett: unknown key");
  // an unknown key is reported before what its absence means
  CHECK(error_of("workloads: [{ name: x, confg: c.yaml }]\n") == "s.yaml:1: workloads[0].confg: unknown key");
  CHECK(error_of("config: c.yaml\nset: [nokey]\n") == "s.yaml:2: set: element 0: expected key.path=value, got 'nokey'");
  CHECK(error_of("config: c.yaml\nstats: [a, b]\n") == "s.yaml:2: stats: expected a map, got a list");
  CHECK(error_of("config: c.yaml\ngrid: { a.b: [1] }\nplots: { x: c.d }\n") ==
        "s.yaml:3: plots.x: 'c.d' is not a grid parameter");
  CHECK(error_of("config: c.yaml\nstats: { h: s.h }\nplots: { lines: [g] }\n") ==
        "s.yaml:3: plots.lines: 'g' is not a column of `stats`");
  CHECK(error_of("config: [c.yaml]\n") == "s.yaml:1: config: expected a string, got a list");
}

TEST_CASE("sweep: results.csv quotes fields with commas and leaves failed points' statistics empty", "[unit][sweep]") {
  const SweepSpec s = SweepSpec::from_string("config: c.yaml\ngrid: { a.b: [1, 2] }\nstats: { x: s.x, y: s.y }\n",
                                             "s.yaml", "");
  std::vector<SweepRow> rows = {{"base/a.b=1", "base", "ok", {"1"}, {nlohmann::json(3), nlohmann::json(0.5)}},
                                {"base/a.b=2", "base", "failed", {"2"}, {nullptr, nullptr}}};
  CHECK(results_csv(s, rows) == "point,workload,a.b,status,x,y\nbase/a.b=1,base,1,ok,3,0.5\nbase/a.b=2,base,2,failed,,\n");
  const auto j = nlohmann::json::parse(results_json(s, rows, {"Count", "Ratio"}));
  CHECK(j["points"][0]["parameters"]["a.b"] == 1);
  CHECK(j["points"][1]["stats"]["x"].is_null());
  CHECK(j["stats"][1]["unit"] == "Ratio");
}

TEST_CASE("sweep: point inputs hash changes with the arguments", "[unit][sweep]") {
  CHECK(point_inputs_hash({"run", "a"}, "", "") == point_inputs_hash({"run", "a"}, "", ""));
  CHECK(point_inputs_hash({"run", "a"}, "", "") != point_inputs_hash({"run", "b"}, "", ""));
  CHECK(point_inputs_hash({"run", "ab"}, "", "") != point_inputs_hash({"run", "a", "b"}, "", ""));
}

TEST_CASE("map-trace: identity maps in legacy tables, then translation on", "[unit][sweep]") {
  MapTraceOptions o;
  o.ranges = {parse_map_range("00:03.0:0x100000000:16K", "--map"), parse_map_range("00:04.0:0x200000000:0x1001", "--map")};
  const MapTrace t = make_map_trace(o);
  CHECK(t.pages == 4 + 2);
  // root table, two context... one context table (bus 0), two domains x (PML4, PDPT, PD, PT)
  CHECK(t.table_pages == 1 + 1 + 2 * 4);
  const Trace tr = parse_trace(t.text, "m.trace", "");
  REQUIRE(tr.records.size() == t.records);
  const TraceRecord& last = tr.records.back();
  CHECK(last.op == TraceOp::MmioW);
  CHECK(last.addr == 0xFED90018);
  CHECK(last.data == 0x80000000);
  CHECK(tr.records[tr.records.size() - 3].addr == 0xFED90020);
  CHECK(tr.records[tr.records.size() - 3].data == 0x10000000);  // the root table, first page of the pool

  CHECK_THROWS_WITH(parse_map_range("00:03.0:0x1000", "--map"),
                    "--map '00:03.0:0x1000': '00' is not a BDF (expected BDF:IOVA:SIZE, e.g. 00:03.0:0x100000000:8MiB)");
  CHECK_THROWS_WITH(parse_map_range("0:03.0:0x1000:4K", "--map"),
                    "--map '0:03.0:0x1000:4K': '0:03.0' is not a BDF (expected BDF:IOVA:SIZE, e.g. 00:03.0:0x100000000:8MiB)");
  MapTraceOptions bad;
  bad.ranges = {parse_map_range("00:03.0:0x10000000:4K", "--map")};
  CHECK_THROWS_WITH(make_map_trace(bad),
                    "range 00:03.0:0x10000000+0x1000 overlaps the table pool [0x10000000, 0x20000000): the identity map "
                    "would let DMA overwrite the tables");
}

TEST_CASE("map-trace: a table pool too small or misaligned is refused", "[unit][sweep]") {
  MapTraceOptions o;
  o.ranges = {parse_map_range("00:03.0:0x100000000:4K", "--map")};
  o.tables_bytes = 2 * 4096;  // the root table and the domain's top-level table; no room for a context table
  CHECK_THROWS_WITH(make_map_trace(o), "table pool [0x10000000, 0x10002000): table pool exhausted");
  o.tables_bytes = 5 * 4096;  // root, context table and the four levels of one domain need 6
  CHECK_THROWS_WITH(make_map_trace(o), "table pool [0x10000000, 0x10005000): table pool exhausted");
  o.tables_bytes = 6 * 4096;
  CHECK(make_map_trace(o).table_pages == 6);
  o.tables_base = 0x10000800;
  CHECK_THROWS_WITH(make_map_trace(o), "table pool [0x10000800, 0x10006800): not a 4 KiB aligned pool of at least "
                                       "one page");
}
