// The HTTP server of `pgphase serve`: Beast on C++20 coroutines. Network work stays on the
// io_context; handlers run one at a time on a worker thread and are awaited.
#include "orchestrator/serve/http_server.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <memory>

namespace pgphase::orchestrator::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::State {
    State(asio::io_context& context, const tcp::endpoint& listen, HttpHandler handle,
          HttpLimits bounds)
        : io(context)
        , acceptor(context, listen)
        , handler(std::move(handle))
        , limits(bounds) {}
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() { worker.join(); }

    asio::io_context& io;
    tcp::acceptor acceptor;
    HttpHandler handler;
    HttpLimits limits;
    asio::thread_pool worker{1}; // the handler's thread: requests are handled one at a time
    int connections = 0;         // touched on the io_context only
    bool stopped = false;
};

namespace {

using State = HttpServer::State;

HttpResponse plain(unsigned status, std::string text) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(text) + "\n";
    return response;
}

// Runs on the worker thread; a handler's exception becomes a 500 without its details, which
// could name the database.
asio::awaitable<HttpResponse> handle(std::shared_ptr<State> state, HttpRequest request) {
    try {
        co_return state->handler(request);
    } catch (const std::exception&) {
        co_return plain(500, "internal error; the server's log says more");
    }
}

asio::awaitable<void> write(beast::tcp_stream& stream, const HttpResponse& response,
                            unsigned version, bool keep_alive, std::chrono::seconds timeout,
                            boost::system::error_code& ec) {
    http::response<http::string_body> out{static_cast<http::status>(response.status), version};
    out.set(http::field::server, "pgphase");
    out.set(http::field::content_type, response.content_type);
    out.set(http::field::cache_control, "no-store");
    out.set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers) {
        out.set(name, value);
    }
    out.keep_alive(keep_alive);
    out.body() = response.body;
    out.prepare_payload();
    stream.expires_after(timeout);
    co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> serve_connection(std::shared_ptr<State> state, tcp::socket socket) {
    boost::system::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    const std::string remote = ec ? std::string("unknown") : peer.address().to_string();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(state->limits.header_bytes));
        parser.body_limit(state->limits.body_bytes);
        // One deadline for the whole request, idle time before it included: a client that
        // sends a byte at a time cannot keep the connection.
        stream.expires_after(state->limits.read_timeout);
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::header_limit || ec == http::error::body_limit) {
            co_await write(stream, plain(413, "request too large"), 11, false,
                           state->limits.write_timeout, ec);
            break;
        }
        if (ec) {
            break; // closed, timed out or malformed: nothing to answer
        }
        const auto& message = parser.get();
        HttpRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.authorization = std::string(message[http::field::authorization]);
        request.content_type = std::string(message[http::field::content_type]);
        request.body = message.body();
        request.remote = remote;
        const bool keep_alive = message.keep_alive() && !state->stopped;
        const unsigned version = message.version();
        const HttpResponse response = co_await asio::co_spawn(
            state->worker, handle(state, std::move(request)), asio::use_awaitable);
        co_await write(stream, response, version, keep_alive, state->limits.write_timeout, ec);
        if (ec || !keep_alive) {
            break;
        }
    }
    // A lingering close: what the client still sends (the rest of a refused body) is read and
    // dropped for a moment, so that closing does not reset the connection before the client
    // has read the answer.
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(1));
    std::array<char, 4096> drained{};
    for (std::size_t total = 0; !ec && total < 256 * 1024;) {
        total += co_await stream.async_read_some(asio::buffer(drained),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> state) {
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (state->stopped || ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            continue; // e.g. too many open files: this client goes, the next may come
        }
        if (state->connections >= state->limits.connections) {
            socket.close(ec);
            continue;
        }
        ++state->connections;
        asio::co_spawn(state->io, serve_connection(state, std::move(socket)),
                       [state](const std::exception_ptr&) { --state->connections; });
    }
}

} // namespace

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& listen, HttpHandler handler,
                       HttpLimits limits)
    : m_state(std::make_shared<State>(io, listen, std::move(handler), limits)) {}

HttpServer::~HttpServer() {
    stop();
}

tcp::endpoint HttpServer::local_endpoint() const {
    return m_state->acceptor.local_endpoint();
}

void HttpServer::start() {
    asio::co_spawn(m_state->io, accept_loop(m_state), asio::detached);
}

void HttpServer::stop() {
    asio::post(m_state->io, [state = m_state] {
        state->stopped = true;
        boost::system::error_code ignored;
        state->acceptor.close(ignored);
    });
}

} // namespace pgphase::orchestrator::serve
