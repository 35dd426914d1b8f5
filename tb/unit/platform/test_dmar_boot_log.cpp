// Unit tests for the importer of Linux's boot-time DMAR lines
// (models/platform/dmar_boot_log.h): the real 8-unit Xeon log kept in
// tb/data, the prefixes and versions of the printk formats, the inferred DMAR
// flags, and one test per error class with its exact message.
#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "vtd/cap_ecap.h"
#include "platform/dmar_boot_log.h"
#include "temp_dir.h"

using namespace iommusim;
using Catch::Matchers::Equals;

namespace {

const std::string kXeonLog = std::string(IOMMUSIM_SOURCE_DIR) + "/tb/data/dmar-boot-log-8unit.txt";

DmarDescription parse(const std::string& text, const std::string& source = "boot.log") {
  std::istringstream in(text);
  return parse_dmar_boot_log(in, source);
}

// The message of the InputError that parsing `text` throws ("" if none).
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// (type, enumeration id) of each scope, in order.
std::vector<std::pair<DmarDeviceScope::Type, int>> scope_ids(const DmarDrhd& d) {
  std::vector<std::pair<DmarDeviceScope::Type, int>> v;
  for (const DmarDeviceScope& s : d.scopes) v.emplace_back(s.type, s.enumeration_id);
  return v;
}

constexpr auto kIoApic = DmarDeviceScope::Type::IoApic;
constexpr auto kHpet = DmarDeviceScope::Type::MsiHpet;
constexpr std::uint64_t kXeonCap = 0x8d2078c106f0466;
constexpr std::uint64_t kXeonEcap = 0xf020df;

// A two-unit log in the current mainline format, used by the prefix tests.
const char* kTwoUnitBody[] = {
    "DMAR: Host address width 46",
    "DMAR: DRHD base: 0x000000fbffc000 flags: 0x0",
    "DMAR: dmar0: reg_base_addr fbffc000 ver 1:0 cap 8d2078c106f0466 ecap f020df",
    "DMAR: DRHD base: 0x000000c5ffc000 flags: 0x1",
    "DMAR: dmar1: reg_base_addr c5ffc000 ver 1:0 cap 8d2078c106f0466 ecap f020df",
    "DMAR: RMRR base: 0x0000006e2cd000 end: 0x0000006e7ccfff",
    "DMAR: ATSR flags: 0x0",
    "DMAR-IR: IOAPIC id 12 under DRHD base  0xc5ffc000 IOMMU 1",
    "DMAR-IR: HPET id 0 under DRHD base 0xc5ffc000",
    "DMAR-IR: Enabled IRQ remapping in x2apic mode",
};

std::string two_unit_log(const std::string& prefix) {
  std::string s;
  for (const char* line : kTwoUnitBody) s += prefix + line + "\n";
  return s;
}

void check_two_units(const DmarDescription& d) {
  CHECK(d.host_address_width == 46);
  REQUIRE(d.drhds.size() == 2);
  CHECK(d.drhds[0].reg_base == 0xfbffc000);
  CHECK_FALSE(d.drhds[0].include_pci_all());
  CHECK(d.drhds[1].reg_base == 0xc5ffc000);
  CHECK(d.drhds[1].include_pci_all());
  for (const DmarDrhd& u : d.drhds) {
    CHECK(u.ver == 0x10u);
    CHECK(u.cap == kXeonCap);
    CHECK(u.ecap == kXeonEcap);
  }
  CHECK(d.drhds[0].scopes.empty());
  CHECK(scope_ids(d.drhds[1]) == decltype(scope_ids(d.drhds[1])){{kIoApic, 12}, {kHpet, 0}});
  REQUIRE(d.rmrrs.size() == 1);
  CHECK(d.rmrrs[0].base == 0x6e2cd000);
  CHECK(d.rmrrs[0].limit == 0x6e7ccfff);
  REQUIRE(d.atsrs.size() == 1);
  CHECK(d.flags == 0x1);  // INTR_REMAP only: no opt-out line
}

}  // namespace

// ---- The real log ---------------------------------------------------------

