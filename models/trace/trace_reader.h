// Reader for trace-v1 files: syntax and value checks, relative times resolved.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/bdf.h"
#include "trace/trace_record.h"

namespace iommusim {

struct Trace {
  std::string path;
  std::vector<TraceRecord> records;

  // Distinct device sources and map/unmap `dev=` values, sorted.
  std::vector<Bdf> devices() const;
};

// Reads and parses a trace file; `load` paths are relative to its folder.
// Throws InputError "PATH: cannot open: ..." or "PATH:LINE: problem".
Trace read_trace_file(const std::string& path);

// Parses trace text. `name` prefixes error messages, `base_dir` resolves
// `load` file paths (empty: the working directory). Throws InputError.
Trace parse_trace(std::string_view text, const std::string& name, const std::string& base_dir);

}  // namespace iommusim
