#include "trace/import_ftrace.h"

#include <fmt/format.h>

#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "trace/event_format.h"
#include "trace/trace_writer.h"

namespace iommusim {

namespace {

// An io_page_fault becomes a DMA of this many bytes at the faulting IOVA.
constexpr uint64_t kFaultDmaBytes = 4;

// include/trace/events/iommu.h: map and unmap since Linux 5.17 (the IOVA
// range), and before; io_page_fault (class iommu_error) in all versions.
constexpr std::string_view kMapFmt = "IOMMU: iova=0x%x - 0x%x paddr=0x%x size=%u";
constexpr std::string_view kMapOldFmt = "IOMMU: iova=0x%x paddr=0x%x size=%u";
constexpr std::string_view kUnmapFmt = "IOMMU: iova=0x%x - 0x%x size=%u unmapped_size=%u";
constexpr std::string_view kUnmapOldFmt = "IOMMU: iova=0x%x size=%u unmapped_size=%u";
constexpr std::string_view kFaultFmt = "IOMMU:%s %s iova=0x%x flags=0x%x";
// include/trace/events/dma.h (Linux 6.12 on). Addresses are %llx: no 0x.
constexpr std::string_view kDmaMapFmt = "%s dir=%s dma_addr=%x size=%u phys_addr=%x attrs=%*";
constexpr std::string_view kDmaUnmapFmt = "%s dir=%s dma_addr=%x size=%u attrs=%*";
constexpr std::string_view kDmaAllocFmt = "%s dir=%s dma_addr=%x size=%u virt_addr=%s flags=%s attrs=%*";
constexpr std::string_view kDmaFreeFmt = "%s dir=%s dma_addr=%x size=%u virt_addr=%s attrs=%*";
// dma_map_sg: the first form, then the one with entry counts (and " [TRUNCATED]"
// past 128 entries) of later kernels.
constexpr std::string_view kMapSgOldFmt = "%s dir=%s dma_addrs=%a sizes=%a phys_addrs=%a attrs=%*";
constexpr std::string_view kMapSgFmt =
    "%s dir=%s nents=%d/%d ents=%d/%d dma_addrs=%a sizes=%a phys_addrs=%a attrs=%*";
constexpr std::string_view kUnmapSgFmt = "%s dir=%s phys_addrs=%a attrs=%*";
constexpr std::string_view kLostFmt = "CPU:%u [LOST %u EVENTS]";

// The kernel's own printf formats, for messages.
constexpr std::string_view kMapPrintk = "IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu";
constexpr std::string_view kMapOldPrintk = "IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu";
constexpr std::string_view kUnmapPrintk = "IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu";
constexpr std::string_view kUnmapOldPrintk = "IOMMU: iova=0x%016llx size=%zu unmapped_size=%zu";

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// The next blank-separated token at `pos` (advanced past it).
std::string_view next_token(std::string_view s, size_t& pos) {
  while (pos < s.size() && is_blank(s[pos])) ++pos;
  const size_t b = pos;
  while (pos < s.size() && !is_blank(s[pos])) ++pos;
  return s.substr(b, pos - b);
}

// "SECONDS.FRACTION" (1 to 9 fraction digits) into nanoseconds.
bool parse_seconds(std::string_view s, uint64_t& ns) {
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == s.size() || s.size() - dot - 1 > 9) return false;
  uint64_t sec = 0, frac = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (!is_digit(s[i]) || sec > (UINT64_MAX / 1000000000ull - 9) / 10) return false;
    sec = sec * 10 + uint64_t(s[i] - '0');
  }
  size_t digits = 0;
  for (size_t i = dot + 1; i < s.size(); ++i, ++digits) {
    if (!is_digit(s[i])) return false;
    frac = frac * 10 + uint64_t(s[i] - '0');
  }
  for (; digits < 9; ++digits) frac *= 10;
  ns = sec * 1000000000ull + frac;
  return true;
}

// trace-v1 perm bits from a DMA direction as dma.h prints it.
std::optional<uint8_t> perm_of(std::string_view dir) {
  if (dir == "TO_DEVICE") return kPermRead;  // the device reads the buffer
  if (dir == "FROM_DEVICE") return kPermWrite;
  if (dir == "BIDIRECTIONAL") return kPermRead | kPermWrite;
  return std::nullopt;
}

