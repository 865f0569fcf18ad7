// usrsctp's process-wide state and its C callbacks; see usrsctp_library.hpp.
#include "sctp/usrsctp_library.hpp"

#include <usrsctp.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "bridge/core/log.hpp"

namespace jvb::sctp {
namespace {

const log::Logger kLog{"UsrsctpLibrary"};

// A single Duration jump larger than this is clamped: usrsctp compares its 32-bit tick counter
// with wrap-around arithmetic, which breaks for steps of 2^31 ms or more.
constexpr std::uint32_t kMaxTimerStepMs = 1u << 30;
// finish() drives usrsctp's timers this often, and retries usrsctp_finish() in between.
constexpr int kFinishAttempts = 200;
constexpr std::uint32_t kFinishStepMs = 10;

enum class LibraryState { kUninitialised, kRunning, kFinished };

struct Registry {
  LibraryState state = LibraryState::kUninitialised;
  int users = 0;  // sockets + References
  std::unordered_map<std::uintptr_t, UsrsctpSocket*> sockets;
  std::uintptr_t next_id = 1;
  std::optional<Timestamp> clock;  // the `now` usrsctp's tick counter corresponds to
};

// Never destroyed, so that a socket destroyed during static destruction still finds it.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

using Lock = std::scoped_lock<std::recursive_mutex>;

void* conn_address(std::uintptr_t id) { return reinterpret_cast<void*>(id); }

template <class T>
void set_option(struct socket* s, int level, int name, const T& value, bool& ok, const char* what) {
  if (usrsctp_setsockopt(s, level, name, &value, static_cast<socklen_t>(sizeof value)) != 0) {
    kLog.warn("setsockopt {} failed: errno {}", what, errno);
    ok = false;
  }
}

std::uint32_t to_ms(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(ms, 1, 0xFFFFFFFF));
}

}  // namespace

// The C callbacks usrsctp calls. They run inside usrsctp calls made on the owning thread and
// only hand what they got to the socket's sink.
struct UsrsctpCallbacks {
  static UsrsctpSocket* find(void* address) {
    auto& r = registry();
    auto it = r.sockets.find(reinterpret_cast<std::uintptr_t>(address));
    return it == r.sockets.end() ? nullptr : it->second;
  }

  static int conn_output(void* address, void* buffer, std::size_t length, std::uint8_t /*tos*/,
                         std::uint8_t /*set_df*/) {
    if (UsrsctpSocket* s = find(address)) {
      s->sink_->on_sctp_packet({static_cast<const std::uint8_t*>(buffer), length});
    }
    // 0 even when the socket is gone: its packets have nowhere to go, like on a dead link.
    return 0;
  }

  static int receive(struct socket* /*sock*/, union sctp_sockstore /*address*/, void* data,
                     std::size_t length, struct sctp_rcvinfo info, int flags, void* ulp_info) {
    // usrsctp hands over a malloc()ed copy that we must free, whatever happens to it.
    std::unique_ptr<void, decltype(&std::free)> owned(data, &std::free);
    UsrsctpSocket* s = find(ulp_info);
    if (!s) return 1;
    if (!data) {
      // usrsctp's end-of-file signal after a graceful shutdown.
      s->sink_->on_sctp_notification({UsrsctpNotification::Kind::kShutdownComplete});
      return 1;
    }
    const std::span<const std::uint8_t> bytes(static_cast<const std::uint8_t*>(data), length);
    if (flags & MSG_NOTIFICATION) {
      notification(*s, bytes);
    } else {
      s->sink_->on_sctp_data(info.rcv_sid, ntohl(info.rcv_ppid), bytes, (flags & MSG_EOR) != 0);
    }
    return 1;
  }

