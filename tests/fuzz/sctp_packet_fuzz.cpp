// libFuzzer target for sctp/: fuzz bytes as SCTP packets from the network, to the bridge's side
// of the data channel (DataChannelSession, which runs usrsctp through SctpAssociation). For every
// input, an in-process client first connects to a passive bridge session and opens the bridge
// channel; the fuzz packets then go to that established session, or to a fresh passive one.
//
// Input: one flags byte, then packets, each a big-endian u16 length and that many bytes (the
// last one takes whatever is left).
//   bit 0: to the established session (else to the fresh one);
//   bit 1: keep the verification tag as given (else it becomes the one the target expects: the
//          tag the client's packets carry, or 0 for the fresh session, which only takes INIT);
//   bit 2: keep the checksum as given (else the CRC32c is recomputed).
// Without bits 1 and 2 almost every input would stop at usrsctp's first two checks.
//
// After the packets, the established pair exchanges whatever follows and runs its timers for a
// while, so that answers and retransmissions are exercised too.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "bridge/core/time.hpp"
#include "sctp/data_channels.hpp"

namespace {

using namespace jvb::sctp;
using jvb::Timestamp;
using Packet = std::vector<std::uint8_t>;

void check(bool ok) {
  if (!ok) std::abort();
}

// CRC32c (Castagnoli), reflected, as SCTP uses it (RFC 9260 Appendix A); the result goes into
// the packet least significant byte first.
std::uint32_t crc32c(std::span<const std::uint8_t> bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const std::uint8_t b : bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void set_checksum(Packet& p) {
  if (p.size() < 12) return;
  p[8] = p[9] = p[10] = p[11] = 0;
  const std::uint32_t crc = crc32c(p);
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

std::uint32_t read_tag(const Packet& p) {
  return (std::uint32_t{p[4]} << 24) | (std::uint32_t{p[5]} << 16) | (std::uint32_t{p[6]} << 8) | p[7];
}

// Delivers packets both ways until both are quiet. Records the tag the server expects: client
// packets other than INIT (chunk type 1) carry it.
void exchange(DataChannelSession& client, DataChannelSession& server, Timestamp now,
              std::optional<std::uint32_t>* server_tag = nullptr) {
  for (int round = 0; round < 50; ++round) {
    bool any = false;
    while (auto p = client.poll_packet()) {
      any = true;
      if (server_tag && p->size() > 12 && (*p)[12] != 1) {
        if (!server_tag->has_value()) {
          // The fuzzer's checksums rely on this being SCTP's CRC32c.
          Packet copy = *p;
          set_checksum(copy);
          check(copy == *p);
        }
        *server_tag = read_tag(*p);
      }
      server.handle_packet(now, *p);
    }
    while (auto p = server.poll_packet()) {
      any = true;
      client.handle_packet(now, *p);
    }
    while (client.poll_event()) {
    }
    while (server.poll_event()) {
    }
    if (!any) return;
  }
}

Timestamp next_time() {
  // usrsctp's clock is process-wide and must not go back: every input starts later.
  static Timestamp now = Timestamp{} + std::chrono::hours(1);
  now += std::chrono::seconds(10);
  return now;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::span<const std::uint8_t> rest(data + 1, size - 1);

  Timestamp now = next_time();
  DataChannelSession::Options client_options;
  client_options.dtls_client = true;
  DataChannelSession client(client_options);
  DataChannelSession server;
  DataChannelSession fresh;
  std::optional<std::uint32_t> server_tag;
  client.connect(now);
  exchange(client, server, now, &server_tag);
  check(client.connected() && server.connected());
  check(client.open_channel("JVB data channel", "http://jitsi.org/protocols/colibri", now).has_value());
  check(client.send_text("{\"colibriClass\":\"ReceiverVideoConstraints\"}", now) == SendStatus::kOk);
  exchange(client, server, now, &server_tag);
  check(server.open_channel_stream().has_value());
  check(server_tag.has_value());

  const bool established = flags & 1;
  DataChannelSession& target = established ? server : fresh;
  while (!rest.empty()) {
    std::size_t length = rest.size();
    if (rest.size() >= 2) {
      const std::size_t prefixed = (std::size_t{rest[0]} << 8) | rest[1];
      if (prefixed + 2 <= rest.size()) {
        length = prefixed;
        rest = rest.subspan(2);
      }
    }
    Packet packet(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(length));
    rest = rest.subspan(length);
    if (!(flags & 2) && packet.size() >= 8) {
      const std::uint32_t tag = established ? *server_tag : 0;
      for (int i = 0; i < 4; ++i) packet[4 + i] = static_cast<std::uint8_t>(tag >> (24 - 8 * i));
    }
    if (!(flags & 4)) set_checksum(packet);
    target.handle_packet(now, packet);
    while (target.poll_event()) {
    }
    if (established) {
      exchange(client, server, now);
    } else {
      while (fresh.poll_packet()) {
      }
    }
  }
  (void)server.send_text("{\"colibriClass\":\"ForwardedSources\"}", now);
  for (int i = 0; i < 8; ++i) {
    now += std::chrono::milliseconds(700);
    client.handle_timeout(now);
    server.handle_timeout(now);
    fresh.handle_timeout(now);
    exchange(client, server, now);
    while (fresh.poll_packet()) {
    }
  }
  return 0;
}
