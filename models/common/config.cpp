#include "common/config.h"

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"

namespace iommusim {

namespace {

// A list index as --set writes it (bounded, so that stoul cannot overflow).
bool is_index(const std::string& s) {
  return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

// yaml-cpp keeps the last of two equal keys; a configuration must not have them.
constexpr std::size_t kMaxKeyBytes = 128;

void reject_duplicate_keys(const YAML::Node& n, const std::string& name, const std::string& path) {
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string key = it->first.Scalar();
      // YAML 1.2 (7.4.2, 8.2.2) limits an implicit key to 1024 characters,
      // and the effective configuration (config.json) writes each key quoted,
      // a control character as a 6-character escape: a key of more than 128
      // bytes could load here and not from config.json. (No key iommusim
      // reads is longer than 40.)
      if (key.size() > kMaxKeyBytes)
        throw InputError(fmt::format("{}:{}: {}: a key of {} bytes (at most {})", name, it->first.Mark().line + 1,
                                     path.empty() ? "(top level)" : path, key.size(), kMaxKeyBytes));
      const std::string kp = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second)
        throw InputError(fmt::format("{}:{}: {}: duplicate key", name, it->first.Mark().line + 1, kp));
      reject_duplicate_keys(it->second, name, kp);
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) reject_duplicate_keys(n[i], name, fmt::format("{}[{}]", path, i));
  }
}

// Offset of the first byte that is not part of well-formed UTF-8 (Unicode
// 3.9, table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF),
// or npos. YAML text is Unicode; yaml-cpp passes other bytes through, and
// the effective configuration (config.json) could then not be written.
std::size_t invalid_utf8_at(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return i;
    if (s.size() - i <= n) return i;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += n + 1;
  }
  return std::string::npos;
}

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Finds a map with `name: want` in any sequence of the tree (depth first);
// `path` receives its key path in ConfigNode's form (a.b[2]).
YAML::Node find_named(YAML::Node n, const std::string& want, const std::string& at, std::string& path) {
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string key = it->first.Scalar();
      YAML::Node found = find_named(it->second, want, at.empty() ? key : at + "." + key, path);
      if (found) return found;
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      YAML::Node e = n[i];
      const std::string ep = fmt::format("{}[{}]", at, i);
      if (e.IsMap() && e["name"] && e["name"].IsScalar() && e["name"].Scalar() == want) {
        path = ep;
        return e;
      }
      YAML::Node found = find_named(e, want, ep, path);
      if (found) return found;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string type_name(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "nothing";
  return "'" + n.Scalar() + "'";
}

nlohmann::ordered_json scalar_to_json(const std::string& s) {
  if (auto v = parse_config_u64(s); v && (s.find_first_not_of("0123456789") == std::string::npos))
    return *v;
  if (s == "true") return true;
  if (s == "false") return false;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (!s.empty() && end && *end == '\0' && errno == 0 && std::isfinite(d) &&
      s.find_first_of("0123456789") != std::string::npos && s.find_first_of("xX") == std::string::npos)
    return d;
  if (auto v = parse_config_u64(s)) return *v;  // hex or size suffix: as the number it means
  return s;
}

nlohmann::ordered_json node_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (auto it = n.begin(); it != n.end(); ++it) j[it->first.Scalar()] = node_to_json(it->second);
    return j;
  }
  if (n.IsSequence()) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < n.size(); ++i) j.push_back(node_to_json(n[i]));
    return j;
  }
  if (n.IsScalar()) return scalar_to_json(n.Scalar());
  return nullptr;
}

}  // namespace

