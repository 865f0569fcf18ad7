// DtlsTransport on OpenSSL 3: DTLS 1.2 (RFC 6347) with use_srtp and the RFC 5764 §4.2 key export,
// fingerprint verification per RFC 8122 §5. See dtls_transport.hpp for the contract and
// jitsi-media-transform's DtlsUtils.kt and reference.conf (jmt.dtls) for the JVB behaviour copied
// here.
//
// I/O: received datagrams go into a memory BIO one at a time and are fully consumed before the
// next, so record boundaries follow datagram boundaries. Outgoing records go through a custom
// write-only BIO that turns each write into one datagram: a memory BIO would concatenate records
// into one stream and lose the packing OpenSSL chose for the MTU.
#include "bridge/dtls/dtls_transport.hpp"

#include "bridge/core/strings.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <mutex>

#include "bridge/core/log.hpp"

namespace jvb::dtls {
namespace {

constexpr log::Logger kLog{"Dtls"};

// JVB's suites (jmt.dtls.cipher-suites) without DHE-RSA-AES128-GCM-SHA256: ECDHE only. As server
// only the ECDSA ones can be chosen (our certificate is ECDSA); the RSA ones matter when we are
// the client of a peer with an RSA certificate.
constexpr const char* kCipherSuites =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";  // RFC 5764 §4.2

// RFC 6347 §4.1: type(1) version(2) epoch(2) sequence_number(6) length(2).
constexpr std::size_t kRecordHeader = 13;
// RFC 6347 §4.1 / RFC 5246 §6.2.3: a ciphertext fragment is at most 2^14 + 2048 bytes.
constexpr std::size_t kMaxRecordPayload = 16384 + 2048;
// OpenSSL refuses (fatally) larger plaintext in one DTLS record.
constexpr std::size_t kMaxApplicationMessage = 16384;
constexpr std::size_t kMaxQueuedApplicationMessages = 1024;
constexpr unsigned kMaxRetransmitUs = 60'000'000;  // RFC 6347 §4.2.4.1: at least 60 s
constexpr std::size_t kMinMtu = 256;               // OpenSSL's smallest DTLS link MTU

// Whether `d` is one or more complete DTLS 1.0/1.2 records, the only thing a DTLS peer sends.
bool is_dtls_records(std::span<const std::uint8_t> d) {
  if (d.empty()) return false;
  std::size_t at = 0;
  while (at < d.size()) {
    if (d.size() - at < kRecordHeader) return false;
    const std::uint8_t type = d[at];
    if (type < 20 || type > 23) return false;  // change_cipher_spec, alert, handshake, application_data
    if (d[at + 1] != 0xFE || (d[at + 2] != 0xFF && d[at + 2] != 0xFD)) return false;  // DTLS 1.0, 1.2
    const std::size_t length = (std::size_t{d[at + 11]} << 8) | d[at + 12];
    if (length > kMaxRecordPayload || d.size() - at - kRecordHeader < length) return false;
    at += kRecordHeader + length;
  }
  return true;
}

std::string_view role_name(DtlsRole role) { return role == DtlsRole::kClient ? "client" : "server"; }

// The first queued OpenSSL error as text, and an empty queue afterwards: the queue is per thread
// and shared by every transport on it, so nothing may be left behind.
std::string take_openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return {};
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

unsigned initial_retransmit_us(Duration d) {
  const long long min_us =
      std::chrono::duration_cast<std::chrono::microseconds>(DtlsTransport::kMinRetransmitTimeout).count();
  const long long us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return static_cast<unsigned>(std::clamp<long long>(us, min_us, kMaxRetransmitUs));
}

std::size_t record_length_at(std::span<const std::uint8_t> d, std::size_t at) {
  if (d.size() - at < kRecordHeader) return d.size() - at;
  const std::size_t length = kRecordHeader + ((std::size_t{d[at + 11]} << 8) | d[at + 12]);
  return std::min(length, d.size() - at);
}

}  // namespace

std::string_view state_name(DtlsState state) {
  switch (state) {
    case DtlsState::kNew:
      return "new";
    case DtlsState::kConnecting:
      return "connecting";
    case DtlsState::kConnected:
      return "connected";
    case DtlsState::kFailed:
      return "failed";
    case DtlsState::kClosed:
      return "closed";
  }
  return "unknown";
}

// OpenSSL's C callbacks. Each finds its transport through the SSL's app data or the BIO's data,
// both set in the constructor to `this` (transports are not movable).
struct DtlsTransport::Callbacks {
  static DtlsTransport* of(const SSL* ssl) { return static_cast<DtlsTransport*>(SSL_get_app_data(ssl)); }

