// Text about the allocator's memory: sizes as people read them, and the summary table
// (like torch.cuda.memory_summary()) that memory::summary and out-of-memory errors show.
#include "core/allocator/memory_report.h"

#include <cstdio>
#include <sstream>

namespace ember::detail {

std::string human_size(int64_t bytes) {
  char text[48];
  const double b = static_cast<double>(bytes);
  const int64_t magnitude = bytes < 0 ? -bytes : bytes;
  if (magnitude < 1024) std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
  else if (magnitude < (int64_t{1} << 20)) std::snprintf(text, sizeof text, "%.2f KiB", b / 1024.0);
  else if (magnitude < (int64_t{1} << 30)) std::snprintf(text, sizeof text, "%.2f MiB", b / 1048576.0);
  else if (magnitude < (int64_t{1} << 40)) std::snprintf(text, sizeof text, "%.2f GiB", b / 1073741824.0);
  else std::snprintf(text, sizeof text, "%.2f TiB", b / 1099511627776.0);
  return text;
}

std::string summary_table(const memory::Stats& st, size_t lim, Device device) {
  std::ostringstream os;
  char line[192];
  const char* rule = "|===========================================================================|\n";
  const char* thin = "|---------------------------------------------------------------------------|\n";
  os << rule;
  std::snprintf(line, sizeof line, "|%-75s|\n", (" ember memory summary, device " + device.str()).c_str());
  os << line << thin;
  std::snprintf(line, sizeof line, "| %-24s| %10s | %10s | %10s | %10s |\n", "Metric", "Cur Usage", "Peak Usage",
                "Tot Alloc", "Tot Freed");
  os << line << thin;
  auto bytes_row = [&](const char* name, const memory::Stat& s) {
    std::snprintf(line, sizeof line, "| %-24s| %10s | %10s | %10s | %10s |\n", name, human_size(s.current).c_str(),
                  human_size(s.peak).c_str(), human_size(s.allocated).c_str(), human_size(s.freed).c_str());
    os << line;
  };
  auto count_row = [&](const char* name, const memory::Stat& s) {
    std::snprintf(line, sizeof line, "| %-24s| %10lld | %10lld | %10lld | %10lld |\n", name,
                  static_cast<long long>(s.current), static_cast<long long>(s.peak),
                  static_cast<long long>(s.allocated), static_cast<long long>(s.freed));
    os << line;
  };
  bytes_row("Allocated memory", st.allocated_bytes);
  bytes_row("Active memory", st.active_bytes);
  bytes_row("Requested memory", st.requested_bytes);
  bytes_row("Reserved memory", st.reserved_bytes);
  bytes_row("Non-releasable memory", st.inactive_split_bytes);
  os << thin;
  count_row("Allocations", st.allocation);
  count_row("Active allocs", st.active);
  count_row("Segments", st.segment);
  os << thin;
  std::snprintf(line, sizeof line, "| %-24s| %-48lld|\n", "Alloc retries", static_cast<long long>(st.num_alloc_retries));
  os << line;
  std::snprintf(line, sizeof line, "| %-24s| %-48lld|\n", "OOMs", static_cast<long long>(st.num_ooms));
  os << line;
  std::snprintf(line, sizeof line, "| %-24s| %-48s|\n", "Backend allocs / frees",
                (std::to_string(st.num_device_alloc) + " / " + std::to_string(st.num_device_free)).c_str());
  os << line;
  std::snprintf(line, sizeof line, "| %-24s| %-48s|\n", "Reserved limit",
                lim != 0 ? human_size(static_cast<int64_t>(lim)).c_str() : "none");
  os << line << rule;
  return os.str();
}


}  // namespace ember::detail