TEST_CASE("boot log: the 8-unit Xeon log gives its 8 units in DRHD order with VER/CAP/ECAP") {
  const DmarDescription d = read_dmar_boot_log_file(kXeonLog);
  const std::vector<std::uint64_t> bases = {0xd37fc000, 0xe0ffc000, 0xee7fc000, 0xfbffc000,
                                            0xaaffc000, 0xb87fc000, 0xc5ffc000, 0x9d7fc000};
  REQUIRE(d.drhds.size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    INFO("unit " << i);
    const DmarDrhd& u = d.drhds[i];
    CHECK(u.reg_base == bases[i]);
    CHECK(u.flags == (i == 7 ? 1 : 0));  // only the unit at 0x9d7fc000 is INCLUDE_PCI_ALL
    CHECK(u.segment == 0);
    CHECK(u.size == 0);
    REQUIRE(u.ver.has_value());
    CHECK(*u.ver == 0x10u);  // "ver 1:0"
    REQUIRE(u.cap.has_value());
    CHECK(*u.cap == kXeonCap);
    REQUIRE(u.ecap.has_value());
    CHECK(*u.ecap == kXeonEcap);
  }
}

TEST_CASE("boot log: the 8-unit Xeon log gives its RMRRs and ATSRs") {
  const DmarDescription d = read_dmar_boot_log_file(kXeonLog);
  REQUIRE(d.rmrrs.size() == 2);
  CHECK(d.rmrrs[0].base == 0x6e2cd000);
  CHECK(d.rmrrs[0].limit == 0x6e7ccfff);
  CHECK(d.rmrrs[1].base == 0x6f2e2000);
  CHECK(d.rmrrs[1].limit == 0x6f2e4fff);
  for (const DmarRmrr& r : d.rmrrs) {
    CHECK(r.segment == 0);
    CHECK(r.scopes.empty());  // the log does not print them
  }
  REQUIRE(d.atsrs.size() == 2);
  for (const DmarAtsr& a : d.atsrs) {
    CHECK(a.flags == 0);
    CHECK_FALSE(a.all_ports());
    CHECK(a.scopes.empty());
  }
  CHECK(d.rhsas.empty());
  CHECK(d.andds.empty());
  CHECK(d.satcs.empty());
}

TEST_CASE("boot log: the 8-unit Xeon log gives the I/O APIC and HPET scopes of each unit") {
  const DmarDescription d = read_dmar_boot_log_file(kXeonLog);
  using Ids = std::vector<std::pair<DmarDeviceScope::Type, int>>;
  const std::vector<Ids> expected = {
      {{kIoApic, 15}}, {{kIoApic, 16}}, {{kIoApic, 17}}, {{kIoApic, 18}},
      {{kIoApic, 10}}, {{kIoApic, 11}}, {{kIoApic, 12}},
      {{kIoApic, 8}, {kIoApic, 9}, {kHpet, 0}},  // 0x9d7fc000
  };
  REQUIRE(d.drhds.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("unit " << i);
    CHECK(scope_ids(d.drhds[i]) == expected[i]);
    for (const DmarDeviceScope& s : d.drhds[i].scopes) {
      CHECK(s.start_bus == 0);   // not in the log
      CHECK(s.path.empty());     // not in the log
      CHECK(s.flags == 0);
    }
  }
}

TEST_CASE("boot log: the 8-unit Xeon log gives DMAR flags INTR_REMAP and X2APIC_OPT_OUT, no HAW") {
  const DmarDescription d = read_dmar_boot_log_file(kXeonLog);
  CHECK(d.flags == 0x3);
  CHECK(d.host_address_width == 0);  // this log has no "Host address width" line
  CHECK(d.oem_id.empty());
  CHECK(d.oem_table_id.empty());
}

