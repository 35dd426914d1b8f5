// The checks shared by the two trace-importer harnesses (fuzz_import_ftrace,
// fuzz_import_qemu). Invariants, for every input and both option sets (with
// and without --device):
//  * with on_error = Skip the importer returns (never throws); with Fail it
//    returns or throws an InputError naming the input at the first problem
//    line, and returns exactly when Skip found no problem, with the same
//    trace;
//  * the trace it writes (ImportResult::trace_text, what `iommusim import`
//    writes) parses as trace-v1, to the records the importer made, in order;
//  * the counts add up: records written = records parsed, input lines = lines
//    of the input, events and skipped lines at most the input lines.
#pragma once
#include <algorithm>
#include <string>
#include <string_view>

#include "common/error.h"
#include "fuzz_check.h"
#include "trace/import_result.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace iommusim_fuzz {

using namespace iommusim;

template <class Import>
void check_import(std::string_view text, Import import) {
  uint32_t lines = 0;
  for_each_line(text, [&](uint32_t, std::string_view) { ++lines; });
  for (int variant = 0; variant < 2; ++variant) {
    ImportOptions o;
    if (variant) o.device = Bdf{0, 0x3b, 0, 1};
    ImportResult r;
    try {
      r = import(text, "fuzz.txt", o);
    } catch (const std::exception& e) {
      FUZZ_CHECK(false, "the importer threw with on_error = skip: %s", e.what());
    }
    FUZZ_CHECK(r.input_lines == lines, "input_lines %llu, the input has %u", (unsigned long long)r.input_lines, lines);
    FUZZ_CHECK(r.event_lines <= r.input_lines && r.skipped_lines() <= r.input_lines, "counts");
    const std::string out = r.trace_text();
    Trace t;
    try {
      t = parse_trace(out, "imported.trace", "");
    } catch (const InputError& e) {
      FUZZ_CHECK(false, "the imported trace does not parse: %s", e.what());
    }
    FUZZ_CHECK(t.records.size() == r.record_count(), "%zu records parse, %llu written", t.records.size(),
               (unsigned long long)r.record_count());
    size_t i = 0;
    for (const ImportedLine& l : r.lines) {
      if (l.is_comment) continue;
      TraceRecord a = l.record, b = t.records[i];
      a.seq = b.seq = 0;
      a.line = b.line = 0;
      FUZZ_CHECK(a == b, "record %zu: imported '%s', parsed '%s'", i, format_record(l.record).c_str(),
                 format_record(t.records[i]).c_str());
      ++i;
    }
    (void)r.summary();

    o.on_error = ImportOnError::Fail;
    uint32_t first_problem = 0;
    for (const auto& kv : r.problems)
      if (first_problem == 0 || kv.second.first_line < first_problem) first_problem = kv.second.first_line;
    try {
      const ImportResult strict = import(text, "fuzz.txt", o);
      FUZZ_CHECK(r.problems.empty(), "on_error = fail returned although skip found problems");
      FUZZ_CHECK(strict.trace_text() == out, "on_error = fail gives another trace");
    } catch (const InputError& e) {
      const std::string want = "fuzz.txt:" + std::to_string(first_problem) + ":";
      FUZZ_CHECK(!r.problems.empty() && starts_with(e.what(), want), "on_error = fail: '%s', expected %s...",
                 e.what(), want.c_str());
    }
  }
}

}  // namespace iommusim_fuzz
