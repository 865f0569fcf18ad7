// The doctor's probes: the only part of it that opens sockets, reads /proc or asks the kernel.
// Each probe is bounded by a deadline and returns plain values (probe_results.hpp) for the
// checks; none of them changes anything on the machine, and none holds a port longer than the
// probe takes.
//
// The parsers at the top are pure and exposed for the unit tests.
//
// Single-threaded; called from doctor.cpp only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/doctor/probe_results.hpp"
#include "ice/candidate.hpp"
#include "ice/host_addresses.hpp"

namespace jvb::doctor {

using std::chrono::milliseconds;

// ---- pure helpers ----

// The socket inodes of /proc/net/{udp,tcp}[6] text (proc(5)) whose local port is `port`; with
// `listening_only`, only sockets in TCP's LISTEN state.
std::vector<std::uint64_t> socket_inodes(std::string_view proc_net_text, int port, bool listening_only);

// An HTTP/1.x response as read until the server closed: the status and the body (by
// Content-Length or chunked coding, else everything after the header); nullopt when the status
// line is malformed.
std::optional<HttpAnswer> parse_http_response(std::string_view text);

// "host:port", "[v6]:port" or a bare host (port 3478, RFC 5389 §9), as the STUN servers of
// ice4j.harvest.mapping.stun.addresses are written; nullopt when the port is not a port.
std::optional<std::pair<std::string, int>> split_host_port(std::string_view text, int default_port);

// ---- probes ----

// The process holding a UDP (or listening TCP) port, from /proc; nullopt when not found (the
// socket belongs to a process this user may not look into).
std::optional<PortOwner> find_port_owner(bool tcp, int port);

// Binds the media port the way the bridge does (the wildcard addresses, no port sharing, so a
// running bridge's port is never joined) and, when free, sends a STUN Binding request through
// each of `candidates` from a socket of its own, answering it at the port: a request that
// arrives proves that datagrams to that address reach the port. Retransmits until `timeout`.
MediaPortProbe probe_media_port(int port, const std::vector<ice::Candidate>& candidates,
                                const std::vector<ice::HostAddress>& host_addresses, milliseconds timeout);

// Asks each STUN server, from each of `local_addresses` (IPv4), what that address looks like
// from outside (RFC 5389 Binding).
std::vector<StunAnswer> probe_stun(const std::vector<std::string>& servers,
                                   const std::vector<std::string>& local_addresses, milliseconds timeout);

// Whether a TCP server could listen on host:port ("" for every address).
BindProbe probe_tcp_listen(const std::string& host, int port);

// A TCP connect to host:port, resolving the name; the first address that accepts wins.
TcpProbe probe_tcp_connect(const std::string& host, int port, milliseconds timeout);

// GET `path` over plain HTTP/1.1 with Connection: close.
HttpAnswer http_get(const std::string& host, int port, const std::string& path, milliseconds timeout);

// A sysctl read from /proc/sys, e.g. "net.core.rmem_max"; nullopt when absent or unreadable.
std::optional<std::int64_t> read_sysctl(std::string_view name);

// adjtimex(2), read only.
ClockProbe probe_clock();

}  // namespace jvb::doctor
