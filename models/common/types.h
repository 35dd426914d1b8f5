// Basic scalar types shared by every model.
#pragma once
#include <cmath>
#include <cstdint>

namespace iommusim {

// Simulated time in picoseconds. Pure-C++ model logic (timelines, DRAM timing,
// caches) works in Tick so that it can be tested without SystemC; the SystemC
// shells convert with to_tick()/to_sc_time() from sc_time_conv.h.
using Tick = std::uint64_t;

constexpr Tick kPsPerNs = 1000;

// A time in (fractional) nanoseconds as Ticks, by the project's one rounding
// rule (to the nearest picosecond, halves away from zero; ns >= 0), the rule
// ConfigNode::time_ns also follows.
inline Tick ticks_from_ns(double ns) { return static_cast<Tick>(std::llround(ns * double(kPsPerNs))); }

// A clock period in ps from a frequency in MHz (e.g. 1000 MHz -> 1000 ps).
inline Tick period_from_mhz(double mhz) { return static_cast<Tick>(1e6 / mhz + 0.5); }

// Host physical / IO virtual addresses: the full 64-bit space is representable,
// models check their own width limits (52-bit physical by default).
using Addr = std::uint64_t;

}  // namespace iommusim
