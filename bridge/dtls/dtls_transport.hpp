// DTLS 1.2 (RFC 6347) for one endpoint's media connection, with the use_srtp extension and the
// SRTP key export of RFC 5764 (§4.1.2 profiles, §4.2 keying material), and certificate
// verification against the fingerprints signaled in Colibri/Jingle (RFC 8122 §5, RFC 5763 §5).
// Behaviour copied from JVB (jitsi-media-transform's DtlsUtils.kt and its jmt.dtls defaults).
//
// Sans-IO (see ARCHITECTURE.md): datagrams and `now` go in; datagrams, application data,
// state and the next deadline come out. It never touches a socket or reads the clock — except
// that OpenSSL itself decides from the real clock whether a retransmission timer has expired
// (see handle_timeout()).
//
// Who may call: the one thread that owns the endpoint; not thread-safe. Nothing here calls back
// into the caller. Transports made from the same DtlsCertificate may live on different threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/time.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/srtp/srtp_profile.hpp"

struct ssl_st;  // OpenSSL's SSL, kept out of this header
struct bio_st;  // OpenSSL's BIO

namespace jvb::dtls {

// One a=fingerprint line: hash name as in RFC 8122 §5 ("sha-256"), value as colon-separated hex.
// Both are compared case-insensitively.
struct DtlsFingerprint {
  std::string hash;
  std::string value;
};

enum class DtlsRole { kClient, kServer };
enum class DtlsState { kNew, kConnecting, kConnected, kFailed, kClosed };
std::string_view state_name(DtlsState state);

// The SRTP master keys of a connection (RFC 5764 §4.2), each key || salt as SrtpSession takes it.
struct SrtpKeyMaterial {
  srtp::SrtpProfile profile;
  std::vector<std::uint8_t> local_key_salt;   // what we encrypt with (our outbound session)
  std::vector<std::uint8_t> remote_key_salt;  // what the peer encrypts with (our inbound session)
};

class DtlsTransport {
 public:
  struct Options {
    // use_srtp profiles in our order of preference. As server we pick the first of these that the
    // client offered; with none in common the connection fails.
    std::vector<srtp::SrtpProfile> profiles{srtp::SrtpProfile::kAeadAes128Gcm,
                                            srtp::SrtpProfile::kAes128CmHmacSha1_80};
    // Largest datagram we send (the UDP payload); handshake messages are fragmented to fit.
    std::size_t mtu = 1200;
    // From start() to kConnected; JVB's value.
    Duration handshake_timeout = std::chrono::seconds(30);
    // First retransmission timeout, doubled on each expiry up to 60 s (RFC 6347 §4.2.4.1).
    // At least kMinRetransmitTimeout: OpenSSL treats a timer with under 15 ms left as expired and
    // then retransmits on every call, even inside one SSL_do_handshake().
    Duration retransmit_timeout = std::chrono::seconds(1);
  };

  // Datagrams larger than this are dropped unread: no DTLS peer sends them, and a mem BIO holding
  // more than OpenSSL reads at once would let one datagram's tail run into the next.
  static constexpr std::size_t kMaxDatagram = 16384;
  static constexpr Duration kMinRetransmitTimeout = std::chrono::milliseconds(20);

  DtlsTransport(std::shared_ptr<const DtlsCertificate> certificate, DtlsRole role, Options options);
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // The peer's a=fingerprint lines. May come before or after start(). The certificate is checked
  // as soon as it arrives if fingerprints are known by then (a mismatch aborts the handshake with
  // a bad_certificate alert), otherwise when the handshake completes. Setting fingerprints after
  // kConnected checks the peer's certificate again. RFC 8122 §5: the strongest hash offered that
  // we support (sha-512, sha-384, sha-256, sha-1) is used, and every certificate the peer sent
  // must match one of the fingerprints with that hash.
  void set_remote_fingerprints(std::vector<DtlsFingerprint> fingerprints);

  // kNew -> kConnecting. The client sends its ClientHello; the server waits for one. The
  // handshake timeout starts here. A server that receives a datagram before start() starts then.
  void start(Timestamp now);

  // One received UDP datagram that the demux classified as DTLS (RFC 7983: first byte 20-63).
  // Bad input is dropped and counted, never thrown.
  void handle_datagram(Timestamp now, std::span<const std::uint8_t> datagram);

