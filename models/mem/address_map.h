// DRAM address decoding: which channel, rank, bank, row and column an offset
// into the memory controller's range falls in.
//
// The mapping string names the fields from the most to the least significant
// bit, as gem5's DRAMInterface addr_mapping does ("RoRaBaCoCh" interleaves
// channels at burst granularity, "RoRaBaChCo" at row granularity). Below all
// fields are log2(burst_bytes) byte-offset bits; Co has
// log2(row_bytes / burst_bytes) bits, Ch/Ra/Ba log2 of their counts, and Ro,
// which must come first, takes all remaining high bits.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "common/types.h"

namespace iommusim {

struct DramGeometry {
  unsigned channels = 2;  // per memory controller
  unsigned ranks = 1;     // per channel
  unsigned banks = 16;    // per rank
  uint64_t row_bytes = 8192;  // one bank's row (DRAM page)
  uint64_t burst_bytes = 64;  // data moved by one column access
  std::string mapping = "RoRaBaCoCh";
};

// `column` counts bursts within the row, not bytes.
struct DramCoord {
  unsigned channel = 0, rank = 0, bank = 0;
  uint64_t row = 0, column = 0;

  bool operator==(const DramCoord& o) const {
    return channel == o.channel && rank == o.rank && bank == o.bank && row == o.row &&
           column == o.column;
  }
};

class AddressMap {
 public:
  // Throws InputError with a message that starts with the field name, e.g.
  // "channels: expected a power of two, got 3"; callers prefix the key path.
  static void validate(const DramGeometry& g);

  explicit AddressMap(DramGeometry g);

  const DramGeometry& geometry() const { return geometry_; }

  DramCoord decode(Addr offset) const;
  // The inverse of decode, with the byte offset within the burst 0. Throws
  // std::out_of_range if a coordinate does not fit the geometry.
  Addr encode(const DramCoord& c) const;

 private:
  enum class Field { Row, Rank, Bank, Channel, Column };
  struct Slice {
    Field field;
    unsigned shift, bits;
  };

  DramGeometry geometry_;
  std::array<Slice, 5> slices_;  // in mapping order, most significant first
};

}  // namespace iommusim
