#include "regress_suite.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/config.h"
#include "common/error.h"

namespace fs = std::filesystem;

namespace iommusim {

namespace {

bool is_number(const nlohmann::json& v) { return v.is_number(); }

double as_double(const nlohmann::json& v) { return v.get<double>(); }

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

std::string trim_number(double v) {
  std::string s = fmt::format("{:.6g}", v);
  return s;
}

// `tolerances` of a suite.yaml or case.yaml.
std::vector<Tolerance> read_tolerances(ConfigNode parent, const std::string& file) {
  std::vector<Tolerance> out;
  for (ConfigNode n : parent.list("tolerances")) {
    Tolerance t;
    t.stats = n.str("stats", "*");
    if (n.has("unit")) t.unit = n.str("unit", "");
    int kinds = 0;
    if (n.has("exact")) {
      ++kinds;
      if (!n.boolean("exact", true)) n.fail("exact", "expected true (give relative, absolute or ignore otherwise)");
      t.kind = Tolerance::Kind::Exact;
    }
    if (n.has("relative")) {
      ++kinds;
      t.kind = Tolerance::Kind::Relative;
      t.amount = n.real("relative", 0, 0, 1e9);
    }
    if (n.has("absolute")) {
      ++kinds;
      t.kind = Tolerance::Kind::Absolute;
      t.amount = n.real("absolute", 0, 0, 1e300);
    }
    if (n.has("ignore")) {
      ++kinds;
      if (!n.boolean("ignore", true)) n.fail("ignore", "expected true (leave the rule out otherwise)");
      t.kind = Tolerance::Kind::Ignore;
    }
    if (kinds != 1)
      n.fail("", fmt::format("expected exactly one of exact: true, relative: R, absolute: A, ignore: true (got {})",
                             kinds));
    const std::string where = n.path();
    t.origin = fmt::format("{} {}", file, where);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

bool Tolerance::matches(const std::string& name, const std::string& stat_unit) const {
  if (!unit.empty() && unit != stat_unit) return false;
  return fnmatch(stats.c_str(), name.c_str(), 0) == 0;
}

bool Tolerance::within(const nlohmann::json& golden, const nlohmann::json& now) const {
  if (kind == Kind::Ignore) return true;
  if (!is_number(golden) || !is_number(now) || kind == Kind::Exact) return golden == now;
  const double g = as_double(golden), n = as_double(now);
  const double d = std::fabs(n - g);
  if (kind == Kind::Absolute) return d <= amount;
  return d <= amount * std::fabs(g);
}

std::string Tolerance::describe() const {
  switch (kind) {
    case Kind::Exact: return "exact";
    case Kind::Relative: return fmt::format("rel {}", trim_number(amount));
    case Kind::Absolute: return fmt::format("abs {}", trim_number(amount));
    case Kind::Ignore: return "ignored";
  }
  return "?";
}

std::vector<Tolerance> builtin_tolerances() {
  std::vector<Tolerance> out;
  for (const char* unit : {"Tick", "Second", "Nanosecond", "Byte/Second", "Ratio"}) {
    Tolerance t;
    t.kind = Tolerance::Kind::Relative;
    t.amount = 1e-9;
    t.unit = unit;
    t.origin = "built-in";
    out.push_back(t);
  }
  Tolerance exact;
  exact.origin = "built-in";
  out.push_back(exact);
  return out;
}

RegressSuite RegressSuite::load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(fmt::format("{}: not a folder (a suite is a folder of cases)", dir));
  RegressSuite s;
  s.dir = dir;
  const std::string suite_file = (fs::path(dir) / "suite.yaml").string();
  if (fs::exists(suite_file)) {
    Config c = Config::from_file(suite_file);
    ConfigNode root = c.root();
    s.description = root.str("description", "");
    s.tolerances = read_tolerances(root, suite_file);
    c.check_unknown_keys();
  }
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && fs::exists(e.path() / "case.yaml")) folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  for (const fs::path& f : folders) {
    RegressCase rc;
    rc.name = f.filename().string();
    rc.dir = f.string();
    const std::string file = (f / "case.yaml").string();
    Config c = Config::from_file(file);
    ConfigNode root = c.root();
    rc.description = root.str("description", "");
    rc.config = resolve(rc.dir, root.str("config", ""));
    rc.trace = resolve(rc.dir, root.str("trace", ""));
    rc.sets = root.str_list("set");
    for (std::size_t i = 0; i < rc.sets.size(); ++i) {
      const auto eq = rc.sets[i].find('=');
      if (eq == std::string::npos || eq == 0)
        root.fail("set", fmt::format("element {}: expected key.path=value, got '{}'", i, rc.sets[i]));
    }
    rc.tolerances = read_tolerances(root, file);
    c.check_unknown_keys();
    if (rc.config.empty() && rc.trace.empty())
      throw InputError(fmt::format("{}: a case needs a config, a trace, or both", file));
    for (const std::string* p : {&rc.config, &rc.trace})
      if (!p->empty() && !fs::is_regular_file(*p, ec))
        root.fail(p == &rc.config ? "config" : "trace", fmt::format("{}: no such file", *p));
    s.cases.push_back(std::move(rc));
  }
  if (s.cases.empty())
    throw InputError(fmt::format("{}: no cases (a case is a subfolder with a case.yaml)", dir));
  return s;
}

std::vector<Tolerance> RegressSuite::rules_for(const RegressCase& c) const {
  std::vector<Tolerance> rules = c.tolerances;
  rules.insert(rules.end(), tolerances.begin(), tolerances.end());
  const std::vector<Tolerance> b = builtin_tolerances();
  rules.insert(rules.end(), b.begin(), b.end());
  return rules;
}

namespace {

const Tolerance& rule_for(const std::vector<Tolerance>& rules, const std::string& name, const std::string& unit) {
  for (const Tolerance& t : rules)
    if (t.matches(name, unit)) return t;
  static const Tolerance exact;
  return exact;
}

std::string rule_text(const Tolerance& t) { return t.origin.empty() ? t.describe() : t.describe() + " (" + t.origin + ")"; }

}  // namespace

std::vector<StatChange> compare_stats(const FlatStats& golden, const FlatStats& now,
                                      const std::vector<Tolerance>& rules) {
  std::vector<StatChange> out;
  auto g = golden.begin();
  auto n = now.begin();
  while (g != golden.end() || n != now.end()) {
    StatChange c;
    if (n == now.end() || (g != golden.end() && g->first < n->first)) {
      const Tolerance& t = rule_for(rules, g->first, g->second.unit);
      if (t.kind != Tolerance::Kind::Ignore) {
        c.kind = StatChange::Kind::Disappeared;
        c.stat = g->first;
        c.golden = g->second;
        c.tolerance = rule_text(t);
        out.push_back(c);
      }
      ++g;
    } else if (g == golden.end() || n->first < g->first) {
      const Tolerance& t = rule_for(rules, n->first, n->second.unit);
      if (t.kind != Tolerance::Kind::Ignore) {
        c.kind = StatChange::Kind::Appeared;
        c.stat = n->first;
        c.now = n->second;
        c.tolerance = rule_text(t);
        out.push_back(c);
      }
      ++n;
    } else {
      const Tolerance& t = rule_for(rules, g->first, g->second.unit);
      if (!t.within(g->second.value, n->second.value)) {
        c.kind = StatChange::Kind::Moved;
        c.stat = g->first;
        c.golden = g->second;
        c.now = n->second;
        c.tolerance = rule_text(t);
        out.push_back(c);
      }
      ++g;
      ++n;
    }
  }
  return out;
}

std::vector<StatChange> diff_stats(const FlatStats& golden, const FlatStats& now) {
  Tolerance exact;
  exact.origin = "";
  return compare_stats(golden, now, {exact});
}

std::string golden_json(const FlatStats& s) {
  nlohmann::ordered_json j;
  j["stats"] = nlohmann::ordered_json::object();
  j["units"] = nlohmann::ordered_json::object();
  for (const auto& [name, v] : s) j["stats"][name] = v.value;
  for (const auto& [name, v] : s) j["units"][name] = v.unit;
  return j.dump(2) + "\n";
}

FlatStats read_golden(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: no golden statistics (run iommusim regress with --update to write them)", path));
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not JSON: {}", path, e.what()));
  }
  if (!j.is_object() || !j.contains("stats") || !j["stats"].is_object())
    throw InputError(fmt::format("{}: expected an object with \"stats\" (and \"units\")", path));
  FlatStats out;
  const nlohmann::json units = j.contains("units") && j["units"].is_object() ? j["units"] : nlohmann::json::object();
  for (auto it = j["stats"].begin(); it != j["stats"].end(); ++it) {
    if (!it.value().is_number())
      throw InputError(fmt::format("{}: stats.{}: expected a number", path, it.key()));
    StatValue v{it.value(), ""};
    if (units.contains(it.key()) && units[it.key()].is_string()) v.unit = units[it.key()].get<std::string>();
    out[it.key()] = v;
  }
  return out;
}

std::string changes_table(const std::vector<CaseChanges>& cases) {
  struct Row {
    std::string c, stat, golden, now, delta, tol;
  };
  std::vector<Row> rows = {{"case", "statistic", "golden", "new", "delta", "tolerance"}};
  for (const CaseChanges& cc : cases) {
    for (const StatChange& ch : cc.changes) {
      Row r;
      r.c = cc.case_name;
      r.stat = ch.stat;
      r.golden = ch.golden ? format_stat_value(ch.golden->value) : "(absent)";
      r.now = ch.now ? format_stat_value(ch.now->value) : "(absent)";
      if (ch.kind == StatChange::Kind::Appeared) {
        r.delta = "appeared";
      } else if (ch.kind == StatChange::Kind::Disappeared) {
        r.delta = "disappeared";
      } else if (ch.golden->value.is_number() && ch.now->value.is_number()) {
        const double g = ch.golden->value.get<double>(), n = ch.now->value.get<double>();
        const bool ints = ch.golden->value.is_number_integer() && ch.now->value.is_number_integer();
        std::string d;
        if (ints) {
          const long long gi = ch.golden->value.get<long long>(), ni = ch.now->value.get<long long>();
          d = fmt::format("{:+}", ni - gi);
        } else {
          d = fmt::format("{:+.6g}", n - g);
        }
        r.delta = g != 0 ? fmt::format("{} ({:+.3g}%)", d, 100.0 * (n - g) / std::fabs(g)) : d;
      }
      r.tol = ch.tolerance;
      rows.push_back(r);
    }
  }
  std::size_t w[6] = {};
  for (const Row& r : rows) {
    const std::string* f[6] = {&r.c, &r.stat, &r.golden, &r.now, &r.delta, &r.tol};
    for (int i = 0; i < 6; ++i) w[i] = std::max(w[i], f[i]->size());
  }
  std::string out;
  for (const Row& r : rows)
    out += fmt::format("  {:<{}}  {:<{}}  {:>{}}  {:>{}}  {:<{}}  {}\n", r.c, w[0], r.stat, w[1], r.golden, w[2], r.now,
                       w[3], r.delta, w[4], r.tol);
  return out;
}

}  // namespace iommusim
