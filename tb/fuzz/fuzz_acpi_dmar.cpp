// Fuzzes the ACPI DMAR table parser (models/platform/acpi_dmar.*). Each input
// is parsed as it is, and again with its length field and checksum repaired
// (so that mutations reach the remapping structures instead of stopping at
// the checksum).
//
// Invariants, for every parse:
//  * a DmarDescription or an InputError naming the input ("fuzz.dmar: offset
//    0x..: ..."); no other exception (the parser's internal bounds check
//    throws std::logic_error), no read outside the data (ASan);
//  * the values the parser promises: HAW 12..64, DRHD size < 16, RMRR base
//    <= limit and both 4 KiB aligned (limit + 1), every scope path non-empty
//    with device <= 31 and function <= 7, ANDD names non-empty without NUL;
//  * the description re-encodes (a table writer in this harness, structures
//    grouped by type) to a table that parses to the same description;
//  * a table that parses no longer does with its last byte cut off (the
//    length field then exceeds the data) or with a byte appended.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "fuzz_check.h"
#include "dmar_compare.h"
#include "platform/acpi_dmar.h"

using namespace iommusim;
using iommusim_fuzz::starts_with;

namespace {

using Bytes = std::vector<uint8_t>;

void put(Bytes& b, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i) b.push_back(i < 8 ? static_cast<uint8_t>(v >> (8 * i)) : 0);
}

void put_scopes(Bytes& b, const std::vector<DmarDeviceScope>& scopes) {
  for (const auto& s : scopes) {
    put(b, uint8_t(s.type), 1);
    put(b, 6 + 2 * s.path.size(), 1);
    put(b, s.flags, 1);
    put(b, 0, 1);
    put(b, s.enumeration_id, 1);
    put(b, s.start_bus, 1);
    for (const auto& h : s.path) {
      put(b, h.device, 1);
      put(b, h.function, 1);
    }
  }
}

// One structure: type, length (patched), then `body`.
void put_struct(Bytes& out, uint16_t type, const Bytes& body) {
  put(out, type, 2);
  put(out, 4 + body.size(), 2);
  out.insert(out.end(), body.begin(), body.end());
}

void fix_length_and_checksum(Bytes& t) {
  const uint32_t len = static_cast<uint32_t>(t.size());
  for (unsigned i = 0; i < 4; ++i) t[4 + i] = static_cast<uint8_t>(len >> (8 * i));
  t[9] = 0;
  unsigned sum = 0;
  for (uint8_t x : t) sum += x;
  t[9] = static_cast<uint8_t>(-sum);
}

Bytes encode(const DmarDescription& d) {
  Bytes t = {'D', 'M', 'A', 'R'};
  put(t, 0, 4);  // length, patched
  put(t, 1, 1);  // revision
  put(t, 0, 1);  // checksum, patched
  for (unsigned i = 0; i < 6; ++i) put(t, i < d.oem_id.size() ? uint8_t(d.oem_id[i]) : 0, 1);
  for (unsigned i = 0; i < 8; ++i) put(t, i < d.oem_table_id.size() ? uint8_t(d.oem_table_id[i]) : 0, 1);
  put(t, 1, 4);
  put(t, 0, 4);
  put(t, 0, 4);
  put(t, d.host_address_width - 1, 1);
  put(t, d.flags, 1);
  put(t, 0, 10);
  for (const auto& u : d.drhds) {
    Bytes b;
    put(b, u.flags, 1);
    put(b, u.size, 1);
    put(b, u.segment, 2);
    put(b, u.reg_base, 8);
    put_scopes(b, u.scopes);
    put_struct(t, 0, b);
  }
  for (const auto& r : d.rmrrs) {
    Bytes b;
    put(b, 0, 2);
    put(b, r.segment, 2);
    put(b, r.base, 8);
    put(b, r.limit, 8);
    put_scopes(b, r.scopes);
    put_struct(t, 1, b);
  }
  for (const auto& a : d.atsrs) {
    Bytes b;
    put(b, a.flags, 1);
    put(b, 0, 1);
    put(b, a.segment, 2);
    put_scopes(b, a.scopes);
    put_struct(t, 2, b);
  }
  for (const auto& h : d.rhsas) {
    Bytes b;
    put(b, 0, 4);
    put(b, h.reg_base, 8);
    put(b, h.proximity_domain, 4);
    put_struct(t, 3, b);
  }
  for (const auto& a : d.andds) {
    Bytes b;
    put(b, 0, 3);
    put(b, a.device_number, 1);
    for (char ch : a.object_name) b.push_back(static_cast<uint8_t>(ch));
    b.push_back(0);
    put_struct(t, 4, b);
  }
  for (const auto& s : d.satcs) {
    Bytes b;
    put(b, s.flags, 1);
    put(b, 0, 1);
    put(b, s.segment, 2);
    put_scopes(b, s.scopes);
    put_struct(t, 5, b);
  }
  fix_length_and_checksum(t);
  return t;
}

