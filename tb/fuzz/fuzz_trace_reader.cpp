// Fuzzes the trace-v1 reader (models/trace/trace_reader.*).
//
// Invariants, for every input:
//  * the reader returns a trace or throws InputError naming the input
//    ("fuzz.trace:LINE: ..."); nothing else escapes;
//  * a parsed trace re-serialises (trace_writer's format_record) to a trace
//    that parses to the same records (same seq, time, source, op and keys;
//    only line numbers differ), and serialising that again gives the same
//    text (the writer's output is a fixed point);
//  * per record, the values the format promises: MMIO size 4/8 and aligned,
//    memory size 1..8, data fitting the size, MSI address in the window and
//    4-byte aligned, PASID < 2^20, priv/exec only with a PASID, host ops from
//    `host`, device ops from a BDF; Trace::devices() sorted and unique.
// `load` records read files: the harness gives the reader a folder with one
// file, and skips inputs whose `file=` could leave it (absolute or "..").
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "common/error.h"
#include "fuzz_check.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

using namespace iommusim;
using iommusim_fuzz::starts_with;

namespace {

std::string g_dir;

std::string serialise(const Trace& t) {
  std::string s = "iommusim-trace 1\n";
  for (const TraceRecord& r : t.records) s += format_record(r) + "\n";
  return s;
}

bool same_except_line(TraceRecord a, TraceRecord b) {
  a.line = b.line = 0;
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/iommusim-fuzz-trace-XXXXXX";
  const char* d = mkdtemp(tmpl);
  if (!d) std::abort();
  g_dir = d;
  std::ofstream(g_dir + "/blob.bin", std::ios::binary) << std::string(100, '\x5a');
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t at = text.find("file="); at != std::string_view::npos; at = text.find("file=", at + 1)) {
    const std::string_view v = text.substr(at + 5);
    if (!v.empty() && v[0] == '/') return 0;
  }
  if (text.find("..") != std::string_view::npos) return 0;

  Trace t;
  try {
    t = parse_trace(text, "fuzz.trace", g_dir);
  } catch (const InputError& e) {
    FUZZ_CHECK(starts_with(e.what(), "fuzz.trace:"), "error does not name the input: %s", e.what());
    return 0;
  }

  for (size_t i = 0; i < t.records.size(); ++i) {
    const TraceRecord& r = t.records[i];
    FUZZ_CHECK(r.seq == i, "seq %llu at index %zu", (unsigned long long)r.seq, i);
    FUZZ_CHECK(r.host == is_host_op(r.op), "record %zu: source/op mismatch", i);
    switch (r.op) {
      case TraceOp::MmioW:
      case TraceOp::MmioR:
        FUZZ_CHECK((r.size == 4 || r.size == 8) && r.addr % r.size == 0, "record %zu: mmio size/alignment", i);
        break;
      case TraceOp::MemW:
      case TraceOp::MemR: FUZZ_CHECK(r.size >= 1 && r.size <= 8, "record %zu: mem size", i); break;
      case TraceOp::Msi:
        FUZZ_CHECK(r.addr >= 0xFEE00000 && r.addr <= 0xFEEFFFFC && r.addr % 4 == 0 && r.data >> 32 == 0,
                   "record %zu: msi", i);
        break;
      case TraceOp::Map: FUZZ_CHECK(r.perm >= 1 && r.perm <= 3, "record %zu: perm", i); [[fallthrough]];
      case TraceOp::Unmap:
      case TraceOp::DmaR:
      case TraceOp::DmaW:
      case TraceOp::Ats: FUZZ_CHECK(r.size >= 1, "record %zu: size 0", i); break;
      case TraceOp::Load: break;
    }
    if (r.op == TraceOp::MmioW || r.op == TraceOp::MemW)
      FUZZ_CHECK(r.size >= 8 || r.data >> (8 * r.size) == 0, "record %zu: data does not fit", i);
    FUZZ_CHECK(r.pasid < (1u << 20), "record %zu: pasid", i);
    FUZZ_CHECK(r.has_pasid || (!r.priv && !r.exec), "record %zu: priv/exec without pasid", i);
    FUZZ_CHECK(!r.host || (!r.has_pasid && !r.translated), "record %zu: device options on a host op", i);
  }
  const auto devs = t.devices();
  FUZZ_CHECK(std::adjacent_find(devs.begin(), devs.end(), [](const Bdf& a, const Bdf& b) { return !(a < b); }) ==
                 devs.end(),
             "devices() not sorted and unique");

  const std::string once = serialise(t);
  Trace again;
  try {
    again = parse_trace(once, "fuzz.trace", g_dir);
  } catch (const InputError& e) {
    FUZZ_CHECK(false, "the re-serialised trace does not parse: %s\n%s", e.what(), once.c_str());
  }
  FUZZ_CHECK(again.records.size() == t.records.size(), "re-parse gives %zu records, not %zu",
             again.records.size(), t.records.size());
  for (size_t i = 0; i < t.records.size(); ++i)
    FUZZ_CHECK(same_except_line(t.records[i], again.records[i]), "record %zu differs after re-parse: '%s' vs '%s'", i,
               format_record(t.records[i]).c_str(), format_record(again.records[i]).c_str());
  FUZZ_CHECK(serialise(again) == once, "serialising is not a fixed point");
  return 0;
}
