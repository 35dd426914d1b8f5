// A one-shot "you may start" signal between SystemC threads: the host
// driver opens it when bring-up is done, and the endpoints' DMA engines wait
// for it before their first request, as devices are only started by their
// drivers once the IOMMU is set up. Trace times then count from the moment
// the gate opened.
#pragma once
#include <cstdint>

#include <systemc>

namespace iommusim {

class StartGate {
 public:
  void open() {
    if (open_) return;
    open_ = true;
    opened_at_ = sc_core::sc_time_stamp().value();
    ev_.notify(sc_core::SC_ZERO_TIME);
  }
  bool is_open() const { return open_; }
  // When it opened, in ps: the origin of the run's trace times.
  uint64_t opened_at() const { return opened_at_; }
  // From an SC_THREAD: returns once the gate is open.
  void wait_open() {
    while (!open_) sc_core::wait(ev_);
  }

 private:
  bool open_ = false;
  uint64_t opened_at_ = 0;
  sc_core::sc_event ev_;
};

}  // namespace iommusim