  static int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static int bio_write(BIO* bio, const char* data, int length) {
    auto* transport = static_cast<DtlsTransport*>(BIO_get_data(bio));
    if (!transport || length <= 0) return length < 0 ? -1 : 0;
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(data),
                                              static_cast<std::size_t>(length));
    const std::size_t mtu = transport->options_.mtu;
    // Greedy packing of whole records into datagrams of at most `mtu` bytes; a write that fits is
    // sent as OpenSSL packed it.
    std::size_t start = 0;
    std::size_t at = 0;
    while (at < bytes.size()) {
      const std::size_t record = record_length_at(bytes, at);
      if (at > start && at + record - start > mtu) {
        transport->emit(bytes.subspan(start, at - start));
        start = at;
      }
      at += record;
    }
    transport->emit(bytes.subspan(start));
    return length;
  }

  static long bio_ctrl(BIO* bio, int command, long, void*) {
    switch (command) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_DGRAM_QUERY_MTU: {
        auto* transport = static_cast<DtlsTransport*>(BIO_get_data(bio));
        return transport ? static_cast<long>(transport->options_.mtu) : 0;
      }
      // 0 overhead: our MTU already is the UDP payload size, so OpenSSL fills datagrams to it.
      case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      case BIO_CTRL_WPENDING:
      case BIO_CTRL_PENDING:
      default:
        return 0;
    }
  }

  // Built once, never modified or freed: BIOs of live transports point to it until exit.
  static BIO_METHOD* datagram_out_method() {
    static BIO_METHOD* const method = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "jvb-dtls-datagram-out");
      if (m) {
        BIO_meth_set_create(m, bio_create);
        BIO_meth_set_write(m, bio_write);
        BIO_meth_set_ctrl(m, bio_ctrl);
      }
      return m;
    }();
    return method;
  }

  // Self-signed certificates never chain to a trust anchor; what authenticates the peer is the
  // fingerprint from the signaling. OpenSSL calls this once per certificate of the chain it built;
  // we check everything the peer sent on the first call. Returning 0 aborts the handshake with
  // the alert for the error set here (bad_certificate).
  static int verify(int, X509_STORE_CTX* store) {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    DtlsTransport* transport = ssl ? of(ssl) : nullptr;
    if (!transport) return 0;
    // Without fingerprints yet, decide when the handshake completes; they may still arrive.
    if (transport->peer_verified_ || transport->remote_fingerprints_.empty()) return 1;
    std::vector<const X509*> certificates;
    if (X509* leaf = X509_STORE_CTX_get0_cert(store)) certificates.push_back(leaf);
    if (STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store)) {
      for (int i = 0; i < sk_X509_num(sent); ++i) certificates.push_back(sk_X509_value(sent, i));
    }
    if (auto failure = transport->verify_fingerprints(certificates)) {
      transport->verify_failure_ = std::move(*failure);
      X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
      return 0;
    }
    transport->peer_verified_ = true;
    return 1;
  }

  // RFC 6347 §4.2.4.1 back-off with our initial value: start at Options::retransmit_timeout,
  // double on each expiry, cap at 60 s. OpenSSL passes 0 when a new flight starts its timer.
  static unsigned int timer(SSL* ssl, unsigned int previous_us) {
    DtlsTransport* transport = of(ssl);
    if (previous_us == 0)
      return transport ? initial_retransmit_us(transport->options_.retransmit_timeout) : 1'000'000;
    return previous_us >= kMaxRetransmitUs / 2 ? kMaxRetransmitUs : previous_us * 2;
  }

  static void info(const SSL* ssl, int where, int value) {
    if (!(where & SSL_CB_ALERT)) return;
    DtlsTransport* transport = of(ssl);
    if (!transport) return;
    if (where & SSL_CB_READ) {
      ++transport->counters_.alerts_received;
      transport->last_alert_received_ =
          std::string(SSL_alert_type_string_long(value)) + " alert " + SSL_alert_desc_string_long(value);
    } else {
      ++transport->counters_.alerts_sent;
    }
  }
};

