// Retransmission history of one receiver (JVB's packet cache and NackHandler).
#include "bridge/media/feedback/packet_cache.hpp"

#include <algorithm>
#include <bit>
#include <iterator>

namespace jvb::media {

namespace {

constexpr std::size_t kMaxSlots = 1 << 15;  // half the seq space: beyond it seqs would alias
constexpr std::size_t kMaxPacketSize = 0xFFFF;

}  // namespace

PacketCache::PacketCache(const PacketCacheConfig& config) : config_(config) {
  config_.max_packet_size = std::clamp<std::size_t>(config_.max_packet_size, 12, kMaxPacketSize);
  config_.max_ssrcs = std::max<std::size_t>(config_.max_ssrcs, 1);
  config_.arena_bytes = std::max(config_.arena_bytes, config_.max_packet_size);
  slots_ = std::bit_ceil(std::clamp<std::size_t>(config_.packets_per_ssrc, 1, kMaxSlots));
}

void PacketCache::store(std::uint32_t ssrc, std::uint16_t seq, Timestamp now,
                        std::span<const std::uint8_t> packet) {
  if (packet.empty() || packet.size() > config_.max_packet_size) {
    ++counters_.rejected;
    return;
  }
  auto it = rings_.find(ssrc);
  if (it == rings_.end()) {
    if (rings_.size() >= config_.max_ssrcs) {
      // Reuse the least recently used ring under the new key: no allocation, and its old
      // contents cannot be found any more.
      auto lru = std::min_element(rings_.begin(), rings_.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      auto node = rings_.extract(lru);
      node.key() = ssrc;
      for (auto& m : node.mapped().meta) m.used = false;
      it = rings_.insert(std::move(node)).position;
      ++counters_.evicted_rings;
    } else {
      Ring ring;
      ring.meta.resize(slots_);
      it = rings_.emplace(ssrc, std::move(ring)).first;
    }
  }
  if (arena_.empty()) arena_.resize(config_.arena_bytes);
  // A packet never wraps: one that does not fit before the arena's end starts at its beginning.
  std::size_t offset = written_ % arena_.size();
  if (offset + packet.size() > arena_.size()) {
    written_ += arena_.size() - offset;
    offset = 0;
  }
  Ring& ring = it->second;
  const std::size_t index = seq & (slots_ - 1);
  SlotMeta& m = ring.meta[index];
  m.used = true;
  m.seq = seq;
  m.size = static_cast<std::uint16_t>(packet.size());
  m.stored = now;
  m.last_sent = now;
  m.position = written_;
  std::copy(packet.begin(), packet.end(), arena_.begin() + static_cast<std::ptrdiff_t>(offset));
  written_ += packet.size();
  ring.last_used = now;
  ++counters_.stored;
}

std::optional<std::size_t> PacketCache::slot_index(Timestamp now, const Ring& ring, std::uint16_t seq) const {
  const std::size_t index = seq & (slots_ - 1);
  const SlotMeta& m = ring.meta[index];
  if (!m.used || m.seq != seq || now - m.stored > config_.max_age) return std::nullopt;
  // Written over once the arena came round to its start again.
  if (written_ - m.position > arena_.size()) return std::nullopt;
  return index;
}

std::span<const std::uint8_t> PacketCache::bytes_of(const SlotMeta& m) const {
  return std::span<const std::uint8_t>(arena_.data() + m.position % arena_.size(), m.size);
}

std::optional<std::span<const std::uint8_t>> PacketCache::find(Timestamp now, std::uint32_t ssrc,
                                                               std::uint16_t seq) const {
  auto it = rings_.find(ssrc);
  if (it == rings_.end()) return std::nullopt;
  const Ring& ring = it->second;
  const auto index = slot_index(now, ring, seq);
  if (!index) return std::nullopt;
  return bytes_of(ring.meta[*index]);
}

std::optional<std::span<const std::uint8_t>> PacketCache::take_for_resend(Timestamp now, std::uint32_t ssrc,
                                                                          std::uint16_t seq,
                                                                          std::optional<Duration> rtt) {
  auto it = rings_.find(ssrc);
  const auto index = it == rings_.end() ? std::nullopt : slot_index(now, it->second, seq);
  if (!index) {
    ++counters_.misses;
    return std::nullopt;
  }
  Ring& ring = it->second;
  SlotMeta& m = ring.meta[*index];
  if (rtt && *rtt > Duration::zero()) {
    // The receiver's NACKs repeat; a copy resent less than about an RTT ago may still be on
    // its way (JVB's guard).
    const Duration guard = std::min(*rtt * 9 / 10, *rtt - std::chrono::milliseconds(5));
    if (now - m.last_sent < guard) {
      ++counters_.suppressed;
      return std::nullopt;
    }
  }
  m.last_sent = now;
  ++counters_.hits;
  return bytes_of(m);
}

void PacketCache::expire(Timestamp now) {
  std::erase_if(rings_,
                [&](const auto& entry) { return now - entry.second.last_used >= config_.idle_timeout; });
}

}  // namespace jvb::media
