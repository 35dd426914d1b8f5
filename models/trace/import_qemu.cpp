#include "trace/import_qemu.h"

#include <fmt/format.h>

#include <vector>

#include "trace/event_format.h"
#include "trace/trace_writer.h"

namespace iommusim {

namespace {

// A log without timestamps: each event 100 ns after the one before.
constexpr Tick kUntimedStep = 100 * kPsPerNs;
// A vtd_dmar_translate becomes a read of this many bytes at the IOVA.
constexpr uint64_t kTranslateDmaBytes = 4;
constexpr Addr kMsiBase = 0xFEE00000, kMsiLast = 0xFEEFFFFF;

// The events that become records (hw/i386/trace-events, intel_iommu.c).
// The printf formats use PRIx64 etc.; "0x%x" here stands for "0x%"PRIx64.
constexpr std::string_view kRegWriteFmt = "addr 0x%x size 0x%x value 0x%x";
constexpr std::string_view kRegReadFmt = "addr 0x%x size 0x%x";
constexpr std::string_view kTranslateFmt = "dev %x:%x.%x iova 0x%x -> gpa 0x%x mask 0x%x";
constexpr std::string_view kRemapMsiFmt = "(addr 0x%x, data 0x%x) -> (addr 0x%x, data 0x%x)";

// Events written as comments, with their formats (each checked; several
// where QEMU versions differ). Any other vtd_* event is written as a comment
// unchecked.
struct CommentEvent {
  std::string_view name;
  std::vector<std::string_view> formats;
};
const std::vector<CommentEvent>& comment_events() {
  static const std::vector<CommentEvent> events = {
      // invalidation (register-based and queued)
      {"vtd_inv_desc", {"invalidate desc type %s high 0x%x low 0x%x"}},
      {"vtd_inv_desc_invalid", {"invalid inv desc hi 0x%x lo 0x%x"}},
      {"vtd_inv_desc_cc_domain", {"context invalidate domain 0x%x"}},
      {"vtd_inv_desc_cc_global", {"context invalidate globally"}},
      {"vtd_inv_desc_cc_device", {"context invalidate device %x:%x.%x"}},
      {"vtd_inv_desc_cc_devices", {"context invalidate devices sid 0x%x fmask 0x%x"}},
      {"vtd_inv_desc_iotlb_global", {"iotlb invalidate global"}},
      {"vtd_inv_desc_iotlb_domain", {"iotlb invalidate whole domain 0x%x"}},
      {"vtd_inv_desc_iotlb_pages", {"iotlb invalidate domain 0x%x addr 0x%x mask 0x%x"}},
      {"vtd_inv_desc_iotlb_pasid_pages", {"iotlb invalidate domain 0x%x addr 0x%x mask 0x%x pasid 0x%x"}},
      {"vtd_inv_desc_iotlb_pasid", {"iotlb invalidate domain 0x%x pasid 0x%x"}},
      {"vtd_inv_desc_wait_sw", {"wait invalidate status write addr 0x%x data 0x%x"}},
      {"vtd_inv_desc_iec", {"granularity 0x%x index 0x%x mask 0x%x"}},
      {"vtd_inv_qi_enable", {"enabled %d"}},
      {"vtd_inv_qi_setup", {"addr 0x%x size %d"}},
      {"vtd_inv_qi_tail", {"write tail %d"}},
      // caches
      {"vtd_iotlb_page_hit", {"IOTLB page hit sid 0x%x iova 0x%x slpte 0x%x domain 0x%x"}},
      {"vtd_iotlb_page_update", {"IOTLB page update sid 0x%x iova 0x%x slpte 0x%x domain 0x%x"}},
      {"vtd_iotlb_cc_hit", {"IOTLB context hit bus 0x%x devfn 0x%x high 0x%x low 0x%x gen %u"}},
      {"vtd_iotlb_cc_update", {"IOTLB context update bus 0x%x devfn 0x%x high 0x%x low 0x%x gen %u -> gen %u"}},
      {"vtd_iotlb_reset", {"IOTLB reset (reason: %*"}},
      // faults
      {"vtd_dmar_fault", {"sid 0x%x fault %d addr 0x%x write %d"}},
      {"vtd_fault_disabled", {"Fault processing disabled for context entry"}},
      {"vtd_frr_new", {"index %d high 0x%x low 0x%x"}},
      {"vtd_fsts_ppf", {"FSTS PPF bit set to %d"}},
      // interrupt remapping
      {"vtd_ir_remap_msi_req", {"addr 0x%x data 0x%x"}},
      {"vtd_ir_remap", {"index %d trigger %d vector %d deliver %d dest 0x%x mode %d"}},
      {"vtd_ir_irte_get", {"index %d low 0x%x high 0x%x"}},
      {"vtd_ir_enable", {"enable %d"}},
      // page walks (for notifiers), register side effects
      {"vtd_page_walk_one",
       {"domain 0x%x iova 0x%x -> gpa 0x%x mask 0x%x perm %d",
        "detected page level 0x%x iova 0x%x -> gpa 0x%x mask 0x%x perm %d"}},
      {"vtd_reg_dmar_root", {"addr 0x%x scalable %d", "addr 0x%x extended %d"}},
      {"vtd_reg_ir_root", {"addr 0x%x size 0x%x"}},
      {"vtd_reg_write_gcmd", {"status 0x%x value 0x%x"}},
      {"vtd_dmar_enable", {"enable %d"}},
  };
  return events;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

class QemuImporter {
 public:
  QemuImporter(const std::string& name, const ImportOptions& o) : o_(o) {
    r_.format = "qemu";
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
    std::string_view s = trim(raw);
    if (s.empty() || s[0] == '#') return;
    // "PID@SECONDS.MICROSECONDS:" (older QEMU always; later with -msg timestamp=on)
    std::optional<uint64_t> ts;
    if (is_digit(s[0])) {
      const size_t colon = s.find(':');
      const std::string_view prefix = s.substr(0, colon);
      std::vector<EventField> f;
      if (colon == std::string_view::npos || match_event_format(prefix, "%u@%u.%u", f) || f[2].text.size() != 6 ||
          f[1].num > UINT64_MAX / 1000000000ull - 1)
        return problem("bad timestamp prefix", fmt::format("bad timestamp prefix '{}': expected "
                                                           "PID@SECONDS.MICROSECONDS: before the event name",
                                                           prefix));
      ts = f[1].num * 1000000000ull + f[2].num * 1000;
      s.remove_prefix(colon + 1);
    }
    size_t e = 0;
    while (e < s.size() && is_ident(s[e])) ++e;
    if (e == 0 || (e < s.size() && !is_blank(s[e])))
      return problem("not a QEMU trace line",
                     "not a QEMU trace line: expected '[PID@SECONDS.MICROSECONDS:]<event> <fields>'");
    const std::string_view event = s.substr(0, e), body = trim(s.substr(e));

    if (ts) {
      if (!base_ns_) base_ns_ = *ts;
      const uint64_t rel = *ts >= *base_ns_ ? *ts - *base_ns_ : 0;
      if (rel > UINT64_MAX / kPsPerNs)
        return problem("bad timestamp prefix", "timestamp too far from the first event's");
      time_ = rel * kPsPerNs;
    } else if (r_.event_lines > 0) {
      time_ += kUntimedStep;
    }
    ++r_.event_lines;
    dispatch(event, body);
  }

  void dispatch(std::string_view ev, std::string_view body) {
    if (ev == "vtd_reg_write") return reg_access(ev, body, true);
    if (ev == "vtd_reg_read") return reg_access(ev, body, false);
    if (ev == "vtd_dmar_translate") return translate(body);
    if (ev == "vtd_ir_remap_msi") return remap_msi(body);
    if (ev.substr(0, 4) != "vtd_") {
      ++r_.ignored[std::string(ev)];
      return;
    }
    for (const CommentEvent& c : comment_events()) {
      if (c.name != ev) continue;
      std::optional<std::string> err;
      for (std::string_view f : c.formats)
        if (!(err = match_event_format(body, f, f_))) break;
      if (err) return bad_fields(ev, c.formats.front(), *err);
      break;
    }
    r_.add_comment(line_, fmt::format("{} {}{}{}", format_ns(time_), ev, body.empty() ? "" : " ", body));
    ++r_.commented[std::string(ev)];
  }

  void bad_fields(std::string_view ev, std::string_view format, const std::string& err) {
    problem(fmt::format("{}: fields do not match its format", ev),
            fmt::format("{}: the fields do not match '{}': {}", ev, format, err));
  }
  bool fields(std::string_view ev, std::string_view body, std::string_view format) {
    if (auto err = match_event_format(body, format, f_)) {
      bad_fields(ev, format, *err);
      return false;
    }
    return true;
  }

  void add(TraceRecord r, std::string_view ev) {
    r.time = time_;
    r_.add_record(line_, r);
    ++r_.imported[std::string(ev)];
  }

  // vtd_reg_write / vtd_reg_read: addr is the offset in the register block.
  void reg_access(std::string_view ev, std::string_view body, bool write) {
    if (!fields(ev, body, write ? kRegWriteFmt : kRegReadFmt)) return;
    const uint64_t off = f_[0].num, size = f_[1].num;
    if (size != 4 && size != 8)
      return problem(fmt::format("{}: size is not 4 or 8", ev),
                     fmt::format("{}: size {}: trace-v1 register accesses are 4 or 8 bytes", ev, size));
    if (off % size != 0 || off > UINT64_MAX - o_.reg_base - (size - 1))
      return problem(fmt::format("{}: unaligned or out of range", ev),
                     fmt::format("{}: offset {:#x} is not aligned to its size {} (or overflows)", ev, off, size));
    if (write && size == 4 && f_[2].num >> 32 != 0)
      return problem(fmt::format("{}: value does not fit its size", ev),
                     fmt::format("{}: value {:#x} does not fit in 4 bytes", ev, f_[2].num));
    TraceRecord r;
    r.host = true;
    r.op = write ? TraceOp::MmioW : TraceOp::MmioR;
    r.addr = o_.reg_base + off;
    r.size = size;
    if (write) r.data = f_[2].num;
    add(r, ev);
  }

  // vtd_dmar_translate: a DMA of the device at the IOVA (its page, as printed).
  void translate(std::string_view body) {
    constexpr std::string_view ev = "vtd_dmar_translate";
    if (!fields(ev, body, kTranslateFmt)) return;
    if (f_[0].num > 0xff || f_[1].num > 0x1f || f_[2].num > 7)
      return problem("vtd_dmar_translate: bad device",
                     fmt::format("vtd_dmar_translate: dev {}:{}.{} is not a bus:slot.function", f_[0].text,
                                 f_[1].text, f_[2].text));
    const Addr iova = f_[3].num;
    if (iova > UINT64_MAX - (kTranslateDmaBytes - 1))
      return problem("vtd_dmar_translate: iova out of range",
                     fmt::format("vtd_dmar_translate: iova {:#x} is at the end of the address space", iova));
    TraceRecord r;
    r.source.bus = static_cast<uint8_t>(f_[0].num);
    r.source.dev = static_cast<uint8_t>(f_[1].num);
    r.source.fn = static_cast<uint8_t>(f_[2].num);
    r.op = TraceOp::DmaR;
    r.addr = iova;
    r.size = kTranslateDmaBytes;
    add(r, ev);
  }

  // vtd_ir_remap_msi: the MSI as the device wrote it (before remapping).
  void remap_msi(std::string_view body) {
    constexpr std::string_view ev = "vtd_ir_remap_msi";
    if (!fields(ev, body, kRemapMsiFmt)) return;
    const Addr addr = f_[0].num;
    const uint64_t data = f_[1].num;
    if (addr < kMsiBase || addr > kMsiLast || addr % 4 != 0 || data >> 32 != 0)
      return problem("vtd_ir_remap_msi: not an MSI",
                     fmt::format("vtd_ir_remap_msi: addr {:#x} data {:#x} is not a 4-byte MSI write to "
                                 "0xfee00000-0xfeefffff",
                                 addr, data));
    if (!o_.device)
      return problem("vtd_ir_remap_msi: names no device",
                     "vtd_ir_remap_msi: the event does not name the requester; give --device BDF");
    TraceRecord r;
    r.source = *o_.device;
    r.op = TraceOp::Msi;
    r.addr = addr;
    r.data = data;
    r.size = 4;
    add(r, ev);
  }

  const ImportOptions& o_;
  ImportResult r_;
  uint32_t line_ = 0;
  std::optional<uint64_t> base_ns_;  // the first timestamp
  Tick time_ = 0;
  std::vector<EventField> f_;
};

}  // namespace

ImportResult import_qemu(std::string_view text, const std::string& name, const ImportOptions& o) {
  return QemuImporter(name, o).run(text);
}

}  // namespace iommusim
