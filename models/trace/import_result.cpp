#include "trace/import_result.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "common/error.h"
#include "trace/trace_writer.h"

namespace iommusim {

namespace {

// "a 3, b 1" (map order: by name).
std::string list_counts(const std::map<std::string, uint64_t>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", k, n);
  return s;
}

uint64_t total(const std::map<std::string, uint64_t>& m) {
  uint64_t n = 0;
  for (const auto& kv : m) n += kv.second;
  return n;
}

}  // namespace

void ImportResult::add_record(uint32_t input_line, const TraceRecord& r) {
  ImportedLine l;
  l.input_line = input_line;
  l.record = r;
  lines.push_back(std::move(l));
}

void ImportResult::add_comment(uint32_t input_line, std::string text) {
  ImportedLine l;
  l.input_line = input_line;
  l.is_comment = true;
  l.comment = std::move(text);
  lines.push_back(std::move(l));
}

void ImportResult::problem(const ImportOptions& o, uint32_t line, const std::string& kind,
                           const std::string& message) {
  if (o.on_error == ImportOnError::Fail) throw InputError(fmt::format("{}:{}: {}", input_name, line, message));
  ImportProblem& p = problems[kind];
  if (p.count++ == 0) {
    p.first_line = line;
    p.first_message = message;
  }
}

uint64_t ImportResult::record_count() const {
  uint64_t n = 0;
  for (const ImportedLine& l : lines) n += l.is_comment ? 0 : 1;
  return n;
}

uint64_t ImportResult::skipped_lines() const {
  uint64_t n = 0;
  for (const auto& kv : problems) n += kv.second.count;
  return n;
}

std::string ImportResult::trace_text() const {
  std::string out = "iommusim-trace 1\n";
  out += fmt::format("# imported from {} ({}) by iommusim import\n", input_name, format);
  for (const ImportedLine& l : lines) {
    out += l.is_comment ? "# " + l.comment : format_record(l.record);
    out += '\n';
  }
  return out;
}

std::string ImportResult::summary() const {
  std::map<std::string, uint64_t> ops;
  for (const ImportedLine& l : lines)
    if (!l.is_comment) ++ops[op_name(l.record.op)];
  std::string s;
  s += fmt::format("  input lines      {} ({} events)\n", input_lines, event_lines);
  s += fmt::format("  records written  {}{}{}\n", record_count(), ops.empty() ? "" : ": ", list_counts(ops));
  s += fmt::format("  events imported  {}{}{}\n", total(imported), imported.empty() ? "" : ": ",
                   list_counts(imported));
  if (!commented.empty())
    s += fmt::format("  as comments      {}: {}\n", total(commented), list_counts(commented));
  s += fmt::format("  events ignored   {}{}{}\n", total(ignored), ignored.empty() ? "" : ": ", list_counts(ignored));
  s += fmt::format("  lines skipped    {}{}\n", skipped_lines(), problems.empty() ? "" : ":");
  std::vector<std::pair<const std::string*, const ImportProblem*>> by_line;
  for (const auto& [kind, p] : problems) by_line.emplace_back(&kind, &p);
  std::sort(by_line.begin(), by_line.end(),
            [](const auto& a, const auto& b) { return a.second->first_line < b.second->first_line; });
  for (const auto& [kind, p] : by_line)
    s += fmt::format("    {}: {} (first at line {}: {})\n", *kind, p->count, p->first_line, p->first_message);
  return s;
}

std::optional<uint64_t> parse_import_number(std::string_view s) {
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = unsigned(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
    else return std::nullopt;
    if (v > (UINT64_MAX - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

}  // namespace iommusim
