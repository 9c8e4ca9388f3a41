// Lookups over a catalog snapshot. Pure.
#include "planners/model/catalog.hpp"

#include <algorithm>

namespace pgphase::planners {

namespace {
template <typename Range, typename Pred> auto find_ptr(const Range& range, Pred pred) {
    auto it = std::find_if(range.begin(), range.end(), pred);
    return it == range.end() ? nullptr : &*it;
}
} // namespace

const CatalogColumn* CatalogTable::column(const std::string& column_name) const {
    return find_ptr(columns, [&](const CatalogColumn& c) { return c.name == column_name; });
}

const CatalogIndex* CatalogTable::index(const std::string& index_name) const {
    return find_ptr(indexes, [&](const CatalogIndex& i) { return i.name == index_name; });
}

const CatalogTable* Catalog::table(const std::string& schema, const std::string& name) const {
    return find_ptr(tables,
                    [&](const CatalogTable& t) { return t.schema == schema && t.name == name; });
}

const CatalogRelation* Catalog::relation(const std::string& schema, const std::string& name) const {
    return find_ptr(relations,
                    [&](const CatalogRelation& r) { return r.schema == schema && r.name == name; });
}

OwnColumn own_column(const std::string& name) {
    if (name.rfind("_pgphase_new_", 0) == 0) {
        return OwnColumn::shadow;
    }
    if (name.rfind("_pgphase_dropped_", 0) == 0 || name.rfind("_pgphase_written_", 0) == 0) {
        return OwnColumn::tombstone;
    }
    return OwnColumn::none;
}

} // namespace pgphase::planners
