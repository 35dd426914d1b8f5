// Importer for Linux ftrace text output (`cat /sys/kernel/tracing/trace` or
// trace_pipe, or `trace-cmd report`) of the `iommu` and `dma` trace events,
// into trace-v1 records. What each event becomes is in docs/trace.md,
// "Importing real traces"; the formats are those of the kernel's
// include/trace/events/iommu.h and include/trace/events/dma.h.
#pragma once
#include <string>
#include <string_view>

#include "trace/import_result.h"

namespace iommusim {

// Converts the text of one ftrace output. `name` names the input in messages
// and in the output's header comment. Throws InputError "NAME:LINE: problem"
// on the first malformed line when o.on_error is Fail.
ImportResult import_ftrace(std::string_view text, const std::string& name, const ImportOptions& o);

}  // namespace iommusim
