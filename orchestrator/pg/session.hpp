// The only door to PostgreSQL: a connection, transactions, and database errors translated into
// what the engine decides on (SQLSTATE, statement, retryable, connection lost). Everything else
// in pgphase sees this interface, never libpqxx.
#pragma once

#include "orchestrator/pg/dsn.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
} // namespace pqxx

namespace pgphase::orchestrator {

using Value = std::optional<std::string>; // NULL = nullopt
using Params = std::vector<Value>;

struct Rows {
    std::vector<std::vector<Value>> rows;
    std::size_t affected = 0; // rows touched by an INSERT/UPDATE/DELETE

    bool empty() const { return rows.empty(); }
    const Value& at(std::size_t row, std::size_t column) const { return rows.at(row).at(column); }
    std::string text(std::size_t row, std::size_t column) const; // NULL -> ""
};

class DatabaseError : public std::runtime_error {
public:
    DatabaseError(const std::string& message, std::string sqlstate, std::string statement,
                  bool connection_lost);

    const std::string& sqlstate() const { return m_sqlstate; }
    const std::string& statement() const { return m_statement; }
    bool connection_lost() const { return m_connection_lost; }
    bool lock_timeout() const { return m_sqlstate == "55P03"; }
    // Worth another attempt: lock timeout, deadlock, serialization failure, query cancelled.
    bool retryable() const;

private:
    std::string m_sqlstate;
    std::string m_statement;
    bool m_connection_lost;
};

class Transaction {
public:
    Rows query(const std::string& sql, const Params& params = {});
    void execute(const std::string& sql) { query(sql); }

private:
    friend class Session;
    explicit Transaction(pqxx::transaction_base& work)
        : m_work(work) {}
    pqxx::transaction_base& m_work;
};

class Session {
public:
    Session(const Dsn& dsn, const std::string& application_name);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Autocommit: each statement commits on its own (CREATE INDEX CONCURRENTLY needs this).
    Rows query(const std::string& sql, const Params& params = {});
    void execute(const std::string& sql) { query(sql); }

    // Runs `body` in one transaction, committed when it returns, rolled back when it throws.
    void transaction(const std::function<void(Transaction&)>& body);

    int backend_pid() const;

private:
    struct Connection; // holds the pqxx connection; defined in session.cpp
    std::unique_ptr<Connection> m_connection;
};

} // namespace pgphase::orchestrator
