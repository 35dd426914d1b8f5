// Importer of Linux's boot-time DMAR lines (see dmar_boot_log.h for the lines
// and docs/models/platform.md for the inferences).
#include "platform/dmar_boot_log.h"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace iommusim {
namespace {

// DMAR table header flags (VT-d 8.1).
constexpr std::uint8_t kFlagIntrRemap = 1u << 0;
constexpr std::uint8_t kFlagX2apicOptOut = 1u << 1;
constexpr std::uint8_t kFlagDmaCtrlPlatformOptIn = 1u << 2;

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

// Position just after the first "DMAR:" / "DMAR-IR:" tag (any case; not part
// of a longer word), or npos. Whatever precedes it (timestamp, syslog host and
// program, printk level) is the prefix and is ignored.
std::size_t find_tag_end(std::string_view line) {
  for (std::size_t i = 0; i + 5 <= line.size(); ++i) {
    if (i > 0 && is_word_char(line[i - 1])) continue;
    if (!iequals(line.substr(i, 4), "dmar")) continue;
    const std::size_t j = i + 4;
    if (line[j] == ':') return j + 1;
    if (j + 4 <= line.size() && iequals(line.substr(j, 4), "-ir:")) return j + 4;
  }
  return std::string_view::npos;
}

// "0x1f", "1f" (Linux prints some values with %llx, without the 0x); all of
// the token must be hex digits and fit 64 bits.
std::optional<std::uint64_t> parse_hex(std::string_view t) {
  if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
  if (t.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : t) {
    unsigned d;
    if (is_digit(c)) d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
    if (v >> 60) return std::nullopt;  // would overflow 64 bits
    v = (v << 4) | d;
  }
  return v;
}

// Hex digits only, after an optional 0x (whatever their number).
bool all_hex(std::string_view t) {
  if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
  if (t.empty()) return false;
  for (char c : t)
    if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F')) return false;
  return true;
}

std::optional<std::uint64_t> parse_dec(std::string_view t) {
  if (t.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : t) {
    if (!is_digit(c)) return std::nullopt;
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

// A cursor over the message text after the tag. Literal patterns are
// space-separated words; in the input, words may be separated by any run of
// blanks (Linux prints "under DRHD base  0x..." with two spaces, and logs
// passed through other tools may have one).
class Message {
 public:
  Message(std::string_view text, const std::string& source, std::size_t line)
      : text_(text), source_(&source), line_(line) {}

  std::size_t line() const { return line_; }
  void set_kind(std::string kind) { kind_ = std::move(kind); }

  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(fmt::format("{}:{}: {}: {}", *source_, line_, kind_, problem));
  }

  // Whether the text at the cursor reads `words`; consumes them if so.
  bool accept(std::string_view words) {
    std::size_t p = pos_;
    while (!words.empty()) {
      const std::size_t sp = words.find(' ');
      const std::string_view word = words.substr(0, sp);
      words = sp == std::string_view::npos ? std::string_view{} : words.substr(sp + 1);
      while (p < text_.size() && is_blank(text_[p])) ++p;
      if (text_.substr(p, word.size()) != word) return false;
      p += word.size();
    }
    pos_ = p;
    return true;
  }
  bool looking_at(std::string_view words) const {
    Message copy = *this;
    return copy.accept(words);
  }

  // The next run of non-blank characters (empty at the end of the text).
  std::string_view token() {
    skip_blanks();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !is_blank(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  std::string_view rest() {
    skip_blanks();
    return text_.substr(pos_);
  }

  void expect(std::string_view words, std::string_view shown, std::string_view after) {
    if (!accept(words)) fail(fmt::format("expected '{}' after {}", shown, after));
  }

  // A hex number of at most `bits` bits.
  std::uint64_t hex(std::string_view what, std::string_view after, unsigned bits = 64) {
    const std::string_view t = token();
    if (t.empty()) fail(fmt::format("expected {} (hex) after {}", what, after));
    const auto v = parse_hex(t);
    if (!v && all_hex(t)) fail(fmt::format("{} {} does not fit 64 bits", what, t));
    if (!v) fail(fmt::format("bad hex number '{}' for {}", t, what));
    if (bits < 64 && (*v >> bits) != 0) fail(fmt::format("{} {} does not fit {} bits", what, t, bits));
    return *v;
  }

  // A decimal number in [lo, hi].
  std::uint64_t dec(std::string_view what, std::string_view after, std::uint64_t lo, std::uint64_t hi) {
    const std::string_view t = token();
    if (t.empty()) fail(fmt::format("expected {} (decimal) after {}", what, after));
    const auto v = parse_dec(t);
    if (!v) fail(fmt::format("bad decimal number '{}' for {}", t, what));
    if (*v < lo || *v > hi) fail(fmt::format("{} {} is out of range ({}..{})", what, t, lo, hi));
    return *v;
  }

  void end(std::string_view after) {
    const std::string_view r = rest();
    if (!r.empty()) fail(fmt::format("unexpected '{}' after {}", r, after));
  }

  void skip_blanks() {
    while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
  }

 private:

  std::string_view text_;
  const std::string* source_;  // a pointer, so that a probing copy can be assigned back
  std::size_t line_;
  std::size_t pos_ = 0;
  std::string kind_ = "DMAR line";
};

class Importer {
 public:
  explicit Importer(const std::string& source) : source_(source) {}

  void line(std::string_view text, std::size_t number) {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || is_blank(text.back())))
      text.remove_suffix(1);
    const std::size_t tag_end = find_tag_end(text);
    if (tag_end == std::string_view::npos) return;
    Message m(text.substr(tag_end), source_, number);
    m.skip_blanks();  // 2.6 kernels printed "DMAR:" with no blank after it

    if (m.accept("Host address width")) return host_address_width(m);
    if (m.accept("DRHD base:")) return drhd(m);
    if (m.accept("RMRR base:")) return rmrr(m);
    if (m.accept("ATSR flags:")) return atsr(m);
    if (m.accept("RHSA base:")) return rhsa(m);
    if (m.accept("ANDD device:")) return andd(m);
    if (m.accept("SATC flags:")) return satc(m);
    if (m.accept("IOAPIC id")) return ir_scope(m, DmarDeviceScope::Type::IoApic);
    if (m.accept("HPET id")) return ir_scope(m, DmarDeviceScope::Type::MsiHpet);
    if (m.looking_at("x2apic is disabled because BIOS sets x2apic opt out bit")) {
      // Printed only after Linux checked INTR_REMAP (dmar_ir_support()) and
      // found X2APIC_OPT_OUT set (dmar_x2apic_optout()).
      desc_.flags |= kFlagIntrRemap | kFlagX2apicOptOut;
      return;
    }
    if (m.accept("Enabled IRQ remapping in")) return irq_remapping_enabled(m);
    if (m.looking_at("Intel-IOMMU force enabled due to platform opt in")) {
      // Printed only when dmar_platform_optin() is true.
      desc_.flags |= kFlagDmaCtrlPlatformOptIn;
      return;
    }
    unit_registers(m);  // "dmar0: reg_base_addr ..." or the 3.x "IOMMU 0: reg_base_addr ..."
  }

  DmarDescription finish() {
    if (desc_.drhds.empty())
      throw InputError(source_ + ": no 'DMAR: DRHD base' lines: not a DMAR boot log");
    return std::move(desc_);
  }

 private:
  struct UnitInfo {
    std::size_t drhd_line = 0;
    std::size_t regs_line = 0;   // line of the dmarN line, 0 if none yet
    std::string name;            // "dmar3" or "IOMMU 3", from that line
    std::optional<unsigned> seq; // the 3 in it
  };

  void host_address_width(Message& m) {
    m.set_kind("Host address width line");
    // Linux prints the table's HAW field (a byte) + 1.
    const auto haw = static_cast<unsigned>(m.dec("the width", "'Host address width'", 1, 256));
    m.end("the width");
    if (haw_line_ != 0 && desc_.host_address_width != haw)
      m.fail(fmt::format("width {} differs from {} on line {}", haw, desc_.host_address_width, haw_line_));
    desc_.host_address_width = haw;
    haw_line_ = m.line();
  }

  void drhd(Message& m) {
    m.set_kind("DRHD line");
    DmarDrhd d;
    d.reg_base = m.hex("the base", "'DRHD base:'");
    m.expect("flags:", "flags: 0x..", "the base");
    d.flags = static_cast<std::uint8_t>(m.hex("the flags", "'flags:'", 8));
    m.end("the flags");
    if (const auto it = by_base_.find(d.reg_base); it != by_base_.end())
      m.fail(fmt::format("a second DRHD line for base {:#x} (the first is on line {}): "
                         "is this the log of more than one boot?",
                         d.reg_base, info_[it->second].drhd_line));
    by_base_.emplace(d.reg_base, desc_.drhds.size());
    UnitInfo info;
    info.drhd_line = m.line();
    info_.push_back(info);
    desc_.drhds.push_back(std::move(d));
  }

  void rmrr(Message& m) {
    m.set_kind("RMRR line");
    DmarRmrr r;
    r.base = m.hex("the base", "'RMRR base:'");
    m.expect("end:", "end: 0x..", "the base");
    r.limit = m.hex("the end", "'end:'");
    m.end("the end");
    if (r.limit < r.base) m.fail(fmt::format("end {:#x} is below base {:#x}", r.limit, r.base));
    desc_.rmrrs.push_back(std::move(r));
  }

  void atsr(Message& m) {
    m.set_kind("ATSR line");
    DmarAtsr a;
    a.flags = static_cast<std::uint8_t>(m.hex("the flags", "'ATSR flags:'", 8));
    m.end("the flags");
    desc_.atsrs.push_back(std::move(a));
  }

  void rhsa(Message& m) {
    m.set_kind("RHSA line");
    DmarRhsa r;
    r.reg_base = m.hex("the base", "'RHSA base:'");
    m.expect("proximity domain:", "proximity domain: 0x..", "the base");
    r.proximity_domain = static_cast<std::uint32_t>(m.hex("the proximity domain", "'proximity domain:'", 32));
    m.end("the proximity domain");
    desc_.rhsas.push_back(r);
  }

  void andd(Message& m) {
    m.set_kind("ANDD line");
    DmarAndd a;
    // Printed with %x: hex without 0x.
    a.device_number = static_cast<std::uint8_t>(m.hex("the device number", "'ANDD device:'", 8));
    m.expect("name:", "name: <ACPI object name>", "the device number");
    const std::string_view name = m.rest();
    if (name.empty()) m.fail("expected an ACPI object name after 'name:'");
    a.object_name = std::string(name);
    desc_.andds.push_back(std::move(a));
  }

  void satc(Message& m) {
    m.set_kind("SATC line");
    DmarSatc s;
    s.flags = static_cast<std::uint8_t>(m.hex("the flags", "'SATC flags:'", 8));
    m.end("the flags");
    desc_.satcs.push_back(std::move(s));
  }

  // "IOAPIC id %d under DRHD base  0x%Lx IOMMU %d" / "HPET id %d under DRHD base 0x%Lx".
  void ir_scope(Message& m, DmarDeviceScope::Type type) {
    const bool ioapic = type == DmarDeviceScope::Type::IoApic;
    m.set_kind(ioapic ? "IOAPIC line" : "HPET line");
    const char* id_what = ioapic ? "the I/O APIC id" : "the HPET number";
    const auto id = static_cast<std::uint8_t>(m.dec(id_what, ioapic ? "'IOAPIC id'" : "'HPET id'", 0, 255));
    m.expect("under DRHD base", "under DRHD base 0x..", "the id");
    const std::uint64_t base = m.hex("the DRHD base", "'under DRHD base'");
    std::optional<unsigned> seq;
    if (m.accept("IOMMU")) {
      seq = static_cast<unsigned>(m.dec("the IOMMU number", "'IOMMU'", 0, 65535));
      m.end("the IOMMU number");
    } else {
      m.end("the DRHD base");
    }
    const std::size_t index = unit_index(m, base, "DRHD base");
    const UnitInfo& info = info_[index];
    if (seq && info.seq && *seq != *info.seq)
      m.fail(fmt::format("IOMMU {} but the unit at {:#x} is {} (line {})", *seq, base, info.name,
                         info.regs_line));
    // Linux parses I/O APIC and HPET scopes only after checking INTR_REMAP.
    desc_.flags |= kFlagIntrRemap;
    DmarDrhd& d = desc_.drhds[index];
    for (const DmarDeviceScope& s : d.scopes)
      if (s.type == type && s.enumeration_id == id) return;  // Linux prints each once; keep one
    DmarDeviceScope s;
    s.type = type;
    s.enumeration_id = id;
    // start_bus and path stay 0 / empty: the log does not print them.
    d.scopes.push_back(std::move(s));
  }

  void irq_remapping_enabled(Message& m) {
    m.set_kind("IRQ remapping line");
    const std::string_view mode = m.token();
    if ((mode != "x2apic" && mode != "xapic") || !m.accept("mode"))
      m.fail("expected 'x2apic mode' or 'xapic mode' after 'Enabled IRQ remapping in'");
    m.end("the mode");
    // Interrupt remapping is enabled only if the table's INTR_REMAP is set.
    desc_.flags |= kFlagIntrRemap;
  }

  // "dmarN: reg_base_addr %llx ver %d:%d cap %llx ecap %llx" (3.x: "IOMMU N: ...").
  // Other "dmarN: ..." lines are not register lines and are ignored.
  void unit_registers(Message& m) {
    std::string name;
    unsigned seq = 0;
    {
      Message probe = m;
      const std::string_view first = probe.token();
      std::string_view digits;
      if (first.size() > 5 && first.substr(0, 4) == "dmar" && first.back() == ':') {
        digits = first.substr(4, first.size() - 5);
        name = std::string(first.substr(0, first.size() - 1));
      } else if (first == "IOMMU") {
        const std::string_view second = probe.token();
        if (second.size() < 2 || second.back() != ':') return;
        digits = second.substr(0, second.size() - 1);
        name = "IOMMU " + std::string(digits);
      } else {
        return;
      }
      const auto n = parse_dec(digits);
      if (!n || *n > 65535) return;
      if (!probe.accept("reg_base_addr")) return;
      seq = static_cast<unsigned>(*n);
      m = probe;
    }
    m.set_kind(name + " line");
    const std::uint64_t base = m.hex("the register base", "'reg_base_addr'");
    m.expect("ver", "ver <major>:<minor>", "the register base");
    const std::string_view vt = m.token();
    const std::size_t colon = vt.find(':');
    const auto major = parse_dec(vt.substr(0, colon));
    const auto minor = colon == std::string_view::npos ? std::nullopt : parse_dec(vt.substr(colon + 1));
    if (!major || !minor || *major > 15 || *minor > 15)
      m.fail(fmt::format("bad version '{}' (expected <major>:<minor>, each 0..15)", vt));
    const auto ver = static_cast<std::uint32_t>((*major << 4) | *minor);  // VER_REG 7:4, 3:0
    m.expect("cap", "cap <hex>", "the version");
    const std::uint64_t cap = m.hex("the cap", "'cap'");
    m.expect("ecap", "ecap <hex>", "the cap");
    const std::uint64_t ecap = m.hex("the ecap", "'ecap'");
    m.end("the ecap");

    const std::size_t index = unit_index(m, base, "reg_base_addr");
    UnitInfo& info = info_[index];
    DmarDrhd& d = desc_.drhds[index];
    if (info.seq && *info.seq != seq)
      m.fail(fmt::format("the unit at {:#x} was named {} on line {}", base, info.name, info.regs_line));
    if (d.ver && *d.ver != ver)
      m.fail(fmt::format("ver {}:{} differs from ver {}:{} on line {} for the same unit", *major, *minor,
                         *d.ver >> 4, *d.ver & 0xF, info.regs_line));
    if (d.cap && *d.cap != cap)
      m.fail(fmt::format("cap {:#x} differs from cap {:#x} on line {} for the same unit", cap, *d.cap,
                         info.regs_line));
    if (d.ecap && *d.ecap != ecap)
      m.fail(fmt::format("ecap {:#x} differs from ecap {:#x} on line {} for the same unit", ecap, *d.ecap,
                         info.regs_line));
    d.ver = ver;
    d.cap = cap;
    d.ecap = ecap;
    if (!info.seq) {
      info.seq = seq;
      info.name = name;
      info.regs_line = m.line();
    }
  }

  std::size_t unit_index(const Message& m, std::uint64_t base, std::string_view field) const {
    const auto it = by_base_.find(base);
    if (it == by_base_.end())
      m.fail(fmt::format("no earlier 'DRHD base:' line for {} {:#x}", field, base));
    return it->second;
  }

  const std::string& source_;
  DmarDescription desc_;
  std::map<std::uint64_t, std::size_t> by_base_;  // reg_base -> index in desc_.drhds
  std::vector<UnitInfo> info_;                    // parallel to desc_.drhds
  std::size_t haw_line_ = 0;
};

}  // namespace

DmarDescription parse_dmar_boot_log(std::istream& in, const std::string& source) {
  Importer importer(source);
  std::string text;
  std::size_t number = 0;
  while (std::getline(in, text)) importer.line(text, ++number);
  if (in.bad()) throw InputError(source + ": read error");
  return importer.finish();
}

DmarDescription read_dmar_boot_log_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": cannot read: is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  return parse_dmar_boot_log(f, path);
}

}  // namespace iommusim
