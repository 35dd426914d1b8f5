// Unit tests for the ACPI DMAR table parser (VT-d 4.x chapter 8): every field
// of the tables that iasl compiles from tb/data/dmar/*.asl at build time, SATC
// and SIDP structures appended as bytes (iasl 20200925 knows neither), each
// class of malformed table built by mutating a compiled one, and a seeded
// random-mutation property test.
#include <catch2/catch.hpp>

#include "temp_dir.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "platform/acpi_dmar.h"

using namespace iommusim;
using Catch::Matchers::StartsWith;
using iommusim::test::TempDir;
using Bytes = std::vector<std::uint8_t>;
using Scope = DmarDeviceScope;

namespace {

const std::string kDir = IOMMUSIM_DMAR_TABLE_DIR;

Bytes load(const std::string& name) {
  std::ifstream in(kDir + "/" + name, std::ios::binary);
  REQUIRE(in);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// full.aml: offsets of its structures (see the comments in full.asl).
constexpr std::size_t kFullLength = 0x164;
constexpr std::size_t kDrhd0 = 0x30, kDrhd1 = 0x48, kDrhd2 = 0x76;
constexpr std::size_t kRmrr0 = 0xa6, kRmrr1 = 0xce;
constexpr std::size_t kAtsr0 = 0xee, kAtsr1 = 0x106;
constexpr std::size_t kRhsa0 = 0x10e, kRhsa1 = 0x122;
constexpr std::size_t kAndd1 = 0x136, kAndd2 = 0x14d;

void put(Bytes& b, std::size_t off, std::uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i) b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

// Sets the checksum byte so that the table's bytes sum to 0 mod 256.
void fix_checksum(Bytes& b) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    if (i != 9) sum += b[i];
  b.at(9) = static_cast<std::uint8_t>(256 - sum % 256);
}

// Sets the length field to the data size and fixes the checksum.
void fix_length_and_checksum(Bytes& b) {
  put(b, 4, b.size(), 4);
  fix_checksum(b);
}

void append(Bytes& b, const Bytes& structure) {
  b.insert(b.end(), structure.begin(), structure.end());
  fix_length_and_checksum(b);
}

DmarDescription parse_full(const Bytes& b) { return parse_acpi_dmar(b, "full.aml"); }

Bytes full() {
  Bytes b = load("full.aml");
  REQUIRE(b.size() == kFullLength);
  return b;
}

void check_scope(const Scope& s, Scope::Type type, unsigned enumeration_id, unsigned bus,
                 const std::vector<Scope::Hop>& path, unsigned flags = 0) {
  CHECK(s.type == type);
  CHECK(unsigned(s.enumeration_id) == enumeration_id);
  CHECK(unsigned(s.start_bus) == bus);
  CHECK(s.path == path);
  CHECK(unsigned(s.flags) == flags);
}

// Mutates full.aml with `edit`, fixes the checksum and expects `message`.
template <typename Edit>
void expect_error(Edit edit, const std::string& message) {
  Bytes b = full();
  edit(b);
  fix_checksum(b);
  REQUIRE_THROWS_WITH(parse_full(b), message);
}

}  // namespace

TEST_CASE("acpi dmar: minimal table", "[unit]") {
  const DmarDescription d = parse_acpi_dmar(load("minimal.aml"), "minimal.aml");
  CHECK(d.host_address_width == 39);
  CHECK(d.flags == 0x01);
  CHECK(d.oem_id == "IOMSIM");
  CHECK(d.oem_table_id == "MINIMAL ");  // trailing space kept
  REQUIRE(d.drhds.size() == 1);
  const DmarDrhd& u = d.drhds[0];
  CHECK(u.flags == 0x01);
  CHECK(u.include_pci_all());
  CHECK(u.size == 0);
  CHECK(u.segment == 0);
  CHECK(u.reg_base == 0xfed90000);
  CHECK(u.scopes.empty());
  CHECK_FALSE(u.ver);
  CHECK_FALSE(u.cap);
  CHECK_FALSE(u.ecap);
  CHECK(d.rmrrs.empty());
  CHECK(d.atsrs.empty());
  CHECK(d.rhsas.empty());
  CHECK(d.andds.empty());
  CHECK(d.satcs.empty());
}

