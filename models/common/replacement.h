// Replacement policies for set-associative caches (IOTLB, context cache, PASID
// cache, paging-structure caches, device TLBs).
//
// ReplacementState keeps the policy state of every set of one cache in flat
// arrays and dispatches on the policy with a switch (no virtual call per
// access). The cache calls
//   touch(set, way)      on a hit (and when an entry is rewritten in place),
//   fill(set, way)       when a way receives a new entry,
//   invalidate(set, way) when a way's entry is removed,
//   victim(set)          to choose the way to evict when every way is valid.
// Invalid ways are filled by the cache itself, lowest index first, so victim()
// is only asked about full sets. A set of one way always answers 0 (without
// drawing a random number).
//
// Policies:
//
// * Lru: true least-recently-used. Each set is a doubly linked list of its ways
//   from the least recently used (the victim) to the most recently used; touch
//   and fill move a way to the MRU end, invalidate moves it to the LRU end.
//   O(1) per operation for any number of ways.
//
// * Fifo: the same list, but touch() does not move a way: the victim is the
//   way filled longest ago, hits are ignored.
//
// * TreePlru: tree pseudo-LRU, ways must be a power of two. A set of W ways has
//   W-1 node bits in heap order (node n has children 2n+1 and 2n+2; the leaves
//   below the last level are the ways 0..W-1 from left to right). For 4 ways:
//
//                 b0                node 0
//               /    \              (left child, right child)
//             b1      b2            nodes 1, 2
//            /  \    /  \          (leaves)
//           w0  w1  w2  w3          ways 0..3
//
//   A bit points at the subtree that holds the victim: 0 = left, 1 = right.
//   victim() starts at the root and follows the bits down to a leaf.
//   touch(way) and fill(way) set every bit on the way's path to point AWAY
//   from the way (b = 1 where the way is in the left subtree, 0 where it is in
//   the right one). invalidate(way) sets the bits on its path to point TOWARD
//   it, making it the next victim. Initially (and after reset) all bits are 0,
//   so the first victim is way 0.
//   Example (4 ways): fill w0..w3 in order -> b0=0 b1=0 b2=0; touch w0
//   (b0=1 b1=1), touch w1 (b0=1 b1=0), touch w2 (b0=0 b2=1): the victim is
//   b0=0 -> left, b1=0 -> w0, although true LRU would evict w3.
//
// * Random: victim = splitmix64() % ways, from one stream per cache seeded by
//   the constructor seed (so runs are deterministic). A number is drawn only
//   when a victim is chosen in a set of more than one way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace iommusim {

enum class ReplacementPolicy { Lru, TreePlru, Fifo, Random };

// "lru", "plru", "fifo", "random" (exact, lower case); nullopt otherwise.
std::optional<ReplacementPolicy> parse_replacement(std::string_view name);
// The name parse_replacement() accepts.
const char* replacement_name(ReplacementPolicy policy);

// splitmix64 (Steele, Lea, Flood 2014): state += 0x9e3779b97f4a7c15, then
// z = (z ^ z>>30) * 0xbf58476d1ce4e5b9; z = (z ^ z>>27) * 0x94d049bb133111eb;
// return z ^ z>>31.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed = 1) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

class ReplacementState {
 public:
  // Throws std::invalid_argument if sets or ways is 0, or for TreePlru if ways
  // is not a power of two ("plru needs a power-of-two number of ways, got 6").
  ReplacementState(ReplacementPolicy policy, std::size_t sets, std::size_t ways,
                   std::uint64_t seed = 1);

  ReplacementPolicy policy() const { return policy_; }
  std::size_t sets() const { return sets_; }
  std::size_t ways() const { return ways_; }

  void touch(std::size_t set, std::size_t way);
  void fill(std::size_t set, std::size_t way);
  void invalidate(std::size_t set, std::size_t way);
  // The way to evict from a full set. Not const: Random advances its stream.
  std::size_t victim(std::size_t set);

  // Every set back to its initial state (the random stream is not rewound).
  void reset();

  // Inspection for tests. Lru/Fifo: the ways of `set` from the next victim to
  // the most recently used/filled. Empty for the other policies.
  std::vector<std::size_t> order(std::size_t set) const;
  // TreePlru: node bit `node` (0 .. ways-2) of `set`.
  bool plru_bit(std::size_t set, std::size_t node) const;

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  void unlink(std::size_t set, std::uint32_t way);
  void push_lru_end(std::size_t set, std::uint32_t way);
  void push_mru_end(std::size_t set, std::uint32_t way);
  void plru_point(std::size_t set, std::size_t way, bool away);

  ReplacementPolicy policy_;
  std::size_t sets_;
  std::size_t ways_;
  unsigned levels_ = 0;  // log2(ways) for TreePlru

  // Lru/Fifo: per slot (set * ways + way) list links (way numbers within the
  // set); per set the LRU end (victim) and MRU end.
  std::vector<std::uint32_t> prev_, next_;
  std::vector<std::uint32_t> lru_end_, mru_end_;
  // TreePlru: per set ways-1 node bits.
  std::vector<std::uint8_t> bits_;
  // Random.
  SplitMix64 rng_;
};

}  // namespace iommusim
