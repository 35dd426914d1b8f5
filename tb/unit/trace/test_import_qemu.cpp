// Unit tests for the QEMU vtd_* log importer: the sample in tb/data/import
// (exact trace-v1 output, counts, malformed lines in both --on-error modes),
// logs without timestamps, --reg-base, and the event format variants.
#include <catch2/catch.hpp>

#include <string>

#include "common/error.h"
#include "import_util.h"
#include "trace/import_qemu.h"

using namespace iommusim;
using namespace iommusim::test;

namespace {

ImportOptions with_device(const std::string& bdf) {
  ImportOptions o;
  o.device = parse_bdf(bdf);
  REQUIRE(o.device);
  return o;
}

const char* const kSampleTrace =
    "iommusim-trace 1\n"
    "# imported from qemu-vtd.log (qemu) by iommusim import\n"
    "0 host mmio_r addr=0xfed90000 size=4\n"
    "4000 host mmio_r addr=0xfed90008 size=8\n"
    "7000 host mmio_r addr=0xfed90010 size=8\n"
    "50000 host mmio_r addr=0xfed9001c size=4\n"
    "100000 host mmio_w addr=0xfed90020 size=8 data=0x7ff0000\n"
    "110000 host mmio_w addr=0xfed90018 size=4 data=0x40000000\n"
    "# 110000 vtd_reg_write_gcmd status 0x0 value 0x40000000\n"
    "# 111000 vtd_reg_dmar_root addr 0x7ff0000 scalable 0\n"
    "120000 host mmio_r addr=0xfed9001c size=4\n"
    "200000 host mmio_w addr=0xfed90028 size=8 data=0xa000000000000000\n"
    "# 201000 vtd_inv_desc_cc_global context invalidate globally\n"
    "210000 host mmio_r addr=0xfed90028 size=8\n"
    "300000 host mmio_w addr=0xfed900f8 size=8 data=0x9000000000000000\n"
    "# 301000 vtd_inv_desc_iotlb_global iotlb invalidate global\n"
    "310000 host mmio_r addr=0xfed900f8 size=8\n"
    "400000 host mmio_w addr=0xfed90018 size=4 data=0x80000000\n"
    "# 400000 vtd_reg_write_gcmd status 0x0 value 0x80000000\n"
    "# 401000 vtd_dmar_enable enable 1\n"
    "# 402000 vtd_switch_address_space Device 00:03.0 switching address space (iommu enabled=1)\n"
    "500000 host mmio_w addr=0xfed90090 size=8 data=0x7fe0000\n"
    "# 500000 vtd_inv_qi_setup addr 0x7fe0000 size 256\n"
    "510000 host mmio_w addr=0xfed90018 size=4 data=0x84000000\n"
    "# 510000 vtd_reg_write_gcmd status 0x80000000 value 0x84000000\n"
    "# 511000 vtd_inv_qi_enable enabled 1\n"
    "600000 host mmio_w addr=0xfed900b8 size=8 data=0x7fc000f\n"
    "610000 host mmio_w addr=0xfed90018 size=4 data=0x85000000\n"
    "# 610000 vtd_reg_write_gcmd status 0x84000000 value 0x85000000\n"
    "# 611000 vtd_reg_ir_root addr 0x7fc0000 size 0x10000\n"
    "620000 host mmio_w addr=0xfed90018 size=4 data=0x86000000\n"
    "# 620000 vtd_reg_write_gcmd status 0x84000000 value 0x86000000\n"
    "# 621000 vtd_ir_enable enable 1\n"
    "1100000 00:03.0 dma_r addr=0xfffff000 size=4\n"
    "# 1101000 vtd_iotlb_page_update IOTLB page update sid 0x18 iova 0xfffff000 slpte 0x3e8a1003 domain 0x1\n"
    "# 1150000 vtd_iotlb_page_hit IOTLB page hit sid 0x18 iova 0xfffff000 slpte 0x3e8a1003 domain 0x1\n"
    "1150000 00:03.0 dma_r addr=0xfffff000 size=4\n"
    "# 1300000 vtd_dmar_fault sid 0x18 fault 5 addr 0xffffe000 write 1\n"
    "# 1301000 vtd_frr_new index 0 high 0x8000000500000018 low 0xffffe000\n"
    "1900000 host mmio_w addr=0xfed90088 size=8 data=0x20\n"
    "# 1900000 vtd_inv_qi_tail write tail 2\n"
    "# 1901000 vtd_inv_desc invalidate desc type iotlb high 0xfffff000 low 0x10032\n"
    "# 1901000 vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x1 addr 0xfffff000 mask 0x0\n"
    "# 1902000 vtd_inv_desc invalidate desc type wait high 0x7fd0000 low 0x100000025\n"
    "# 1902000 vtd_inv_desc_wait_sw wait invalidate status write addr 0x7fd0000 data 0x1\n"
    "# 2100000 vtd_ir_remap_msi_req addr 0x18 data 0x0\n"
    "# 2100000 vtd_ir_irte_get index 0 low 0x10000002500000d high 0x0\n"
    "# 2100000 vtd_ir_remap index 0 trigger 0 vector 37 deliver 0 dest 0x1 mode 0\n"
    "2101000 00:03.0 msi addr=0xfee00018 data=0x0\n";

}  // namespace

