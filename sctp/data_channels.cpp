// WebRTC data channels with DCEP on one SCTP association; see data_channels.hpp.
#include "sctp/data_channels.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "bridge/core/log.hpp"

namespace jvb::sctp {
namespace {

const log::Logger kLog{"DataChannels"};

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::string_view open_channel_error_name(OpenChannelError error) {
  switch (error) {
    case OpenChannelError::kNotConnected:
      return "not connected";
    case OpenChannelError::kTooManyChannels:
      return "too many channels";
    case OpenChannelError::kNoFreeStream:
      return "no free stream id";
    case OpenChannelError::kSendFailed:
      return "could not send DATA_CHANNEL_OPEN";
  }
  return "unknown";
}

DataChannelSession::DataChannelSession(Options options)
    : options_(std::move(options)), association_(options_.sctp) {}

void DataChannelSession::connect(Timestamp now) {
  last_now_ = now;
  association_.connect(now);
  pump(now);
}

void DataChannelSession::handle_packet(Timestamp now, std::span<const std::uint8_t> packet) {
  last_now_ = now;
  association_.handle_packet(now, packet);
  pump(now);
}

void DataChannelSession::handle_timeout(Timestamp now) {
  last_now_ = now;
  association_.handle_timeout(now);
  pump(now);
}

Result<std::uint16_t, OpenChannelError> DataChannelSession::open_channel(std::string_view label,
                                                                         std::string_view protocol,
                                                                         Timestamp now) {
  last_now_ = now;
  pump(now);
  if (!connected()) return unexpected(OpenChannelError::kNotConnected);
  if (channels_.size() >= options_.max_channels) return unexpected(OpenChannelError::kTooManyChannels);
  std::optional<std::uint16_t> stream;
  for (std::uint32_t id = options_.dtls_client ? 0 : 1; id < association_.outbound_streams(); id += 2) {
    if (!channels_.contains(static_cast<std::uint16_t>(id))) {
      stream = static_cast<std::uint16_t>(id);
      break;
    }
  }
  if (!stream) return unexpected(OpenChannelError::kNoFreeStream);
  DcepOpen open;
  open.label = label;
  open.protocol = protocol;
  std::vector<std::uint8_t> message(dcep_open_size(open));
  if (!write_dcep_open(message, open)) return unexpected(OpenChannelError::kSendFailed);
  if (association_.send(*stream, kPpidDcep, message, now) != SendStatus::kOk) {
    return unexpected(OpenChannelError::kSendFailed);
  }
  channels_.emplace(*stream, Channel{false, std::string(label), std::string(protocol)});
  pump(now);
  return *stream;
}

std::optional<std::uint16_t> DataChannelSession::open_channel_stream() const {
  for (const auto& [id, channel] : channels_) {
    if (channel.open) return id;
  }
  return std::nullopt;
}

SendStatus DataChannelSession::send_text(std::string_view text, Timestamp now) {
  if (channels_.empty()) {
    ++counters_.sends_no_channel;
    return SendStatus::kNoChannel;
  }
  return send_text(channels_.begin()->first, text, now);
}

SendStatus DataChannelSession::send_text(std::uint16_t stream_id, std::string_view text, Timestamp now) {
  last_now_ = now;
  if (!channels_.contains(stream_id)) {
    ++counters_.sends_no_channel;
    return SendStatus::kNoChannel;
  }
  static constexpr std::array<std::uint8_t, 1> kEmptyString{0};
  const SendStatus status = text.empty() ? association_.send(stream_id, kPpidStringEmpty, kEmptyString, now)
                                         : association_.send(stream_id, kPpidString, as_bytes(text), now);
  if (status == SendStatus::kOk) ++counters_.text_messages_out;
  pump(now);
  return status;
}

void DataChannelSession::close() {
  association_.close();
  channels_.clear();
}

std::optional<std::vector<std::uint8_t>> DataChannelSession::poll_packet() {
  if (last_now_) pump(*last_now_);
  return association_.poll_packet();
}

std::optional<DataChannelEvent> DataChannelSession::poll_event() {
  if (last_now_) pump(*last_now_);
  if (events_.empty()) return std::nullopt;
  DataChannelEvent event = std::move(events_.front());
  events_.pop_front();
  if (event.kind == DataChannelEventKind::kMessage) {
    --queued_messages_;
    queued_bytes_ -= event.text.size();
  }
  return event;
}

void DataChannelSession::pump(Timestamp now) {
  while (auto event = association_.poll_event()) {
    switch (event->kind) {
      case SctpEventKind::kConnected:
        report(DataChannelEvent{DataChannelEventKind::kConnected});
        break;
      case SctpEventKind::kMessage:
        on_message(*event, now);
        break;
      case SctpEventKind::kStreamsReset: {
        std::vector<std::uint16_t> closed;
        for (const auto& [id, channel] : channels_) {
          const bool reset = event->streams.empty() || std::find(event->streams.begin(), event->streams.end(),
                                                                 id) != event->streams.end();
          if (reset) closed.push_back(id);
        }
        if (closed.empty()) break;
        // RFC 8831 §6.7: the side that sees the peer's reset resets its own outgoing stream.
        (void)association_.reset_streams(closed, now);
        for (const std::uint16_t id : closed) {
          channels_.erase(id);
          ++counters_.channels_closed;
          kLog.fine("data channel on stream {} closed by the peer", id);
          DataChannelEvent e{DataChannelEventKind::kChannelClosed};
          e.stream_id = id;
          report(std::move(e));
        }
        break;
      }
      case SctpEventKind::kClosed: {
        channels_.clear();
        DataChannelEvent e{DataChannelEventKind::kClosed};
        e.reason = event->reason;
        report(std::move(e));
        break;
      }
    }
  }
}

void DataChannelSession::on_message(SctpEvent& message, Timestamp now) {
  const std::uint16_t id = message.stream_id;
  if (message.ppid == kPpidDcep) {
    on_dcep(id, message.data, now);
    return;
  }
  auto it = channels_.find(id);
  if (it == channels_.end()) {
    ++counters_.messages_without_channel;
    return;
  }
  if (!it->second.open) mark_open(id, it->second);
  switch (message.ppid) {
    case kPpidString: {
      ++counters_.text_messages_in;
      DataChannelEvent e{DataChannelEventKind::kMessage};
      e.stream_id = id;
      e.text.assign(message.data.begin(), message.data.end());
      report(std::move(e));
      return;
    }
    case kPpidBinary:
      ++counters_.binary_messages_ignored;
      return;
    default:
      ++counters_.other_ppid_dropped;
      return;
  }
}

void DataChannelSession::on_dcep(std::uint16_t stream_id, std::span<const std::uint8_t> message,
                                 Timestamp now) {
  const auto type = dcep_message_type(message);
  if (!type) {
    ++counters_.dcep_malformed;
    return;
  }
  if (*type == DcepMessageType::kAck) {
    if (!parse_dcep_ack(message)) {
      ++counters_.dcep_malformed;
      return;
    }
    auto it = channels_.find(stream_id);
    if (it == channels_.end() || it->second.open) {
      ++counters_.dcep_unexpected_acks;
      return;
    }
    mark_open(stream_id, it->second);
    return;
  }
  const auto open = parse_dcep_open(message);
  if (!open) {
    ++counters_.dcep_malformed;
    kLog.fine("malformed DATA_CHANNEL_OPEN on stream {}: {}", stream_id, dcep_error_name(open.error()));
    return;
  }
  if (channels_.contains(stream_id)) {
    ++counters_.dcep_duplicate_opens;
    return;
  }
  if (channels_.size() >= options_.max_channels) {
    ++counters_.rejected_data_channels;
    kLog.fine("rejected data channel on stream {}: {} open already", stream_id, channels_.size());
    return;
  }
  std::array<std::uint8_t, kDcepAckSize> ack{};
  // Cannot fail: the buffer is exactly kDcepAckSize.
  (void)write_dcep_ack(ack);
  if (association_.send(stream_id, kPpidDcep, ack, now) != SendStatus::kOk)
    ++counters_.dcep_ack_send_failures;
  auto it =
      channels_.emplace(stream_id, Channel{false, std::string(open->label), std::string(open->protocol)})
          .first;
  mark_open(stream_id, it->second);
}

void DataChannelSession::mark_open(std::uint16_t stream_id, Channel& channel) {
  channel.open = true;
  ++counters_.channels_opened;
  kLog.fine("data channel on stream {} open: label '{}'", stream_id, channel.label);
  DataChannelEvent e{DataChannelEventKind::kChannelOpen};
  e.stream_id = stream_id;
  e.label = channel.label;
  e.protocol = channel.protocol;
  report(std::move(e));
}

void DataChannelSession::report(DataChannelEvent event) {
  if (event.kind == DataChannelEventKind::kMessage) {
    const auto& bounds = options_.sctp;
    if (queued_messages_ >= bounds.max_queued_messages ||
        queued_bytes_ + event.text.size() > bounds.max_queued_bytes) {
      ++counters_.messages_queue_full;
      return;
    }
    ++queued_messages_;
    queued_bytes_ += event.text.size();
  }
  events_.push_back(std::move(event));
}

}  // namespace jvb::sctp
