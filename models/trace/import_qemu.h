// Importer for QEMU's intel-iommu trace events (hw/i386/trace-events, the
// vtd_* events) as the `log` trace backend prints them (`-trace 'vtd_*'`,
// with `-D FILE` for a log file), into trace-v1 records and comments. What
// each event becomes is in docs/trace.md, "Importing real traces".
#pragma once
#include <string>
#include <string_view>

#include "trace/import_result.h"

namespace iommusim {

// Converts the text of one QEMU log. `name` names the input in messages and
// in the output's header comment. Throws InputError "NAME:LINE: problem" on
// the first malformed line when o.on_error is Fail.
ImportResult import_qemu(std::string_view text, const std::string& name, const ImportOptions& o);

}  // namespace iommusim
