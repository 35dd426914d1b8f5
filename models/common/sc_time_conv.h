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


}  // namespace iommusim
