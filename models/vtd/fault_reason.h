// DMA-remapping fault reason codes (VT-d 7.1.3, the non-recoverable fault
// conditions and their reason encodings; recorded in FRCD_REG.FR, VT-d 11.4.14).
//
// Legacy-mode codes 0x1..0xD, interrupt-remapping codes 0x20..0x27 and
// scalable-mode codes 0x30 upward.
#pragma once
#include <cstdint>

namespace iommusim {

enum class FaultReason : uint8_t {
  kNone = 0x00,  // no fault (0 is reserved by the spec, never recorded)

  // --- Legacy mode (root/context tables, second-level paging), VT-d 7.1.3 ---
  kRootEntryNotPresent = 0x01,      // root-entry P = 0
  kContextEntryNotPresent = 0x02,   // context-entry P = 0
  kContextEntryInvalid = 0x03,      // invalid programming: AW not in SAGAW, TT
                                    // reserved/unsupported, or SLPTPTR access error
  kAddressBeyondMgaw = 0x04,        // input address above 2^min(MGAW, AGAW) - 1
  kWriteNoPermission = 0x05,        // write/AtomicOp lacks write permission
  kReadNoPermission = 0x06,         // read/AtomicOp lacks read permission
  kPagingEntryAccessError = 0x07,   // error reading a paging entry through ADDR
  kRootTableAccessError = 0x08,     // error reading a root entry
  kContextTableAccessError = 0x09,  // error reading a context entry (through CTP)
  kRootEntryReserved = 0x0A,        // non-zero reserved bit in a present root entry
  kContextEntryReserved = 0x0B,     // non-zero reserved bit in a present context entry
  kPagingEntryReserved = 0x0C,      // non-zero reserved bit in a present SL entry
  kBlockedByTranslationType = 0x0D, // translation/translated request blocked by TT

