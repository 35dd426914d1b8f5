// Queued-invalidation descriptor decoder/encoders (VT-d 6.5.2). Layouts and
// the rules applied are in qi_descriptor.h.
#include "vtd/qi_descriptor.h"

#include "vtd/cap_ecap.h"

namespace iommusim {

namespace {

constexpr uint64_t bits(unsigned hi, unsigned lo) {
  return ((hi == 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi + 1)) - 1)) >> lo) << lo;
}
constexpr uint64_t field(uint64_t v, unsigned hi, unsigned lo) {
  return (v & bits(hi, lo)) >> lo;
}
constexpr uint64_t put(uint64_t v, unsigned hi, unsigned lo) {
  return (v << lo) & bits(hi, lo);
}

constexpr uint64_t kAll = ~uint64_t{0};
constexpr uint64_t kPageMask = bits(63, 12);

// q0 reserved bits per type (6.5.2.1 - 6.5.2.8). Bits 3:0 and 11:9 (the type)
// are never included.
constexpr uint64_t kCcRsvd0 = bits(8, 6) | bits(15, 12) | bits(63, 50);
constexpr uint64_t kIotlbRsvd0 = bits(8, 8) | bits(15, 12) | bits(63, 32);
constexpr uint64_t kIotlbRsvd1 = bits(11, 7);
constexpr uint64_t kDevTlbRsvd0 = bits(8, 4) | bits(31, 21) | bits(51, 48);
constexpr uint64_t kDevTlbRsvd1 = bits(11, 1);
constexpr uint64_t kIecRsvd0 = bits(8, 5) | bits(26, 12) | bits(63, 48);
constexpr uint64_t kWaitRsvd0 = bits(8, 8) | bits(31, 12);  // + bit 7 without PDS
constexpr uint64_t kWaitPd = uint64_t{1} << 7;
constexpr uint64_t kWaitRsvd1 = bits(1, 0);
constexpr uint64_t kPiotlbRsvd0 = bits(8, 6) | bits(15, 12) | bits(63, 52);
constexpr uint64_t kPiotlbRsvd1 = bits(11, 7);
constexpr uint64_t kPcRsvd0 = bits(8, 6) | bits(15, 12) | bits(63, 52);
constexpr uint64_t kPdevTlbRsvd0 = 0;
constexpr uint64_t kPdevTlbRsvd1 = bits(10, 1);

static_assert(kCcRsvd0 == 0xfffc00000000f1c0ull, "CC q0 mask");
static_assert(kIotlbRsvd0 == 0xffffffff0000f100ull && kIotlbRsvd1 == 0xf80, "IOTLB masks");
static_assert(kDevTlbRsvd0 == 0x000f0000ffe001f0ull && kDevTlbRsvd1 == 0xffe, "dev-TLB masks");
static_assert(kIecRsvd0 == 0xffff000007fff1e0ull, "IEC q0 mask");
static_assert(kWaitRsvd0 == 0xfffff100ull, "wait q0 mask");
static_assert(kPiotlbRsvd0 == 0xfff000000000f1c0ull, "P-IOTLB q0 mask");
static_assert(kPdevTlbRsvd1 == 0x7fe, "P-dev-TLB q1 mask");

bool is_pasid_type(QiType t) {
  return t == QiType::PasidIotlb || t == QiType::PasidCache || t == QiType::PasidDeviceTlb;
}

uint16_t decode_pfsid(uint64_t q0) {
  return static_cast<uint16_t>(field(q0, 15, 12) | (field(q0, 63, 52) << 4));
}
uint64_t encode_pfsid(uint16_t pfsid) {
  return put(pfsid & 0xf, 15, 12) | put(pfsid >> 4, 63, 52);
}

QiDecode fail(QiDecodeError e, const char* why, QiType t = QiType::Wait) {
  QiDecode r;
  r.error = e;
  r.reason = why;
  r.desc.type = t;
  return r;
}

}  // namespace

bool QiDescriptor::operator==(const QiDescriptor& o) const {
  return type == o.type && cc_granularity == o.cc_granularity &&
         iotlb_granularity == o.iotlb_granularity && iec_granularity == o.iec_granularity &&
         piotlb_granularity == o.piotlb_granularity && pc_granularity == o.pc_granularity &&
         did == o.did && sid == o.sid && fm == o.fm && pfsid == o.pfsid && mip == o.mip &&
         pasid == o.pasid && addr == o.addr && am == o.am && ih == o.ih && dr == o.dr &&
         dw == o.dw && size == o.size && global == o.global && iidx == o.iidx && im == o.im &&
         intr == o.intr && sw == o.sw && fn == o.fn && pd == o.pd &&
         status_data == o.status_data && status_addr == o.status_addr;
}

bool QiCaps::supports(QiType t) const {
  switch (t) {
    case QiType::ContextCache:
    case QiType::Iotlb:
    case QiType::Wait:
      return true;
    case QiType::DeviceTlb:
      return device_tlb;
    case QiType::InterruptEntryCache:
      return interrupt_entry_cache;
    case QiType::PasidIotlb:
    case QiType::PasidCache:
      return pasid_types;
    case QiType::PasidDeviceTlb:
      return pasid_types && device_tlb;
  }
  return false;
}