  // Notifications are read field by field with memcpy: the buffer is usrsctp's, but its
  // length is checked against what each type needs before anything is read.
  static void notification(UsrsctpSocket& s, std::span<const std::uint8_t> bytes) {
    std::uint16_t type;  // sn_header.sn_type, the first field of every notification
    if (bytes.size() < sizeof type) return;
    std::memcpy(&type, bytes.data(), sizeof type);
    using Kind = UsrsctpNotification::Kind;
    switch (type) {
      case SCTP_ASSOC_CHANGE: {
        sctp_assoc_change change;
        if (bytes.size() < sizeof change) return;
        std::memcpy(&change, bytes.data(), sizeof change);
        UsrsctpNotification n{Kind::kAssociationUp};
        n.error = change.sac_error;
        n.inbound_streams = change.sac_inbound_streams;
        n.outbound_streams = change.sac_outbound_streams;
        switch (change.sac_state) {
          case SCTP_COMM_UP:
            s.assoc_id_ = change.sac_assoc_id;
            break;
          case SCTP_RESTART:
            s.assoc_id_ = change.sac_assoc_id;
            n.kind = Kind::kAssociationRestarted;
            break;
          case SCTP_COMM_LOST:
            n.kind = Kind::kAssociationLost;
            // usrsctp appends the peer's ABORT chunk when the peer aborted.
            n.from_peer = change.sac_length > sizeof change;
            break;
          case SCTP_SHUTDOWN_COMP:
            n.kind = Kind::kShutdownComplete;
            break;
          case SCTP_CANT_STR_ASSOC:
            n.kind = Kind::kCannotStart;
            break;
          default:
            return;
        }
        s.sink_->on_sctp_notification(n);
        return;
      }
      case SCTP_STREAM_RESET_EVENT: {
        sctp_stream_reset_event reset;
        if (bytes.size() < sizeof reset) return;
        std::memcpy(&reset, bytes.data(), sizeof reset);
        UsrsctpNotification n{Kind::kIncomingStreamsReset};
        if (reset.strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) n.kind = Kind::kOutgoingStreamsReset;
        n.failed = (reset.strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) != 0;
        const std::size_t end = std::min<std::size_t>(bytes.size(), reset.strreset_length);
        for (std::size_t at = sizeof reset; at + sizeof(std::uint16_t) <= end; at += sizeof(std::uint16_t)) {
          std::uint16_t stream;  // host order: usrsctp converted it
          std::memcpy(&stream, bytes.data() + at, sizeof stream);
          n.streams.push_back(stream);
        }
        s.sink_->on_sctp_notification(n);
        return;
      }
      case SCTP_SEND_FAILED_EVENT: {
        sctp_send_failed_event failed;
        if (bytes.size() < sizeof failed) return;
        std::memcpy(&failed, bytes.data(), sizeof failed);
        UsrsctpNotification n{Kind::kSendFailed};
        n.error = static_cast<std::uint16_t>(failed.ssfe_error);
        s.sink_->on_sctp_notification(n);
        return;
      }
      default:
        return;
    }
  }

