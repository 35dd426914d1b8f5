// Fuzzes the register file (models/iommu/register_file.*) with random access
// sequences on a unit with random (valid) features. Input: feature bytes,
// then operations: register reads and writes of any offset and size, primary
// faults and queued-invalidation errors reported by the hardware side, the
// unit completing the commands software issued, invalidation waits.
//
// Invariants, after every operation:
//  * an access answers Error exactly when its size is not 4 or 8, it is not
//    naturally aligned, or it leaves the register block; reads change nothing;
//  * RO registers never change: VER, CAP (= make_cap), ECAP (= make_ecap);
//    software writes leave the hardware-owned IQH and IQERCD alone;
//    write-only ones read 0 (GCMD, IVA);
//  * an 8-byte read equals the two 4-byte reads of its halves;
//  * GSTS changes on a register write only as commands do (SRTP/SIRTP clear
//    RTPS/IRTPS, WBF sets WBFS); the complete_* calls set what they name;
//  * FSTS: PPF is the OR of the F bits of all fault recording registers; FRI
//    names a register that exists; PFO/IQE/ICE/ITE are RW1C (a write clears
//    exactly the bits written as 1 and sets none); FRI and the FRCD low
//    qwords are not writable; writing 1 to an F bit clears it;
//  * fault recording: with PFO set nothing is recorded; else the next
//    register in ring order takes the fault (F, SID, FR, T as given), or,
//    when it still holds one, PFO is set instead; a fault event is signalled
//    only when no interrupt condition was pending and FECTL.IM is clear.
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "fuzz_check.h"
#include "iommu/register_file.h"
#include "vtd/registers.h"

using namespace iommusim;
namespace reg = iommusim::reg;

