// An error that a SystemC thread meets during a run (a host driver that
// cannot go on, say): the thread records it and stops the simulation, and
// the caller of sc_start() rethrows it, so it reaches the user as the same
// one-line error as bad input found before the run.
#pragma once
#include <exception>

#include <systemc>

namespace iommusim {

class RunError {
 public:
  // From a thread: keeps the first error and stops the simulation.
  void fail(std::exception_ptr e) {
    if (!error_) error_ = e;
    sc_core::sc_stop();
  }
  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::exception_ptr error_;
};

}  // namespace iommusim
