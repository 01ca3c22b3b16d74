#include "http_connection.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <glog/logging.h>
#include <sys/socket.h>

#include <algorithm>

namespace qx {

// ------------------------------------------------------------ watchdog

Watchdog::Watchdog() : thread_([this] { Run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Watchdog::Entry::Entry(Watchdog& w, int fd) : w_(w) {
  std::lock_guard<std::mutex> lock(w_.mu_);
  id_ = w_.next_id_++;
  w_.slots_[id_] = {fd, Clock::time_point::max()};
  if (w_.aborting_) ::shutdown(fd, SHUT_RDWR);
}

Watchdog::Entry::~Entry() {
  std::lock_guard<std::mutex> lock(w_.mu_);
  w_.slots_.erase(id_);
}

void Watchdog::Entry::Arm(Clock::duration timeout) {
  {
    std::lock_guard<std::mutex> lock(w_.mu_);
    w_.slots_[id_].deadline = Clock::now() + timeout;
  }
  w_.cv_.notify_all();
}

void Watchdog::Entry::Disarm() {
  std::lock_guard<std::mutex> lock(w_.mu_);
  w_.slots_[id_].deadline = Clock::time_point::max();
}

void Watchdog::AbortAll() {
  std::lock_guard<std::mutex> lock(mu_);
  aborting_ = true;
  // shutdown(2), not close: the connection's thread still owns the
  // descriptor and wakes from its blocked read or write with an error.
  for (auto& [id, slot] : slots_) ::shutdown(slot.fd, SHUT_RDWR);
}

std::size_t Watchdog::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.size();
}

std::uint64_t Watchdog::timeouts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return timeouts_;
}

void Watchdog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& [id, slot] : slots_) {
      if (slot.deadline <= now) {
        ::shutdown(slot.fd, SHUT_RDWR);
        slot.deadline = Clock::time_point::max();
        ++timeouts_;
      } else {
        next = std::min(next, slot.deadline);
      }
    }
    cv_.wait_until(lock, next);
  }
}

// ---------------------------------------------------------- connection

namespace {

// Failed TLS handshakes and broken connections, at most 20 a minute, so a
// port scanner cannot flood the log. Never request headers.
void LogConnectionError(const std::string& peer, const std::string& what) {
  static std::mutex mu;
  static auto window = std::chrono::steady_clock::now();
  static int logged = 0, suppressed = 0;
  std::lock_guard<std::mutex> lock(mu);
  auto now = std::chrono::steady_clock::now();
  if (now - window >= std::chrono::minutes(1)) {
    if (suppressed > 0) {
      LOG(WARNING) << "http: " << suppressed << " more connection errors";
    }
    window = now;
    logged = suppressed = 0;
  }
  if (++logged <= 20) {
    LOG(WARNING) << "http: connection from " << peer << ": " << what;
  } else {
    ++suppressed;
  }
}

void SendError(Poco::Net::HTTPServerSession& session,
               Poco::Net::HTTPResponse::HTTPStatus status) {
  Poco::Net::HTTPServerResponseImpl response(session);
  response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
  response.setStatusAndReason(status);
  response.setKeepAlive(false);
  response.setContentLength(0);
  response.send();
  session.setKeepAlive(false);
}

class HttpConnection final : public Poco::Net::TCPServerConnection {
 public:
  HttpConnection(const Poco::Net::StreamSocket& socket, Router& router,
                 Watchdog& watchdog, Poco::Net::HTTPServerParams::Ptr params,
                 std::chrono::milliseconds request_timeout)
      : TCPServerConnection(socket),
        router_(router),
        watchdog_(watchdog),
        params_(std::move(params)),
        request_timeout_(request_timeout) {}

  void run() override {
    std::string peer;
    try {
      peer = socket().peerAddress().toString();
    } catch (const Poco::Exception&) {
      return;  // already gone
    }
    Watchdog::Entry entry(watchdog_, socket().impl()->sockfd());
    socket().setNoDelay(true);
    // Poco sets no send timeout on server sockets; the deadline covers
    // writes, this only bounds a single blocked send.
    socket().setSendTimeout(params_->getTimeout());
    Poco::Net::HTTPServerSession session(socket(), params_);
    try {
      Serve(entry, session);
    } catch (const Poco::Exception& e) {
      // Poco reports a failed read as "Error reading HTTP request header";
      // the cause (a TLS alert, a reset) is the session's network exception.
      const Poco::Exception& cause =
          session.networkException() ? *session.networkException() : e;
      if (!Unremarkable(cause)) LogConnectionError(peer, cause.displayText());
    } catch (const std::exception& e) {
      LogConnectionError(peer, e.what());
    }
  }

 private:
  // A client (a TCP probe, a port check) that closes without a request, or
  // resets the connection, is no error worth a warning.
  static bool Unremarkable(const Poco::Exception& e) {
    const std::string text = e.displayText();
    return dynamic_cast<const Poco::Net::ConnectionResetException*>(&e) ||
           dynamic_cast<
               const Poco::Net::SSLConnectionUnexpectedlyClosedException*>(
               &e) ||
           text.find("unexpected eof") != std::string::npos;
  }

  void Serve(Watchdog::Entry& entry, Poco::Net::HTTPServerSession& session) {
    // First request: wait up to the timeout; later ones: the idle timeout.
    while (session.hasMoreRequests()) {
      entry.Arm(request_timeout_);
      try {
        Poco::Net::HTTPServerResponseImpl response(session);
        Poco::Net::HTTPServerRequestImpl request(response, session,
                                                 params_.get());
        response.setDate(Poco::Timestamp());
        response.setVersion(request.getVersion());
        response.setKeepAlive(params_->getKeepAlive() &&
                              request.getKeepAlive() && session.canKeepAlive());
        router_.Handle(request, response, socket());
        session.setKeepAlive(params_->getKeepAlive() &&
                             response.getKeepAlive() && session.canKeepAlive());
      } catch (const Poco::Net::NoMessageException&) {
        break;  // the client closed the connection
      } catch (const Poco::Net::MessageException&) {
        SendError(session, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
        break;
      }
      entry.Disarm();
    }
  }

  Router& router_;
  Watchdog& watchdog_;
  Poco::Net::HTTPServerParams::Ptr params_;
  std::chrono::milliseconds request_timeout_;
};

}  // namespace

HttpConnectionFactory::HttpConnectionFactory(
    Router& router, Watchdog& watchdog, Poco::Net::HTTPServerParams::Ptr params,
    std::chrono::milliseconds request_timeout)
    : router_(router),
      watchdog_(watchdog),
      params_(std::move(params)),
      request_timeout_(request_timeout) {}

Poco::Net::TCPServerConnection* HttpConnectionFactory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new HttpConnection(socket, router_, watchdog_, params_,
                            request_timeout_);
}

}  // namespace qx
