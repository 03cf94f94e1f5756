// Text about the allocator's memory (core/allocator/memory_report.cpp): human-readable
// sizes and the memory summary table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/device.h"
#include "core/memory.h"

namespace ember::detail {

// "512 B", "1.50 KiB", "2.00 MiB", "3.25 GiB", like PyTorch's memory summary.
std::string human_size(int64_t bytes);

// The table memory::summary(device) prints; limit 0 means none.
std::string summary_table(const memory::Stats& stats, size_t limit, Device device);

}  // namespace ember::detail
