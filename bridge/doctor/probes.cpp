// See probes.hpp.
#include "bridge/doctor/probes.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "bridge/core/result.hpp"
#include "bridge/core/socket_address.hpp"
#include "bridge/core/strings.hpp"
#include "bridge/doctor/stun_binding.hpp"

namespace jvb::doctor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr milliseconds kStunRetransmit{400};
constexpr std::size_t kMaxHttpResponse = 64 * 1024;

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

std::string error_text(int error) { return std::strerror(error); }

BindOutcome bind_outcome(int error) {
  switch (error) {
    case EADDRINUSE:
      return BindOutcome::kInUse;
    case EACCES:
    case EPERM:
      return BindOutcome::kDenied;
    case EADDRNOTAVAIL:
      return BindOutcome::kAddressNotAvailable;
    default:
      return BindOutcome::kError;
  }
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
}

StunTransactionId random_transaction() {
  static std::mt19937_64 random{std::random_device{}()};
  StunTransactionId id{};
  for (auto& b : id) b = static_cast<std::uint8_t>(random());
  return id;
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A UDP socket bound to `address`; the errno of the failure otherwise.
Result<Fd, int> bind_udp(const SocketAddress& address) {
  Fd fd(::socket(address.is_ipv6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return unexpected(errno);
  if (address.is_ipv6()) {
    int only = 1;  // as the bridge binds each family on its own
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
  }
  if (::bind(fd.get(), address.sockaddr_ptr(), address.sockaddr_len()) != 0) return unexpected(errno);
  return fd;
}

std::optional<SocketAddress> receive_from(int fd, std::span<std::uint8_t> buffer, std::size_t& size) {
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
  if (n < 0) return std::nullopt;
  size = static_cast<std::size_t>(n);
  return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&from), len);
}

// A connected TCP socket, or how the connect failed.
Result<Fd, TcpProbe> connect_tcp(const std::string& host, int port, milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) return unexpected(TcpProbe{TcpOutcome::kUnresolved, gai_strerror(rc)});
  auto deadline = Clock::now() + timeout;
  TcpProbe last{TcpOutcome::kError, "no address"};
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) continue;
    int error = 0;
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        pollfd p{fd.get(), POLLOUT, 0};
        int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready <= 0) {
          last = {TcpOutcome::kTimeout, "no answer"};
          continue;
        }
        socklen_t len = sizeof error;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len);
      }
    }
    if (error == 0) {
      ::freeaddrinfo(list);
      return fd;
    }
    TcpOutcome outcome = error == ECONNREFUSED                             ? TcpOutcome::kRefused
                         : (error == ENETUNREACH || error == EHOSTUNREACH) ? TcpOutcome::kUnreachable
                         : error == ETIMEDOUT                              ? TcpOutcome::kTimeout
                                                                           : TcpOutcome::kError;
    last = {outcome, error_text(error)};
  }
  ::freeaddrinfo(list);
  return unexpected(last);
}

// The address to bind or dial for a configured host: "" is every IPv4 address.
std::optional<SocketAddress> resolve_numeric_or_name(const std::string& host, int port) {
  std::string h = host.empty() ? "0.0.0.0" : host;
  if (auto a = SocketAddress::parse(h, static_cast<std::uint16_t>(port))) return a;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (::getaddrinfo(h.c_str(), std::to_string(port).c_str(), &hints, &list) != 0 || !list)
    return std::nullopt;
  auto a = SocketAddress::from_sockaddr(list->ai_addr, list->ai_addrlen);
  ::freeaddrinfo(list);
  return a;
}

}  // namespace

// ---- pure helpers ----