namespace {

uint64_t rd(const RegisterFile& rf, uint64_t off, unsigned size) {
  uint64_t v = 0;
  FUZZ_CHECK(rf.read(off, size, v) == RegisterFile::Access::Ok, "read of %#llx/%u failed", (unsigned long long)off,
             size);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iommusim_fuzz::ByteSource in(data, size);
  UnitFeatures f;
  const uint8_t a = in.u8(), b = in.u8(), c = in.u8();
  f.nfr = 1 + in.u8();
  f.nd = a % 7;
  f.rwbf = a & 0x08;
  f.plmr = a & 0x10;
  f.phmr = a & 0x20;
  f.psi = a & 0x40;
  f.drd = a & 0x80;
  f.dwd = b & 0x01;
  f.qi = b & 0x02;
  f.ir = f.qi && (b & 0x04);
  f.eim = f.ir && (b & 0x08);
  f.pi = f.ir && (b & 0x10);
  f.dt = f.qi && (b & 0x20);
  f.smts = b & 0x40;
  f.pasid = f.smts && (b & 0x80);
  f.haw = 32 + c % 21;
  f.mgaw = 39 + (c >> 5) % 26;
  f.mamv = in.u8() % 64;
  if (in.u8() & 1) assign_register_layout(f);
  try {
    validate_features(f);
  } catch (const InputError&) {
    return 0;
  }
  RegisterFile rf(f);
  const uint64_t block = rf.size();
  const uint64_t cap = make_cap(f), ecap = make_ecap(f), ver = rd(rf, reg::kVer, 4);
  const uint64_t frcd0 = reg::frcd_offset(f.fro, 0), iva = reg::iva_offset(f.iro);
  unsigned next = 0;  // the ring position the next fault goes to

  auto frcd_hi = [&](unsigned i) { return rd(rf, reg::frcd_offset(f.fro, i) + 8, 8); };
  auto pending = [&] {
    return (rd(rf, reg::kFsts, 4) & (reg::kFstsPfo | reg::kFstsPpf | reg::kFstsIqe | reg::kFstsIce | reg::kFstsIte)) != 0;
  };

  for (int ops = 0; ops < 200 && !in.empty(); ++ops) {
    const uint8_t op = in.u8();
    const uint64_t fsts0 = rd(rf, reg::kFsts, 4), gsts0 = rf.gsts();
    switch (op % 8) {
      case 0:
      case 1: {  // register access
        const uint8_t where = in.u8();
        uint64_t off;
        if (where < 128) off = (where % 0x40) * 4;                                      // architectural registers
        else if (where < 192) off = frcd0 + (in.u8() % (f.nfr * 4)) * 4;                // fault recording
        else if (where < 224) off = iva + (where % 4) * 4;                              // IVA, IOTLB_REG
        else off = in.u64() % (block + 16);                                             // anywhere
        const unsigned sz = (where & 1) ? 8 : (in.u8() % 16 == 0 ? in.u8() % 10 : 4);
        const bool valid = (sz == 4 || sz == 8) && off % sz == 0 && off + sz <= block;
        if (op % 8 == 0) {
          uint64_t v = 0, v2 = 0;
          const auto r1 = rf.read(off, sz, v);
          FUZZ_CHECK((r1 == RegisterFile::Access::Ok) == valid, "read %#llx/%u: access answer",
                     (unsigned long long)off, sz);
          if (valid) {
            rf.read(off, sz, v2);
            FUZZ_CHECK(v == v2, "two reads differ");
            if (sz == 8) FUZZ_CHECK(v == (rd(rf, off, 4) | rd(rf, off + 4, 4) << 32), "8-byte read vs halves");
            if (sz == 4) FUZZ_CHECK(v >> 32 == 0, "4-byte read with upper bits");
          }
          break;
        }
        const uint64_t value = in.u64();
        const uint64_t lo_before = rd(rf, frcd0, 8);
        const uint64_t iqh_before = f.qi ? rd(rf, reg::kIqh, 8) : 0, iqercd_before = f.qi ? rd(rf, reg::kIqercd, 8) : 0;
        const bool f0_before = frcd_hi(0) & reg::kFrcdF;
        FUZZ_CHECK((rf.write(off, sz, value) == RegisterFile::Access::Ok) == valid, "write %#llx/%u: access answer",
                   (unsigned long long)off, sz);
        if (!valid) break;
        // GSTS moves only as the written commands say.
        const uint64_t gsts1 = rf.gsts();
        FUZZ_CHECK((gsts1 & ~gsts0 & ~uint64_t{reg::kGstsWbfs}) == 0, "write set GSTS bits %#llx",
                   (unsigned long long)(gsts1 & ~gsts0));
        FUZZ_CHECK((gsts0 & ~gsts1 & ~uint64_t{reg::kGstsRtps | reg::kGstsIrtps}) == 0, "write cleared GSTS bits");
        // FSTS: RW1C bits clear as written, none set; FRI unchanged.
        const uint64_t fsts1 = rd(rf, reg::kFsts, 4);
        const uint32_t w1c = reg::kFstsPfo | reg::kFstsIqe | reg::kFstsIce | reg::kFstsIte;
        uint64_t cleared = 0;  // FSTS bits this write wrote as 1
        if (off <= reg::kFsts && reg::kFsts < off + sz) cleared = (value >> ((reg::kFsts - off) * 8)) & 0xffffffff;
        FUZZ_CHECK((fsts1 & w1c) == (fsts0 & w1c & ~cleared), "FSTS RW1C: %#llx -> %#llx writing %#llx",
                   (unsigned long long)fsts0, (unsigned long long)fsts1, (unsigned long long)cleared);
        FUZZ_CHECK((fsts1 & reg::kFstsFriMask) == (fsts0 & reg::kFstsFriMask), "FRI changed by a write");
        FUZZ_CHECK(rd(rf, frcd0, 8) == lo_before, "FRCD0 low qword written");
        if (f.qi)
          FUZZ_CHECK(rd(rf, reg::kIqh, 8) == iqh_before && rd(rf, reg::kIqercd, 8) == iqercd_before,
                     "software wrote the hardware-owned IQH or IQERCD");
        if (off == frcd0 + 8 && sz == 8 && f0_before)
          FUZZ_CHECK(!(frcd_hi(0) & reg::kFrcdF) == bool(value & reg::kFrcdF), "FRCD0.F is not RW1C");
        if (off == frcd0 + 12 && sz == 4 && f0_before)
          FUZZ_CHECK(!(frcd_hi(0) & reg::kFrcdF) == bool(value & 0x80000000u), "FRCD0.F (32-bit) is not RW1C");
        break;
      }
      case 2: {  // a primary fault
        FaultRecord fr;
        fr.sid = static_cast<uint16_t>(in.u64());
        fr.addr = in.u64();
        fr.reason = in.u8();
        fr.write = in.flag();
        const bool had_pending = pending();
        const bool masked = rd(rf, reg::kFectl, 4) & reg::kCtlIm;
        const bool pfo = fsts0 & reg::kFstsPfo;
        const bool full = frcd_hi(next) & reg::kFrcdF;
        const bool event = rf.record_fault(fr);
        const uint64_t fsts1 = rd(rf, reg::kFsts, 4);
        if (pfo) {
          FUZZ_CHECK(!event && fsts1 == fsts0, "fault recorded with PFO set");
        } else if (full) {
          FUZZ_CHECK(fsts1 & reg::kFstsPfo, "overflow without PFO");
        } else {
          const uint64_t hi = frcd_hi(next);
          FUZZ_CHECK((hi & reg::kFrcdF) && (hi & reg::kFrcdSidMask) == fr.sid &&
                         ((hi >> reg::kFrcdFrShift) & 0xff) == fr.reason && bool(hi & reg::kFrcdT) == !fr.write,
                     "FRCD%u holds %#llx", next, (unsigned long long)hi);
          FUZZ_CHECK(rd(rf, reg::frcd_offset(f.fro, next), 8) == (fr.addr & ~uint64_t{0xfff}), "FRCD fault info");
          if (!(fsts0 & reg::kFstsPpf))
            FUZZ_CHECK(((fsts1 & reg::kFstsFriMask) >> reg::kFstsFriShift) == next, "FRI");
          next = (next + 1) % f.nfr;
        }
        if (event) FUZZ_CHECK(!had_pending && !masked, "fault event while pending or masked");
        if (!pfo && !had_pending && !masked) FUZZ_CHECK(event, "no fault event for a first condition");
        break;
      }
      case 3: {  // queued-invalidation errors
        const uint32_t bits = in.u8() << 4 & 0x70;
        const bool had_pending = pending(), masked = rd(rf, reg::kFectl, 4) & reg::kCtlIm;
        const bool event = rf.report_fault_status(bits);
        FUZZ_CHECK((rd(rf, reg::kFsts, 4) & bits) == bits, "IQE/ICE/ITE not set");
        if (event) FUZZ_CHECK(!had_pending && !masked, "fault event while pending or masked");
        break;
      }
      case 4: {  // the unit completes what software asked for
        for (const Command& cmd : rf.take_commands()) {
          switch (cmd.kind) {
            case Command::Kind::SetTranslation:
              rf.complete_te(cmd.enable);
              FUZZ_CHECK(rf.translation_enabled() == cmd.enable, "TES");
              break;
            case Command::Kind::SetRootTablePointer:
              rf.complete_srtp();
              FUZZ_CHECK((rf.gsts() & reg::kGstsRtps) && rf.root_table(), "RTPS");
              break;
            case Command::Kind::WriteBufferFlush: rf.complete_wbf(); break;
            case Command::Kind::SetQueuedInvalidation:
              rf.complete_qie(cmd.enable);
              FUZZ_CHECK(rf.queued_invalidation_enabled() == cmd.enable, "QIES");
              if (cmd.enable) FUZZ_CHECK(rd(rf, reg::kIqh, 8) == 0, "IQH not reset");
              break;
            case Command::Kind::SetInterruptRemapping: rf.complete_ire(cmd.enable); break;
            case Command::Kind::SetInterruptRemapTable: rf.complete_sirtp(); break;
            case Command::Kind::SetCompatibilityFormat: rf.complete_cfi(cmd.enable); break;
            case Command::Kind::QueueTail: FUZZ_CHECK(f.qi, "queue tail command without QI"); break;
            case Command::Kind::ContextInvalidate:
              FUZZ_CHECK(cmd.context.granularity != ContextGranularity::Reserved, "reserved CIRG issued");
              FUZZ_CHECK(cmd.context.did <= f.domain_id_mask(), "DID above ND");
              rf.complete_ccmd(cmd.context.granularity);
              FUZZ_CHECK(!(rd(rf, reg::kCcmd, 8) & reg::kCcmdIcc), "ICC still set");
              break;
            case Command::Kind::IotlbInvalidate:
              FUZZ_CHECK(cmd.iotlb.granularity != IotlbGranularity::Reserved, "reserved IIRG issued");
              FUZZ_CHECK(cmd.iotlb.did <= f.domain_id_mask(), "DID above ND");
              FUZZ_CHECK(!cmd.iotlb.dr || f.drd, "DR without CAP.DRD");
              FUZZ_CHECK(!cmd.iotlb.dw || f.dwd, "DW without CAP.DWD");
              if (cmd.iotlb.requested == IotlbGranularity::Page && f.psi)
                FUZZ_CHECK(cmd.iotlb.am <= f.mamv, "AM above MAMV");
              rf.complete_iotlb(cmd.iotlb.granularity);
              FUZZ_CHECK(!(rd(rf, reg::iotlb_offset(f.iro), 8) & reg::kIotlbIvt), "IVT still set");
              break;
          }
        }
        break;
      }
      case 5:
        if (f.qi) rf.report_invalidation_wait();
        break;
      case 6:
        rf.take_fault_event();
        rf.take_invalidation_event();
        break;
      case 7:
        if (f.qi) rf.set_iqh(in.u64());
        break;
    }
    // Global invariants.
    FUZZ_CHECK(rd(rf, reg::kVer, 4) == ver && rd(rf, reg::kCap, 8) == cap && rd(rf, reg::kEcap, 8) == ecap,
               "VER/CAP/ECAP changed");
    FUZZ_CHECK(rd(rf, reg::kGcmd, 4) == 0 && rd(rf, iva, 8) == 0, "write-only register reads non-zero");
    const uint64_t fsts = rd(rf, reg::kFsts, 4);
    bool any_f = false;
    for (unsigned i = 0; i < f.nfr; ++i) any_f = any_f || (frcd_hi(i) & reg::kFrcdF);
    FUZZ_CHECK(bool(fsts & reg::kFstsPpf) == any_f, "PPF %d, F bits %d", bool(fsts & reg::kFstsPpf), any_f);
    FUZZ_CHECK(((fsts & reg::kFstsFriMask) >> reg::kFstsFriShift) < f.nfr, "FRI beyond NFR");
  }
  return 0;
}