// A dma_map_sg waiting for its dma_unmap_sg (which prints only the physical
// addresses): the ranges it mapped, or none if it was not imported.
struct SgMapping {
  std::string not_imported;  // the reason, when it was not imported
  Bdf dev;
  std::vector<std::pair<Addr, uint64_t>> ranges;  // (iova, size)
};

class FtraceImporter {
 public:
  FtraceImporter(const std::string& name, const ImportOptions& o) : o_(o) {
    r_.format = "ftrace";
    r_.input_name = name;
  }

  ImportResult run(std::string_view text) {
    r_.input_lines = for_each_line(text, [this](uint32_t n, std::string_view l) { line(n, l); });
    return std::move(r_);
  }

 private:
  void problem(const std::string& kind, const std::string& message) { r_.problem(o_, line_, kind, message); }

  void line(uint32_t n, std::string_view raw) {
    line_ = n;
    const std::string_view s = trim(raw);
    if (s.empty() || s[0] == '#') return;  // ftrace's header and buffer notes
    if (!match_event_format(s, kLostFmt, f_)) {
      // The ring buffer overflowed: unmaps may now lack their maps.
      ++r_.commented["CPU:N [LOST M EVENTS]"];
      r_.add_comment(n, fmt::format("{} {}: events were lost here", time_text(), s));
      return;
    }
    // "<task>-<pid> [(<tgid>)] [<cpu>] [<flags>] <secs>.<usecs>: <event>: <fields>"
    size_t cpu_end = std::string_view::npos;
    for (size_t i = s.find(" ["); i != std::string_view::npos; i = s.find(" [", i + 1)) {
      size_t j = i + 2;
      while (j < s.size() && is_digit(s[j])) ++j;
      if (j > i + 2 && j < s.size() && s[j] == ']') {
        cpu_end = j + 1;
        break;
      }
    }
    const auto not_event = [&] {
      problem("not an ftrace event line",
              "not an ftrace event line: expected '<task>-<pid> [<cpu>] <flags> <seconds>: <event>: <fields>'");
    };
    if (cpu_end == std::string_view::npos) return not_event();
    size_t pos = cpu_end;
    std::string_view tok = next_token(s, pos);
    if (tok.empty() || tok.back() != ':') tok = next_token(s, pos);  // that was the flags column
    if (tok.size() < 2 || tok.back() != ':') return not_event();
    tok.remove_suffix(1);
    uint64_t ts = 0;
    if (!parse_seconds(tok, ts))
      return problem("bad timestamp", fmt::format("bad timestamp '{}': expected seconds with a fraction, e.g. "
                                                  "1234.567890 (trace_clock counter and x86-tsc print raw counts)",
                                                  tok));
    while (pos < s.size() && is_blank(s[pos])) ++pos;
    const size_t ev_begin = pos;
    while (pos < s.size() && is_ident(s[pos])) ++pos;
    if (pos == ev_begin || pos >= s.size() || s[pos] != ':') return not_event();
    const std::string_view event = s.substr(ev_begin, pos - ev_begin);
    const std::string_view body = trim(s.substr(pos + 1));

    if (!base_ns_) base_ns_ = ts;
    const uint64_t rel = ts >= *base_ns_ ? ts - *base_ns_ : 0;
    if (rel > UINT64_MAX / kPsPerNs)
      return problem("bad timestamp", fmt::format("timestamp '{}' is too far from the first event's", tok));
    ++r_.event_lines;
    time_ = rel * kPsPerNs;
    dispatch(event, body);
  }

  std::string time_text() const { return format_ns(time_); }

  void dispatch(std::string_view ev, std::string_view body) {
    if (ev == "map") return iommu_map(body);
    if (ev == "unmap") return iommu_unmap(body);
    if (ev == "io_page_fault") return io_page_fault(body);
    if (ev == "dma_map_page" || ev == "dma_map_resource" || ev == "dma_map_phys") return dma_map(ev, body);
    if (ev == "dma_unmap_page" || ev == "dma_unmap_resource" || ev == "dma_unmap_phys") return dma_unmap(ev, body);
    if (ev == "dma_alloc" || ev == "dma_alloc_pages") return dma_alloc(ev, body);
    if (ev == "dma_free" || ev == "dma_free_pages") return dma_free(ev, body);
    if (ev == "dma_map_sg") return dma_map_sg(body);
    if (ev == "dma_unmap_sg") return dma_unmap_sg(body);
    ++r_.ignored[std::string(ev)];
  }