std::vector<std::uint64_t> socket_inodes(std::string_view text, int port, bool listening_only) {
  std::vector<std::uint64_t> out;
  std::istringstream lines{std::string(text)};
  std::string line;
  std::getline(lines, line);  // the column titles
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    std::string field;
    while (fields >> field && f.size() < 10) f.push_back(field);
    if (f.size() < 10) continue;
    auto colon = f[1].rfind(':');
    if (colon == std::string::npos) continue;
    unsigned long local_port = std::strtoul(f[1].c_str() + colon + 1, nullptr, 16);
    if (static_cast<int>(local_port) != port) continue;
    if (listening_only && f[3] != "0A") continue;  // TCP_LISTEN
    auto inode = parse_number<std::uint64_t>(f[9]);
    if (inode && *inode != 0) out.push_back(*inode);
  }
  return out;
}

std::optional<HttpAnswer> parse_http_response(std::string_view text) {
  auto line_end = text.find("\r\n");
  if (line_end == std::string_view::npos || text.substr(0, 5) != "HTTP/") return std::nullopt;
  std::string_view status_line = text.substr(0, line_end);
  auto space = status_line.find(' ');
  if (space == std::string_view::npos || status_line.size() < space + 4) return std::nullopt;
  auto status = parse_number<int>(status_line.substr(space + 1, 3));
  if (!status || *status < 100 || *status > 599) return std::nullopt;
  HttpAnswer out;
  out.status = *status;
  auto header_end = text.find("\r\n\r\n");
  if (header_end == std::string_view::npos) return out;
  std::string headers = ascii_lowercase(std::string(text.substr(line_end + 2, header_end - line_end - 2)));
  std::string_view body = text.substr(header_end + 4);
  auto header = [&headers](std::string_view name) -> std::optional<std::string> {
    std::string key = "\r\n" + std::string(name) + ":";
    std::string all = "\r\n" + headers;
    auto at = all.find(key);
    if (at == std::string::npos) return std::nullopt;
    auto begin = at + key.size();
    auto end = all.find("\r\n", begin);
    std::string value = all.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    return value;
  };
  if (auto te = header("transfer-encoding"); te && te->find("chunked") != std::string::npos) {
    std::string decoded;
    while (!body.empty()) {
      auto size_end = body.find("\r\n");
      if (size_end == std::string_view::npos) break;
      std::size_t size = std::strtoul(std::string(body.substr(0, size_end)).c_str(), nullptr, 16);
      // Compared without adding to `size`: a huge chunk size must not wrap around.
      const std::size_t data_at = size_end + 2;
      if (size == 0 || data_at > body.size() || size > body.size() - data_at) break;
      decoded += body.substr(data_at, size);
      body.remove_prefix(std::min(body.size(), data_at + size + 2));
    }
    out.body = decoded;
  } else if (auto length = header("content-length")) {
    auto n = parse_number<std::size_t>(*length);
    out.body = std::string(body.substr(0, n ? std::min(*n, body.size()) : body.size()));
  } else {
    out.body = std::string(body);
  }
  return out;
}

std::optional<std::pair<std::string, int>> split_host_port(std::string_view text, int default_port) {
  std::string_view host = text, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  int p = default_port;
  if (!port.empty()) {
    auto n = parse_number<int>(port);
    if (!n || *n <= 0 || *n > 65535) return std::nullopt;
    p = *n;
  }
  if (host.empty()) return std::nullopt;
  return std::pair<std::string, int>{std::string(host), p};
}

// ---- probes ----

std::optional<PortOwner> find_port_owner(bool tcp, int port) {
  std::vector<std::uint64_t> inodes;
  for (const char* family : {"", "6"}) {
    auto text = read_text(std::string("/proc/net/") + (tcp ? "tcp" : "udp") + family);
    if (!text) continue;
    auto found = socket_inodes(*text, port, tcp);
    inodes.insert(inodes.end(), found.begin(), found.end());
  }
  if (inodes.empty()) return std::nullopt;
  DIR* proc = ::opendir("/proc");
  if (!proc) return std::nullopt;
  std::optional<PortOwner> owner;
  while (dirent* e = ::readdir(proc)) {
    auto pid = parse_number<int>(e->d_name);
    if (!pid) continue;
    std::string fd_dir = "/proc/" + std::string(e->d_name) + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (!fds) continue;
    while (dirent* f = ::readdir(fds)) {
      char target[64] = {};
      std::string link = fd_dir + "/" + f->d_name;
      ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      std::string_view t(target, static_cast<std::size_t>(n));
      if (t.substr(0, 8) != "socket:[") continue;
      auto inode = parse_number<std::uint64_t>(t.substr(8, t.size() - 9));
      if (inode && std::find(inodes.begin(), inodes.end(), *inode) != inodes.end()) {
        std::string name = read_text("/proc/" + std::string(e->d_name) + "/comm").value_or("?");
        while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
        owner = PortOwner{*pid, name};
        break;
      }
    }
    ::closedir(fds);
    if (owner) break;
  }
  ::closedir(proc);
  return owner;
}