TEST_CASE("boot log: the imported CAP/ECAP decode to the fields computed by hand from the spec") {
  const DmarDescription d = read_dmar_boot_log_file(kXeonLog);
  REQUIRE(d.drhds.size() == 8);
  // VT-d 11.4.2, CAP 0x08d2'078c'106f'0466:
  //   2:0 ND = 6; 5 PLMR, 6 PHMR (0x66 = 0110'0110); 12:8 SAGAW = 0b00100
  //   (nibble 0x4 at bits 11:8); 21:16 MGAW = 0x2f -> 48 bits; 22 ZLR;
  //   33:24 FRO = 0x010 -> 0x100; 35:34 SLLPS = 11b; 39 PSI (0x8c);
  //   47:40 NFR = 0x07 -> 8 registers; 53:48 MAMV = 0x12 = 18; 54 DWD, 55 DRD
  //   (0xd2); 59 PI (0x08 in 63:56).
  // 11.4.3, ECAP 0xf0'20df: C, QI, DT, IR, EIM, PT, SC (0xdf without bit 5);
  //   17:8 IRO = 0x020 -> 0x200; 23:20 MHMV = 0xf.
  const UnitFeatures f = decode_cap_ecap(*d.drhds[0].cap, *d.drhds[0].ecap);
  CHECK(f.nd == 6);
  CHECK_FALSE(f.rwbf);
  CHECK(f.plmr);
  CHECK(f.phmr);
  CHECK_FALSE(f.cm);
  CHECK(f.sagaw == 0x4);
  CHECK(f.mgaw == 48);
  CHECK(f.zlr);
  CHECK(f.fro == 0x10);
  CHECK(f.sp_2m);
  CHECK(f.sp_1g);
  CHECK(f.psi);
  CHECK(f.nfr == 8);
  CHECK(f.mamv == 18);
  CHECK(f.dwd);
  CHECK(f.drd);
  CHECK_FALSE(f.fl1gp);
  CHECK(f.c);
  CHECK(f.qi);
  CHECK(f.dt);
  CHECK(f.ir);
  CHECK(f.eim);
  CHECK(f.pt);
  CHECK(f.sc);
  CHECK(f.iro == 0x20);
  CHECK(f.mhmv == 15);
  CHECK_FALSE(f.smts);
  // CAP bit 59 (PI) is kept too: the values are the exact register contents,
  // and every bit of them is one iommusim models.
  CHECK(f.pi);
  CHECK(make_cap(f) == *d.drhds[0].cap);
  CHECK(make_ecap(f) == *d.drhds[0].ecap);
  CHECK(unmodelled_bits(*d.drhds[0].cap, *d.drhds[0].ecap).empty());
}

// ---- Prefixes and format variants ----------------------------------------

TEST_CASE("boot log: lines without a timestamp (dmesg -t, journalctl -o cat)") {
  check_two_units(parse(two_unit_log("")));
}

TEST_CASE("boot log: dmesg timestamps, syslog and journalctl prefixes, CRLF line ends") {
  SECTION("dmesg") { check_two_units(parse(two_unit_log("[    0.108113] "))); }
  SECTION("syslog") { check_two_units(parse(two_unit_log("Jan 12 10:01:02 xeon01 kernel: "))); }
  SECTION("syslog with a timestamp") {
    check_two_units(parse(two_unit_log("Jan 12 10:01:02 xeon01 kernel: [    0.108113] ")));
  }
  SECTION("journalctl -o short-iso") {
    check_two_units(parse(two_unit_log("2024-01-12T10:01:02+0100 xeon01 kernel: ")));
  }
  SECTION("printk level") { check_two_units(parse(two_unit_log("<6>"))); }
  SECTION("CRLF") {
    std::string log = two_unit_log("");
    std::string crlf;
    for (char c : log) crlf += (c == '\n') ? std::string("\r\n") : std::string(1, c);
    check_two_units(parse(crlf));
  }
}