  // Matches one format; a mismatch is a problem "EVENT: fields do not match".
  bool fields(std::string_view ev, std::string_view body, std::string_view pattern, std::string_view printk) {
    if (auto err = match_event_format(body, pattern, f_)) {
      bad_fields(ev, printk, *err);
      return false;
    }
    return true;
  }
  void bad_fields(std::string_view ev, std::string_view printk, const std::string& err) {
    problem(fmt::format("{}: fields do not match its format", ev),
            fmt::format("{}: the fields do not match '{}': {}", ev, printk, err));
  }

  // The requester: the event's PCI device name, else --device.
  std::optional<Bdf> device(std::string_view ev, std::string_view name) {
    if (auto b = parse_bdf(name)) return b;
    if (o_.device) return o_.device;
    problem(fmt::format("{}: device is not a PCI name", ev),
            fmt::format("{}: device '{}' is not a PCI name (SSSS:BB:DD.F); give --device BDF to import its "
                        "events",
                        ev, name));
    return std::nullopt;
  }
  std::optional<Bdf> no_device(std::string_view ev) {
    if (o_.device) return o_.device;
    problem(fmt::format("{}: names no device", ev),
            fmt::format("{}: the iommu {} event names no device; give --device BDF", ev, ev));
    return std::nullopt;
  }

  void imported(std::string_view ev) { ++r_.imported[std::string(ev)]; }

  // [a, a + size) must be non-empty and within 64 bits.
  bool range_ok(std::string_view ev, std::string_view what, Addr a, uint64_t size) {
    if (size == 0) {
      problem(fmt::format("{}: size 0", ev), fmt::format("{}: size 0", ev));
      return false;
    }
    if (size - 1 > UINT64_MAX - a) {
      problem(fmt::format("{}: range overflows", ev),
              fmt::format("{}: {} {:#x} + size {} overflows the 64-bit address space", ev, what, a, size));
      return false;
    }
    return true;
  }

  void add_map(Bdf dev, Addr iova, Addr pa, uint64_t size, uint8_t perm) {
    TraceRecord r;
    r.time = time_;
    r.host = true;
    r.op = TraceOp::Map;
    r.dev = dev;
    r.iova = iova;
    r.pa = pa;
    r.size = size;
    r.perm = perm;
    r_.add_record(line_, r);
  }
  void add_unmap(Bdf dev, Addr iova, uint64_t size) {
    TraceRecord r;
    r.time = time_;
    r.host = true;
    r.op = TraceOp::Unmap;
    r.dev = dev;
    r.iova = iova;
    r.size = size;
    r_.add_record(line_, r);
  }

  // iommu map: "IOMMU: iova=... - ... paddr=... size=..." (or the older form).
  void iommu_map(std::string_view body) {
    const bool range_form = body.find(" - ") != std::string_view::npos;
    if (!fields("map", body, range_form ? kMapFmt : kMapOldFmt, range_form ? kMapPrintk : kMapOldPrintk)) return;
    const uint64_t iova = f_[0].num;
    const uint64_t pa = f_[range_form ? 2 : 1].num, size = f_[range_form ? 3 : 2].num;
    if (range_form && f_[1].num != iova + size)
      return problem("map: end is not iova + size",
                     fmt::format("map: end {:#x} is not iova {:#x} + size {}", f_[1].num, iova, size));
    auto dev = no_device("map");
    if (!dev || !range_ok("map", "iova", iova, size) || !range_ok("map", "paddr", pa, size)) return;
    add_map(*dev, iova, pa, size, kPermRead | kPermWrite);
    imported("map");
  }

