// What an importer of real traces (import_ftrace, import_qemu) returns: the
// trace-v1 records and comments it made, counts of the events by what became
// of them, and the malformed lines it skipped; plus the options they share.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bdf.h"
#include "common/types.h"
#include "trace/trace_record.h"

namespace iommusim {

enum class ImportOnError {
  Skip,  // skip a malformed line and count it
  Fail,  // stop at the first one: InputError "NAME:LINE: problem"
};

struct ImportOptions {
  // The requester for events that name no PCI device (ftrace iommu map/unmap,
  // DMA-API events of a non-PCI device, QEMU's vtd_ir_remap_msi).
  std::optional<Bdf> device;
  Addr reg_base = 0xFED90000;  // QEMU: the remapping unit's register block (Q35's)
  ImportOnError on_error = ImportOnError::Skip;
};

// One line of the output after the header: a record, or a comment.
struct ImportedLine {
  uint32_t input_line = 0;  // where it came from
  bool is_comment = false;
  TraceRecord record;       // when !is_comment (time in ps, seq/line unset)
  std::string comment;      // when is_comment: the text after "# "
};

struct ImportProblem {
  uint64_t count = 0;
  uint32_t first_line = 0;
  std::string first_message;  // the full message for the first such line
};

struct ImportResult {
  std::string format;      // "ftrace" or "qemu"
  std::string input_name;  // written into the header comment
  std::vector<ImportedLine> lines;
  uint64_t input_lines = 0;
  uint64_t event_lines = 0;                     // lines that parsed as events
  std::map<std::string, uint64_t> imported;     // event -> count, became records
  std::map<std::string, uint64_t> commented;    // event -> count, became comments
  std::map<std::string, uint64_t> ignored;      // event or reason -> count
  std::map<std::string, ImportProblem> problems;  // kind -> malformed lines

  void add_record(uint32_t input_line, const TraceRecord& r);
  void add_comment(uint32_t input_line, std::string text);

  // A malformed line: counted under `kind` (Skip), or InputError
  // "NAME:LINE: message" (Fail).
  void problem(const ImportOptions& o, uint32_t line, const std::string& kind, const std::string& message);

  uint64_t record_count() const;
  uint64_t skipped_lines() const;
  // The trace-v1 file: header, a comment naming the input, then the lines.
  std::string trace_text() const;
  // Human-readable summary (several lines, each ending in '\n').
  std::string summary() const;
};

// Shared by the importers: "0x..." or decimal into 64 bits; nothing if malformed.
std::optional<uint64_t> parse_import_number(std::string_view s);

// Calls line(number, text) for every line of `text` (numbered from 1, without
// the newline); returns the number of lines.
template <class F>
uint32_t for_each_line(std::string_view text, F&& line) {
  uint32_t n = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    line(++n, text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return n;
}

}  // namespace iommusim
