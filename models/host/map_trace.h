// A trace that sets up legacy-mode DMA remapping the way a driver does at
// boot: root and context tables, one domain per device with 4-level
// second-level tables that identity-map the given IOVA ranges (IOVA = host
// physical address) with 4 KiB, 2 MiB or 1 GiB pages, and then translation
// enabled (RTADDR, GCMD.SRTP, GCMD.TE). The tables are built by BootTables
// (host/boot_tables.h, the driver model's table code) and written as host
// `mem_w` records, so they are the bytes the walker reads.
//
// The host driver model (host/host_driver.h) brings units up and maps for
// device workloads when a configuration has `host.driver`. map-trace is for
// runs without it: translation on with fixed identity maps and no driver
// cost in the timing (no DMA-API work, no invalidations), and traces that
// another simulator or a hand-written test can replay record by record.
// `iommusim map-trace` writes it, the configuration names it in
// `simulation.trace`, and the workloads start after the set-up (`start_ns`;
// the trace's header comment says when the set-up is done at the latest).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/bdf.h"
#include "common/types.h"

namespace iommusim {

struct MapRange {
  Bdf device;
  Addr iova = 0;
  std::uint64_t size = 0;  // bytes; rounded out to whole pages
};

struct MapTraceOptions {
  std::vector<MapRange> ranges;
  Addr tables_base = 0x10000000;          // table pages come from here
  std::uint64_t tables_bytes = 256 << 20;  // pool size
  Addr reg_base = 0xFED90000;             // the remapping unit's registers
  unsigned page_shift = 12;               // 12, 21 or 30
};

struct MapTrace {
  std::string text;             // the trace (trace-v1)
  std::size_t records = 0;      // records in it
  std::uint64_t pages = 0;      // leaf mappings written
  std::uint64_t table_pages = 0;
};

// Throws InputError for a range that is empty, overflows, or overlaps the
// table pool (an identity map of the tables' own memory would let DMA
// overwrite them), and when the pool is not 4 KiB aligned or too small.
MapTrace make_map_trace(const MapTraceOptions& o);

// Parses "BDF:IOVA:SIZE" (e.g. "00:03.0:0x100000000:8MiB"; numbers as in
// configurations, with size suffixes). Throws InputError naming `what`.
MapRange parse_map_range(const std::string& text, const std::string& what);

}  // namespace iommusim