TEST_CASE("acpi dmar: full table header and DRHDs", "[unit]") {
  const Bytes b = full();
  // The structure offsets the malformed-table tests patch.
  auto type_at = [&](std::size_t off) { return b[off] | b[off + 1] << 8; };
  CHECK(type_at(kDrhd0) == 0);
  CHECK(type_at(kDrhd1) == 0);
  CHECK(type_at(kDrhd2) == 0);
  CHECK(type_at(kRmrr0) == 1);
  CHECK(type_at(kRmrr1) == 1);
  CHECK(type_at(kAtsr0) == 2);
  CHECK(type_at(kAtsr1) == 2);
  CHECK(type_at(kRhsa0) == 3);
  CHECK(type_at(kRhsa1) == 3);
  CHECK(type_at(kAndd1) == 4);
  CHECK(type_at(kAndd2) == 4);

  const DmarDescription d = parse_full(b);
  CHECK(d.host_address_width == 48);
  CHECK(d.flags == 0x05);
  CHECK(d.oem_id == "IOMSIM");
  CHECK(d.oem_table_id == "FULLTEST");
  REQUIRE(d.drhds.size() == 3);

  const DmarDrhd& u0 = d.drhds[0];
  CHECK(u0.flags == 0);
  CHECK_FALSE(u0.include_pci_all());
  CHECK(u0.size == 0);
  CHECK(u0.segment == 0);
  CHECK(u0.reg_base == 0xfed90000);
  REQUIRE(u0.scopes.size() == 1);
  check_scope(u0.scopes[0], Scope::Type::PciEndpoint, 0, 0x00, {{0x02, 0}});

  const DmarDrhd& u1 = d.drhds[1];
  CHECK(u1.flags == 0);
  CHECK(u1.size == 0);
  CHECK(u1.segment == 1);
  CHECK(u1.reg_base == 0xfed91000);
  REQUIRE(u1.scopes.size() == 3);
  check_scope(u1.scopes[0], Scope::Type::PciSubHierarchy, 0, 0x00, {{0x1c, 0}});
  check_scope(u1.scopes[1], Scope::Type::PciEndpoint, 0, 0x00, {{0x1c, 4}, {0x00, 0}});
  check_scope(u1.scopes[2], Scope::Type::PciEndpoint, 0, 0x80, {{0x03, 0}, {0x00, 0}, {0x01, 1}});

  const DmarDrhd& u2 = d.drhds[2];
  CHECK(u2.flags == 0x01);
  CHECK(u2.include_pci_all());
  CHECK(u2.size == 0);
  CHECK(u2.segment == 0);
  CHECK(u2.reg_base == 0xfed92000);
  REQUIRE(u2.scopes.size() == 4);
  check_scope(u2.scopes[0], Scope::Type::IoApic, 2, 0xf0, {{0x1f, 0}});
  check_scope(u2.scopes[1], Scope::Type::MsiHpet, 0, 0x00, {{0x1f, 7}});
  check_scope(u2.scopes[2], Scope::Type::AcpiNamespaceDevice, 1, 0x00, {{0x1e, 0}});
  check_scope(u2.scopes[3], Scope::Type::AcpiNamespaceDevice, 2, 0x00, {{0x15, 1}});
}

