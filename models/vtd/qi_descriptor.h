// Queued-invalidation descriptors (VT-d 4.x section 6.5.2): decoder and
// encoders, plain C++ (no SystemC).
//
// Software writes descriptors into the invalidation queue (IQA_REG); the unit
// fetches them at IQH and acts on them. Each descriptor is 128 bits
// (IQA.DW = 0) or 256 bits (IQA.DW = 1). Common to all types (6.5.2):
//
//   bits 3:0    Type[3:0]
//   bits 11:9   Type[6:4]   (rev 3.0+; 0 for every type defined so far)
//
// The type is the 7-bit value Type[6:4]:Type[3:0]. Layouts per type (bit
// numbers within the qword named; q0 = bits 63:0, q1 = bits 127:64, ...):
//
// 0x1 Context-cache invalidate (6.5.2.1)
//   q0  5:4 G (01 global, 10 domain, 11 device; 00 reserved)  8:6 rsvd
//       15:12 rsvd  31:16 DID  47:32 SID  49:48 FM  63:50 rsvd
//   q1  reserved
// 0x2 IOTLB invalidate (6.5.2.2)
//   q0  5:4 G (01 global, 10 domain, 11 page; 00 reserved)  6 DW  7 DR
//       8 rsvd  15:12 rsvd  31:16 DID  63:32 rsvd
//   q1  5:0 AM  6 IH  11:7 rsvd  63:12 ADDR[63:12]
// 0x3 Device-TLB invalidate (6.5.2.5)
//   q0  8:4 rsvd  15:12 PFSID[3:0]  20:16 MIP  31:21 rsvd  47:32 SID
//       51:48 rsvd  63:52 PFSID[15:4]
//   q1  0 S  11:1 rsvd  63:12 ADDR[63:12]
// 0x4 Interrupt-entry-cache invalidate (6.5.2.6)
//   q0  4 G (0 global, 1 index-selective)  8:5 rsvd  26:12 rsvd  31:27 IM
//       47:32 IIDX  63:48 rsvd
//   q1  reserved
// 0x5 Invalidation wait (6.5.2.8)
//   q0  4 IF  5 SW  6 FN  7 PD (reserved unless ECAP.PDS)  8 rsvd
//       31:12 rsvd  63:32 Status Data
//   q1  1:0 rsvd  63:2 Status Address[63:2]
// 0x6 PASID-based-IOTLB invalidate (6.5.2.4)
//   q0  5:4 G (10 all non-global within PASID, 11 page-selective within PASID;
//       00/01 reserved)  8:6 rsvd  15:12 rsvd  31:16 DID  51:32 PASID
//       63:52 rsvd
//   q1  5:0 AM  6 IH  11:7 rsvd  63:12 ADDR[63:12]
// 0x7 PASID-cache invalidate (6.5.2.3)
//   q0  5:4 G (00 domain, 01 PASID-selective, 11 global; 10 reserved)
//       8:6 rsvd  15:12 rsvd  31:16 DID  51:32 PASID  63:52 rsvd
//   q1  reserved
// 0x8 PASID-based-device-TLB invalidate (6.5.2.7)
//   q0  8:4 MIP  15:12 PFSID[3:0]  31:16 SID  51:32 PASID  63:52 PFSID[15:4]
//   q1  0 G (all PASIDs)  10:1 rsvd  11 S  63:12 ADDR[63:12]
//
// In 256-bit mode q2 and q3 are reserved for all of these types. (The only
// type whose upper half carries data is the page group response descriptor,
// type 0x9, 7.x, which needs ECAP.PRS; this model does not support it and
// treats type 0x9 as invalid.) Types 0x6..0x8 are 256-bit descriptors: they
// are invalid in a 128-bit queue.
//
// A descriptor is invalid (the QI engine reports IQE, 6.5.2.10 / FSTS.IQE) when
// its type is undefined or not supported by the unit (QiCaps), when any
// reserved bit is set, or when a field holds a reserved encoding (the G values
// marked reserved above; reported as ReservedBits).
//
// Not checked here (the unit applies them): DID bits above CAP.ND's width, AM
// above CAP.MAMV, IM above ECAP.MHMV, address bits above MGAW/HAW, DR/DW on
// units without CAP.DRD/DWD (ignored, not reserved), address alignment to AM.
//
// Representation: one flat struct holding the union of all types' fields; a
// field not used by `type` is left at its default (0/false/first enumerator),
// so decoded descriptors compare equal to hand-built ones. Each type has its
// own granularity member so the encodings stay typed.
#pragma once
#include <array>
#include <cstdint>

#include "common/types.h"
#include "vtd/invalidation_granularity.h"

namespace iommusim {

struct UnitFeatures;

inline constexpr unsigned kQiDescriptorBytes128 = 16;
inline constexpr unsigned kQiDescriptorBytes256 = 32;

enum class QiType : uint8_t {
  ContextCache = 0x1,
  Iotlb = 0x2,
  DeviceTlb = 0x3,
  InterruptEntryCache = 0x4,
  Wait = 0x5,
  PasidIotlb = 0x6,
  PasidCache = 0x7,
  PasidDeviceTlb = 0x8,
};

// IEC descriptor G (6.5.2.6).
enum class IecGranularity : uint8_t { Global = 0, Index = 1 };
// PASID-based-IOTLB descriptor G (6.5.2.4); 0 and 1 are reserved.
enum class PasidIotlbGranularity : uint8_t { AllInPasid = 2, PageInPasid = 3 };
// PASID-cache descriptor G (6.5.2.3); 2 is reserved.
enum class PasidCacheGranularity : uint8_t { Domain = 0, Pasid = 1, Global = 3 };

struct QiDescriptor {
  QiType type = QiType::Wait;

