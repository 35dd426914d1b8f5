#include "iommu/iotlb.h"

#include <algorithm>

namespace iommusim {

IotlbParams IotlbParams::from_config(ConfigNode n) {
  IotlbParams p;
  p.split = n.choice("organization", "unified", {"unified", "split"}) == "split";
  if (p.split) {
    p.size_4k = CacheParams::from_config(n.child("size_4k"), p.size_4k);
    p.size_2m = CacheParams::from_config(n.child("size_2m"), p.size_2m);
    p.size_1g = CacheParams::from_config(n.child("size_1g"), p.size_1g);
  } else {
    p.unified = CacheParams::from_config(n, p.unified);
  }
  return p;
}

unsigned IotlbParams::latency_cycles() const {
  return split ? std::max({size_4k.latency_cycles, size_2m.latency_cycles, size_1g.latency_cycles})
               : unified.latency_cycles;
}

namespace {

std::unique_ptr<Iotlb::Array> make_array(const CacheParams& c, std::uint64_t seed) {
  return std::make_unique<Iotlb::Array>(c.entries, c.ways, c.policy, seed,
                                        [](const IotlbKey& k) { return static_cast<std::size_t>(k.vpn); });
}

}  // namespace

Iotlb::Iotlb(const IotlbParams& p, std::uint64_t seed) : p_(p) {
  if (p.split) {
    arrays_[0] = make_array(p.size_4k, seed);
    arrays_[1] = make_array(p.size_2m, seed + 1);
    arrays_[2] = make_array(p.size_1g, seed + 2);
  } else {
    arrays_[0] = make_array(p.unified, seed);
  }
}

const IotlbEntry* Iotlb::lookup(std::uint16_t did, Addr iova, Tick* ready, std::uint32_t pasid) {
  for (unsigned shift : {30u, 21u, 12u}) {
    // A size never inserted cannot hit: its probe is left out (it would
    // change nothing but the array's own miss count, which nothing reads).
    if (!(sizes_inserted_ & (1u << slot(shift)))) continue;
    if (const IotlbEntry* e =
            array_for(shift).lookup({did, static_cast<std::uint8_t>(shift), pasid, iova >> shift}, ready)) {
      ++hits_;
      ++size_hits_[slot(shift)];
      return e;
    }
  }
  ++misses_;
  return nullptr;
}

void Iotlb::insert(std::uint16_t did, Addr iova, const IotlbEntry& e, Tick ready, std::uint32_t pasid) {
  sizes_inserted_ |= 1u << slot(e.shift);
  array_for(e.shift).insert({did, e.shift, pasid, iova >> e.shift}, e, ready);
}

template <class Pred>
std::size_t Iotlb::invalidate(Pred pred, std::size_t* examined) {
  std::size_t removed = 0, looked = 0;
  for (auto& a : arrays_) {
    if (!a) continue;
    std::size_t n = 0;
    removed += a->invalidate_if(pred, &n);
    looked += n;
  }
  if (examined) *examined = looked;
  return removed;
}

std::size_t Iotlb::invalidate_global(std::size_t* examined) {
  return invalidate([](const IotlbKey&, const IotlbEntry&) { return true; }, examined);
}

std::size_t Iotlb::invalidate_domain(std::uint16_t did, std::size_t* examined) {
  return invalidate([did](const IotlbKey& k, const IotlbEntry&) { return k.did == did; }, examined);
}

std::size_t Iotlb::invalidate_pages(std::uint16_t did, Addr addr, unsigned am, std::size_t* examined) {
  const unsigned range_shift = 12 + am;
  const Addr first = range_shift >= 64 ? 0 : (addr >> range_shift) << range_shift;
  const Addr last = range_shift >= 64 ? ~Addr(0) : first + ((Addr(1) << range_shift) - 1);
  return invalidate(
      [&](const IotlbKey& k, const IotlbEntry&) {
        if (k.did != did) return false;
        const Addr base = k.vpn << k.shift;
        const Addr end = base + ((Addr(1) << k.shift) - 1);
        return base <= last && first <= end;
      },
      examined);
}

std::size_t Iotlb::invalidate_pasid(std::uint16_t did, std::uint32_t pasid, std::size_t* examined) {
  return invalidate([=](const IotlbKey& k, const IotlbEntry&) { return k.did == did && k.pasid == pasid; },
                    examined);
}

std::size_t Iotlb::invalidate_pasid_pages(std::uint16_t did, std::uint32_t pasid, Addr addr, unsigned am,
                                          std::size_t* examined) {
  const unsigned range_shift = 12 + am;
  const Addr first = range_shift >= 64 ? 0 : (addr >> range_shift) << range_shift;
  const Addr last = range_shift >= 64 ? ~Addr(0) : first + ((Addr(1) << range_shift) - 1);
  return invalidate(
      [&](const IotlbKey& k, const IotlbEntry&) {
        if (k.did != did || k.pasid != pasid) return false;
        const Addr base = k.vpn << k.shift;
        return base <= last && first <= base + ((Addr(1) << k.shift) - 1);
      },
      examined);
}

std::size_t Iotlb::size() const {
  std::size_t n = 0;
  for (const auto& a : arrays_)
    if (a) n += a->size();
  return n;
}

}  // namespace iommusim