  static void debug_printf(const char* format, ...) {
    char line[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    std::string_view text(line);
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    kLog.fine("usrsctp: {}", text);
  }
};

bool UsrsctpLibrary::acquire() {
  Lock lock(UsrsctpLibrary::mutex());
  auto& r = registry();
  if (r.state == LibraryState::kFinished) {
    kLog.warn("usrsctp was finished; it cannot be initialised again in this process");
    return false;
  }
  ++r.users;
  if (r.state == LibraryState::kRunning) return true;
  // Port 0: no UDP encapsulation socket. No threads: we drive the timers.
  usrsctp_init_nothreads(0, &UsrsctpCallbacks::conn_output, &UsrsctpCallbacks::debug_printf);
  // sctp_init() resets every sysctl to its default, so these come after it.
  // ECN needs IP header access we do not have over DTLS; WebRTC peers do not use it.
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  // ASCONF (and the AUTH it requires) is for multi-homing, which AF_CONN never does; off
  // shrinks what a peer can make usrsctp parse.
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auto_asconf(0);
  usrsctp_sysctl_set_sctp_auth_enable(0);
  // Default buffers for new sockets; each socket then sets its own from its config.
  const UsrsctpSocketConfig defaults;
  usrsctp_sysctl_set_sctp_sendspace(static_cast<std::uint32_t>(defaults.send_buffer_size));
  usrsctp_sysctl_set_sctp_recvspace(static_cast<std::uint32_t>(defaults.receive_buffer_size));
  r.state = LibraryState::kRunning;
  r.clock.reset();
  kLog.fine("usrsctp initialised (no threads)");
  return true;
}

void UsrsctpLibrary::release() {
  Lock lock(UsrsctpLibrary::mutex());
  auto& r = registry();
  assert(r.users > 0);
  --r.users;
}

bool UsrsctpLibrary::finish() {
  Lock lock(UsrsctpLibrary::mutex());
  auto& r = registry();
  if (r.users > 0) return false;
  if (r.state != LibraryState::kRunning) {
    r.state = LibraryState::kFinished;
    return true;
  }
  for (int attempt = 0; attempt < kFinishAttempts; ++attempt) {
    if (usrsctp_finish() == 0) {
      r.state = LibraryState::kFinished;
      r.clock.reset();
      kLog.fine("usrsctp finished");
      return true;
    }
    // A closed socket's endpoint goes when its kill timer fires, and once usrsctp's iterator
    // thread has dropped the reference it may hold on it: run the timers and let that thread run.
    usrsctp_handle_timers(kFinishStepMs);
    std::this_thread::yield();
  }
  kLog.warn("usrsctp_finish() still refused after {} attempts", kFinishAttempts);
  return false;
}

void UsrsctpLibrary::handle_timers(Timestamp now) {
  Lock lock(UsrsctpLibrary::mutex());
  auto& r = registry();
  if (r.state != LibraryState::kRunning) return;
  if (!r.clock) {
    r.clock = now;
    return;
  }
  if (now <= *r.clock) return;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - *r.clock);
  if (elapsed.count() == 0) return;
  *r.clock += elapsed;
  usrsctp_handle_timers(static_cast<std::uint32_t>(std::min<std::int64_t>(elapsed.count(), kMaxTimerStepMs)));
}

std::optional<Timestamp> UsrsctpLibrary::next_timeout(Timestamp now) {
  Lock lock(UsrsctpLibrary::mutex());
  if (registry().sockets.empty()) return std::nullopt;
  return now + kTimerInterval;
}

std::size_t UsrsctpLibrary::socket_count() {
  Lock lock(UsrsctpLibrary::mutex());
  return registry().sockets.size();
}

bool UsrsctpLibrary::initialized() {
  Lock lock(UsrsctpLibrary::mutex());
  return registry().state == LibraryState::kRunning;
}

std::recursive_mutex& UsrsctpLibrary::mutex() {
  // Never destroyed, as the registry.
  static auto* m = new std::recursive_mutex;
  return *m;
}

UsrsctpLibrary::Reference::Reference() : held_(acquire()) {}
UsrsctpLibrary::Reference::~Reference() {
  if (held_) release();
}

std::unique_ptr<UsrsctpSocket> UsrsctpSocket::open(UsrsctpSink& sink, const UsrsctpSocketConfig& config) {
  Lock lock(UsrsctpLibrary::mutex());
  if (!UsrsctpLibrary::acquire()) return nullptr;
  auto& r = registry();
  const std::uintptr_t id = r.next_id++;
  std::unique_ptr<UsrsctpSocket> s(new UsrsctpSocket(sink, id));
  r.sockets.emplace(id, s.get());
  usrsctp_register_address(conn_address(id));
  s->socket_ = usrsctp_socket(AF_CONN, SOCK_SEQPACKET, IPPROTO_SCTP, &UsrsctpCallbacks::receive, nullptr, 0,
                              conn_address(id));
  if (!s->socket_) {
    kLog.warn("usrsctp_socket failed: errno {}", errno);
    return nullptr;  // the destructor deregisters and releases
  }
  if (!s->configure(config)) return nullptr;
  return s;
}

