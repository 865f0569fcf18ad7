// Time as protocol code sees it: passed in, never read (protocol code is sans-IO, see
// ARCHITECTURE.md). Production passes steady_clock::now(); tests pass a fake time they advance by
// hand.
#pragma once

#include <chrono>

namespace jvb {

using Clock = std::chrono::steady_clock;
using Timestamp = Clock::time_point;
using Duration = Clock::duration;

}  // namespace jvb