DtlsTransport::DtlsTransport(std::shared_ptr<const DtlsCertificate> certificate, DtlsRole role,
                             Options options)
    : certificate_(std::move(certificate)), role_(role), options_(std::move(options)) {
  if (!certificate_) {
    setup_error_ = "no local certificate";
    return;
  }
  if (options_.profiles.empty()) {
    setup_error_ = "no SRTP protection profiles configured";
    return;
  }
  if (options_.mtu < kMinMtu || options_.mtu > kMaxDatagram) {
    setup_error_ = "MTU out of range";
    return;
  }

  // One SSL_CTX per certificate, shared by all its transports and threads; only read after this.
  const DtlsCertificate& cert = *certificate_;
  std::call_once(cert.context_once_, [&cert] {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
    bool ok = ctx && SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
              SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
              SSL_CTX_use_certificate(ctx, cert.x509()) == 1 &&
              SSL_CTX_use_PrivateKey(ctx, cert.private_key()) == 1 && SSL_CTX_check_private_key(ctx) == 1 &&
              SSL_CTX_set_cipher_list(ctx, kCipherSuites) == 1 && SSL_CTX_set1_groups_list(ctx, kGroups) == 1;
    if (!ok) {
      kLog.severe("cannot build the DTLS context: {}", take_openssl_error());
      SSL_CTX_free(ctx);
      return;
    }
    // The server asks for the client's certificate (JVB does), and both sides require one.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, Callbacks::verify);
    // No MTU discovery through the BIO (we set it), no resumption or renegotiation: each media
    // connection does one full handshake with a fresh peer certificate check.
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    cert.context_ = std::shared_ptr<void>(ctx, [](void* p) { SSL_CTX_free(static_cast<SSL_CTX*>(p)); });
  });
  auto* ctx = static_cast<SSL_CTX*>(cert.context_.get());
  BIO_METHOD* method = Callbacks::datagram_out_method();
  if (!ctx || !method) {
    setup_error_ = "cannot build the DTLS context";
    return;
  }

  ERR_clear_error();
  ssl_ = SSL_new(ctx);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(method);
  if (!ssl_ || !rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    SSL_free(ssl_);
    ssl_ = nullptr;
    setup_error_ = "out of memory: " + take_openssl_error();
    return;
  }
  BIO_set_mem_eof_return(rbio, -1);  // an empty read BIO means "wait for a datagram", not EOF
  BIO_set_data(wbio, this);
  SSL_set_bio(ssl_, rbio, wbio);
  rbio_ = rbio;
  SSL_set_app_data(ssl_, this);
  SSL_set_info_callback(ssl_, Callbacks::info);
  DTLS_set_timer_cb(ssl_, Callbacks::timer);

  std::string profiles;
  for (srtp::SrtpProfile p : options_.profiles) {
    if (!profiles.empty()) profiles += ':';
    profiles += srtp::openssl_profile_name(p);
  }
  // Returns 0 on success, unlike most of OpenSSL.
  if (SSL_set_tlsext_use_srtp(ssl_, profiles.c_str()) != 0 ||
      DTLS_set_link_mtu(ssl_, static_cast<long>(options_.mtu)) != 1) {
    setup_error_ = "bad SRTP profile list or MTU: " + take_openssl_error();
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  if (role_ == DtlsRole::kServer) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

DtlsTransport::~DtlsTransport() { SSL_free(ssl_); }

void DtlsTransport::emit(std::span<const std::uint8_t> datagram) {
  outgoing_.emplace_back(datagram.begin(), datagram.end());
  ++counters_.datagrams_out;
  counters_.bytes_out += datagram.size();
}

void DtlsTransport::set_remote_fingerprints(std::vector<DtlsFingerprint> fingerprints) {
  remote_fingerprints_ = std::move(fingerprints);
  if (state_ != DtlsState::kConnected) return;
  if (auto failure = verify_peer_after_handshake()) {
    fail(std::move(*failure));
    ERR_clear_error();
    SSL_shutdown(ssl_);  // tell the peer with close_notify; it has no other way to learn
    ERR_clear_error();
  }
}

void DtlsTransport::start(Timestamp now) {
  if (state_ != DtlsState::kNew) return;
  state_ = DtlsState::kConnecting;
  if (!ssl_) {
    fail(setup_error_);
    return;
  }
  handshake_deadline_ = now + options_.handshake_timeout;
  advance(now);
}

void DtlsTransport::handle_datagram(Timestamp now, std::span<const std::uint8_t> datagram) {
  ++counters_.datagrams_in;
  counters_.bytes_in += datagram.size();
  if (state_ == DtlsState::kNew && role_ == DtlsRole::kServer) start(now);
  if (state_ != DtlsState::kConnecting && state_ != DtlsState::kConnected) {
    ++counters_.ignored_datagrams;
    return;
  }
  if (datagram.size() > kMaxDatagram || !is_dtls_records(datagram)) {
    ++counters_.malformed_datagrams;
    return;
  }
  BIO_write(rbio_, datagram.data(), static_cast<int>(datagram.size()));
  advance(now);
  // OpenSSL reads a whole datagram at once, so this holds only if it stopped mid-way (failure);
  // either way the next datagram must not start behind stale bytes.
  if (BIO_ctrl_pending(rbio_) > 0) (void)BIO_reset(rbio_);
}

void DtlsTransport::handle_timeout(Timestamp now) {
  if (state_ == DtlsState::kConnecting && handshake_deadline_ && now >= *handshake_deadline_) {
    ++counters_.handshake_timeouts;
    fail("DTLS handshake did not complete within " +
         std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(options_.handshake_timeout).count()) +
         " ms");
    return;
  }
  if ((state_ != DtlsState::kConnecting && state_ != DtlsState::kConnected) || !retransmit_deadline_ ||
      now < *retransmit_deadline_) {
    return;
  }
  ERR_clear_error();
  const int result = DTLSv1_handle_timeout(ssl_);
  if (result > 0) {
    ++counters_.retransmissions;
  } else if (result < 0) {
    const std::string error = take_openssl_error();
    fail("DTLS retransmission failed" + (error.empty() ? std::string() : ": " + error));
    return;
  }
  ERR_clear_error();
  update_retransmit_deadline(now);
}

std::optional<Timestamp> DtlsTransport::next_timeout() const {
  std::optional<Timestamp> next;
  if (state_ == DtlsState::kConnecting) next = handshake_deadline_;
  if ((state_ == DtlsState::kConnecting || state_ == DtlsState::kConnected) && retransmit_deadline_) {
    next = next ? std::min(*next, *retransmit_deadline_) : *retransmit_deadline_;
  }
  return next;
}

std::optional<std::vector<std::uint8_t>> DtlsTransport::poll_transmit() {
  if (outgoing_.empty()) return std::nullopt;
  std::vector<std::uint8_t> datagram = std::move(outgoing_.front());
  outgoing_.pop_front();
  return datagram;
}

std::optional<std::vector<std::uint8_t>> DtlsTransport::export_keying_material(std::string_view label,
                                                                               std::size_t length) const {
  if (state_ != DtlsState::kConnected || length == 0) return std::nullopt;
  const std::string label_copy(label);  // OpenSSL wants a C string
  std::vector<std::uint8_t> out(length);
  ERR_clear_error();
  const int ok = SSL_export_keying_material(ssl_, out.data(), out.size(), label_copy.c_str(),
                                            label_copy.size(), nullptr, 0, 0);
  ERR_clear_error();
  if (ok != 1) return std::nullopt;
  return out;
}

bool DtlsTransport::send_application_data(std::span<const std::uint8_t> data) {
  if (state_ != DtlsState::kConnected || data.empty() || data.size() > kMaxApplicationMessage) {
    ++counters_.application_messages_dropped;
    return false;
  }
  ERR_clear_error();
  const int written = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  ERR_clear_error();
  if (written != static_cast<int>(data.size())) {
    ++counters_.application_messages_dropped;
    return false;
  }
  ++counters_.application_messages_out;
  return true;
}

std::optional<std::vector<std::uint8_t>> DtlsTransport::poll_application_data() {
  if (incoming_application_.empty()) return std::nullopt;
  std::vector<std::uint8_t> message = std::move(incoming_application_.front());
  incoming_application_.pop_front();
  return message;
}

void DtlsTransport::close() {
  if (state_ == DtlsState::kFailed || state_ == DtlsState::kClosed) return;
  if (state_ == DtlsState::kConnected) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
  state_ = DtlsState::kClosed;
  handshake_deadline_.reset();
  retransmit_deadline_.reset();
}

void DtlsTransport::advance(Timestamp now) {
  if (state_ == DtlsState::kConnecting) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) {
      on_handshake_complete();
    } else {
      const int error = SSL_get_error(ssl_, result);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        std::string reason = verify_failure_;
        if (reason.empty()) {
          const std::string openssl = take_openssl_error();
          reason = !last_alert_received_.empty() ? "received " + last_alert_received_
                   : !openssl.empty()            ? "DTLS handshake failed: " + openssl
                                      : "DTLS handshake failed (SSL error " + std::to_string(error) + ")";
        }
        fail(std::move(reason));
      }
    }
    ERR_clear_error();
  }
  if (state_ == DtlsState::kConnected) read_application_data();
  update_retransmit_deadline(now);
}

