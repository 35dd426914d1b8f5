// A run's statistics as tools read them: stats.json flattened to one value per
// name, histograms as `name::samples`, `name::mean`, ... (gem5's separator),
// each with its unit (from the description's trailing "(Unit)").
#pragma once
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace iommusim {

struct StatValue {
  nlohmann::json value;  // an integer or a real
  std::string unit;      // "Count", "Tick", ... ("" if unknown)
};

using FlatStats = std::map<std::string, StatValue>;

// Flattens the "stats" and "descriptions" objects of a stats.json document.
// Histogram fields are in the histogram's unit, except `samples` (Count).
FlatStats flatten_stats(const nlohmann::json& doc);

// Reads and flattens a stats.json file; throws InputError naming the file.
FlatStats read_stats_file(const std::string& path);

// "system.dma_latency::mean" in `s`, or nothing.
std::optional<StatValue> find_stat(const FlatStats& s, const std::string& name);

// The unit in a description "text (Unit)" ("" if none).
std::string unit_of_description(const std::string& desc);

// Writes `text` to `path` through `path.tmp` and a rename, so that a reader
// (or a killed writer) never sees half a file. Throws InputError.
void write_file_atomic(const std::string& path, const std::string& text);

// A number as results and goldens print it: integers as integers, reals with
// the shortest text that reads back the same (nlohmann's rule).
std::string format_stat_value(const nlohmann::json& v);

}  // namespace iommusim
