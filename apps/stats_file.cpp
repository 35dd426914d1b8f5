#include "stats_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"

namespace iommusim {

std::string unit_of_description(const std::string& desc) {
  if (desc.empty() || desc.back() != ')') return "";
  const auto open = desc.rfind('(');
  if (open == std::string::npos) return "";
  return desc.substr(open + 1, desc.size() - open - 2);
}

FlatStats flatten_stats(const nlohmann::json& doc) {
  FlatStats out;
  if (!doc.is_object() || !doc.contains("stats") || !doc["stats"].is_object()) return out;
  const nlohmann::json& desc = doc.contains("descriptions") ? doc["descriptions"] : nlohmann::json::object();
  for (auto it = doc["stats"].begin(); it != doc["stats"].end(); ++it) {
    std::string unit;
    if (desc.is_object() && desc.contains(it.key()) && desc[it.key()].is_string())
      unit = unit_of_description(desc[it.key()].get<std::string>());
    if (it.value().is_object()) {
      for (auto f = it.value().begin(); f != it.value().end(); ++f)
        out[it.key() + "::" + f.key()] = StatValue{f.value(), f.key() == "samples" ? "Count" : unit};
    } else {
      out[it.key()] = StatValue{it.value(), unit};
    }
  }
  return out;
}

FlatStats read_stats_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not JSON: {}", path, e.what()));
  }
  if (!doc.is_object() || !doc.contains("stats") || !doc["stats"].is_object())
    throw InputError(fmt::format("{}: expected an object with \"stats\"", path));
  return flatten_stats(doc);
}

std::optional<StatValue> find_stat(const FlatStats& s, const std::string& name) {
  auto it = s.find(name);
  if (it == s.end()) return std::nullopt;
  return it->second;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw InputError(fmt::format("{}: cannot write", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw InputError(fmt::format("{}: cannot write: {}", path, ec.message()));
}

std::string format_stat_value(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

}  // namespace iommusim
