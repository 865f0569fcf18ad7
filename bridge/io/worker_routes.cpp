// See worker_routes.hpp.
#include "bridge/io/worker_routes.hpp"

namespace jvb::io {

void RouteDirectory::set_ufrag(std::string_view ufrag, WorkerIndex worker) {
  std::scoped_lock lock(mutex_);
  auto it = ufrags_.find(ufrag);
  if (it == ufrags_.end()) {
    ufrags_.emplace(std::string(ufrag), worker);
  } else if (it->second != worker) {
    it->second = worker;
    generation_.fetch_add(1, std::memory_order_release);
  }
}

void RouteDirectory::remove_ufrag(std::string_view ufrag, WorkerIndex worker) {
  std::scoped_lock lock(mutex_);
  auto it = ufrags_.find(ufrag);
  if (it == ufrags_.end() || it->second != worker) return;
  ufrags_.erase(it);
  generation_.fetch_add(1, std::memory_order_release);
}

void RouteDirectory::set_address(const SocketAddress& address, WorkerIndex worker) {
  std::scoped_lock lock(mutex_);
  auto [it, added] = addresses_.try_emplace(address, worker);
  if (!added && it->second != worker) {
    it->second = worker;
    generation_.fetch_add(1, std::memory_order_release);
  }
}

void RouteDirectory::remove_address(const SocketAddress& address, WorkerIndex worker) {
  std::scoped_lock lock(mutex_);
  auto it = addresses_.find(address);
  if (it == addresses_.end() || it->second != worker) return;
  addresses_.erase(it);
  generation_.fetch_add(1, std::memory_order_release);
}

std::optional<WorkerIndex> RouteDirectory::ufrag_owner(std::string_view ufrag) const {
  std::scoped_lock lock(mutex_);
  auto it = ufrags_.find(ufrag);
  if (it == ufrags_.end()) return std::nullopt;
  return it->second;
}

std::optional<WorkerIndex> RouteDirectory::address_owner(const SocketAddress& address) const {
  std::scoped_lock lock(mutex_);
  auto it = addresses_.find(address);
  if (it == addresses_.end()) return std::nullopt;
  return it->second;
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
  if (auto g = directory_.generation(); g != generation_) {
    cache_.clear();
    generation_ = g;
  }
  // A Binding request names its endpoint exactly (the address may be new, or moving).
  if (ufrag) {
    auto owner = directory_.ufrag_owner(*ufrag);
    if (!owner || *owner == self_) return false;
    claimed_by_ = *owner;
    return true;
  }
  if (auto it = cache_.find(from); it != cache_.end()) {
    claimed_by_ = it->second;
    return true;
  }
  auto owner = directory_.address_owner(from);
  if (!owner || *owner == self_) return false;
  // Bounded: addresses nobody owns are never cached, so only real peers fill it.
  if (cache_.size() < kMaxCached) cache_.emplace(from, *owner);
  claimed_by_ = *owner;
  return true;
}

}  // namespace jvb::io
