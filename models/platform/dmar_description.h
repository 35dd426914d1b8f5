// What a platform's DMA-remapping reporting says (VT-d 4.x chapter 8, "BIOS
// Considerations"): the remapping units with their device scopes, reserved
// memory regions, ATS ports and the rest of the ACPI DMAR table, as plain data.
//
// Two importers fill it: the ACPI DMAR table parser (acpi_dmar.h, from the
// binary table at /sys/firmware/acpi/tables/DMAR) and the Linux boot-log
// importer (dmar_boot_log.h, from the "DMAR: ..." lines the kernel prints).
// The boot log also carries each unit's VER/CAP/ECAP register values, which
// the ACPI table does not; the table carries device scopes, which the log
// mostly does not. The platform builder turns a description into units.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iommusim {

// Device scope structure (8.3.1): one device, bridge, I/O APIC, HPET or ACPI
// namespace device, named by a start bus and a path of (device, function)
// hops through bridges.
struct DmarDeviceScope {
  enum class Type : std::uint8_t {
    PciEndpoint = 1,
    PciSubHierarchy = 2,  // a bridge and everything below it
    IoApic = 3,
    MsiHpet = 4,
    AcpiNamespaceDevice = 5,
  };
  Type type = Type::PciEndpoint;
  std::uint8_t flags = 0;        // bit 0: REQ_WO_PASID_NESTED_NOTALLOWED etc. (kept raw)
  std::uint8_t enumeration_id = 0;  // I/O APIC id, HPET number or ACPI device number
  std::uint8_t start_bus = 0;
  struct Hop {
    std::uint8_t device = 0;    // 5 bits
    std::uint8_t function = 0;  // 3 bits
    bool operator==(const Hop& o) const { return device == o.device && function == o.function; }
  };
  std::vector<Hop> path;  // at least one hop in an ACPI table; empty (and start_bus 0)
                          // from a boot log, which prints only I/O APIC / HPET ids
};

// DMA Remapping Hardware Unit Definition (8.3).
struct DmarDrhd {
  std::uint8_t flags = 0;           // bit 0 INCLUDE_PCI_ALL
  bool include_pci_all() const { return flags & 1u; }
  std::uint8_t size = 0;            // register set size: 2^size 4 KiB pages
  std::uint16_t segment = 0;
  std::uint64_t reg_base = 0;
  std::vector<DmarDeviceScope> scopes;
  // Register values: only from a boot log (the ACPI table has none).
  std::optional<std::uint32_t> ver;  // VER_REG (major in 7:4, minor in 3:0)
  std::optional<std::uint64_t> cap, ecap;
};

// Reserved Memory Region Reporting (8.4): [base, limit] inclusive, 4 KiB
// aligned base and limit + 1.
struct DmarRmrr {
  std::uint16_t segment = 0;
  std::uint64_t base = 0;
  std::uint64_t limit = 0;
  std::vector<DmarDeviceScope> scopes;
};

// Root Port ATS Capability Reporting (8.5).
struct DmarAtsr {
  std::uint8_t flags = 0;  // bit 0 ALL_PORTS
  bool all_ports() const { return flags & 1u; }
  std::uint16_t segment = 0;
  std::vector<DmarDeviceScope> scopes;
};

// Remapping Hardware Static Affinity (8.6).
struct DmarRhsa {
  std::uint64_t reg_base = 0;
  std::uint32_t proximity_domain = 0;
};

// ACPI Name-space Device Declaration (8.7).
struct DmarAndd {
  std::uint8_t device_number = 0;  // matches a scope's enumeration_id (type 5)
  std::string object_name;         // e.g. "\\_SB.PCI0.UAR0"
};

// SoC Integrated Address Translation Cache (8.8).
struct DmarSatc {
  std::uint8_t flags = 0;  // bit 0 ATC_REQUIRED
  std::uint16_t segment = 0;
  std::vector<DmarDeviceScope> scopes;
};

struct DmarDescription {
  // DMAR table header fields (8.1).
  unsigned host_address_width = 0;  // the table's HAW field + 1 (bits)
  std::uint8_t flags = 0;           // bit 0 INTR_REMAP, 1 X2APIC_OPT_OUT, 2 DMA_CTRL_PLATFORM_OPT_IN
  std::string oem_id;               // 6 characters, trailing spaces kept
  std::string oem_table_id;         // 8 characters
  std::vector<DmarDrhd> drhds;      // in table order
  std::vector<DmarRmrr> rmrrs;
  std::vector<DmarAtsr> atsrs;
  std::vector<DmarRhsa> rhsas;
  std::vector<DmarAndd> andds;
  std::vector<DmarSatc> satcs;
};

}  // namespace iommusim
