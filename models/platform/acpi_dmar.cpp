// Parser of binary ACPI DMAR tables: VT-d 4.x chapter 8. The byte layouts
// and the checks are listed in acpi_dmar.h.
#include "platform/acpi_dmar.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"

namespace iommusim {

namespace {

constexpr std::size_t kAcpiHeaderBytes = 36;    // ACPI System Description Table header
constexpr std::size_t kDmarHeaderBytes = 48;    // 8.1: ACPI header + HAW, flags, 10 reserved
constexpr std::size_t kStructHeaderBytes = 4;   // 8.2: type (2), length (2)
constexpr std::size_t kScopeHeaderBytes = 6;    // 8.3.1: type .. start bus
constexpr std::size_t kPathEntryBytes = 2;      // 8.3.1: device, function
constexpr std::uint64_t kPageBytes = 4096;

// 8.2 remapping structure types.
enum : std::uint16_t {
  kTypeDrhd = 0,
  kTypeRmrr = 1,
  kTypeAtsr = 2,
  kTypeRhsa = 3,
  kTypeAndd = 4,
  kTypeSatc = 5,
  kTypeSidp = 6,  // VT-d 4.1
};

// Fixed part (header) sizes of each structure, type and length included.
constexpr std::size_t kDrhdFixedBytes = 16;  // 8.3
constexpr std::size_t kRmrrFixedBytes = 24;  // 8.4
constexpr std::size_t kAtsrFixedBytes = 8;   // 8.5
constexpr std::size_t kRhsaBytes = 20;       // 8.6 (no variable part)
constexpr std::size_t kAnddFixedBytes = 8;   // 8.7
constexpr std::size_t kSatcFixedBytes = 8;   // 8.8
constexpr std::size_t kSidpFixedBytes = 8;   // VT-d 4.1

const char* struct_name(std::uint16_t type) {
  switch (type) {
    case kTypeDrhd: return "DRHD";
    case kTypeRmrr: return "RMRR";
    case kTypeAtsr: return "ATSR";
    case kTypeRhsa: return "RHSA";
    case kTypeAndd: return "ANDD";
    case kTypeSatc: return "SATC";
    case kTypeSidp: return "SIDP";
    default: return nullptr;
  }
}

// Printable form of a fixed-size byte string (the signature): non-printable
// bytes as \xNN.
std::string printable(const std::uint8_t* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"')
      s += static_cast<char>(p[i]);
    else
      s += fmt::format("\\x{:02x}", p[i]);
  }
  return s;
}

class DmarParser {
 public:
  DmarParser(const std::vector<std::uint8_t>& bytes, const std::string& source)
      : b_(bytes), source_(source) {}

  DmarDescription parse() {
    parse_header();
    std::size_t off = kDmarHeaderBytes;
    while (off < table_end_) off += parse_structure(off);
    return std::move(d_);
  }

 private:
  [[noreturn]] void fail(std::size_t offset, const std::string& problem) const {
    throw InputError(fmt::format("{}: offset {:#x}: {}", source_, offset, problem));
  }

