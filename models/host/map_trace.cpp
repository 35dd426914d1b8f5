#include "host/map_trace.h"

#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "common/config.h"
#include "common/error.h"
#include "host/boot_tables.h"
#include "vtd/context_entry.h"

namespace iommusim {

namespace {

// Register offsets (VT-d 11.4) and GCMD bits used to enable translation.
constexpr Addr kGcmd = 0x18;
constexpr Addr kRtaddr = 0x20;
constexpr std::uint32_t kGcmdTe = 1u << 31;
constexpr std::uint32_t kGcmdSrtp = 1u << 30;

}  // namespace

MapRange parse_map_range(const std::string& text, const std::string& what) {
  const auto bad = [&](const std::string& why) {
    return InputError(fmt::format("{} '{}': {} (expected BDF:IOVA:SIZE, e.g. 00:03.0:0x100000000:8MiB)", what,
                                  text, why));
  };
  const auto last = text.rfind(':');
  if (last == std::string::npos || last == 0) throw bad("too few ':'");
  const auto mid = text.rfind(':', last - 1);
  if (mid == std::string::npos || mid == 0) throw bad("too few ':'");
  MapRange r;
  const auto bdf = parse_bdf(text.substr(0, mid));
  if (!bdf) throw bad(fmt::format("'{}' is not a BDF", text.substr(0, mid)));
  r.device = *bdf;
  const auto iova = parse_config_u64(text.substr(mid + 1, last - mid - 1));
  if (!iova) throw bad(fmt::format("'{}' is not an address", text.substr(mid + 1, last - mid - 1)));
  const auto size = parse_config_u64(text.substr(last + 1));
  if (!size || *size == 0) throw bad(fmt::format("'{}' is not a size of at least 1 byte", text.substr(last + 1)));
  r.iova = *iova;
  r.size = *size;
  return r;
}

MapTrace make_map_trace(const MapTraceOptions& o) {
  if (o.page_shift != 12 && o.page_shift != 21 && o.page_shift != 30)
    throw InputError(fmt::format("page size: expected 4 KiB, 2 MiB or 1 GiB, got 2^{} bytes", o.page_shift));
  const std::uint64_t page = std::uint64_t{1} << o.page_shift;
  const Addr pool_end = o.tables_base + o.tables_bytes;
  for (const MapRange& r : o.ranges) {
    if (r.size == 0 || r.iova + r.size < r.iova || r.iova + r.size > (Addr{1} << 48))
      throw InputError(fmt::format("range {}:{:#x}+{:#x}: outside the 48-bit IOVA space of a 4-level table",
                                   r.device.str(), r.iova, r.size));
    const Addr lo = r.iova & ~(page - 1);
    const Addr hi = (r.iova + r.size + page - 1) & ~(page - 1);
    if (lo < pool_end && o.tables_base < hi)
      throw InputError(fmt::format("range {}:{:#x}+{:#x} overlaps the table pool [{:#x}, {:#x}): the identity map "
                                   "would let DMA overwrite the tables",
                                   r.device.str(), r.iova, r.size, o.tables_base, pool_end));
  }

  std::string body;
  std::size_t records = 0;
  const auto emit = [&](const char* op, Addr addr, unsigned size, std::uint64_t data) {
    body += fmt::format("{:<4} host {} addr={:#x} size={} data={:#x}\n", records == 0 ? "0" : "+0", op, addr, size,
                        data);
    ++records;
  };
  if (o.tables_base & 0xfff || o.tables_bytes < 4096)
    throw InputError(fmt::format("table pool [{:#x}, {:#x}): not a 4 KiB aligned pool of at least one page",
                                 o.tables_base, pool_end));
  BootTables tables(o.tables_base, o.tables_bytes, [&](Addr pa, std::uint64_t v) { emit("mem_w", pa, 8, v); });
  std::map<Bdf, Addr> domains;  // device -> its domain's top-level table
  std::set<std::pair<Bdf, Addr>> mapped;  // ranges of one device may overlap
  MapTrace out;
  try {
    for (const MapRange& r : o.ranges) {
      auto it = domains.find(r.device);
      if (it == domains.end()) {
        const Addr top = tables.new_domain_table(4);
        ContextEntry ce;
        ce.present = true;
        ce.did = static_cast<std::uint16_t>(domains.size() + 1);
        ce.aw = kAw48;
        ce.slptptr = top;
        tables.set_context(r.device.rid(), ce);
        it = domains.emplace(r.device, top).first;
      }
      const Addr lo = r.iova & ~(page - 1);
      const Addr hi = (r.iova + r.size + page - 1) & ~(page - 1);
      for (Addr a = lo; a < hi; a += page) {
        if (!mapped.insert({r.device, a}).second) continue;
        tables.map(it->second, a, a, o.page_shift, true, true);
        ++out.pages;
      }
    }
  } catch (const TablePoolExhausted&) {
    throw InputError(fmt::format("table pool [{:#x}, {:#x}): table pool exhausted", o.tables_base, pool_end));
  } catch (const std::logic_error& e) {
    throw InputError(fmt::format("table pool [{:#x}, {:#x}): {}", o.tables_base, pool_end, e.what()));
  }
  emit("mmio_w", o.reg_base + kRtaddr, 8, tables.root_table());
  emit("mmio_w", o.reg_base + kGcmd, 4, kGcmdSrtp);
  emit("mmio_w", o.reg_base + kGcmd, 4, kGcmdTe);
  out.records = records;
  out.table_pages = tables.tables_allocated();

  std::string head = "iommusim-trace 1\n";
  head += "# Legacy-mode DMA remapping set up as a driver does at boot (written by iommusim map-trace):\n";
  head += fmt::format("# root and context tables and 4-level second-level tables in [{:#x}, {:#x}),\n",
                      o.tables_base, o.tables_base + (out.table_pages << 12));
  head += fmt::format("# identity maps (IOVA = PA) of {} pages of {} KiB, read/write; then translation on.\n",
                      out.pages, page >> 10);
  for (const MapRange& r : o.ranges) head += fmt::format("#   {}: {:#x} + {:#x}\n", r.device.str(), r.iova, r.size);
  head += fmt::format("# {} host records, issued back to back from time 0.\n", records);
  out.text = head + body;
  return out;
}

}  // namespace iommusim
