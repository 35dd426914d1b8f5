// Register file semantics, VT-d 4.x chapter 11 (register names as the spec
// spells them; field positions in registers.h).
#include "iommu/register_file.h"

#include "vtd/registers.h"

namespace iommusim {

namespace {

constexpr uint64_t kLo32 = 0xFFFFFFFFull;
constexpr uint32_t kPendingConditions =
    reg::kFstsPfo | reg::kFstsPpf | reg::kFstsIqe | reg::kFstsIce | reg::kFstsIte;

uint64_t width_mask(unsigned bits) { return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

}  // namespace

RegisterFile::RegisterFile(const UnitFeatures& features) : f_(features) {
  validate_features(f_);
  size_ = register_block_size(f_);
  iva_off_ = reg::iva_offset(f_.iro);
  iotlb_off_ = reg::iotlb_offset(f_.iro);
  frcd_off_ = reg::frcd_offset(f_.fro, 0);

  using namespace reg;
  const uint64_t haw_page = width_mask(f_.haw) & ~uint64_t{0xFFF};
  const uint64_t mgaw_page = width_mask(f_.mgaw) & ~uint64_t{0xFFF};
  const uint64_t did = f_.domain_id_mask();

  // Identification (RO).
  define(kVer, 4, f_.version(), 0);
  define(kCap, 8, make_cap(f_), 0);
  define(kEcap, 8, make_ecap(f_), 0);
  // GCMD is write-only: nothing is stored, on_gcmd() acts on the written value.
  define(kGcmd, 4, 0, 0);
  define(kGsts, 4, 0, 0);
  // RTADDR: RTA 63:12 (bits >= HAW ignored); TTM 11:10 only on scalable-mode
  // units (a legacy-only unit has 11:0 reserved).
  define(kRtaddr, 8, 0, haw_page | (f_.smts ? kRtaddrTtmMask : 0));
  // CCMD: ICC, CIRG, DID RW; FM and SID WO; CAIG RO.
  define(kCcmd, 8, 0,
         kCcmdIcc | (uint64_t{3} << kCcmdCirgShift) | (uint64_t{3} << kCcmdFmShift) |
             (uint64_t{0xFFFF} << kCcmdSidShift) | did,
         0, (uint64_t{3} << kCcmdFmShift) | (uint64_t{0xFFFF} << kCcmdSidShift));
  // Fault status/event registers. FECTL.IM is Set at reset.
  define(kFsts, 4, 0, 0, kFstsPfo | kFstsIqe | kFstsIce | kFstsIte);
  define(kFectl, 4, kCtlIm, kCtlIm);
  define(kFedata, 4, 0, 0xFFFF);  // 16-bit message data (EIMD 31:16 not implemented)
  define(kFeaddr, 4, 0, 0xFFFFFFFC);
  define(kFeuaddr, 4, 0, f_.eim ? 0xFFFFFFFF : 0);
  // Protected memory regions, 2 MiB granular (kPmrAlignBits).
  if (f_.plmr || f_.phmr) define(kPmen, 4, 0, kPmenEpm);
  const uint64_t pmr_lo = kLo32 & ~width_mask(kPmrAlignBits);
  if (f_.plmr) {
    define(kPlmbase, 4, 0, pmr_lo);
    define(kPlmlimit, 4, 0, pmr_lo);
  }
  if (f_.phmr) {
    const uint64_t pmr_hi = width_mask(f_.haw) & ~width_mask(kPmrAlignBits);
    define(kPhmbase, 8, 0, pmr_hi);
    define(kPhmlimit, 8, 0, pmr_hi);
  }
  // Queued invalidation (ECAP.QI). IECTL.IM is Set at reset.
  if (f_.qi) {
    define(kIqh, 8, 0, 0);
    define(kIqt, 8, 0, kIqhtMask);
    define(kIqa, 8, 0, haw_page | (f_.smts ? kIqaDw : 0) | kIqaQsMask);
    define(kIcs, 4, 0, 0, kIcsIwc);
    define(kIectl, 4, kCtlIm, kCtlIm);
    define(kIedata, 4, 0, 0xFFFF);
    define(kIeaddr, 4, 0, 0xFFFFFFFC);
    define(kIeuaddr, 4, 0, f_.eim ? 0xFFFFFFFF : 0);
    define(kIqercd, 8, 0, 0);
  }
  // Interrupt remapping (ECAP.IR).
  if (f_.ir) define(kIrta, 8, 0, haw_page | (f_.eim ? kIrtaEime : 0) | kIrtaSMask);
  // IOTLB registers at ECAP.IRO*16. IVA is write-only; IAIG RO.
  const uint64_t iva_rw = mgaw_page | kIvaIh | kIvaAmMask;
  define(iva_off_, 8, 0, iva_rw, 0, iva_rw);
  define(iotlb_off_, 8, 0,
         kIotlbIvt | (uint64_t{3} << kIotlbIirgShift) | (f_.drd ? kIotlbDr : 0) |
             (f_.dwd ? kIotlbDw : 0) | (did << kIotlbDidShift));
  // Fault recording registers at CAP.FRO*16: low qword RO, high qword F RW1C.
  for (unsigned i = 0; i < f_.nfr; ++i) {
    define(frcd_offset(f_.fro, i), 8, 0, 0);
    define(frcd_offset(f_.fro, i) + 8, 8, 0, 0, kFrcdF);
  }
  // The registers every DMA consults, found once (std::map nodes do not move).
  gsts_reg_ = &regs_.at(reg::kGsts);
  const auto pmen = regs_.find(reg::kPmen);
  pmen_reg_ = pmen == regs_.end() ? nullptr : &pmen->second;
}

void RegisterFile::define(uint64_t offset, unsigned width, uint64_t reset, uint64_t rw,
                          uint64_t w1c, uint64_t wo) {
  Reg r;
  r.width = width;
  r.value = reset;
  r.rw = rw;
  r.w1c = w1c;
  r.wo = wo;
  regs_[offset] = r;
}

RegisterFile::Reg* RegisterFile::find(uint64_t offset, unsigned& shift) {
  return const_cast<Reg*>(static_cast<const RegisterFile*>(this)->find(offset, shift));
}

const RegisterFile::Reg* RegisterFile::find(uint64_t offset, unsigned& shift) const {
  auto it = regs_.find(offset);
  if (it != regs_.end()) {
    shift = 0;
    return &it->second;
  }
  if (offset >= 4) {
    it = regs_.find(offset - 4);
    if (it != regs_.end() && it->second.width == 8) {
      shift = 32;
      return &it->second;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Access

RegisterFile::Access RegisterFile::read(uint64_t offset, unsigned size, uint64_t& value) const {
  if ((size != 4 && size != 8) || offset % size != 0 || offset >= size_ || size_ - offset < size)
    return Access::Error;
  unsigned shift = 0;
  const Reg* r = find(offset, shift);
  if (size == 8 && r && r->width == 8) {
    value = r->value & ~r->wo;
    return Access::Ok;
  }
  auto read32 = [this](uint64_t off) -> uint64_t {
    unsigned s = 0;
    const Reg* q = find(off, s);
    return q ? ((q->value & ~q->wo) >> s) & kLo32 : 0;
  };
  value = read32(offset);
  if (size == 8) value |= read32(offset + 4) << 32;
  return Access::Ok;
}

RegisterFile::Access RegisterFile::write(uint64_t offset, unsigned size, uint64_t value) {
  if ((size != 4 && size != 8) || offset % size != 0 || offset >= size_ || size_ - offset < size)
    return Access::Error;
  write_lanes(offset, size, value);
  return Access::Ok;
}

void RegisterFile::write_lanes(uint64_t offset, unsigned size, uint64_t value) {
  unsigned shift = 0;
  Reg* r = find(offset, shift);
  if (size == 8 && r && r->width == 8) {
    write_reg(offset, *r, value, ~uint64_t{0});
    return;
  }
  // 32-bit lanes: one 32-bit access, or an 8-byte access to two 32-bit
  // registers (or to reserved space), lower address first.
  for (uint64_t off = offset; off < offset + size; off += 4) {
    const uint64_t v = (value >> ((off - offset) * 8)) & kLo32;
    unsigned s = 0;
    Reg* q = find(off, s);
    if (q) write_reg(off - s / 8, *q, v << s, kLo32 << s);
  }
}

// `value` and `enable` are in the register's own bit positions; `enable`
// marks the bytes the access covers.
void RegisterFile::write_reg(uint64_t reg_offset, Reg& r, uint64_t value, uint64_t enable) {
  using namespace reg;
  // Software must not write CCMD / IOTLB_REG while an invalidation it issued
  // there is in progress; iommusim drops such writes so that the pending
  // request's fields stay as issued.
  if (reg_offset == kCcmd && (r.value & kCcmdIcc)) return;
  if (reg_offset == iotlb_off_ && (r.value & kIotlbIvt)) return;

  const uint64_t m = r.rw & enable;
  r.value = (r.value & ~m) | (value & m);
  r.value &= ~(value & r.w1c & enable);

  if (reg_offset == kGcmd) {
    on_gcmd(static_cast<uint32_t>(value & enable));
  } else if (reg_offset == kCcmd) {
    // The request is made by writing the upper dword with ICC Set.
    if ((enable & kCcmdIcc) && (value & kCcmdIcc)) on_ccmd();
  } else if (reg_offset == iotlb_off_) {
    if ((enable & kIotlbIvt) && (value & kIotlbIvt)) on_iotlb();
  } else if (reg_offset == kIqt && f_.qi) {
    Command c;
    c.kind = Command::Kind::QueueTail;
    commands_.push_back(c);
  } else if (reg_offset == kIectl) {
    // As FECTL: clearing IM while IP is Set releases the held event.
    uint64_t& iectl = val(kIectl);
    if (!(iectl & kCtlIm) && (iectl & kCtlIp)) {
      iectl &= ~uint64_t{kCtlIp};
      invalidation_event_released_ = true;
    }
  } else if (reg_offset == kIcs) {
    // Software serviced IWC while the event was masked: IP clears.
    if (!(val(kIcs) & kIcsIwc)) val(kIectl) &= ~uint64_t{kCtlIp};
  } else if (reg_offset == kFsts) {
    maybe_clear_ip();
  } else if (reg_offset == kFectl) {
    // Clearing IM while IP is Set releases the held interrupt (FECTL.IP).
    uint64_t& fectl = val(kFectl);
    if (!(fectl & kCtlIm) && (fectl & kCtlIp)) {
      fectl &= ~uint64_t{kCtlIp};
      fault_event_released_ = true;
    }
  } else if (reg_offset == kPmen && regs_.count(kPmen)) {
    // PRS reports the protected regions as enabled as soon as EPM is written.
    uint64_t& pmen = val(kPmen);
    pmen = (pmen & kPmenEpm) ? (pmen | kPmenPrs) : (pmen & ~uint64_t{kPmenPrs});
  } else if (reg_offset >= frcd_off_ && reg_offset < frcd_off_ + uint64_t{f_.nfr} * 16 &&
             (reg_offset - frcd_off_) % 16 == 8) {
    update_ppf();
    maybe_clear_ip();
  }
}

// ---------------------------------------------------------------------------
// Commands

void RegisterFile::on_gcmd(uint32_t v) {
  using namespace reg;
  uint64_t& gsts = val(kGsts);
  auto toggle = [&](uint32_t cmd_bit, Command::Kind kind) {
    const bool want = v & cmd_bit;
    if (want != bool(gsts & cmd_bit)) {
      Command c;
      c.kind = kind;
      c.enable = want;
      commands_.push_back(c);
    }
  };
  auto one_shot = [&](Command::Kind kind) {
    Command c;
    c.kind = kind;
    commands_.push_back(c);
  };
  // Software changes one field per write (the spec's rule); if it changes
  // several, pointer and flush requests are issued before enables.
  if (v & kGcmdSrtp) {
    gsts &= ~uint64_t{kGstsRtps};
    rtaddr_at_srtp_ = val(kRtaddr);
    one_shot(Command::Kind::SetRootTablePointer);
  }
  if (f_.ir && (v & kGcmdSirtp)) {
    gsts &= ~uint64_t{kGstsIrtps};
    irta_at_sirtp_ = val(kIrta);
    one_shot(Command::Kind::SetInterruptRemapTable);
  }
  // WBF only means something when CAP.RWBF says the flush is needed.
  if (f_.rwbf && (v & kGcmdWbf)) {
    gsts |= kGstsWbfs;
    one_shot(Command::Kind::WriteBufferFlush);
  }
  if (f_.qi) toggle(kGcmdQie, Command::Kind::SetQueuedInvalidation);
  if (f_.ir) toggle(kGcmdIre, Command::Kind::SetInterruptRemapping);
  if (f_.ir) toggle(kGcmdCfi, Command::Kind::SetCompatibilityFormat);
  toggle(kGcmdTe, Command::Kind::SetTranslation);
  // SFL / EAFL (advanced fault logging) are not modelled: ignored.
}

void RegisterFile::on_ccmd() {
  using namespace reg;
  uint64_t& ccmd = val(kCcmd);
  const auto g = static_cast<ContextGranularity>((ccmd >> kCcmdCirgShift) & 3);
  if (g == ContextGranularity::Reserved) {
    // Reserved request granularity: ignored, reported complete with CAIG = 00.
    ccmd &= ~(kCcmdIcc | (uint64_t{3} << kCcmdCaigShift));
    return;
  }
  Command c;
  c.kind = Command::Kind::ContextInvalidate;
  c.context.granularity = g;
  c.context.did = static_cast<uint16_t>(ccmd & f_.domain_id_mask());
  c.context.sid = static_cast<uint16_t>((ccmd >> kCcmdSidShift) & 0xFFFF);
  c.context.fm = static_cast<uint8_t>((ccmd >> kCcmdFmShift) & 3);
  commands_.push_back(c);
}

void RegisterFile::on_iotlb() {
  using namespace reg;
  uint64_t& iotlb = val(iotlb_off_);
  const uint64_t iva = val(iva_off_);
  const auto g = static_cast<IotlbGranularity>((iotlb >> kIotlbIirgShift) & 3);
  const uint8_t am = static_cast<uint8_t>(iva & kIvaAmMask);
  auto reject = [&] {  // IAIG = 00: "hardware detected an incorrect request and ignored it"
    iotlb &= ~(kIotlbIvt | (uint64_t{3} << kIotlbIaigShift));
  };
  if (g == IotlbGranularity::Reserved) return reject();
  Command c;
  c.kind = Command::Kind::IotlbInvalidate;
  c.iotlb.requested = g;
  c.iotlb.granularity = g;
  if (g == IotlbGranularity::Page) {
    if (!f_.psi) {
      // No page-selective support: carried out at the coarser domain granularity.
      c.iotlb.granularity = IotlbGranularity::Domain;
    } else if (am > f_.mamv) {
      return reject();  // unsupported address mask value
    }
  }
  c.iotlb.did = static_cast<uint16_t>((iotlb >> kIotlbDidShift) & f_.domain_id_mask());
  c.iotlb.addr = iva & kIvaAddrMask;  // already masked to MGAW on write
  c.iotlb.am = am;
  c.iotlb.ih = iva & kIvaIh;
  c.iotlb.dr = iotlb & kIotlbDr;
  c.iotlb.dw = iotlb & kIotlbDw;
  commands_.push_back(c);
}

std::vector<Command> RegisterFile::take_commands() {
  std::vector<Command> out;
  out.swap(commands_);
  return out;
}

void RegisterFile::complete_te(bool enabled) {
  uint64_t& gsts = val(reg::kGsts);
  gsts = enabled ? (gsts | reg::kGstsTes) : (gsts & ~uint64_t{reg::kGstsTes});
}

void RegisterFile::complete_srtp() {
  root_table_ = RootTablePointer::decode(rtaddr_at_srtp_);
  val(reg::kGsts) |= reg::kGstsRtps;
}

void RegisterFile::complete_wbf() { val(reg::kGsts) &= ~uint64_t{reg::kGstsWbfs}; }

void RegisterFile::complete_qie(bool enabled) {
  if (enabled) set_iqh(0);  // the queue starts at its base (IQH = 0)
  uint64_t& gsts = val(reg::kGsts);
  gsts = enabled ? (gsts | reg::kGstsQies) : (gsts & ~uint64_t{reg::kGstsQies});
}

void RegisterFile::complete_ire(bool enabled) {
  uint64_t& gsts = val(reg::kGsts);
  gsts = enabled ? (gsts | reg::kGstsIres) : (gsts & ~uint64_t{reg::kGstsIres});
}

void RegisterFile::complete_sirtp() {
  irt_ = InterruptRemapTablePointer::decode(irta_at_sirtp_);
  val(reg::kGsts) |= reg::kGstsIrtps;
}

void RegisterFile::complete_cfi(bool enabled) {
  uint64_t& gsts = val(reg::kGsts);
  gsts = enabled ? (gsts | reg::kGstsCfis) : (gsts & ~uint64_t{reg::kGstsCfis});
}

void RegisterFile::complete_ccmd(ContextGranularity actual) {
  uint64_t& ccmd = val(reg::kCcmd);
  ccmd &= ~(reg::kCcmdIcc | (uint64_t{3} << reg::kCcmdCaigShift));
  ccmd |= uint64_t(actual) << reg::kCcmdCaigShift;
}

void RegisterFile::complete_iotlb(IotlbGranularity actual) {
  uint64_t& iotlb = val(iotlb_off_);
  iotlb &= ~(reg::kIotlbIvt | (uint64_t{3} << reg::kIotlbIaigShift));
  iotlb |= uint64_t(actual) << reg::kIotlbIaigShift;
}

uint32_t RegisterFile::gsts() const { return static_cast<uint32_t>(gsts_reg_->value); }
bool RegisterFile::translation_enabled() const { return gsts() & reg::kGstsTes; }
bool RegisterFile::queued_invalidation_enabled() const { return gsts() & reg::kGstsQies; }
bool RegisterFile::interrupt_remapping_enabled() const { return gsts() & reg::kGstsIres; }
bool RegisterFile::protected_memory_enabled() const {
  return pmen_reg_ && (pmen_reg_->value & reg::kPmenPrs);
}

uint64_t RegisterFile::peek(uint64_t offset) const {
  auto it = regs_.find(offset);
  return it == regs_.end() ? 0 : it->second.value;
}

void RegisterFile::set_iqh(uint64_t value) {
  if (regs_.count(reg::kIqh)) val(reg::kIqh) = value & reg::kIqhtMask;
}

void RegisterFile::set_iqercd(uint64_t value) {
  if (regs_.count(reg::kIqercd)) val(reg::kIqercd) = value;
}

// ---------------------------------------------------------------------------
// Primary fault logging and the fault event

void RegisterFile::update_ppf() {
  bool any = false;
  for (unsigned i = 0; i < f_.nfr && !any; ++i)
    any = val(reg::frcd_offset(f_.fro, i) + 8) & reg::kFrcdF;
  uint64_t& fsts = val(reg::kFsts);
  fsts = any ? (fsts | reg::kFstsPpf) : (fsts & ~uint64_t{reg::kFstsPpf});
}

// FECTL.IP is cleared by hardware once software has serviced every interrupt
// condition (PFO, PPF i.e. every F, IQE, ICE, ITE) without unmasking.
void RegisterFile::maybe_clear_ip() {
  uint64_t& fectl = val(reg::kFectl);
  if ((fectl & reg::kCtlIp) && !(val(reg::kFsts) & kPendingConditions))
    fectl &= ~uint64_t{reg::kCtlIp};
}

// A fault event is generated only if no interrupt condition was pending
// before this one; it sets IP, and is sent at once unless IM holds it.
bool RegisterFile::raise_fault_event(uint32_t fsts_before) {
  if (fsts_before & kPendingConditions) return false;
  uint64_t& fectl = val(reg::kFectl);
  if (fectl & reg::kCtlIm) {
    fectl |= reg::kCtlIp;
    return false;
  }
  return true;  // IP is set and cleared again as the message goes out
}

bool RegisterFile::record_fault(const FaultRecord& f) {
  using namespace reg;
  uint64_t& fsts = val(kFsts);
  const uint32_t before = static_cast<uint32_t>(fsts);
  if (fsts & kFstsPfo) return false;
  const uint64_t lo_off = frcd_offset(f_.fro, next_frcd_);
  uint64_t& hi = val(lo_off + 8);
  if (hi & kFrcdF) {
    fsts |= kFstsPfo;  // the next register still holds an unserviced fault
    return raise_fault_event(before);
  }
  const std::array<uint64_t, 2> frcd = f.encode_frcd(f_.dt, f_.pasid);
  val(lo_off) = frcd[0];
  hi = frcd[1];
  // FRI names the register holding the first pending fault: it is updated
  // when PPF goes from 0 to 1.
  if (!(fsts & kFstsPpf))
    fsts = (fsts & ~uint64_t{kFstsFriMask}) | (uint64_t{next_frcd_} << kFstsFriShift);
  fsts |= kFstsPpf;
  next_frcd_ = (next_frcd_ + 1) % f_.nfr;
  return raise_fault_event(before);
}

bool RegisterFile::report_fault_status(uint32_t fsts_bits) {
  const uint32_t bits = fsts_bits & (reg::kFstsIqe | reg::kFstsIce | reg::kFstsIte);
  uint64_t& fsts = val(reg::kFsts);
  const uint32_t before = static_cast<uint32_t>(fsts);
  if (!bits || (before & bits) == bits) return false;
  fsts |= bits;
  return raise_fault_event(before);
}

bool RegisterFile::take_fault_event() {
  const bool e = fault_event_released_;
  fault_event_released_ = false;
  return e;
}

bool RegisterFile::report_invalidation_wait() {
  uint64_t& ics = val(reg::kIcs);
  if (ics & reg::kIcsIwc) return false;  // already pending: no new event
  ics |= reg::kIcsIwc;
  uint64_t& iectl = val(reg::kIectl);
  if (iectl & reg::kCtlIm) {
    iectl |= reg::kCtlIp;
    return false;
  }
  return true;
}

bool RegisterFile::take_invalidation_event() {
  const bool e = invalidation_event_released_;
  invalidation_event_released_ = false;
  return e;
}

MsiMessage RegisterFile::invalidation_event_message() const {
  MsiMessage m;
  m.address = (val(reg::kIeuaddr) << 32) | val(reg::kIeaddr);
  m.data = static_cast<uint32_t>(val(reg::kIedata));
  return m;
}

MsiMessage RegisterFile::fault_event_message() const {
  MsiMessage m;
  m.address = (val(reg::kFeuaddr) << 32) | val(reg::kFeaddr);
  m.data = static_cast<uint32_t>(val(reg::kFedata));
  return m;
}

}  // namespace iommusim