TEST_CASE("boot log: unrelated lines interleaved with the DMAR lines are ignored") {
  const std::string log =
      "[    0.000000] Linux version 6.8.0 (gcc 13.2)\n"
      "[    0.000000] ACPI: DMAR 0x000000006F3B1000 0001A8 (v01 INTEL  S2600WF  00000001 INTL 20091013)\n"
      "[    0.000000] DMAR: IOMMU enabled\n"
      "[    0.108105] DMAR: Host address width 46\n"
      "[    0.108106] random: crng init done\n"
      "[    0.108107] DMAR: DRHD base: 0x000000fbffc000 flags: 0x0\n"
      "[    0.108108] DMAR: dmar0: reg_base_addr fbffc000 ver 1:0 cap 8d2078c106f0466 ecap f020df\n"
      "[    0.108109] pci 0000:00:00.0: [8086:2020] type 00 class 0x060000\n"
      "[    0.108110] DMAR: DRHD base: 0x000000c5ffc000 flags: 0x1\n"
      "[    0.108111] DMAR: dmar1: reg_base_addr c5ffc000 ver 1:0 cap 8d2078c106f0466 ecap f020df\n"
      "[    0.108112] DMAR: RMRR base: 0x0000006e2cd000 end: 0x0000006e7ccfff\n"
      "[    0.108113] DMAR: ATSR flags: 0x0\n"
      "[    0.108114] DMAR-IR: IOAPIC id 12 under DRHD base  0xc5ffc000 IOMMU 1\n"
      "[    0.108115] DMAR-IR: HPET id 0 under DRHD base 0xc5ffc000\n"
      "[    0.108116] DMAR-IR: Queued invalidation will be enabled to support x2apic and Intr-remapping.\n"
      "[    0.112463] DMAR-IR: Enabled IRQ remapping in x2apic mode\n"
      "[    0.840944] DMAR: No RMRR found\n"
      "[    0.840956] DMAR: No ATSR found\n"
      "[    0.840958] DMAR: dmar0: Using Queued invalidation\n"
      "[    0.840961] DMAR: dmar1: Using Queued invalidation\n"
      "[    0.841000] DMAR: Intel(R) Virtualization Technology for Directed I/O\n"
      "[    1.000000] DMAR: DRHD: handling fault status reg 2\n"
      "[    1.000001] DMAR: [DMA Read NO_PASID] Request device [00:1f.6] fault addr 0x8a000 "
      "[fault reason 0x06] PTE Read access is not set\n"
      "[    1.000002] DMAR: IOMMU feature pgsel_inv inconsistent\n"
      "[    1.000003] intel-dmar: something else\n"
      "[    1.000004] iommu: Default domain type: Passthrough (set via kernel command line)\n";
  check_two_units(parse(log));
}

TEST_CASE("boot log: RHSA, ANDD, SATC, platform opt-in, 3.x register lines and x2apic mode") {
  const std::string log =
      "dmar: Host address width 39\n"
      "dmar: DRHD base: 0x000000fed90000 flags: 0x0\n"
      "dmar: IOMMU 0: reg_base_addr fed90000 ver 1:0 cap c0000020660462 ecap f0101a\n"
      "dmar: DRHD base: 0x000000fed91000 flags: 0x1\n"
      "dmar: IOMMU 1: reg_base_addr fed91000 ver 1:0 cap d2008c20660462 ecap f010da\n"
      "dmar: RHSA base: 0x000000fed91000 proximity domain: 0x1\n"
      "DMAR: ANDD device: a name: \\_SB.PCI0.UAR0\n"
      "DMAR: SATC flags: 0x1\n"
      "DMAR-IR: IOAPIC id 2 under DRHD base  0xfed91000 IOMMU 1\n"
      "DMAR: Intel-IOMMU force enabled due to platform opt in\n";
  const DmarDescription d = parse(log);
  CHECK(d.host_address_width == 39);
  REQUIRE(d.drhds.size() == 2);
  CHECK(d.drhds[0].cap == 0xc0000020660462u);
  CHECK(d.drhds[0].ecap == 0xf0101au);
  CHECK(d.drhds[1].cap == 0xd2008c20660462u);
  CHECK(d.drhds[1].ecap == 0xf010dau);
  CHECK(scope_ids(d.drhds[1]) == decltype(scope_ids(d.drhds[1])){{kIoApic, 2}});
  REQUIRE(d.rhsas.size() == 1);
  CHECK(d.rhsas[0].reg_base == 0xfed91000);
  CHECK(d.rhsas[0].proximity_domain == 1);
  REQUIRE(d.andds.size() == 1);
  CHECK(d.andds[0].device_number == 0xa);  // printed with %x
  CHECK(d.andds[0].object_name == "\\_SB.PCI0.UAR0");
  REQUIRE(d.satcs.size() == 1);
  CHECK(d.satcs[0].flags == 1);
  CHECK(d.flags == (0x1 | 0x4));  // INTR_REMAP (IOAPIC line), DMA_CTRL_PLATFORM_OPT_IN

  SECTION("a repeated identical register or IOAPIC line changes nothing") {
    const DmarDescription again =
        parse(log + "dmar: IOMMU 1: reg_base_addr fed91000 ver 1:0 cap d2008c20660462 ecap f010da\n"
                    "DMAR-IR: IOAPIC id 2 under DRHD base 0xfed91000 IOMMU 1\n");
    CHECK(again.drhds[1].cap == 0xd2008c20660462u);
    CHECK(again.drhds[1].scopes.size() == 1);
  }
  SECTION("VER other than 1:0") {
    const DmarDescription v = parse(
        "DMAR: DRHD base: 0x000000fed90000 flags: 0x1\n"
        "DMAR: dmar0: reg_base_addr fed90000 ver 6:0 cap 9ed008c40780466 ecap 3ee9e86f050df\n");
    CHECK(v.drhds[0].ver == 0x60u);
    CHECK(v.drhds[0].ecap == 0x3ee9e86f050dfu);
    CHECK(v.flags == 0);  // nothing about interrupt remapping in this log
  }
}

