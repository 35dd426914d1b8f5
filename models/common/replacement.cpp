#include "common/replacement.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace iommusim {

std::optional<ReplacementPolicy> parse_replacement(std::string_view name) {
  if (name == "lru") return ReplacementPolicy::Lru;
  if (name == "plru") return ReplacementPolicy::TreePlru;
  if (name == "fifo") return ReplacementPolicy::Fifo;
  if (name == "random") return ReplacementPolicy::Random;
  return std::nullopt;
}

const char* replacement_name(ReplacementPolicy policy) {
  switch (policy) {
    case ReplacementPolicy::Lru: return "lru";
    case ReplacementPolicy::TreePlru: return "plru";
    case ReplacementPolicy::Fifo: return "fifo";
    case ReplacementPolicy::Random: return "random";
  }
  return "?";
}

ReplacementState::ReplacementState(ReplacementPolicy policy, std::size_t sets, std::size_t ways,
                                   std::uint64_t seed)
    : policy_(policy), sets_(sets), ways_(ways), rng_(seed) {
  if (sets == 0) throw std::invalid_argument("replacement needs at least 1 set, got 0");
  if (ways == 0) throw std::invalid_argument("replacement needs at least 1 way, got 0");
  if (ways >= kNone) {
    throw std::invalid_argument("replacement supports fewer than 2^32-1 ways, got " +
                                std::to_string(ways));
  }
  switch (policy_) {
    case ReplacementPolicy::Lru:
    case ReplacementPolicy::Fifo:
      prev_.resize(sets_ * ways_);
      next_.resize(sets_ * ways_);
      lru_end_.resize(sets_);
      mru_end_.resize(sets_);
      break;
    case ReplacementPolicy::TreePlru:
      if ((ways & (ways - 1)) != 0) {
        throw std::invalid_argument("plru needs a power-of-two number of ways, got " +
                                    std::to_string(ways));
      }
      while ((std::size_t{1} << levels_) < ways_) ++levels_;
      bits_.resize(sets_ * (ways_ - 1));
      break;
    case ReplacementPolicy::Random:
      break;
  }
  reset();
}

void ReplacementState::reset() {
  switch (policy_) {
    case ReplacementPolicy::Lru:
    case ReplacementPolicy::Fifo:
      // Way 0 at the LRU end, way ways-1 at the MRU end.
      for (std::size_t s = 0; s < sets_; ++s) {
        const std::size_t base = s * ways_;
        for (std::size_t w = 0; w < ways_; ++w) {
          prev_[base + w] = w == 0 ? kNone : static_cast<std::uint32_t>(w - 1);
          next_[base + w] = w + 1 == ways_ ? kNone : static_cast<std::uint32_t>(w + 1);
        }
        lru_end_[s] = 0;
        mru_end_[s] = static_cast<std::uint32_t>(ways_ - 1);
      }
      break;
    case ReplacementPolicy::TreePlru:
      std::fill(bits_.begin(), bits_.end(), std::uint8_t{0});
      break;
    case ReplacementPolicy::Random:
      break;
  }
}

void ReplacementState::unlink(std::size_t set, std::uint32_t way) {
  const std::size_t base = set * ways_;
  const std::uint32_t p = prev_[base + way];
  const std::uint32_t n = next_[base + way];
  if (p != kNone) {
    next_[base + p] = n;
  } else {
    lru_end_[set] = n;
  }
  if (n != kNone) {
    prev_[base + n] = p;
  } else {
    mru_end_[set] = p;
  }
}

void ReplacementState::push_mru_end(std::size_t set, std::uint32_t way) {
  const std::size_t base = set * ways_;
  const std::uint32_t old = mru_end_[set];
  prev_[base + way] = old;
  next_[base + way] = kNone;
  if (old != kNone) {
    next_[base + old] = way;
  } else {
    lru_end_[set] = way;
  }
  mru_end_[set] = way;
}

void ReplacementState::push_lru_end(std::size_t set, std::uint32_t way) {
  const std::size_t base = set * ways_;
  const std::uint32_t old = lru_end_[set];
  next_[base + way] = old;
  prev_[base + way] = kNone;
  if (old != kNone) {
    prev_[base + old] = way;
  } else {
    mru_end_[set] = way;
  }
  lru_end_[set] = way;
}

void ReplacementState::plru_point(std::size_t set, std::size_t way, bool away) {
  std::uint8_t* bits = bits_.data() + set * (ways_ - 1);
  std::size_t node = 0;
  for (unsigned level = 0; level < levels_; ++level) {
    const std::size_t dir = (way >> (levels_ - 1 - level)) & 1;  // 0 left, 1 right
    bits[node] = static_cast<std::uint8_t>(away ? dir ^ 1 : dir);
    node = 2 * node + 1 + dir;
  }
}

void ReplacementState::touch(std::size_t set, std::size_t way) {
  switch (policy_) {
    case ReplacementPolicy::Lru: {
      const auto w = static_cast<std::uint32_t>(way);
      if (mru_end_[set] != w) {
        unlink(set, w);
        push_mru_end(set, w);
      }
      break;
    }
    case ReplacementPolicy::TreePlru:
      plru_point(set, way, true);
      break;
    case ReplacementPolicy::Fifo:
    case ReplacementPolicy::Random:
      break;
  }
}

void ReplacementState::fill(std::size_t set, std::size_t way) {
  switch (policy_) {
    case ReplacementPolicy::Lru:
    case ReplacementPolicy::Fifo: {
      const auto w = static_cast<std::uint32_t>(way);
      if (mru_end_[set] != w) {
        unlink(set, w);
        push_mru_end(set, w);
      }
      break;
    }
    case ReplacementPolicy::TreePlru:
      plru_point(set, way, true);
      break;
    case ReplacementPolicy::Random:
      break;
  }
}

void ReplacementState::invalidate(std::size_t set, std::size_t way) {
  switch (policy_) {
    case ReplacementPolicy::Lru:
    case ReplacementPolicy::Fifo: {
      const auto w = static_cast<std::uint32_t>(way);
      if (lru_end_[set] != w) {
        unlink(set, w);
        push_lru_end(set, w);
      }
      break;
    }
    case ReplacementPolicy::TreePlru:
      plru_point(set, way, false);
      break;
    case ReplacementPolicy::Random:
      break;
  }
}

std::size_t ReplacementState::victim(std::size_t set) {
  if (ways_ == 1) return 0;
  switch (policy_) {
    case ReplacementPolicy::Lru:
    case ReplacementPolicy::Fifo:
      return lru_end_[set];
    case ReplacementPolicy::TreePlru: {
      const std::uint8_t* bits = bits_.data() + set * (ways_ - 1);
      std::size_t node = 0;
      std::size_t way = 0;
      for (unsigned level = 0; level < levels_; ++level) {
        const std::size_t dir = bits[node];
        way = 2 * way + dir;
        node = 2 * node + 1 + dir;
      }
      return way;
    }
    case ReplacementPolicy::Random:
      return static_cast<std::size_t>(rng_.next() % ways_);
  }
  return 0;
}

std::vector<std::size_t> ReplacementState::order(std::size_t set) const {
  std::vector<std::size_t> out;
  if (policy_ != ReplacementPolicy::Lru && policy_ != ReplacementPolicy::Fifo) return out;
  const std::size_t base = set * ways_;
  for (std::uint32_t w = lru_end_[set]; w != kNone; w = next_[base + w]) out.push_back(w);
  return out;
}

bool ReplacementState::plru_bit(std::size_t set, std::size_t node) const {
  return bits_.at(set * (ways_ - 1) + node) != 0;
}

}  // namespace iommusim
