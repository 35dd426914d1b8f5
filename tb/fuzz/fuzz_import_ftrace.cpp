// Fuzzes the ftrace importer (models/trace/import_ftrace.*); the invariants are in
// import_check.h.
#include "fuzz_check.h"
#include "import_check.h"
#include "trace/import_ftrace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iommusim_fuzz::check_import(std::string_view(reinterpret_cast<const char*>(data), size), iommusim::import_ftrace);
  return 0;
}