  // Per-type granularity (only the one matching `type` is meaningful).
  ContextGranularity cc_granularity = ContextGranularity::Global;      // 0x1
  IotlbGranularity iotlb_granularity = IotlbGranularity::Global;      // 0x2
  IecGranularity iec_granularity = IecGranularity::Global;            // 0x4
  PasidIotlbGranularity piotlb_granularity = PasidIotlbGranularity::AllInPasid;  // 0x6
  PasidCacheGranularity pc_granularity = PasidCacheGranularity::Domain;          // 0x7

  uint16_t did = 0;     // 0x1, 0x2, 0x6, 0x7
  uint16_t sid = 0;     // 0x1, 0x3, 0x8: source-id (bus:dev.fn)
  uint8_t fm = 0;       // 0x1: function mask, 2 bits
  uint16_t pfsid = 0;   // 0x3, 0x8: physical-function source-id
  uint8_t mip = 0;      // 0x3, 0x8: max invalidations pending, 5 bits
  uint32_t pasid = 0;   // 0x6, 0x7, 0x8: 20 bits
  Addr addr = 0;        // 0x2, 0x3, 0x6, 0x8: bits 63:12 (4 KiB aligned)
  uint8_t am = 0;       // 0x2, 0x6: address mask, 6 bits (2^am pages)
  bool ih = false;      // 0x2, 0x6: invalidation hint (leaf entries only)
  bool dr = false;      // 0x2: drain reads
  bool dw = false;      // 0x2: drain writes
  bool size = false;    // 0x3, 0x8: S, the range is encoded in addr's low bits
  bool global = false;  // 0x8: G, invalidate for all PASIDs of the device
  uint16_t iidx = 0;    // 0x4: interrupt index
  uint8_t im = 0;       // 0x4: index mask, 5 bits (2^im entries)
  bool intr = false;    // 0x5: IF, raise the invalidation completion event
  bool sw = false;      // 0x5: SW, write status_data to status_addr
  bool fn = false;      // 0x5: FN, fence
  bool pd = false;      // 0x5: PD, page-request drain
  uint32_t status_data = 0;  // 0x5
  Addr status_addr = 0;      // 0x5: 4-byte aligned

  bool operator==(const QiDescriptor& o) const;
  bool operator!=(const QiDescriptor& o) const { return !(*this == o); }
};

// Which descriptor types the unit accepts. Context-cache, IOTLB and wait
// descriptors are always accepted (ECAP.QI is implied by having a queue).
struct QiCaps {
  bool device_tlb = true;             // ECAP.DT: type 0x3 (and 0x8 with pasid_types)
  bool interrupt_entry_cache = true;  // ECAP.IR: type 0x4
  bool pasid_types = false;           // ECAP.SMTS: types 0x6, 0x7, 0x8
  bool page_request_drain = false;    // ECAP.PDS: wait descriptor PD bit allowed

  bool supports(QiType t) const;
  // device_tlb = DT, interrupt_entry_cache = IR, pasid_types = SMTS,
  // page_request_drain = false (ECAP.PDS is not modelled).
  static QiCaps from_features(const UnitFeatures& f);
};

enum class QiDecodeError { None, InvalidType, ReservedBits };

struct QiDecode {
  QiDecodeError error = QiDecodeError::None;
  QiDescriptor desc;          // valid when error == None; desc.type set when known
  const char* reason = "";    // short human-readable cause when error != None
  bool ok() const { return error == QiDecodeError::None; }
};

// The 7-bit type field: Type[6:4] (q0 bits 11:9) : Type[3:0] (q0 bits 3:0).
inline constexpr uint8_t qi_type_code(uint64_t q0) {
  return static_cast<uint8_t>((q0 & 0xf) | (((q0 >> 9) & 0x7) << 4));
}

// Decodes one descriptor. In 128-bit mode (width_256 = false) only q[0] and
// q[1] are read; q[2], q[3] are never touched and may be anything.
QiDecode decode_qi_descriptor(const uint64_t q[4], bool width_256, const QiCaps& caps);

// Reserved-bit masks of q0 / q1 for a type (q2, q3 are all reserved in 256-bit
// mode). `pds` selects the wait descriptor's PD bit as allowed. Type bits are
// never in the masks.
uint64_t qi_reserved_mask_q0(QiType t, bool pds = false);
uint64_t qi_reserved_mask_q1(QiType t);

// Encodes a descriptor: fields truncated to their widths, reserved bits 0,
// q2 = q3 = 0 (so the result serves both widths; write 16 or 32 bytes).
std::array<uint64_t, 4> encode(const QiDescriptor& d);

const char* to_string(QiType t);
const char* to_string(QiDecodeError e);

}  // namespace iommusim
