// libpqxx 6.4 behind the Session interface; every pqxx exception becomes a DatabaseError here.
#include "orchestrator/pg/session.hpp"

#include <pqxx/pqxx>

namespace pgphase::orchestrator {

namespace {

// "ERROR:  message\nDETAIL: ..." -> "message\nDETAIL: ...", as one line where possible.
std::string clean_message(std::string message) {
    for (const char* prefix : {"ERROR:  ", "FATAL:  "}) {
        if (message.rfind(prefix, 0) == 0) {
            message.erase(0, std::char_traits<char>::length(prefix));
        }
    }
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return message;
}

Rows to_rows(const pqxx::result& result) {
    Rows rows;
    rows.affected = static_cast<std::size_t>(result.affected_rows());
    rows.rows.reserve(result.size());
    for (const auto& row : result) {
        std::vector<Value> values;
        values.reserve(row.size());
        for (const auto& field : row) {
            values.push_back(field.is_null() ? Value{} : Value{field.c_str()});
        }
        rows.rows.push_back(std::move(values));
    }
    return rows;
}

// libpqxx 6.4 throws some errors as classes of their own without their SQLSTATE (a
// pg_cancel_backend the role may not call came as an insufficient_privilege with none): the
// class says it.
std::string sqlstate_of(const pqxx::sql_error& e) {
    if (!e.sqlstate().empty()) {
        return e.sqlstate();
    }
    if (dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr) {
        return "42501";
    }
    if (dynamic_cast<const pqxx::undefined_table*>(&e) != nullptr) {
        return "42P01";
    }
    if (dynamic_cast<const pqxx::undefined_column*>(&e) != nullptr) {
        return "42703";
    }
    if (dynamic_cast<const pqxx::undefined_function*>(&e) != nullptr) {
        return "42883";
    }
    if (dynamic_cast<const pqxx::syntax_error*>(&e) != nullptr) {
        return "42601";
    }
    return {};
}

template <typename Exec> Rows translate(const std::string& sql, Exec&& exec) {
    try {
        return to_rows(exec());
    } catch (const pqxx::sql_error& e) {
        throw DatabaseError(clean_message(e.what()), sqlstate_of(e), sql, false);
    } catch (const pqxx::broken_connection& e) {
        throw DatabaseError(clean_message(e.what()), "08006", sql, true);
    } catch (const pqxx::in_doubt_error& e) {
        throw DatabaseError(clean_message(e.what()), "08007", sql, true);
    }
}

pqxx::result run(pqxx::transaction_base& work, const std::string& sql, const Params& params) {
    if (params.empty()) {
        return work.exec(sql);
    }
    std::vector<const char*> raw;
    raw.reserve(params.size());
    for (const auto& value : params) {
        raw.push_back(value ? value->c_str() : nullptr);
    }
    return work.exec_params(sql, pqxx::prepare::make_dynamic_params(raw));
}

} // namespace

std::string Rows::text(std::size_t row, std::size_t column) const {
    const Value& value = at(row, column);
    return value ? *value : std::string();
}

DatabaseError::DatabaseError(const std::string& message, std::string sqlstate,
                             std::string statement, bool connection_lost)
    : std::runtime_error(message)
    , m_sqlstate(std::move(sqlstate))
    , m_statement(std::move(statement))
    , m_connection_lost(connection_lost) {}

bool DatabaseError::retryable() const {
    return m_sqlstate == "55P03" || m_sqlstate == "40P01" || m_sqlstate == "40001" ||
           m_sqlstate == "57014";
}

Rows Transaction::query(const std::string& sql, const Params& params) {
    return translate(sql, [&] { return run(m_work, sql, params); });
}

struct Session::Connection {
    explicit Connection(const std::string& options)
        : raw(options) {}
    pqxx::connection raw;
};

Session::Session(const Dsn& dsn, const std::string& application_name) {
    try {
        m_connection = std::make_unique<Connection>(dsn.connection_string());
    } catch (const pqxx::broken_connection& e) {
        // libpq's message names host and port, never the password.
        throw DatabaseError("could not connect to " + dsn.redacted() + ": " +
                                clean_message(e.what()),
                            "08001", "", true);
    }
    pqxx::nontransaction setup(m_connection->raw);
    setup.exec("SET application_name = " + setup.quote(application_name.substr(0, 63)));
}

Session::~Session() = default;

Rows Session::query(const std::string& sql, const Params& params) {
    return translate(sql, [&] {
        pqxx::nontransaction work(m_connection->raw);
        return run(work, sql, params);
    });
}

void Session::transaction(const std::function<void(Transaction&)>& body) {
    translate("COMMIT", [&] {
        pqxx::work work(m_connection->raw);
        Transaction tx(work);
        body(tx);
        work.commit();
        return pqxx::result();
    });
}

int Session::backend_pid() const {
    return m_connection->raw.backendpid();
}

} // namespace pgphase::orchestrator
