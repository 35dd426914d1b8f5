/*
 * iommusim test table: a two-unit platform for the DMAR import
 * (tb/system/test_platform.cpp). Unit 0 (0xFED90000) serves the endpoint
 * 00:03.0, the bridge 00:1C.0 (its buses come from platform.bridges) and the
 * endpoint behind it (path 1C.0 -> 00.0); unit 1 (0xFED91000) has
 * INCLUDE_PCI_ALL. An RMRR for 00:14.0 and an ATSR for the root port 00:1C.0.
 * Lengths are exact (see full.asl on iasl).
 */
[0004]                          Signature : "DMAR"    [DMA Remapping table]
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "IOMSIM"
[0008]                       Oem Table ID : "PLATFORM"
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0001]                 Host Address Width : 2D
[0001]                              Flags : 01
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

/* offset 0x30: DRHD 0: 16 + 8 + 8 + 10 bytes */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 002A
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED90000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 03,00

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1C,00

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 0A
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1C,00
[0002]                           PCI Path : 00,00

/* offset 0x5A: DRHD 1, INCLUDE_PCI_ALL */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0010
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED91000

/* offset 0x6A: RMRR for 00:14.0 */
[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 000000003E2E0000
[0008]                End Address (limit) : 000000003E2FFFFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 14,00

/* offset 0x8A: ATSR for the root port 00:1C.0 */
[0002]                      Subtable Type : 0002 [Root Port ATS Capability]
[0002]                             Length : 0010
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1C,00