QiCaps QiCaps::from_features(const UnitFeatures& f) {
  QiCaps c;
  c.device_tlb = f.dt;
  c.interrupt_entry_cache = f.ir;
  c.pasid_types = f.smts;
  c.page_request_drain = false;
  return c;
}

uint64_t qi_reserved_mask_q0(QiType t, bool pds) {
  switch (t) {
    case QiType::ContextCache: return kCcRsvd0;
    case QiType::Iotlb: return kIotlbRsvd0;
    case QiType::DeviceTlb: return kDevTlbRsvd0;
    case QiType::InterruptEntryCache: return kIecRsvd0;
    case QiType::Wait: return kWaitRsvd0 | (pds ? 0 : kWaitPd);
    case QiType::PasidIotlb: return kPiotlbRsvd0;
    case QiType::PasidCache: return kPcRsvd0;
    case QiType::PasidDeviceTlb: return kPdevTlbRsvd0;
  }
  return kAll;
}

uint64_t qi_reserved_mask_q1(QiType t) {
  switch (t) {
    case QiType::ContextCache: return kAll;
    case QiType::Iotlb: return kIotlbRsvd1;
    case QiType::DeviceTlb: return kDevTlbRsvd1;
    case QiType::InterruptEntryCache: return kAll;
    case QiType::Wait: return kWaitRsvd1;
    case QiType::PasidIotlb: return kPiotlbRsvd1;
    case QiType::PasidCache: return kAll;
    case QiType::PasidDeviceTlb: return kPdevTlbRsvd1;
  }
  return kAll;
}

QiDecode decode_qi_descriptor(const uint64_t q[4], bool width_256, const QiCaps& caps) {
  const uint64_t q0 = q[0], q1 = q[1];
  const uint8_t code = qi_type_code(q0);
  if (code < 0x1 || code > 0x8) return fail(QiDecodeError::InvalidType, "undefined descriptor type");
  const auto t = static_cast<QiType>(code);
  if (!caps.supports(t)) return fail(QiDecodeError::InvalidType, "descriptor type not supported", t);
  if (is_pasid_type(t) && !width_256)
    return fail(QiDecodeError::InvalidType, "256-bit descriptor type in a 128-bit queue", t);

  if (q0 & qi_reserved_mask_q0(t, caps.page_request_drain))
    return fail(QiDecodeError::ReservedBits, "reserved bit set in bits 63:0", t);
  if (q1 & qi_reserved_mask_q1(t))
    return fail(QiDecodeError::ReservedBits, "reserved bit set in bits 127:64", t);
  if (width_256 && (q[2] | q[3]))
    return fail(QiDecodeError::ReservedBits, "reserved bit set in bits 255:128", t);

  QiDecode r;
  QiDescriptor& d = r.desc;
  d.type = t;
  const auto g = static_cast<uint8_t>(field(q0, 5, 4));
  switch (t) {
    case QiType::ContextCache:  // 6.5.2.1
      if (g == 0) return fail(QiDecodeError::ReservedBits, "reserved context-cache granularity", t);
      d.cc_granularity = static_cast<ContextGranularity>(g);
      d.did = static_cast<uint16_t>(field(q0, 31, 16));
      d.sid = static_cast<uint16_t>(field(q0, 47, 32));
      d.fm = static_cast<uint8_t>(field(q0, 49, 48));
      break;
    case QiType::Iotlb:  // 6.5.2.2
      if (g == 0) return fail(QiDecodeError::ReservedBits, "reserved IOTLB granularity", t);
      d.iotlb_granularity = static_cast<IotlbGranularity>(g);
      d.dw = field(q0, 6, 6);
      d.dr = field(q0, 7, 7);
      d.did = static_cast<uint16_t>(field(q0, 31, 16));
      d.am = static_cast<uint8_t>(field(q1, 5, 0));
      d.ih = field(q1, 6, 6);
      d.addr = q1 & kPageMask;
      break;
    case QiType::DeviceTlb:  // 6.5.2.5
      d.pfsid = decode_pfsid(q0);
      d.mip = static_cast<uint8_t>(field(q0, 20, 16));
      d.sid = static_cast<uint16_t>(field(q0, 47, 32));
      d.size = field(q1, 0, 0);
      d.addr = q1 & kPageMask;
      break;
    case QiType::InterruptEntryCache:  // 6.5.2.6
      d.iec_granularity = field(q0, 4, 4) ? IecGranularity::Index : IecGranularity::Global;
      d.im = static_cast<uint8_t>(field(q0, 31, 27));
      d.iidx = static_cast<uint16_t>(field(q0, 47, 32));
      break;
    case QiType::Wait:  // 6.5.2.8
      d.intr = field(q0, 4, 4);
      d.sw = field(q0, 5, 5);
      d.fn = field(q0, 6, 6);
      d.pd = field(q0, 7, 7);
      d.status_data = static_cast<uint32_t>(field(q0, 63, 32));
      d.status_addr = q1 & bits(63, 2);
      break;
    case QiType::PasidIotlb:  // 6.5.2.4
      if (g < 2) return fail(QiDecodeError::ReservedBits, "reserved PASID-IOTLB granularity", t);
      d.piotlb_granularity = static_cast<PasidIotlbGranularity>(g);
      d.did = static_cast<uint16_t>(field(q0, 31, 16));
      d.pasid = static_cast<uint32_t>(field(q0, 51, 32));
      d.am = static_cast<uint8_t>(field(q1, 5, 0));
      d.ih = field(q1, 6, 6);
      d.addr = q1 & kPageMask;
      break;
    case QiType::PasidCache:  // 6.5.2.3
      if (g == 2) return fail(QiDecodeError::ReservedBits, "reserved PASID-cache granularity", t);
      d.pc_granularity = static_cast<PasidCacheGranularity>(g);
      d.did = static_cast<uint16_t>(field(q0, 31, 16));
      d.pasid = static_cast<uint32_t>(field(q0, 51, 32));
      break;
    case QiType::PasidDeviceTlb:  // 6.5.2.7
      d.mip = static_cast<uint8_t>(field(q0, 8, 4));
      d.pfsid = decode_pfsid(q0);
      d.sid = static_cast<uint16_t>(field(q0, 31, 16));
      d.pasid = static_cast<uint32_t>(field(q0, 51, 32));
      d.global = field(q1, 0, 0);
      d.size = field(q1, 11, 11);
      d.addr = q1 & kPageMask;
      break;
  }
  return r;
}

