// One connection, many requests (keep-alive), on Poco's HTTP server classes.
//
// Poco's HTTPServerConnection bounds each socket read by the receive
// timeout, but not a whole request: a client sending a header byte every few
// seconds, or reading the answer as slowly, would hold a worker thread for
// hours. This connection runs the same request loop (HTTPServerSession,
// HTTPServerRequestImpl/ResponseImpl) and gives every exchange -- from its
// first byte (TLS handshake included) to the last byte of the answer -- a
// deadline; the Watchdog shuts the socket down when one passes.
#pragma once

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include "router.h"

namespace qx {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // A connection's entry; unregisters when destroyed (before the socket is
  // closed, so the watchdog never touches a reused descriptor).
  class Entry {
   public:
    Entry(Watchdog& w, int fd);
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    void Arm(Clock::duration timeout);
    void Disarm();

   private:
    Watchdog& w_;
    std::uint64_t id_;
  };

  // Shuts down every connection now and every one registered later (stop).
  void AbortAll();
  std::size_t connections() const;
  std::uint64_t timeouts() const;

 private:
  struct Slot {
    int fd;
    Clock::time_point deadline;
  };
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::uint64_t, Slot> slots_;
  std::uint64_t next_id_ = 0;
  std::uint64_t timeouts_ = 0;
  bool aborting_ = false;
  bool stop_ = false;
  std::thread thread_;
};

class HttpConnectionFactory final
    : public Poco::Net::TCPServerConnectionFactory {
 public:
  HttpConnectionFactory(Router& router, Watchdog& watchdog,
                        Poco::Net::HTTPServerParams::Ptr params,
                        std::chrono::milliseconds request_timeout);
  Poco::Net::TCPServerConnection* createConnection(
      const Poco::Net::StreamSocket& socket) override;

 private:
  Router& router_;
  Watchdog& watchdog_;
  Poco::Net::HTTPServerParams::Ptr params_;
  std::chrono::milliseconds request_timeout_;
};

}  // namespace qx
