// How many heap allocations the calling thread has made, for showing that the packet path makes
// none (the benchmark reads it per media worker, over the packets it forwarded). The counting
// itself is the daemon's replacement of the global operator new (bridge/heap_count_new.cpp),
// linked into the videobridge executable only; without it nothing is counted.
#pragma once

#include <cstdint>
#include <optional>

namespace jvb {

namespace heap_count_detail {
extern thread_local std::uint64_t allocations;
extern bool counting;
}  // namespace heap_count_detail

// nullopt when this program does not count (tests, tools).
inline std::optional<std::uint64_t> heap_allocations_on_this_thread() {
  if (!heap_count_detail::counting) return std::nullopt;
  return heap_count_detail::allocations;
}

}  // namespace jvb