std::array<uint64_t, 4> encode(const QiDescriptor& d) {
  uint64_t q0 = static_cast<uint64_t>(d.type) & 0xf;  // every defined type < 0x10
  uint64_t q1 = 0;
  switch (d.type) {
    case QiType::ContextCache:
      q0 |= put(static_cast<uint64_t>(d.cc_granularity), 5, 4) | put(d.did, 31, 16) |
            put(d.sid, 47, 32) | put(d.fm, 49, 48);
      break;
    case QiType::Iotlb:
      q0 |= put(static_cast<uint64_t>(d.iotlb_granularity), 5, 4) | put(d.dw, 6, 6) |
            put(d.dr, 7, 7) | put(d.did, 31, 16);
      q1 = put(d.am, 5, 0) | put(d.ih, 6, 6) | (d.addr & kPageMask);
      break;
    case QiType::DeviceTlb:
      q0 |= encode_pfsid(d.pfsid) | put(d.mip, 20, 16) | put(d.sid, 47, 32);
      q1 = put(d.size, 0, 0) | (d.addr & kPageMask);
      break;
    case QiType::InterruptEntryCache:
      q0 |= put(d.iec_granularity == IecGranularity::Index, 4, 4) | put(d.im, 31, 27) |
            put(d.iidx, 47, 32);
      break;
    case QiType::Wait:
      q0 |= put(d.intr, 4, 4) | put(d.sw, 5, 5) | put(d.fn, 6, 6) | put(d.pd, 7, 7) |
            put(d.status_data, 63, 32);
      q1 = d.status_addr & bits(63, 2);
      break;
    case QiType::PasidIotlb:
      q0 |= put(static_cast<uint64_t>(d.piotlb_granularity), 5, 4) | put(d.did, 31, 16) |
            put(d.pasid, 51, 32);
      q1 = put(d.am, 5, 0) | put(d.ih, 6, 6) | (d.addr & kPageMask);
      break;
    case QiType::PasidCache:
      q0 |= put(static_cast<uint64_t>(d.pc_granularity), 5, 4) | put(d.did, 31, 16) |
            put(d.pasid, 51, 32);
      break;
    case QiType::PasidDeviceTlb:
      q0 |= put(d.mip, 8, 4) | encode_pfsid(d.pfsid) | put(d.sid, 31, 16) | put(d.pasid, 51, 32);
      q1 = put(d.global, 0, 0) | put(d.size, 11, 11) | (d.addr & kPageMask);
      break;
  }
  return {q0, q1, 0, 0};
}

const char* to_string(QiType t) {
  switch (t) {
    case QiType::ContextCache: return "context-cache";
    case QiType::Iotlb: return "iotlb";
    case QiType::DeviceTlb: return "device-tlb";
    case QiType::InterruptEntryCache: return "iec";
    case QiType::Wait: return "wait";
    case QiType::PasidIotlb: return "pasid-iotlb";
    case QiType::PasidCache: return "pasid-cache";
    case QiType::PasidDeviceTlb: return "pasid-device-tlb";
  }
  return "?";
}

const char* to_string(QiDecodeError e) {
  switch (e) {
    case QiDecodeError::None: return "none";
    case QiDecodeError::InvalidType: return "invalid type";
    case QiDecodeError::ReservedBits: return "reserved bits";
  }
  return "?";
}

}  // namespace iommusim
