// The thin loop shell of a media worker thread: one epoll set holding the worker's media
// sockets and an eventfd, and the deadline of its timers as the epoll timeout. Nothing else
// is polled: the signaling sockets, HTTP and their timers live on the control thread's GLib
// loop, whose per-wake-up cost grows with them (ARCHITECTURE.md, "Threads").
//
// The loop knows nothing of media: a Handler is told that a socket is readable, that the
// eventfd was signalled (commands or handed-off datagrams arrived), or that its deadline passed.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/core/time.hpp"

namespace jvb::io {

class WorkerLoop {
 public:
  class Handler {
   public:
    virtual void on_readable(std::size_t socket_index) = 0;
    virtual void on_wake() = 0;
    virtual void on_timer() = 0;
    virtual std::optional<Timestamp> next_wakeup() = 0;
    // The handler's time, which next_wakeup() is in (a fake clock in simulations).
    virtual Timestamp now() = 0;

   protected:
    ~Handler() = default;
  };

  // `sockets`: the file descriptors to watch, told apart by their index.
  static Result<WorkerLoop, std::string> create(const std::vector<int>& sockets);
  WorkerLoop(WorkerLoop&& other) noexcept;
  WorkerLoop& operator=(WorkerLoop&&) = delete;
  WorkerLoop(const WorkerLoop&) = delete;
  WorkerLoop& operator=(const WorkerLoop&) = delete;
  ~WorkerLoop();

  // Runs on the calling thread until stop().
  void run(Handler& handler);
  // From any thread: on_wake() soon. Cheap when a wake-up is already pending.
  void wake();
  // From any thread: run() returns after its current round.
  void stop();

 private:
  WorkerLoop(int epoll, int event) : epoll_(epoll), event_(event) {}
  int epoll_ = -1;
  int event_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> wake_pending_{false};
};

}  // namespace jvb::io
