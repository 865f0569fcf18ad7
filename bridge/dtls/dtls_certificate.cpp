// Generation and fingerprints of the bridge's self-signed DTLS certificate (RFC 8122 §5,
// RFC 5763 §5; JVB's parameters, from jitsi-media-transform's DtlsUtils.kt). Uses OpenSSL's X.509 and
// EVP layers only; the TLS layer stays in dtls_transport.cpp.
#include "bridge/dtls/dtls_certificate.hpp"

#include "bridge/core/strings.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <array>
#include <cctype>
#include <ctime>

namespace jvb::dtls {
namespace {

std::string openssl_error(std::string_view what) {
  char buf[256];
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(what);
  ERR_error_string_n(code, buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

std::string hex_colon(const unsigned char* bytes, std::size_t n) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(n * 3);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ':';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

const EVP_MD* digest_for(std::string_view hash) {
  if (iequals(hash, "sha-256")) return EVP_sha256();
  if (iequals(hash, "sha-384")) return EVP_sha384();
  if (iequals(hash, "sha-512")) return EVP_sha512();
  if (iequals(hash, "sha-1")) return EVP_sha1();
  return nullptr;
}

}  // namespace

DtlsCertificate::~DtlsCertificate() {
  X509_free(x509_);
  EVP_PKEY_free(key_);
}

Result<std::shared_ptr<const DtlsCertificate>, std::string> DtlsCertificate::generate() {
  return generate(std::chrono::system_clock::now());
}

Result<std::shared_ptr<const DtlsCertificate>, std::string> DtlsCertificate::generate(
    std::chrono::system_clock::time_point created) {
  ERR_clear_error();
  std::shared_ptr<DtlsCertificate> cert(new DtlsCertificate());

  cert->key_ = EVP_EC_gen("P-256");
  if (!cert->key_) return unexpected(openssl_error("P-256 key generation failed"));
  cert->x509_ = X509_new();
  if (!cert->x509_) return unexpected(openssl_error("X509_new failed"));
  X509* x = cert->x509_;

  // Random positive 64-bit serial (RFC 5280 §4.1.2.2: positive, at most 20 octets).
  std::array<unsigned char, 8> serial_bytes{};
  std::array<unsigned char, 16> cn_bytes{};
  if (RAND_bytes(serial_bytes.data(), serial_bytes.size()) != 1 ||
      RAND_bytes(cn_bytes.data(), cn_bytes.size()) != 1) {
    return unexpected(openssl_error("RAND_bytes failed"));
  }
  serial_bytes[0] = static_cast<unsigned char>((serial_bytes[0] & 0x7F) | 0x01);
  BIGNUM* serial = BN_bin2bn(serial_bytes.data(), serial_bytes.size(), nullptr);
  bool ok = serial && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) != nullptr;
  BN_free(serial);
  if (!ok) return unexpected(openssl_error("setting the serial number failed"));

  for (unsigned char b : cn_bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    cert->common_name_ += kHex[b >> 4];
    cert->common_name_ += kHex[b & 0xF];
  }
  X509_NAME* name = X509_get_subject_name(x);
  ok = X509_set_version(x, X509_VERSION_3) == 1 &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>(cert->common_name_.c_str()), -1, -1,
                                  0) == 1 &&
       X509_set_issuer_name(x, name) == 1;
  if (!ok) return unexpected(openssl_error("setting the certificate name failed"));

  // Whole seconds, so that not_before()/not_after() equal what the certificate says.
  const auto created_s = std::chrono::time_point_cast<std::chrono::seconds>(created);
  std::time_t base = std::chrono::system_clock::to_time_t(created_s);
  ok = X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, &base) != nullptr &&
       X509_time_adj_ex(X509_getm_notAfter(x), 7, 0, &base) != nullptr;
  if (!ok) return unexpected(openssl_error("setting the validity failed"));
  cert->not_before_ = created_s - std::chrono::hours(24);
  cert->not_after_ = created_s + std::chrono::hours(24 * 7);

  if (X509_set_pubkey(x, cert->key_) != 1 || X509_sign(x, cert->key_, EVP_sha256()) <= 0) {
    return unexpected(openssl_error("signing the certificate failed"));
  }
  auto fp = fingerprint_of(*x, kFingerprintHash);
  if (!fp) return unexpected(openssl_error("computing the fingerprint failed"));
  cert->fingerprint_ = std::move(*fp);
  return std::shared_ptr<const DtlsCertificate>(std::move(cert));
}

std::optional<std::string> DtlsCertificate::fingerprint_of(const x509_st& certificate,
                                                           std::string_view hash) {
  const EVP_MD* md = digest_for(hash);
  if (!md) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(&certificate, md, digest, &n) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return hex_colon(digest, n);
}

}  // namespace jvb::dtls