  // iommu unmap: what was unmapped (unmapped_size) at iova.
  void iommu_unmap(std::string_view body) {
    const bool range_form = body.find(" - ") != std::string_view::npos;
    if (!fields("unmap", body, range_form ? kUnmapFmt : kUnmapOldFmt, range_form ? kUnmapPrintk : kUnmapOldPrintk))
      return;
    const uint64_t iova = f_[0].num;
    const uint64_t size = f_[range_form ? 2 : 1].num, unmapped = f_[range_form ? 3 : 2].num;
    if (range_form && f_[1].num != iova + size)
      return problem("unmap: end is not iova + size",
                     fmt::format("unmap: end {:#x} is not iova {:#x} + size {}", f_[1].num, iova, size));
    auto dev = no_device("unmap");
    if (!dev) return;
    if (unmapped == 0) {
      ++r_.ignored["unmap (unmapped_size=0)"];
      return;
    }
    if (!range_ok("unmap", "iova", iova, unmapped)) return;
    add_unmap(*dev, iova, unmapped);
    imported("unmap");
  }

  // io_page_fault: the faulting access again, so that the fault recurs.
  void io_page_fault(std::string_view body) {
    if (!fields("io_page_fault", body, kFaultFmt, "IOMMU:%s %s iova=0x%016llx flags=0x%04x")) return;
    auto dev = device("io_page_fault", f_[1].text);
    if (!dev || !range_ok("io_page_fault", "iova", f_[2].num, kFaultDmaBytes)) return;
    TraceRecord r;
    r.time = time_;
    r.source = *dev;
    r.op = (f_[3].num & 1) ? TraceOp::DmaW : TraceOp::DmaR;  // IOMMU_FAULT_WRITE = 0x1
    r.addr = f_[2].num;
    r.size = kFaultDmaBytes;
    r_.add_record(line_, r);
    ++r_.imported["io_page_fault"];
  }

  std::optional<uint8_t> perm(std::string_view ev, std::string_view dir) {
    if (auto p = perm_of(dir)) return p;
    problem(fmt::format("{}: bad direction", ev),
            fmt::format("{}: dir={}: expected TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL", ev, dir));
    return std::nullopt;
  }

  void dma_map(std::string_view ev, std::string_view body) {
    if (!fields(ev, body, kDmaMapFmt, "%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s")) return;
    const uint64_t iova = f_[2].num, size = f_[3].num, pa = f_[4].num;
    auto dev = device(ev, f_[0].text);
    if (!dev) return;
    auto p = perm(ev, f_[1].text);
    if (!p || !range_ok(ev, "dma_addr", iova, size) || !range_ok(ev, "phys_addr", pa, size)) return;
    add_map(*dev, iova, pa, size, *p);
    imported(ev);
  }

  void dma_unmap(std::string_view ev, std::string_view body) {
    if (!fields(ev, body, kDmaUnmapFmt, "%s dir=%s dma_addr=%llx size=%zu attrs=%s")) return;
    const uint64_t iova = f_[2].num, size = f_[3].num;
    auto dev = device(ev, f_[0].text);
    if (!dev || !range_ok(ev, "dma_addr", iova, size)) return;
    add_unmap(*dev, iova, size);
    imported(ev);
  }

  // Coherent allocations: the event has no physical address (only a hashed
  // kernel pointer), so the map places the buffer at its IOVA.
  void dma_alloc(std::string_view ev, std::string_view body) {
    if (!fields(ev, body, kDmaAllocFmt, "%s dir=%s dma_addr=%llx size=%zu virt_addr=%p flags=%s attrs=%s")) return;
    const uint64_t iova = f_[2].num, size = f_[3].num;
    const std::string_view virt = f_[4].text;
    if (iova == 0 && (virt == "(null)" || virt.find_first_not_of('0') == std::string_view::npos)) {
      ++r_.ignored[fmt::format("{} (failed allocation)", ev)];
      return;
    }
    auto dev = device(ev, f_[0].text);
    if (!dev) return;
    // dma_alloc is coherent memory, read and written by both sides (Linux 6.12
    // prints an unset dir for it); dma_alloc_pages has a real direction.
    std::optional<uint8_t> p = kPermRead | kPermWrite;
    if (ev == "dma_alloc_pages") p = perm(ev, f_[1].text);
    if (!p || !range_ok(ev, "dma_addr", iova, size)) return;
    add_map(*dev, iova, iova, size, *p);
    imported(ev);
  }

  void dma_free(std::string_view ev, std::string_view body) {
    if (!fields(ev, body, kDmaFreeFmt, "%s dir=%s dma_addr=%llx size=%zu virt_addr=%p attrs=%s")) return;
    const uint64_t iova = f_[2].num, size = f_[3].num;
    auto dev = device(ev, f_[0].text);
    if (!dev || !range_ok(ev, "dma_addr", iova, size)) return;
    add_unmap(*dev, iova, size);
    imported(ev);
  }