// ---- Errors ---------------------------------------------------------------

TEST_CASE("boot log: bad hex is an error naming the source, line and field") {
  const std::string drhd = "DMAR: DRHD base: 0x000000d37fc000 flags: 0x0\n";
  CHECK_THAT(error_of("x\nDMAR: DRHD base: 0x0000d37fcg00 flags: 0x0\n"),
             Equals("boot.log:2: DRHD line: bad hex number '0x0000d37fcg00' for the base"));
  CHECK_THAT(error_of("DMAR: DRHD base: 0x000000d37fc000 flags: 0xz\n"),
             Equals("boot.log:1: DRHD line: bad hex number '0xz' for the flags"));
  CHECK_THAT(error_of(drhd + "DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 8d2078c1O6f0466 ecap f020df\n"),
             Equals("boot.log:2: dmar0 line: bad hex number '8d2078c1O6f0466' for the cap"));
  CHECK_THAT(error_of(drhd + "DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 18d2078c106f04660 ecap f020df\n"),
             Equals("boot.log:2: dmar0 line: the cap 18d2078c106f04660 does not fit 64 bits"));
  CHECK_THAT(error_of(drhd + "DMAR: RMRR base: 0x0000006e2cd000 end: 0x\n"),
             Equals("boot.log:2: RMRR line: bad hex number '0x' for the end"));
  CHECK_THAT(error_of(drhd + "DMAR-IR: IOAPIC id 12 under DRHD base 0xd37fc00q IOMMU 0\n"),
             Equals("boot.log:2: IOAPIC line: bad hex number '0xd37fc00q' for the DRHD base"));
  CHECK_THAT(error_of(drhd + "DMAR-IR: IOAPIC id 0x12 under DRHD base 0xd37fc000 IOMMU 0\n"),
             Equals("boot.log:2: IOAPIC line: bad decimal number '0x12' for the I/O APIC id"));
}

