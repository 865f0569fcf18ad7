// See heap_count.hpp.
#include "bridge/core/heap_count.hpp"

namespace jvb::heap_count_detail {

thread_local std::uint64_t allocations = 0;
bool counting = false;

}  // namespace jvb::heap_count_detail
