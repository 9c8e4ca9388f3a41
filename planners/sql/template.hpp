// Renders generated SQL from a template with named placeholders, so trigger bodies, functions
// and multi-line DDL read as SQL in the source. Values are only Quoted, which the quoting
// helpers make: an unquoted std::string does not compile as a value. Pure.
#pragma once

#include "planners/model/plan.hpp"
#include "planners/model/step.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace pgphase::planners {

// SQL text that is safe to paste as it is: a quoted identifier or literal, a qualified name, a
// parsed expression or type name, or a rendered template. No implicit conversion from a string.
class Quoted {
public:
    Quoted() = default; // empty: for an optional part of a statement

    friend Quoted ident(std::string_view identifier);
    friend Quoted literal(std::string_view text);
    friend Quoted qualified(const QualifiedName& name);
    friend Quoted expression_sql(const Expression& expression);
    friend Quoted type_sql(const TypeName& type);
    friend Quoted dollar_quoted(const Quoted& body);
    // SQL assembled in code from quoted parts (a helper's output, e.g. `changed(...)`). Explicit
    // and greppable: use it only for text every piece of which came from a quoting helper.
    static Quoted assembled(std::string sql) { return Quoted(std::move(sql)); }

    const std::string& str() const& { return m_sql; }
    std::string str() && { return std::move(m_sql); }

private:
    explicit Quoted(std::string sql)
        : m_sql(std::move(sql)) {}
    friend Quoted render_sql(std::string_view,
                             std::initializer_list<std::pair<std::string_view, Quoted>>);

    std::string m_sql;
};

Quoted ident(std::string_view identifier);           // quote_ident
Quoted literal(std::string_view text);               // quote_literal
Quoted qualified(const QualifiedName& name);         // "schema"."name"
Quoted expression_sql(const Expression& expression); // its canonical, deparsed SQL
Quoted type_sql(const TypeName& type);               // its canonical SQL
Quoted dollar_quoted(const Quoted& body);            // dollar_quote: a tag the body lacks

// `{name}` in `sql_template` is replaced by the value of that name; a name is a letter or '_'
// followed by letters, digits or '_', and may occur any number of times. `{{` writes `{` and
// `}}` writes `}`. A placeholder without a value, a value no placeholder uses, a name given
// twice and a lone `{` or `}` are programming errors: std::logic_error naming the placeholder
// and the template's first line.
Quoted render_sql(std::string_view sql_template,
                  std::initializer_list<std::pair<std::string_view, Quoted>> values);

} // namespace pgphase::planners
