// A text kept once per process and shared: a copy is one pointer. For the texts that thousands
// of statements and findings repeat (a file's path, a rule's id, its lock, effect and hint), so
// that lint and convert take memory in proportion to their input, not to the number of findings
// (issue 17). The pool only grows: intern what repeats, never what is unique to one item.
// Thread-safe. Pure.
#pragma once

#include <compare>
#include <ostream>
#include <string>
#include <string_view>

namespace pgphase::planners {

class Interned {
public:
    Interned() noexcept; // ""
    // Implicit, so that a field of this type is assigned and compared like a std::string.
    // NOLINTBEGIN(google-explicit-constructor,hicpp-explicit-conversions)
    Interned(std::string_view text);
    Interned(const std::string& text)
        : Interned(std::string_view(text)) {}
    Interned(const char* text)
        : Interned(std::string_view(text)) {}
    operator const std::string&() const noexcept { return *m_text; }
    operator std::string_view() const noexcept { return *m_text; }
    // NOLINTEND(google-explicit-constructor,hicpp-explicit-conversions)

    const std::string& str() const noexcept { return *m_text; }
    const char* c_str() const noexcept { return m_text->c_str(); }
    bool empty() const noexcept { return m_text->empty(); }
    std::size_t size() const noexcept { return m_text->size(); }

    // Equal texts are one pooled string, so equality is the pointer's.
    friend bool operator==(const Interned& a, const Interned& b) noexcept {
        return a.m_text == b.m_text;
    }
    friend bool operator==(const Interned& a, const std::string& b) noexcept {
        return *a.m_text == b;
    }
    friend bool operator==(const Interned& a, std::string_view b) noexcept {
        return *a.m_text == b;
    }
    friend bool operator==(const Interned& a, const char* b) noexcept { return *a.m_text == b; }
    friend std::strong_ordering operator<=>(const Interned& a, const Interned& b) noexcept {
        return a.m_text->compare(*b.m_text) <=> 0;
    }
    friend std::string operator+(const std::string& a, const Interned& b) { return a + *b.m_text; }
    friend std::string operator+(const Interned& a, const std::string& b) { return *a.m_text + b; }
    friend std::string operator+(const char* a, const Interned& b) { return a + *b.m_text; }
    friend std::string operator+(const Interned& a, const char* b) { return *a.m_text + b; }
    friend std::ostream& operator<<(std::ostream& out, const Interned& text) {
        return out << *text.m_text;
    }

private:
    const std::string* m_text;
};

} // namespace pgphase::planners
