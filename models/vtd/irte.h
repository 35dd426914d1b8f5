// Interrupt Remapping Table Entry (IRTE), VT-d rev 4.x: 5.1.4 and 9.10
// (remapped format, IM = 0) / 9.11 (posted format, IM = 1). An entry is 128
// bits; the table (IRTA_REG) holds 2^(S+1) of them, indexed by interrupt_index.
// Field positions cross-checked against Linux include/linux/dmar.h struct irte
// and QEMU hw/i386/intel_iommu_internal.h VTD_IR_TableEntry.
//
// Remapped format (9.10):
//   bit 0        P      present
//   bit 1        FPD    fault processing disable (qualified faults only)
//   bit 2        DM     destination mode (1 = logical)
//   bit 3        RH     redirection hint
//   bit 4        TM     trigger mode (1 = level)
//   bits 7:5     DLM    delivery mode
//   bits 11:8    AVAIL  available to software
//   bits 14:12   reserved
//   bit 15       IM     interrupt mode: 0 remapped, 1 posted (reserved when
//                       posting, CAP.PI, is not supported)
//   bits 23:16   V      vector
//   bits 31:24   reserved
//   bits 63:32   DST    destination ID. xAPIC (IRTA.EIME = 0): APIC ID in DST
//                       bits 15:8 (entry bits 47:40), DST 7:0 and 31:16
//                       reserved. x2APIC (EIME = 1): all 32 bits.
//   bits 79:64   SID    source identifier
//   bits 81:80   SQ     source-id qualifier (SVT = 01 only)
//   bits 83:82   SVT    source validation type, kSvt* below
//   bits 127:84  reserved
//
// Posted format (9.11), fields not listed are as above:
//   bits 7:2     reserved
//   bits 13:12   reserved
//   bit 14       URG    urgent
//   bit 15       IM = 1
//   bits 23:16   VV     virtual vector (the PIR bit to set)
//   bits 37:24   reserved
//   bits 63:38   PDA_L  posted-descriptor address bits 31:6 (64-byte aligned)
//   bits 95:84   reserved
//   bits 127:96  PDA_H  posted-descriptor address bits 63:32 (bits HAW and up
//                       treated as reserved here, like other address fields)
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

inline constexpr unsigned kIrteBytes = 16;

// SVT encodings (9.10).
inline constexpr uint8_t kSvtNone = 0;         // no requester-id verification
inline constexpr uint8_t kSvtRequesterId = 1;  // compare SID, ignoring SQ-masked bits
inline constexpr uint8_t kSvtBusRange = 2;     // requester bus in [SID[15:8], SID[7:0]]
inline constexpr uint8_t kSvtReserved = 3;

// SQ encodings (9.10), SVT = 01: which function-number bits of the requester
// id are not compared.
inline constexpr uint8_t kSqAll = 0;        // compare all 16 bits
inline constexpr uint8_t kSqIgnore2 = 1;    // ignore bit 2
inline constexpr uint8_t kSqIgnore2_1 = 2;  // ignore bits 2:1
inline constexpr uint8_t kSqIgnore2_0 = 3;  // ignore bits 2:0

// Delivery modes (DLM, same encoding as the MSI data register).
inline constexpr uint8_t kDlmFixed = 0;
inline constexpr uint8_t kDlmLowestPriority = 1;
inline constexpr uint8_t kDlmSmi = 2;
inline constexpr uint8_t kDlmNmi = 4;
inline constexpr uint8_t kDlmInit = 5;
inline constexpr uint8_t kDlmExtInt = 7;

struct Irte {
  // Shared fields.
  bool present = false;
  bool fpd = false;
  bool posted = false;    // IM
  uint8_t avail = 0;      // 4 bits
  uint8_t vector = 0;     // remapped: V; posted: virtual vector
  uint16_t sid = 0;
  uint8_t sq = kSqAll;    // 2 bits
  uint8_t svt = kSvtNone; // 2 bits

  // Remapped format.
  bool dest_mode_logical = false;  // DM
  bool redirection_hint = false;   // RH
  bool level_trigger = false;      // TM
  uint8_t delivery_mode = kDlmFixed;
  uint32_t dst = 0;                // raw DST field (entry bits 63:32)

  // Posted format.
  bool urgent = false;  // URG
  Addr pda = 0;         // posted-descriptor address, 64-byte aligned

  // Meaningful when present: a reserved bit of the entry's format is set, a
  // conditionally reserved encoding is used (SVT = 11b), or IM = 1 while
  // posting is not supported (IM is then reserved). Fault 0x24.
  bool reserved_nonzero = false;

  // `eime` is IRTA.EIME (x2APIC mode, decides the DST reserved bits),
  // `posting_supported` CAP.PI, `haw` the host address width (PDA bits at and
  // above it are reserved).
  static Irte decode(uint64_t lo, uint64_t hi, bool eime, bool posting_supported = true,
                     unsigned haw = 64);

  // Reserved bits of each format (low and high qword).
  static uint64_t remapped_reserved_lo(bool eime);
  static constexpr uint64_t remapped_reserved_hi() { return 0xfffffffffff00000ull; }  // 127:84
  static constexpr uint64_t posted_reserved_lo() { return 0x3fff0030fcull; }  // 37:24, 13:12, 7:2
  static uint64_t posted_reserved_hi(unsigned haw);  // 95:84 and PDA bits >= HAW

  // The interrupt's destination: xAPIC DST[15:8], x2APIC the whole DST.
  uint32_t destination(bool eime) const { return eime ? dst : (dst >> 8) & 0xffu; }
  // The DST value naming `apic_id` in the given mode.
  static uint32_t make_dst(uint32_t apic_id, bool eime) {
    return eime ? apic_id : (apic_id & 0xffu) << 8;
  }

  // Encoders (format chosen by `posted`): reserved bits 0, fields truncated
  // to their widths.
  uint64_t lo() const;
  uint64_t hi() const;
};

// Source validation (5.1.5 / 9.10 SVT, SQ, SID) of requester id `rid` against
// a present entry. SVT = 11b (reserved) fails here; remap_msi reports it as a
// reserved-field fault first.
bool irte_source_valid(const Irte& e, uint16_t rid);

}  // namespace iommusim
