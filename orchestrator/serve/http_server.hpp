// A small HTTP/1.1 server on Boost.Beast for `pgphase serve`. The network runs on the caller's
// io_context; every request is handed to one worker thread (the handler may block on the
// database), so a slow database never stalls accepting and reading. Each read and write has a
// deadline, requests have a size limit and connections a cap: a slow or hostile client
// cannot hold the server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pgphase::orchestrator::serve {

struct HttpRequest {
    std::string method; // GET, POST, …
    std::string target; // path and query, as sent
    std::string authorization;
    std::string content_type;
    std::string body;
    std::string remote; // the client's address
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpLimits {
    std::size_t header_bytes = std::size_t{8} * 1024;
    std::size_t body_bytes = std::size_t{16} * 1024;
    std::chrono::seconds read_timeout{10};  // a whole request, or the idle time between two
    std::chrono::seconds write_timeout{10}; // a whole response
    int connections = 64;                   // more are closed at once
};

class HttpServer {
public:
    // Binds at once (throws boost::system::system_error when the address is taken).
    HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
               HttpHandler handler, HttpLimits limits = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start(); // accepts on the io_context until stop()
    void stop();  // closes the listener; requests in flight finish

    struct State; // http_server.cpp's; shared with the connections, which may outlive stop()

private:
    std::shared_ptr<State> m_state;
};

} // namespace pgphase::orchestrator::serve
