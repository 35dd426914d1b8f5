#include "pcie/size_distribution.h"

#include <fmt/format.h>

namespace iommusim {

SizeDistribution::SizeDistribution(std::vector<std::pair<std::uint64_t, std::uint64_t>> bins) : bins_(std::move(bins)) {
  for (const auto& b : bins_) total_ += b.second;
}

SizeDistribution SizeDistribution::from_config(ConfigNode& n, const std::string& key, std::uint64_t def,
                                               std::uint64_t max) {
  switch (n.kind(key)) {
    case ConfigNode::Kind::List:
      n.fail(key, "expected a size, 'imix' or {histogram: [\"SIZE:WEIGHT\", ...]}, got a list");
    case ConfigNode::Kind::Absent:
      return fixed(n.u64(key, def, 1, max));
    case ConfigNode::Kind::Scalar: {
      if (n.str(key, "") == "imix") return imix();
      return fixed(n.u64(key, def, 1, max));
    }
    case ConfigNode::Kind::Map: {
      ConfigNode h = n.child(key);
      const std::vector<std::string> entries = h.str_list("histogram");
      if (entries.empty()) h.fail("histogram", "expected at least one \"SIZE:WEIGHT\" entry");
      std::vector<std::pair<std::uint64_t, std::uint64_t>> bins;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto colon = entries[i].find(':');
        const auto size = colon == std::string::npos ? std::nullopt : parse_config_u64(entries[i].substr(0, colon));
        const auto weight = colon == std::string::npos ? std::nullopt : parse_config_u64(entries[i].substr(colon + 1));
        if (!size || !weight || *size < 1 || *size > max || *weight < 1)
          h.fail("histogram", fmt::format("element {}: expected \"SIZE:WEIGHT\" with 1 <= SIZE <= {} and WEIGHT >= "
                                          "1, got '{}'",
                                          i, max, entries[i]));
        bins.emplace_back(*size, *weight);
        std::uint64_t total = 0;
        for (const auto& b : bins)
          if (__builtin_add_overflow(total, b.second, &total))
            h.fail("histogram", "the weights add up to more than 2^64 - 1");
      }
      return SizeDistribution(std::move(bins));
    }
  }
  return fixed(def);
}

std::uint64_t SizeDistribution::draw(std::uint64_t r) const {
  if (bins_.size() == 1) return bins_.front().first;
  std::uint64_t x = r % total_;
  for (const auto& b : bins_) {
    if (x < b.second) return b.first;
    x -= b.second;
  }
  return bins_.back().first;
}

std::uint64_t SizeDistribution::max() const {
  std::uint64_t m = 0;
  for (const auto& b : bins_) m = std::max(m, b.first);
  return m;
}

}  // namespace iommusim
