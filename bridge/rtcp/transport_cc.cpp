// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// §3.1): parsing, allocation-free iteration, and a builder with a chunk encoder.
#include "bridge/rtcp/transport_cc.hpp"

#include <algorithm>
#include <array>

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

namespace {

constexpr std::size_t kRunLengthMax = 0x1FFF;
constexpr std::size_t kOneBitCapacity = 14;
constexpr std::size_t kTwoBitCapacity = 7;
constexpr std::uint8_t kReservedSymbol = 3;

bool is_run_length(std::uint16_t chunk) { return (chunk & 0x8000) == 0; }
bool is_two_bit(std::uint16_t chunk) { return (chunk & 0x4000) != 0; }

std::size_t chunk_capacity(std::uint16_t chunk) {
  if (is_run_length(chunk)) return chunk & kRunLengthMax;
  return is_two_bit(chunk) ? kTwoBitCapacity : kOneBitCapacity;
}

std::uint8_t chunk_symbol(std::uint16_t chunk, std::size_t index) {
  if (is_run_length(chunk)) return (chunk >> 13) & 3;
  if (is_two_bit(chunk)) return (chunk >> (12 - 2 * index)) & 3;
  return (chunk >> (13 - index)) & 1;
}

std::size_t delta_size(std::uint8_t symbol) { return symbol == 1 ? 1 : symbol == 2 ? 2 : 0; }

std::int32_t sign_extend_24(std::uint32_t v) {
  return static_cast<std::int32_t>((v & 0x800000) ? (v | 0xFF000000u) : v);
}

}  // namespace

std::optional<TccPacketStatus> TccPacketIterator::next() {
  while (left_ > 0 && in_chunk_ == 0) {
    ByteReader r(chunks_.subspan(std::min(chunk_pos_, chunks_.size())));
    chunk_ = r.u16();
    if (!r.ok()) {
      left_ = 0;  // unreachable for a parsed feedback
      return std::nullopt;
    }
    chunk_pos_ += 2;
    chunk_index_ = 0;
    in_chunk_ = chunk_capacity(chunk_);
  }
  if (left_ == 0) return std::nullopt;
  const std::uint8_t symbol = chunk_symbol(chunk_, chunk_index_);
  ++chunk_index_;
  --in_chunk_;
  --left_;
  TccPacketStatus s;
  s.sequence_number = sequence_++;
  const std::size_t n = delta_size(symbol);
  if (n == 0) return s;  // not received (a reserved symbol cannot pass parse)
  ByteReader r(deltas_.subspan(std::min(delta_pos_, deltas_.size())));
  const std::int32_t delta = n == 1 ? r.u8() : static_cast<std::int16_t>(r.u16());
  if (!r.ok()) {
    left_ = 0;  // unreachable for a parsed feedback
    return std::nullopt;
  }
  delta_pos_ += n;
  s.status = n == 1 ? TccStatus::kSmallDelta : TccStatus::kLargeDelta;
  s.delta_ticks = delta;
  time_ += delta * kTccDeltaTick;
  s.arrival = time_;
  return s;
}

Result<TransportFeedback, RtcpError> TransportFeedback::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtRtpFeedback || packet.count != kFmtTransportFeedback) {
    return unexpected(RtcpError::kWrongType);
  }
  ByteReader r(packet.body);
  TransportFeedback f;
  f.sender_ssrc_ = r.u32();
  f.media_ssrc_ = r.u32();
  f.base_sequence_ = r.u16();
  f.status_count_ = r.u16();
  f.reference_ticks_ = sign_extend_24(r.u24());
  f.feedback_count_ = r.u8();
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  if (f.status_count_ == 0) return unexpected(RtcpError::kMalformed);

  const std::size_t chunks_start = r.offset();
  std::size_t covered = 0;
  std::size_t delta_bytes = 0;
  while (covered < f.status_count_) {
    const std::uint16_t chunk = r.u16();
    if (!r.ok()) return unexpected(RtcpError::kBadLength);
    const std::size_t n = std::min(chunk_capacity(chunk), f.status_count_ - covered);
    // Symbols past the status count (the tail of the last chunk) are padding and not checked.
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t symbol = chunk_symbol(chunk, i);
      if (symbol == kReservedSymbol) return unexpected(RtcpError::kMalformed);
      delta_bytes += delta_size(symbol);
      if (symbol != 0) ++f.received_count_;
      if (is_run_length(chunk)) {
        // Every symbol of a run is the same: account for the rest at once.
        delta_bytes += (n - 1) * delta_size(symbol);
        if (symbol != 0) f.received_count_ += n - 1;
        break;
      }
    }
    covered += n;
  }
  f.chunks_ = packet.body.subspan(chunks_start, r.offset() - chunks_start);
  f.deltas_ = r.bytes(delta_bytes);
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  return f;
}

