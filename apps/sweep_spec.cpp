#include "sweep_spec.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "common/config.h"
#include "common/error.h"

namespace fs = std::filesystem;

namespace iommusim {

namespace {

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || base_dir.empty() || base_dir == ".") return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

// A `--set` assignment list: each element key=value with a non-empty key.
std::vector<std::string> read_sets(ConfigNode& n, const std::string& key) {
  std::vector<std::string> sets = n.str_list(key);
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const auto eq = sets[i].find('=');
    if (eq == std::string::npos || eq == 0)
      n.fail(key, fmt::format("element {}: expected key.path=value, got '{}'", i, sets[i]));
  }
  return sets;
}

// Folder-name text of a value: letters, digits and . _ - + kept, others '_'.
std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '+') ? c : '_';
  return out.empty() ? "_" : out;
}

}  // namespace

namespace {

SweepSpec parse_spec(Config& c, const std::string& base_dir) {
  SweepSpec s;
  // Checks that need every key read first, so that a misspelt key is
  // reported as unknown rather than by what its absence means.
  std::vector<std::function<void()>> deferred;
  s.file = c.name();
  ConfigNode root = c.root();
  const std::string config = resolve(base_dir, root.str("config", ""));
  const std::string trace = resolve(base_dir, root.str("trace", ""));
  s.sets = read_sets(root, "set");

  ConfigNode grid = root.child("grid");
  for (const std::string& path : grid.keys()) {
    if (grid.kind(path) != ConfigNode::Kind::List)
      grid.fail(path, "expected a list of values (a --set key path maps to the values it takes)");
    SweepParameter p;
    p.path = path;
    p.values = grid.str_list(path);
    if (p.values.empty()) grid.fail(path, "expected at least one value");
    std::set<std::string> seen;
    for (const std::string& v : p.values)
      if (!seen.insert(v).second) grid.fail(path, fmt::format("value '{}' given twice", v));
    if (path.find('=') != std::string::npos || path.empty() || path.front() == '.' || path.back() == '.')
      grid.fail(path, "expected a --set key path such as iommu0.iotlb.entries");
    s.grid.push_back(std::move(p));
  }

  std::set<std::string> names;
  for (ConfigNode w : root.list("workloads")) {
    SweepWorkload wl;
    wl.name = w.instance_name("name", "");
    if (!names.insert(wl.name).second) w.fail("name", fmt::format("workload name '{}' used twice", wl.name));
    wl.config = w.has("config") ? resolve(base_dir, w.str("config", "")) : config;
    wl.trace = w.has("trace") ? resolve(base_dir, w.str("trace", "")) : trace;
    wl.sets = read_sets(w, "set");
    if (wl.config.empty() && wl.trace.empty())
      deferred.push_back(
          [w] { w.fail("", "a workload needs a config or a trace (its own, or the sweep's `config` / `trace`)"); });
    s.workloads.push_back(std::move(wl));
  }
  if (s.workloads.empty()) {
    if (config.empty() && trace.empty())
      deferred.push_back(
          [root] { root.fail("workloads", "expected at least one workload, or a top-level config or trace"); });
    SweepWorkload wl;
    wl.name = "base";
    wl.config = config;
    wl.trace = trace;
    s.workloads.push_back(std::move(wl));
  }

  ConfigNode stats = root.child("stats");
  for (const std::string& column : stats.keys()) {
    SweepStat st;
    st.column = column;
    st.stat = stats.str(column, "");
    if (st.stat.empty()) stats.fail(column, "expected a statistic name, e.g. system.iommu0.iotlb_hit_rate");
    if (column.find_first_of(",\"\n") != std::string::npos) stats.fail(column, "a column name cannot hold , \" or a newline");
    s.stats.push_back(std::move(st));
  }
  if (s.stats.empty()) {
    s.stats = {{"dmas", "system.dmas"},
               {"bandwidth", "system.dma_bandwidth"},
               {"dma_latency_mean", "system.dma_latency::mean"}};
  }
  std::set<std::string> columns = {"point", "workload", "status"};
  for (const SweepParameter& p : s.grid)
    if (!columns.insert(p.path).second) grid.fail(p.path, "the name of a results column (point, workload, status)");
  for (const SweepStat& st : s.stats)
    if (!columns.insert(st.column).second)
      stats.fail(st.column, "this column name is taken (point, workload, status or a grid parameter)");

  ConfigNode plots = root.child("plots");
  const auto is_param = [&](const std::string& x) {
    return std::any_of(s.grid.begin(), s.grid.end(), [&](const SweepParameter& p) { return p.path == x; });
  };
  const auto is_column = [&](const std::string& x) {
    return std::any_of(s.stats.begin(), s.stats.end(), [&](const SweepStat& st) { return st.column == x; });
  };
  s.plots.x = plots.str("x", s.grid.empty() ? "" : s.grid.front().path);
  if (!s.plots.x.empty() && !is_param(s.plots.x)) plots.fail("x", fmt::format("'{}' is not a grid parameter", s.plots.x));
  const bool lines_given = plots.has("lines");
  s.plots.lines = plots.str_list("lines");
  if (!lines_given)
    for (const SweepStat& st : s.stats) s.plots.lines.push_back(st.column);
  const bool heat_given = plots.has("heatmaps");
  s.plots.heatmaps = plots.str_list("heatmaps");
  if (!heat_given && !s.stats.empty()) s.plots.heatmaps.push_back(s.stats.front().column);
  for (const std::string& l : s.plots.lines)
    if (!is_column(l)) plots.fail("lines", fmt::format("'{}' is not a column of `stats`", l));
  for (const std::string& h : s.plots.heatmaps)
    if (!is_column(h)) plots.fail("heatmaps", fmt::format("'{}' is not a column of `stats`", h));

  c.check_unknown_keys();
  for (const auto& check : deferred) check();
  return s;
}

}  // namespace