TEST_CASE("acpi dmar: full table RMRR, ATSR, RHSA and ANDD", "[unit]") {
  const DmarDescription d = parse_full(full());
  REQUIRE(d.rmrrs.size() == 2);
  CHECK(d.rmrrs[0].segment == 0);
  CHECK(d.rmrrs[0].base == 0x3e2e0000);
  CHECK(d.rmrrs[0].limit == 0x3e2fffff);
  REQUIRE(d.rmrrs[0].scopes.size() == 2);
  check_scope(d.rmrrs[0].scopes[0], Scope::Type::PciEndpoint, 0, 0, {{0x14, 0}});
  check_scope(d.rmrrs[0].scopes[1], Scope::Type::PciEndpoint, 0, 0, {{0x1a, 0}});
  CHECK(d.rmrrs[1].segment == 0);
  CHECK(d.rmrrs[1].base == 0x7b800000);
  CHECK(d.rmrrs[1].limit == 0x7fffffff);
  REQUIRE(d.rmrrs[1].scopes.size() == 1);
  check_scope(d.rmrrs[1].scopes[0], Scope::Type::PciEndpoint, 0, 0, {{0x02, 0}});

  REQUIRE(d.atsrs.size() == 2);
  CHECK(d.atsrs[0].flags == 0);
  CHECK_FALSE(d.atsrs[0].all_ports());
  CHECK(d.atsrs[0].segment == 0);
  REQUIRE(d.atsrs[0].scopes.size() == 2);
  check_scope(d.atsrs[0].scopes[0], Scope::Type::PciSubHierarchy, 0, 0, {{0x01, 0}});
  check_scope(d.atsrs[0].scopes[1], Scope::Type::PciSubHierarchy, 0, 0, {{0x03, 0}});
  CHECK(d.atsrs[1].flags == 0x01);
  CHECK(d.atsrs[1].all_ports());
  CHECK(d.atsrs[1].segment == 1);
  CHECK(d.atsrs[1].scopes.empty());

  REQUIRE(d.rhsas.size() == 2);
  CHECK(d.rhsas[0].reg_base == 0xfed90000);
  CHECK(d.rhsas[0].proximity_domain == 0);
  CHECK(d.rhsas[1].reg_base == 0xfed91000);
  CHECK(d.rhsas[1].proximity_domain == 1);

  REQUIRE(d.andds.size() == 2);
  CHECK(d.andds[0].device_number == 1);
  CHECK(d.andds[0].object_name == "\\_SB.PCI0.UAR0");
  CHECK(d.andds[1].device_number == 2);
  CHECK(d.andds[1].object_name == "\\_SB.PCI0.I2C1");

  CHECK(d.satcs.empty());
}

TEST_CASE("acpi dmar: fields iasl 20200925 writes as reserved, patched in", "[unit]") {
  Bytes b = full();
  b[kDrhd0 + 5] = 0xf3;     // DRHD size: bits 3:0 (7:4 reserved, ignored)
  b[kDrhd0 + 16 + 2] = 0x01;  // device scope flags
  b[14] = 0;                // OEM id ends at a NUL
  b[15] = 0;
  fix_checksum(b);
  const DmarDescription d = parse_full(b);
  CHECK(d.drhds[0].size == 3);
  CHECK(d.drhds[0].scopes[0].flags == 0x01);
  CHECK(d.oem_id == "IOMS");
}

TEST_CASE("acpi dmar: SATC appended as bytes (iasl 20200925 has no SATC)", "[unit]") {
  Bytes b = full();
  // 8.8: type 5, length 26, flags ATC_REQUIRED, reserved, segment 2, then an
  // endpoint scope (02.0 on bus 0) and a two-hop endpoint scope with flags 1.
  append(b, {0x05, 0x00, 26, 0x00, 0x01, 0x00, 0x02, 0x00,  //
             0x01, 8, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,   //
             0x01, 10, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x01, 0x02});
  // A second SATC without scopes or flags.
  append(b, {0x05, 0x00, 8, 0x00, 0x00, 0x00, 0x00, 0x00});
  const DmarDescription d = parse_full(b);
  REQUIRE(d.satcs.size() == 2);
  CHECK(d.satcs[0].flags == 0x01);
  CHECK(d.satcs[0].segment == 2);
  REQUIRE(d.satcs[0].scopes.size() == 2);
  check_scope(d.satcs[0].scopes[0], Scope::Type::PciEndpoint, 0, 0x00, {{0x02, 0}});
  check_scope(d.satcs[0].scopes[1], Scope::Type::PciEndpoint, 0, 0x03, {{0x00, 0}, {0x01, 2}}, 0x01);
  CHECK(d.satcs[1].flags == 0);
  CHECK(d.satcs[1].segment == 0);
  CHECK(d.satcs[1].scopes.empty());
  CHECK(d.drhds.size() == 3);  // the rest is unchanged
  CHECK(d.andds.size() == 2);

  Bytes short_satc = full();
  append(short_satc, {0x05, 0x00, 6, 0x00, 0x00, 0x00});
  REQUIRE_THROWS_WITH(parse_full(short_satc),
                      "full.aml: offset 0x164: SATC structure length 6 is shorter than its 8-byte header");
}

