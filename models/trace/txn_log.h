// Per-transaction log: one CSV row per completed trace record (trace-v1.md,
// "Per-transaction log output"), written in completion order.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/types.h"
#include "trace/trace_record.h"

namespace iommusim {

enum class TxnStatus { Ok, Fault, Error };

const char* status_name(TxnStatus s);  // "ok", "fault", "error"

struct TxnLogRow {
  uint64_t seq = 0;
  Tick issue = 0, done = 0;
  std::string source;  // "host" or Bdf::str()
  TraceOp op = TraceOp::MmioW;
  Addr addr = 0;
  uint64_t size = 0;
  std::optional<uint32_t> pasid;
  TxnStatus status = TxnStatus::Ok;
  std::optional<Addr> pa;
  std::optional<uint64_t> data;
  std::optional<uint8_t> fault_reason;
  std::optional<uint32_t> vector, dest;
};

// Collects rows during a run; finish() writes them. A run that never finishes
// leaves no file at `path` (only finish() renames the complete file into place).
class TxnLog {
 public:
  explicit TxnLog(std::string path);
  ~TxnLog();  // removes a leftover path.tmp
  TxnLog(const TxnLog&) = delete;
  TxnLog& operator=(const TxnLog&) = delete;

  void add(TxnLogRow row);
  // Writes all rows sorted by (done, seq) to path.tmp, then renames it to path.
  // Throws InputError naming the path if it cannot be written.
  void finish();
  size_t rows() const { return rows_.size(); }
  // The rows so far, in the order they were added (tests).
  const std::vector<TxnLogRow>& entries() const { return rows_; }

  static std::string header();                      // no newline
  static std::string format_row(const TxnLogRow&);  // no newline

 private:
  std::string path_, tmp_;
  std::vector<TxnLogRow> rows_;
};

}  // namespace iommusim
