// The PCIe attributes of a request, carried on tlm_generic_payload as an
// extension (PCIe Base Specification: Requester ID, PASID TLP prefix, Address
// Type field, tag), and the outcome fields that the IOMMU and the interrupt
// controller fill in for the requester's log (the memory controller reports
// through its own extension, mem/memory_outcome.h).
#pragma once
#include <cstdint>

#include <tlm>

#include "common/bdf.h"
#include "common/types.h"

namespace iommusim {

// PCIe TLP header Address Type (AT) field.
enum class AddressType : std::uint8_t {
  Untranslated = 0,       // 00b
  TranslationRequest = 1, // 01b (ATS)
  Translated = 2,         // 10b
};

struct PcieAttr : tlm::tlm_extension<PcieAttr> {
  // Request attributes (set by the requester).
  Bdf requester;
  bool has_pasid = false;
  std::uint32_t pasid = 0;  // 20 bits
  bool priv = false;        // privileged-mode requested (PASID prefix)
  bool exec = false;        // execute requested (PASID prefix)
  AddressType at = AddressType::Untranslated;
  std::uint16_t tag = 0;
  // A downstream ATS Invalidate Request message (PCIe 10.3.1) rather than a
  // memory request; `requester` then names the function it is routed to.
  bool ats_invalidate = false;

  // Outcome (filled in on the way back).
  std::uint8_t fault_reason = 0;   // VT-d fault reason when the IOMMU blocked it (0: none)
  bool interrupt_delivered = false;  // an interrupt message reached the interrupt controller
  std::uint32_t vector = 0, dest = 0;
  Tick credit_return = 0;  // set by the root complex: when its inbound buffer took this TLP and returned the credit (absolute, 0: not set)

  void reset_outcome() {
    fault_reason = 0;
    interrupt_delivered = false;
    vector = dest = 0;
    credit_return = 0;
  }

  tlm::tlm_extension_base* clone() const override { return new PcieAttr(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const PcieAttr&>(other);
  }
};

}  // namespace iommusim
