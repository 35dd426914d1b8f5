// Fuzzes the queued-invalidation descriptor decoder (models/vtd/qi_descriptor.*).
// Input: 1 byte of options (width, unit capabilities), then the descriptor's
// qwords (2 in 128-bit mode, 4 in 256-bit mode).
//
// Invariants:
//  * in 128-bit mode the decoder reads only q[0] and q[1] (the harness gives
//    it a heap array of exactly two qwords, so ASan catches a read of q[2]);
//  * a descriptor that decodes re-encodes to exactly the input qwords (it had
//    no reserved bit set, and every other bit is a field), and the encoding
//    decodes to the same descriptor;
//  * a descriptor refused for ReservedBits has a bit of the type's reserved
//    masks set (or, in 256-bit mode, of q2/q3), or a reserved G encoding; one
//    refused for InvalidType has a type the unit does not support;
//  * the decode is a function of the qwords (decoding twice agrees).
#include <cstdint>
#include <memory>

#include "fuzz_check.h"
#include "vtd/qi_descriptor.h"

using namespace iommusim;

namespace {

// The granularity field at q0 bits 5:4 (q0 bit 4 for the IEC descriptor).
bool reserved_granularity(QiType t, uint64_t q0) {
  const unsigned g = (q0 >> 4) & 3;
  switch (t) {
    case QiType::ContextCache:
    case QiType::Iotlb: return g == 0;
    case QiType::PasidIotlb: return g < 2;
    case QiType::PasidCache: return g == 2;
    default: return false;
  }
}

bool known_type(uint8_t code) { return code >= 1 && code <= 8; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iommusim_fuzz::ByteSource in(data, size);
  const uint8_t opt = in.u8();
  const bool w256 = opt & 1;
  QiCaps caps;
  caps.device_tlb = opt & 2;
  caps.interrupt_entry_cache = opt & 4;
  caps.pasid_types = opt & 8;
  caps.page_request_drain = opt & 16;
  const unsigned n = w256 ? 4 : 2;
  std::unique_ptr<uint64_t[]> q(new uint64_t[n]);
  for (unsigned i = 0; i < n; ++i) q[i] = in.u64();

  const QiDecode d = decode_qi_descriptor(q.get(), w256, caps);
  const QiDecode d2 = decode_qi_descriptor(q.get(), w256, caps);
  FUZZ_CHECK(d.error == d2.error && (!d.ok() || d.desc == d2.desc), "decode is not deterministic");

  const uint8_t code = qi_type_code(q[0]);
  if (d.ok()) {
    FUZZ_CHECK(uint8_t(d.desc.type) == code, "decoded type %u, field says %u", unsigned(d.desc.type), code);
    FUZZ_CHECK(caps.supports(d.desc.type), "accepted an unsupported type %u", code);
    const auto e = encode(d.desc);
    for (unsigned i = 0; i < n; ++i)
      FUZZ_CHECK(e[i] == q[i], "type %u: qword %u re-encodes to %#llx, input %#llx", code, i,
                 (unsigned long long)e[i], (unsigned long long)q[i]);
    uint64_t eq[4] = {e[0], e[1], e[2], e[3]};
    const QiDecode back = decode_qi_descriptor(eq, w256, caps);
    FUZZ_CHECK(back.ok() && back.desc == d.desc, "the encoding does not decode to the same descriptor");
    return 0;
  }
  if (d.error == QiDecodeError::InvalidType) {
    const bool pasid_type = code >= 6 && code <= 8;
    FUZZ_CHECK(!known_type(code) || !caps.supports(QiType(code)) || (pasid_type && !w256),
               "type %u refused as invalid: %s", code, d.reason);
  } else {
    FUZZ_CHECK(d.error == QiDecodeError::ReservedBits, "unknown error");
    FUZZ_CHECK(known_type(code), "unknown type %u refused for reserved bits", code);
    const QiType t = QiType(code);
    const bool rsvd = (q[0] & qi_reserved_mask_q0(t, caps.page_request_drain)) || (q[1] & qi_reserved_mask_q1(t)) ||
                      (w256 && (q[2] || q[3])) || reserved_granularity(t, q[0]);
    FUZZ_CHECK(rsvd, "type %u refused for reserved bits, none set: %s", code, d.reason);
  }
  return 0;
}
