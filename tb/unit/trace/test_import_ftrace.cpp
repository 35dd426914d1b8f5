// Unit tests for the ftrace importer: the samples in tb/data/import (exact
// trace-v1 output, counts, malformed lines in both --on-error modes) and the
// format variants of the kernel's iommu and dma events.
#include <catch2/catch.hpp>

#include <string>

#include "common/error.h"
#include "import_util.h"
#include "trace/import_ftrace.h"

using namespace iommusim;
using namespace iommusim::test;

namespace {

ImportOptions with_device(const std::string& bdf) {
  ImportOptions o;
  o.device = parse_bdf(bdf);
  REQUIRE(o.device);
  return o;
}

// One ftrace line as the kernel prints it (irq-info on).
std::string ev(const std::string& ts, const std::string& event) {
  return "             fio-1234    [002] .....   " + ts + ": " + event + "\n";
}

}  // namespace

TEST_CASE("import: ftrace iommu events sample, skipping malformed lines", "[import]") {
  const ImportResult r = import_ftrace(import_sample("ftrace-iommu.txt"), "ftrace-iommu.txt", with_device("3b:00.0"));
  CHECK(r.trace_text() ==
        "iommusim-trace 1\n"
        "# imported from ftrace-iommu.txt (ftrace) by iommusim import\n"
        "6000 host map dev=3b:00.0 iova=0xfffff000 pa=0x112345000 size=4096 perm=rw\n"
        "11000 host map dev=3b:00.0 iova=0xffe00000 pa=0x200000000 size=1048576 perm=rw\n"
        "198000 3b:00.0 dma_r addr=0xffd00000 size=4\n"
        "296000 3b:00.0 dma_w addr=0xffd01000 size=4\n"
        "1797000 host unmap dev=3b:00.0 iova=0xfffff000 size=4096\n"
        "1803000 host unmap dev=3b:00.0 iova=0xffe00000 size=1048576\n"
        "# 1806000 CPU:2 [LOST 17 EVENTS]: events were lost here\n"
        "3296000 host map dev=3b:00.0 iova=0xfffff000 pa=0x112346000 size=4096 perm=rw\n"
        "3796000 00:02.0 dma_r addr=0x10000 size=4\n"
        "4796000 host unmap dev=3b:00.0 iova=0xfffff000 size=4096\n");
  check_reads_back(r);
  CHECK(r.record_count() == 9);
  CHECK(r.input_lines == 29);
  CHECK(r.event_lines == 14);
  CHECK(r.imported == std::map<std::string, uint64_t>{{"io_page_fault", 3}, {"map", 3}, {"unmap", 3}});
  CHECK(r.ignored == std::map<std::string, uint64_t>{
                         {"attach_device_to_domain", 1}, {"sched_switch", 1}, {"unmap (unmapped_size=0)", 1}});
  CHECK(r.commented == std::map<std::string, uint64_t>{{"CPU:N [LOST M EVENTS]", 1}});
  CHECK(r.skipped_lines() == 4);
  CHECK(r.problems.size() == 4);
  check_problem(r, "map: fields do not match its format", 1, 24);
  check_problem(r, "bad timestamp", 1, 25);
  check_problem(r, "not an ftrace event line", 1, 26);
  check_problem(r, "map: end is not iova + size", 1, 28);
  CHECK(r.problems.at("map: fields do not match its format").first_message ==
        "map: the fields do not match 'IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu': at column 72: "
        "expected a blank, found 'zz000 size=4096'");

  const std::string s = r.summary();
  CHECK_THAT(s, Catch::Contains("records written  9: dma_r 2, dma_w 1, map 3, unmap 3"));
  CHECK_THAT(s, Catch::Contains("as comments      1: CPU:N [LOST M EVENTS] 1"));
  CHECK_THAT(s, Catch::Contains("lines skipped    4:"));
  CHECK_THAT(s, Catch::Contains("bad timestamp: 1 (first at line 25: bad timestamp '152.32x700'"));
  CHECK_THAT(s, Catch::Contains("not an ftrace event line: 1 (first at line 26"));
  // listed in the order of their first lines
  CHECK(s.find("first at line 24") < s.find("first at line 25"));
  CHECK(s.find("first at line 26") < s.find("first at line 28"));
}

TEST_CASE("import: ftrace iommu events sample, failing on the first malformed line", "[import]") {
  ImportOptions o = with_device("3b:00.0");
  o.on_error = ImportOnError::Fail;
  CHECK_THROWS_MATCHES(
      import_ftrace(import_sample("ftrace-iommu.txt"), "tb/data/import/ftrace-iommu.txt", o), InputError,
      Catch::Message("tb/data/import/ftrace-iommu.txt:24: map: the fields do not match 'IOMMU: iova=0x%016llx - "
                     "0x%016llx paddr=0x%016llx size=%zu': at column 72: expected a blank, found 'zz000 size=4096'"));
}

