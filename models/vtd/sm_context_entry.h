// Scalable-mode context entry, VT-d 9.4. A scalable-mode context table is
// 4 KiB of 128 entries of 256 bits (read as four qwords, lowest first); the
// root entry's lower half points at devfn 0..127, the upper at 128..255
// (VT-d 9.2, ScalableRootEntry).
//
//   bit 0        P            present (when 0 only FPD is looked at)
//   bit 1        FPD          fault processing disable
//   bit 2        DTE          device-TLB enable (translation requests allowed)
//   bit 3        PASIDE       PASID enable (requests with PASID allowed)
//   bit 4        PRE          page request enable
//   bits 8:5     reserved
//   bits 11:9    PDTS         PASID directory size: 2^(PDTS + 7) entries
//   bits 63:12   PASIDDIRPTR  PASID directory pointer (HAW-1:12; above reserved)
//   bits 83:64   RID_PASID    PASID used for requests without PASID
//   bit 84       RID_PRIV     privilege of requests without PASID (1 = supervisor)
//   bits 127:85  reserved
//   bits 255:128 reserved
// Positions as Linux drivers/iommu/intel/pasid.h (is_pasid_enabled: lo bit 3,
// get_pasid_dir_size: lo bits 11:9) and QEMU intel_iommu_internal.h
// (VTD_SM_CONTEXT_ENTRY_RID2PASID_MASK 0xfffff in qword 1, reserved masks
// 0x1e0 | ~HAW in qword 0 and 0xffffffffffe00000 in qword 1).
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

inline constexpr unsigned kSmContextEntryBytes = 32;

struct SmContextEntry {
  bool present = false;
  bool fpd = false;
  bool dte = false;
  bool paside = false;
  bool pre = false;
  uint8_t pdts = 0;         // 3 bits
  Addr pasid_dir_ptr = 0;   // 4 KiB aligned
  uint32_t rid_pasid = 0;   // 20 bits
  bool rid_priv = false;
  bool reserved_nonzero = false;  // meaningful when present

  // q[0..3] are the four qwords, q[0] at the lowest address.
  static SmContextEntry decode(const uint64_t q[4], unsigned haw);
  static uint64_t reserved_mask(unsigned qword, unsigned haw);  // per qword 0..3

  // Number of PASID-directory entries (2^(PDTS+7)) and the largest PASID the
  // directory covers (each directory entry covers 64 PASIDs).
  uint32_t pasid_dir_entries() const { return uint32_t{1} << (pdts + 7u); }
  uint32_t max_pasid() const {
    const uint64_t n = uint64_t{pasid_dir_entries()} * 64;
    return static_cast<uint32_t>((n > (uint64_t{1} << 20) ? (uint64_t{1} << 20) : n) - 1);
  }

  // Encoders: reserved bits 0, fields truncated to their widths.
  uint64_t q0() const;
  uint64_t q1() const;
  uint64_t q2() const { return 0; }
  uint64_t q3() const { return 0; }
};

}  // namespace iommusim