bool UsrsctpSocket::configure(const UsrsctpSocketConfig& config) {
  bool ok = true;
  if (usrsctp_set_non_blocking(socket_, 1) != 0) ok = false;
  // Closing aborts: the association is for one DTLS connection that is going away anyway.
  const linger abort_on_close{1, 0};
  set_option(socket_, SOL_SOCKET, SO_LINGER, abort_on_close, ok, "SO_LINGER");
  const int send_buffer = static_cast<int>(config.send_buffer_size);
  const int receive_buffer = static_cast<int>(config.receive_buffer_size);
  set_option(socket_, SOL_SOCKET, SO_SNDBUF, send_buffer, ok, "SO_SNDBUF");
  set_option(socket_, SOL_SOCKET, SO_RCVBUF, receive_buffer, ok, "SO_RCVBUF");

  const sctp_assoc_value reset{SCTP_FUTURE_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ};
  set_option(socket_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, reset, ok, "SCTP_ENABLE_STREAM_RESET");
  // Bridge-channel messages are small and latency matters more than packing (no Nagle).
  const int nodelay = 1;
  set_option(socket_, IPPROTO_SCTP, SCTP_NODELAY, nodelay, ok, "SCTP_NODELAY");
  sctp_initmsg init{};
  init.sinit_num_ostreams = config.streams;
  init.sinit_max_instreams = config.streams;
  init.sinit_max_attempts = config.max_init_retransmissions;
  set_option(socket_, IPPROTO_SCTP, SCTP_INITMSG, init, ok, "SCTP_INITMSG");
  for (const std::uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SEND_FAILED_EVENT}) {
    sctp_event event{};
    event.se_assoc_id = SCTP_FUTURE_ASSOC;
    event.se_type = type;
    event.se_on = 1;
    set_option(socket_, IPPROTO_SCTP, SCTP_EVENT, event, ok, "SCTP_EVENT");
  }
  sctp_rtoinfo rto{};
  rto.srto_assoc_id = SCTP_FUTURE_ASSOC;
  rto.srto_initial = to_ms(config.rto_initial);
  rto.srto_min = to_ms(config.rto_min);
  rto.srto_max = to_ms(config.rto_max);
  set_option(socket_, IPPROTO_SCTP, SCTP_RTOINFO, rto, ok, "SCTP_RTOINFO");
  sctp_assocparams assoc{};
  assoc.sasoc_assoc_id = SCTP_FUTURE_ASSOC;
  assoc.sasoc_asocmaxrxt = config.max_retransmissions;
  set_option(socket_, IPPROTO_SCTP, SCTP_ASSOCINFO, assoc, ok, "SCTP_ASSOCINFO");
  // No ICMP reaches us through DTLS, so path MTU discovery cannot work: use a fixed size.
  sctp_paddrparams path{};
  path.spp_assoc_id = SCTP_FUTURE_ASSOC;
  path.spp_flags = SPP_PMTUD_DISABLE;
  path.spp_pathmtu = config.mtu;
  path.spp_pathmaxrxt = config.max_retransmissions;
  set_option(socket_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, path, ok, "SCTP_PEER_ADDR_PARAMS");
  if (config.partial_delivery_point > 0) {
    const std::uint32_t point = static_cast<std::uint32_t>(config.partial_delivery_point);
    set_option(socket_, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, point, ok, "SCTP_PARTIAL_DELIVERY_POINT");
  }

  sockaddr_conn local{};
  local.sconn_family = AF_CONN;
  local.sconn_port = htons(config.port);
  local.sconn_addr = conn_address(id_);
  if (usrsctp_bind(socket_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    kLog.warn("usrsctp_bind failed: errno {}", errno);
    ok = false;
  }
  port_ = config.port;
  return ok;
}