TEST_CASE("import: ftrace iommu map and unmap need --device", "[import]") {
  const ImportResult r = import_ftrace(import_sample("ftrace-iommu.txt"), "ftrace-iommu.txt", ImportOptions{});
  // the faults name their device; the maps and unmaps do not
  CHECK(r.imported == std::map<std::string, uint64_t>{{"io_page_fault", 3}});
  check_problem(r, "map: names no device", 3, 14);
  check_problem(r, "unmap: names no device", 4, 19);
  CHECK(r.problems.at("map: names no device").first_message ==
        "map: the iommu map event names no device; give --device BDF");
  ImportOptions fail;
  fail.on_error = ImportOnError::Fail;
  CHECK_THROWS_MATCHES(import_ftrace(import_sample("ftrace-iommu.txt"), "f.txt", fail), InputError,
                       Catch::Message("f.txt:14: map: the iommu map event names no device; give --device BDF"));
}

TEST_CASE("import: ftrace dma events sample, skipping malformed lines", "[import]") {
  const ImportResult r = import_ftrace(import_sample("ftrace-dma.txt"), "ftrace-dma.txt", ImportOptions{});
  CHECK(r.trace_text() ==
        "iommusim-trace 1\n"
        "# imported from ftrace-dma.txt (ftrace) by iommusim import\n"
        "0 host map dev=3b:00.0 iova=0xfffc0000 pa=0xfffc0000 size=16384 perm=rw\n"
        "250000 host map dev=3b:00.0 iova=0xffffe000 pa=0x10a2b3000 size=4096 perm=r\n"
        "260000 host map dev=3b:00.0 iova=0xffffd000 pa=0x10a2b4200 size=512 perm=w\n"
        "300000 host map dev=3b:00.0 iova=0xfff00000 pa=0x10c000000 size=8192 perm=w\n"
        "300000 host map dev=3b:00.0 iova=0xfff02000 pa=0x10c1f0000 size=4096 perm=w\n"
        "400000 host map dev=5e:00.1 iova=0xfffb0000 pa=0x383ffe000000 size=65536 perm=rw\n"
        "910000 host unmap dev=3b:00.0 iova=0xffffd000 size=512\n"
        "920000 host unmap dev=3b:00.0 iova=0xffffe000 size=4096\n"
        "930000 host unmap dev=3b:00.0 iova=0xfff00000 size=8192\n"
        "930000 host unmap dev=3b:00.0 iova=0xfff02000 size=4096\n"
        "960000 host unmap dev=5e:00.1 iova=0xfffb0000 size=65536\n"
        "100000000 host unmap dev=3b:00.0 iova=0xfffc0000 size=16384\n");
  check_reads_back(r);
  CHECK(r.event_lines == 17);
  CHECK(r.imported == std::map<std::string, uint64_t>{{"dma_alloc", 1},
                                                      {"dma_free", 1},
                                                      {"dma_map_page", 2},
                                                      {"dma_map_resource", 1},
                                                      {"dma_map_sg", 1},
                                                      {"dma_unmap_page", 2},
                                                      {"dma_unmap_resource", 1},
                                                      {"dma_unmap_sg", 1}});
  CHECK(r.ignored == std::map<std::string, uint64_t>{{"dma_map_sg (segments merged by the IOMMU)", 1},
                                                     {"dma_sync_single_for_cpu", 1},
                                                     {"dma_unmap_sg (its dma_map_sg was not imported)", 1}});
  CHECK(r.skipped_lines() == 4);
  check_problem(r, "dma_map_page: bad direction", 1, 18);
  check_problem(r, "dma_map_page: device is not a PCI name", 1, 20);
  check_problem(r, "dma_unmap_page: fields do not match its format", 1, 26);
  check_problem(r, "dma_map_page: fields do not match its format", 1, 28);
  CHECK(r.problems.at("dma_map_page: device is not a PCI name").first_message ==
        "dma_map_page: device 'ff100000.dma' is not a PCI name (SSSS:BB:DD.F); give --device BDF to import its "
        "events");
  CHECK(r.problems.at("dma_map_page: fields do not match its format").first_message ==
        "dma_map_page: the fields do not match '%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s': at "
        "column 55: expected a blank, found the end of the line");
}

