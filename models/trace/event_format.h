// Matching the text of one trace event against its printf-style format: the
// importers (import_ftrace, import_qemu) write each event's format the way its
// source prints it and read the fields back with match_event_format.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iommusim {

// One converted field, in pattern order.
struct EventField {
  uint64_t num = 0;              // %x %u %d (a %d is stored two's complement)
  std::string_view text;         // %s %*; for numbers, the digits as written
  std::vector<uint64_t> array;   // %a
};

// Matches `text` against `pattern`, filling `fields` (cleared first).
//
// Pattern syntax:
//   %x  hex digits (no 0x: write "0x%x" where the source prints "0x%llx")
//   %u  decimal digits            %d  decimal digits with an optional '-'
//   %s  a run of non-blank characters, possibly empty; it also stops before
//       the pattern's next literal character ("%s:" stops at the first ':')
//   %a  an ftrace __print_array: "{0x1,0x2}" ("{}" when empty)
//   %*  the rest of the text, possibly empty (only at the end)
//   ' ' one or more blanks; any other character matches itself.
// The whole text must be consumed. Returns nothing on a match, else what did
// not match, e.g. "at column 12: expected a hex number, found 'zz00 size=1'".
std::optional<std::string> match_event_format(std::string_view text, std::string_view pattern,
                                              std::vector<EventField>& fields);

}  // namespace iommusim