SweepSpec SweepSpec::from_file(const std::string& path) {
  Config c = Config::from_file(path);
  return parse_spec(c, c.base_dir());
}

SweepSpec SweepSpec::from_string(const std::string& text, const std::string& name, const std::string& base_dir) {
  Config c = Config::from_string(text, name);
  return parse_spec(c, base_dir);
}

std::vector<SweepPoint> expand_points(const SweepSpec& s) {
  std::vector<SweepPoint> out;
  std::size_t combos = 1;
  for (const SweepParameter& p : s.grid) combos *= p.values.size();
  for (std::size_t w = 0; w < s.workloads.size(); ++w) {
    for (std::size_t k = 0; k < combos; ++k) {
      SweepPoint pt;
      pt.index = out.size();
      pt.workload = w;
      pt.values.resize(s.grid.size());
      std::size_t rest = k;
      for (std::size_t g = s.grid.size(); g-- > 0;) {
        pt.values[g] = s.grid[g].values[rest % s.grid[g].values.size()];
        rest /= s.grid[g].values.size();
      }
      std::string id = s.workloads[w].name + "/";
      for (std::size_t g = 0; g < s.grid.size(); ++g)
        id += (g ? "," : "") + sanitize(s.grid[g].path) + "=" + sanitize(pt.values[g]);
      if (s.grid.empty()) id += "base";
      // Distinct values can sanitize to the same text: keep folders apart.
      std::string unique = id;
      for (unsigned n = 2; std::any_of(out.begin(), out.end(), [&](const SweepPoint& o) { return o.id == unique; }); ++n)
        unique = fmt::format("{}~{}", id, n);
      pt.id = unique;
      out.push_back(std::move(pt));
    }
  }
  return out;
}

std::vector<std::string> point_run_args(const SweepSpec& s, const SweepPoint& p, const std::string& out_dir) {
  const SweepWorkload& w = s.workloads[p.workload];
  std::vector<std::string> a = {"run"};
  if (!w.config.empty()) a.push_back(w.config);
  if (!w.trace.empty()) {
    a.push_back("--trace");
    a.push_back(w.trace);
  }
  const auto add_set = [&a](const std::string& v) {
    a.push_back("--set");
    a.push_back(v);
  };
  for (const std::string& v : s.sets) add_set(v);
  for (const std::string& v : w.sets) add_set(v);
  for (std::size_t g = 0; g < s.grid.size(); ++g) add_set(s.grid[g].path + "=" + p.values[g]);
  a.push_back("--out");
  a.push_back(out_dir);
  return a;
}

}  // namespace iommusim