TEST_CASE("import: ftrace dma events sample, failing on the first malformed line", "[import]") {
  ImportOptions o;
  o.on_error = ImportOnError::Fail;
  CHECK_THROWS_MATCHES(
      import_ftrace(import_sample("ftrace-dma.txt"), "ftrace-dma.txt", o), InputError,
      Catch::Message("ftrace-dma.txt:18: dma_map_page: dir=SIDEWAYS: expected TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL"));
}

TEST_CASE("import: ftrace --device stands in for a non-PCI device name", "[import]") {
  const ImportResult r = import_ftrace(import_sample("ftrace-dma.txt"), "ftrace-dma.txt", with_device("00:1f.6"));
  CHECK(r.problems.count("dma_map_page: device is not a PCI name") == 0);
  CHECK_THAT(r.trace_text(),
             Catch::Contains("\n410000 host map dev=00:1f.6 iova=0xffff0000 pa=0x10a2b6000 size=4096 perm=r\n"));
  // a PCI name still wins
  CHECK_THAT(r.trace_text(), Catch::Contains("dev=3b:00.0 iova=0xffffe000 pa=0x10a2b3000"));
}

TEST_CASE("import: ftrace iommu map and unmap of kernels before 5.17", "[import]") {
  // include/trace/events/iommu.h before "iommu: log iova range in map/unmap trace events"
  const std::string text =
      ev("40.000001", "map: IOMMU: iova=0x00000000fff00000 paddr=0x0000000123400000 size=2097152") +
      ev("40.000002", "unmap: IOMMU: iova=0x00000000fff00000 size=2097152 unmapped_size=2097152") +
      ev("40.000003", "map: IOMMU: iova=0x00000000fff00000 paddr=0x00000001234000 size=") +
      ev("40.000004", "unmap: IOMMU: iova=0x00000000fff00000 - 0x00000000fff01000 size=4096 unmapped_size=4096");
  const ImportResult r = import_ftrace(text, "old.txt", with_device("0001:02:03.4"));
  CHECK(r.trace_text() ==
        "iommusim-trace 1\n"
        "# imported from old.txt (ftrace) by iommusim import\n"
        "0 host map dev=0001:02:03.4 iova=0xfff00000 pa=0x123400000 size=2097152 perm=rw\n"
        "1000 host unmap dev=0001:02:03.4 iova=0xfff00000 size=2097152\n"
        "3000 host unmap dev=0001:02:03.4 iova=0xfff00000 size=4096\n");
  check_reads_back(r);
  check_problem(r, "map: fields do not match its format", 1, 3);
  CHECK(r.problems.at("map: fields do not match its format").first_message ==
        "map: the fields do not match 'IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu': at column 60: expected a "
        "decimal number, found the end of the line");
}

TEST_CASE("import: ftrace line layouts and timestamps", "[import]") {
  const std::string text =
      // irq-info off (no flags column), a task name with blanks and dashes
      "    Web Content-tab-4711  [003]   10.500000: io_page_fault: IOMMU:nvme 0000:3b:00.0 "
      "iova=0x0000000000002000 flags=0x0001\n"
      // record-tgid on
      "           <...>-4712  (   4700) [001] d..1.  10.500001: io_page_fault: IOMMU:nvme 0000:3b:00.0 "
      "iova=0x0000000000003000 flags=0x0000\n"
      // nanosecond timestamps (trace-cmd report), an empty driver name
      "             fio-1234  [002]    10.500001500: io_page_fault: IOMMU: 0000:3b:00.1 "
      "iova=0x0000000000004000 flags=0x0000\n"
      // a counter trace_clock
      "             fio-1234    [002] .....  123456789: io_page_fault: IOMMU:nvme 0000:3b:00.0 "
      "iova=0x0000000000002000 flags=0x0001\n"
      // an earlier timestamp than the first event's
      "             fio-1234    [002] .....  10.000000: io_page_fault: IOMMU:nvme 0000:3b:00.0 "
      "iova=0x0000000000005000 flags=0x0000\n";
  const ImportResult r = import_ftrace(text, "layouts.txt", ImportOptions{});
  CHECK(r.trace_text() ==
        "iommusim-trace 1\n"
        "# imported from layouts.txt (ftrace) by iommusim import\n"
        "0 3b:00.0 dma_w addr=0x2000 size=4\n"
        "1000 3b:00.0 dma_r addr=0x3000 size=4\n"
        "1500 3b:00.1 dma_r addr=0x4000 size=4\n"
        "0 3b:00.0 dma_r addr=0x5000 size=4\n");
  check_problem(r, "bad timestamp", 1, 4);
  CHECK_THAT(r.problems.at("bad timestamp").first_message,
             Catch::StartsWith("bad timestamp '123456789': expected seconds with a fraction"));
}

