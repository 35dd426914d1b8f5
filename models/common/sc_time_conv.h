// Conversions between SystemC time and Tick (picoseconds). The kernel runs at
// SystemC's default time resolution of 1 ps (checked by Simulation), so one
// sc_time value unit is one Tick and the conversion is exact.
#pragma once
#include <systemc>

#include "common/types.h"

namespace iommusim {

inline Tick to_tick(const sc_core::sc_time& t) {
  return static_cast<Tick>(t.value());
}

inline sc_core::sc_time to_sc_time(Tick ps) { return sc_core::sc_time::from_value(ps); }

inline Tick now_tick() { return to_tick(sc_core::sc_time_stamp()); }

// A clock period in ps from a frequency in MHz (e.g. 1000 MHz -> 1000 ps).
inline Tick period_from_mhz(double mhz) { return static_cast<Tick>(1e6 / mhz + 0.5); }

}  // namespace iommusim
