// Configuration access: a validated, typed view of a YAML configuration.
//
// A Config holds one YAML document (from a file, or empty for the built-in
// defaults) plus the command-line overrides (`--set a.b.c=v`). Models read their
// parameters through ConfigNode, which
//   * type-checks every value and names file, line and key path on error,
//   * writes the default back into the tree when a key is absent, so that the
//     tree becomes the *effective* configuration written to config.json,
//   * records every key it reads, so that Config::check_unknown_keys() can reject
//     keys that no model consumed (typos) after the platform was built.
//
// Numbers are decimal or 0x-hex; integers may carry a binary size suffix
// (KiB, MiB, GiB, TiB; also K, M, G, T meaning the same).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "common/types.h"

namespace iommusim {

class ConfigNode;

// A map a run adds to the configuration (Config::append), built key by key:
// every value is kept as the text a configuration file would give (so that
// the accessors read, check and report it as they do a file's), a list of
// such texts, or a nested map. An added entry has no place in the file;
// yaml-cpp marks it line 0, so messages about it name line 1 of the file
// with the entry's key path (as they did when entries were appended as YAML text).
class ConfigEntry {
 public:
  ConfigEntry& set(const std::string& key, const std::string& text);
  ConfigEntry& set(const std::string& key, const char* text) { return set(key, std::string(text)); }
  ConfigEntry& set(const std::string& key, const std::vector<std::string>& texts);
  ConfigEntry& set(const std::string& key, const ConfigEntry& map);

 private:
  friend class Config;
  YAML::Node node_{YAML::NodeType::Map};
};

class Config {
 public:
  // Loads a YAML file; throws InputError "FILE: cannot open" / "FILE:LINE: syntax error ...".
  static Config from_file(const std::string& path);
  // Parses YAML text; `name` is used in messages.
  static Config from_string(const std::string& text, const std::string& name);
  // An empty configuration: every parameter takes its default.
  static Config empty();

  // Applies `path=value` (path dotted; a sequence element is addressed by its
  // index or by the value of its `name` key; a first component that is not a
  // top-level key names a `name`d element anywhere in the tree, so
  // `nic0.tags=8` reaches platform.endpoints[name=nic0].tags). The value is
  // parsed as YAML. Throws InputError naming the option.
  void apply_override(const std::string& assignment);

  // Appends a map of string fields to the list at dotted `list_path` (created if
  // absent); used to add components the run derives (a trace's endpoints).
  void append(const std::string& list_path, const std::vector<std::pair<std::string, std::string>>& fields);
  // Appends one element with nested keys (units imported from a DMAR table).
  void append(const std::string& list_path, const ConfigEntry& entry);

  ConfigNode root();

  // Named one-shot facts about how the configuration was put together (e.g.
  // "dmar_imported"), so that a derivation runs once.
  void set_flag(const std::string& name) { state_->flags.insert(name); }
  bool flag(const std::string& name) const { return state_->flags.count(name) != 0; }

  // Throws InputError for the first key (in document order) that no model read.
  void check_unknown_keys() const;

  // The effective configuration (defaults filled in) as JSON.
  nlohmann::ordered_json to_json() const;

  const std::string& name() const { return state_->name; }
  // Folder of the configuration file ("" for built-in), for relative paths.
  std::string base_dir() const;

 private:
  friend class ConfigNode;
  struct State {
    std::string name;
    YAML::Node doc;
    std::set<std::string> consumed;                  // key paths read by models
    std::set<std::string> overridden;                // key paths set by --set
    std::set<std::string> flags;                     // set_flag()
  };
  std::shared_ptr<State> state_;
};

// A map in the configuration tree, at a key path.
class ConfigNode {
 public:
  const std::string& path() const { return path_; }
  bool has(const std::string& key) const;
  // What `key` holds, for keys that accept several forms.
  enum class Kind { Absent, Scalar, Map, List };
  Kind kind(const std::string& key) const;

  // Typed accessors. `key` is a direct child. Absent -> default written back.
  std::uint64_t u64(const std::string& key, std::uint64_t def, std::uint64_t min = 0,
                    std::uint64_t max = UINT64_MAX);
  std::uint64_t pow2(const std::string& key, std::uint64_t def, std::uint64_t min = 1,
                     std::uint64_t max = UINT64_MAX);
  double real(const std::string& key, double def, double min, double max);
  // A time given in nanoseconds (a number, fractions allowed), checked
  // against [min_ns, max_ns] as real() does, as Ticks (picoseconds). The one
  // rounding rule of every time parameter: std::llround(ns * 1000), so
  // 1.2345 ns is 1235 ps. `def_ns` is written back when the key is absent.
  Tick time_ns(const std::string& key, double def_ns, double min_ns, double max_ns);
  // The same for a time given in microseconds: std::llround(us * 1000000).
  Tick time_us(const std::string& key, double def_us, double min_us, double max_us);
  bool boolean(const std::string& key, bool def);
  std::string str(const std::string& key, const std::string& def);
  // One of `choices`.
  std::string choice(const std::string& key, const std::string& def,
                     const std::vector<std::string>& choices);
  // A required string (no default).
  std::string required_str(const std::string& key);
  // A component's instance name: [A-Za-z0-9_]+, as SystemC and the statistics
  // names need it.
  std::string instance_name(const std::string& key, const std::string& def);

  // Child map (created empty if absent).
  ConfigNode child(const std::string& key);
  // Child sequence of maps (empty if absent).
  std::vector<ConfigNode> list(const std::string& key);
  // Child sequence of strings (empty if absent, written back as []).
  std::vector<std::string> str_list(const std::string& key);
  // The keys of this map, in document order (for maps whose keys are data,
  // such as a sweep's grid of `--set` paths). Reading a key through the
  // accessors above marks it consumed as usual.
  std::vector<std::string> keys() const;

  // Error at this node or at one of its keys: "FILE:LINE: PATH.KEY: MSG".
  [[noreturn]] void fail(const std::string& key, const std::string& msg) const;

 private:
  friend class Config;
  ConfigNode(std::shared_ptr<Config::State> s, YAML::Node n, std::string path)
      : state_(std::move(s)), node_(std::move(n)), path_(std::move(path)) {}
  std::string key_path(const std::string& key) const;
  std::string where(const std::string& key) const;
  // The scalar text of `key`, or nullopt (and the key marked consumed).
  std::optional<std::string> scalar(const std::string& key, const char* expected);

  std::shared_ptr<Config::State> state_;
  YAML::Node node_;
  std::string path_;
};

// Parses an unsigned integer: decimal, 0x-hex, optional binary size suffix.
std::optional<std::uint64_t> parse_config_u64(const std::string& text);

}  // namespace iommusim
