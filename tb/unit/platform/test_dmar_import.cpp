// Unit tests for the DMAR import (models/platform/dmar_import.h): a DMAR
// description, built here as data, into the platform it describes (units and
// their scopes, RMRRs, ATSRs, the endpoints to add), and the errors for scope
// paths the platform cannot place. The configuration entries the builder
// writes from it are checked end to end in tb/system/test_platform.cpp.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "common/error.h"
#include "platform/dmar_import.h"

using namespace iommusim;
using Scope = DmarDeviceScope;

namespace {

Scope endpoint(std::uint8_t bus, std::vector<Scope::Hop> path) {
  Scope s;
  s.type = Scope::Type::PciEndpoint;
  s.start_bus = bus;
  s.path = std::move(path);
  return s;
}

Scope bridge_scope(std::uint8_t bus, std::vector<Scope::Hop> path) {
  Scope s = endpoint(bus, std::move(path));
  s.type = Scope::Type::PciSubHierarchy;
  return s;
}

Bdf bdf(const std::string& text) { return *parse_bdf(text); }

// Two units: dmar0 lists devices (one on bus 0, one behind root port 00:1c.0,
// the bridge itself as a sub-hierarchy, and an I/O APIC, which is skipped);
// dmar1 has INCLUDE_PCI_ALL.
DmarDescription two_units() {
  DmarDescription d;
  d.host_address_width = 46;
  DmarDrhd u0;
  u0.reg_base = 0xfed90000;
  u0.scopes = {endpoint(0, {{3, 0}}), endpoint(0, {{0x1c, 0}, {0, 0}}), bridge_scope(0, {{0x1c, 0}})};
  Scope ioapic;
  ioapic.type = Scope::Type::IoApic;
  ioapic.enumeration_id = 2;
  ioapic.path = {{0x1e, 1}};
  u0.scopes.push_back(ioapic);
  DmarDrhd u1;
  u1.flags = 1;
  u1.reg_base = 0xfed91000;
  u1.scopes = {endpoint(0, {{2, 0}})};  // ignored: the unit covers every device
  d.drhds = {u0, u1};
  DmarRmrr r;
  r.base = 0x3e2e0000;
  r.limit = 0x3e2fffff;
  r.scopes = {endpoint(0, {{0x14, 0}})};
  d.rmrrs = {r};
  DmarAtsr a;
  a.scopes = {bridge_scope(0, {{0x1c, 0}})};
  DmarAtsr all;
  all.flags = 1;
  all.segment = 1;
  d.atsrs = {a, all};
  return d;
}

const std::map<Bdf, Bridge> kBridges = {{bdf("00:1c.0"), Bridge{1, 3, true}}};

}  // namespace

TEST_CASE("dmar import: units, scopes, RMRRs, ATSRs and new endpoints from a table", "[unit]") {
  const ImportedPlatform p = import_dmar(two_units(), kBridges, {bdf("01:00.0")}, "t.aml");
  REQUIRE(p.units.size() == 2);
  const ImportedUnit& u0 = p.units[0];
  CHECK(u0.name == "dmar0");
  CHECK(u0.reg_base == 0xfed90000);
  CHECK_FALSE(u0.cap);
  CHECK(u0.haw == 46);
  CHECK_FALSE(u0.scope.include_pci_all);
  CHECK(u0.scope.devices == std::vector<Bdf>{bdf("00:03.0"), bdf("01:00.0")});
  CHECK(u0.scope.subtrees == std::vector<BusRange>{{1, 3}});
  CHECK(p.units[1].name == "dmar1");
  CHECK(p.units[1].scope.include_pci_all);
  CHECK(p.units[1].scope.devices.empty());
  REQUIRE(p.rmrrs.size() == 1);
  CHECK(p.rmrrs[0].base == 0x3e2e0000);
  CHECK(p.rmrrs[0].limit == 0x3e2fffff);
  CHECK(p.rmrrs[0].devices == std::vector<Bdf>{bdf("00:14.0")});
  REQUIRE(p.atsrs.size() == 2);
  CHECK_FALSE(p.atsrs[0].all_ports);
  CHECK(p.atsrs[0].ports == std::vector<Bdf>{bdf("00:1c.0")});
  CHECK(p.atsrs[1].all_ports);
  CHECK(p.atsrs[1].segment == 1);
  // 01:00.0 is listed already; 00:03.0 is added once; RMRR devices are not.
  CHECK(p.endpoints == std::vector<Bdf>{bdf("00:03.0")});
}

TEST_CASE("dmar import: register values and the width from a boot log", "[unit]") {
  DmarDescription d;
  d.host_address_width = 57;  // wider than a unit's 52-bit maximum
  DmarDrhd u;
  u.flags = 1;
  u.segment = 2;
  u.reg_base = 0xd37fc000;
  u.cap = 0x8d2078c106f0466ull;
  u.ecap = 0xf020df;
  d.drhds = {u, u};
  d.drhds[1].cap.reset();  // a DRHD whose register line the log lacks
  const ImportedPlatform p = import_dmar(d, {}, {}, "boot.log");
  REQUIRE(p.units.size() == 2);
  CHECK(p.units[0].cap == 0x8d2078c106f0466ull);
  CHECK(p.units[0].ecap == 0xf020dfull);
  CHECK(p.units[0].haw == 52);
  CHECK(p.units[0].scope.segment == 2);
  CHECK_FALSE(p.units[1].cap);
  CHECK_FALSE(p.units[1].ecap);  // CAP and ECAP come together or not at all
  d.host_address_width = 0;      // no "Host address width" line
  CHECK(import_dmar(d, {}, {}, "boot.log").units[0].haw == 0);
}

TEST_CASE("dmar import: paths the platform cannot place name the structure", "[unit]") {
  const std::string hint = "give its bus numbers in platform.bridges ({bdf: \"00:1c.0\", secondary: N, subordinate: M})";
  CHECK_THROWS_WITH(import_dmar(two_units(), {}, {}, "t.aml"),
                    "t.aml: DRHD 0 (register base 0xfed90000): the path goes through bridge 00:1c.0: " + hint);
  DmarDescription d = two_units();
  d.drhds[0].scopes = {bridge_scope(0, {{0x1c, 0}})};
  CHECK_THROWS_WITH(import_dmar(d, {}, {}, "t.aml"),
                    "t.aml: DRHD 0 (register base 0xfed90000): scope names bridge 00:1c.0: " + hint);
  d.drhds[0].scopes.clear();
  d.rmrrs[0].scopes = {endpoint(0, {{0x1c, 0}, {0, 0}})};
  CHECK_THROWS_WITH(import_dmar(d, {}, {}, "t.aml"), "t.aml: RMRR: the path goes through bridge 00:1c.0: " + hint);
  d.rmrrs.clear();
  d.atsrs[0].scopes = {bridge_scope(0, {{0x1c, 0}, {0, 0}})};
  CHECK_THROWS_WITH(import_dmar(d, {}, {}, "t.aml"), "t.aml: ATSR: the path goes through bridge 00:1c.0: " + hint);
  d = two_units();
  d.drhds[0].scopes = {endpoint(0, {})};
  CHECK_THROWS_WITH(import_dmar(d, {}, {}, "t.aml"),
                    "t.aml: DRHD 0 (register base 0xfed90000): a device scope without a path cannot be placed");
}
