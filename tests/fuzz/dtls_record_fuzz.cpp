// libFuzzer target for bridge/dtls/dtls_transport: whole datagrams thrown at a DTLS 1.2 endpoint
// (RFC 6347 §4.1 records, §4.2 handshake), as a fresh server, as a server in the middle of a
// handshake (after a real ClientHello) and as a client waiting for the server's flight.
// Input: one mode byte, then datagrams as a 2-byte big-endian length and that many bytes (the
// last may be cut short). Nothing may crash, leak or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bridge/core/log.hpp"
#include "bridge/dtls/dtls_transport.hpp"

namespace {

using namespace jvb;
using namespace jvb::dtls;

struct Fixture {
  Fixture() {
    log::set_level(log::Level::kOff);
    client_cert = DtlsCertificate::generate().value();
    server_cert = DtlsCertificate::generate().value();
    // A real ClientHello, to put servers into the middle of a handshake.
    DtlsTransport client(client_cert, DtlsRole::kClient, {});
    client.start(Timestamp{});
    client_hello = client.poll_transmit().value();
  }
  std::shared_ptr<const DtlsCertificate> client_cert;
  std::shared_ptr<const DtlsCertificate> server_cert;
  std::vector<std::uint8_t> client_hello;
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Fixture& f = fixture();
  if (size < 1) return 0;
  const int mode = data[0] % 3;
  std::span<const std::uint8_t> rest(data + 1, size - 1);

  const bool is_client = mode == 2;
  DtlsTransport transport(is_client ? f.client_cert : f.server_cert,
                          is_client ? DtlsRole::kClient : DtlsRole::kServer, {});
  transport.set_remote_fingerprints(
      {{"sha-256", is_client ? f.server_cert->fingerprint() : f.client_cert->fingerprint()}});
  Timestamp now{};
  transport.start(now);
  if (mode == 1) transport.handle_datagram(now, f.client_hello);
  while (transport.poll_transmit()) {
  }

  while (!rest.empty()) {
    std::size_t length = rest.size() >= 2 ? (std::size_t{rest[0]} << 8) | rest[1] : rest.size();
    rest = rest.subspan(std::min<std::size_t>(2, rest.size()));
    length = std::min(length, rest.size());
    transport.handle_datagram(now, rest.first(length));
    rest = rest.subspan(length);
    while (transport.poll_transmit()) {
    }
    while (transport.poll_application_data()) {
    }
    now += std::chrono::milliseconds(10);
    if (auto next = transport.next_timeout(); next && *next <= now) transport.handle_timeout(now);
  }
  const std::uint8_t ping[] = {1, 2, 3};
  (void)transport.send_application_data(ping);
  transport.close();
  while (transport.poll_transmit()) {
  }
  return 0;
}
