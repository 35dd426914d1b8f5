#include "trace/txn_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "common/error.h"
#include "trace/trace_writer.h"

namespace iommusim {

const char* status_name(TxnStatus s) {
  switch (s) {
    case TxnStatus::Ok: return "ok";
    case TxnStatus::Fault: return "fault";
    case TxnStatus::Error: return "error";
  }
  return "?";
}

namespace {

// An optional field: formatted with `spec` when present, empty otherwise.
template <typename T>
std::string opt(const std::optional<T>& v, const char* spec) {
  return v ? fmt::format(fmt::runtime(spec), uint64_t(*v)) : std::string();
}

}  // namespace

TxnLog::TxnLog(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {}

TxnLog::~TxnLog() { std::remove(tmp_.c_str()); }

void TxnLog::add(TxnLogRow row) { rows_.push_back(std::move(row)); }

std::string TxnLog::header() {
  return "seq,issue_ns,done_ns,source,op,addr,size,pasid,status,pa,data,fault_reason,vector,dest";
}

std::string TxnLog::format_row(const TxnLogRow& r) {
  return fmt::format("{},{},{},{},{},{:#x},{},{},{},{},{},{},{},{}", r.seq, format_ns(r.issue),
                     format_ns(r.done), r.source, op_name(r.op), r.addr, r.size,
                     opt(r.pasid, "{}"), status_name(r.status), opt(r.pa, "{:#x}"),
                     opt(r.data, "{:#x}"), opt(r.fault_reason, "{:#x}"), opt(r.vector, "{}"),
                     opt(r.dest, "{}"));
}

void TxnLog::finish() {
  std::stable_sort(rows_.begin(), rows_.end(), [](const TxnLogRow& a, const TxnLogRow& b) {
    return a.done != b.done ? a.done < b.done : a.seq < b.seq;
  });
  auto fail = [&](const char* what) {
    std::string msg = fmt::format("{}: cannot {}: {}", path_, what, std::strerror(errno));
    std::remove(tmp_.c_str());
    throw InputError(msg);
  };
  std::FILE* f = std::fopen(tmp_.c_str(), "wb");
  if (!f) fail("write");
  auto put = [f](const std::string& line) {
    return std::fwrite(line.data(), 1, line.size(), f) == line.size() &&
           std::fputc('\n', f) != EOF;
  };
  bool ok = put(header());
  for (size_t i = 0; ok && i < rows_.size(); ++i) ok = put(format_row(rows_[i]));
  ok = std::fclose(f) == 0 && ok;
  if (!ok) fail("write");
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail("rename into place");
}

}  // namespace iommusim
