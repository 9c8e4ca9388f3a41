// The state store's tombstones (version 6): the table that records what contract kept instead
// of dropping, the two functions contract steps call to keep it (keep_column(), keep_table(),
// run in the step's transaction, so a tombstone is recorded exactly when it is kept), and
// reading them back. docs/undo.md says what they relax and why.
#include "orchestrator/state/store.hpp"
#include "planners/sql/quote.hpp"
#include "planners/sql/template.hpp"

namespace pgphase::orchestrator {

using planners::ident;
using planners::literal;
using planners::Quoted;
using planners::render_sql;

std::vector<std::string> StateStore::tombstone_upgrade() const {
    const Quoted tombstones = Quoted::assembled(table("tombstones"));
    const Quoted state = ident(m_schema);
    // clang-format off
    const std::string create_table = render_sql(R"sql(CREATE TABLE IF NOT EXISTS {tombstones} (
    id bigserial PRIMARY KEY,
    migration text NOT NULL,
    change integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('column', 'table')),
    relation oid NOT NULL,
    schema_name text NOT NULL,
    table_name text NOT NULL,
    name text NOT NULL,
    tombstone text NOT NULL,
    tombstone_schema text,
    marker text,
    relaxed jsonb NOT NULL DEFAULT '[]',
    kept_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    purged_at timestamptz,
    purged_by text))sql", {{"tombstones", tombstones}}).str();

    // Objects that would make a new write fail once nobody writes the column: the table's
    // constraints and indexes that read it (a UNIQUE on it, a CHECK, a FOREIGN KEY), and NOT
    // NULL. Their definitions are read before the rename, so they name the column as it was.
    // The marker column is NULL on every row that exists at contract; an INSERT gets its
    // default (true) and the first UPDATE of an old row sets it, so undo knows exactly which
    // rows were written since contract.
    const Quoted column_body = render_sql(R"sql(
DECLARE
    v_table regclass := pg_catalog.to_regclass(p_table);
    v_attnum smallint;
    v_not_null boolean;
    v_identity "char";
    v_relaxed jsonb := '[]';
    v_object record;
BEGIN
    IF v_table IS NULL THEN
        RAISE NOTICE 'pgphase: table % does not exist; column % is not kept', p_table, p_column;
        RETURN;
    END IF;
    SELECT a.attnum, a.attnotnull, a.attidentity INTO v_attnum, v_not_null, v_identity
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = v_table AND a.attname = p_column AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE NOTICE 'pgphase: column % of table % does not exist; nothing to keep', p_column, p_table;
        RETURN;
    END IF;
    -- A column of a type defined in the database (an enum, a domain) would stop a later DROP
    -- TYPE, which Prisma's enum migrations run: it is dropped as before.
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                   WHERE a.attrelid = v_table AND a.attnum = v_attnum
                     AND t.typnamespace = 'pg_catalog'::pg_catalog.regnamespace) THEN
        RAISE NOTICE 'pgphase: column % of table % has a type of its own; dropped, not kept', p_column, p_table;
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP COLUMN %I', v_table, p_column);
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_constraint c
               WHERE c.conrelid = v_table AND c.contype = 'p' AND v_attnum = ANY (c.conkey)) THEN
        RAISE EXCEPTION 'pgphase: column % of table % is part of the primary key and cannot be kept', p_column, p_table
            USING HINT = 'set keep_dropped: 0 in the plan''s settings to drop it at contract';
    END IF;
    FOR v_object IN
        SELECT c.conname AS name, pg_catalog.pg_get_constraintdef(c.oid) AS definition
        FROM pg_catalog.pg_constraint c
        WHERE c.conrelid = v_table AND c.contype <> 'p'
          AND (v_attnum = ANY (c.conkey) OR EXISTS (
                SELECT FROM pg_catalog.pg_depend d
                WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND d.refobjid = v_table AND d.refobjsubid = v_attnum))
        ORDER BY c.conname
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', v_table, v_object.name);
        v_relaxed := v_relaxed || pg_catalog.jsonb_build_object('kind', 'constraint', 'name', v_object.name, 'definition', v_object.definition);
    END LOOP;
    FOR v_object IN
        SELECT ic.relname AS name, i.indexrelid::pg_catalog.regclass AS index,
               pg_catalog.pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = v_table
          AND (v_attnum = ANY (i.indkey::smallint[]) OR EXISTS (
                SELECT FROM pg_catalog.pg_depend d
                WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = i.indexrelid
                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND d.refobjid = v_table AND d.refobjsubid = v_attnum))
        ORDER BY ic.relname
    LOOP
        EXECUTE pg_catalog.format('DROP INDEX %s', v_object.index);
        v_relaxed := v_relaxed || pg_catalog.jsonb_build_object('kind', 'index', 'name', v_object.name, 'definition', v_object.definition);
    END LOOP;
    -- Its default: it may read a sequence or a function that a later migration drops.
    FOR v_object IN
        SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS definition
        FROM pg_catalog.pg_attrdef d WHERE d.adrelid = v_table AND d.adnum = v_attnum
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', v_table, p_column);
        v_relaxed := v_relaxed || pg_catalog.jsonb_build_object('kind', 'default', 'name', p_column, 'definition', v_object.definition);
    END LOOP;
    IF v_not_null AND v_identity = '' THEN
        EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I DROP NOT NULL', v_table, p_column);
        v_relaxed := v_relaxed || pg_catalog.jsonb_build_object('kind', 'not_null', 'name', p_column, 'definition', 'NOT NULL');
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE %s RENAME COLUMN %I TO %I', v_table, p_column, p_tombstone);
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD COLUMN %I boolean', v_table, p_marker);
    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT true', v_table, p_marker);
    EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION %I.%I() RETURNS trigger LANGUAGE plpgsql AS %L',
        {state_name}, p_marker, pg_catalog.format('BEGIN NEW.%I := true; RETURN NEW; END', p_marker));
    EXECUTE pg_catalog.format('CREATE TRIGGER %I BEFORE UPDATE ON %s FOR EACH ROW WHEN (NEW.%I IS NULL) EXECUTE FUNCTION %I.%I()',
        p_marker, v_table, p_marker, {state_name}, p_marker);
    INSERT INTO {tombstones} (migration, change, kind, relation, schema_name, table_name, name, tombstone, marker, relaxed, expires_at)
    SELECT p_migration, p_change, 'column', v_table, n.nspname, c.relname, p_column, p_tombstone, p_marker, v_relaxed, pg_catalog.now() + p_keep
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = v_table;
END
)sql", {{"tombstones", tombstones}, {"state_name", literal(m_schema)}});

    // The table's own foreign keys go (deleting a row they point at would fail); other tables'
    // foreign keys on it stop it, as they would stop DROP TABLE.
    const Quoted table_body = render_sql(R"sql(
DECLARE
    v_table regclass := pg_catalog.to_regclass(p_table);
    v_schema name;
    v_name name;
    v_relaxed jsonb := '[]';
    v_object record;
BEGIN
    IF v_table IS NULL THEN
        RAISE NOTICE 'pgphase: table % does not exist; nothing to keep', p_table;
        RETURN;
    END IF;
    SELECT n.nspname, c.relname INTO v_schema, v_name
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = v_table;
    IF EXISTS (SELECT FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
               WHERE a.attrelid = v_table AND a.attnum > 0 AND NOT a.attisdropped
                 AND t.typnamespace <> 'pg_catalog'::pg_catalog.regnamespace) THEN
        RAISE NOTICE 'pgphase: table % has a column of a type of its own; dropped, not kept', p_table;
        EXECUTE pg_catalog.format('DROP TABLE %s', v_table);
        RETURN;
    END IF;
    FOR v_object IN
        SELECT c.conname AS name, c.conrelid::regclass AS owner
        FROM pg_catalog.pg_constraint c
        WHERE c.confrelid = v_table AND c.conrelid <> v_table AND c.contype = 'f'
    LOOP
        RAISE EXCEPTION 'pgphase: table % is referenced by foreign key % of table %', p_table, v_object.name, v_object.owner
            USING HINT = 'drop that constraint first, as DROP TABLE would need';
    END LOOP;
    FOR v_object IN
        SELECT c.conname AS name, pg_catalog.pg_get_constraintdef(c.oid) AS definition
        FROM pg_catalog.pg_constraint c
        WHERE c.conrelid = v_table AND c.contype = 'f'
        ORDER BY c.conname
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', v_table, v_object.name);
        v_relaxed := v_relaxed || pg_catalog.jsonb_build_object('kind', 'constraint', 'name', v_object.name, 'definition', v_object.definition);
    END LOOP;
    EXECUTE pg_catalog.format('CREATE SCHEMA IF NOT EXISTS %I', p_schema);
    EXECUTE pg_catalog.format('ALTER TABLE %s RENAME TO %I', v_table, p_tombstone);
    EXECUTE pg_catalog.format('ALTER TABLE %s SET SCHEMA %I', v_table, p_schema);
    INSERT INTO {tombstones} (migration, change, kind, relation, schema_name, table_name, name, tombstone, tombstone_schema, relaxed, expires_at)
    VALUES (p_migration, p_change, 'table', v_table, v_schema, v_name, v_name, p_tombstone, p_schema, v_relaxed, pg_catalog.now() + p_keep);
END
)sql", {{"tombstones", tombstones}});

    return {
        create_table,
        render_sql(R"sql(CREATE OR REPLACE FUNCTION {state}.keep_column(p_table text, p_column name, p_tombstone name, p_marker name, p_migration text, p_change integer, p_keep interval) RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS {body})sql",
                   {{"state", state}, {"body", planners::dollar_quoted(column_body)}}).str(),
        render_sql(R"sql(CREATE OR REPLACE FUNCTION {state}.keep_table(p_table text, p_tombstone name, p_schema name, p_migration text, p_change integer, p_keep interval) RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS {body})sql",
                   {{"state", state}, {"body", planners::dollar_quoted(table_body)}}).str(),
        // pgphase's own functions, not a migration's: doctor leaves commented ones alone.
        render_sql(R"sql(COMMENT ON FUNCTION {state}.keep_column(text, name, name, name, text, integer, interval) IS 'pgphase state store')sql", {{"state", state}}).str(),
        render_sql(R"sql(COMMENT ON FUNCTION {state}.keep_table(text, name, name, text, integer, interval) IS 'pgphase state store')sql", {{"state", state}}).str(),
    };
    // clang-format on
}