std::optional<std::uint64_t> parse_config_u64(const std::string& text) {
  std::string s = text;
  std::uint64_t mult = 1;
  static const struct {
    const char* suffix;
    std::uint64_t mult;
  } suffixes[] = {{"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40},
                  {"K", 1ull << 10},   {"M", 1ull << 20},   {"G", 1ull << 30},   {"T", 1ull << 40}};
  bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  if (!hex) {
    for (const auto& sf : suffixes) {
      std::size_t n = std::string(sf.suffix).size();
      if (s.size() > n && s.compare(s.size() - n, n, sf.suffix) == 0) {
        s = s.substr(0, s.size() - n);
        while (!s.empty() && s.back() == ' ') s.pop_back();
        mult = sf.mult;
        break;
      }
    }
  }
  const char* digits = hex ? s.c_str() + 2 : s.c_str();
  if (*digits == '\0') return std::nullopt;
  for (const char* p = digits; *p; ++p)
    if (!(hex ? std::isxdigit(static_cast<unsigned char>(*p)) : std::isdigit(static_cast<unsigned char>(*p))))
      return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(digits, &end, hex ? 16 : 10);
  if (errno == ERANGE || *end != '\0') return std::nullopt;
  if (mult > 1 && v > UINT64_MAX / mult) return std::nullopt;
  return static_cast<std::uint64_t>(v) * mult;
}

// ---------------------------------------------------------------- Config

Config Config::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(fmt::format("{}: cannot open: not a regular file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return from_string(ss.str(), path);
}

Config Config::from_string(const std::string& text, const std::string& name) {
  Config c;
  c.state_ = std::make_shared<State>();
  c.state_->name = name;
  if (const std::size_t bad = invalid_utf8_at(text); bad != std::string::npos) {
    const std::size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    const std::size_t line = 1 + std::count(text.begin(), text.begin() + bad, '\n');
    const std::size_t column = line_start == std::string::npos || bad == 0 ? bad + 1 : bad - line_start;
    throw InputError(fmt::format("{}:{}: byte {:#04x} at column {} is not UTF-8 (a configuration is UTF-8 text)",
                                 name, line, static_cast<unsigned char>(text[bad]), column));
  }
  try {
    c.state_->doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}:{}: YAML syntax error: {}", name, e.mark.line + 1, e.msg));
  }
  if (c.state_->doc.IsNull()) c.state_->doc = YAML::Node(YAML::NodeType::Map);
  reject_duplicate_keys(c.state_->doc, name, "");
  if (!c.state_->doc.IsMap())
    throw InputError(fmt::format("{}: expected a map of sections at the top level", name));
  return c;
}

Config Config::empty() { return from_string("{}", "(built-in defaults)"); }

std::string Config::base_dir() const {
  const std::string& n = state_->name;
  if (n.empty() || n[0] == '(') return "";
  auto slash = n.rfind('/');
  return slash == std::string::npos ? "." : n.substr(0, slash);
}

void Config::apply_override(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(fmt::format("--set {}: expected key.path=value", assignment));
  std::string path = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  if (invalid_utf8_at(assignment) != std::string::npos)
    throw InputError(fmt::format("--set {}: not UTF-8 text", assignment));
  std::vector<std::string> parts = split_dots(path);
  for (const auto& p : parts)
    if (p.empty()) throw InputError(fmt::format("--set {}: empty component in key path", assignment));

  YAML::Node cur = state_->doc;
  std::size_t i = 0;
  std::string canon;  // the key path as ConfigNode names it, for messages
  static const char* const kSections[] = {"simulation", "platform", "host", "workloads"};
  const bool section = std::any_of(std::begin(kSections), std::end(kSections),
                                   [&](const char* k) { return parts[0] == k; });
  if (!section && !cur[parts[0]] && parts.size() > 1) {
    YAML::Node named = find_named(state_->doc, parts[0], "", canon);
    if (!named)
      throw InputError(fmt::format("--set {}: '{}' is neither a section nor the name of a component",
                                   assignment, parts[0]));
    cur.reset(named);
    i = 1;
  }
  for (; i + 1 < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (cur.IsSequence()) {
      std::size_t idx = cur.size();
      if (is_index(p)) {
        idx = std::stoul(p);
        if (idx >= cur.size())
          throw InputError(fmt::format("--set {}: index {} beyond the {} elements of the list", assignment, p,
                                       cur.size()));
      } else {
        for (std::size_t k = 0; k < cur.size() && idx == cur.size(); ++k)
          if (cur[k].IsMap() && cur[k]["name"] && cur[k]["name"].Scalar() == p) idx = k;
        if (idx == cur.size()) throw InputError(fmt::format("--set {}: no element named '{}'", assignment, p));
      }
      YAML::Node next = cur[idx];
      canon += fmt::format("[{}]", idx);
      cur.reset(next);
    } else {
      if (!cur.IsMap() && !cur.IsNull())
        throw InputError(fmt::format("--set {}: {} is a value, not a map", assignment, canon));
      if (!cur[p]) cur[p] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = cur[p];
      cur.reset(next);
      canon += (canon.empty() ? "" : ".") + p;
    }
  }
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("--set {}: cannot parse value: {}", assignment, e.msg));
  }
  if (cur.IsSequence()) {
    if (!is_index(parts.back()) || std::stoul(parts.back()) >= cur.size())
      throw InputError(fmt::format("--set {}: '{}' is not an index of the list", assignment, parts.back()));
    cur[std::stoul(parts.back())] = parsed;
    canon += "[" + parts.back() + "]";
  } else {
    if (!cur.IsMap() && !cur.IsNull())
      throw InputError(fmt::format("--set {}: {} is a value, not a map", assignment, canon));
    cur[parts.back()] = parsed;
    canon += (canon.empty() ? "" : ".") + parts.back();
  }
  state_->overridden.insert(canon);
}