std::vector<TccPacketStatus> TransportFeedback::all_packets() const {
  std::vector<TccPacketStatus> out;
  out.reserve(status_count_);
  auto it = packets();
  while (auto s = it.next()) out.push_back(*s);
  return out;
}

namespace {

// Turns a stream of status symbols into chunks, preferring long runs, then 14 one-bit
// symbols, then 7 two-bit ones. At most 14 symbols are pending; a pending run longer than
// that consists of one repeated symbol, so only the count matters.
class ChunkEncoder {
 public:
  template <class Sink>
  void add(std::uint8_t symbol, Sink& emit) {
    if (!can_add(symbol)) emit_chunk(emit);
    if (size_ < symbols_.size()) symbols_[size_] = symbol;
    all_same_ = size_ == 0 || (all_same_ && symbol == symbols_[0]);
    has_large_ = has_large_ || symbol == 2;
    ++size_;
  }

  template <class Sink>
  void flush(Sink& emit) {
    if (size_ == 0) return;
    if (all_same_) {
      emit(run_length());
    } else if (size_ <= kTwoBitCapacity) {
      emit(two_bit(size_));
    } else {
      emit(one_bit(size_));  // 8..14 symbols, none large (see can_add)
    }
    clear();
  }

  bool has_pending() const { return size_ > 0; }
  std::size_t emitted() const { return emitted_; }

 private:
  bool can_add(std::uint8_t symbol) const {
    if (size_ < kTwoBitCapacity) return true;
    if (size_ < kOneBitCapacity && !has_large_ && symbol != 2) return true;
    if (size_ < kRunLengthMax && all_same_ && symbol == symbols_[0]) return true;
    return false;
  }

  template <class Sink>
  void emit_chunk(Sink& emit) {
    if (all_same_) {
      emit(run_length());
      clear();
      return;
    }
    if (size_ == kOneBitCapacity) {
      emit(one_bit(kOneBitCapacity));
      clear();
      return;
    }
    // 7..13 mixed symbols and a large delta among them or next: send 7 as two-bit, keep the rest.
    emit(two_bit(kTwoBitCapacity));
    const std::size_t rest = size_ - kTwoBitCapacity;
    std::copy_n(symbols_.begin() + kTwoBitCapacity, rest, symbols_.begin());
    size_ = rest;
    all_same_ = true;
    has_large_ = false;
    for (std::size_t i = 0; i < size_; ++i) {
      all_same_ = all_same_ && symbols_[i] == symbols_[0];
      has_large_ = has_large_ || symbols_[i] == 2;
    }
  }

  std::uint16_t run_length() {
    ++emitted_;
    return static_cast<std::uint16_t>((symbols_[0] << 13) | size_);
  }
  std::uint16_t one_bit(std::size_t n) {
    ++emitted_;
    std::uint16_t c = 0x8000;
    for (std::size_t i = 0; i < n; ++i) c = static_cast<std::uint16_t>(c | ((symbols_[i] & 1) << (13 - i)));
    return c;
  }
  std::uint16_t two_bit(std::size_t n) {
    ++emitted_;
    std::uint16_t c = 0xC000;
    for (std::size_t i = 0; i < n; ++i) c = static_cast<std::uint16_t>(c | (symbols_[i] << (12 - 2 * i)));
    return c;
  }
  void clear() {
    size_ = 0;
    all_same_ = true;
    has_large_ = false;
  }

  std::array<std::uint8_t, kOneBitCapacity> symbols_{};
  std::size_t size_ = 0;
  std::size_t emitted_ = 0;
  bool all_same_ = true;
  bool has_large_ = false;
};

// Floor division, also for negative numerators.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t to_us(Timestamp t) {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// The state of an encoding in progress; copied to try a packet and roll back.
struct Plan {
  ChunkEncoder encoder;
  std::size_t statuses = 0;
  std::size_t delta_bytes = 0;
  std::int64_t last_ticks = 0;  // quantized arrival of the last received packet, 250 us ticks
  std::uint16_t next_sequence = 0;

