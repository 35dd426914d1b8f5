// Time-keeping of one initiator thread (docs/architecture.md, "Timing").
//
// An initiator computes when it wants to issue (its local time) and calls
// advance_to() before issuing. With quantum 0 the thread waits until that time,
// so requests from all initiators reach shared resources in time order: the
// reference. With quantum > 0 the thread runs ahead of SystemC time and only
// waits once it is a whole quantum or more ahead (temporal decoupling); the
// request is then issued with the remaining offset as its annotated delay.
#pragma once
#include <systemc>

#include "common/sc_time_conv.h"
#include "common/types.h"

namespace iommusim {

class LocalClock {
 public:
  explicit LocalClock(Tick quantum_ps) : quantum_(quantum_ps) {}

  // Call from an SC_THREAD. After it returns, issue with delay = t - now_tick().
  void advance_to(Tick t) {
    const Tick now = now_tick();
    if (t <= now) return;
    if (quantum_ == 0 || t - now >= quantum_) sc_core::wait(to_sc_time(t - now));
  }

  Tick quantum() const { return quantum_; }

 private:
  Tick quantum_;
};

}  // namespace iommusim
