#include "iommu/unit_params.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "iommu/rtl_walker.h"

namespace iommusim {

UnitFeatures default_unit_features(unsigned haw) {
  UnitFeatures f;
  f.haw = haw;
  f.sagaw = 0xC;  // 48-bit 4-level and 57-bit 5-level
  f.mgaw = 57;
  f.sp_2m = f.sp_1g = true;
  f.pt = true;
  f.sc = true;
  f.psi = true;
  f.mamv = 18;
  f.nfr = 8;
  f.nd = 6;
  f.cm = false;
  f.plmr = f.phmr = true;
  f.qi = true;
  f.ir = f.eim = f.pi = true;  // interrupt remapping, x2APIC mode, posted interrupts
  f.mhmv = 15;
  f.dt = true;  // Device-TLBs (ATS), legacy mode
  f.dwd = f.drd = true;  // draining is immediate here: every request completes inside b_transport
  assign_register_layout(f);
  return f;
}


const char* walker_kind_name(WalkerKind k) {
  switch (k) {
    case WalkerKind::Rtl:
      return "rtl";
    case WalkerKind::Both:
      return "both";
    default:
      return "tlm";
  }
}

namespace {

// `key`: an integer in [min, max], or `unlimited`, as
// OrderingParams::kUnlimited; `def` (default: unlimited) when absent.
unsigned limit_or_unlimited(ConfigNode& n, const std::string& key, unsigned min, unsigned max,
                            unsigned def = OrderingParams::kUnlimited) {
  const std::string text = n.str(key, def == OrderingParams::kUnlimited ? "unlimited" : std::to_string(def));
  if (text == "unlimited") return OrderingParams::kUnlimited;
  const std::optional<std::uint64_t> v = parse_config_u64(text);
  if (!v || *v < min || *v > max)
    n.fail(key, fmt::format("expected an integer in [{}, {}] or 'unlimited', got {}", min, max, text));
  return static_cast<unsigned>(*v);
}

// The ordering rules of one map (`ordering`, or one of its class blocks),
// each key defaulting to `def`'s value.
OrderingParams ordering_from_config(ConfigNode& n, const OrderingParams& def) {
  OrderingParams o;
  o.hit_under_miss = limit_or_unlimited(n, "hit_under_miss", 0, 65535, def.hit_under_miss);
  o.misses = limit_or_unlimited(n, "misses", 1, 65535, def.misses);
  o.in_order = n.boolean("in_order", def.in_order);
  return o;
}

// Paging-structure caches: the cache map's keys for every level, and a map
// per level by the specification's names (VT-d 6.2.4) with its own entries,
// ways and policy, each defaulting to the common value.
PscParams psc_from_config(ConfigNode n, const CacheParams& def) {
  const CacheParams all = CacheParams::from_config(n, def);
  PscParams p(all);
  static const char* const kLevelKey[kPscMaxLevel + 1] = {"", "", "pde", "pdpte", "pml4e", "pml5e"};
  for (unsigned l = kPscMinLevel; l <= kPscMaxLevel; ++l) {
    ConfigNode c = n.child(kLevelKey[l]);
    CacheParams& lp = p.level[l];
    lp.entries = c.u64("entries", all.entries, 1, 1u << 24);
    lp.ways = c.u64("ways", all.ways, 0, lp.entries);
    if (lp.ways != 0 && lp.entries % lp.ways != 0)
      c.fail("ways", fmt::format("expected a divisor of entries ({}), got {}", lp.entries, lp.ways));
    lp.policy =
        *parse_replacement(c.choice("policy", replacement_name(all.policy), {"lru", "plru", "fifo", "random"}));
    const std::size_t w = lp.ways == 0 ? lp.entries : lp.ways;
    if (lp.policy == ReplacementPolicy::TreePlru && (w & (w - 1)) != 0)
      c.fail("policy", fmt::format("plru needs a power-of-two number of ways, got {}", w));
  }
  return p;
}

}  // namespace

RemappingUnitParams RemappingUnitParams::from_config(ConfigNode n, unsigned address_width) {
  RemappingUnitParams p;
  p.name = n.instance_name("name", "iommu0");
  p.reg_base = n.u64("reg_base", p.reg_base, 0, (1ull << address_width) - 1);
  if (p.reg_base & 0xfff) n.fail("reg_base", fmt::format("expected a 4 KiB aligned address, got {:#x}", p.reg_base));

  if (n.has("cap") || n.has("ecap")) {
    if (!n.has("cap") || !n.has("ecap")) n.fail(n.has("cap") ? "cap" : "ecap", "cap and ecap must be given together");
    const std::uint64_t cap = n.u64("cap", 0), ecap = n.u64("ecap", 0);
    try {
      p.features = features_from_raw(cap, ecap);
    } catch (const InputError& e) {
      n.fail("cap", e.what());
    }
    p.features.haw = static_cast<unsigned>(n.u64("haw", std::min(address_width, 52u), 32, 52));
  } else {
    ConfigNode f = n.child("features");
    UnitFeatures d = default_unit_features(std::min(address_width, 52u));  // VT-d HAW is at most 52
    UnitFeatures& u = p.features;
    u = d;
    u.haw = static_cast<unsigned>(f.u64("haw", d.haw, 32, 52));
    u.mgaw = static_cast<unsigned>(f.u64("mgaw", d.mgaw, 21, 64));
    u.sagaw = static_cast<unsigned>(f.u64("sagaw", d.sagaw, 1, 0x1f));
    u.sp_2m = f.boolean("sp_2m", d.sp_2m);
    u.sp_1g = f.boolean("sp_1g", d.sp_1g);
    u.pt = f.boolean("pt", d.pt);
    u.psi = f.boolean("psi", d.psi);
    u.mamv = static_cast<unsigned>(f.u64("mamv", d.mamv, 0, 63));
    u.nfr = static_cast<unsigned>(f.u64("nfr", d.nfr, 1, 256));
    u.nd = static_cast<unsigned>(f.u64("nd", d.nd, 0, 6));
    u.cm = f.boolean("cm", d.cm);
    u.rwbf = f.boolean("rwbf", d.rwbf);
    u.sc = f.boolean("sc", d.sc);
    u.qi = f.boolean("qi", d.qi);
    u.dt = f.boolean("dt", d.dt);
    u.plmr = f.boolean("plmr", d.plmr);
    u.ir = f.boolean("ir", d.ir);
    u.eim = f.boolean("eim", u.ir && d.eim);
    u.pi = f.boolean("pi", u.ir && d.pi);
    u.mhmv = static_cast<unsigned>(f.u64("mhmv", d.mhmv, 0, 15));
    u.esirtps = f.boolean("esirtps", d.esirtps);
    u.esrtps = f.boolean("esrtps", d.esrtps);
    u.phmr = f.boolean("phmr", d.phmr);
    // Scalable mode (VT-d 3.x scalable-mode translation, 9.4-9.7 structures).
    u.smts = f.boolean("smts", d.smts);
    u.flts = f.boolean("flts", u.smts);
    u.slts = f.boolean("slts", u.smts);
    u.nest = f.boolean("nest", u.smts);
    u.pasid = f.boolean("pasid", u.smts);
    u.pss = static_cast<unsigned>(f.u64("pss", u.pasid ? 19 : 0, 0, 19));
    u.fl1gp = f.boolean("fl1gp", u.flts);
    u.fl5lp = f.boolean("fl5lp", u.flts);
    assign_register_layout(u);
    try {
      validate_features(u);
    } catch (const InputError& e) {
      f.fail("", e.what());
    }
  }
  p.clock_mhz = n.real("clock_mhz", p.clock_mhz, 1, 100000);
  p.pipeline_cycles = static_cast<unsigned>(n.u64("pipeline_cycles", p.pipeline_cycles, 0, 10000));
  p.reg_cycles = static_cast<unsigned>(n.u64("reg_cycles", p.reg_cycles, 0, 10000));
  p.walker_slots = static_cast<unsigned>(n.u64("walker_slots", p.walker_slots, 1, 1024));
  p.memory_latency_ps = n.time_ns("memory_latency_ns", 0, 0, 100000);
  ConfigNode ord = n.child("ordering");
  p.ordering = ordering_from_config(ord, OrderingParams{});
  // Class blocks: read (and written back) only when one is given, so that a
  // configuration without them stays as it was.
  if (ord.has("posted") || ord.has("non_posted")) {
    p.ordering_class.emplace();
    for (const RequestClass c : {RequestClass::Posted, RequestClass::NonPosted}) {
      ConfigNode cn = ord.child(request_class_name(c));
      (*p.ordering_class)[static_cast<std::size_t>(c)] = ordering_from_config(cn, p.ordering);
    }
  }
  const std::string walker = n.choice("walker", "tlm", {"tlm", "rtl", "both"});
  p.walker = walker == "rtl" ? WalkerKind::Rtl : walker == "both" ? WalkerKind::Both : WalkerKind::Tlm;
  if (p.walker != WalkerKind::Tlm && !rtl_walker_built())
    n.fail("walker", fmt::format("'{}' needs the RTL walker, and this build of iommusim has none (it was "
                                 "configured with -DIOMMUSIM_RTL=OFF or without Verilator); use 'tlm'",
                                 walker));
  ConfigNode qi = n.child("qi");
  p.qi_descriptor_cycles = static_cast<unsigned>(qi.u64("descriptor_cycles", p.qi_descriptor_cycles, 0, 1'000'000));
  p.qi_entry_cycles = static_cast<unsigned>(qi.u64("entry_cycles", p.qi_entry_cycles, 0, 1'000'000));
  p.devtlb_timeout_ps = qi.time_ns("devtlb_timeout_ns", double(p.devtlb_timeout_ps) / 1000, 1, 1e12);
  p.ir_cycles = static_cast<unsigned>(n.u64("ir_cycles", p.ir_cycles, 0, 10000));
  p.context_cache = CacheParams::from_config(n.child("context_cache"), p.context_cache);
  p.iec = CacheParams::from_config(n.child("iec"), p.iec);
  p.pasid_cache = CacheParams::from_config(n.child("pasid_cache"), p.pasid_cache);
  p.iotlb = IotlbParams::from_config(n.child("iotlb"));
  p.psc = psc_from_config(n.child("psc"), CacheParams{16, 0, ReplacementPolicy::Lru, 1});
  p.fl_psc = psc_from_config(n.child("fl_psc"), CacheParams{16, 0, ReplacementPolicy::Lru, 1});
  return p;
}

}  // namespace iommusim
