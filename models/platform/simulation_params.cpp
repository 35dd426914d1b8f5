#include "platform/simulation_params.h"

#include <cmath>

namespace iommusim {

SimulationParams SimulationParams::from_config(ConfigNode n, const std::string& base_dir) {
  SimulationParams p;
  p.quantum_ps = static_cast<Tick>(std::llround(n.real("quantum_ns", 0, 0, 1e9) * 1000));
  p.seed = n.u64("seed", 1);
  p.end_ps = static_cast<Tick>(std::llround(n.real("end_ns", 0, 0, 1e15) * 1000));
  p.trace = n.str("trace", "");
  if (!p.trace.empty() && p.trace[0] != '/' && !base_dir.empty()) p.trace = base_dir + "/" + p.trace;
  // (An output: relative to the working directory, like --out.)
  p.record_trace = n.str("record_trace", "");
  return p;
}

}  // namespace iommusim
