// See worker_routes.hpp.
#include "bridge/io/worker_routes.hpp"

namespace jvb::io {

void RouteDirectory::set_ufrag(std::string_view ufrag, WorkerIndex worker) {
  std::scoped_lock lock(mutex_);
  auto it = table_.ufrags.find(ufrag);
  if (it == table_.ufrags.end()) {
    table_.ufrags.emplace(std::string(ufrag), worker);
  } else if (it->second != worker) {
    it->second = worker;
  } else {
    return;
  }
  changed();
}

void RouteDirectory::remove_ufrag(std::string_view ufrag, WorkerIndex worker) {
  std::scoped_lock lock(mutex_);
  auto it = table_.ufrags.find(ufrag);
  if (it == table_.ufrags.end() || it->second != worker) return;
  table_.ufrags.erase(it);
  changed();
}

void RouteDirectory::set_address(const SocketAddress& address, WorkerIndex worker) {
  std::scoped_lock lock(mutex_);
  auto [it, added] = table_.addresses.try_emplace(address, worker);
  if (!added) {
    if (it->second == worker) return;
    it->second = worker;
  }
  changed();
}

void RouteDirectory::remove_address(const SocketAddress& address, WorkerIndex worker) {
  std::scoped_lock lock(mutex_);
  auto it = table_.addresses.find(address);
  if (it == table_.addresses.end() || it->second != worker) return;
  table_.addresses.erase(it);
  changed();
}

std::optional<WorkerIndex> RouteDirectory::ufrag_owner(std::string_view ufrag) const {
  std::scoped_lock lock(mutex_);
  auto it = table_.ufrags.find(ufrag);
  if (it == table_.ufrags.end()) return std::nullopt;
  return it->second;
}

std::optional<WorkerIndex> RouteDirectory::address_owner(const SocketAddress& address) const {
  std::scoped_lock lock(mutex_);
  auto it = table_.addresses.find(address);
  if (it == table_.addresses.end()) return std::nullopt;
  return it->second;
}

void RouteDirectory::refresh(Table& copy, std::uint64_t& generation) const {
  if (generation_.load(std::memory_order_acquire) == generation) return;
  std::scoped_lock lock(mutex_);
  // Assigning over the old copy reuses its nodes: a worker allocates only when the table grew.
  copy = table_;
  generation = generation_.load(std::memory_order_relaxed);
}

void WorkerRoutes::on_ufrag(std::string_view local_ufrag, bool added) {
  if (added) {
    directory_.set_ufrag(local_ufrag, self_);
  } else {
    directory_.remove_ufrag(local_ufrag, self_);
  }
}

void WorkerRoutes::on_address(const SocketAddress& remote, bool added) {
  if (added) {
    directory_.set_address(remote, self_);
  } else {
    directory_.remove_address(remote, self_);
  }
}

bool WorkerRoutes::claims(const SocketAddress& from, std::optional<std::string_view> ufrag) {
  if (handing_over_) return false;
  directory_.refresh(copy_, generation_);
  // A Binding request names its endpoint exactly (the address may be new, or moving).
  const WorkerIndex* owner = nullptr;
  if (ufrag) {
    if (auto it = copy_.ufrags.find(*ufrag); it != copy_.ufrags.end()) owner = &it->second;
  } else if (auto it = copy_.addresses.find(from); it != copy_.addresses.end()) {
    owner = &it->second;
  }
  if (!owner || *owner == self_) return false;
  claimed_by_ = *owner;
  return true;
}

}  // namespace jvb::io