namespace {

// Appends `e` to the list at dotted `list_path` in `doc`, creating it.
void push_to_list(YAML::Node doc, const std::string& list_path, const YAML::Node& e) {
  YAML::Node cur = doc;
  for (const std::string& p : split_dots(list_path)) {
    if (!cur[p]) cur[p] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = cur[p];
    cur.reset(next);
  }
  if (!cur.IsSequence()) cur = YAML::Node(YAML::NodeType::Sequence);
  cur.push_back(e);
}

}  // namespace

ConfigEntry& ConfigEntry::set(const std::string& key, const std::string& text) {
  node_[key] = text;
  return *this;
}

ConfigEntry& ConfigEntry::set(const std::string& key, const std::vector<std::string>& texts) {
  YAML::Node list(YAML::NodeType::Sequence);  // [] when empty, as a file writes it
  for (const std::string& t : texts) list.push_back(t);
  node_[key] = list;
  return *this;
}

ConfigEntry& ConfigEntry::set(const std::string& key, const ConfigEntry& map) {
  node_[key] = YAML::Clone(map.node_);  // a copy: YAML::Node assignment would share it
  return *this;
}

void Config::append(const std::string& list_path,
                    const std::vector<std::pair<std::string, std::string>>& fields) {
  ConfigEntry e;
  for (const auto& [k, v] : fields) e.set(k, v);
  append(list_path, e);
}

void Config::append(const std::string& list_path, const ConfigEntry& entry) {
  push_to_list(state_->doc, list_path, YAML::Clone(entry.node_));
}

ConfigNode Config::root() { return ConfigNode(state_, state_->doc, ""); }

void Config::check_unknown_keys() const {
  const State& s = *state_;
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& n,
                                                                         const std::string& path) {
    if (n.IsMap()) {
      for (auto it = n.begin(); it != n.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string kp = path.empty() ? key : path + "." + key;
        if (!s.consumed.count(kp)) {
          if (s.overridden.count(kp)) throw InputError(fmt::format("--set {}: unknown key", kp));
          const YAML::Mark m = it->first.Mark();
          const std::string where = m.line >= 0 ? fmt::format("{}:{}", s.name, m.line + 1) : s.name;
          throw InputError(fmt::format("{}: {}: unknown key", where, kp));
        }
        walk(it->second, kp);
      }
    } else if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i) walk(n[i], fmt::format("{}[{}]", path, i));
    }
  };
  walk(s.doc, "");
}

