#include "iommu/remapping_unit.h"

#include <fmt/format.h>

#include "common/sc_time_conv.h"
#include "vtd/ats_completion.h"
#include "vtd/registers.h"

namespace iommusim {

RemappingUnit::RemappingUnit(sc_core::sc_module_name name, const RemappingUnitParams& p, StatsRegistry& stats,
                             std::uint64_t seed)
    : sc_module(name),
      regs("regs"),
      dma_in("dma_in"),
      dma_out("dma_out"),
      mem("mem"),
      msi_in("msi_in"),
      irq_out("irq_out"),
      ats_out("ats_out"),
      p_(p),
      cycle_ps_(p.cycle_ps()),
      regfile_(p.features),
      stats_(StatsGroup(stats, this->name())),
      faults_(this->name(), regfile_, irq_out, stats_.faults, stats_.scopes),
      engine_(StatsGroup(stats, this->name()), p_, regfile_, mem, stats_.translation, stats_.invalidation,
              stats_.scopes, seed),
      ir_(p_, regfile_, mem, irq_out, faults_, stats_.ir, stats_.invalidation, seed + 64),
      qi_(this->name(), p_, {regfile_, engine_, ir_, faults_}, {mem, irq_out, ats_out}, stats_.invalidation) {
  regs.register_b_transport(this, &RemappingUnit::reg_access);
  SC_THREAD(qi_engine);
  dma_in.register_b_transport(this, &RemappingUnit::dma);
  msi_in.register_b_transport(this, &RemappingUnit::msi);
}

// ---------------------------------------------------------------- registers

void RemappingUnit::reg_access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  delay += to_sc_time(cycle_ps_ * p_.reg_cycles);
  const std::uint64_t offset = trans.get_address() - p_.reg_base;
  const unsigned len = trans.get_data_length();
  unsigned char* data = trans.get_data_ptr();
  if ((len != 4 && len != 8) || trans.get_byte_enable_ptr() || trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  RegisterFile::Access a = RegisterFile::Access::Error;
  if (trans.is_read()) {
    std::uint64_t v = 0;
    a = regfile_.read(offset, len, v);
    for (unsigned i = 0; i < len; ++i) data[i] = static_cast<unsigned char>(v >> (8 * i));
  } else if (trans.is_write()) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < len; ++i) v |= std::uint64_t(data[i]) << (8 * i);
    a = regfile_.write(offset, len, v);
    execute_commands(delay);
    if (regfile_.take_fault_event()) faults_.fault_event();
    if (regfile_.take_invalidation_event()) qi_.invalidation_event();
    // A queue stopped by an error resumes once software has cleared IQE.
    if (regfile_.queued_invalidation_enabled()) qi_.kick(delay);
  }
  trans.set_response_status(a == RegisterFile::Access::Ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

void RemappingUnit::execute_commands(const sc_core::sc_time& at) {
  for (const Command& c : regfile_.take_commands()) {
    switch (c.kind) {
      case Command::Kind::SetTranslation:
        regfile_.complete_te(c.enable);
        break;
      case Command::Kind::SetRootTablePointer:
        regfile_.complete_srtp();
        if (p_.features.esrtps) {
          // CAP.ESRTPS (11.4.4.1 GCMD.SRTP): the set operation also
          // invalidates every cache of translation structures.
          engine_.invalidate_context(ContextGranularity::Global, 0, 0, 0);
          engine_.invalidate_iotlb(IotlbGranularity::Global, 0, 0, 0, false);
        }
        break;
      case Command::Kind::WriteBufferFlush:
        regfile_.complete_wbf();
        break;
      case Command::Kind::ContextInvalidate:
        if (regfile_.queued_invalidation_enabled()) {
          // With queued invalidation on, software must use the queue (VT-d
          // 6.5.2): the register request is not carried out (CAIG 00).
          ++stats_.invalidation.register_invalidations_refused;
          regfile_.complete_ccmd(ContextGranularity::Reserved);
          break;
        }
        engine_.invalidate_context(c.context.granularity, c.context.did, c.context.sid, c.context.fm);
        regfile_.complete_ccmd(c.context.granularity);
        break;
      case Command::Kind::IotlbInvalidate:
        if (regfile_.queued_invalidation_enabled()) {
          ++stats_.invalidation.register_invalidations_refused;
          regfile_.complete_iotlb(IotlbGranularity::Reserved);
          break;
        }
        engine_.invalidate_iotlb(c.iotlb.granularity, c.iotlb.did, c.iotlb.addr, c.iotlb.am, c.iotlb.ih);
        regfile_.complete_iotlb(c.iotlb.granularity);
        break;
      case Command::Kind::SetQueuedInvalidation:
        regfile_.complete_qie(c.enable);
        if (c.enable) qi_.kick(at);
        break;
      case Command::Kind::QueueTail:
        qi_.kick(at);
        break;
      case Command::Kind::SetInterruptRemapping:
        regfile_.complete_ire(c.enable);
        break;
      case Command::Kind::SetInterruptRemapTable:
        regfile_.complete_sirtp();
        // CAP.ESIRTPS (11.4.4.1 GCMD.SIRTP): the set operation also
        // invalidates the interrupt entry cache; without it software
        // follows SIRTP with a global IEC invalidation.
        if (p_.features.esirtps) ir_.invalidate_global();
        break;
      case Command::Kind::SetCompatibilityFormat:
        regfile_.complete_cfi(c.enable);
        break;
    }
  }
}

// ---------------------------------------------------------------- requests

TranslationEngine::Outcome RemappingUnit::translate(const TranslationEngine::Request& q, Tick arrival) {
  ++stats_.requests.translations;
  ++*stats_.scopes.device(q.sid).translations;
  const TranslationEngine::Outcome o = engine_.translate(q, arrival);
  if (o.did_known) ++*stats_.scopes.domain(o.did).translations;
  stats_.requests.latency.sample(o.done - arrival);
  return o;
}

void RemappingUnit::record(const TranslationEngine::Outcome& o, std::uint16_t sid, Addr iova, bool write,
                           const PcieAttr* attr) {
  faults_.record_dma({o.fault, o.fpd, o.did_known, o.did, o.done}, sid, iova, write, attr);
}

bool RemappingUnit::in_protected_region(Addr pa, std::uint64_t len) const {
  if (!regfile_.protected_memory_enabled() || len == 0) return false;
  const Addr granule = (Addr(1) << reg::kPmrAlignBits) - 1;  // limit's low bits read as ones
  auto overlaps = [&](Addr base, Addr limit) { return limit >= base && pa <= (limit | granule) && pa + len - 1 >= base; };
  bool hit = false;
  if (p_.features.plmr) hit = overlaps(regfile_.peek(reg::kPlmbase), regfile_.peek(reg::kPlmlimit));
  if (p_.features.phmr) hit = hit || overlaps(regfile_.peek(reg::kPhmbase), regfile_.peek(reg::kPhmlimit));
  return hit;
}

void RemappingUnit::dma(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (const PcieAttr* a = trans.get_extension<PcieAttr>(); a && a->at == AddressType::TranslationRequest)
    return translation_request(trans, delay, trans.get_extension<PcieAttr>());
  if (!regfile_.translation_enabled()) {
    ++stats_.requests.bypassed;
    if (in_protected_region(trans.get_address(), trans.get_data_length())) {
      ++stats_.requests.pmr_blocked;
      trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    dma_out->b_transport(trans, delay);
    return;
  }
  PcieAttr* attr = trans.get_extension<PcieAttr>();
  const Addr iova = trans.get_address();
  const bool write = trans.is_write();
  const Tick now = now_tick();
  const Tick arrival = now + to_tick(delay);

  TranslationEngine::Request q;
  q.sid = attr ? attr->requester.rid() : 0;
  q.iova = iova;
  q.write = write;
  if (attr) {
    q.at = attr->at;
    q.has_pasid = attr->has_pasid;
    q.pasid = attr->pasid;
    q.exec = attr->exec;
    q.priv = attr->priv;
  }
  const TranslationEngine::Outcome o = translate(q, arrival);
  delay = to_sc_time(o.done - now);
  if (!o.ok) {
    record(o, q.sid, iova, write, attr);
    if (attr) attr->fault_reason = static_cast<std::uint8_t>(o.fault);
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  if (in_protected_region(o.pa, trans.get_data_length())) {
    ++stats_.requests.pmr_blocked;
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  trans.set_address(o.pa);
  dma_out->b_transport(trans, delay);
  trans.set_address(iova);
}

void RemappingUnit::translation_request(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay, PcieAttr* attr) {
  ++stats_.requests.ats_requests;
  const std::uint16_t sid = attr ? attr->requester.rid() : 0;
  const Addr iova = trans.get_address();
  const Tick now = now_tick();
  const Tick arrival = now + to_tick(delay);
  if (!trans.is_read() || trans.get_data_length() != 8 || trans.get_byte_enable_ptr()) {
    // A translation request is a memory read whose completion carries one
    // 8-byte data entry per translation; iommusim asks for one.
    ++stats_.requests.ats_unsupported;
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  AtsCompletion c;
  Tick done = arrival;
  if (!regfile_.translation_enabled()) {
    // Remapping off: the address is its own translation, read and write.
    c.addr = iova & ~Addr(0xfff);
    c.r = c.w = true;
  } else {
    TranslationEngine::Request q;
    q.sid = sid;
    q.iova = iova;
    q.at = AddressType::TranslationRequest;
    const TranslationEngine::Outcome o = translate(q, arrival);
    done = o.done;
    if (!o.ok) {
      // Root/context faults, TT blocking the request, addresses beyond the
      // guest address width, reserved bits and access errors: the request
      // is answered Unsupported Request and the fault recorded. Missing
      // translations and permissions are not faults: they come back as R/W.
      ++stats_.requests.ats_unsupported;
      record(o, sid, iova, false, attr);
      if (attr) attr->fault_reason = static_cast<std::uint8_t>(o.fault);
      delay = to_sc_time(done - now);
      trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    c.r = o.r;
    c.w = o.w;
    c.shift = (o.r || o.w) ? o.shift : 12;
    c.addr = (o.r || o.w) ? o.pa & ~((Addr(1) << c.shift) - 1) : 0;
    if (!o.r && !o.w) ++stats_.requests.ats_no_access;
  }
  const std::uint64_t v = c.encode();
  unsigned char* d = trans.get_data_ptr();
  for (unsigned i = 0; i < 8; ++i) d[i] = static_cast<unsigned char>(v >> (8 * i));
  delay = to_sc_time(done - now);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace iommusim
