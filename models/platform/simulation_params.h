// The `simulation` section of a configuration.
#pragma once
#include <cstdint>
#include <string>

#include "common/config.h"
#include "common/types.h"

namespace iommusim {

struct SimulationParams {
  Tick quantum_ps = 0;     // 0: synchronise after every transaction (the reference)
  std::uint64_t seed = 1;  // seeds every generator and random replacement policy
  Tick end_ps = 0;         // stop at this simulated time; 0: when all sources are done
  std::string trace;       // trace file (relative to the config file), "" for none
  std::string record_trace;  // write the workloads' requests here as trace-v1 ("" = no)

  static SimulationParams from_config(ConfigNode n, const std::string& base_dir);
};

}  // namespace iommusim