nlohmann::ordered_json Config::to_json() const { return node_to_json(state_->doc); }

// ---------------------------------------------------------------- ConfigNode

std::string ConfigNode::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::string ConfigNode::where(const std::string& key) const {
  const YAML::Node& cn = node_;
  YAML::Mark m = cn[key] ? cn[key].Mark() : cn.Mark();
  if (m.line >= 0) return fmt::format("{}:{}", state_->name, m.line + 1);
  return state_->name;
}

void ConfigNode::fail(const std::string& key, const std::string& msg) const {
  const std::string kp = key.empty() ? path_ : key_path(key);
  if (state_->overridden.count(kp)) throw InputError(fmt::format("--set {}: {}", kp, msg));
  throw InputError(fmt::format("{}: {}: {}", where(key), kp, msg));
}

bool ConfigNode::has(const std::string& key) const {
  const YAML::Node& cn = node_;
  return static_cast<bool>(cn[key]);
}

std::optional<std::string> ConfigNode::scalar(const std::string& key, const char* expected) {
  state_->consumed.insert(key_path(key));
  const YAML::Node& cn = node_;
  YAML::Node v = cn[key];
  if (!v) return std::nullopt;
  if (!v.IsScalar()) fail(key, fmt::format("expected {}, got {}", expected, type_name(v)));
  return v.Scalar();
}

std::uint64_t ConfigNode::u64(const std::string& key, std::uint64_t def, std::uint64_t min,
                              std::uint64_t max) {
  auto text = scalar(key, "an unsigned integer");
  if (!text) {
    node_[key] = def;
    return def;
  }
  auto v = parse_config_u64(*text);
  if (!v) fail(key, fmt::format("expected an unsigned integer, got '{}'", *text));
  if (*v < min || *v > max) {
    if (max == UINT64_MAX)
      fail(key, fmt::format("expected an integer >= {}, got {}", min, *text));
    fail(key, fmt::format("expected an integer in [{}, {}], got {}", min, max, *text));
  }
  return *v;
}

std::uint64_t ConfigNode::pow2(const std::string& key, std::uint64_t def, std::uint64_t min,
                               std::uint64_t max) {
  std::uint64_t v = u64(key, def, min, max);
  if (v == 0 || (v & (v - 1)) != 0) fail(key, fmt::format("expected a power of two, got {}", v));
  return v;
}

double ConfigNode::real(const std::string& key, double def, double min, double max) {
  auto text = scalar(key, "a number");
  if (!text) {
    node_[key] = def;
    return def;
  }
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    fail(key, fmt::format("expected a number, got '{}'", *text));
  if (v < min || v > max) fail(key, fmt::format("expected a number in [{}, {}], got {}", min, max, *text));
  return v;
}

namespace {

// A time read as a number of `unit` picoseconds, rounded to the nearest
// picosecond (halves away from zero). The range is the caller's: it must
// keep the product inside Tick, which a non-negative range below 2^63 ps does.
Tick scaled_time(double v, double ps_per_unit, double min, double max) {
  if (min < 0 || max * ps_per_unit >= 9.2e18)
    throw std::logic_error("a time parameter's range must be non-negative and below 2^63 ps");
  return static_cast<Tick>(std::llround(v * ps_per_unit));
}

}  // namespace

Tick ConfigNode::time_ns(const std::string& key, double def_ns, double min_ns, double max_ns) {
  return scaled_time(real(key, def_ns, min_ns, max_ns), double(kPsPerNs), min_ns, max_ns);
}

Tick ConfigNode::time_us(const std::string& key, double def_us, double min_us, double max_us) {
  return scaled_time(real(key, def_us, min_us, max_us), 1e6, min_us, max_us);
}

