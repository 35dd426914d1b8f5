// Fuzzes the qemu importer (models/trace/import_qemu.*); the invariants are in
// import_check.h.
#include "fuzz_check.h"
#include "import_check.h"
#include "trace/import_qemu.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iommusim_fuzz::check_import(std::string_view(reinterpret_cast<const char*>(data), size), iommusim::import_qemu);
  return 0;
}