TEST_CASE("import: qemu vtd log sample, skipping malformed lines", "[import]") {
  const ImportResult r = import_qemu(import_sample("qemu-vtd.log"), "qemu-vtd.log", with_device("00:03.0"));
  CHECK(r.trace_text() == kSampleTrace);
  check_reads_back(r);
  CHECK(r.input_lines == 54);
  CHECK(r.event_lines == 52);
  CHECK(r.record_count() == 21);
  CHECK(r.imported == std::map<std::string, uint64_t>{{"vtd_dmar_translate", 2},
                                                      {"vtd_ir_remap_msi", 1},
                                                      {"vtd_reg_read", 7},
                                                      {"vtd_reg_write", 11}});
  CHECK(r.commented.at("vtd_inv_desc") == 2);
  CHECK(r.commented.at("vtd_dmar_fault") == 1);
  CHECK(r.commented.at("vtd_iotlb_page_hit") == 1);
  CHECK(r.commented.at("vtd_reg_write_gcmd") == 5);
  CHECK(r.commented.size() == 21);
  CHECK(r.ignored == std::map<std::string, uint64_t>{{"pci_cfg_write", 1}});
  CHECK(r.skipped_lines() == 6);
  check_problem(r, "vtd_reg_write: fields do not match its format", 1, 32);
  check_problem(r, "bad timestamp prefix", 1, 35);
  check_problem(r, "not a QEMU trace line", 1, 40);
  check_problem(r, "vtd_dmar_translate: fields do not match its format", 1, 42);
  check_problem(r, "vtd_reg_read: size is not 4 or 8", 1, 43);
  check_problem(r, "vtd_inv_desc: fields do not match its format", 1, 46);
  CHECK(r.problems.at("vtd_reg_write: fields do not match its format").first_message ==
        "vtd_reg_write: the fields do not match 'addr 0x%x size 0x%x value 0x%x': at column 20: expected 'value', "
        "found 'val'");
  CHECK(r.problems.at("vtd_inv_desc: fields do not match its format").first_message ==
        "vtd_inv_desc: the fields do not match 'invalidate desc type %s high 0x%x low 0x%x': at column 1: expected "
        "'invalidate', found 'iotlb high 0xfffff000 lo...'");
  const std::string s = r.summary();
  CHECK_THAT(s, Catch::Contains("records written  21: dma_r 2, mmio_r 7, mmio_w 11, msi 1"));
  CHECK_THAT(s, Catch::Contains("as comments      26: "));
  CHECK_THAT(s, Catch::Contains("events ignored   1: pci_cfg_write 1"));
  CHECK_THAT(s, Catch::Contains("vtd_reg_read: size is not 4 or 8: 1 (first at line 43: vtd_reg_read: size 2"));
}

TEST_CASE("import: qemu vtd log sample, failing on the first malformed line", "[import]") {
  ImportOptions o = with_device("00:03.0");
  o.on_error = ImportOnError::Fail;
  CHECK_THROWS_MATCHES(import_qemu(import_sample("qemu-vtd.log"), "qemu-vtd.log", o), InputError,
                       Catch::Message("qemu-vtd.log:32: vtd_reg_write: the fields do not match 'addr 0x%x size 0x%x "
                                      "value 0x%x': at column 20: expected 'value', found 'val'"));
}

