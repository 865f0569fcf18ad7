// Types shared by the parts of the send-side bandwidth estimator (libwebrtc's GoogCC network
// controller, modules/congestion_controller/goog_cc, as JVB's "GoogleCc2" engine ports it): what
// is known about a packet the bridge sent, and what transport-cc feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01) says about its arrival.
//
// Bitrates are plain std::int64_t bits per second throughout the module (names end in _bps);
// times are jvb::Timestamp / jvb::Duration, passed in by the caller.
#pragma once

#include <chrono>
#include <cstdint>

#include "bridge/core/time.hpp"

namespace jvb::bwe {

// What the delay-based detector concludes about the queue on the path (libwebrtc's
// BandwidthUsage).
enum class BandwidthUsage : std::uint8_t { kNormal, kUnderusing, kOverusing };

const char* to_string(BandwidthUsage usage);

// Probe clusters are numbered from 1; packets that belong to none carry this.
inline constexpr std::int32_t kNotAProbe = -1;

// libwebrtc's floor for any estimate (kCongestionControllerMinBitrate).
inline constexpr std::int64_t kCongestionControllerMinBps = 5'000;

struct SentPacket {
  std::int64_t sequence = 0;  // unwrapped transport-wide sequence number
  Timestamp send_time{};
  std::int64_t size_bytes = 0;
  std::int32_t probe_cluster_id = kNotAProbe;
  // The probe cluster's completion thresholds, copied in when the packet is reported (only
  // meaningful when probe_cluster_id != kNotAProbe).
  std::int32_t probe_min_packets = 0;
  std::int64_t probe_min_bytes = 0;
};

// A sent packet that the receiver reported as received. The receive time is on the bridge's
// clock plus an unknown constant offset: only differences between receive times mean anything.
struct PacketResult {
  SentPacket sent;
  Timestamp receive_time{};
};

// Milliseconds as a double, for the filters that work in them.
inline double to_ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
inline double to_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace jvb::bwe
