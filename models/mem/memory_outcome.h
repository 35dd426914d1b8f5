// What the memory controller did with a request, for the requester's own
// records (the endpoint's transaction log gives the host-physical address a
// DMA reached). A TLM extension the requester attaches when it wants to know
// and the memory controller fills in: memory knows nothing of PCIe, and the
// request's PCIe attributes (common/pcie_attr.h) stay request attributes.
// `accepted` tells the root complex when memory took the request, the time
// its inbound-queue entry frees (pcie/inbound_queue.h).
#pragma once
#include <tlm>

#include "common/types.h"

namespace iommusim {

struct MemoryOutcome : tlm::tlm_extension<MemoryOutcome> {
  bool reached = false;  // the memory side (LLC or memory controller) performed the access (b_transport)
  Addr addr = 0;         // host-physical address of its first byte
  Tick accepted = 0;     // when the memory side (LLC or memory controller) took the request (absolute)

  void reset() {
    reached = false;
    addr = 0;
    accepted = 0;
  }

  tlm::tlm_extension_base* clone() const override { return new MemoryOutcome(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const MemoryOutcome&>(other);
  }
};

}  // namespace iommusim
