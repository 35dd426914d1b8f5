// Canonical trace-v1 text for records: what parse_trace reads back unchanged.
#pragma once
#include <string>

#include "common/types.h"
#include "trace/trace_record.h"

namespace iommusim {

// Picoseconds as the shortest exact decimal nanoseconds: 1500, 12.5, 0.625.
std::string format_ns(Tick ps);

// One record line (no newline) with an absolute time, lower-case hex
// addresses and data, decimal sizes. `load` writes its resolved file path.
std::string format_record(const TraceRecord& r);

}  // namespace iommusim
