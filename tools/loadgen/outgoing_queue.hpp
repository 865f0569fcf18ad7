// The datagrams one synthetic endpoint wants sent, waiting for the shell's next batched send
// (sendmmsg). Fixed-size slots in one growing buffer that keeps its capacity, so the steady
// state makes no allocation per packet; each slot has room for the SRTP trailer that
// protection appends in place.
//
// Use: begin_slot(), write up to kSlotSize bytes, commit(to, length) — one slot at a time, as
// a later begin_slot() may move the storage. Header-only; one owner; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "bridge/core/socket_address.hpp"
#include "bridge/srtp/srtp_session.hpp"

namespace jvb::loadgen {

class OutgoingQueue {
 public:
  static constexpr std::size_t kMaxPacket = 1500;
  static constexpr std::size_t kSlotSize = kMaxPacket + srtp::SrtpSession::kMaxTrailer;

  struct Entry {
    SocketAddress to;
    std::size_t offset = 0;
    std::size_t length = 0;
  };

  std::span<std::uint8_t> begin_slot() {
    std::size_t offset = entries_.size() * kSlotSize;
    if (storage_.size() < offset + kSlotSize) storage_.resize(offset + kSlotSize);
    return {storage_.data() + offset, kSlotSize};
  }
  void commit(const SocketAddress& to, std::size_t length) {
    entries_.push_back({to, entries_.size() * kSlotSize, length});
  }
  // A datagram made elsewhere (ICE, DTLS); longer ones than a slot are dropped.
  bool push(const SocketAddress& to, std::span<const std::uint8_t> bytes) {
    if (bytes.size() > kSlotSize) return false;
    auto slot = begin_slot();
    std::memcpy(slot.data(), bytes.data(), bytes.size());
    commit(to, bytes.size());
    return true;
  }

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }
  std::span<const std::uint8_t> bytes(const Entry& e) const { return {storage_.data() + e.offset, e.length}; }
  void clear() { entries_.clear(); }

 private:
  std::vector<std::uint8_t> storage_;
  std::vector<Entry> entries_;
};

}  // namespace jvb::loadgen
