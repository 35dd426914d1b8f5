// Helpers for the importer tests: the sample inputs (tb/data/import) and the
// trace-v1 contract (what an importer writes reads back with parse_trace).
#pragma once
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "trace/import_result.h"
#include "trace/trace_reader.h"

namespace iommusim::test {

inline std::string import_sample(const std::string& name) {
  std::ifstream in(std::string(IOMMUSIM_SOURCE_DIR) + "/tb/data/import/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The output parses as trace-v1, with one record per imported record.
inline void check_reads_back(const ImportResult& r) {
  const Trace t = parse_trace(r.trace_text(), "imported.trace", "");
  CHECK(t.records.size() == r.record_count());
}

// The problem of `kind` was counted `count` times, first on `line`.
inline void check_problem(const ImportResult& r, const std::string& kind, uint64_t count, uint32_t line) {
  INFO("problem kind: " << kind);
  const auto it = r.problems.find(kind);
  REQUIRE(it != r.problems.end());
  CHECK(it->second.count == count);
  CHECK(it->second.first_line == line);
}

}  // namespace iommusim::test