bool ConfigNode::boolean(const std::string& key, bool def) {
  auto text = scalar(key, "true or false");
  if (!text) {
    node_[key] = def;
    return def;
  }
  if (*text == "true") return true;
  if (*text == "false") return false;
  fail(key, fmt::format("expected true or false, got '{}'", *text));
}

std::string ConfigNode::str(const std::string& key, const std::string& def) {
  auto text = scalar(key, "a string");
  if (!text) {
    node_[key] = def;
    return def;
  }
  return *text;
}

std::string ConfigNode::required_str(const std::string& key) {
  auto text = scalar(key, "a string");
  if (!text) fail(key, "required key is missing");
  return *text;
}

std::string ConfigNode::choice(const std::string& key, const std::string& def,
                               const std::vector<std::string>& choices) {
  std::string v = str(key, def);
  for (const auto& c : choices)
    if (v == c) return v;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  fail(key, fmt::format("expected one of {}, got '{}'", list, v));
}

std::string ConfigNode::instance_name(const std::string& key, const std::string& def) {
  const std::string v = def.empty() ? required_str(key) : str(key, def);
  if (v.empty() || v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
                       std::string::npos)
    fail(key, fmt::format("expected a name of letters, digits and '_', got '{}'", v));
  return v;
}

ConfigNode ConfigNode::child(const std::string& key) {
  state_->consumed.insert(key_path(key));
  const YAML::Node& cn = node_;
  YAML::Node v = cn[key];
  if (!v || v.IsNull()) {
    // (`v` may be an invalid node here, which yaml-cpp does not let us rebind.)
    node_[key] = YAML::Node(YAML::NodeType::Map);
    return ConfigNode(state_, node_[key], key_path(key));
  }
  if (!v.IsMap()) fail(key, fmt::format("expected a map, got {}", type_name(v)));
  return ConfigNode(state_, v, key_path(key));
}

std::vector<ConfigNode> ConfigNode::list(const std::string& key) {
  state_->consumed.insert(key_path(key));
  const YAML::Node& cn = node_;
  YAML::Node v = cn[key];
  std::vector<ConfigNode> out;
  if (!v || v.IsNull()) {
    node_[key] = YAML::Node(YAML::NodeType::Sequence);
    return out;
  }
  if (!v.IsSequence()) fail(key, fmt::format("expected a list, got {}", type_name(v)));
  for (std::size_t i = 0; i < v.size(); ++i) {
    YAML::Node e = v[i];
    std::string p = fmt::format("{}[{}]", key_path(key), i);
    if (!e.IsMap()) fail(key, fmt::format("element {}: expected a map, got {}", i, type_name(e)));
    out.push_back(ConfigNode(state_, e, p));
  }
  return out;
}

ConfigNode::Kind ConfigNode::kind(const std::string& key) const {
  const YAML::Node& cn = node_;
  const YAML::Node v = cn[key];
  if (!v || v.IsNull()) return Kind::Absent;
  if (v.IsMap()) return Kind::Map;
  if (v.IsSequence()) return Kind::List;
  return Kind::Scalar;
}

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::string> out;
  const YAML::Node& cn = node_;
  if (!cn.IsMap()) return out;
  for (auto it = cn.begin(); it != cn.end(); ++it) out.push_back(it->first.Scalar());
  return out;
}

std::vector<std::string> ConfigNode::str_list(const std::string& key) {
  state_->consumed.insert(key_path(key));
  const YAML::Node& cn = node_;
  YAML::Node v = cn[key];
  std::vector<std::string> out;
  if (!v || v.IsNull()) {
    node_[key] = YAML::Node(YAML::NodeType::Sequence);
    return out;
  }
  if (!v.IsSequence()) fail(key, fmt::format("expected a list, got {}", type_name(v)));
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) fail(key, fmt::format("element {}: expected a string, got {}", i, type_name(v[i])));
    out.push_back(v[i].Scalar());
  }
  return out;
}

}  // namespace iommusim
