#include "platform/simulation_params.h"

namespace iommusim {

SimulationParams SimulationParams::from_config(ConfigNode n, const std::string& base_dir) {
  SimulationParams p;
  p.quantum_ps = n.time_ns("quantum_ns", 0, 0, 1e9);
  p.seed = n.u64("seed", 1);
  p.end_ps = n.time_ns("end_ns", 0, 0, 1e15);
  p.trace = n.str("trace", "");
  if (!p.trace.empty() && p.trace[0] != '/' && !base_dir.empty()) p.trace = base_dir + "/" + p.trace;
  // (An output: relative to the working directory, like --out.)
  p.record_trace = n.str("record_trace", "");
  return p;
}

}  // namespace iommusim
