// See worker_loop.hpp.
#include "bridge/io/worker_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace jvb::io {
namespace {

// The eventfd's epoll tag; sockets are tagged with their index.
constexpr std::uint64_t kEventTag = ~std::uint64_t{0};

}  // namespace

Result<WorkerLoop, std::string> WorkerLoop::create(const std::vector<int>& sockets) {
  int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) return unexpected(std::string("epoll_create1: ") + std::strerror(errno));
  int event = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event < 0) {
    ::close(epoll);
    return unexpected(std::string("eventfd: ") + std::strerror(errno));
  }
  WorkerLoop loop(epoll, event);
  auto watch = [&](int fd, std::uint64_t tag) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = tag;
    return ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e) == 0;
  };
  if (!watch(event, kEventTag)) return unexpected(std::string("epoll_ctl: ") + std::strerror(errno));
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    if (!watch(sockets[i], i)) return unexpected(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  return loop;
}

WorkerLoop::WorkerLoop(WorkerLoop&& other) noexcept : epoll_(other.epoll_), event_(other.event_) {
  other.epoll_ = other.event_ = -1;
}

WorkerLoop::~WorkerLoop() {
  if (epoll_ >= 0) ::close(epoll_);
  if (event_ >= 0) ::close(event_);
}

void WorkerLoop::wake() {
  // One write per burst of wake-ups: the flag is cleared when the loop reads the eventfd.
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_, &one, sizeof one);
}

void WorkerLoop::stop() {
  stopping_.store(true, std::memory_order_release);
  wake_pending_.store(false, std::memory_order_release);
  wake();
}

void WorkerLoop::run(Handler& handler) {
  std::array<epoll_event, 8> events{};
  while (!stopping_.load(std::memory_order_acquire)) {
    int timeout = -1;
    if (auto next = handler.next_wakeup()) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - handler.now()).count();
      timeout = static_cast<int>(std::clamp<long long>(wait, 0, 60'000));
    }
    int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kEventTag) {
        std::uint64_t count = 0;
        [[maybe_unused]] auto r = ::read(event_, &count, sizeof count);
        // Cleared after the read: a wake() that saw the flag still set wrote nothing, and what
        // it announced is visible to the on_wake() below (the exchange orders the two); one
        // from now on writes again.
        wake_pending_.exchange(false, std::memory_order_acq_rel);
        handler.on_wake();
      } else {
        handler.on_readable(static_cast<std::size_t>(events[i].data.u64));
      }
    }
    if (auto next = handler.next_wakeup(); next && *next <= handler.now()) handler.on_timer();
  }
}

}  // namespace jvb::io