MediaPortProbe probe_media_port(int port, const std::vector<ice::Candidate>& candidates,
                                const std::vector<ice::HostAddress>& host_addresses, milliseconds timeout) {
  MediaPortProbe out;
  out.port = port;
  const auto p16 = static_cast<std::uint16_t>(port);
  auto v4 = bind_udp(*SocketAddress::parse("0.0.0.0", p16));
  if (!v4) {
    out.bind = {bind_outcome(v4.error()), error_text(v4.error()), std::nullopt};
    if (out.bind.outcome == BindOutcome::kInUse) out.bind.owner = find_port_owner(false, port);
    return out;
  }
  const bool want_v6 = std::any_of(candidates.begin(), candidates.end(),
                                   [](const ice::Candidate& c) { return c.address.is_ipv6(); });
  Fd port6;
  if (want_v6) {
    auto v6 = bind_udp(*SocketAddress::parse("::", p16));
    if (v6) {
      port6 = std::move(*v6);
    } else if (v6.error() == EADDRINUSE) {
      out.bind = {BindOutcome::kInUse, error_text(v6.error()) + " (IPv6)", find_port_owner(false, port)};
      return out;
    }
  }
  Fd port4 = std::move(*v4);
  // The prober: one ephemeral socket per family, so requests leave as a client's would.
  auto prober4 = bind_udp(*SocketAddress::parse("0.0.0.0", 0));
  Result<Fd, int> prober6 = unexpected(EAFNOSUPPORT);
  if (port6) prober6 = bind_udp(*SocketAddress::parse("::", 0));

  struct Trip {
    SocketAddress target;
    StunTransactionId id;
  };
  std::vector<Trip> trips;
  for (const auto& c : candidates) {
    RoundTrip t;
    t.target = c.address.to_string();
    t.candidate_type = std::string(ice::to_string(c.type));
    t.target_is_local =
        std::any_of(host_addresses.begin(), host_addresses.end(), [&c](const ice::HostAddress& h) {
          auto a = SocketAddress::parse(h.address, 0);
          return a && a->ip() == c.address.ip();
        });
    if (std::any_of(out.round_trips.begin(), out.round_trips.end(),
                    [&t](const RoundTrip& r) { return r.target == t.target; })) {
      continue;
    }
    out.round_trips.push_back(std::move(t));
    trips.push_back({c.address, random_transaction()});
  }

  auto prober_for = [&](const SocketAddress& to) -> int {
    if (to.is_ipv6()) return prober6 ? prober6->get() : -1;
    return prober4 ? prober4->get() : -1;
  };
  auto send_requests = [&] {
    std::array<std::uint8_t, kStunHeaderSize> request{};
    for (std::size_t i = 0; i < trips.size(); ++i) {
      if (out.round_trips[i].answered) continue;
      int fd = prober_for(trips[i].target);
      if (fd < 0) {
        out.round_trips[i].error = "no socket of this family";
        continue;
      }
      std::size_t n = write_binding_request(trips[i].id, request);
      if (::sendto(fd, request.data(), n, 0, trips[i].target.sockaddr_ptr(), trips[i].target.sockaddr_len()) <
          0) {
        out.round_trips[i].error = error_text(errno);
      } else {
        out.round_trips[i].error.clear();
      }
    }
  };
  auto find_trip = [&](const StunTransactionId& id) -> RoundTrip* {
    for (std::size_t i = 0; i < trips.size(); ++i) {
      if (trips[i].id == id) return &out.round_trips[i];
    }
    return nullptr;
  };

  const auto deadline = Clock::now() + timeout;
  auto next_send = Clock::now();
  std::array<std::uint8_t, 1500> buffer{};
  while (Clock::now() < deadline) {
    if (std::all_of(out.round_trips.begin(), out.round_trips.end(),
                    [](const RoundTrip& r) { return r.answered; })) {
      break;
    }
    if (Clock::now() >= next_send) {
      send_requests();
      next_send = Clock::now() + kStunRetransmit;
    }
    std::vector<pollfd> fds;
    for (int fd : {port4.get(), port6.get(), prober4 ? prober4->get() : -1, prober6 ? prober6->get() : -1}) {
      if (fd >= 0) fds.push_back({fd, POLLIN, 0});
    }
    int wait = std::min(remaining_ms(deadline), remaining_ms(next_send));
    if (::poll(fds.data(), fds.size(), wait) <= 0) continue;
    for (const auto& p : fds) {
      if (!(p.revents & POLLIN)) continue;
      std::size_t size = 0;
      while (auto from = receive_from(p.fd, buffer, size)) {
        auto message = parse_binding(std::span<const std::uint8_t>(buffer.data(), size));
        if (!message) continue;
        RoundTrip* trip = find_trip(message->id);
        if (!trip) continue;
        const bool at_port = p.fd == port4.get() || p.fd == port6.get();
        if (at_port && message->kind == StunBindingKind::kRequest) {
          trip->request_arrived = true;
          std::array<std::uint8_t, kStunMaxBindingSize> reply{};
          std::size_t n = write_binding_success(message->id, *from, reply);
          ::sendto(p.fd, reply.data(), n, 0, from->sockaddr_ptr(), from->sockaddr_len());
        } else if (!at_port && message->kind == StunBindingKind::kSuccess) {
          trip->answered = true;
        }
      }
    }
  }
  return out;
}

