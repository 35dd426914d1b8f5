// Parser of binary ACPI DMAR tables (VT-d 4.x chapter 8, "BIOS
// Considerations"), as the firmware publishes them at
// /sys/firmware/acpi/tables/DMAR or as `iasl` compiles them. Fills a
// DmarDescription (dmar_description.h). Plain C++, no SystemC.
//
// Byte layout (all fields little-endian; offsets from the table start):
//
//   8.1 DMAR table header (48 bytes)
//     0  4  signature "DMAR"          10  6  OEM id
//     4  4  length (whole table)     16  8  OEM table id
//     8  1  revision                 24  4  OEM revision
//     9  1  checksum: all `length`   28  4  creator id
//           bytes sum to 0 mod 256   32  4  creator revision
//    36  1  HAW: host address width - 1
//    37  1  flags (INTR_REMAP, X2APIC_OPT_OUT, DMA_CTRL_PLATFORM_OPT_IN)
//    38 10  reserved
//    48 ..  remapping structures, each starting with
//   8.2     0 2 type, 2 2 length (of the whole structure, header included)
//
//   type 0  DRHD  8.3   4 1 flags, 5 1 size (bits 3:0), 6 2 segment,
//                       8 8 register base; device scopes from 16
//   type 1  RMRR  8.4   4 2 reserved, 6 2 segment, 8 8 base, 16 8 limit;
//                       device scopes from 24
//   type 2  ATSR  8.5   4 1 flags, 5 1 reserved, 6 2 segment; scopes from 8
//   type 3  RHSA  8.6   4 4 reserved, 8 8 register base, 16 4 proximity
//                       domain (exactly 20 bytes)
//   type 4  ANDD  8.7   4 3 reserved, 7 1 ACPI device number, 8 .. ACPI
//                       object name, NUL-terminated inside the structure
//   type 5  SATC  8.8   4 1 flags, 5 1 reserved, 6 2 segment; scopes from 8
//   type 6  SIDP  (VT-d 4.1) 4 2 reserved, 6 2 segment; scopes from 8
//
//   8.3.1 device scope: 0 1 type (1 endpoint, 2 sub-hierarchy, 3 I/O APIC,
//         4 MSI-capable HPET, 5 ACPI namespace device), 1 1 length,
//         2 1 flags, 3 1 reserved, 4 1 enumeration id, 5 1 start bus,
//         6 .. path: (device, function) byte pairs, one per hop.
//
// Every malformed input is an InputError whose one-line message names the
// source, the byte offset and the problem, e.g.
//   "dmar.bin: offset 0x30: DRHD structure length 12 is shorter than its 16-byte header"
// The parser never reads outside `bytes`. Checked, in this order:
//   * the data is at least the 36-byte ACPI header; the signature is "DMAR";
//   * the length field is at least 48 (the DMAR header), not larger than the
//     data (truncated table) and not smaller: bytes after the declared length
//     are an error, as Linux refuses a table file whose size differs from its
//     length field (ACPI table override from the initrd, drivers/acpi/tables.c);
//   * the checksum (the message gives the computed sum);
//   * HAW + 1 is 12..64 bits (Linux refuses a width below a 4 KiB page);
//   * each structure: length >= 4 and within the table; a known type; at
//     least its fixed part; RHSA exactly 20 bytes;
//   * each device scope: length >= 6, within its structure, a whole number
//     of 2-byte path entries and at least one of them (every scope type names
//     its device by a path), type 1..5, device <= 31 and function <= 7;
//   * RMRR: base <= limit, base and limit + 1 4 KiB aligned;
//   * ANDD: a non-empty object name with its NUL inside the structure (bytes
//     after the NUL are ignored).
//
// Decisions:
//   * Unknown structure types (7 and above) are errors, although Linux skips
//     them for forward compatibility: the simulator would silently model a
//     platform other than the one described.
//   * SIDP (type 6, VT-d 4.1) is checked like the other scoped structures
//     (fixed part and device scopes) and then ignored: DmarDescription has no
//     place for it and nothing in the simulator uses device properties.
//   * Reserved fields and reserved flag bits are not checked (as Linux);
//     flags are kept raw. The DRHD size keeps bits 3:0 of byte 5.
//   * OEM id and OEM table id end at the first NUL, if any (trailing spaces
//     are kept).
//   * Cross-structure rules are the platform builder's, not checked here:
//     one INCLUDE_PCI_ALL DRHD per segment and last among its segment's
//     DRHDs, scope types allowed per structure, RHSA bases matching a DRHD,
//     ANDD numbers matching namespace scopes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "platform/dmar_description.h"

namespace iommusim {

// Parses a binary ACPI DMAR table (as in /sys/firmware/acpi/tables/DMAR).
// `source` names the input in error messages (a file name). Throws InputError.
DmarDescription parse_acpi_dmar(const std::vector<std::uint8_t>& bytes, const std::string& source);

// Reads and parses a file; a missing/unreadable file is an InputError too
// ("PATH: cannot open: ..."), and so is a file above 16 MiB (no DMAR table
// comes near that; this stops a wrong path such as a disk image early).
DmarDescription read_acpi_dmar_file(const std::string& path);

}  // namespace iommusim
