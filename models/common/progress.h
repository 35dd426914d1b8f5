// Progress line on stderr for long runs: simulated time, transactions done and
// the wall-clock rate, refreshed at most twice a second. Enabled by the
// command-line program only when stderr is a terminal, so that logs and
// captured output stay clean and runs stay byte-identical.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "common/sc_time_conv.h"

namespace iommusim {

class Progress {
 public:
  void enable() {
    enabled_ = true;
    start_ = last_ = std::chrono::steady_clock::now();
  }

  void transaction_done() {
    ++done_;
    if (!enabled_ || (done_ & 4095) != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double wall = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r[iommusim] sim %.3f us, %llu transactions, %.0f transactions/s   ",
                 static_cast<double>(now_tick()) / 1e6, static_cast<unsigned long long>(done_),
                 wall > 0 ? static_cast<double>(done_) / wall : 0.0);
    std::fflush(stderr);
    printed_ = true;
  }

  // Ends the progress line (if one was printed).
  void finish() {
    if (printed_) std::fputc('\n', stderr);
    printed_ = false;
  }

  std::uint64_t done() const { return done_; }

 private:
  bool enabled_ = false;
  bool printed_ = false;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace iommusim