std::vector<StunAnswer> probe_stun(const std::vector<std::string>& servers,
                                   const std::vector<std::string>& local_addresses, milliseconds timeout) {
  std::vector<StunAnswer> out;
  for (const auto& server : servers) {
    auto host_port = split_host_port(server, 3478);
    std::optional<SocketAddress> target;
    std::string resolve_error = "not host:port";
    if (host_port) {
      addrinfo hints{};
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_DGRAM;
      addrinfo* list = nullptr;
      int rc =
          ::getaddrinfo(host_port->first.c_str(), std::to_string(host_port->second).c_str(), &hints, &list);
      if (rc == 0 && list) {
        target = SocketAddress::from_sockaddr(list->ai_addr, list->ai_addrlen);
        ::freeaddrinfo(list);
      } else {
        resolve_error = std::string("cannot resolve: ") + gai_strerror(rc);
      }
    }
    for (const auto& local : local_addresses) {
      StunAnswer answer{server, local, std::nullopt, {}};
      auto local_address = SocketAddress::parse(local, 0);
      if (!target || !local_address) {
        answer.error = target ? "not an IP address: " + local : resolve_error;
        out.push_back(std::move(answer));
        continue;
      }
      auto fd = bind_udp(*local_address);
      if (!fd) {
        answer.error = "cannot bind " + local + ": " + error_text(fd.error());
        out.push_back(std::move(answer));
        continue;
      }
      auto id = random_transaction();
      std::array<std::uint8_t, kStunHeaderSize> request{};
      std::size_t n = write_binding_request(id, request);
      const auto deadline = Clock::now() + timeout;
      auto next_send = Clock::now();
      std::array<std::uint8_t, 1500> buffer{};
      answer.error = "no answer within " + std::to_string(timeout.count()) + " ms";
      while (Clock::now() < deadline && !answer.mapped_address) {
        if (Clock::now() >= next_send) {
          if (::sendto(fd->get(), request.data(), n, 0, target->sockaddr_ptr(), target->sockaddr_len()) < 0) {
            answer.error = error_text(errno);
          }
          next_send = Clock::now() + kStunRetransmit;
        }
        pollfd p{fd->get(), POLLIN, 0};
        if (::poll(&p, 1, std::min(remaining_ms(deadline), remaining_ms(next_send))) <= 0) continue;
        std::size_t size = 0;
        while (receive_from(fd->get(), buffer, size)) {
          auto message = parse_binding(std::span<const std::uint8_t>(buffer.data(), size));
          if (!message || message->id != id) continue;
          if (message->kind == StunBindingKind::kSuccess && message->mapped) {
            answer.mapped_address = message->mapped->ip();
            answer.error.clear();
          } else if (message->kind == StunBindingKind::kError) {
            answer.error = "the server answered with an error";
          }
        }
      }
      out.push_back(std::move(answer));
    }
  }
  return out;
}

