// Remapping-unit register offsets and field positions.
//
// Source: Intel Virtualization Technology for Directed I/O, Architecture
// Specification rev 4.x, chapter 11 "Register Descriptions" (section 11.4,
// cited below by the register names the spec uses; sub-section numbers are
// given only where checked). Offsets cross-checked against Linux
// drivers/iommu/intel/iommu.h and QEMU hw/i386/intel_iommu_internal.h.
//
// Offsets are bytes from the unit's register base. The IOTLB register pair and
// the fault recording registers have no fixed offset: they sit at ECAP.IRO*16
// and CAP.FRO*16 (helpers at the end). Field constants are masks in the
// register's own width; `k...Shift` gives a field's lowest bit.
#pragma once
#include <cstdint>

namespace iommusim::reg {

// ---- Offsets (11.4 register map) -------------------------------------------
constexpr uint64_t kVer = 0x00;       // 32  11.4.1  Version
constexpr uint64_t kCap = 0x08;       // 64  11.4.2  Capability
constexpr uint64_t kEcap = 0x10;      // 64  11.4.3  Extended Capability
constexpr uint64_t kGcmd = 0x18;      // 32  Global Command (WO)
constexpr uint64_t kGsts = 0x1C;      // 32  Global Status (RO)
constexpr uint64_t kRtaddr = 0x20;    // 64  Root Table Address
constexpr uint64_t kCcmd = 0x28;      // 64  Context Command
constexpr uint64_t kFsts = 0x34;      // 32  Fault Status
constexpr uint64_t kFectl = 0x38;     // 32  Fault Event Control
constexpr uint64_t kFedata = 0x3C;    // 32  Fault Event Data
constexpr uint64_t kFeaddr = 0x40;    // 32  Fault Event Address
constexpr uint64_t kFeuaddr = 0x44;   // 32  Fault Event Upper Address
constexpr uint64_t kAflog = 0x58;     // 64  Advanced Fault Log (AFL: not modelled)
constexpr uint64_t kPmen = 0x64;      // 32  Protected Memory Enable
constexpr uint64_t kPlmbase = 0x68;   // 32  Protected Low-Memory Base
constexpr uint64_t kPlmlimit = 0x6C;  // 32  Protected Low-Memory Limit
constexpr uint64_t kPhmbase = 0x70;   // 64  Protected High-Memory Base
constexpr uint64_t kPhmlimit = 0x78;  // 64  Protected High-Memory Limit
constexpr uint64_t kIqh = 0x80;       // 64  Invalidation Queue Head
constexpr uint64_t kIqt = 0x88;       // 64  Invalidation Queue Tail
constexpr uint64_t kIqa = 0x90;       // 64  Invalidation Queue Address
constexpr uint64_t kIcs = 0x9C;       // 32  Invalidation Completion Status
constexpr uint64_t kIectl = 0xA0;     // 32  Invalidation Event Control
constexpr uint64_t kIedata = 0xA4;    // 32  Invalidation Event Data
constexpr uint64_t kIeaddr = 0xA8;    // 32  Invalidation Event Address
constexpr uint64_t kIeuaddr = 0xAC;   // 32  Invalidation Event Upper Address
constexpr uint64_t kIqercd = 0xB0;    // 64  Invalidation Queue Error Record
constexpr uint64_t kIrta = 0xB8;      // 64  Interrupt Remapping Table Address
// 0xC0..0xEF: page request queue registers (ECAP.PRS, not modelled).
// 0x100..0x21F: MTRR registers (ECAP.MTS, not modelled); 0x300..: perfmon
// (ECAP.PMS, not modelled); 0x400..: enhanced command (CAP.ECMDS, not modelled).
// None of them exist in iommusim's units, so IOTLB and fault recording
// registers may be placed from 0xF0 on (QEMU puts IOTLB at 0xF0; real Xeon
// units put FRCDs at 0x100 and IOTLB at 0x200).
constexpr uint64_t kArchitecturalEnd = 0xF0;

// Relative to ECAP.IRO*16 ("IOTLB Registers": IVA_REG, IOTLB_REG).
constexpr uint64_t kIvaRel = 0x0;    // 64  Invalidate Address (WO)
constexpr uint64_t kIotlbRel = 0x8;  // 64  IOTLB Invalidate
// Fault recording register i: 128 bits at CAP.FRO*16 + 16*i;
// low qword (FI) at +0, high qword (F, T, AT, PV, FR, PP, EXE, PRIV, SID) at +8.
constexpr uint64_t kFrcdStride = 16;

// ---- VER_REG (11.4.1) ----------------------------------------------------
constexpr uint32_t kVerMaxShift = 4;  // 7:4 major
constexpr uint32_t kVerMinMask = 0xF; // 3:0 minor

// ---- CAP_REG (11.4.2) ----------------------------------------------------
constexpr unsigned kCapNdShift = 0;        // 2:0   ND
constexpr unsigned kCapAfl = 3;            // 3     AFL
constexpr unsigned kCapRwbf = 4;           // 4     RWBF
constexpr unsigned kCapPlmr = 5;           // 5     PLMR
constexpr unsigned kCapPhmr = 6;           // 6     PHMR
constexpr unsigned kCapCm = 7;             // 7     CM
constexpr unsigned kCapSagawShift = 8;     // 12:8  SAGAW
constexpr unsigned kCapMgawShift = 16;     // 21:16 MGAW (value = width-1)
constexpr unsigned kCapZlr = 22;           // 22    ZLR
constexpr unsigned kCapFroShift = 24;      // 33:24 FRO (16-byte units)
constexpr unsigned kCapSllpsShift = 34;    // 37:34 SLLPS (34: 2M, 35: 1G)
constexpr unsigned kCapPsi = 39;           // 39    PSI
constexpr unsigned kCapNfrShift = 40;      // 47:40 NFR (value = count-1)
constexpr unsigned kCapMamvShift = 48;     // 53:48 MAMV
constexpr unsigned kCapDwd = 54;           // 54    DWD
constexpr unsigned kCapDrd = 55;           // 55    DRD
constexpr unsigned kCapFl1gp = 56;         // 56    FL1GP
constexpr unsigned kCapPi = 59;            // 59    PI
constexpr unsigned kCapFl5lp = 60;         // 60    FL5LP
constexpr unsigned kCapEcmds = 61;         // 61    ECMDS
constexpr unsigned kCapEsirtps = 62;       // 62    ESIRTPS
constexpr unsigned kCapEsrtps = 63;        // 63    ESRTPS

// ---- ECAP_REG (11.4.3) ---------------------------------------------------
constexpr unsigned kEcapC = 0;             // 0     C (page-walk coherency)
constexpr unsigned kEcapQi = 1;            // 1     QI
constexpr unsigned kEcapDt = 2;            // 2     DT (Device-TLB)
constexpr unsigned kEcapIr = 3;            // 3     IR
constexpr unsigned kEcapEim = 4;           // 4     EIM
constexpr unsigned kEcapPt = 6;            // 6     PT
constexpr unsigned kEcapSc = 7;            // 7     SC
constexpr unsigned kEcapIroShift = 8;      // 17:8  IRO (16-byte units)
constexpr unsigned kEcapMhmvShift = 20;    // 23:20 MHMV
constexpr unsigned kEcapMts = 25;          // 25    MTS
constexpr unsigned kEcapNest = 26;         // 26    NEST
constexpr unsigned kEcapPrs = 29;          // 29    PRS
constexpr unsigned kEcapErs = 30;          // 30    ERS
constexpr unsigned kEcapSrs = 31;          // 31    SRS
constexpr unsigned kEcapNwfs = 33;         // 33    NWFS
constexpr unsigned kEcapEafs = 34;         // 34    EAFS
constexpr unsigned kEcapPssShift = 35;     // 39:35 PSS (PASID bits - 1)
constexpr unsigned kEcapPasid = 40;        // 40    PASID
constexpr unsigned kEcapDit = 41;          // 41    DIT
constexpr unsigned kEcapPds = 42;          // 42    PDS
constexpr unsigned kEcapSmts = 43;         // 43    SMTS
constexpr unsigned kEcapVcs = 44;          // 44    VCS
constexpr unsigned kEcapSlads = 45;        // 45    SLADS
constexpr unsigned kEcapSlts = 46;         // 46    SLTS
constexpr unsigned kEcapFlts = 47;         // 47    FLTS
constexpr unsigned kEcapSmpwcs = 48;       // 48    SMPWCS
constexpr unsigned kEcapRps = 49;          // 49    RPS
constexpr unsigned kEcapPms = 51;          // 51    PMS
constexpr unsigned kEcapAdms = 52;         // 52    ADMS
constexpr unsigned kEcapRprivs = 53;       // 53    RPRIVS

// ---- GCMD_REG / GSTS_REG: command bit N has status bit N --------
constexpr uint32_t kGcmdTe = 1u << 31;     // TE    / TES
constexpr uint32_t kGcmdSrtp = 1u << 30;   // SRTP  / RTPS  (one-shot)
constexpr uint32_t kGcmdSfl = 1u << 29;    // SFL   / FLS   (AFL only: not modelled)
constexpr uint32_t kGcmdEafl = 1u << 28;   // EAFL  / AFLS  (AFL only: not modelled)
constexpr uint32_t kGcmdWbf = 1u << 27;    // WBF   / WBFS  (one-shot, CAP.RWBF)
constexpr uint32_t kGcmdQie = 1u << 26;    // QIE   / QIES
constexpr uint32_t kGcmdIre = 1u << 25;    // IRE   / IRES
constexpr uint32_t kGcmdSirtp = 1u << 24;  // SIRTP / IRTPS (one-shot)
constexpr uint32_t kGcmdCfi = 1u << 23;    // CFI   / CFIS
// The spec's recipe for software: status = GSTS & 0x96FFFFFF
// (drop the one-shot bits SRTP, SFL, WBF, SIRTP), set/clear one bit, write.
constexpr uint32_t kGstsOneShotMask = 0x96FFFFFFu;
constexpr uint32_t kGstsTes = kGcmdTe, kGstsRtps = kGcmdSrtp, kGstsWbfs = kGcmdWbf,
                   kGstsQies = kGcmdQie, kGstsIres = kGcmdIre, kGstsIrtps = kGcmdSirtp,
                   kGstsCfis = kGcmdCfi;

// ---- RTADDR_REG -------------------------------------------------
constexpr uint64_t kRtaddrRtaMask = ~uint64_t{0xFFF};  // 63:12 RTA (bits >= HAW ignored)
constexpr unsigned kRtaddrTtmShift = 10;               // 11:10 TTM
constexpr uint64_t kRtaddrTtmMask = uint64_t{3} << 10;
constexpr unsigned kTtmLegacy = 0, kTtmScalable = 1, kTtmAbortDma = 3;  // 2 reserved

// ---- CCMD_REG ---------------------------------------------------
constexpr uint64_t kCcmdIcc = uint64_t{1} << 63;  // 63    ICC (RW, cleared by hardware)
constexpr unsigned kCcmdCirgShift = 61;           // 62:61 CIRG
constexpr unsigned kCcmdCaigShift = 59;           // 60:59 CAIG (RO)
constexpr unsigned kCcmdFmShift = 32;             // 33:32 FM (function mask)
constexpr unsigned kCcmdSidShift = 16;            // 31:16 SID
constexpr unsigned kCcmdDidShift = 0;             // 15:0  DID

// ---- IVA_REG / IOTLB_REG -------------------------------------
constexpr uint64_t kIvaAddrMask = ~uint64_t{0xFFF};  // 63:12 ADDR
constexpr uint64_t kIvaIh = uint64_t{1} << 6;        // 6     IH
constexpr uint64_t kIvaAmMask = 0x3F;                // 5:0   AM
constexpr uint64_t kIotlbIvt = uint64_t{1} << 63;    // 63    IVT
constexpr unsigned kIotlbIirgShift = 60;             // 61:60 IIRG
constexpr unsigned kIotlbIaigShift = 57;             // 58:57 IAIG (RO)
constexpr uint64_t kIotlbDr = uint64_t{1} << 49;     // 49    DR
constexpr uint64_t kIotlbDw = uint64_t{1} << 48;     // 48    DW
constexpr unsigned kIotlbDidShift = 32;              // 47:32 DID

// ---- FSTS_REG -------------------------------------------------
constexpr uint32_t kFstsPfo = 1u << 0;   // RW1CS primary fault overflow
constexpr uint32_t kFstsPpf = 1u << 1;   // ROS   OR of all FRCD.F
// bits 2 (AFO) and 3 (APF): advanced fault logging, reserved here
constexpr uint32_t kFstsIqe = 1u << 4;   // RW1CS invalidation queue error
constexpr uint32_t kFstsIce = 1u << 5;   // RW1CS invalidation completion error
constexpr uint32_t kFstsIte = 1u << 6;   // RW1CS invalidation time-out error
// bit 7 (PRO) moved to PRS_REG in rev 3.x: reserved here
constexpr unsigned kFstsFriShift = 8;    // 15:8 FRI (ROS)
constexpr uint32_t kFstsFriMask = 0xFF00u;

// ---- FECTL_REG / IECTL_REG -------------------------
constexpr uint32_t kCtlIm = 1u << 31;  // RW, 1 at reset
constexpr uint32_t kCtlIp = 1u << 30;  // RO

// ---- FRCD_REG high qword --------------------------------------
constexpr uint64_t kFrcdF = uint64_t{1} << 63;   // 127 F    RW1CS
constexpr uint64_t kFrcdT = uint64_t{1} << 62;   // 126 T    0 = write, 1 = read/AtomicOp
constexpr unsigned kFrcdAtShift = 60;            // 125:124 AT
constexpr unsigned kFrcdPvShift = 40;            // 123:104 PV (20 bits)
constexpr unsigned kFrcdFrShift = 32;            // 103:96  FR
constexpr uint64_t kFrcdPp = uint64_t{1} << 31;  // 95  PP
constexpr uint64_t kFrcdExe = uint64_t{1} << 30; // 94  EXE
constexpr uint64_t kFrcdPriv = uint64_t{1} << 29;// 93  PRIV
constexpr uint64_t kFrcdSidMask = 0xFFFF;        // 79:64 SID

// ---- PMEN_REG -------------------------------------------------
constexpr uint32_t kPmenEpm = 1u << 31;  // RW  enable protected memory
constexpr uint32_t kPmenPrs = 1u << 0;   // RO  protected region status
// PLMBASE/PLMLIMIT/PHMBASE/PHMLIMIT: iommusim implements 2 MiB granularity
// (the spec lets hardware choose N >= 21 and software discovers it by writing
// all ones and reading back).
constexpr unsigned kPmrAlignBits = 21;

// ---- IQA_REG / IQH / IQT ----------------------------------------
constexpr uint64_t kIqaAddrMask = ~uint64_t{0xFFF};  // 63:12 IQA
constexpr uint64_t kIqaDw = uint64_t{1} << 11;       // 11    DW (256-bit descriptors, SMTS only)
constexpr uint64_t kIqaQsMask = 0x7;                 // 2:0   QS (2^QS 4 KiB pages)
constexpr uint64_t kIqhtMask = 0x7FFF0;              // 18:4  QH/QT
constexpr uint32_t kIcsIwc = 1u << 0;                // RW1CS

// ---- IRTA_REG ------------------------------------------------
constexpr uint64_t kIrtaAddrMask = ~uint64_t{0xFFF};  // 63:12 IRTA
constexpr uint64_t kIrtaEime = uint64_t{1} << 11;     // 11    EIME (ECAP.EIM only)
constexpr uint64_t kIrtaSMask = 0xF;                  // 3:0   S (2^(S+1) entries)

// ---- Relocatable blocks ---------------------------------------------------
constexpr uint64_t iva_offset(unsigned iro) { return uint64_t{iro} * 16 + kIvaRel; }
constexpr uint64_t iotlb_offset(unsigned iro) { return uint64_t{iro} * 16 + kIotlbRel; }
constexpr uint64_t frcd_offset(unsigned fro, unsigned index) {
  return uint64_t{fro} * 16 + uint64_t{index} * kFrcdStride;
}

}  // namespace iommusim::reg