  std::size_t size() const {
    const std::size_t chunks = encoder.emitted() + (encoder.has_pending() ? 1 : 0);
    const std::size_t raw = kTccHeaderSize + 2 * chunks + delta_bytes;
    return (raw + 3) & ~std::size_t{3};
  }
};

struct NullSink {
  void operator()(std::uint16_t) {}
};

// Adds one input packet (with the not-received statuses for any skipped sequence numbers) to
// `plan`. Returns false if its delta does not fit in 16 bits. `on_delta` receives each delta.
template <class Sink, class DeltaSink>
bool add_packet(Plan& plan, const TccPacket& p, std::int64_t reference_us, Sink& sink, DeltaSink& on_delta) {
  const std::uint16_t gap = static_cast<std::uint16_t>(p.sequence_number - plan.next_sequence);
  for (std::uint16_t i = 0; i < gap; ++i) plan.encoder.add(0, sink);
  plan.statuses += gap;
  std::uint8_t symbol = 0;
  if (p.arrival) {
    // Rounded to the nearest tick; each delta is taken from the previous quantized time, so
    // rounding errors do not accumulate.
    const std::int64_t ticks = floor_div(to_us(*p.arrival) - reference_us + 125, 250);
    const std::int64_t delta = ticks - plan.last_ticks;
    if (delta < INT16_MIN || delta > INT16_MAX) return false;
    symbol = (delta >= 0 && delta <= 255) ? 1 : 2;
    plan.delta_bytes += symbol;
    plan.last_ticks = ticks;
    on_delta(symbol, static_cast<std::int32_t>(delta));
  }
  plan.encoder.add(symbol, sink);
  ++plan.statuses;
  plan.next_sequence = static_cast<std::uint16_t>(p.sequence_number + 1);
  return true;
}

}  // namespace

Result<TccWriteResult, RtcpError> write_transport_feedback(std::span<std::uint8_t> out,
                                                           const TransportFeedbackHeader& header,
                                                           std::span<const TccPacket> packets) {
  if (packets.empty()) return unexpected(RtcpError::kInvalidArgument);
  for (std::size_t i = 1; i < packets.size(); ++i) {
    const std::uint16_t step =
        static_cast<std::uint16_t>(packets[i].sequence_number - packets[i - 1].sequence_number);
    if (step == 0 || step > 0x7FFF) return unexpected(RtcpError::kInvalidArgument);
  }
  // The reference time: the first arrival, rounded down to 64 ms.
  std::int64_t reference_ticks = 0;
  for (const auto& p : packets) {
    if (p.arrival) {
      reference_ticks = floor_div(to_us(*p.arrival), kTccReferenceTick.count());
      break;
    }
  }
  const std::int64_t reference_us = reference_ticks * kTccReferenceTick.count();

  // Pass 1: how many packets fit.
  Plan plan;
  plan.next_sequence = packets[0].sequence_number;
  NullSink null_sink;
  auto no_delta = [](std::uint8_t, std::int32_t) {};
  std::size_t count = 0;
  for (const auto& p : packets) {
    Plan trial = plan;
    if (!add_packet(trial, p, reference_us, null_sink, no_delta)) break;
    if (trial.statuses > 0xFFFF || trial.size() > out.size()) break;
    plan = trial;
    ++count;
  }
  if (count == 0) return unexpected(RtcpError::kBufferTooSmall);

  // Pass 2: write the header and chunks, then the deltas.
  ByteWriter w(out);
  const auto start = begin_packet(w, kFmtTransportFeedback, kPtRtpFeedback);
  w.u32(header.sender_ssrc);
  w.u32(header.media_ssrc);
  w.u16(packets[0].sequence_number);
  w.u16(static_cast<std::uint16_t>(plan.statuses));
  w.u24(static_cast<std::uint32_t>(reference_ticks) & 0xFFFFFF);
  w.u8(header.feedback_count);
  auto write_chunk = [&](std::uint16_t chunk) { w.u16(chunk); };
  Plan chunks;
  chunks.next_sequence = packets[0].sequence_number;
  for (std::size_t i = 0; i < count; ++i)
    (void)add_packet(chunks, packets[i], reference_us, write_chunk, no_delta);
  chunks.encoder.flush(write_chunk);
  Plan deltas;
  deltas.next_sequence = packets[0].sequence_number;
  auto write_delta = [&](std::uint8_t size, std::int32_t delta) {
    if (size == 1) {
      w.u8(static_cast<std::uint8_t>(delta));
    } else {
      w.u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(delta)));
    }
  };
  for (std::size_t i = 0; i < count; ++i)
    (void)add_packet(deltas, packets[i], reference_us, null_sink, write_delta);
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return TccWriteResult{w.offset(), count};
}

}  // namespace jvb::rtcp