BindProbe probe_tcp_listen(const std::string& host, int port) {
  BindProbe out;
  auto address = resolve_numeric_or_name(host, port);
  if (!address) return {BindOutcome::kAddressNotAvailable, "cannot resolve " + host, std::nullopt};
  Fd fd(::socket(address->is_ipv6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return {BindOutcome::kError, error_text(errno), std::nullopt};
  // As a server sets it: a connection in TIME_WAIT does not keep it from listening, a listener does.
  int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd.get(), address->sockaddr_ptr(), address->sockaddr_len()) != 0) {
    int error = errno;
    out = {bind_outcome(error), error_text(error), std::nullopt};
    if (out.outcome == BindOutcome::kInUse) out.owner = find_port_owner(true, port);
  }
  return out;
}

TcpProbe probe_tcp_connect(const std::string& host, int port, milliseconds timeout) {
  auto fd = connect_tcp(host, port, timeout);
  if (!fd) return fd.error();
  return {TcpOutcome::kConnected, {}};
}

HttpAnswer http_get(const std::string& host, int port, const std::string& path, milliseconds timeout) {
  // A server on every address is asked on loopback.
  std::string dial = host.empty() || host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  const auto deadline = Clock::now() + timeout;
  auto fd = connect_tcp(dial, port, timeout);
  if (!fd) return {0, {}, fd.error().error};
  std::string host_header = dial.find(':') != std::string::npos ? "[" + dial + "]" : dial;
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host_header + ":" + std::to_string(port) +
                        "\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  if (::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return {0, {}, "cannot send the request: " + error_text(errno)};
  }
  std::string response;
  std::array<char, 4096> buffer{};
  while (response.size() < kMaxHttpResponse) {
    pollfd p{fd->get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return {0, {}, "no answer in time"};
    ssize_t n = ::recv(fd->get(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return {0, {}, error_text(errno)};
    }
    if (n == 0) break;
    response.append(buffer.data(), static_cast<std::size_t>(n));
  }
  auto parsed = parse_http_response(response);
  if (!parsed) return {0, {}, "not an HTTP answer"};
  return *parsed;
}

std::optional<std::int64_t> read_sysctl(std::string_view name) {
  std::string path = "/proc/sys/" + std::string(name);
  std::replace(path.begin() + 10, path.end(), '.', '/');
  auto text = read_text(path);
  if (!text) return std::nullopt;
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return parse_number<std::int64_t>(*text);
}

ClockProbe probe_clock() {
  ClockProbe out;
  timex tx{};
  tx.modes = 0;  // read only
  int state = ::adjtimex(&tx);
  if (state < 0) return out;
  out.available = true;
  out.state = state;
  out.unsynchronized = (tx.status & STA_UNSYNC) != 0;
  out.max_error_us = tx.maxerror;
  out.est_error_us = tx.esterror;
  return out;
}

}  // namespace jvb::doctor
