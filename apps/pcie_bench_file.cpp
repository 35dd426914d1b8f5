#include "pcie_bench_file.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"

namespace iommusim {

namespace {

struct Column {
  const char* name;
  int width;  // characters, the field right-aligned in them
};

// pcie-bench's two layouts (python/nfp_pciebench.py output), column widths as
// its files have them.
const std::vector<Column> kLatency = {
    {"Test", 12},    {"PAT", 5},      {"Cache", 8},    {"HO", 3},       {"DO", 3},       {"WinSZ", 6},
    {"SZ", 5},       {"TAvg", 9},     {"Avg", 7},      {"Med", 6},      {"Min", 6},      {"Max", 6},
    {"95%", 6},      {"99.9%", 6},    {"TAvg(ns)", 11}, {"Avg(ns)", 8}, {"Med(ns)", 8},  {"Min(ns)", 8},
    {"Max(ns)", 8},  {"95%(ns)", 8},  {"99.9%(ns)", 10}, {"#outliers", 13}, {"#samples", 11}};
const std::vector<Column> kBandwidth = {
    {"Test", 10},      {"PAT", 5},   {"Cache", 8},  {"HO", 3},     {"DO", 3},          {"WinSZ", 6}, {"SZ", 5},
    {"Time(cyc)", 14}, {"Time", 10}, {"Bytes", 9},  {"Trans", 10}, {"BW (GB/s)", 12}, {"Trans/s", 11}};

const std::vector<Column>& layout_columns(BenchLayout l) { return l == BenchLayout::Latency ? kLatency : kBandwidth; }

std::string header_of(const std::vector<Column>& cols) {
  std::string h;
  for (const Column& c : cols) h += fmt::format("{:>{}}", c.name, c.width);
  return h;
}

std::string squeeze(const std::string& s) {
  std::string o;
  std::istringstream in(s);
  std::string w;
  while (in >> w) o += (o.empty() ? "" : " ") + w;
  return o;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string w;
  while (in >> w) v.push_back(w);
  return v;
}

bool parse_uint(const std::string& s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + std::uint64_t(c - '0');
  }
  out = v;
  return true;
}

bool is_test_name(const std::string& t, BenchLayout l) {
  if (l == BenchLayout::Latency) return t == "LAT_DMA_RD" || t == "LAT_DMA_WRRD";
  return t == "BW_DMA_RD" || t == "BW_DMA_WR" || t == "BW_DMA_RW";
}

// A measured field as a number: "155.87ms" -> 155.87, "512MB" -> bytes.
double field_number(const std::string& s) {
  if (auto b = parse_bench_size(s)) return double(*b);
  std::string t = s;
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "ms") == 0) t.resize(t.size() - 2);
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  return end && *end == 0 ? v : NAN;
}

std::string cycles_int(double ps, double mhz) { return fmt::format("{}", std::llround(ps * mhz / 1e6)); }
std::string cycles_1(double ps, double mhz) { return fmt::format("{:.1f}", ps * mhz / 1e6); }
// pcie-bench prints whole nanoseconds truncated (int()).
std::string ns_int(double ps) { return fmt::format("{}", static_cast<long long>(std::floor(ps / 1000.0))); }
std::string ns_1(double ps) { return fmt::format("{:.1f}", ps / 1000.0); }

}  // namespace

double BenchFile::value(const BenchRow& r, const std::string& column) const {
  for (std::size_t i = 0; i < columns.size() && i < r.fields.size(); ++i)
    if (columns[i] == column) return field_number(r.fields[i]);
  return NAN;
}

std::size_t BenchFile::row_count() const {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.has_value();
  return n;
}

std::optional<std::uint64_t> parse_bench_size(const std::string& s) {
  static const std::pair<const char*, std::uint64_t> units[] = {{"GB", 1ull << 30}, {"MB", 1ull << 20}, {"KB", 1ull << 10}};
  for (const auto& [suffix, mult] : units) {
    const std::size_t n = std::string(suffix).size();
    if (s.size() <= n || s.compare(s.size() - n, n, suffix) != 0) continue;
    const std::string num = s.substr(0, s.size() - n);
    if (num.find_first_not_of("0123456789.") != std::string::npos || num.front() == '.') return std::nullopt;
    const double v = std::strtod(num.c_str(), nullptr) * double(mult);
    if (v != std::floor(v) || v <= 0) return std::nullopt;
    return static_cast<std::uint64_t>(v);
  }
  if (!s.empty() && s.back() == 'B') {
    std::uint64_t v = 0;
    if (parse_uint(s.substr(0, s.size() - 1), v)) return v;
  }
  return std::nullopt;
}

std::string format_bench_size(std::uint64_t bytes) {
  static const std::pair<const char*, std::uint64_t> units[] = {{"GB", 1ull << 30}, {"MB", 1ull << 20}, {"KB", 1ull << 10}};
  for (const auto& [suffix, mult] : units) {
    if (bytes < mult) continue;
    if (bytes % mult == 0) return fmt::format("{}{}", bytes / mult, suffix);
    return fmt::format("{:.1f}{}", double(bytes) / double(mult), suffix);
  }
  return fmt::format("{}B", bytes);
}