TEST_CASE("import: qemu MSIs need --device", "[import]") {
  const ImportResult r = import_qemu(import_sample("qemu-vtd.log"), "qemu-vtd.log", ImportOptions{});
  CHECK(r.imported.count("vtd_ir_remap_msi") == 0);
  check_problem(r, "vtd_ir_remap_msi: names no device", 1, 54);
  CHECK(r.record_count() == 20);
}

TEST_CASE("import: qemu logs without timestamps, --reg-base", "[import]") {
  // QEMU's log backend prints no "PID@SECONDS.MICROSECONDS:" without -msg timestamp=on
  const std::string text =
      "vtd_reg_write addr 0x18 size 0x4 value 0x80000000\n"
      "vtd_dmar_enable enable 1\n"
      "vtd_dmar_translate dev 3a:1f.07 iova 0x1000 -> gpa 0x2000 mask 0xfff\n"
      "vtd_page_walk_one domain 0x1 iova 0x1000 -> gpa 0x2000 mask 0xfff perm 3\n"
      "vtd_page_walk_one detected page level 0x1 iova 0x1000 -> gpa 0x2000 mask 0xfff perm 3\n"
      "vtd_page_walk_one level 0x1 iova 0x1000\n"
      "vtd_some_future_event anything at all\n"
      "vtd_context_cache_reset\n"
      "vtd_reg_write addr 0x1c size 0x8 value 0x0\n"
      "vtd_reg_write addr 0x18 size 0x4 value 0x100000000\n"
      "vtd_dmar_translate dev 00:20.00 iova 0x1000 -> gpa 0x2000 mask 0xfff\n"
      "vtd_ir_remap_msi (addr 0xfed00000, data 0x0) -> (addr 0xfee00000, data 0x0)\n";
  ImportOptions o = with_device("00:02.0");
  o.reg_base = 0xfed91000;
  const ImportResult r = import_qemu(text, "plain.log", o);
  CHECK(r.trace_text() ==
        "iommusim-trace 1\n"
        "# imported from plain.log (qemu) by iommusim import\n"
        "0 host mmio_w addr=0xfed91018 size=4 data=0x80000000\n"
        "# 100 vtd_dmar_enable enable 1\n"
        "200 3a:1f.7 dma_r addr=0x1000 size=4\n"
        "# 300 vtd_page_walk_one domain 0x1 iova 0x1000 -> gpa 0x2000 mask 0xfff perm 3\n"
        "# 400 vtd_page_walk_one detected page level 0x1 iova 0x1000 -> gpa 0x2000 mask 0xfff perm 3\n"
        "# 600 vtd_some_future_event anything at all\n"
        "# 700 vtd_context_cache_reset\n");
  check_reads_back(r);
  check_problem(r, "vtd_page_walk_one: fields do not match its format", 1, 6);
  check_problem(r, "vtd_reg_write: unaligned or out of range", 1, 9);
  check_problem(r, "vtd_reg_write: value does not fit its size", 1, 10);
  check_problem(r, "vtd_dmar_translate: bad device", 1, 11);
  check_problem(r, "vtd_ir_remap_msi: not an MSI", 1, 12);
  CHECK(r.problems.at("vtd_dmar_translate: bad device").first_message ==
        "vtd_dmar_translate: dev 00:20.00 is not a bus:slot.function");
}

TEST_CASE("import: qemu timestamps are relative to the first", "[import]") {
  const std::string text =
      "77@100.999999:vtd_reg_read addr 0x0 size 0x4\n"
      "77@101.000001:vtd_reg_read addr 0x8 size 0x8\n"
      "vtd_reg_read addr 0x10 size 0x8\n"
      "77@100.000000:vtd_reg_read addr 0x1c size 0x4\n"
      "77@101.00001:vtd_reg_read addr 0x1c size 0x4\n"
      "77@101.000002 vtd_reg_read addr 0x1c size 0x4\n"
      "77@101.000003:\n";
  const ImportResult r = import_qemu(text, "ts.log", ImportOptions{});
  CHECK(r.trace_text() ==
        "iommusim-trace 1\n"
        "# imported from ts.log (qemu) by iommusim import\n"
        "0 host mmio_r addr=0xfed90000 size=4\n"
        "2000 host mmio_r addr=0xfed90008 size=8\n"
        "2100 host mmio_r addr=0xfed90010 size=8\n"
        "0 host mmio_r addr=0xfed9001c size=4\n");
  check_problem(r, "bad timestamp prefix", 2, 5);
  check_problem(r, "not a QEMU trace line", 1, 7);
}
