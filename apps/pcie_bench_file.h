// pcie-bench result files (the DMA benchmarks' *.txt, docs/pcie-bench.md):
// a header line naming the columns, then fixed-width, right-aligned rows;
// blank lines separate groups. Two layouts exist, latency (LAT_*) and
// bandwidth (BW_*). Plain C++.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iommusim {

enum class BenchLayout { Latency, Bandwidth };

struct BenchRow {
  int line = 0;                     // 1-based line in the file
  std::vector<std::string> fields;  // every column's text, as in the file
  // The key fields, decoded.
  std::string test, pattern, cache;  // "LAT_DMA_RD", "Rand", "Cold"
  std::uint64_t ho = 0, dof = 0;     // HO, DO
  std::uint64_t window = 0;          // WinSZ in bytes
  std::uint64_t size = 0;            // SZ
};

struct BenchFile {
  std::string path;
  BenchLayout layout = BenchLayout::Latency;
  std::vector<std::string> columns;          // header names, in order
  std::vector<std::optional<BenchRow>> lines;  // nullopt: a blank line (group separator)
  std::size_t row_count() const;
  // A row's value by column name ("Avg(ns)", "BW (GB/s)"), as a number
  // ("155.87ms" -> 155.87, "512MB" -> bytes); NaN if there is no such column.
  double value(const BenchRow& r, const std::string& column) const;
};

// Parses a result file's text; `path` names it in errors. Throws InputError
// ("PATH:LINE: ...") for a file that is not pcie-bench output, a row with the
// wrong number of fields, an unknown Test, or a bad key field.
BenchFile parse_bench_file(const std::string& text, const std::string& path);
BenchFile read_bench_file(const std::string& path);

// The file's text in pcie-bench's layout: the same header, every row's fields
// right-aligned in its column's width, blank lines where the groups end.
std::string write_bench_file(const BenchFile& f);

// "8KB" -> 8192, "1.5MB" -> 1572864, "64MB"; nullopt if not a size.
std::optional<std::uint64_t> parse_bench_size(const std::string& s);
// The inverse for window sizes: 8192 -> "8KB", 1572864 -> "1.5MB".
std::string format_bench_size(std::uint64_t bytes);

// Simulated values in the layout's number formats (cycles of the device
// clock `clock_mhz`). Latency: times in ps.
struct LatencyValues {
  double tavg_ps = 0, avg_ps = 0, median_ps = 0, min_ps = 0, max_ps = 0, p95_ps = 0, p999_ps = 0;
  std::uint64_t samples = 0;
};
struct BandwidthValues {
  double elapsed_ps = 0;
  std::uint64_t bytes = 0, transactions = 0;
};
// The row `key` (its first seven fields kept) with the measured columns
// replaced by `v`.
std::vector<std::string> latency_fields(const BenchRow& key, const LatencyValues& v, double clock_mhz);
std::vector<std::string> bandwidth_fields(const BenchRow& key, const BandwidthValues& v, double clock_mhz);

}  // namespace iommusim
