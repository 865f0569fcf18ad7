// One endpoint's transport on the shared media port: its ICE agent, its DTLS association and
// the two SRTP sessions keyed from it (RFC 8445, RFC 6347, RFC 5764, RFC 3711/7714), the SCTP
// association carrying its data channels over DTLS (RFC 8261, RFC 8831/8832) when signaling
// asked for one, plus the RFC 7983 classification of what arrives. Sans-IO: datagrams and time in; datagrams,
// events and the next wake-up time out. It never touches a socket or a clock.
//
// Accepts DTLS and SRTP only from addresses ICE has validated, and builds SRTP state only
// after the DTLS handshake completed and the peer's certificate matched its fingerprint.
//
// Owned and called by one thread (the media worker that owns the endpoint's conference).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bridge/core/socket_address.hpp"
#include "bridge/core/time.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/dtls/dtls_transport.hpp"
#include "bridge/srtp/srtp_session.hpp"
#include "ice/candidate.hpp"
#include "ice/credentials.hpp"
#include "ice/ice_agent.hpp"
#include "sctp/data_channels.hpp"

namespace jvb::transport {

// The remote side's DTLS `setup` attribute (RFC 4145/5763): who starts the handshake.
enum class DtlsSetup { kActive, kPassive, kActpass };

struct TransportConfig {
  ice::IceConfig ice;
  dtls::DtlsTransport::Options dtls;
};

enum class TransportState { kNew, kConnecting, kConnected, kFailed };

enum class TransportEventKind {
  kStateChanged,        // state() changed; `reason` says why on kFailed
  kAddressValidated,    // ICE validated `remote`: the port may route it to this endpoint
  kDataChannelOpen,     // the peer opened the bridge channel (DCEP); `reason` is its label
  kDataChannelMessage,  // one text message on it, in `reason`
  kDataChannelClosed,   // the channel or the whole association went away
};

struct TransportEvent {
  TransportEventKind kind;
  TransportState state;
  SocketAddress remote;
  std::string reason;
};

enum class PacketKind { kNone, kRtp, kRtcp };

// What handle_datagram() left in the caller's buffer.
struct Received {
  PacketKind kind = PacketKind::kNone;  // kNone: consumed (STUN, DTLS) or dropped (counted)
  std::size_t length = 0;               // plain RTP/RTCP length, decrypted in place
};

class EndpointTransport {
 public:
  EndpointTransport(const TransportConfig& config, std::shared_ptr<const dtls::DtlsCertificate> certificate,
                    ice::IceRole role, ice::IceCredentials local, std::uint64_t tie_breaker,
                    std::uint32_t local_priority);

  // ---- signaling ----
  const ice::IceCredentials& local_credentials() const { return ice_.local_credentials(); }
  const std::string& local_fingerprint() const { return certificate_->fingerprint(); }
  void set_remote_ice(ice::IceCredentials credentials, const std::vector<ice::Candidate>& candidates);
  void add_remote_candidate(const ice::Candidate& candidate);
  // Fixes the DTLS role from the remote `setup` (remote active -> we are server) and the
  // fingerprints to check. The role can be set once; later calls only update fingerprints.
  void set_remote_dtls(std::vector<dtls::DtlsFingerprint> fingerprints, DtlsSetup remote_setup,
                       Timestamp now);
  void restart_ice(ice::IceCredentials new_local);
  // Accept the peer's SCTP association and data channels (Colibri2 <sctp/>); the bridge stays
  // passive (like JVB towards endpoints: it never sends INIT).
  void enable_data_channels(std::size_t max_channels);
  bool data_channels_enabled() const { return data_channels_ != nullptr; }
  // One text message on the open data channel; false when there is none or SCTP refused it.
  bool send_channel_message(std::string_view text, Timestamp now);

  // ---- data path ----
  // A datagram the port routed to this endpoint. SRTP/SRTCP is decrypted in place.
  Received handle_datagram(Timestamp now, const SocketAddress& from, std::span<std::uint8_t> datagram);

  // Encrypts the plain RTP (or RTCP) packet of `length` bytes in `buffer`, which has
  // srtp::SrtpSession::kMaxTrailer spare bytes after it. Returns the protected length, or
  // nullopt when there is nowhere to send (not connected, consent lost) or encryption failed.
  std::optional<std::size_t> protect_rtp(std::span<std::uint8_t> buffer, std::size_t length);
  std::optional<std::size_t> protect_rtcp(std::span<std::uint8_t> buffer, std::size_t length);
  // Where media goes: the ICE-selected remote address.
  std::optional<SocketAddress> media_destination() const;

  // ---- time and outputs ----
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;
  std::optional<ice::Transmit> poll_transmit();
  std::optional<TransportEvent> poll_event();

  TransportState state() const { return state_; }
  ice::IceState ice_state() const { return ice_.state(); }
  dtls::DtlsState dtls_state() const;
  std::optional<srtp::SrtpProfile> srtp_profile() const;

  struct Counters {
    std::uint64_t stun_in = 0;
    std::uint64_t dtls_in = 0;
    std::uint64_t rtp_decrypted = 0;
    std::uint64_t rtcp_decrypted = 0;
    std::uint64_t rtp_encrypted = 0;
    std::uint64_t rtcp_encrypted = 0;
    std::uint64_t dropped_unvalidated_address = 0;  // DTLS/SRTP from an address ICE has not validated
    std::uint64_t dropped_before_keys = 0;          // SRTP before DTLS finished
    std::uint64_t dropped_auth_failed = 0;
    std::uint64_t dropped_replay = 0;
    std::uint64_t dropped_malformed = 0;      // too short, or an SRTP error other than the above
    std::uint64_t dropped_unknown_class = 0;  // not STUN, DTLS, RTP or RTCP (RFC 7983)
    std::uint64_t encrypt_failures = 0;
    std::uint64_t dropped_sctp_not_negotiated = 0;  // DTLS application data without <sctp/>
  };
  const Counters& counters() const { return counters_; }
  // When the port last routed a datagram here (JVB expires endpoints that stay silent).
  std::optional<Timestamp> last_received() const { return last_received_; }
  // Why state() is kFailed (empty otherwise): what an admin reads in /debug.
  const std::string& failure_reason() const { return failure_reason_; }
  const ice::IceAgent& ice() const { return ice_; }
  const dtls::DtlsTransport* dtls() const { return dtls_.get(); }
  const sctp::DataChannelSession* data_channels() const { return data_channels_.get(); }

 private:
  void drain_dtls(Timestamp now);
  void drain_data_channels(Timestamp now);
  void update_state(Timestamp now);
  void fail(std::string reason);
  void count_srtp_error(srtp::SrtpError error);

  TransportConfig config_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  ice::IceAgent ice_;
  std::unique_ptr<dtls::DtlsTransport> dtls_;
  std::vector<dtls::DtlsFingerprint> remote_fingerprints_;
  std::optional<SocketAddress> dtls_peer_;  // where DTLS goes before ICE has selected a pair
  std::unique_ptr<srtp::SrtpSession> srtp_in_;
  std::unique_ptr<srtp::SrtpSession> srtp_out_;
  std::unique_ptr<sctp::DataChannelSession> data_channels_;
  std::deque<ice::Transmit> transmits_;
  std::deque<TransportEvent> events_;
  TransportState state_ = TransportState::kNew;
  std::optional<Timestamp> last_received_;
  std::string failure_reason_;
  Counters counters_;
};

}  // namespace jvb::transport
