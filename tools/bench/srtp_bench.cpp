// Benchmark (not a test) of bridge/srtp/srtp_session: nanoseconds per protect, per unprotect and
// per protect+unprotect of 1200-byte RTP packets (RFC 3711 §3.3, RFC 7714 §7), for
// AEAD_AES_128_GCM and AES_CM_128_HMAC_SHA1_80. Each figure is the median over several runs;
// tools/bench/run-srtp-bench.sh sets it beside the forwarding limit measured in the same run.
// Usage: srtp_bench [RUNS [PACKETS_PER_RUN]]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bridge/srtp/srtp_session.hpp"

namespace {

using namespace jvb::srtp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kPacket = 1200;
constexpr std::size_t kSlot = kPacket + SrtpSession::kMaxTrailer;
constexpr std::size_t kBatch = 1024;  // packets pre-protected for one unprotect batch

std::vector<std::uint8_t> key(SrtpProfile profile) {
  std::vector<std::uint8_t> k(key_length(profile) + salt_length(profile));
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return k;
}

std::unique_ptr<SrtpSession> session(SrtpProfile profile, SrtpSession::Direction direction) {
  auto s = SrtpSession::create(profile, direction, key(profile));
  if (!s) {
    std::fprintf(stderr, "srtp_bench: %s\n", s.error().c_str());
    std::exit(1);
  }
  return std::move(s.value());
}

void write_rtp_header(std::uint8_t* p, std::uint32_t index) {
  const auto seq = static_cast<std::uint16_t>(index);
  p[0] = 0x80;
  p[1] = 96;
  p[2] = static_cast<std::uint8_t>(seq >> 8);
  p[3] = static_cast<std::uint8_t>(seq);
  const std::uint32_t ts = index * 3000;
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<std::uint8_t>(ts >> (24 - 8 * i));
  p[8] = 0x12;
  p[9] = 0x34;
  p[10] = 0x56;
  p[11] = 0x78;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "srtp_bench: %s failed\n", what);
    std::exit(1);
  }
}

double elapsed_ns(Clock::time_point begin, std::size_t count) {
  return std::chrono::duration<double, std::nano>(Clock::now() - begin).count() / static_cast<double>(count);
}

struct RunResult {
  double protect_ns;
  double unprotect_ns;
  double round_trip_ns;
};

RunResult run_once(SrtpProfile profile, std::size_t packets) {
  RunResult r{};
  std::vector<std::uint8_t> payload(kSlot);
  for (std::size_t i = 0; i < kPacket; ++i) payload[i] = static_cast<std::uint8_t>(i);

  {  // protect: one buffer, the header rewritten per packet as a forwarder would
    auto tx = session(profile, SrtpSession::Direction::kOutbound);
    std::vector<std::uint8_t> buffer = payload;
    const auto begin = Clock::now();
    for (std::size_t i = 0; i < packets; ++i) {
      write_rtp_header(buffer.data(), static_cast<std::uint32_t>(i));
      check(tx->protect_rtp(buffer, kPacket).has_value(), "protect");
    }
    r.protect_ns = elapsed_ns(begin, packets);
  }
  {  // unprotect: batches of packets protected beforehand (untimed), decrypted in place
    auto tx = session(profile, SrtpSession::Direction::kOutbound);
    auto rx = session(profile, SrtpSession::Direction::kInbound);
    std::vector<std::uint8_t> pool(kBatch * kSlot);
    std::vector<std::size_t> lengths(kBatch);
    double total_ns = 0;
    std::size_t done = 0;
    std::uint32_t index = 0;
    while (done < packets) {
      const std::size_t n = std::min(kBatch, packets - done);
      for (std::size_t i = 0; i < n; ++i) {
        std::uint8_t* slot = pool.data() + i * kSlot;
        std::memcpy(slot, payload.data(), kPacket);
        write_rtp_header(slot, index++);
        auto len = tx->protect_rtp(std::span(slot, kSlot), kPacket);
        check(len.has_value(), "protect for unprotect");
        lengths[i] = *len;
      }
      const auto begin = Clock::now();
      for (std::size_t i = 0; i < n; ++i) {
        check(rx->unprotect_rtp(std::span(pool.data() + i * kSlot, lengths[i])).has_value(), "unprotect");
      }
      total_ns += elapsed_ns(begin, 1);
      done += n;
    }
    r.unprotect_ns = total_ns / static_cast<double>(packets);
  }
  {  // protect then unprotect the same buffer
    auto tx = session(profile, SrtpSession::Direction::kOutbound);
    auto rx = session(profile, SrtpSession::Direction::kInbound);
    std::vector<std::uint8_t> buffer = payload;
    const auto begin = Clock::now();
    for (std::size_t i = 0; i < packets; ++i) {
      write_rtp_header(buffer.data(), static_cast<std::uint32_t>(i));
      auto len = tx->protect_rtp(buffer, kPacket);
      check(len.has_value(), "protect");
      check(rx->unprotect_rtp(std::span(buffer).first(*len)).has_value(), "unprotect");
    }
    r.round_trip_ns = elapsed_ns(begin, packets);
  }
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  const std::size_t packets = argc > 2 ? static_cast<std::size_t>(std::max(1, std::atoi(argv[2]))) : 100000;
  for (SrtpProfile profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    run_once(profile, std::min<std::size_t>(packets, 10000));  // warm-up
    std::vector<double> protect, unprotect, round_trip;
    for (int i = 0; i < runs; ++i) {
      const RunResult r = run_once(profile, packets);
      protect.push_back(r.protect_ns);
      unprotect.push_back(r.unprotect_ns);
      round_trip.push_back(r.round_trip_ns);
    }
    std::printf(
        "srtp_bench profile=%s packet_bytes=%zu runs=%d packets_per_run=%zu protect_ns=%.0f "
        "unprotect_ns=%.0f "
        "protect_unprotect_ns=%.0f\n",
        std::string(profile_name(profile)).c_str(), kPacket, runs, packets, median(protect),
        median(unprotect), median(round_trip));
  }
  return 0;
}