void check_scopes(const std::vector<DmarDeviceScope>& scopes) {
  for (const auto& s : scopes) {
    FUZZ_CHECK(uint8_t(s.type) >= 1 && uint8_t(s.type) <= 5, "scope type %u", unsigned(s.type));
    FUZZ_CHECK(!s.path.empty(), "scope without a path");
    for (const auto& h : s.path) FUZZ_CHECK(h.device <= 31 && h.function <= 7, "path hop %u.%u", h.device, h.function);
  }
}

bool parses(const Bytes& b, DmarDescription* out) {
  try {
    DmarDescription d = parse_acpi_dmar(b, "fuzz.dmar");
    if (out) *out = std::move(d);
    return true;
  } catch (const InputError& e) {
    FUZZ_CHECK(starts_with(e.what(), "fuzz.dmar: "), "error does not name the input: %s", e.what());
    return false;
  }
}

void check(const Bytes& table) {
  DmarDescription d;
  if (!parses(table, &d)) return;
  FUZZ_CHECK(d.host_address_width >= 12 && d.host_address_width <= 64, "HAW %u", d.host_address_width);
  FUZZ_CHECK(d.oem_id.size() <= 6 && d.oem_table_id.size() <= 8, "OEM ids");
  for (const auto& u : d.drhds) {
    FUZZ_CHECK(u.size < 16, "DRHD size");
    check_scopes(u.scopes);
  }
  for (const auto& r : d.rmrrs) {
    FUZZ_CHECK(r.base <= r.limit && r.base % 4096 == 0 && (r.limit + 1) % 4096 == 0, "RMRR range");
    check_scopes(r.scopes);
  }
  for (const auto& a : d.atsrs) check_scopes(a.scopes);
  for (const auto& s : d.satcs) check_scopes(s.scopes);
  for (const auto& a : d.andds)
    FUZZ_CHECK(!a.object_name.empty() && a.object_name.find('\0') == std::string::npos, "ANDD name");

  const Bytes again = encode(d);
  DmarDescription d2;
  FUZZ_CHECK(parses(again, &d2), "the re-encoded table does not parse");
  FUZZ_CHECK(iommusim_fuzz::same(d, d2), "the re-encoded table parses to a different description");

  Bytes cut(table.begin(), table.end() - 1);
  FUZZ_CHECK(!parses(cut, nullptr), "a table cut short still parses");
  Bytes longer = table;
  longer.push_back(0);
  FUZZ_CHECK(!parses(longer, nullptr), "a table with a trailing byte still parses");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Bytes raw(data, data + size);
  check(raw);
  if (size >= 48 && size < (1u << 20)) {
    Bytes fixed = raw;
    fixed[0] = 'D', fixed[1] = 'M', fixed[2] = 'A', fixed[3] = 'R';
    fix_length_and_checksum(fixed);
    check(fixed);
  }
  return 0;
}