TEST_CASE("boot log: out-of-range values are errors") {
  const std::string drhd = "DMAR: DRHD base: 0x000000d37fc000 flags: 0x0\n";
  CHECK_THAT(error_of("DMAR: DRHD base: 0x000000d37fc000 flags: 0x100\n"),
             Equals("boot.log:1: DRHD line: the flags 0x100 does not fit 8 bits"));
  CHECK_THAT(error_of(drhd + "DMAR: dmar0: reg_base_addr d37fc000 ver 16:0 cap 0 ecap 0\n"),
             Equals("boot.log:2: dmar0 line: bad version '16:0' (expected <major>:<minor>, each 0..15)"));
  CHECK_THAT(error_of(drhd + "DMAR-IR: HPET id 256 under DRHD base 0xd37fc000\n"),
             Equals("boot.log:2: HPET line: the HPET number 256 is out of range (0..255)"));
  CHECK_THAT(error_of("DMAR: Host address width 300\n" + drhd),
             Equals("boot.log:1: Host address width line: the width 300 is out of range (1..256)"));
  CHECK_THAT(error_of(drhd + "DMAR: RMRR base: 0x0000006e2cd000 end: 0x0000006e2ccfff\n"),
             Equals("boot.log:2: RMRR line: end 0x6e2ccfff is below base 0x6e2cd000"));
}

TEST_CASE("boot log: a dmarN line before its DRHD line is an error") {
  CHECK_THAT(error_of("DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 8d2078c106f0466 ecap f020df\n"
                      "DMAR: DRHD base: 0x000000d37fc000 flags: 0x0\n"),
             Equals("boot.log:1: dmar0 line: no earlier 'DRHD base:' line for reg_base_addr 0xd37fc000"));
  CHECK_THAT(error_of("DMAR: DRHD base: 0x000000d37fc000 flags: 0x0\n"
                      "DMAR-IR: IOAPIC id 12 under DRHD base 0xc5ffc000 IOMMU 6\n"),
             Equals("boot.log:2: IOAPIC line: no earlier 'DRHD base:' line for DRHD base 0xc5ffc000"));
}

TEST_CASE("boot log: a second, different VER/CAP/ECAP or name for a unit is an error") {
  const std::string log =
      "DMAR: DRHD base: 0x000000d37fc000 flags: 0x0\n"
      "DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 8d2078c106f0466 ecap f020df\n";
  CHECK_THAT(error_of(log + "DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap d2078c106f0466 ecap f020df\n"),
             Equals("boot.log:3: dmar0 line: cap 0xd2078c106f0466 differs from cap 0x8d2078c106f0466 "
                    "on line 2 for the same unit"));
  CHECK_THAT(error_of(log + "DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 8d2078c106f0466 ecap f020de\n"),
             Equals("boot.log:3: dmar0 line: ecap 0xf020de differs from ecap 0xf020df on line 2 for the same unit"));
  CHECK_THAT(error_of(log + "DMAR: dmar0: reg_base_addr d37fc000 ver 1:1 cap 8d2078c106f0466 ecap f020df\n"),
             Equals("boot.log:3: dmar0 line: ver 1:1 differs from ver 1:0 on line 2 for the same unit"));
  CHECK_THAT(error_of(log + "DMAR: dmar5: reg_base_addr d37fc000 ver 1:0 cap 8d2078c106f0466 ecap f020df\n"),
             Equals("boot.log:3: dmar5 line: the unit at 0xd37fc000 was named dmar0 on line 2"));
  CHECK_THAT(error_of(log + "DMAR-IR: IOAPIC id 15 under DRHD base 0xd37fc000 IOMMU 3\n"),
             Equals("boot.log:3: IOAPIC line: IOMMU 3 but the unit at 0xd37fc000 is dmar0 (line 2)"));
  CHECK_THAT(error_of(log + "DMAR: DRHD base: 0x000000d37fc000 flags: 0x0\n"),
             Equals("boot.log:3: DRHD line: a second DRHD line for base 0xd37fc000 (the first is on "
                    "line 1): is this the log of more than one boot?"));
  CHECK_THAT(error_of("DMAR: Host address width 46\nDMAR: Host address width 39\n" + log),
             Equals("boot.log:2: Host address width line: width 39 differs from 46 on line 1"));
}

TEST_CASE("boot log: a log without DRHD lines is an error") {
  CHECK_THAT(error_of(""), Equals("boot.log: no 'DMAR: DRHD base' lines: not a DMAR boot log"));
  CHECK_THAT(error_of("[    0.000000] Linux version 6.8.0\n"
                      "[    0.000000] DMAR: IOMMU enabled\n"
                      "[    0.100000] DMAR: Host address width 46\n"),
             Equals("boot.log: no 'DMAR: DRHD base' lines: not a DMAR boot log"));
}