  // Little-endian reads. Every caller has checked its bounds against the
  // table or structure end; this check only guards against a parser bug.
  void check_bounds(std::size_t off, std::size_t n) const {
    if (off > b_.size() || n > b_.size() - off)
      throw std::logic_error(fmt::format("acpi_dmar: internal read of {} bytes at {:#x} past {} bytes", n, off,
                                         b_.size()));
  }
  std::uint64_t read_le(std::size_t off, std::size_t n) const {  // n <= 8
    check_bounds(off, n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t(b_[off + i]) << (8 * i);
    return v;
  }
  std::uint8_t u8(std::size_t off) const { return static_cast<std::uint8_t>(read_le(off, 1)); }
  std::uint16_t u16(std::size_t off) const { return static_cast<std::uint16_t>(read_le(off, 2)); }
  std::uint32_t u32(std::size_t off) const { return static_cast<std::uint32_t>(read_le(off, 4)); }
  std::uint64_t u64(std::size_t off) const { return read_le(off, 8); }

  // Bytes [off, off + n) as a string, ending at the first NUL.
  std::string text(std::size_t off, std::size_t n) const {
    check_bounds(off, n);
    std::string s;
    for (std::size_t i = 0; i < n && b_[off + i] != 0; ++i) s += static_cast<char>(b_[off + i]);
    return s;
  }

  // 8.1 DMAR ACPI table header (layout in acpi_dmar.h).
  void parse_header() {
    const std::size_t size = b_.size();
    if (size < kAcpiHeaderBytes)
      fail(0, fmt::format("data is {} bytes, shorter than the {}-byte ACPI table header", size, kAcpiHeaderBytes));
    if (std::memcmp(b_.data(), "DMAR", 4) != 0)
      fail(0, fmt::format("signature is \"{}\", not \"DMAR\"", printable(b_.data(), 4)));
    const std::uint32_t length = u32(4);
    if (length < kDmarHeaderBytes)
      fail(4, fmt::format("table length {} is smaller than the {}-byte DMAR table header", length,
                          kDmarHeaderBytes));
    if (length > size)
      fail(4, fmt::format("table length {} is larger than the {} bytes of data: the table is truncated", length,
                          size));
    if (length < size)
      fail(length, fmt::format("{} byte(s) follow the end of the table (its length field says {} bytes, the data "
                               "has {}); trailing bytes are not accepted",
                               size - length, length, size));
    table_end_ = length;

    unsigned sum = 0;
    for (std::size_t i = 0; i < table_end_; ++i) sum += b_[i];
    if (sum % 256 != 0)
      fail(9, fmt::format("bad checksum: the table's {} bytes sum to {:#04x} mod 256, not 0 (checksum byte {:#04x})",
                          table_end_, sum % 256, u8(9)));

    const unsigned haw_field = u8(36);
    if (haw_field + 1 < 12 || haw_field + 1 > 64)
      fail(36, fmt::format("host address width {} bits (HAW field {:#x}) is outside 12..64 bits", haw_field + 1,
                           haw_field));
    d_.host_address_width = haw_field + 1;
    d_.flags = u8(37);
    d_.oem_id = text(10, 6);
    d_.oem_table_id = text(16, 8);
  }

  // 8.2: one remapping structure at `off`; returns its length.
  std::size_t parse_structure(std::size_t off) {
    const std::size_t left = table_end_ - off;
    if (left < kStructHeaderBytes)
      fail(off, fmt::format("{} byte(s) left at the end of the table, too few for a remapping structure's "
                            "{}-byte type and length",
                            left, kStructHeaderBytes));
    const std::uint16_t type = u16(off);
    const std::size_t len = u16(off + 2);
    const char* name = struct_name(type);
    const std::string what = name ? fmt::format("{} structure", name) : fmt::format("structure of type {}", type);
    if (len < kStructHeaderBytes)
      fail(off, fmt::format("{} length {} is less than the {} bytes of its type and length fields", what, len,
                            kStructHeaderBytes));
    if (len > left)
      fail(off, fmt::format("{} length {} runs past the table end at {:#x}", what, len, table_end_));
    if (!name)
      fail(off, fmt::format("unknown remapping structure type {} (known: 0 DRHD, 1 RMRR, 2 ATSR, 3 RHSA, "
                            "4 ANDD, 5 SATC, 6 SIDP)",
                            type));
    switch (type) {
      case kTypeDrhd: parse_drhd(off, len); break;
      case kTypeRmrr: parse_rmrr(off, len); break;
      case kTypeAtsr: parse_atsr(off, len); break;
      case kTypeRhsa: parse_rhsa(off, len); break;
      case kTypeAndd: parse_andd(off, len); break;
      case kTypeSatc: parse_satc(off, len); break;
      case kTypeSidp: parse_sidp(off, len); break;
    }
    return len;
  }

  void require_fixed(std::size_t off, std::size_t len, std::size_t fixed, const char* name) const {
    if (len < fixed)
      fail(off, fmt::format("{} structure length {} is shorter than its {}-byte header", name, len, fixed));
  }

  // 8.3 DMA Remapping Hardware Unit Definition.
  void parse_drhd(std::size_t off, std::size_t len) {
    require_fixed(off, len, kDrhdFixedBytes, "DRHD");
    DmarDrhd u;
    u.flags = u8(off + 4);
    u.size = u8(off + 5) & 0x0f;  // bits 7:4 reserved
    u.segment = u16(off + 6);
    u.reg_base = u64(off + 8);
    u.scopes = parse_scopes(off + kDrhdFixedBytes, off + len, off, "DRHD");
    d_.drhds.push_back(std::move(u));
  }

  // 8.4 Reserved Memory Region Reporting.
  void parse_rmrr(std::size_t off, std::size_t len) {
    require_fixed(off, len, kRmrrFixedBytes, "RMRR");
    DmarRmrr r;
    r.segment = u16(off + 6);
    r.base = u64(off + 8);
    r.limit = u64(off + 16);
    if (r.base > r.limit)
      fail(off + 8, fmt::format("RMRR base {:#x} is above its limit {:#x}", r.base, r.limit));
    if (r.base % kPageBytes != 0)
      fail(off + 8, fmt::format("RMRR base {:#x} is not 4 KiB aligned", r.base));
    if ((r.limit + 1) % kPageBytes != 0)  // wraps to 0 (aligned) for a limit of 2^64 - 1
      fail(off + 16, fmt::format("RMRR limit {:#x} is not the last byte of a 4 KiB page (limit + 1 must be 4 KiB "
                                 "aligned)",
                                 r.limit));
    r.scopes = parse_scopes(off + kRmrrFixedBytes, off + len, off, "RMRR");
    d_.rmrrs.push_back(std::move(r));
  }

  // 8.5 Root Port ATS Capability Reporting.
  void parse_atsr(std::size_t off, std::size_t len) {
    require_fixed(off, len, kAtsrFixedBytes, "ATSR");
    DmarAtsr a;
    a.flags = u8(off + 4);
    a.segment = u16(off + 6);
    a.scopes = parse_scopes(off + kAtsrFixedBytes, off + len, off, "ATSR");
    d_.atsrs.push_back(std::move(a));
  }

  // 8.6 Remapping Hardware Static Affinity.
  void parse_rhsa(std::size_t off, std::size_t len) {
    require_fixed(off, len, kRhsaBytes, "RHSA");
    if (len != kRhsaBytes)
      fail(off, fmt::format("RHSA structure length {} is not {} (it has no variable part)", len, kRhsaBytes));
    DmarRhsa h;
    h.reg_base = u64(off + 8);
    h.proximity_domain = u32(off + 16);
    d_.rhsas.push_back(h);
  }

  // 8.7 ACPI Name-space Device Declaration.
  void parse_andd(std::size_t off, std::size_t len) {
    require_fixed(off, len, kAnddFixedBytes, "ANDD");
    DmarAndd a;
    a.device_number = u8(off + 7);
    const std::size_t name_off = off + kAnddFixedBytes;
    const std::size_t name_max = len - kAnddFixedBytes;
    std::size_t n = 0;
    while (n < name_max && b_[name_off + n] != 0) ++n;
    if (n == name_max)
      fail(name_off, fmt::format("ANDD object name has no terminating NUL inside its {}-byte structure", len));
    if (n == 0) fail(name_off, "ANDD object name is empty");
    a.object_name = text(name_off, n);
    d_.andds.push_back(std::move(a));
  }

  // 8.8 SoC Integrated Address Translation Cache.
  void parse_satc(std::size_t off, std::size_t len) {
    require_fixed(off, len, kSatcFixedBytes, "SATC");
    DmarSatc s;
    s.flags = u8(off + 4);
    s.segment = u16(off + 6);
    s.scopes = parse_scopes(off + kSatcFixedBytes, off + len, off, "SATC");
    d_.satcs.push_back(std::move(s));
  }

  // SoC Integrated Device Property (VT-d 4.1): checked, then ignored.
  void parse_sidp(std::size_t off, std::size_t len) {
    require_fixed(off, len, kSidpFixedBytes, "SIDP");
    parse_scopes(off + kSidpFixedBytes, off + len, off, "SIDP");
  }

  // 8.3.1 Device Scope entries filling [off, end) of the structure at
  // `struct_off` named `owner`.
  std::vector<DmarDeviceScope> parse_scopes(std::size_t off, std::size_t end, std::size_t struct_off,
                                            const char* owner) const {
    std::vector<DmarDeviceScope> scopes;
    while (off < end) {
      const std::size_t left = end - off;
      if (left < 2)
        fail(off, fmt::format("{} byte left at the end of the {} structure at {:#x}, too few for a device scope "
                              "({}-byte header)",
                              left, owner, struct_off, kScopeHeaderBytes));
      const unsigned type = u8(off);
      const std::size_t len = u8(off + 1);
      if (len < kScopeHeaderBytes)
        fail(off, fmt::format("device scope length {} is shorter than its {}-byte header", len, kScopeHeaderBytes));
      if (len > left)
        fail(off, fmt::format("device scope length {} runs past the end of its {} structure at {:#x} (which ends "
                              "at {:#x})",
                              len, owner, struct_off, end));
      const std::size_t path_bytes = len - kScopeHeaderBytes;
      if (path_bytes % kPathEntryBytes != 0)
        fail(off, fmt::format("device scope length {} leaves {} path byte(s), not a whole number of 2-byte "
                              "(device, function) entries",
                              len, path_bytes));
      if (path_bytes == 0)
        fail(off, fmt::format("device scope length {} leaves an empty path; a scope names its device by at least "
                              "one (device, function) entry",
                              len));
      if (type < 1 || type > 5)
        fail(off, fmt::format("unknown device scope type {} (valid: 1 PCI endpoint, 2 PCI sub-hierarchy, "
                              "3 I/O APIC, 4 MSI-capable HPET, 5 ACPI namespace device)",
                              type));
      DmarDeviceScope s;
      s.type = static_cast<DmarDeviceScope::Type>(type);
      s.flags = u8(off + 2);
      s.enumeration_id = u8(off + 4);
      s.start_bus = u8(off + 5);
      for (std::size_t p = off + kScopeHeaderBytes; p < off + len; p += kPathEntryBytes) {
        DmarDeviceScope::Hop h;
        h.device = u8(p);
        h.function = u8(p + 1);
        if (h.device > 31) fail(p, fmt::format("device scope path: device number {:#x} is above 31", h.device));
        if (h.function > 7)
          fail(p + 1, fmt::format("device scope path: function number {:#x} is above 7", h.function));
        s.path.push_back(h);
      }
      scopes.push_back(std::move(s));
      off += len;
    }
    return scopes;
  }

  const std::vector<std::uint8_t>& b_;
  const std::string& source_;
  std::size_t table_end_ = 0;
  DmarDescription d_;
};

constexpr std::size_t kMaxFileBytes = std::size_t(16) << 20;

}  // namespace

DmarDescription parse_acpi_dmar(const std::vector<std::uint8_t>& bytes, const std::string& source) {
  return DmarParser(bytes, source).parse();
}

DmarDescription read_acpi_dmar_file(const std::string& path) {
  using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;
  FilePtr f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[65536];
  std::size_t n;
  // sysfs files report no useful size, so read to the end.
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    bytes.insert(bytes.end(), buf, buf + n);
    if (bytes.size() > kMaxFileBytes)
      throw InputError(fmt::format("{}: file is larger than {} MiB; not a DMAR table", path, kMaxFileBytes >> 20));
  }
  if (std::ferror(f.get())) throw InputError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return parse_acpi_dmar(bytes, path);
}

}  // namespace iommusim
