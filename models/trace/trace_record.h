// One parsed record of a trace-v1 file (format: trace-v1.md).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bdf.h"
#include "common/types.h"

namespace iommusim {

enum class TraceOp { MmioW, MmioR, MemW, MemR, Load, Map, Unmap, DmaR, DmaW, Msi, Ats };

inline constexpr TraceOp kAllTraceOps[] = {
    TraceOp::MmioW, TraceOp::MmioR, TraceOp::MemW, TraceOp::MemR,
    TraceOp::Load,  TraceOp::Map,   TraceOp::Unmap, TraceOp::DmaR,
    TraceOp::DmaW,  TraceOp::Msi,   TraceOp::Ats};

// The op's name as written in traces and logs ("mmio_w", "dma_r", ...).
inline const char* op_name(TraceOp op) {
  switch (op) {
    case TraceOp::MmioW: return "mmio_w";
    case TraceOp::MmioR: return "mmio_r";
    case TraceOp::MemW: return "mem_w";
    case TraceOp::MemR: return "mem_r";
    case TraceOp::Load: return "load";
    case TraceOp::Map: return "map";
    case TraceOp::Unmap: return "unmap";
    case TraceOp::DmaR: return "dma_r";
    case TraceOp::DmaW: return "dma_w";
    case TraceOp::Msi: return "msi";
    case TraceOp::Ats: return "ats";
  }
  return "?";
}

inline std::optional<TraceOp> parse_op(std::string_view name) {
  for (TraceOp op : kAllTraceOps)
    if (name == op_name(op)) return op;
  return std::nullopt;
}

// Host ops come from source `host`; the others from a device (BDF) source.
inline bool is_host_op(TraceOp op) {
  return op != TraceOp::DmaR && op != TraceOp::DmaW && op != TraceOp::Msi &&
         op != TraceOp::Ats;
}

struct TraceRecord {
  uint64_t seq = 0;   // 0-based record index (records only)
  uint32_t line = 0;  // 1-based line in the file
  Tick time = 0;      // absolute issue time in ps, '+N' already resolved
  bool host = false;  // source is `host`
  Bdf source;         // device source (when !host)
  TraceOp op = TraceOp::MmioW;
  Addr addr = 0;
  uint64_t size = 0;
  uint64_t data = 0;
  std::string file;  // `load`: path resolved relative to the trace file's folder
  // map/unmap
  Bdf dev;
  Addr iova = 0, pa = 0;
  uint8_t perm = 0;  // bit0 = read, bit1 = write
  // device-op options
  bool has_pasid = false;
  uint32_t pasid = 0;
  bool priv = false, exec = false;
  bool translated = false;  // at=translated
};

inline constexpr uint8_t kPermRead = 1, kPermWrite = 2;

inline bool operator==(const TraceRecord& a, const TraceRecord& b) {
  return a.seq == b.seq && a.line == b.line && a.time == b.time && a.host == b.host &&
         a.source == b.source && a.op == b.op && a.addr == b.addr && a.size == b.size &&
         a.data == b.data && a.file == b.file && a.dev == b.dev && a.iova == b.iova &&
         a.pa == b.pa && a.perm == b.perm && a.has_pasid == b.has_pasid &&
         a.pasid == b.pasid && a.priv == b.priv && a.exec == b.exec &&
         a.translated == b.translated;
}
inline bool operator!=(const TraceRecord& a, const TraceRecord& b) { return !(a == b); }

}  // namespace iommusim