TEST_CASE("boot log: a truncated line is an error") {
  const std::string drhd = "DMAR: DRHD base: 0x000000d37fc000 flags: 0x0\n";
  CHECK_THAT(error_of("x\nx\nx\nx\nx\nx\n[    0.108105] DMAR: DRHD base: 0x000000d37fc000 fla\n"),
             Equals("boot.log:7: DRHD line: expected 'flags: 0x..' after the base"));
  CHECK_THAT(error_of("DMAR: DRHD base: 0x000000d37fc000 flags:\n"),
             Equals("boot.log:1: DRHD line: expected the flags (hex) after 'flags:'"));
  CHECK_THAT(error_of("DMAR: DRHD base:\n"),
             Equals("boot.log:1: DRHD line: expected the base (hex) after 'DRHD base:'"));
  CHECK_THAT(error_of(drhd + "DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 8d2078c106f0466\n"),
             Equals("boot.log:2: dmar0 line: expected 'ecap <hex>' after the cap"));
  CHECK_THAT(error_of(drhd + "DMAR: dmar0: reg_base_addr d37fc000 ver 1:\n"),
             Equals("boot.log:2: dmar0 line: bad version '1:' (expected <major>:<minor>, each 0..15)"));
  CHECK_THAT(error_of(drhd + "DMAR: RMRR base: 0x0000006e2cd000\n"),
             Equals("boot.log:2: RMRR line: expected 'end: 0x..' after the base"));
  CHECK_THAT(error_of(drhd + "DMAR: RHSA base: 0x000000d37fc000 proximity\n"),
             Equals("boot.log:2: RHSA line: expected 'proximity domain: 0x..' after the base"));
  CHECK_THAT(error_of(drhd + "DMAR: ANDD device: 1 name:\n"),
             Equals("boot.log:2: ANDD line: expected an ACPI object name after 'name:'"));
  CHECK_THAT(error_of(drhd + "DMAR: ATSR flags:\n"),
             Equals("boot.log:2: ATSR line: expected the flags (hex) after 'ATSR flags:'"));
  CHECK_THAT(error_of(drhd + "DMAR-IR: IOAPIC id 12 under DRHD\n"),
             Equals("boot.log:2: IOAPIC line: expected 'under DRHD base 0x..' after the id"));
  CHECK_THAT(error_of(drhd + "DMAR-IR: IOAPIC id 12 under DRHD base 0xd37fc000 IOMMU\n"),
             Equals("boot.log:2: IOAPIC line: expected the IOMMU number (decimal) after 'IOMMU'"));
  CHECK_THAT(error_of(drhd + "DMAR-IR: Enabled IRQ remapping in\n"),
             Equals("boot.log:2: IRQ remapping line: expected 'x2apic mode' or 'xapic mode' after "
                    "'Enabled IRQ remapping in'"));
  CHECK_THAT(error_of(drhd + "DMAR: SATC flags: 0x1 0x2\n"),
             Equals("boot.log:2: SATC line: unexpected '0x2' after the flags"));
}

TEST_CASE("boot log: files: messages name the path, and an unreadable file is an error") {
  test::TempDir dir;
  const std::string bad = dir.write("bad.log", "DMAR: DRHD base: 0x1000 flags: 0x0\nDMAR: ATSR flags: 0xg\n");
  CHECK_THROWS_WITH(read_dmar_boot_log_file(bad),
                    Equals(bad + ":2: ATSR line: bad hex number '0xg' for the flags"));
  CHECK_THROWS_WITH(read_dmar_boot_log_file(dir.path + "/missing.log"),
                    Equals(dir.path + "/missing.log: cannot open: No such file or directory"));
  CHECK_THROWS_WITH(read_dmar_boot_log_file(dir.path),
                    Equals(dir.path + ": cannot read: is a directory"));
  CHECK_THROWS_AS(read_dmar_boot_log_file(dir.path + "/missing.log"), InputError);
}