  // Call when next_timeout() has passed: handshake timeout, then retransmission. Limit: OpenSSL
  // reads the real clock to decide whether its retransmission timer expired. If `now` runs ahead
  // of real time (a fake clock), OpenSSL declines and next_timeout() moves to what OpenSSL says
  // is left, counted from `now`. Production passes steady_clock::now(), so the two agree.
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;

  // One datagram to send to the peer per call, in order; nullopt when there is none. OpenSSL
  // packs several records of a flight into one write; each write becomes one datagram, split at
  // record boundaries only when OpenSSL's packing overshoots the MTU (it sizes the packing
  // before the change to the encrypted epoch, so a flight's last datagram can exceed it).
  std::optional<std::vector<std::uint8_t>> poll_transmit();

  DtlsState state() const { return state_; }
  const std::string& failure_reason() const { return failure_reason_; }
  // Set when kConnected is reached, kept afterwards.
  const std::optional<SrtpKeyMaterial>& srtp_keys() const { return srtp_keys_; }
  DtlsRole role() const { return role_; }
  // The RFC 5705 exporter of the connection (no context), e.g. "EXTRACTOR-dtls_srtp"; nullopt
  // unless kConnected. srtp_keys() is derived from it; this is for tests and diagnostics.
  std::optional<std::vector<std::uint8_t>> export_keying_material(std::string_view label,
                                                                  std::size_t length) const;

  // One DTLS record per call (SCTP packets for the data channel). False when not kConnected, or
  // the data is empty or too large for a record.
  bool send_application_data(std::span<const std::uint8_t> data);
  std::optional<std::vector<std::uint8_t>> poll_application_data();

  // Sends close_notify when connected; kClosed either way (unless already kFailed).
  void close();

  struct Counters {
    std::uint64_t datagrams_in = 0;
    std::uint64_t datagrams_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    // Not a sequence of well-formed DTLS records (RFC 6347 §4.1 header: type, version, length),
    // or larger than kMaxDatagram. Records that parse but fail OpenSSL's checks (MAC, epoch,
    // replay) are dropped by OpenSSL silently and counted only in datagrams_in.
    std::uint64_t malformed_datagrams = 0;
    // Arrived when nothing could use them: a client not started, or after kFailed / kClosed.
    std::uint64_t ignored_datagrams = 0;
    std::uint64_t retransmissions = 0;  // flights re-sent from handle_timeout()
    std::uint64_t alerts_received = 0;
    std::uint64_t alerts_sent = 0;
    std::uint64_t handshake_failures = 0;  // every failure before kConnected, whatever the cause
    std::uint64_t handshake_timeouts = 0;
    std::uint64_t fingerprint_mismatches = 0;
    std::uint64_t fingerprints_missing = 0;  // handshake done and nothing signaled to check against
    std::uint64_t no_common_profile = 0;
    std::uint64_t application_messages_in = 0;
    std::uint64_t application_messages_out = 0;
    std::uint64_t application_messages_dropped = 0;  // send when not connected, or receive queue full
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Callbacks;  // OpenSSL's C callbacks, defined in the .cpp
  friend struct Callbacks;

  void advance(Timestamp now);
  void emit(std::span<const std::uint8_t> datagram);
  void on_handshake_complete();
  void read_application_data();
  void update_retransmit_deadline(Timestamp now);
  void fail(std::string reason);
  // Checks `certificates` (everything the peer sent) against remote_fingerprints_; on failure
  // counts it and returns the reason.
  std::optional<std::string> verify_fingerprints(std::span<const x509_st* const> certificates);
  std::optional<std::string> verify_peer_after_handshake();

  std::shared_ptr<const DtlsCertificate> certificate_;
  DtlsRole role_;
  Options options_;
  ssl_st* ssl_ = nullptr;
  bio_st* rbio_ = nullptr;  // owned by ssl_

  DtlsState state_ = DtlsState::kNew;
  std::string failure_reason_;
  std::string setup_error_;          // why the constructor could not build the SSL object
  std::string verify_failure_;       // set by the verify callback when it rejects the peer
  bool peer_verified_ = false;       // the verify callback checked the fingerprints
  std::string last_alert_received_;  // e.g. "fatal alert bad certificate", for failure reasons
  std::vector<DtlsFingerprint> remote_fingerprints_;
  std::optional<SrtpKeyMaterial> srtp_keys_;
  std::optional<Timestamp> handshake_deadline_;
  std::optional<Timestamp> retransmit_deadline_;
  std::deque<std::vector<std::uint8_t>> outgoing_;
  std::deque<std::vector<std::uint8_t>> incoming_application_;
  Counters counters_;
};

}  // namespace jvb::dtls