TEST_CASE("import: ftrace dma_map_sg with entry counts, truncation and unmatched unmaps", "[import]") {
  const std::string text =
      ev("5.000000",
         "dma_map_sg: 0000:3b:00.0 dir=BIDIRECTIONAL nents=1/1 ents=1/1 dma_addrs={0xfff00000} sizes={0x1000} "
         "phys_addrs={0x10c000000} attrs=SKIP_CPU_SYNC|WEAK_ORDERING") +
      ev("5.000001",
         "dma_map_sg: 0000:3b:00.0 dir=TO_DEVICE nents=128/200 ents=128/200 [TRUNCATED] dma_addrs={0xffe00000} "
         "sizes={0x1000} phys_addrs={0x10d000000} attrs=") +
      ev("5.000002", "dma_unmap_sg: 0000:3b:00.0 dir=TO_DEVICE phys_addrs={0x10e000000} attrs=") +
      ev("5.000003", "dma_unmap_sg: 0000:3b:00.0 dir=BIDIRECTIONAL phys_addrs={0x10c000000} attrs=") +
      ev("5.000004", "dma_map_sg: 0000:3b:00.0 dir=TO_DEVICE dma_addrs={0xfff00000,0xfff01000} sizes={0x1000} "
                     "phys_addrs={0x1000,0x2000} attrs=") +
      ev("5.000005", "dma_map_sg: 0000:3b:00.0 dir=TO_DEVICE dma_addrs={0xfff00000 sizes={0x1000} "
                     "phys_addrs={0x1000} attrs=");
  const ImportResult r = import_ftrace(text, "sg.txt", ImportOptions{});
  CHECK(r.trace_text() ==
        "iommusim-trace 1\n"
        "# imported from sg.txt (ftrace) by iommusim import\n"
        "0 host map dev=3b:00.0 iova=0xfff00000 pa=0x10c000000 size=4096 perm=rw\n"
        "3000 host unmap dev=3b:00.0 iova=0xfff00000 size=4096\n");
  CHECK(r.ignored == std::map<std::string, uint64_t>{
                         {"dma_map_sg (truncated: over 128 entries)", 1},
                         {"dma_unmap_sg (no dma_map_sg of those pages before it)", 1}});
  check_problem(r, "dma_map_sg: dma_addrs and sizes differ in length", 1, 5);
  check_problem(r, "dma_map_sg: fields do not match its format", 1, 6);
  CHECK(r.problems.at("dma_map_sg: fields do not match its format").first_message ==
        "dma_map_sg: the fields do not match '%s dir=%s dma_addrs=%s sizes=%s phys_addrs=%s attrs=%s': at column "
        "49: expected ',' or '}', found ' sizes={0x1000} phys_add...'");
}

TEST_CASE("import: ftrace values that trace-v1 cannot hold are problems", "[import]") {
  const std::string text =
      ev("1.0", "dma_map_page: 0000:3b:00.0 dir=TO_DEVICE dma_addr=ffffffffffffff00 size=4096 phys_addr=1000 attrs=") +
      ev("1.1", "dma_map_page: 0000:3b:00.0 dir=NONE dma_addr=1000 size=4096 phys_addr=1000 attrs=") +
      ev("1.2", "dma_unmap_page: 0000:3b:00.0 dir=TO_DEVICE dma_addr=1000 size=0 attrs=") +
      ev("1.3", "dma_alloc: 0000:3b:00.0 dir=BIDIRECTIONAL dma_addr=0 size=4096 virt_addr=0000000000000000 "
                "flags=GFP_KERNEL attrs=") +
      ev("1.4", "dma_map_page: 0000:3b:00.0 dir=TO_DEVICE dma_addr=1ffffffffffffffff size=1 phys_addr=0 attrs=");
  const ImportResult r = import_ftrace(text, "v.txt", ImportOptions{});
  CHECK(r.record_count() == 0);
  check_problem(r, "dma_map_page: range overflows", 1, 1);
  CHECK(r.problems.at("dma_map_page: range overflows").first_message ==
        "dma_map_page: dma_addr 0xffffffffffffff00 + size 4096 overflows the 64-bit address space");
  check_problem(r, "dma_map_page: bad direction", 1, 2);
  check_problem(r, "dma_unmap_page: size 0", 1, 3);
  CHECK(r.ignored.at("dma_alloc (failed allocation)") == 1);
  check_problem(r, "dma_map_page: fields do not match its format", 1, 5);
  CHECK_THAT(r.problems.at("dma_map_page: fields do not match its format").first_message,
             Catch::EndsWith("expected a number that fits in 64 bits, found '1ffffffffffffffff size=1...'"));
}
