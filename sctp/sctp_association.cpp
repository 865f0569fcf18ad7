// One SCTP association over DTLS on usrsctp; see sctp_association.hpp.
#include "sctp/sctp_association.hpp"

#include <mutex>
#include <utility>

#include "bridge/core/log.hpp"

namespace jvb::sctp {
namespace {

const log::Logger kLog{"SctpAssociation"};

UsrsctpSocketConfig socket_config(const SctpAssociation::Options& o) {
  UsrsctpSocketConfig c;
  c.port = o.port;
  c.streams = o.streams;
  c.send_buffer_size = o.send_buffer_size;
  c.receive_buffer_size = o.receive_buffer_size;
  c.partial_delivery_point = o.partial_delivery_point;
  c.mtu = o.mtu;
  c.rto_initial = o.rto_initial;
  c.rto_min = o.rto_min;
  c.rto_max = o.rto_max;
  c.max_retransmissions = o.max_retransmissions;
  return c;
}

}  // namespace

std::string_view send_status_name(SendStatus status) {
  switch (status) {
    case SendStatus::kOk:
      return "ok";
    case SendStatus::kNotConnected:
      return "not connected";
    case SendStatus::kNoChannel:
      return "no open channel";
    case SendStatus::kEmpty:
      return "empty message";
    case SendStatus::kTooLarge:
      return "message too large";
    case SendStatus::kBufferFull:
      return "send buffer full";
    case SendStatus::kFailed:
      return "send failed";
  }
  return "unknown";
}

std::string_view close_reason_name(SctpCloseReason reason) {
  switch (reason) {
    case SctpCloseReason::kNone:
      return "none";
    case SctpCloseReason::kLocalClose:
      return "closed locally";
    case SctpCloseReason::kPeerAborted:
      return "aborted by the peer";
    case SctpCloseReason::kLost:
      return "association lost";
    case SctpCloseReason::kShutdown:
      return "shut down";
    case SctpCloseReason::kCannotStart:
      return "could not start";
    case SctpCloseReason::kSetupFailed:
      return "socket setup failed";
  }
  return "unknown";
}

SctpAssociation::SctpAssociation(Options options) : options_(options) {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  socket_ = UsrsctpSocket::open(*this, socket_config(options_));
  if (!socket_ || !socket_->listen()) {
    kLog.warn("cannot set up a usrsctp socket");
    close_with(SctpCloseReason::kSetupFailed);
    socket_.reset();
  }
}

SctpAssociation::~SctpAssociation() {
  // The socket unregisters under the lock: no other worker's timer run reaches this sink after.
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  socket_.reset();
}

SctpState SctpAssociation::state() const {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  return state_;
}

SctpCloseReason SctpAssociation::close_reason() const {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  return close_reason_;
}

SctpAssociation::Counters SctpAssociation::counters() const {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  return counters_;
}

std::uint16_t SctpAssociation::inbound_streams() const {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  return inbound_streams_;
}

std::uint16_t SctpAssociation::outbound_streams() const {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  return outbound_streams_;
}

void SctpAssociation::advance(Timestamp now) {
  UsrsctpLibrary::handle_timers(now);
  if (!last_now_ || now > *last_now_) last_now_ = now;
}

void SctpAssociation::connect(Timestamp now) {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  advance(now);
  if (state_ != SctpState::kIdle || !socket_) return;
  state_ = SctpState::kConnecting;
  if (!socket_->connect()) close_with(SctpCloseReason::kSetupFailed);
  reap();
}

void SctpAssociation::handle_packet(Timestamp now, std::span<const std::uint8_t> packet) {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  advance(now);
  ++counters_.packets_in;
  counters_.bytes_in += packet.size();
  if (packet.size() < kMinPacketSize || packet.size() > kMaxPacketSize) {
    ++counters_.packets_malformed;
    return;
  }
  if (state_ == SctpState::kClosed || !socket_) {
    ++counters_.packets_after_close;
    return;
  }
  socket_->input(packet);
  reap();
}

void SctpAssociation::handle_timeout(Timestamp now) {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  advance(now);
  reap();
}

std::optional<Timestamp> SctpAssociation::next_timeout() const {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  if (state_ == SctpState::kClosed || !socket_ || !last_now_) return std::nullopt;
  return UsrsctpLibrary::next_timeout(*last_now_);
}

SendStatus SctpAssociation::send(std::uint16_t stream_id, std::uint32_t ppid,
                                 std::span<const std::uint8_t> data, Timestamp now) {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  advance(now);
  if (state_ != SctpState::kConnected || !socket_) {
    ++counters_.sends_not_connected;
    return SendStatus::kNotConnected;
  }
  if (data.empty()) {
    ++counters_.sends_failed;
    return SendStatus::kEmpty;
  }
  if (data.size() > options_.max_message_size) {
    ++counters_.sends_too_large;
    return SendStatus::kTooLarge;
  }
  SendStatus status = SendStatus::kFailed;
  switch (socket_->send(stream_id, ppid, data)) {
    case UsrsctpSendStatus::kOk:
      ++counters_.messages_out;
      status = SendStatus::kOk;
      break;
    case UsrsctpSendStatus::kWouldBlock:
      ++counters_.sends_buffer_full;
      status = SendStatus::kBufferFull;
      break;
    case UsrsctpSendStatus::kTooLarge:
      ++counters_.sends_too_large;
      status = SendStatus::kTooLarge;
      break;
    case UsrsctpSendStatus::kNotConnected:
      ++counters_.sends_not_connected;
      status = SendStatus::kNotConnected;
      break;
    case UsrsctpSendStatus::kFailed:
      ++counters_.sends_failed;
      status = SendStatus::kFailed;
      break;
  }
  reap();
  return status;
}

bool SctpAssociation::reset_streams(std::span<const std::uint16_t> stream_ids, Timestamp now) {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  advance(now);
  if (state_ != SctpState::kConnected || !socket_) return false;
  const bool ok = socket_->reset_outgoing_streams(stream_ids);
  reap();
  return ok;
}

void SctpAssociation::close() {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  if (socket_) {
    // Still registered: the ABORT usrsctp sends while closing lands in packets_.
    socket_->abort();
    socket_.reset();
  }
  if (state_ != SctpState::kClosed) {
    state_ = SctpState::kClosed;
    close_reason_ = SctpCloseReason::kLocalClose;
    reassembly_.reset();
  }
}

std::optional<std::vector<std::uint8_t>> SctpAssociation::poll_packet() {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  reap();
  if (packets_.empty()) return std::nullopt;
  auto packet = std::move(packets_.front());
  packets_.pop_front();
  return packet;
}

std::optional<SctpEvent> SctpAssociation::poll_event() {
  std::scoped_lock lock(UsrsctpLibrary::mutex());
  reap();
  if (events_.empty()) return std::nullopt;
  SctpEvent event = std::move(events_.front());
  events_.pop_front();
  if (event.kind == SctpEventKind::kMessage) {
    --queued_messages_;
    queued_bytes_ -= event.data.size();
  }
  return event;
}

void SctpAssociation::reap() {
  if (state_ == SctpState::kClosed && socket_) socket_.reset();
}

void SctpAssociation::close_with(SctpCloseReason reason) {
  if (state_ == SctpState::kClosed) return;
  state_ = SctpState::kClosed;
  close_reason_ = reason;
  reassembly_.reset();
  kLog.fine("association closed: {}", close_reason_name(reason));
  SctpEvent event{SctpEventKind::kClosed};
  event.reason = reason;
  events_.push_back(std::move(event));
}

void SctpAssociation::on_sctp_packet(std::span<const std::uint8_t> packet) {
  if (packets_.size() >= options_.max_queued_packets) {
    ++counters_.packets_out_dropped;
    return;
  }
  ++counters_.packets_out;
  counters_.bytes_out += packet.size();
  packets_.emplace_back(packet.begin(), packet.end());
}

void SctpAssociation::on_sctp_data(std::uint16_t stream_id, std::uint32_t ppid,
                                   std::span<const std::uint8_t> data, bool end_of_message) {
  if (state_ == SctpState::kClosed) return;
  if (!reassembly_ && end_of_message) {
    // The common case: a whole message in one call.
    if (data.size() > options_.max_message_size) {
      ++counters_.messages_in_too_large;
      return;
    }
    deliver(stream_id, ppid, std::vector<std::uint8_t>(data.begin(), data.end()));
    return;
  }
  if (reassembly_ && reassembly_->stream_id != stream_id) {
    // usrsctp does not interleave pieces of messages (fragment interleave level 1, no I-DATA);
    // if it ever did, the unfinished message is lost rather than mixed with another.
    ++counters_.messages_in_interleaved;
    reassembly_.reset();
  }
  if (!reassembly_) reassembly_ = Reassembly{stream_id, ppid, {}, 0, false};
  Reassembly& r = *reassembly_;
  ++r.pieces;
  if (!r.too_large && r.data.size() + data.size() > options_.max_message_size) {
    r.too_large = true;
    std::vector<std::uint8_t>().swap(r.data);
  }
  if (!r.too_large) r.data.insert(r.data.end(), data.begin(), data.end());
  if (!end_of_message) return;
  Reassembly done = std::move(r);
  reassembly_.reset();
  if (done.too_large) {
    ++counters_.messages_in_too_large;
    return;
  }
  if (done.pieces > 1) ++counters_.messages_in_pieces;
  deliver(done.stream_id, done.ppid, std::move(done.data));
}

void SctpAssociation::deliver(std::uint16_t stream_id, std::uint32_t ppid, std::vector<std::uint8_t> data) {
  if (queued_messages_ >= options_.max_queued_messages ||
      queued_bytes_ + data.size() > options_.max_queued_bytes) {
    ++counters_.messages_in_queue_full;
    return;
  }
  ++counters_.messages_in;
  ++queued_messages_;
  queued_bytes_ += data.size();
  SctpEvent event{SctpEventKind::kMessage};
  event.stream_id = stream_id;
  event.ppid = ppid;
  event.data = std::move(data);
  events_.push_back(std::move(event));
}

void SctpAssociation::on_sctp_notification(const UsrsctpNotification& n) {
  using Kind = UsrsctpNotification::Kind;
  if (state_ == SctpState::kClosed) return;
  switch (n.kind) {
    case Kind::kAssociationUp:
      state_ = SctpState::kConnected;
      inbound_streams_ = n.inbound_streams;
      outbound_streams_ = n.outbound_streams;
      kLog.fine("association up: {} in / {} out streams", inbound_streams_, outbound_streams_);
      events_.push_back(SctpEvent{SctpEventKind::kConnected});
      return;
    case Kind::kAssociationRestarted:
      ++counters_.restarts;
      inbound_streams_ = n.inbound_streams;
      outbound_streams_ = n.outbound_streams;
      return;
    case Kind::kAssociationLost:
      close_with(n.from_peer ? SctpCloseReason::kPeerAborted : SctpCloseReason::kLost);
      return;
    case Kind::kShutdownComplete:
      close_with(SctpCloseReason::kShutdown);
      return;
    case Kind::kCannotStart:
      close_with(SctpCloseReason::kCannotStart);
      return;
    case Kind::kIncomingStreamsReset: {
      if (n.failed) return;
      ++counters_.stream_resets_in;
      SctpEvent event{SctpEventKind::kStreamsReset};
      event.streams = n.streams;
      events_.push_back(std::move(event));
      return;
    }
    case Kind::kOutgoingStreamsReset:
      return;
    case Kind::kSendFailed:
      ++counters_.send_failures_reported;
      return;
  }
}

}  // namespace jvb::sctp
