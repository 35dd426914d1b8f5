#include "trace/trace_writer.h"

#include <fmt/format.h>

#include <iterator>

namespace iommusim {

std::string format_ns(Tick ps) {
  Tick frac = ps % kPsPerNs;
  if (frac == 0) return fmt::format("{}", ps / kPsPerNs);
  std::string s = fmt::format("{}.{:03}", ps / kPsPerNs, frac);
  s.erase(s.find_last_not_of('0') + 1);
  return s;
}

std::string format_record(const TraceRecord& r) {
  fmt::memory_buffer out;
  auto put = std::back_inserter(out);
  std::string source = r.host ? "host" : r.source.str();
  fmt::format_to(put, "{} {} {}", format_ns(r.time), source, op_name(r.op));
  switch (r.op) {
    case TraceOp::MmioW:
    case TraceOp::MemW:
      fmt::format_to(put, " addr={:#x} size={} data={:#x}", r.addr, r.size, r.data);
      break;
    case TraceOp::MmioR:
    case TraceOp::MemR:
    case TraceOp::DmaR:
    case TraceOp::DmaW:
    case TraceOp::Ats: fmt::format_to(put, " addr={:#x} size={}", r.addr, r.size); break;
    case TraceOp::Load: fmt::format_to(put, " addr={:#x} file={}", r.addr, r.file); break;
    case TraceOp::Map: {
      static const char* const perms[] = {"", "r", "w", "rw"};
      fmt::format_to(put, " dev={} iova={:#x} pa={:#x} size={} perm={}", r.dev.str(), r.iova, r.pa,
                     r.size, perms[r.perm & 3]);
      break;
    }
    case TraceOp::Unmap:
      fmt::format_to(put, " dev={} iova={:#x} size={}", r.dev.str(), r.iova, r.size);
      break;
    case TraceOp::Msi: fmt::format_to(put, " addr={:#x} data={:#x}", r.addr, r.data); break;
  }
  if (r.has_pasid) fmt::format_to(put, " pasid={}", r.pasid);
  if (r.priv) fmt::format_to(put, " priv=1");
  if (r.exec) fmt::format_to(put, " exec=1");
  if (r.translated) fmt::format_to(put, " at=translated");
  return fmt::to_string(out);
}

}  // namespace iommusim