void DtlsTransport::on_handshake_complete() {
  if (!peer_verified_) {
    if (auto failure = verify_peer_after_handshake()) {
      fail(std::move(*failure));
      SSL_shutdown(ssl_);
      return;
    }
  }

  // As server, OpenSSL already picked the first of our profiles that the client offered; with
  // none in common it completes the handshake without use_srtp, which we refuse here.
  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  const std::optional<srtp::SrtpProfile> profile =
      selected && selected->name ? srtp::profile_from_name(selected->name) : std::nullopt;
  if (!profile ||
      std::find(options_.profiles.begin(), options_.profiles.end(), *profile) == options_.profiles.end()) {
    ++counters_.no_common_profile;
    fail("no common SRTP protection profile");
    SSL_shutdown(ssl_);
    return;
  }

  // RFC 5764 §4.2: client_write_key | server_write_key | client_write_salt | server_write_salt.
  const std::size_t key = srtp::key_length(*profile);
  const std::size_t salt = srtp::salt_length(*profile);
  std::vector<std::uint8_t> material(2 * (key + salt));
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), kExporterLabel,
                                 sizeof kExporterLabel - 1, nullptr, 0, 0) != 1) {
    fail("SRTP keying material export failed: " + take_openssl_error());
    return;
  }
  auto key_salt = [&](bool client) {
    std::vector<std::uint8_t> out;
    out.reserve(key + salt);
    const auto* k = material.data() + (client ? 0 : key);
    const auto* s = material.data() + 2 * key + (client ? 0 : salt);
    out.insert(out.end(), k, k + key);
    out.insert(out.end(), s, s + salt);
    return out;
  };
  const bool we_are_client = role_ == DtlsRole::kClient;
  srtp_keys_ = SrtpKeyMaterial{*profile, key_salt(we_are_client), key_salt(!we_are_client)};
  std::fill(material.begin(), material.end(), std::uint8_t{0});

  state_ = DtlsState::kConnected;
  handshake_deadline_.reset();
  kLog.fine("{} connected: {} {} {}", role_name(role_), SSL_get_version(ssl_), SSL_get_cipher_name(ssl_),
            srtp::profile_name(*profile));
}