BenchFile parse_bench_file(const std::string& text, const std::string& path) {
  BenchFile f;
  f.path = path;
  std::istringstream in(text);
  std::string line;
  int no = 0;
  bool header = false;
  const auto fail = [&](int n, const std::string& msg) -> InputError {
    return InputError(fmt::format("{}:{}: {}", path, n, msg));
  };
  while (std::getline(in, line)) {
    ++no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!header) {
      const std::string h = squeeze(line);
      if (h == squeeze(header_of(kLatency))) f.layout = BenchLayout::Latency;
      else if (h == squeeze(header_of(kBandwidth))) f.layout = BenchLayout::Bandwidth;
      else
        throw fail(no, "not a pcie-bench DMA result file: expected the header '" + squeeze(header_of(kLatency)) +
                           "' (latency) or '" + squeeze(header_of(kBandwidth)) + "' (bandwidth)");
      for (const Column& c : layout_columns(f.layout)) f.columns.push_back(c.name);
      header = true;
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) {
      f.lines.emplace_back(std::nullopt);
      continue;
    }
    BenchRow r;
    r.line = no;
    r.fields = split_ws(line);
    if (r.fields.size() != f.columns.size())
      throw fail(no, fmt::format("expected {} fields ({}), got {}", f.columns.size(),
                                 f.layout == BenchLayout::Latency ? "a latency row" : "a bandwidth row",
                                 r.fields.size()));
    r.test = r.fields[0];
    if (!is_test_name(r.test, f.layout))
      throw fail(no, fmt::format("unknown Test '{}' (expected {})", r.test,
                                 f.layout == BenchLayout::Latency ? "LAT_DMA_RD or LAT_DMA_WRRD"
                                                                  : "BW_DMA_RD, BW_DMA_WR or BW_DMA_RW"));
    r.pattern = r.fields[1];
    if (r.pattern != "Rand" && r.pattern != "Seq") throw fail(no, fmt::format("PAT '{}': expected Rand or Seq", r.pattern));
    r.cache = r.fields[2];
    if (r.cache != "Cold" && r.cache != "HWarm" && r.cache != "DWarm" && r.cache != "DThrash")
      throw fail(no, fmt::format("Cache '{}': expected Cold, HWarm, DWarm or DThrash", r.cache));
    if (!parse_uint(r.fields[3], r.ho)) throw fail(no, fmt::format("HO '{}': expected a byte offset", r.fields[3]));
    if (!parse_uint(r.fields[4], r.dof)) throw fail(no, fmt::format("DO '{}': expected a byte offset", r.fields[4]));
    const auto win = parse_bench_size(r.fields[5]);
    if (!win) throw fail(no, fmt::format("WinSZ '{}': expected a size such as 8KB, 1.5MB or 64MB", r.fields[5]));
    r.window = *win;
    if (!parse_uint(r.fields[6], r.size) || r.size == 0)
      throw fail(no, fmt::format("SZ '{}': expected a transfer size in bytes", r.fields[6]));
    for (std::size_t i = 7; i < r.fields.size(); ++i)
      if (std::isnan(field_number(r.fields[i])))
        throw fail(no, fmt::format("{} '{}': expected a number", f.columns[i], r.fields[i]));
    f.lines.emplace_back(std::move(r));
  }
  if (!header) throw fail(1, "not a pcie-bench DMA result file: it is empty");
  return f;
}

BenchFile read_bench_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open the pcie-bench result file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  BenchFile f = parse_bench_file(ss.str(), path);
  return f;
}

std::string write_bench_file(const BenchFile& f) {
  const std::vector<Column>& cols = layout_columns(f.layout);
  std::string out = header_of(cols) + "\n";
  for (const auto& l : f.lines) {
    if (l) {
      for (std::size_t i = 0; i < cols.size() && i < l->fields.size(); ++i)
        out += i == 0 ? fmt::format("{:>{}}", l->fields[i], cols[i].width)
                      : " " + fmt::format("{:>{}}", l->fields[i], cols[i].width - 1);
    }
    out += "\n";
  }
  return out;
}

std::vector<std::string> latency_fields(const BenchRow& key, const LatencyValues& v, double mhz) {
  std::vector<std::string> f(key.fields.begin(), key.fields.begin() + 7);
  f.push_back(cycles_1(v.tavg_ps, mhz));
  f.push_back(cycles_1(v.avg_ps, mhz));
  for (double ps : {v.median_ps, v.min_ps, v.max_ps, v.p95_ps, v.p999_ps}) f.push_back(cycles_int(ps, mhz));
  f.push_back(ns_1(v.tavg_ps));
  f.push_back(ns_1(v.avg_ps));
  for (double ps : {v.median_ps, v.min_ps, v.max_ps, v.p95_ps, v.p999_ps}) f.push_back(ns_int(ps));
  f.push_back("0");  // no sample is dropped as an outlier
  f.push_back(fmt::format("{}", v.samples));
  return f;
}

std::vector<std::string> bandwidth_fields(const BenchRow& key, const BandwidthValues& v, double mhz) {
  std::vector<std::string> f(key.fields.begin(), key.fields.begin() + 7);
  const double seconds = v.elapsed_ps * 1e-12;
  f.push_back(cycles_int(v.elapsed_ps, mhz));
  f.push_back(fmt::format("{:.2f}ms", seconds * 1e3));
  f.push_back(format_bench_size(v.bytes));
  f.push_back(fmt::format("{}", v.transactions));
  // The column headed "BW (GB/s)" holds gigabits per second.
  f.push_back(fmt::format("{:.3f}", seconds > 0 ? double(v.bytes) * 8 / seconds / 1e9 : 0.0));
  f.push_back(fmt::format("{:.1f}", seconds > 0 ? double(v.transactions) / seconds : 0.0));
  return f;
}

}  // namespace iommusim