TEST_CASE("acpi dmar: SIDP (type 6, VT-d 4.1) is checked and ignored", "[unit]") {
  Bytes b = full();
  append(b, {0x06, 0x00, 16, 0x00, 0x00, 0x00, 0x01, 0x00,  //
             0x01, 8, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00});
  const DmarDescription d = parse_full(b);
  CHECK(d.drhds.size() == 3);
  CHECK(d.rmrrs.size() == 2);
  CHECK(d.atsrs.size() == 2);
  CHECK(d.rhsas.size() == 2);
  CHECK(d.andds.size() == 2);
  CHECK(d.satcs.empty());

  Bytes bad = full();
  append(bad, {0x06, 0x00, 16, 0x00, 0x00, 0x00, 0x01, 0x00,  //
               0x09, 8, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00});
  REQUIRE_THROWS_WITH(parse_full(bad), StartsWith("full.aml: offset 0x16c: unknown device scope type 9 "));
}

TEST_CASE("acpi dmar: read_acpi_dmar_file", "[unit]") {
  const DmarDescription d = read_acpi_dmar_file(kDir + "/full.aml");
  CHECK(d.drhds.size() == 3);
  CHECK(d.andds.size() == 2);

  TempDir tmp;
  REQUIRE_THROWS_WITH(read_acpi_dmar_file(tmp.path + "/none.aml"),
                      tmp.path + "/none.aml: cannot open: No such file or directory");
  REQUIRE_THROWS_WITH(read_acpi_dmar_file(tmp.path), tmp.path + ": cannot read: Is a directory");
  const std::string empty = tmp.write("empty.aml", "");
  REQUIRE_THROWS_WITH(read_acpi_dmar_file(empty),
                      empty + ": offset 0x0: data is 0 bytes, shorter than the 36-byte ACPI table header");
  Bytes b = full();
  b.push_back(0);
  const std::string trailing = tmp.write("trailing.aml", std::string(b.begin(), b.end()));
  REQUIRE_THROWS_WITH(read_acpi_dmar_file(trailing), StartsWith(trailing + ": offset 0x164: 1 byte(s) follow"));
}

TEST_CASE("acpi dmar: malformed header", "[unit]") {
  REQUIRE_THROWS_WITH(parse_full(Bytes(20, 0)),
                      "full.aml: offset 0x0: data is 20 bytes, shorter than the 36-byte ACPI table header");
  expect_error([](Bytes& b) { b[0] = 'X'; }, "full.aml: offset 0x0: signature is \"XMAR\", not \"DMAR\"");
  expect_error([](Bytes& b) { b[3] = 0x01; }, "full.aml: offset 0x0: signature is \"DMA\\x01\", not \"DMAR\"");
  {
    Bytes b = full();
    b.resize(300);  // truncated: the length field still says 356
    REQUIRE_THROWS_WITH(
        parse_full(b),
        "full.aml: offset 0x4: table length 356 is larger than the 300 bytes of data: the table is truncated");
    b.resize(36);
    REQUIRE_THROWS_WITH(parse_full(b), StartsWith("full.aml: offset 0x4: table length 356 is larger than the 36 "));
  }
  expect_error([](Bytes& b) { put(b, 4, 40, 4); },
               "full.aml: offset 0x4: table length 40 is smaller than the 48-byte DMAR table header");
  {
    Bytes b = full();
    b.push_back(0);
    b.push_back(0);
    REQUIRE_THROWS_WITH(parse_full(b),
                        "full.aml: offset 0x164: 2 byte(s) follow the end of the table (its length field says 356 "
                        "bytes, the data has 358); trailing bytes are not accepted");
  }
  {
    Bytes b = full();
    const unsigned stored = b[9];
    b[9] = static_cast<std::uint8_t>(stored + 1);
    REQUIRE_THROWS_WITH(parse_full(b),
                        "full.aml: offset 0x9: bad checksum: the table's 356 bytes sum to 0x01 mod 256, not 0 "
                        "(checksum byte 0xe3)");
    b = full();
    b[kRhsa1 + 16] = 7;  // proximity domain 1 -> 7 without fixing the checksum
    REQUIRE_THROWS_WITH(parse_full(b), StartsWith("full.aml: offset 0x9: bad checksum: the table's 356 bytes sum "
                                                  "to 0x06 mod 256"));
  }
  expect_error([](Bytes& b) { b[36] = 10; },
               "full.aml: offset 0x24: host address width 11 bits (HAW field 0xa) is outside 12..64 bits");
  expect_error([](Bytes& b) { b[36] = 64; },
               "full.aml: offset 0x24: host address width 65 bits (HAW field 0x40) is outside 12..64 bits");
  Bytes b = full();
  b[36] = 63;
  fix_checksum(b);
  CHECK(parse_full(b).host_address_width == 64);
  b[36] = 11;
  fix_checksum(b);
  CHECK(parse_full(b).host_address_width == 12);
}