void DtlsTransport::read_application_data() {
  std::array<std::uint8_t, kMaxApplicationMessage> buffer;
  while (state_ == DtlsState::kConnected) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) {
      if (incoming_application_.size() >= kMaxQueuedApplicationMessages) {
        ++counters_.application_messages_dropped;
        continue;
      }
      incoming_application_.emplace_back(buffer.begin(), buffer.begin() + n);
      ++counters_.application_messages_in;
      continue;
    }
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
    if (error == SSL_ERROR_ZERO_RETURN) {
      kLog.fine("{}: peer sent close_notify", role_name(role_));
      state_ = DtlsState::kClosed;
      retransmit_deadline_.reset();
      break;
    }
    const std::string openssl = take_openssl_error();
    fail(!last_alert_received_.empty()
             ? "received " + last_alert_received_
             : "DTLS connection failed: " + (openssl.empty() ? "unknown error" : openssl));
  }
  ERR_clear_error();
}

void DtlsTransport::update_retransmit_deadline(Timestamp now) {
  timeval left{};
  if ((state_ == DtlsState::kConnecting || state_ == DtlsState::kConnected) &&
      DTLSv1_get_timeout(ssl_, &left) == 1) {
    retransmit_deadline_ = now + std::chrono::seconds(left.tv_sec) + std::chrono::microseconds(left.tv_usec);
  } else {
    retransmit_deadline_.reset();
  }
}

