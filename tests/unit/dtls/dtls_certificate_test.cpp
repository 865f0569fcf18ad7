// Tests for bridge/dtls/dtls_certificate: the self-signed ECDSA P-256 certificate JVB makes
// (jitsi-media-transform's DtlsUtils.kt) and the a=fingerprint format of RFC 8122 §5.
#include "bridge/dtls/dtls_certificate.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <ctime>
#include <regex>

namespace jvb::dtls {
namespace {

std::shared_ptr<const DtlsCertificate> make() {
  auto cert = DtlsCertificate::generate();
  REQUIRE_MESSAGE(cert.has_value(), cert.error());
  return cert.value();
}

std::time_t asn1_to_time(const ASN1_TIME* t) {
  std::tm tm{};
  REQUIRE(ASN1_TIME_to_tm(t, &tm) == 1);
  return timegm(&tm);
}

TEST_CASE("DtlsCertificate: SHA-256 fingerprint is upper-case hex separated by colons") {
  auto cert = make();
  CHECK(DtlsCertificate::kFingerprintHash == "sha-256");
  CHECK(std::regex_match(cert->fingerprint(), std::regex("^([0-9A-F]{2}:){31}[0-9A-F]{2}$")));
  CHECK(DtlsCertificate::fingerprint_of(*cert->x509(), "sha-256") == cert->fingerprint());
  CHECK(DtlsCertificate::fingerprint_of(*cert->x509(), "SHA-256") == cert->fingerprint());

  unsigned char der_digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(cert->x509(), &der);
  REQUIRE(der_len > 0);
  REQUIRE(EVP_Digest(der, static_cast<std::size_t>(der_len), der_digest, &n, EVP_sha256(), nullptr) == 1);
  OPENSSL_free(der);
  char first[3];
  std::snprintf(first, sizeof first, "%02X", der_digest[0]);
  CHECK(cert->fingerprint().substr(0, 2) == first);
}

TEST_CASE("DtlsCertificate: fingerprints under the other RFC 8122 hash names") {
  auto cert = make();
  CHECK(DtlsCertificate::fingerprint_of(*cert->x509(), "sha-1")->size() == 20 * 3 - 1);
  CHECK(DtlsCertificate::fingerprint_of(*cert->x509(), "sha-384")->size() == 48 * 3 - 1);
  CHECK(DtlsCertificate::fingerprint_of(*cert->x509(), "sha-512")->size() == 64 * 3 - 1);
  CHECK_FALSE(DtlsCertificate::fingerprint_of(*cert->x509(), "md5").has_value());
  CHECK_FALSE(DtlsCertificate::fingerprint_of(*cert->x509(), "").has_value());
}

TEST_CASE("DtlsCertificate: ECDSA P-256, SHA256withECDSA, self-signed") {
  auto cert = make();
  EVP_PKEY* key = X509_get0_pubkey(cert->x509());
  REQUIRE(key != nullptr);
  CHECK(EVP_PKEY_is_a(key, "EC") == 1);
  char group[64] = {};
  std::size_t group_len = 0;
  REQUIRE(EVP_PKEY_get_group_name(key, group, sizeof group, &group_len) == 1);
  CHECK(std::string(group) == "prime256v1");
  CHECK(X509_get_signature_nid(cert->x509()) == NID_ecdsa_with_SHA256);
  CHECK(X509_verify(cert->x509(), key) == 1);
  CHECK(X509_NAME_cmp(X509_get_subject_name(cert->x509()), X509_get_issuer_name(cert->x509())) == 0);
  CHECK(X509_get_version(cert->x509()) == X509_VERSION_3);
  CHECK(X509_check_private_key(cert->x509(), cert->private_key()) == 1);
}

TEST_CASE("DtlsCertificate: valid from 1 day before to 7 days after creation") {
  const auto created = std::chrono::system_clock::from_time_t(1'800'000'000);
  auto cert = DtlsCertificate::generate(created);
  REQUIRE(cert.has_value());
  const std::time_t base = 1'800'000'000;
  CHECK(asn1_to_time(X509_get0_notBefore((*cert)->x509())) == base - 86400);
  CHECK(asn1_to_time(X509_get0_notAfter((*cert)->x509())) == base + 7 * 86400);
  CHECK((*cert)->not_before() == created - std::chrono::hours(24));
  CHECK((*cert)->not_after() == created + std::chrono::hours(24 * 7));
}

TEST_CASE("DtlsCertificate: serial, name and key are random") {
  auto a = make();
  auto b = make();
  CHECK(a->fingerprint() != b->fingerprint());
  CHECK(a->common_name() != b->common_name());
  CHECK(a->common_name().size() == 32);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(a->x509()), X509_get0_serialNumber(b->x509())) != 0);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(a->x509());
  std::int64_t value = 0;
  REQUIRE(ASN1_INTEGER_get_int64(&value, serial) == 1);
  CHECK(value > 0);
  CHECK(EVP_PKEY_eq(a->private_key(), b->private_key()) != 1);
}

}  // namespace
}  // namespace jvb::dtls