TEST_CASE("acpi dmar: malformed remapping structures", "[unit]") {
  expect_error([](Bytes& b) { put(b, kDrhd0 + 2, 0, 2); },
               "full.aml: offset 0x30: DRHD structure length 0 is less than the 4 bytes of its type and length "
               "fields");
  expect_error([](Bytes& b) { put(b, kAndd1 + 2, 3, 2); },
               "full.aml: offset 0x136: ANDD structure length 3 is less than the 4 bytes of its type and length "
               "fields");
  expect_error([](Bytes& b) { put(b, kAndd2 + 2, 24, 2); },
               "full.aml: offset 0x14d: ANDD structure length 24 runs past the table end at 0x164");
  expect_error([](Bytes& b) { put(b, kDrhd0 + 2, 0xffff, 2); },
               "full.aml: offset 0x30: DRHD structure length 65535 runs past the table end at 0x164");
  expect_error([](Bytes& b) { put(b, kDrhd1, 9, 2); },
               "full.aml: offset 0x48: unknown remapping structure type 9 (known: 0 DRHD, 1 RMRR, 2 ATSR, 3 RHSA, "
               "4 ANDD, 5 SATC, 6 SIDP)");
  expect_error([](Bytes& b) { put(b, kRhsa0, 0xffff, 2); },
               "full.aml: offset 0x10e: unknown remapping structure type 65535 (known: 0 DRHD, 1 RMRR, 2 ATSR, "
               "3 RHSA, 4 ANDD, 5 SATC, 6 SIDP)");
  {
    Bytes b = full();
    append(b, {0x07, 0x00, 4, 0x00});
    REQUIRE_THROWS_WITH(parse_full(b), StartsWith("full.aml: offset 0x164: unknown remapping structure type 7 "));
  }
  {
    Bytes b = full();
    append(b, {0x00, 0x07, 9, 0x00});  // unknown type and too short: the length is checked first
    REQUIRE_THROWS_WITH(parse_full(b), "full.aml: offset 0x164: structure of type 1792 length 9 runs past the "
                                       "table end at 0x168");
  }
  // A structure shorter than its fixed part (8.3 to 8.8).
  expect_error([](Bytes& b) { put(b, kDrhd0 + 2, 12, 2); },
               "full.aml: offset 0x30: DRHD structure length 12 is shorter than its 16-byte header");
  expect_error([](Bytes& b) { put(b, kRmrr1 + 2, 20, 2); },
               "full.aml: offset 0xce: RMRR structure length 20 is shorter than its 24-byte header");
  expect_error([](Bytes& b) { put(b, kAtsr1 + 2, 6, 2); },
               "full.aml: offset 0x106: ATSR structure length 6 is shorter than its 8-byte header");
  expect_error([](Bytes& b) { put(b, kRhsa0 + 2, 16, 2); },
               "full.aml: offset 0x10e: RHSA structure length 16 is shorter than its 20-byte header");
  {
    Bytes b = full();
    append(b, {0x03, 0x00, 24, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    REQUIRE_THROWS_WITH(parse_full(b),
                        "full.aml: offset 0x164: RHSA structure length 24 is not 20 (it has no variable part)");
  }
  {
    Bytes b = full();
    append(b, {0x00, 0x00});  // two stray bytes inside the declared length
    REQUIRE_THROWS_WITH(parse_full(b), "full.aml: offset 0x164: 2 byte(s) left at the end of the table, too few "
                                       "for a remapping structure's 4-byte type and length");
  }
}

TEST_CASE("acpi dmar: malformed device scopes", "[unit]") {
  const std::size_t scope = kDrhd0 + 16;  // 0x40: endpoint 00:02.0, length 8, alone in DRHD 0
  expect_error([&](Bytes& b) { b[scope + 1] = 4; },
               "full.aml: offset 0x40: device scope length 4 is shorter than its 6-byte header");
  expect_error([&](Bytes& b) { b[scope + 1] = 0; },
               "full.aml: offset 0x40: device scope length 0 is shorter than its 6-byte header");
  expect_error([&](Bytes& b) { b[scope + 1] = 10; },
               "full.aml: offset 0x40: device scope length 10 runs past the end of its DRHD structure at 0x30 "
               "(which ends at 0x48)");
  expect_error([&](Bytes& b) { b[scope + 1] = 7; },
               "full.aml: offset 0x40: device scope length 7 leaves 1 path byte(s), not a whole number of 2-byte "
               "(device, function) entries");
  expect_error([&](Bytes& b) { b[scope + 1] = 6; },
               "full.aml: offset 0x40: device scope length 6 leaves an empty path; a scope names its device by at "
               "least one (device, function) entry");
  expect_error([&](Bytes& b) { b[scope] = 0; },
               "full.aml: offset 0x40: unknown device scope type 0 (valid: 1 PCI endpoint, 2 PCI sub-hierarchy, "
               "3 I/O APIC, 4 MSI-capable HPET, 5 ACPI namespace device)");
  expect_error([&](Bytes& b) { b[kRmrr0 + 24 + 8] = 6; },  // second RMRR 0 scope, at 0xc6
               "full.aml: offset 0xc6: unknown device scope type 6 (valid: 1 PCI endpoint, 2 PCI sub-hierarchy, "
               "3 I/O APIC, 4 MSI-capable HPET, 5 ACPI namespace device)");
  expect_error([&](Bytes& b) { b[scope + 6] = 0x20; },
               "full.aml: offset 0x46: device scope path: device number 0x20 is above 31");
  // Third hop of DRHD 1's third scope (0x6a): function byte at 0x6a + 6 + 4 + 1.
  expect_error([](Bytes& b) { b[0x6a + 11] = 8; },
               "full.aml: offset 0x75: device scope path: function number 0x8 is above 7");
  {
    // A DRHD with one scope and one stray byte after it.
    Bytes b = full();
    append(b, {0x00, 0x00, 25, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd9, 0xfe, 0x00, 0x00, 0x00, 0x00,  //
               0x01, 8, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01});
    REQUIRE_THROWS_WITH(parse_full(b), "full.aml: offset 0x17c: 1 byte left at the end of the DRHD structure at "
                                       "0x164, too few for a device scope (6-byte header)");
  }
  {
    // Scopes in ATSR and SATC are checked the same way.
    Bytes b = full();
    b[kAtsr0 + 8 + 1] = 2;
    fix_checksum(b);
    REQUIRE_THROWS_WITH(parse_full(b),
                        "full.aml: offset 0xf6: device scope length 2 is shorter than its 6-byte header");
    b = full();
    append(b, {0x05, 0x00, 16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 9, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00});
    REQUIRE_THROWS_WITH(parse_full(b), "full.aml: offset 0x16c: device scope length 9 runs past the end of its "
                                       "SATC structure at 0x164 (which ends at 0x174)");
  }
}

TEST_CASE("acpi dmar: malformed RMRR and ANDD", "[unit]") {
  expect_error([](Bytes& b) { put(b, kRmrr0 + 8, 0x3e300000, 8); },
               "full.aml: offset 0xae: RMRR base 0x3e300000 is above its limit 0x3e2fffff");
  expect_error([](Bytes& b) { put(b, kRmrr0 + 8, 0x3e2e0800, 8); },
               "full.aml: offset 0xae: RMRR base 0x3e2e0800 is not 4 KiB aligned");
  expect_error([](Bytes& b) { put(b, kRmrr1 + 16, 0x7ffffffe, 8); },
               "full.aml: offset 0xde: RMRR limit 0x7ffffffe is not the last byte of a 4 KiB page (limit + 1 must "
               "be 4 KiB aligned)");
  {
    // One page, and the whole 64-bit space (limit + 1 wraps to 0).
    Bytes b = full();
    put(b, kRmrr0 + 8, 0x1000, 8);
    put(b, kRmrr0 + 16, 0x1fff, 8);
    put(b, kRmrr1 + 8, 0, 8);
    put(b, kRmrr1 + 16, ~std::uint64_t(0), 8);
    fix_checksum(b);
    const DmarDescription d = parse_full(b);
    CHECK(d.rmrrs[0].base == 0x1000);
    CHECK(d.rmrrs[0].limit == 0x1fff);
    CHECK(d.rmrrs[1].base == 0);
    CHECK(d.rmrrs[1].limit == ~std::uint64_t(0));
  }
  // ANDD 2 is the last structure: its NUL is the table's last byte.
  expect_error([](Bytes& b) { b[kFullLength - 1] = 'X'; },
               "full.aml: offset 0x155: ANDD object name has no terminating NUL inside its 23-byte structure");
  expect_error([](Bytes& b) { b[kAndd2 + 8] = 0; }, "full.aml: offset 0x155: ANDD object name is empty");
  {
    Bytes b = full();
    append(b, {0x04, 0x00, 8, 0x00, 0x00, 0x00, 0x00, 0x03});
    REQUIRE_THROWS_WITH(parse_full(b), "full.aml: offset 0x16c: ANDD object name has no terminating NUL inside "
                                       "its 8-byte structure");
    b = full();
    append(b, {0x04, 0x00, 7, 0x00, 0x00, 0x00, 0x00});
    REQUIRE_THROWS_WITH(parse_full(b),
                        "full.aml: offset 0x164: ANDD structure length 7 is shorter than its 8-byte header");
    // Padding after the NUL is part of the name field and ignored.
    b = full();
    append(b, {0x04, 0x00, 12, 0x00, 0x00, 0x00, 0x00, 0x03, 'A', 0, 'Z', 'Z'});
    const DmarDescription d = parse_full(b);
    REQUIRE(d.andds.size() == 3);
    CHECK(d.andds[2].device_number == 3);
    CHECK(d.andds[2].object_name == "A");
  }
}

TEST_CASE("acpi dmar: random mutations parse or throw InputError", "[unit]") {
  const Bytes base = full();
  std::mt19937 rng(20240611);  // fixed seed: the same 2000 cases on every run
  auto below = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  unsigned parsed = 0, rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    Bytes b = base;
    const std::size_t kind = below(5);
    if (kind == 0) {  // flip bits in 1..8 bytes anywhere
      for (std::size_t n = 1 + below(8); n > 0; --n) b[below(b.size())] ^= static_cast<std::uint8_t>(1 + below(255));
      if (below(4) != 0) fix_checksum(b);
    } else if (kind == 1) {  // flip bits after the header, checksum fixed
      for (std::size_t n = 1 + below(4); n > 0; --n)
        b[48 + below(b.size() - 48)] ^= static_cast<std::uint8_t>(1 << below(8));
      fix_checksum(b);
    } else if (kind == 2) {  // truncate, with the length field and checksum fixed or not
      b.resize(below(b.size()));
      if (b.size() >= 36 && below(2) == 0) fix_length_and_checksum(b);
    } else if (kind == 3) {  // a small value into a structure or scope type/length byte
      b[48 + below(b.size() - 48)] = static_cast<std::uint8_t>(below(12));
      fix_checksum(b);
    } else {  // insert or delete a few bytes after the header
      const std::size_t at = 48 + below(b.size() - 48);
      if (below(2) == 0)
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), 1 + below(6), static_cast<std::uint8_t>(below(256)));
      else
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), at + 1 + below(6))));
      fix_length_and_checksum(b);
    }
    try {
      const DmarDescription d = parse_full(b);
      ++parsed;
      // What the parser accepts keeps its promises.
      CHECK(d.host_address_width >= 12);
      CHECK(d.host_address_width <= 64);
      for (const DmarRmrr& r : d.rmrrs) {
        CHECK(r.base <= r.limit);
        CHECK(r.base % 4096 == 0);
        CHECK((r.limit + 1) % 4096 == 0);
      }
      for (const DmarAndd& a : d.andds) CHECK_FALSE(a.object_name.empty());
      auto check_scopes = [](const std::vector<Scope>& scopes) {
        for (const Scope& s : scopes) {
          CHECK_FALSE(s.path.empty());
          for (const Scope::Hop& h : s.path) {
            CHECK(h.device <= 31);
            CHECK(h.function <= 7);
          }
        }
      };
      for (const DmarDrhd& u : d.drhds) check_scopes(u.scopes);
      for (const DmarRmrr& r : d.rmrrs) check_scopes(r.scopes);
      for (const DmarAtsr& a : d.atsrs) check_scopes(a.scopes);
      for (const DmarSatc& s : d.satcs) check_scopes(s.scopes);
    } catch (const InputError& e) {
      ++rejected;
      const std::string msg = e.what();
      CHECK_THAT(msg, StartsWith("full.aml: offset 0x"));
      CHECK(msg.find('\n') == std::string::npos);
    }
  }
  INFO("parsed " << parsed << ", rejected " << rejected);
  CHECK(parsed > 0);
  CHECK(rejected > 0);
}
