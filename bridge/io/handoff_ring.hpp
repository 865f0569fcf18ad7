// Datagrams one media worker received for an endpoint another worker owns (worker_routes.hpp),
// on their way to that worker: a bounded single-producer single-consumer ring of fixed slots,
// allocated once, so the hand-off takes no lock and no allocation. A full ring drops the
// datagram (counted by the producer), as a full socket buffer would.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "bridge/core/socket_address.hpp"

namespace jvb::io {

class HandoffRing {
 public:
  // At least a receive slot of the media port (media_service.cpp checks): whatever a worker's
  // socket accepts, the owner gets whole.
  static constexpr std::size_t kSlotBytes = 1536;

  struct Slot {
    SocketAddress from, local;  // as the receiving socket reported them
    std::size_t length = 0;
    std::array<std::uint8_t, kSlotBytes> bytes;
  };

  // `capacity`: a power of two.
  explicit HandoffRing(std::size_t capacity) : slots_(new Slot[capacity]), mask_(capacity - 1) {}

  // Producer: false when the ring is full or the datagram is larger than a slot.
  bool push(const SocketAddress& from, const SocketAddress& local, std::span<const std::uint8_t> data) {
    if (data.size() > kSlotBytes) return false;
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_.load(std::memory_order_acquire) > mask_) return false;
    Slot& slot = slots_[tail & mask_];
    slot.from = from;
    slot.local = local;
    slot.length = data.size();
    std::memcpy(slot.bytes.data(), data.data(), data.size());
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer: the oldest datagram, valid until pop().
  Slot* front() {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_.load(std::memory_order_acquire)) return nullptr;
    return &slots_[head & mask_];
  }
  void pop() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

 private:
  std::unique_ptr<Slot[]> slots_;
  std::size_t mask_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace jvb::io
