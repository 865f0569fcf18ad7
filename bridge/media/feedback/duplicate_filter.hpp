// Duplicate termination for one incoming video SSRC (JVB's DuplicateTermination): after RTX
// decapsulation, a seq seen among the last kHistory (1500) seqs is a repeat and is dropped (RTX
// probes often duplicate packets already received). A packet older than that window is dropped too
// (it cannot be told from a repeat, and nothing downstream can use it). So that a sender whose
// numbering jumps back by more than the window is not silenced for good, kRestartAfter consecutive
// "too old" packets restart the filter at the newest of them.
//
// One instance per incoming video SSRC, on its media worker thread; not thread-safe. A fixed
// bit ring, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "bridge/rtp/sequence_unwrapper.hpp"

namespace jvb::media {

class DuplicateFilter {
 public:
  static constexpr std::int64_t kHistory = 1500;
  static constexpr int kRestartAfter = 16;

  // True if the packet is new and should be processed; false to drop it.
  bool accept(std::uint16_t seq);

  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t too_old() const { return too_old_; }

 private:
  static constexpr std::size_t kBits = 2048;  // a power of two >= kHistory
  bool test(std::int64_t seq) const;
  void set(std::int64_t seq);
  void clear(std::int64_t seq);
  void restart(std::int64_t seq);

  rtp::SequenceNumberUnwrapper unwrapper_;  // its reference is always the highest seq
  std::optional<std::int64_t> highest_;
  std::array<std::uint64_t, kBits / 64> bits_{};
  int too_old_run_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t too_old_ = 0;
};

}  // namespace jvb::media
