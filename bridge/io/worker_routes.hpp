// Which media worker owns a remote address or a local ICE ufrag, for the workers that share the
// one media port. Each worker has its own SO_REUSEPORT socket of the port and the kernel picks
// the socket by a hash of the datagram's addresses, so a peer's datagrams can land on a worker
// that does not own its endpoint; that worker hands them to the owner (handoff_ring.hpp).
//
// RouteDirectory is the process-wide table, written when a worker's demux registers a ufrag or
// binds an address (control-path events: an endpoint is created, ICE validates an address, an
// endpoint goes). Each worker answers the datagrams it has no route for from its own copy of the
// table (WorkerRoutes), taken again only after the directory's generation moved: a datagram takes
// no lock, whether it is a peer's on the wrong worker or one of a flood from addresses nobody
// owns.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bridge/core/socket_address.hpp"
#include "ice/udp_demux.hpp"

namespace jvb::io {

using WorkerIndex = std::uint32_t;

class RouteDirectory {
 public:
  void set_ufrag(std::string_view ufrag, WorkerIndex worker);
  // Removes the entry only while `worker` owns it (another worker may have taken it since).
  void remove_ufrag(std::string_view ufrag, WorkerIndex worker);
  void set_address(const SocketAddress& address, WorkerIndex worker);
  void remove_address(const SocketAddress& address, WorkerIndex worker);

  std::optional<WorkerIndex> ufrag_owner(std::string_view ufrag) const;
  std::optional<WorkerIndex> address_owner(const SocketAddress& address) const;
  // Moves on every change.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Table {
    std::unordered_map<std::string, WorkerIndex, StringHash, std::equal_to<>> ufrags;
    std::unordered_map<SocketAddress, WorkerIndex> addresses;
  };
  // Copies the table into `copy` when it changed since `generation`, which it then updates.
  void refresh(Table& copy, std::uint64_t& generation) const;

 private:
  void changed() { generation_.fetch_add(1, std::memory_order_release); }

  mutable std::mutex mutex_;
  Table table_;
  std::atomic<std::uint64_t> generation_{1};
};

// One worker's view: publishes its demux's routes to the directory and answers its demux's
// misses from it. Owned and called by the worker's thread.
class WorkerRoutes final : public ice::SharedRoutes {
 public:
  WorkerRoutes(RouteDirectory& directory, WorkerIndex self) : directory_(directory), self_(self) {}

  void on_ufrag(std::string_view local_ufrag, bool added) override;
  void on_address(const SocketAddress& remote, bool added) override;
  bool claims(const SocketAddress& from, std::optional<std::string_view> ufrag) override;

  // The worker that claims() last named: where the caller hands the datagram.
  WorkerIndex claimed_by() const { return claimed_by_; }
  // While set, nothing is claimed: a datagram another worker handed over is never passed on
  // again, even when the directory changed on the way (it is dropped and counted instead).
  void set_handing_over(bool on) { handing_over_ = on; }

 private:
  RouteDirectory& directory_;
  WorkerIndex self_;
  WorkerIndex claimed_by_ = 0;
  bool handing_over_ = false;
  std::uint64_t generation_ = 0;  // of the copy; the directory's starts at 1
  RouteDirectory::Table copy_;
};

}  // namespace jvb::io