void DtlsTransport::fail(std::string reason) {
  if (state_ == DtlsState::kFailed || state_ == DtlsState::kClosed) return;
  if (state_ != DtlsState::kConnected) ++counters_.handshake_failures;
  state_ = DtlsState::kFailed;
  failure_reason_ = std::move(reason);
  handshake_deadline_.reset();
  retransmit_deadline_.reset();
  kLog.warn("{} failed: {}", role_name(role_), failure_reason_);
}

std::optional<std::string> DtlsTransport::verify_fingerprints(std::span<const x509_st* const> certificates) {
  if (remote_fingerprints_.empty()) {
    ++counters_.fingerprints_missing;
    return "no remote fingerprints were signaled";
  }
  // RFC 8122 §5: use the strongest hash function the peer offered that we support.
  static constexpr std::string_view kByStrength[] = {"sha-512", "sha-384", "sha-256", "sha-1"};
  std::string_view hash;
  for (std::string_view candidate : kByStrength) {
    const bool offered =
        std::any_of(remote_fingerprints_.begin(), remote_fingerprints_.end(),
                    [&](const DtlsFingerprint& f) { return iequals(trim_view(f.hash), candidate); });
    if (offered) {
      hash = candidate;
      break;
    }
  }
  if (hash.empty()) {
    ++counters_.fingerprint_mismatches;
    return "none of the signaled fingerprint hash functions is supported";
  }
  if (certificates.empty()) {
    ++counters_.fingerprint_mismatches;
    return "the peer sent no certificate";
  }
  for (const x509_st* certificate : certificates) {
    const std::optional<std::string> actual = DtlsCertificate::fingerprint_of(*certificate, hash);
    const bool match =
        actual &&
        std::any_of(remote_fingerprints_.begin(), remote_fingerprints_.end(), [&](const DtlsFingerprint& f) {
          return iequals(trim_view(f.hash), hash) && iequals(trim_view(f.value), *actual);
        });
    if (!match) {
      ++counters_.fingerprint_mismatches;
      return "remote certificate does not match the signaled " + std::string(hash) + " fingerprint";
    }
  }
  return std::nullopt;
}

std::optional<std::string> DtlsTransport::verify_peer_after_handshake() {
  X509* leaf = SSL_get0_peer_certificate(ssl_);
  std::vector<const X509*> certificates;
  if (leaf) certificates.push_back(leaf);
  // A client's view of the chain includes the leaf, a server's does not.
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* c = sk_X509_value(chain, i);
      if (!leaf || X509_cmp(c, leaf) != 0) certificates.push_back(c);
    }
  }
  return verify_fingerprints(certificates);
}

}  // namespace jvb::dtls
