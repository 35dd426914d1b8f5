#include "platform/bridges.h"

#include <string>

#include <fmt/format.h>

namespace iommusim {

std::map<Bdf, Bridge> read_bridges(ConfigNode plat) {
  std::map<Bdf, Bridge> out;
  for (ConfigNode b : plat.list("bridges")) {
    const std::string text = b.required_str("bdf");
    auto bdf = parse_bdf(text);
    if (!bdf) b.fail("bdf", fmt::format("expected a PCI requester ID BB:DD.F, got '{}'", text));
    Bridge br;
    if (!b.has("secondary")) b.fail("secondary", "required: the bridge's secondary bus number (1..255)");
    br.secondary = static_cast<std::uint8_t>(b.u64("secondary", 1, 1, 255));
    br.subordinate = static_cast<std::uint8_t>(b.u64("subordinate", br.secondary, br.secondary, 255));
    br.acs = b.boolean("acs", true);
    out[*bdf] = br;
  }
  return out;
}

}  // namespace iommusim
