// Tests of bridge/doctor/probes.hpp: the /proc/net and HTTP parsers, host:port, and the socket
// probes on loopback (a port this process holds is found in use, and owned by this process; a free
// port answers the STUN round trip).
#include "bridge/doctor/probes.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

namespace jvb::doctor {
namespace {

const char* kProcNetUdp =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
    "pointer drops\n"
    "  312: 00000000:2710 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41234 2 "
    "0000000000000000 0\n"
    "  313: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41235 2 "
    "0000000000000000 0\n"
    "  314: 0500000A:2710 00000000:0000 07 00000000:00000000 00:00000000 00000000   998        0 41236 2 "
    "0000000000000000 0\n"
    "garbage\n";

const char* kProcNetTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5001 1 0 100 "
    "0 0 10 0\n"
    "   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 5002 1 0 20 "
    "4 30 10 -1\n";

TEST_CASE("socket inodes by port from /proc/net") {
  CHECK(socket_inodes(kProcNetUdp, 10000, false) == std::vector<std::uint64_t>{41234, 41236});
  CHECK(socket_inodes(kProcNetUdp, 8080, false) == std::vector<std::uint64_t>{41235});
  CHECK(socket_inodes(kProcNetUdp, 9, false).empty());
  CHECK(socket_inodes(kProcNetTcp, 8080, true) == std::vector<std::uint64_t>{5001});
  CHECK(socket_inodes(kProcNetTcp, 8080, false) == std::vector<std::uint64_t>{5001, 5002});
  CHECK(socket_inodes("", 8080, false).empty());
}

TEST_CASE("HTTP responses") {
  auto healthy =
      parse_http_response("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(healthy);
  CHECK(healthy->status == 200);
  CHECK(healthy->body.empty());
  auto sick = parse_http_response(
      "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 47\r\n\r\nNo valid IP addresses available for "
      "harvesting.");
  REQUIRE(sick);
  CHECK(sick->status == 500);
  CHECK(sick->body == "No valid IP addresses available for harvesting.");
  auto chunked = parse_http_response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  REQUIRE(chunked);
  CHECK(chunked->body == "hello world");
  // A chunk size near SIZE_MAX must not wrap the length check around (found by doctor_parse_fuzz).
  auto huge = parse_http_response(
      "HTTP/1.1 500 x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab\r\n0\r\n\r\n");
  REQUIRE(huge);
  CHECK(huge->body.empty());
  auto closed = parse_http_response("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nnot here");
  REQUIRE(closed);
  CHECK(closed->status == 404);
  CHECK(closed->body == "not here");
  auto headers_only = parse_http_response("HTTP/1.1 204 No Content\r\n");
  REQUIRE(headers_only);
  CHECK(headers_only->status == 204);
  CHECK_FALSE(parse_http_response("SSH-2.0-OpenSSH_9.2\r\n"));
  CHECK_FALSE(parse_http_response("HTTP/1.1 abc\r\n\r\n"));
  CHECK_FALSE(parse_http_response("HTTP/1.1 99 Low\r\n\r\n"));
  CHECK_FALSE(parse_http_response(""));
}

TEST_CASE("STUN server addresses as configured") {
  using P = std::pair<std::string, int>;
  CHECK(split_host_port("meet-jit-si-turnrelay.jitsi.net:443", 3478) ==
        P{"meet-jit-si-turnrelay.jitsi.net", 443});
  CHECK(split_host_port("stun.example.org", 3478) == P{"stun.example.org", 3478});
  CHECK(split_host_port("[2001:db8::1]:3479", 3478) == P{"2001:db8::1", 3479});
  CHECK(split_host_port("[2001:db8::1]", 3478) == P{"2001:db8::1", 3478});
  CHECK(split_host_port("2001:db8::1", 3478) == P{"2001:db8::1", 3478});
  CHECK_FALSE(split_host_port("host:0", 3478));
  CHECK_FALSE(split_host_port("host:70000", 3478));
  CHECK_FALSE(split_host_port(":3478", 3478));
  CHECK_FALSE(split_host_port("[::1", 3478));
}

// A port the kernel picked for a socket this test holds, of `type` on 127.0.0.1.
int hold_port(int type, int& fd) {
  fd = ::socket(AF_INET, type, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  if (type == SOCK_STREAM) REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

std::string own_name() {
  std::ifstream in("/proc/self/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

TEST_CASE("a UDP port this process holds is in use, and owned by this process") {
  int fd = -1;
  int port = hold_port(SOCK_DGRAM, fd);
  auto probe = probe_media_port(port, {}, {}, milliseconds(100));
  CHECK(probe.bind.outcome == BindOutcome::kInUse);
  REQUIRE(probe.bind.owner);
  CHECK(probe.bind.owner->pid == ::getpid());
  CHECK(probe.bind.owner->name == own_name());
  CHECK(probe.round_trips.empty());
  ::close(fd);
}

TEST_CASE("a listening TCP port is in use; a free one is free") {
  int fd = -1;
  int port = hold_port(SOCK_STREAM, fd);
  auto taken = probe_tcp_listen("127.0.0.1", port);
  CHECK(taken.outcome == BindOutcome::kInUse);
  REQUIRE(taken.owner);
  CHECK(taken.owner->pid == ::getpid());
  CHECK(probe_tcp_connect("127.0.0.1", port, milliseconds(1000)).outcome == TcpOutcome::kConnected);
  ::close(fd);
  CHECK(probe_tcp_listen("127.0.0.1", port).outcome == BindOutcome::kFree);
  CHECK(probe_tcp_connect("127.0.0.1", port, milliseconds(1000)).outcome == TcpOutcome::kRefused);
  CHECK(probe_tcp_listen("192.0.2.77", port).outcome == BindOutcome::kAddressNotAvailable);
}

TEST_CASE("a free media port answers the STUN round trip through loopback") {
  int fd = -1;
  int port = hold_port(SOCK_DGRAM, fd);
  ::close(fd);  // free again: the kernel does not hand it out at once
  ice::Candidate c;
  c.address = *SocketAddress::parse("127.0.0.1", static_cast<std::uint16_t>(port));
  auto probe = probe_media_port(port, {c}, {{"lo", "127.0.0.1", false}}, milliseconds(2000));
  CHECK(probe.bind.outcome == BindOutcome::kFree);
  REQUIRE(probe.round_trips.size() == 1);
  CHECK(probe.round_trips[0].target == "127.0.0.1:" + std::to_string(port));
  CHECK(probe.round_trips[0].target_is_local);
  CHECK(probe.round_trips[0].request_arrived);
  CHECK(probe.round_trips[0].answered);
}

TEST_CASE("sysctls and the clock can be read") {
  CHECK(read_sysctl("net.core.rmem_max").value_or(0) > 0);
  CHECK_FALSE(read_sysctl("net.core.no_such_thing"));
  CHECK(probe_clock().available);
}

}  // namespace
}  // namespace jvb::doctor