  // One map per segment when the DMA segments are the physical ones; an IOMMU
  // that merged segments (ents < nents) leaves the physical sizes unknown.
  void dma_map_sg(std::string_view body) {
    constexpr std::string_view ev = "dma_map_sg";
    if (body.find(" [TRUNCATED] ") != std::string_view::npos) {
      ++r_.ignored["dma_map_sg (truncated: over 128 entries)"];
      return;  // its dma_unmap_sg will find no mapping and be ignored too
    }
    const bool counts_form = body.find(" nents=") != std::string_view::npos;
    if (!fields(ev, body, counts_form ? kMapSgFmt : kMapSgOldFmt,
                counts_form ? "%s dir=%s nents=%d/%d ents=%d/%d%s dma_addrs=%s sizes=%s phys_addrs=%s attrs=%s"
                            : "%s dir=%s dma_addrs=%s sizes=%s phys_addrs=%s attrs=%s"))
      return;
    const size_t a = counts_form ? 6 : 2;  // index of dma_addrs
    const std::vector<uint64_t>& iovas = f_[a].array;
    const std::vector<uint64_t>& sizes = f_[a + 1].array;
    const std::vector<uint64_t>& phys = f_[a + 2].array;
    if (iovas.size() != sizes.size())
      return problem("dma_map_sg: dma_addrs and sizes differ in length",
                     fmt::format("dma_map_sg: {} dma_addrs but {} sizes", iovas.size(), sizes.size()));
    auto dev = device(ev, f_[0].text);
    if (!dev) return;
    auto p = perm(ev, f_[1].text);
    if (!p) return;
    SgMapping m;
    m.dev = *dev;
    if (iovas.empty() || iovas.size() != phys.size()) {
      m.not_imported = iovas.empty() ? "dma_map_sg (no segments)" : "dma_map_sg (segments merged by the IOMMU)";
      ++r_.ignored[m.not_imported];
    } else {
      for (size_t i = 0; i < iovas.size(); ++i)
        if (!range_ok(ev, "dma_addr", iovas[i], sizes[i]) || !range_ok(ev, "phys_addr", phys[i], sizes[i])) return;
      for (size_t i = 0; i < iovas.size(); ++i) {
        add_map(*dev, iovas[i], phys[i], sizes[i], *p);
        m.ranges.emplace_back(iovas[i], sizes[i]);
      }
      imported(ev);
    }
    sg_[{std::string(f_[0].text), phys}].push_back(std::move(m));
  }

  // dma_unmap_sg prints the physical addresses only: the IOVAs come from the
  // dma_map_sg of the same device and physical addresses.
  void dma_unmap_sg(std::string_view body) {
    constexpr std::string_view ev = "dma_unmap_sg";
    if (!fields(ev, body, kUnmapSgFmt, "%s dir=%s phys_addrs=%s attrs=%s")) return;
    auto it = sg_.find({std::string(f_[0].text), f_[2].array});
    if (it == sg_.end()) {
      ++r_.ignored["dma_unmap_sg (no dma_map_sg of those pages before it)"];
      return;
    }
    SgMapping m = std::move(it->second.front());
    it->second.pop_front();
    if (it->second.empty()) sg_.erase(it);
    if (!m.not_imported.empty()) {
      ++r_.ignored["dma_unmap_sg (its dma_map_sg was not imported)"];
      return;
    }
    for (const auto& [iova, size] : m.ranges) add_unmap(m.dev, iova, size);
    imported(ev);
  }

  const ImportOptions& o_;
  ImportResult r_;
  uint32_t line_ = 0;
  std::optional<uint64_t> base_ns_;  // the first event's timestamp
  Tick time_ = 0;                    // the current event's, relative to it
  std::vector<EventField> f_;
  std::map<std::pair<std::string, std::vector<uint64_t>>, std::deque<SgMapping>> sg_;
};

}  // namespace

ImportResult import_ftrace(std::string_view text, const std::string& name, const ImportOptions& o) {
  return FtraceImporter(name, o).run(text);
}

}  // namespace iommusim