UsrsctpSocket::~UsrsctpSocket() {
  Lock lock(UsrsctpLibrary::mutex());
  auto& r = registry();
  r.sockets.erase(id_);
  close_socket();
  usrsctp_deregister_address(conn_address(id_));
  UsrsctpLibrary::release();
}

void UsrsctpSocket::close_socket() {
  Lock lock(UsrsctpLibrary::mutex());
  if (!socket_) return;
  struct socket* s = socket_;
  socket_ = nullptr;
  assoc_id_.reset();
  usrsctp_close(s);
}

bool UsrsctpSocket::listen() {
  Lock lock(UsrsctpLibrary::mutex());
  return socket_ && usrsctp_listen(socket_, 1) == 0;
}

bool UsrsctpSocket::connect() {
  Lock lock(UsrsctpLibrary::mutex());
  if (!socket_) return false;
  // The remote AF_CONN address is the same id as ours (with another one usrsctp never connects).
  sockaddr_conn remote{};
  remote.sconn_family = AF_CONN;
  remote.sconn_port = htons(port_);
  remote.sconn_addr = conn_address(id_);
  const int rc = usrsctp_connect(socket_, reinterpret_cast<sockaddr*>(&remote), sizeof remote);
  return rc == 0 || errno == EINPROGRESS;
}

void UsrsctpSocket::input(std::span<const std::uint8_t> packet) {
  Lock lock(UsrsctpLibrary::mutex());
  if (!socket_ || packet.empty()) return;
  usrsctp_conninput(conn_address(id_), packet.data(), packet.size(), 0);
}

UsrsctpSendStatus UsrsctpSocket::send(std::uint16_t stream_id, std::uint32_t ppid,
                                      std::span<const std::uint8_t> data) {
  Lock lock(UsrsctpLibrary::mutex());
  if (!socket_ || !assoc_id_) return UsrsctpSendStatus::kNotConnected;
  sctp_sndinfo info{};
  info.snd_sid = stream_id;
  info.snd_flags = SCTP_EOR;
  info.snd_ppid = htonl(ppid);
  info.snd_assoc_id = *assoc_id_;
  const ssize_t n = usrsctp_sendv(socket_, data.data(), data.size(), nullptr, 0, &info,
                                  static_cast<socklen_t>(sizeof info), SCTP_SENDV_SNDINFO, 0);
  if (n >= 0) return UsrsctpSendStatus::kOk;
  switch (errno) {
    case EWOULDBLOCK:
      return UsrsctpSendStatus::kWouldBlock;
    case EMSGSIZE:
      return UsrsctpSendStatus::kTooLarge;
    case ENOTCONN:
    case ECONNRESET:
    case EPIPE:
    case ENOENT:
      return UsrsctpSendStatus::kNotConnected;
    default:
      return UsrsctpSendStatus::kFailed;
  }
}

bool UsrsctpSocket::reset_outgoing_streams(std::span<const std::uint16_t> stream_ids) {
  Lock lock(UsrsctpLibrary::mutex());
  if (!socket_ || !assoc_id_ || stream_ids.empty() || stream_ids.size() > 0xFFFF) return false;
  // sctp_reset_streams ends in a flexible array; calloc gives it suitable alignment.
  const std::size_t size = sizeof(sctp_reset_streams) + stream_ids.size() * sizeof(std::uint16_t);
  std::unique_ptr<sctp_reset_streams, decltype(&std::free)> request(
      static_cast<sctp_reset_streams*>(std::calloc(1, size)), &std::free);
  if (!request) return false;
  request->srs_assoc_id = *assoc_id_;
  request->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  request->srs_number_streams = static_cast<std::uint16_t>(stream_ids.size());
  std::memcpy(request->srs_stream_list, stream_ids.data(), stream_ids.size() * sizeof(std::uint16_t));
  return usrsctp_setsockopt(socket_, IPPROTO_SCTP, SCTP_RESET_STREAMS, request.get(),
                            static_cast<socklen_t>(size)) == 0;
}

void UsrsctpSocket::abort() { close_socket(); }

}  // namespace jvb::sctp
