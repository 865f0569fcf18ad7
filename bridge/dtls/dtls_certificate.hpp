// The bridge's DTLS certificate: one self-signed ECDSA P-256 certificate (SHA256withECDSA) shared
// by every endpoint, valid from 1 day before to 7 days after its creation, as JVB makes it
// (jitsi-media-transform's DtlsUtils.kt). Its SHA-256 fingerprint goes into the signaling as
// a=fingerprint (RFC 8122 §5); fingerprints are upper-case hex bytes separated by colons.
//
// Who may call: generate() from any thread. A DtlsCertificate is immutable once made, so any
// number of threads may share one through the shared_ptr; the DTLS context that DtlsTransport
// attaches to it is built once, under std::call_once.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"

struct x509_st;      // OpenSSL's X509
struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace jvb::dtls {

class DtlsTransport;

class DtlsCertificate {
 public:
  // A fresh key pair and certificate with a random serial number and common name.
  static Result<std::shared_ptr<const DtlsCertificate>, std::string> generate();
  // The same, with validity counted from `created` (calendar time, which a steady Timestamp
  // cannot express).
  static Result<std::shared_ptr<const DtlsCertificate>, std::string> generate(
      std::chrono::system_clock::time_point created);

  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  // SHA-256 of the DER encoding, e.g. "AB:01:...".
  const std::string& fingerprint() const { return fingerprint_; }
  static constexpr std::string_view kFingerprintHash = "sha-256";
  const std::string& common_name() const { return common_name_; }
  std::chrono::system_clock::time_point not_before() const { return not_before_; }
  std::chrono::system_clock::time_point not_after() const { return not_after_; }

  // The fingerprint of any certificate under one of the hash names of RFC 8122 §5 that we
  // support ("sha-1", "sha-256", "sha-384", "sha-512"; case-insensitive), in the same format;
  // nullopt for other hash names.
  static std::optional<std::string> fingerprint_of(const x509_st& certificate, std::string_view hash);

  // For DtlsTransport: OpenSSL's objects, owned by this certificate.
  x509_st* x509() const { return x509_; }
  evp_pkey_st* private_key() const { return key_; }

 private:
  DtlsCertificate() = default;

  x509_st* x509_ = nullptr;
  evp_pkey_st* key_ = nullptr;
  std::string fingerprint_;
  std::string common_name_;
  std::chrono::system_clock::time_point not_before_;
  std::chrono::system_clock::time_point not_after_;

  // The SSL_CTX DtlsTransport builds for this certificate on first use and shares among all its
  // transports: building one costs far more than an SSL object, and a configured SSL_CTX may be
  // shared between threads. Opaque here so that no OpenSSL header leaks out.
  friend class DtlsTransport;
  mutable std::once_flag context_once_;
  mutable std::shared_ptr<void> context_;
};

}  // namespace jvb::dtls
