#include "iommu/unit_stats.h"

#include <string>

#include <fmt/format.h>

namespace iommusim {

RequestStats::RequestStats(const StatsGroup& g)
    : translations(g.counter("translations", "Requests translated (translation enabled)")),
      bypassed(g.counter("bypassed", "Requests forwarded untranslated because translation is disabled")),
      pmr_blocked(g.counter("pmr_blocked", "DMA blocked by a protected memory region (PMEN.EPM)")),
      ats_requests(g.counter("ats.translation_requests", "ATS translation requests (PCIe AT = 01b)")),
      ats_unsupported(g.counter("ats.unsupported",
                                "ATS translation requests answered Unsupported Request (a fault was found)")),
      ats_no_access(g.counter("ats.no_access", "ATS translation completions granting no access (R = W = 0)")),
      latency(g.histogram("translation_latency",
                          "Translation latency of translated requests, arrival to forward or fault (1 Tick = 1 ps)")) {}

namespace {
// One description per ordering statistic, for the totals and the classes.
constexpr const char* kHumStallsDesc =
    "Translations without a walk held back by an outstanding miss of their requester that "
    "ordering.hit_under_miss later requests had already passed";
constexpr const char* kHumWaitDesc = "Time translations were held back by the hit-under-miss limit (1 Tick = 1 ps)";
constexpr const char* kMissStallsDesc = "Page walks delayed because their requester had ordering.misses walks outstanding";
constexpr const char* kMissWaitDesc = "Time page walks waited for the outstanding-miss limit (1 Tick = 1 ps)";
constexpr const char* kOrderStallsDesc = "Translations held back to complete after their requester's previous one";
constexpr const char* kOrderWaitDesc = "Time translations were held back by in-order completion (1 Tick = 1 ps)";
std::string describe(std::optional<RequestClass> c, const char* desc) {
  if (!c) return desc;
  return fmt::format("{}; {} requests only, under their class's rules", desc,
                     *c == RequestClass::Posted ? "posted (memory writes)" : "non-posted (reads, ATS translation requests)");
}
}  // namespace

TranslationStats::OrderingStats::OrderingStats(const StatsGroup& g, std::optional<RequestClass> c)
    : hit_under_miss_stalls(g.counter("hit_under_miss_stalls", describe(c, kHumStallsDesc))),
      hit_under_miss_wait(g.counter("hit_under_miss_wait", describe(c, kHumWaitDesc), "Tick")),
      miss_limit_stalls(g.counter("miss_limit_stalls", describe(c, kMissStallsDesc))),
      miss_limit_wait(g.counter("miss_limit_wait", describe(c, kMissWaitDesc), "Tick")),
      in_order_stalls(g.counter("in_order_stalls", describe(c, kOrderStallsDesc))),
      in_order_wait(g.counter("in_order_wait", describe(c, kOrderWaitDesc), "Tick")) {}

void TranslationStats::add_ordering_classes(const StatsGroup& unit) {
  for (const RequestClass c : {RequestClass::Posted, RequestClass::NonPosted})
    ordering_class[static_cast<std::size_t>(c)] = std::make_unique<OrderingStats>(unit.group(request_class_name(c)), c);
}

namespace {
// Counts one request held back `wait` by a rule, in `stalls` and `total`.
void held(Counter& stalls, Counter& total, Tick wait) {
  ++stalls;
  total += wait;
}
}  // namespace

void TranslationStats::miss_limit(RequestClass c, Tick wait) {
  held(ordering.miss_limit_stalls, ordering.miss_limit_wait, wait);
  if (OrderingStats* s = ordering_class[static_cast<std::size_t>(c)].get())
    held(s->miss_limit_stalls, s->miss_limit_wait, wait);
}

void TranslationStats::hit_under_miss(RequestClass c, Tick wait) {
  held(ordering.hit_under_miss_stalls, ordering.hit_under_miss_wait, wait);
  if (OrderingStats* s = ordering_class[static_cast<std::size_t>(c)].get())
    held(s->hit_under_miss_stalls, s->hit_under_miss_wait, wait);
}

void TranslationStats::in_order(RequestClass c, Tick wait) {
  held(ordering.in_order_stalls, ordering.in_order_wait, wait);
  if (OrderingStats* s = ordering_class[static_cast<std::size_t>(c)].get())
    held(s->in_order_stalls, s->in_order_wait, wait);
}

TranslationStats::TranslationStats(const StatsGroup& g)
    : passthrough(g.counter("passthrough", "Requests forwarded untranslated by a pass-through context (TT=10b)")),
      cc_hits(g.counter("context_cache_hits", "Context-cache hits")),
      cc_misses(g.counter("context_cache_misses", "Context-cache misses")),
      pasid_hits(g.counter("pasid_cache_hits", "Scalable mode: PASID-entry cache hits")),
      pasid_misses(g.counter("pasid_cache_misses", "Scalable mode: PASID-entry cache misses (table lookups)")),
      iotlb_hits(g.counter("iotlb_hits", "IOTLB hits")),
      iotlb_misses(g.counter("iotlb_misses", "IOTLB misses")),
      psc_hits(g.counter("psc_hits", "Paging-structure-cache hits (a walk resumed below the top)")),
      psc_misses(g.counter("psc_misses", "Paging-structure-cache misses (a walk from the top)")),
      fl_walks(g.counter("fl_walks", "Scalable mode: first-level (and nested) walks")),
      fl_psc_hits(g.counter("fl_psc_hits", "First-level walks resumed from a first-level paging-structure cache")),
      context_walks(g.counter("context_walks", "Root and context table lookups")),
      walks(g.counter("walks", "Page walks (second-level, first-level and nested)")),
      walk_reads(g.counter("walk_reads", "Table entries read from memory (context lookups and walks)")),
      walker_wait(g.counter("walker_wait", "Time table lookups waited for a free walker slot (1 Tick = 1 ps)", "Tick")),
      ordering(g, std::nullopt),
      reads_per_walk(g.average("reads_per_walk", "Table entries read per page walk (any kind)")),
      walk_latency(g.histogram("walk_latency",
                               "Page-walk latency (any kind), slot acquired to last entry read (1 Tick = 1 ps)")) {
  static const char* const kSizes[] = {"4k", "2m", "1g"};
  for (unsigned i = 0; i < 3; ++i)
    iotlb_size_hits[i] = &g.counter(fmt::format("iotlb_hits_{}", kSizes[i]), fmt::format("IOTLB hits on {} pages", kSizes[i]));
  g.formula("iotlb_hit_rate", "IOTLB hits per lookup", "Ratio", [this] {
    const double total = double(iotlb_hits.value() + iotlb_misses.value());
    return total == 0 ? 0.0 : double(iotlb_hits.value()) / total;
  });
}

InvalidationStats::InvalidationStats(const StatsGroup& g)
    : cc_invalidations(g.counter("context_invalidations", "Context-cache invalidation commands")),
      iotlb_invalidations(g.counter("iotlb_invalidations", "IOTLB invalidation commands")),
      entries_invalidated(g.counter("entries_invalidated", "Cache entries removed by invalidations")),
      register_invalidations_refused(g.counter("register_invalidations_refused",
                                               "CCMD/IOTLB register requests not carried out because QI is enabled")),
      qi_descriptors(g.counter("qi_descriptors", "Invalidation-queue descriptors processed")),
      qi_errors(g.counter("qi_errors", "Invalidation-queue errors (IQE)")),
      qi_waits(g.counter("qi_waits", "Invalidation wait descriptors processed")),
      devtlb_invalidations(
          g.counter("devtlb_invalidations", "Device-TLB invalidation descriptors (ATS invalidate requests sent)")),
      devtlb_timeouts(g.counter("devtlb_timeouts", "Device-TLB invalidations that timed out (FSTS.ITE)")),
      devtlb_completion_errors(
          g.counter("devtlb_completion_errors", "Device-TLB invalidations answered with an error (FSTS.ICE)")),
      invalidation_events(
          g.counter("invalidation_events", "Invalidation completion interrupts generated (IEDATA to IEADDR)")) {}

namespace {
StatsGroup ir_group(const StatsGroup& unit) { return unit.group("ir"); }
}  // namespace

InterruptRemapStats::InterruptRemapStats(const StatsGroup& unit)
    : forwarded(unit.counter("msis_forwarded", "Device interrupt messages passed on unremapped (IRES = 0)")),
      requests(ir_group(unit).counter("requests",
                                      "Interrupt requests processed with interrupt remapping on (IRES = 1)")),
      remapped(ir_group(unit).counter("remapped", "Interrupt requests remapped through a remapped-format IRTE")),
      posted(ir_group(unit).counter("posted", "Interrupt requests posted through a posted-format IRTE")),
      compat_passed(ir_group(unit).counter("compat_passed", "Compatibility-format interrupts passed on (CFIS = 1)")),
      blocked(ir_group(unit).counter("blocked", "Interrupt requests blocked by an interrupt-remapping fault")),
      faults_recorded(ir_group(unit).counter(
          "faults_recorded", "Interrupt-remapping faults recorded (not suppressed by the IRTE's FPD)")),
      faults_suppressed(ir_group(unit).counter(
          "faults_suppressed", "Qualified interrupt-remapping faults not recorded because the IRTE has FPD = 1")),
      iec_hits(ir_group(unit).counter("iec_hits", "Interrupt entry cache hits")),
      iec_misses(ir_group(unit).counter("iec_misses", "Interrupt entry cache misses (IRTE read from memory)")),
      irte_reads(ir_group(unit).counter("irte_reads", "IRTEs read from the interrupt remapping table")),
      iec_invalidations(ir_group(unit).counter(
          "iec_invalidations", "Interrupt entry cache invalidations (IEC descriptors, SIRTP with ESIRTPS)")),
      notifications(
          ir_group(unit).counter("notifications", "Posted interrupts: notification events sent (NV to NDST)")),
      pid_updates(ir_group(unit).counter("pid_updates", "Posted interrupts: descriptor read-modify-writes")),
      latency(ir_group(unit).histogram("latency",
                                       "Interrupt remapping latency, arrival to delivery or fault (1 Tick = 1 ps)")) {}

FaultStats::FaultStats(const StatsGroup& g)
    : faults(g.counter("faults", "Requests blocked by a translation fault")),
      faults_recorded(g.counter("faults_recorded", "Faults passed to primary fault logging (not suppressed by FPD)")),
      faults_suppressed(
          g.counter("faults_suppressed", "Qualified faults not recorded because the context entry has FPD=1")),
      fault_events(g.counter("fault_events", "Fault event interrupts generated (FEDATA to FEADDR)")) {}

ScopeStats::Scope& ScopeStats::add_domain(std::uint16_t did) {
  const StatsGroup d = g_.group(fmt::format("domain_{}", did));
  Scope s{&d.counter("translations", "Requests of this domain translated"),
          &d.counter("faults", "Requests of this domain that faulted"),
          &d.counter("iotlb_misses", "IOTLB misses of this domain")};
  return domains_.emplace(did, s);
}

ScopeStats::Scope& ScopeStats::add_device(std::uint16_t sid) {
  const StatsGroup d = g_.group(fmt::format("device_{:02x}_{:02x}_{:x}", sid >> 8, (sid >> 3) & 0x1f, sid & 7));
  Scope s{&d.counter("translations", "Requests of this device translated"),
          &d.counter("faults", "Requests of this device that faulted"),
          &d.counter("iotlb_misses", "IOTLB misses of this device")};
  return devices_.emplace(sid, s);
}

Counter& ScopeStats::reason(FaultReason r) {
  const auto code = static_cast<std::uint8_t>(r);
  auto it = reasons_.find(code);
  if (it != reasons_.end()) return *it->second;
  Counter& c = g_.counter(fmt::format("faults_reason_{:02x}", code),
                          fmt::format("Faults with reason {:#x}: {}", code, fault_reason_text(r)));
  reasons_.emplace(code, &c);
  return c;
}

}  // namespace iommusim
