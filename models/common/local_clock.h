// Time-keeping of one initiator thread (docs/architecture.md, "Timing").
//
// An initiator computes when it wants to issue (its local time) and calls
// advance_to() before issuing. With quantum 0 the thread waits until that time,
// so requests from all initiators reach shared resources in time order: the
// reference. With quantum > 0 the thread runs ahead of SystemC time and only
// waits once it is a whole quantum or more ahead (temporal decoupling); the
// request is then issued with the remaining offset as its annotated delay.
//
// Lookahead (quantum 0 only, for initiators whose models take their time from
// the annotated delay): when no other process has anything to do before the
// local time (sc_time_to_pending_activity), nothing can come between now and
// then, so waiting would change nothing but cost a context switch; the thread
// goes on without waiting and owes the time. It must sync() before anything
// that reads SystemC time or waits (a blocking source, the end of its run),
// so that from the outside it is where the reference would be. A run's end
// time (`end_ps`, 0: none) bounds it: the reference never issues at or after it.
#pragma once
#include <algorithm>
#include <systemc>

#include "common/sc_time_conv.h"
#include "common/types.h"

namespace iommusim {

class LocalClock {
 public:
  explicit LocalClock(Tick quantum_ps) : quantum_(quantum_ps) {}
  LocalClock(Tick quantum_ps, bool lookahead, Tick end_ps)
      : quantum_(quantum_ps), lookahead_(lookahead), end_(end_ps ? end_ps : ~Tick{0}) {}

  // Call from an SC_THREAD. After it returns, issue with delay = t - now_tick().
  void advance_to(Tick t) {
    const Tick now = now_tick();
    if (t <= now) return;
    if (quantum_ == 0) {
      if (lookahead_ && t < end_ && t - now < to_tick(sc_core::sc_time_to_pending_activity())) {
        owed_ = std::max(owed_, t);
        return;
      }
      sc_core::wait(to_sc_time(t - now));
      return;
    }
    if (t - now >= quantum_) sc_core::wait(to_sc_time(t - now));
  }

  // Waits until the latest time advance_to() went on without waiting.
  void sync() {
    const Tick now = now_tick();
    if (owed_ > now) sc_core::wait(to_sc_time(owed_ - now));
  }

  Tick quantum() const { return quantum_; }

 private:
  Tick quantum_;
  bool lookahead_ = false;
  Tick end_ = ~Tick{0};
  Tick owed_ = 0;
};

}  // namespace iommusim
