// Fuzzes the YAML configuration loader (models/common/config.*) and the
// plain-C++ parameter readers on top of it (simulation, remapping units and
// their scopes, RMRRs, ATSRs). The SystemC modules' readers (memory, links,
// endpoints) need an elaborated platform and are not fuzzed here.
//
// Invariants, for every input:
//  * loading gives a Config or an InputError naming the input
//    ("fuzz.yaml:..." ); reading parameters gives values or an InputError
//    naming the input or a key path; nothing else escapes (no yaml-cpp or
//    JSON exception, no crash);
//  * the loaded document's JSON form (Config::to_json, what config.json is
//    made of) serialises, and re-loads as YAML to the same JSON;
//  * the *effective* configuration (defaults written back by the readers)
//    re-loads from its JSON dump, reads without error, and gives the same
//    effective JSON again; the parameters read are the same.
#include <cstdint>
#include <string>

#include "common/config.h"
#include "common/error.h"
#include "fuzz_check.h"
#include "iommu/unit_params.h"
#include "platform/rmrr_atsr.h"
#include "platform/simulation_params.h"
#include "platform/unit_scope.h"

using namespace iommusim;
using iommusim_fuzz::starts_with;

namespace {

// A one-line summary of what the readers return, compared across re-loads.
std::string read_params(Config& c) {
  ConfigNode root = c.root();
  std::string out;
  const SimulationParams sp = SimulationParams::from_config(root.child("simulation"), "");
  out += std::to_string(sp.quantum_ps) + "," + std::to_string(sp.seed) + "," + std::to_string(sp.end_ps) + "," +
         sp.trace + "," + sp.record_trace + ";";
  ConfigNode plat = root.child("platform");
  for (ConfigNode u : plat.list("iommus")) {
    const RemappingUnitParams p = RemappingUnitParams::from_config(u, 52);
    out += p.name + "," + std::to_string(p.reg_base) + "," + std::to_string(p.features.haw) + "," +
           std::to_string(p.features.nfr) + "," + std::to_string(p.iotlb.unified.entries) + "," +
           std::to_string(p.walker_slots) + ";";
    const UnitScope s = UnitScope::from_config(u.child("scope"));
    out += std::to_string(s.segment) + "," + std::to_string(s.include_pci_all) + "," +
           std::to_string(s.devices.size()) + "," + std::to_string(s.subtrees.size()) + ";";
  }
  for (ConfigNode r : plat.list("rmrrs")) {
    const RmrrRegion m = RmrrRegion::from_config(r);
    out += std::to_string(m.base) + "-" + std::to_string(m.limit) + ";";
  }
  for (ConfigNode a : plat.list("atsrs")) {
    const AtsrPorts p = AtsrPorts::from_config(a);
    out += std::to_string(p.all_ports) + "," + std::to_string(p.ports.size()) + ";";
  }
  return out;
}

bool names_input(const std::string& msg) {
  return starts_with(msg, "fuzz.yaml") || starts_with(msg, "effective.json") || starts_with(msg, "--set");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Config c = Config::empty();
  try {
    c = Config::from_string(text, "fuzz.yaml");
  } catch (const InputError& e) {
    FUZZ_CHECK(names_input(e.what()), "load error does not name the input: %s", e.what());
    return 0;
  }

  // The document as JSON, and back.
  const nlohmann::ordered_json j0 = c.to_json();
  std::string dump0;
  try {
    dump0 = j0.dump(2);
  } catch (const nlohmann::json::exception& e) {
    FUZZ_CHECK(false, "the configuration's JSON form does not serialise: %s", e.what());
  }
  Config c0 = Config::empty();
  try {
    c0 = Config::from_string(dump0, "effective.json");
  } catch (const InputError& e) {
    FUZZ_CHECK(false, "the JSON dump does not re-load: %s\n%s", e.what(), dump0.c_str());
  }
  FUZZ_CHECK(c0.to_json() == j0, "the JSON dump re-loads differently:\n%s\nvs\n%s", dump0.c_str(),
             c0.to_json().dump(2).c_str());

  // The effective configuration, and back.
  std::string p1;
  try {
    p1 = read_params(c);
  } catch (const InputError& e) {
    FUZZ_CHECK(names_input(e.what()), "parameter error does not name the input: %s", e.what());
    return 0;
  }
  const nlohmann::ordered_json j1 = c.to_json();
  const std::string dump1 = j1.dump(2);
  Config c2 = Config::empty();
  std::string p2;
  try {
    c2 = Config::from_string(dump1, "effective.json");
    p2 = read_params(c2);
  } catch (const InputError& e) {
    FUZZ_CHECK(false, "the effective configuration does not re-load: %s\n%s", e.what(), dump1.c_str());
  }
  FUZZ_CHECK(p1 == p2, "parameters differ after re-load: %s vs %s", p1.c_str(), p2.c_str());
  FUZZ_CHECK(c2.to_json() == j1, "effective configuration differs after re-load:\n%s\nvs\n%s", dump1.c_str(),
             c2.to_json().dump(2).c_str());
  return 0;
}