std::vector<TombstoneRecord> StateStore::tombstones(bool include_purged) {
    const Rows exists =
        m_session.query("SELECT pg_catalog.to_regclass($1) IS NOT NULL", {table("tombstones")});
    if (exists.text(0, 0) != "t") {
        return {};
    }
    // clang-format off
    const Rows rows = m_session.query(
        "SELECT t.id, t.migration, t.change, t.kind, coalesce(n.nspname, ''), "
        "coalesce(c.relname, ''), t.schema_name, t.table_name, t.name, t.tombstone, "
        "coalesce(t.marker, ''), t.relaxed::text, " + utc_sql("t.kept_at") + ", " +
        utc_sql("t.expires_at") + ", coalesce(" + utc_sql("t.purged_at") + ", ''), "
        "t.expires_at <= now(), "
        "CASE WHEN c.oid IS NULL OR t.purged_at IS NOT NULL THEN 0 "
        "WHEN t.kind = 'table' THEN pg_catalog.pg_total_relation_size(c.oid) "
        "ELSE (SELECT (s.avg_width * greatest(c.reltuples, 0))::bigint FROM pg_catalog.pg_stats s "
        "WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = t.tombstone) "
        "END "
        "FROM " + table("tombstones") + " t "
        "LEFT JOIN pg_catalog.pg_class c ON c.oid = t.relation "
        "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
        (include_purged ? "" : "WHERE t.purged_at IS NULL ") + "ORDER BY t.id");
    // clang-format on
    std::vector<TombstoneRecord> out;
    for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        TombstoneRecord record;
        record.id = std::stoll(rows.text(i, 0));
        record.migration = rows.text(i, 1);
        record.change = std::stoi(rows.text(i, 2));
        record.kind = rows.text(i, 3);
        record.schema = rows.text(i, 4);
        record.table = rows.text(i, 5);
        record.original_schema = rows.text(i, 6);
        record.original_table = rows.text(i, 7);
        record.name = rows.text(i, 8);
        record.tombstone = rows.text(i, 9);
        record.marker = rows.text(i, 10);
        record.relaxed = nlohmann::json::parse(rows.text(i, 11));
        record.kept_at = rows.text(i, 12);
        record.expires_at = rows.text(i, 13);
        record.purged_at = rows.text(i, 14);
        record.expired = rows.text(i, 15) == "t";
        record.bytes = rows.at(i, 16) ? std::stoll(*rows.at(i, 16)) : -1;
        out.push_back(std::move(record));
    }
    return out;
}

void StateStore::mark_purged(Transaction& tx, std::int64_t id) {
    tx.query("UPDATE " + table("tombstones") +
                 " SET purged_at = now(), purged_by = $2 WHERE id = $1 AND purged_at IS NULL",
             {std::to_string(id), m_actor});
}

} // namespace pgphase::orchestrator
