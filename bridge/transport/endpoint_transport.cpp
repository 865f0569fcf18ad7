// See endpoint_transport.hpp.
#include "bridge/transport/endpoint_transport.hpp"

#include <algorithm>

#include "bridge/core/log.hpp"
#include "ice/packet_class.hpp"

namespace jvb::transport {
namespace {

constexpr log::Logger kLog{"EndpointTransport"};

}  // namespace

EndpointTransport::EndpointTransport(const TransportConfig& config,
                                     std::shared_ptr<const dtls::DtlsCertificate> certificate,
                                     ice::IceRole role, ice::IceCredentials local, std::uint64_t tie_breaker,
                                     std::uint32_t local_priority)
    : config_(config),
      certificate_(std::move(certificate)),
      ice_(config.ice, role, std::move(local), tie_breaker, local_priority) {}

void EndpointTransport::set_remote_ice(ice::IceCredentials credentials,
                                       const std::vector<ice::Candidate>& candidates) {
  ice_.set_remote_credentials(std::move(credentials));
  for (const auto& c : candidates) ice_.add_remote_candidate(c);
}

void EndpointTransport::add_remote_candidate(const ice::Candidate& candidate) {
  ice_.add_remote_candidate(candidate);
}

void EndpointTransport::set_remote_dtls(std::vector<dtls::DtlsFingerprint> fingerprints,
                                        DtlsSetup remote_setup, Timestamp now) {
  remote_fingerprints_ = std::move(fingerprints);
  if (dtls_) {
    dtls_->set_remote_fingerprints(remote_fingerprints_);
    return;
  }
  // The remote side answers our actpass: active makes us the server. A remote actpass
  // leaves the choice to us, and we take the active (client) role as an answerer would.
  dtls::DtlsRole role =
      remote_setup == DtlsSetup::kActive ? dtls::DtlsRole::kServer : dtls::DtlsRole::kClient;
  dtls_ = std::make_unique<dtls::DtlsTransport>(certificate_, role, config_.dtls);
  dtls_->set_remote_fingerprints(remote_fingerprints_);
  if (role == dtls::DtlsRole::kServer) {
    // A server only waits for the ClientHello; starting now starts the handshake timeout.
    dtls_->start(now);
  } else if (ice_.selected_remote() || dtls_peer_) {
    dtls_->start(now);
  }
  drain_dtls(now);
}

void EndpointTransport::restart_ice(ice::IceCredentials new_local) { ice_.restart(std::move(new_local)); }

Received EndpointTransport::handle_datagram(Timestamp now, const SocketAddress& from,
                                            std::span<std::uint8_t> datagram) {
  last_received_ = now;
  switch (ice::classify_packet(datagram)) {
    case ice::PacketClass::kStun:
      ++counters_.stun_in;
      ice_.handle_stun(now, from, datagram);
      update_state(now);
      return {};
    case ice::PacketClass::kDtls:
      if (!ice_.is_validated(from)) {
        ++counters_.dropped_unvalidated_address;
        return {};
      }
      if (!dtls_) {
        ++counters_.dropped_before_keys;  // the remote fingerprint has not been signaled yet
        return {};
      }
      ++counters_.dtls_in;
      dtls_peer_ = from;
      dtls_->handle_datagram(now, datagram);
      drain_dtls(now);
      update_state(now);
      return {};
    case ice::PacketClass::kRtp:
    case ice::PacketClass::kRtcp: {
      bool rtcp = ice::classify_packet(datagram) == ice::PacketClass::kRtcp;
      if (!ice_.is_validated(from)) {
        ++counters_.dropped_unvalidated_address;
        return {};
      }
      if (!srtp_in_) {
        ++counters_.dropped_before_keys;
        return {};
      }
      auto plain = rtcp ? srtp_in_->unprotect_rtcp(datagram) : srtp_in_->unprotect_rtp(datagram);
      if (!plain) {
        count_srtp_error(plain.error());
        return {};
      }
      ++(rtcp ? counters_.rtcp_decrypted : counters_.rtp_decrypted);
      return {rtcp ? PacketKind::kRtcp : PacketKind::kRtp, *plain};
    }
    case ice::PacketClass::kUnknown:
      break;
  }
  ++counters_.dropped_unknown_class;
  return {};
}

void EndpointTransport::count_srtp_error(srtp::SrtpError error) {
  switch (error) {
    case srtp::SrtpError::kAuthFailed:
      ++counters_.dropped_auth_failed;
      break;
    case srtp::SrtpError::kReplay:
      ++counters_.dropped_replay;
      break;
    default:
      ++counters_.dropped_malformed;
      break;
  }
}

std::optional<std::size_t> EndpointTransport::protect_rtp(std::span<std::uint8_t> buffer,
                                                          std::size_t length) {
  if (!srtp_out_ || !ice_.selected_remote()) return std::nullopt;
  auto r = srtp_out_->protect_rtp(buffer, length);
  if (!r) {
    ++counters_.encrypt_failures;
    return std::nullopt;
  }
  ++counters_.rtp_encrypted;
  return *r;
}

std::optional<std::size_t> EndpointTransport::protect_rtcp(std::span<std::uint8_t> buffer,
                                                           std::size_t length) {
  if (!srtp_out_ || !ice_.selected_remote()) return std::nullopt;
  auto r = srtp_out_->protect_rtcp(buffer, length);
  if (!r) {
    ++counters_.encrypt_failures;
    return std::nullopt;
  }
  ++counters_.rtcp_encrypted;
  return *r;
}

std::optional<SocketAddress> EndpointTransport::media_destination() const {
  if (!srtp_out_) return std::nullopt;
  return ice_.selected_remote();
}

void EndpointTransport::handle_timeout(Timestamp now) {
  ice_.handle_timeout(now);
  if (data_channels_) {
    if (auto due = data_channels_->next_timeout(); due && *due <= now) data_channels_->handle_timeout(now);
  }
  if (dtls_) {
    dtls_->handle_timeout(now);
    drain_dtls(now);
  }
  update_state(now);
}

std::optional<Timestamp> EndpointTransport::next_timeout() const {
  std::optional<Timestamp> next = ice_.next_timeout();
  if (dtls_) {
    if (auto d = dtls_->next_timeout(); d && (!next || *d < *next)) next = d;
  }
  if (data_channels_) {
    if (auto d = data_channels_->next_timeout(); d && (!next || *d < *next)) next = d;
  }
  return next;
}

std::optional<ice::Transmit> EndpointTransport::poll_transmit() {
  if (auto t = ice_.poll_transmit()) return t;
  if (transmits_.empty()) return std::nullopt;
  ice::Transmit t = std::move(transmits_.front());
  transmits_.pop_front();
  return t;
}

std::optional<TransportEvent> EndpointTransport::poll_event() {
  if (events_.empty()) return std::nullopt;
  TransportEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

dtls::DtlsState EndpointTransport::dtls_state() const {
  return dtls_ ? dtls_->state() : dtls::DtlsState::kNew;
}

std::optional<srtp::SrtpProfile> EndpointTransport::srtp_profile() const {
  if (!dtls_ || !dtls_->srtp_keys()) return std::nullopt;
  return dtls_->srtp_keys()->profile;
}

void EndpointTransport::enable_data_channels(std::size_t max_channels) {
  if (data_channels_) return;
  sctp::DataChannelSession::Options options;
  options.max_channels = max_channels;
  data_channels_ = std::make_unique<sctp::DataChannelSession>(options);
}

bool EndpointTransport::send_channel_message(std::string_view text, Timestamp now) {
  if (!data_channels_ || !data_channels_->open_channel_stream()) return false;
  bool sent = data_channels_->send_text(text, now) == sctp::SendStatus::kOk;
  drain_data_channels(now);
  drain_dtls(now);
  return sent;
}

// SCTP rides in DTLS application data (RFC 8261): one SCTP packet per record each way.
void EndpointTransport::drain_data_channels(Timestamp now) {
  if (!dtls_) return;
  while (auto record = dtls_->poll_application_data()) {
    if (data_channels_) {
      data_channels_->handle_packet(now, *record);
    } else {
      ++counters_.dropped_sctp_not_negotiated;
    }
  }
  if (!data_channels_) return;
  while (auto packet = data_channels_->poll_packet()) dtls_->send_application_data(*packet);
  while (auto event = data_channels_->poll_event()) {
    TransportEvent out{TransportEventKind::kDataChannelOpen, state_, {}, {}};
    switch (event->kind) {
      case sctp::DataChannelEventKind::kChannelOpen:
        out.reason = event->label;
        break;
      case sctp::DataChannelEventKind::kMessage:
        out.kind = TransportEventKind::kDataChannelMessage;
        out.reason = std::move(event->text);
        break;
      case sctp::DataChannelEventKind::kChannelClosed:
      case sctp::DataChannelEventKind::kClosed:
        out.kind = TransportEventKind::kDataChannelClosed;
        break;
      case sctp::DataChannelEventKind::kConnected:
        continue;
    }
    events_.push_back(std::move(out));
  }
}

void EndpointTransport::drain_dtls(Timestamp now) {
  if (!dtls_) return;
  drain_data_channels(now);
  while (auto datagram = dtls_->poll_transmit()) {
    std::optional<SocketAddress> to = ice_.selected_remote();
    if (!to) to = dtls_peer_;
    if (!to) continue;  // nowhere to send yet; DTLS retransmits once ICE has a pair
    transmits_.push_back({*to, std::move(*datagram)});
  }
  if (dtls_->state() == dtls::DtlsState::kConnected && !srtp_in_) {
    const auto& keys = dtls_->srtp_keys();
    if (!keys) {
      fail("DTLS connected without SRTP keys");
      return;
    }
    auto in = srtp::SrtpSession::create(keys->profile, srtp::SrtpSession::Direction::kInbound,
                                        keys->remote_key_salt);
    auto out = srtp::SrtpSession::create(keys->profile, srtp::SrtpSession::Direction::kOutbound,
                                         keys->local_key_salt);
    if (!in || !out) {
      fail("cannot create SRTP sessions: " + (in ? out.error() : in.error()));
      return;
    }
    srtp_in_ = std::move(*in);
    srtp_out_ = std::move(*out);
    kLog.info("DTLS connected, SRTP profile {}", srtp::profile_name(keys->profile));
  }
  (void)now;
}

void EndpointTransport::fail(std::string reason) {
  if (state_ == TransportState::kFailed) return;
  kLog.warn("Transport failed: {}", reason);
  state_ = TransportState::kFailed;
  failure_reason_ = reason;
  events_.push_back({TransportEventKind::kStateChanged, state_, {}, std::move(reason)});
}

void EndpointTransport::update_state(Timestamp now) {
  while (auto e = ice_.poll_event()) {
    if (e->kind == ice::IceEventKind::kAddressValidated) {
      events_.push_back({TransportEventKind::kAddressValidated, state_, e->remote, {}});
    }
  }
  // A DTLS client starts its handshake once ICE can carry it.
  if (dtls_ && dtls_->state() == dtls::DtlsState::kNew && ice_.selected_remote()) {
    dtls_->start(now);
    drain_dtls(now);
  }
  if (state_ == TransportState::kFailed) return;
  if (dtls_ && dtls_->state() == dtls::DtlsState::kFailed) {
    fail("DTLS failed: " + dtls_->failure_reason());
    return;
  }
  if (ice_.state() == ice::IceState::kFailed) {
    fail("ICE failed or consent expired");
    return;
  }
  TransportState next = state_;
  if (ice_.state() == ice::IceState::kConnected && srtp_out_) {
    next = TransportState::kConnected;
  } else if (ice_.state() != ice::IceState::kNew || dtls_) {
    next = TransportState::kConnecting;
  }
  if (next != state_) {
    state_ = next;
    events_.push_back({TransportEventKind::kStateChanged, state_, {}, {}});
  }
}

}  // namespace jvb::transport