  // --- Interrupt remapping, VT-d 7.1.3 (names and values as QEMU
  // hw/i386/intel_iommu_internal.h VTD_FR_IR_* and Linux dmar.c
  // irq_remap_fault_reasons). For these FRCD.FI holds the interrupt index in
  // bits 63:48 (VT-d 11.4.14). ---
  kIrRequestReserved = 0x20,        // reserved field set in the interrupt request
  kIrIndexBeyondTable = 0x21,       // interrupt_index beyond IRTA.S
  kIrEntryNotPresent = 0x22,        // IRTE P = 0
  kIrTableAccessError = 0x23,       // error reading the IRTE
  kIrEntryReserved = 0x24,          // reserved field set in a present IRTE
  kIrCompatibilityBlocked = 0x25,   // compatibility format, CFIS = 0 or EIME = 1
  kIrSourceIdInvalid = 0x26,        // SVT/SQ/SID verification failed
  kIrPostedDescriptorAccessError = 0x27,  // error accessing the posted-interrupt descriptor
  // --- Scalable mode, VT-d 7.1.3 (names as Linux drivers/iommu/intel/dmar.c
  // and QEMU hw/i386/intel_iommu_internal.h spell them) ---
  kSmInvalidRootTableAddress = 0x30,
  kSmTtmInvalidForPasidRequest = 0x31,   // Linux: "TTM 0 for request with PASID";
                                         // QEMU: "Invalid TTM in RTADDR"
  kSmTtmInvalidForPageGroupRequest = 0x32,
  kSmRootEntryAccessError = 0x38,
  kSmRootEntryNotPresent = 0x39,
  kSmRootEntryReserved = 0x3A,
  kSmContextEntryAccessError = 0x40,
  kSmContextEntryNotPresent = 0x41,
  kSmContextEntryReserved = 0x42,
  kSmContextEntryInvalid = 0x43,
  kSmContextDteClear = 0x44,            // translation request, DTE = 0
  kSmContextPasidEnableClear = 0x45,    // request with PASID, PASIDE = 0
  kSmPasidTooLarge = 0x46,              // PASID above the context entry's PDTS
  kSmContextPreClear = 0x47,            // page request, PRE = 0
  kSmRidPasidError = 0x48,
  kSmPasidDirAccessError = 0x50,
  kSmPasidDirEntryNotPresent = 0x51,
  kSmPasidDirEntryReserved = 0x52,
  kSmPasidTableAccessError = 0x58,
  kSmPasidEntryNotPresent = 0x59,
  kSmPasidEntryReserved = 0x5A,
  kSmPasidEntryInvalid = 0x5B,
  kSmPasidEntryEreClear = 0x5C,
  kSmPasidEntrySreClear = 0x5D,
  kSmFirstLevelAccessError = 0x70,
  kSmFirstLevelNotPresent = 0x71,
  kSmFirstLevelReserved = 0x72,
  kSmFirstLevelTableAccessError = 0x73,  // through FLPTPTR (FL-PML4/PML5)
  kSmFirstLevelNestedBeyondMgaw = 0x74,
  kSmFirstLevelTableNestedReadError = 0x75,
  kSmFirstLevelNestedReadError = 0x76,
  kSmFirstLevelNestedWriteError = 0x77,
  kSmSecondLevelAccessError = 0x78,
  kSmSecondLevelPermission = 0x79,
  kSmSecondLevelReserved = 0x7A,
  kSmSecondLevelTableInvalid = 0x7B,     // invalid SLPTPTR
  kSmSecondLevelAdNoSnoop = 0x7C,
  kSmNonCanonical = 0x80,                // first-level input not canonical
  kSmUserSupervisor = 0x81,              // U/S = 0 for a user-privilege request
  kSmNoExecute = 0x82,
  kSmBeyondHardwareMax = 0x83,
  kSmSecondLevelBeyondMax = 0x84,
  kSmWriteNoPermission = 0x85,
  kSmReadNoPermission = 0x86,
  kSmInterruptAddress = 0x87,            // output address in the interrupt range
};

inline constexpr char kFaultReasonUnknownText[] = "unknown";

// Short description for logs and statistics (kFaultReasonUnknownText, "unknown",
// for any other value).
inline const char* fault_reason_text(FaultReason r) {
  switch (r) {
    case FaultReason::kNone: return "no fault";
    case FaultReason::kRootEntryNotPresent: return "root entry not present";
    case FaultReason::kContextEntryNotPresent: return "context entry not present";
    case FaultReason::kContextEntryInvalid: return "invalid context entry programming";
    case FaultReason::kAddressBeyondMgaw: return "address beyond MGAW/AGAW";
    case FaultReason::kWriteNoPermission: return "write without write permission";
    case FaultReason::kReadNoPermission: return "read without read permission";
    case FaultReason::kPagingEntryAccessError: return "paging entry access error";
    case FaultReason::kRootTableAccessError: return "root table access error";
    case FaultReason::kContextTableAccessError: return "context table access error";
    case FaultReason::kRootEntryReserved: return "root entry reserved bits set";
    case FaultReason::kContextEntryReserved: return "context entry reserved bits set";
    case FaultReason::kPagingEntryReserved: return "second-level entry reserved bits set";
    case FaultReason::kBlockedByTranslationType: return "request blocked by context TT";
    case FaultReason::kIrRequestReserved: return "IR: reserved field set in interrupt request";
    case FaultReason::kIrIndexBeyondTable: return "IR: interrupt index beyond table size";
    case FaultReason::kIrEntryNotPresent: return "IR: IRTE not present";
    case FaultReason::kIrTableAccessError: return "IR: interrupt remapping table access error";
    case FaultReason::kIrEntryReserved: return "IR: IRTE reserved field set";
    case FaultReason::kIrCompatibilityBlocked: return "IR: compatibility format interrupt blocked";
    case FaultReason::kIrSourceIdInvalid: return "IR: source-id verification failed";
    case FaultReason::kIrPostedDescriptorAccessError: return "IR: posted interrupt descriptor access error";
    case FaultReason::kSmInvalidRootTableAddress: return "SM: invalid root table address";
    case FaultReason::kSmTtmInvalidForPasidRequest: return "SM: TTM invalid for request with PASID";
    case FaultReason::kSmTtmInvalidForPageGroupRequest: return "SM: TTM invalid for page group request";
    case FaultReason::kSmRootEntryAccessError: return "SM: root entry access error";
    case FaultReason::kSmRootEntryNotPresent: return "SM: root entry not present";
    case FaultReason::kSmRootEntryReserved: return "SM: root entry reserved bits set";
    case FaultReason::kSmContextEntryAccessError: return "SM: context entry access error";
    case FaultReason::kSmContextEntryNotPresent: return "SM: context entry not present";
    case FaultReason::kSmContextEntryReserved: return "SM: context entry reserved bits set";
    case FaultReason::kSmContextEntryInvalid: return "SM: invalid context entry";
    case FaultReason::kSmContextDteClear: return "SM: context entry DTE clear";
    case FaultReason::kSmContextPasidEnableClear: return "SM: context entry PASIDE clear";
    case FaultReason::kSmPasidTooLarge: return "SM: PASID above context entry maximum";
    case FaultReason::kSmContextPreClear: return "SM: context entry PRE clear";
    case FaultReason::kSmRidPasidError: return "SM: RID_PASID error in context entry";
    case FaultReason::kSmPasidDirAccessError: return "SM: PASID directory access error";
    case FaultReason::kSmPasidDirEntryNotPresent: return "SM: PASID directory entry not present";
    case FaultReason::kSmPasidDirEntryReserved: return "SM: PASID directory entry reserved bits set";
    case FaultReason::kSmPasidTableAccessError: return "SM: PASID table access error";
    case FaultReason::kSmPasidEntryNotPresent: return "SM: PASID entry not present";
    case FaultReason::kSmPasidEntryReserved: return "SM: PASID entry reserved bits set";
    case FaultReason::kSmPasidEntryInvalid: return "SM: invalid PASID entry";
    case FaultReason::kSmPasidEntryEreClear: return "SM: PASID entry ERE clear";
    case FaultReason::kSmPasidEntrySreClear: return "SM: PASID entry SRE clear";
    case FaultReason::kSmFirstLevelAccessError: return "SM: first-level entry access error";
    case FaultReason::kSmFirstLevelNotPresent: return "SM: first-level entry not present";
    case FaultReason::kSmFirstLevelReserved: return "SM: first-level entry reserved bits set";
    case FaultReason::kSmFirstLevelTableAccessError: return "SM: first-level table pointer access error";
    case FaultReason::kSmFirstLevelNestedBeyondMgaw: return "SM: first-level entry address beyond MGAW (nested)";
    case FaultReason::kSmFirstLevelTableNestedReadError: return "SM: read permission error on first-level table (nested)";
    case FaultReason::kSmFirstLevelNestedReadError: return "SM: read permission error on first-level entry (nested)";
    case FaultReason::kSmFirstLevelNestedWriteError: return "SM: write permission error on first-level entry (nested)";
    case FaultReason::kSmSecondLevelAccessError: return "SM: second-level entry access error";
    case FaultReason::kSmSecondLevelPermission: return "SM: second-level permission error";
    case FaultReason::kSmSecondLevelReserved: return "SM: second-level entry reserved bits set";
    case FaultReason::kSmSecondLevelTableInvalid: return "SM: invalid second-level table pointer";
    case FaultReason::kSmSecondLevelAdNoSnoop: return "SM: second-level A/D update in no-snoop setup";
    case FaultReason::kSmNonCanonical: return "SM: non-canonical first-level address";
    case FaultReason::kSmUserSupervisor: return "SM: user request to supervisor page";
    case FaultReason::kSmNoExecute: return "SM: no execute permission";
    case FaultReason::kSmBeyondHardwareMax: return "SM: address beyond hardware maximum";
    case FaultReason::kSmSecondLevelBeyondMax: return "SM: second-level address beyond maximum";
    case FaultReason::kSmWriteNoPermission: return "SM: write without write permission";
    case FaultReason::kSmReadNoPermission: return "SM: read without read permission";
    case FaultReason::kSmInterruptAddress: return "SM: output address in interrupt range";
  }
  return kFaultReasonUnknownText;
}

// True for codes this enum names (0x00 kNone excluded).
inline bool fault_reason_known(FaultReason r) {
  return r != FaultReason::kNone && fault_reason_text(r) != kFaultReasonUnknownText;
}

// "Qualified" faults (VT-d 7.1.3 / 7.2.1) are not recorded when the FPD field
// of the context entry that processed the request is 1. Legacy codes only, as
// QEMU's vtd_qualified_faults table encodes the spec: 0x2-0x7, 0xC, 0xD are
// qualified; 0x1, 0x8-0xB are not (their context entry cannot be trusted).
// Interrupt remapping: 0x22, 0x24, 0x26 (QEMU vtd_irte_get, Xen vvtd) and 0x27
// are qualified by the IRTE's FPD. Scalable-mode codes return false (always
// recorded): not modelled yet.
inline bool fault_is_qualified(FaultReason r) {
  switch (r) {
    case FaultReason::kContextEntryNotPresent:
    case FaultReason::kContextEntryInvalid:
    case FaultReason::kAddressBeyondMgaw:
    case FaultReason::kWriteNoPermission:
    case FaultReason::kReadNoPermission:
    case FaultReason::kPagingEntryAccessError:
    case FaultReason::kPagingEntryReserved:
    case FaultReason::kBlockedByTranslationType:
    case FaultReason::kIrEntryNotPresent:
    case FaultReason::kIrEntryReserved:
    case FaultReason::kIrSourceIdInvalid:
    case FaultReason::kIrPostedDescriptorAccessError:
      return true;
    default:
      return false;
  }
}

}  // namespace iommusim
