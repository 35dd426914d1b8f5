// Fuzzes the Linux boot-log DMAR importer (models/platform/dmar_boot_log.*).
//
// Invariants, for every input:
//  * a DmarDescription or an InputError naming the input ("fuzz.log:LINE:
//    ..." or "fuzz.log: no 'DMAR: DRHD base' lines ..."); nothing else;
//  * what the importer promises: at least one DRHD, distinct DRHD bases,
//    ver/cap/ecap all present or all absent, VER fields 0..15, RMRR base <=
//    end, I/O APIC / HPET scopes only (no paths), each (type, id) once per
//    unit, and only DMAR flag bits 2:0;
//  * the description written back as boot-log lines (a writer in this
//    harness, in the kernel's printk formats) imports to the same
//    description;
//  * the importer ignores what is not a DMAR line: a log with a line of
//    unrelated text inserted before every line imports identically.
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "dmar_compare.h"
#include "fuzz_check.h"
#include "platform/dmar_boot_log.h"

using namespace iommusim;
using iommusim_fuzz::starts_with;

namespace {

bool import(const std::string& text, DmarDescription* out) {
  std::istringstream in(text);
  try {
    DmarDescription d = parse_dmar_boot_log(in, "fuzz.log");
    if (out) *out = std::move(d);
    return true;
  } catch (const InputError& e) {
    FUZZ_CHECK(starts_with(e.what(), "fuzz.log:"), "error does not name the input: %s", e.what());
    return false;
  }
}

std::string write_log(const DmarDescription& d) {
  std::string s;
  if (d.host_address_width) s += fmt::format("[    0.1] DMAR: Host address width {}\n", d.host_address_width);
  for (const auto& u : d.drhds) s += fmt::format("[    0.1] DMAR: DRHD base: {:#016x} flags: {:#x}\n", u.reg_base, u.flags);
  for (size_t i = 0; i < d.drhds.size(); ++i) {
    const auto& u = d.drhds[i];
    if (u.ver)
      s += fmt::format("[    0.1] DMAR: dmar{}: reg_base_addr {:x} ver {}:{} cap {:x} ecap {:x}\n", i, u.reg_base,
                       *u.ver >> 4, *u.ver & 0xf, *u.cap, *u.ecap);
  }
  for (const auto& r : d.rmrrs) s += fmt::format("DMAR: RMRR base: {:#016x} end: {:#016x}\n", r.base, r.limit);
  for (const auto& a : d.atsrs) s += fmt::format("DMAR: ATSR flags: {:#x}\n", a.flags);
  for (const auto& h : d.rhsas)
    s += fmt::format("DMAR: RHSA base: {:#016x} proximity domain: {:#x}\n", h.reg_base, h.proximity_domain);
  for (const auto& a : d.andds) s += fmt::format("DMAR: ANDD device: {:x} name: {}\n", a.device_number, a.object_name);
  for (const auto& c : d.satcs) s += fmt::format("DMAR: SATC flags: {:#x}\n", c.flags);
  for (const auto& u : d.drhds)
    for (const auto& sc : u.scopes)
      s += fmt::format("DMAR-IR: {} id {} under DRHD base  {:#x}\n",
                       sc.type == DmarDeviceScope::Type::IoApic ? "IOAPIC" : "HPET", sc.enumeration_id, u.reg_base);
  if (d.flags & 1) s += "DMAR-IR: Enabled IRQ remapping in xapic mode\n";
  if (d.flags & 2) s += "DMAR-IR: x2apic is disabled because BIOS sets x2apic opt out bit.\n";
  if (d.flags & 4) s += "DMAR: Intel-IOMMU force enabled due to platform opt in\n";
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  DmarDescription d;
  if (!import(text, &d)) return 0;

  FUZZ_CHECK(!d.drhds.empty(), "no DRHD");
  FUZZ_CHECK((d.flags & ~7u) == 0, "flags %#x", d.flags);
  std::set<uint64_t> bases;
  for (const auto& u : d.drhds) {
    FUZZ_CHECK(bases.insert(u.reg_base).second, "two DRHDs at %#llx", (unsigned long long)u.reg_base);
    FUZZ_CHECK(bool(u.ver) == bool(u.cap) && bool(u.cap) == bool(u.ecap), "ver/cap/ecap");
    FUZZ_CHECK(!u.ver || *u.ver <= 0xff, "ver");
    std::set<std::pair<int, int>> ids;
    for (const auto& s : u.scopes) {
      FUZZ_CHECK(s.type == DmarDeviceScope::Type::IoApic || s.type == DmarDeviceScope::Type::MsiHpet, "scope type");
      FUZZ_CHECK(s.path.empty() && s.start_bus == 0, "scope path");
      FUZZ_CHECK(ids.insert({int(s.type), s.enumeration_id}).second, "scope twice");
    }
  }
  for (const auto& r : d.rmrrs) FUZZ_CHECK(r.base <= r.limit, "RMRR");

  const std::string log = write_log(d);
  DmarDescription d2;
  FUZZ_CHECK(import(log, &d2), "the written log does not import:\n%s", log.c_str());
  FUZZ_CHECK(iommusim_fuzz::same(d, d2), "the written log imports differently:\n%s", log.c_str());

  std::string noisy;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    noisy += "[    1.0] pci 0000:00:00.0: [8086:2020] type 00 class 0x060000\n";
    noisy += text.substr(pos, nl - pos);
    if (nl < text.size()) noisy += "\n";
    pos = nl + 1;
  }
  DmarDescription d3;
  FUZZ_CHECK(import(noisy, &d3) && iommusim_fuzz::same(d, d3), "unrelated lines change the import");
  return 0;
}
