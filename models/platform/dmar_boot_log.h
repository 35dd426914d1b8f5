// Importer of the DMAR lines Linux prints at boot (dmesg, `dmesg -t`,
// journalctl, syslog), into a DmarDescription.
//
// Accepted lines, after any prefix (timestamp "[    0.108113] ", syslog
// "host kernel: ", ...) up to the tag "DMAR:" / "DMAR-IR:" (also the 3.x
// kernels' "dmar:"; printk formats from drivers/iommu/intel/dmar.c and
// irq_remapping.c):
//   DMAR: Host address width 46                          -> host_address_width
//   DMAR: DRHD base: 0x000000d37fc000 flags: 0x0         -> a unit (in this order)
//   DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 8d2078c106f0466 ecap f020df
//         (3.x: "IOMMU 0: reg_base_addr ...")          -> that unit's ver/cap/ecap
//   DMAR: RMRR base: 0x0000006e2cd000 end: 0x0000006e7ccfff
//   DMAR: ATSR flags: 0x0
//   DMAR: RHSA base: 0x000000d37fc000 proximity domain: 0x0
//   DMAR: ANDD device: 1 name: \_SB.PCI0.UAR0           (device number in hex)
//   DMAR: SATC flags: 0x1
//   DMAR-IR: IOAPIC id 12 under DRHD base  0xc5ffc000 IOMMU 6
//   DMAR-IR: HPET id 0 under DRHD base 0x9d7fc000       -> IoApic / MsiHpet scope
//   DMAR-IR: x2apic is disabled because BIOS sets x2apic opt out bit.
//   DMAR-IR: Enabled IRQ remapping in xapic mode (or x2apic mode)
//   DMAR: Intel-IOMMU force enabled due to platform opt in
// Every other line is ignored. Tokens may be separated by any run of blanks.
//
// What the log cannot say is left at the defaults: segments (0), DRHD size
// (0), device scopes of PCI devices, RMRRs, ATSRs and SATCs (none), OEM ids
// (empty), the bus and path of I/O APIC and HPET scopes (start_bus 0, empty
// path), and a missing "Host address width" line leaves it 0. The DMAR flags
// are inferred: bit 0 INTR_REMAP when Linux went past its check of it (an
// IOAPIC/HPET line, the opt-out line, "Enabled IRQ remapping"), bit 1
// X2APIC_OPT_OUT from the opt-out line, bit 2 DMA_CTRL_PLATFORM_OPT_IN from
// "force enabled due to platform opt in". A bit can only be shown set, never
// shown clear. See docs/models/platform.md, "Boot-log importer".
//
// A line that starts like one of these but does not parse, or contradicts an
// earlier line, is an InputError "<source>:<line>: <problem>"; so is a log
// without any DRHD line.
#pragma once
#include <istream>
#include <string>

#include "platform/dmar_description.h"

namespace iommusim {

// `source` names the input in error messages.
DmarDescription parse_dmar_boot_log(std::istream& in, const std::string& source);

// Reads the file at `path` (named by that path in messages); a file that
// cannot be opened or read is an InputError.
DmarDescription read_dmar_boot_log_file(const std::string& path);

}  // namespace iommusim
