// Which view of the conferences a debug request asks for (JVB's DebugStateMode): GET /debug's
// summary or full state, or GET /stats' view for rtcstats collectors (only the conferences
// created with Colibri2's rtcstats-enabled).
#pragma once

#include <cstdint>

namespace jvb::conference {

enum class DebugView : std::uint8_t { kSummary, kFull, kRtcStats };

}  // namespace jvb::conference
