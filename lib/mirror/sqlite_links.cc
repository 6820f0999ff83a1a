// The SQLite LinkMirror: association rows replaced per record (only the rows that differ are
// written, so a sweep that finds nothing new writes nothing), owners, pipelines and options
// replaced per refresh, and the report views generated from the synced property columns.
#include "mirror/sqlite_links.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <tuple>

#include <fmt/core.h>

#include "core/json_string.h"
#include "mirror/values.h"

namespace hubsync {
namespace {

using sql::quote_identifier;

// A row's identity within one record's rows to one type, and what it says.
using RowKey = std::pair<RecordId, std::int64_t>;                     // to_id, type_id
using RowValue = std::pair<std::string, std::optional<std::string>>;  // category, label

std::string quote_literal(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        out.push_back(c);
        if (c == '\'') out.push_back('\'');
    }
    out.push_back('\'');
    return out;
}

std::optional<double> parse_double(const std::string& text) {
    if (text.empty()) return std::nullopt;
    double v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    return v;
}

const std::string* metadata_value(const PipelineStage& s, std::string_view name) {
    for (const auto& [k, v] : s.metadata)
        if (k == name) return &v;
    return nullptr;
}

// Deals say isClosed ("true"/"false"), tickets ticketState (OPEN/CLOSED).
std::optional<bool> stage_closed(const PipelineStage& s) {
    if (const auto* v = metadata_value(s, "isClosed")) {
        if (*v == "true") return true;
        if (*v == "false") return false;
    }
    if (const auto* v = metadata_value(s, "ticketState")) {
        if (*v == "CLOSED") return true;
        if (*v == "OPEN") return false;
    }
    return std::nullopt;
}

std::string metadata_json(const PipelineStage& s) {
    std::string out = "{";
    for (std::size_t i = 0; i < s.metadata.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, s.metadata[i].first);
        out += ':';
        append_json_string(out, s.metadata[i].second);
    }
    out += '}';
    return out;
}

std::string teams_json(const Owner& o) {
    std::string out = "[";
    for (std::size_t i = 0; i < o.teams.size(); ++i) {
        if (i) out += ',';
        out += "{\"id\":";
        append_json_string(out, o.teams[i].id);
        out += ",\"name\":";
        append_json_string(out, o.teams[i].name);
        out += o.teams[i].primary ? ",\"primary\":true}" : ",\"primary\":false}";
    }
    out += ']';
    return out;
}

struct OptionRow {
    std::string property, value, label;
    std::int64_t display_order = 0;
    bool hidden = false;
    auto key() const { return std::tie(property, value); }
    bool operator==(const OptionRow&) const = default;
};

class SqliteLinks final : public LinkMirror {
  public:
    SqliteLinks(sql::Database& db, bool read_only, Clock& clock)
        : db_(db), read_only_(read_only), clock_(clock) {}

    Result<LinkChanges> replace_links(const ObjectType& from, const ObjectType& to,
                                      const std::vector<RecordId>& from_ids,
                                      const std::vector<RecordLinks>& links,
                                      const std::vector<StateUpdate>& state) override;
    Result<std::vector<AssociationRow>> links_of(const ObjectType& from, RecordId id,
                                                 const ObjectType& to) override;
    Result<std::int64_t> count_links() override {
        return db_.query_int("SELECT count(*) FROM associations");
    }
    Result<std::int64_t> prune_links(const ObjectType& type, bool gone) override;
    Status replace_association_labels(const ObjectType& from, const ObjectType& to,
                                      const std::vector<AssociationType>& labels) override;
    Result<std::vector<RecordId>> active_ids(const ObjectType& type, RecordId after,
                                             int limit) override;
    Result<std::vector<RecordId>> filter_active(const ObjectType& type,
                                                const std::vector<RecordId>& ids) override;
    Status replace_owners(const std::vector<Owner>& owners) override;
    Status replace_pipelines(const ObjectType& type,
                             const std::vector<Pipeline>& pipelines) override;
    Result<bool> replace_options(const ObjectType& type,
                                 const std::vector<PropertyDef>& defs) override;
    Status refresh_views() override;

  private:
    Status writable() const {
        if (!read_only_) return Status::Ok();
        return make_error(
            ErrorKind::kInternal,
            fmt::format("database {} was opened read-only and cannot be written", db_.path()),
            "open it without read_only to write");
    }
    template <typename Body>
    Status transaction(std::string_view doing, Body&& body);
    Status prepare(sql::Statement& stmt, std::string_view text) {
        if (stmt) return Status::Ok();
        HS_ASSIGN_OR_RETURN(stmt, db_.prepare(text, true));
        return Status::Ok();
    }
    Result<std::map<RowKey, RowValue>> stored_rows(const std::string& from, RecordId id,
                                                   const std::string& to);
    Status apply_state(const std::vector<StateUpdate>& state);
    Result<bool> object_exists(std::string_view name);
    // The quoted typed column of `property` of `type` prefixed by `alias`, or NULL when the
    // property is not synced.
    Result<std::string> column(std::string_view type, std::string_view property,
                               std::string_view alias);
    Status replace_view(std::string_view name, const std::string& select);
    Result<std::string> deals_report();
    Result<std::string> contacts_report();
    // The columns and join of a report row's Primary company (`alias` the row's table, of
    // `type`): company_id and company_name, NULL when companies are not mirrored.
    struct CompanyJoin {
        std::string columns;
        std::string join;
    };
    Result<CompanyJoin> primary_company(std::string_view type, std::string_view alias);
    Result<std::string> companies_report();
    Result<std::string> tickets_report();

    sql::Database& db_;
    const bool read_only_;
    Clock& clock_;
    sql::Statement select_rows_, delete_row_, insert_row_, state_set_, state_delete_;
    sql::Statement active_after_, is_active_, column_of_;
};

template <typename Body>
Status SqliteLinks::transaction(std::string_view doing, Body&& body) {
    HS_RETURN_IF_ERROR(writable());
    HS_RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE", fmt::format("starting to write {}", doing)));
    Status status = body();
    if (status.ok()) status = db_.exec("COMMIT", fmt::format("committing {}", doing));
    if (!status.ok() && !sqlite3_get_autocommit(db_.handle()))
        (void)db_.exec("ROLLBACK", fmt::format("rolling back {}", doing));
    return status;
}

Result<std::map<RowKey, RowValue>> SqliteLinks::stored_rows(const std::string& from, RecordId id,
                                                            const std::string& to) {
    HS_RETURN_IF_ERROR(prepare(select_rows_,
                               "SELECT to_id, type_id, category, label FROM associations "
                               "WHERE from_type = ?1 AND from_id = ?2 AND to_type = ?3"));
    std::map<RowKey, RowValue> out;
    select_rows_.bind(1, std::string_view(from));
    select_rows_.bind(2, std::int64_t{id});
    select_rows_.bind(3, std::string_view(to));
    int rc = 0;
    while ((rc = select_rows_.step()) == SQLITE_ROW) {
        RowValue value{select_rows_.column_text(2), std::nullopt};
        if (!select_rows_.column_is_null(3)) value.second = select_rows_.column_text(3);
        out.emplace(RowKey{select_rows_.column_int64(0), select_rows_.column_int64(1)},
                    std::move(value));
    }
    select_rows_.reset();
    if (rc != SQLITE_DONE) return db_.error(rc, "reading association rows");
    return out;
}

Status SqliteLinks::apply_state(const std::vector<StateUpdate>& state) {
    HS_RETURN_IF_ERROR(prepare(state_set_,
                               "INSERT INTO sync_state (key, value, updated_at) VALUES (?1, ?2, "
                               "?3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                               "updated_at = excluded.updated_at"));
    HS_RETURN_IF_ERROR(prepare(state_delete_, "DELETE FROM sync_state WHERE key = ?1"));
    const std::string now = format_iso8601(clock_.now());
    for (const StateUpdate& u : state) {
        if (u.value) {
            state_set_.bind(1, std::string_view(u.key));
            state_set_.bind(2, std::string_view(*u.value));
            state_set_.bind(3, std::string_view(now));
            HS_RETURN_IF_ERROR(db_.run(state_set_, "saving the sync state"));
        } else {
            state_delete_.bind(1, std::string_view(u.key));
            HS_RETURN_IF_ERROR(db_.run(state_delete_, "saving the sync state"));
        }
    }
    return Status::Ok();
}

Result<LinkChanges> SqliteLinks::replace_links(const ObjectType& from, const ObjectType& to,
                                               const std::vector<RecordId>& from_ids,
                                               const std::vector<RecordLinks>& links,
                                               const std::vector<StateUpdate>& state) {
    // What HubSpot says, per record (a record may come in several pieces of per-record paging).
    std::map<RecordId, std::map<RowKey, RowValue>> wanted;
    for (RecordId id : from_ids)
        wanted[id];
    for (const RecordLinks& record : links) {
        auto& rows = wanted[record.from_id];
        for (const AssociationLink& link : record.links) {
            if (link.types.empty()) {
                rows[{link.to_id, 0}] = {"", std::nullopt};
                continue;
            }
            for (const AssociationType& t : link.types)
                rows[{link.to_id, t.type_id}] = {t.category, t.label};
        }
    }
    HS_RETURN_IF_ERROR(prepare(delete_row_,
                               "DELETE FROM associations WHERE from_type = ?1 AND from_id = ?2 "
                               "AND to_type = ?3 AND to_id = ?4 AND type_id = ?5"));
    HS_RETURN_IF_ERROR(prepare(insert_row_,
                               "INSERT OR REPLACE INTO associations (from_type, from_id, to_type, "
                               "to_id, type_id, category, label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                               "?7)"));
    LinkChanges changes;
    std::set<RecordId> changed_to;
    HS_RETURN_IF_ERROR(transaction("associations", [&]() -> Status {
        for (const auto& [id, rows] : wanted) {
            HS_ASSIGN_OR_RETURN(const auto stored, stored_rows(from.name, id, to.name));
            for (const auto& [key, value] : stored) {
                const auto now = rows.find(key);
                if (now != rows.end() && now->second == value) continue;
                delete_row_.bind(1, std::string_view(from.name));
                delete_row_.bind(2, std::int64_t{id});
                delete_row_.bind(3, std::string_view(to.name));
                delete_row_.bind(4, std::int64_t{key.first});
                delete_row_.bind(5, std::int64_t{key.second});
                HS_RETURN_IF_ERROR(db_.run(delete_row_, "removing an association"));
                changes.removed += 1;
                changed_to.insert(key.first);
            }
            for (const auto& [key, value] : rows) {
                const auto before = stored.find(key);
                if (before != stored.end() && before->second == value) continue;
                insert_row_.bind(1, std::string_view(from.name));
                insert_row_.bind(2, std::int64_t{id});
                insert_row_.bind(3, std::string_view(to.name));
                insert_row_.bind(4, std::int64_t{key.first});
                insert_row_.bind(5, std::int64_t{key.second});
                insert_row_.bind(6, std::string_view(value.first));
                if (value.second)
                    insert_row_.bind(7, std::string_view(*value.second));
                else
                    insert_row_.bind_null(7);
                HS_RETURN_IF_ERROR(db_.run(insert_row_, "writing an association"));
                changes.inserted += 1;
                changed_to.insert(key.first);
            }
        }
        return apply_state(state);
    }));
    changes.changed_to_ids.assign(changed_to.begin(), changed_to.end());
    return changes;
}

Result<std::vector<AssociationRow>> SqliteLinks::links_of(const ObjectType& from, RecordId id,
                                                          const ObjectType& to) {
    HS_ASSIGN_OR_RETURN(const auto rows, stored_rows(from.name, id, to.name));
    std::vector<AssociationRow> out;
    for (const auto& [key, value] : rows)
        out.push_back({from.name, id, to.name, key.first, {key.second, value.first, value.second}});
    return out;
}

Result<bool> SqliteLinks::object_exists(std::string_view name) {
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        db_.prepare("SELECT count(*) FROM sqlite_schema WHERE name = ?1"));
    st.bind(1, name);
    const int rc = st.step();
    if (rc != SQLITE_ROW) return db_.error(rc, "looking up the schema");
    return st.column_int64(0) > 0;
}

Result<std::int64_t> SqliteLinks::prune_links(const ObjectType& type, bool gone) {
    HS_RETURN_IF_ERROR(writable());
    HS_ASSIGN_OR_RETURN(const bool exists, object_exists(type.table));
    if (!exists) return std::int64_t{0};
    const std::string t = quote_identifier(type.table);
    const std::string name = quote_literal(type.name);
    // The partial indexes on archived and merged_into make the inactive ids cheap to list.
    const std::string inactive = fmt::format(
        "SELECT id FROM {0} WHERE archived = 1 UNION ALL SELECT id FROM {0} WHERE merged_into "
        "IS NOT NULL",
        t);
    std::string statements = fmt::format(
        "DELETE FROM associations WHERE from_type = {0} AND from_id IN ({1});"
        "DELETE FROM associations WHERE to_type = {0} AND to_id IN ({1});",
        name, inactive);
    if (gone) {
        statements += fmt::format(
            "DELETE FROM associations WHERE from_type = {0} AND from_id NOT IN (SELECT id FROM "
            "{1});"
            "DELETE FROM associations WHERE to_type = {0} AND to_id NOT IN (SELECT id FROM {1});",
            name, t);
    }
    std::int64_t removed = 0;
    HS_RETURN_IF_ERROR(transaction("the association rows of inactive records", [&]() -> Status {
        HS_ASSIGN_OR_RETURN(const std::int64_t before, db_.query_int("SELECT total_changes()"));
        HS_RETURN_IF_ERROR(db_.exec(statements, "removing associations of inactive records"));
        HS_ASSIGN_OR_RETURN(const std::int64_t after, db_.query_int("SELECT total_changes()"));
        removed = after - before;
        return Status::Ok();
    }));
    return removed;
}

Status SqliteLinks::replace_association_labels(const ObjectType& from, const ObjectType& to,
                                               const std::vector<AssociationType>& labels) {
    return transaction("association labels", [&]() -> Status {
        HS_ASSIGN_OR_RETURN(sql::Statement del,
                            db_.prepare("DELETE FROM association_labels WHERE from_type = ?1 AND "
                                        "to_type = ?2"));
        del.bind(1, std::string_view(from.name));
        del.bind(2, std::string_view(to.name));
        HS_RETURN_IF_ERROR(db_.run(del, "replacing association labels"));
        HS_ASSIGN_OR_RETURN(sql::Statement ins,
                            db_.prepare("INSERT OR REPLACE INTO association_labels (from_type, "
                                        "to_type, type_id, category, label) VALUES (?1, ?2, ?3, "
                                        "?4, ?5)"));
        for (const AssociationType& t : labels) {
            ins.bind(1, std::string_view(from.name));
            ins.bind(2, std::string_view(to.name));
            ins.bind(3, std::int64_t{t.type_id});
            ins.bind(4, std::string_view(t.category));
            if (t.label)
                ins.bind(5, std::string_view(*t.label));
            else
                ins.bind_null(5);
            HS_RETURN_IF_ERROR(db_.run(ins, "writing an association label"));
        }
        return Status::Ok();
    });
}

Result<std::vector<RecordId>> SqliteLinks::active_ids(const ObjectType& type, RecordId after,
                                                      int limit) {
    std::vector<RecordId> out;
    HS_ASSIGN_OR_RETURN(const bool exists, object_exists(type.table));
    if (!exists) return out;
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        db_.prepare(fmt::format("SELECT id FROM {} WHERE id > ?1 AND archived = 0 "
                                                "AND merged_into IS NULL ORDER BY id LIMIT ?2",
                                                quote_identifier(type.table))));
    st.bind(1, std::int64_t{after});
    st.bind(2, std::int64_t{limit});
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW)
        out.push_back(st.column_int64(0));
    if (rc != SQLITE_DONE) return db_.error(rc, "listing active records");
    return out;
}

Result<std::vector<RecordId>> SqliteLinks::filter_active(const ObjectType& type,
                                                         const std::vector<RecordId>& ids) {
    std::vector<RecordId> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::vector<RecordId> out;
    HS_ASSIGN_OR_RETURN(const bool exists, object_exists(type.table));
    if (!exists || sorted.empty()) return out;
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        db_.prepare(fmt::format("SELECT archived = 0 AND merged_into IS NULL "
                                                "FROM {} WHERE id = ?1",
                                                quote_identifier(type.table))));
    for (RecordId id : sorted) {
        st.bind(1, std::int64_t{id});
        const int rc = st.step();
        if (rc == SQLITE_ROW && st.column_int64(0) == 1) out.push_back(id);
        st.reset();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.error(rc, "reading a record");
    }
    return out;
}

Status SqliteLinks::replace_owners(const std::vector<Owner>& owners) {
    return transaction("owners", [&]() -> Status {
        HS_RETURN_IF_ERROR(db_.exec("DELETE FROM owners", "replacing the owners"));
        HS_ASSIGN_OR_RETURN(
            sql::Statement ins,
            db_.prepare("INSERT OR REPLACE INTO owners (id, user_id, email, first_name, "
                        "last_name, type, teams, archived, created_at, updated_at) VALUES (?1, "
                        "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
        for (const Owner& o : owners) {
            const std::string teams = teams_json(o);
            ins.bind(1, std::int64_t{o.id});
            if (o.user_id)
                ins.bind(2, std::int64_t{*o.user_id});
            else
                ins.bind_null(2);
            ins.bind_or_null(3, o.email);
            ins.bind_or_null(4, o.first_name);
            ins.bind_or_null(5, o.last_name);
            ins.bind_or_null(6, o.type);
            ins.bind(7, std::string_view(teams));
            ins.bind(8, std::int64_t{o.archived ? 1 : 0});
            ins.bind_or_null(9, o.created_at);
            ins.bind_or_null(10, o.updated_at);
            HS_RETURN_IF_ERROR(db_.run(ins, "writing an owner"));
        }
        return Status::Ok();
    });
}

Status SqliteLinks::replace_pipelines(const ObjectType& type,
                                      const std::vector<Pipeline>& pipelines) {
    return transaction("pipelines", [&]() -> Status {
        HS_ASSIGN_OR_RETURN(sql::Statement del_p,
                            db_.prepare("DELETE FROM pipelines WHERE object_type = ?1"));
        HS_ASSIGN_OR_RETURN(sql::Statement del_s,
                            db_.prepare("DELETE FROM pipeline_stages WHERE object_type = ?1"));
        for (sql::Statement* del : {&del_p, &del_s}) {
            del->bind(1, std::string_view(type.name));
            HS_RETURN_IF_ERROR(db_.run(*del, "replacing pipelines"));
        }
        HS_ASSIGN_OR_RETURN(sql::Statement ins_p,
                            db_.prepare("INSERT OR REPLACE INTO pipelines (object_type, id, "
                                        "label, display_order, archived) VALUES (?1, ?2, ?3, "
                                        "?4, ?5)"));
        HS_ASSIGN_OR_RETURN(
            sql::Statement ins_s,
            db_.prepare("INSERT OR REPLACE INTO pipeline_stages (object_type, pipeline_id, id, "
                        "label, display_order, probability, is_closed, archived, metadata) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
        for (const Pipeline& p : pipelines) {
            ins_p.bind(1, std::string_view(type.name));
            ins_p.bind(2, std::string_view(p.id));
            ins_p.bind(3, std::string_view(p.label));
            ins_p.bind(4, std::int64_t{p.display_order});
            ins_p.bind(5, std::int64_t{p.archived ? 1 : 0});
            HS_RETURN_IF_ERROR(db_.run(ins_p, "writing a pipeline"));
            for (const PipelineStage& s : p.stages) {
                const std::string metadata = metadata_json(s);
                const std::string* probability = metadata_value(s, "probability");
                const auto number = probability ? parse_double(*probability) : std::nullopt;
                const auto closed = stage_closed(s);
                ins_s.bind(1, std::string_view(type.name));
                ins_s.bind(2, std::string_view(p.id));
                ins_s.bind(3, std::string_view(s.id));
                ins_s.bind(4, std::string_view(s.label));
                ins_s.bind(5, std::int64_t{s.display_order});
                if (number)
                    ins_s.bind(6, *number);
                else
                    ins_s.bind_null(6);
                if (closed)
                    ins_s.bind(7, std::int64_t{*closed ? 1 : 0});
                else
                    ins_s.bind_null(7);
                ins_s.bind(8, std::int64_t{s.archived ? 1 : 0});
                ins_s.bind(9, std::string_view(metadata));
                HS_RETURN_IF_ERROR(db_.run(ins_s, "writing a pipeline stage"));
            }
        }
        return Status::Ok();
    });
}

Result<bool> SqliteLinks::replace_options(const ObjectType& type,
                                          const std::vector<PropertyDef>& defs) {
    std::vector<OptionRow> wanted;
    for (const PropertyDef& d : defs)
        for (const PropertyOption& o : d.options)
            wanted.push_back({d.name, o.value, o.label, o.display_order, o.hidden});
    std::sort(wanted.begin(), wanted.end(),
              [](const OptionRow& a, const OptionRow& b) { return a.key() < b.key(); });
    wanted.erase(
        std::unique(wanted.begin(), wanted.end(),
                    [](const OptionRow& a, const OptionRow& b) { return a.key() == b.key(); }),
        wanted.end());
    HS_ASSIGN_OR_RETURN(sql::Statement sel,
                        db_.prepare("SELECT property, value, label, display_order, hidden FROM "
                                    "property_options WHERE object_type = ?1 ORDER BY property, "
                                    "value"));
    sel.bind(1, std::string_view(type.name));
    std::vector<OptionRow> stored;
    int rc = 0;
    while ((rc = sel.step()) == SQLITE_ROW)
        stored.push_back({sel.column_text(0), sel.column_text(1), sel.column_text(2),
                          sel.column_int64(3), sel.column_int64(4) != 0});
    if (rc != SQLITE_DONE) return db_.error(rc, "reading property options");
    // SQLite's text order (memcmp) is std::string's, so equal sets compare equal in order.
    if (stored == wanted) return false;
    HS_RETURN_IF_ERROR(transaction("property options", [&]() -> Status {
        HS_ASSIGN_OR_RETURN(sql::Statement del,
                            db_.prepare("DELETE FROM property_options WHERE object_type = ?1"));
        del.bind(1, std::string_view(type.name));
        HS_RETURN_IF_ERROR(db_.run(del, "replacing property options"));
        HS_ASSIGN_OR_RETURN(sql::Statement ins,
                            db_.prepare("INSERT INTO property_options (object_type, property, "
                                        "value, label, display_order, hidden) VALUES (?1, ?2, ?3, "
                                        "?4, ?5, ?6)"));
        for (const OptionRow& o : wanted) {
            ins.bind(1, std::string_view(type.name));
            ins.bind(2, std::string_view(o.property));
            ins.bind(3, std::string_view(o.value));
            ins.bind(4, std::string_view(o.label));
            ins.bind(5, o.display_order);
            ins.bind(6, std::int64_t{o.hidden ? 1 : 0});
            HS_RETURN_IF_ERROR(db_.run(ins, "writing a property option"));
        }
        return Status::Ok();
    }));
    return true;
}

// --- Views ------------------------------------------------------------------------------------

Result<std::string> SqliteLinks::column(std::string_view type, std::string_view property,
                                        std::string_view alias) {
    HS_RETURN_IF_ERROR(prepare(column_of_,
                               "SELECT column_name FROM object_properties WHERE object_type = ?1 "
                               "AND name = ?2"));
    column_of_.bind(1, type);
    column_of_.bind(2, property);
    const int rc = column_of_.step();
    std::string name;
    if (rc == SQLITE_ROW) name = column_of_.column_text(0);
    column_of_.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.error(rc, "reading property columns");
    if (name.empty()) return std::string("NULL");
    return std::string(alias) + "." + quote_identifier(name);
}

// The id of the record of `to_type` a `from_type` record `id_expr` is linked to, the one
// labelled Primary first, else the lowest id.
std::string primary_link(std::string_view from_type, std::string_view id_expr,
                         std::string_view to_type) {
    return fmt::format(
        "(SELECT a.to_id FROM associations a WHERE a.from_type = '{0}' AND a.from_id = {1} AND "
        "a.to_type = '{2}' ORDER BY coalesce(a.label = 'Primary', 0) DESC, a.to_id LIMIT 1)",
        from_type, id_expr, to_type);
}

std::string owner_name(std::string_view alias) {
    return fmt::format(
        "nullif(trim(coalesce({0}.first_name, '') || ' ' || coalesce({0}.last_name, '')), '')",
        alias);
}

std::string option_label(std::string_view type, std::string_view property,
                         const std::string& value) {
    return fmt::format(
        "(SELECT po.label FROM property_options po WHERE po.object_type = '{}' AND po.property = "
        "'{}' AND po.value = {})",
        type, property, value);
}

Result<SqliteLinks::CompanyJoin> SqliteLinks::primary_company(std::string_view type,
                                                              std::string_view alias) {
    HS_ASSIGN_OR_RETURN(const bool companies, object_exists("active_companies"));
    if (!companies) return CompanyJoin{"NULL AS company_id, NULL AS company_name", ""};
    HS_ASSIGN_OR_RETURN(const auto company_name, column("companies", "name", "c"));
    return CompanyJoin{"c.id AS company_id, " + company_name + " AS company_name",
                       "\nLEFT JOIN active_companies c ON c.id = " +
                           primary_link(type, fmt::format("{}.id", alias), "companies")};
}

Result<std::string> SqliteLinks::deals_report() {
    HS_ASSIGN_OR_RETURN(const auto name, column("deals", "dealname", "d"));
    HS_ASSIGN_OR_RETURN(const auto amount, column("deals", "amount", "d"));
    HS_ASSIGN_OR_RETURN(const auto close, column("deals", "closedate", "d"));
    HS_ASSIGN_OR_RETURN(const auto pipeline, column("deals", "pipeline", "d"));
    HS_ASSIGN_OR_RETURN(const auto stage, column("deals", "dealstage", "d"));
    HS_ASSIGN_OR_RETURN(const auto owner, column("deals", "hubspot_owner_id", "d"));
    HS_ASSIGN_OR_RETURN(const auto company, primary_company("deals", "d"));
    return fmt::format(
        "SELECT d.id AS deal_id, {0} AS deal_name, {1} AS amount, {2} AS close_date,\n"
        "  {3} AS pipeline_id, p.label AS pipeline, {4} AS stage_id, s.label AS stage,\n"
        "  s.probability AS probability, s.is_closed AS is_closed,\n"
        "  {5} AS owner_id, {6} AS owner_name, o.email AS owner_email,\n"
        "  {7}, d.created_at AS created_at, d.updated_at AS updated_at\n"
        "FROM active_deals d\n"
        "LEFT JOIN pipelines p ON p.object_type = 'deals' AND p.id = {3}\n"
        "LEFT JOIN pipeline_stages s ON s.object_type = 'deals' AND s.pipeline_id = {3} AND "
        "s.id = {4}\n"
        "LEFT JOIN owners o ON o.id = {5}{8}",
        name, amount, close, pipeline, stage, owner, owner_name("o"), company.columns,
        company.join);
}

Result<std::string> SqliteLinks::contacts_report() {
    HS_ASSIGN_OR_RETURN(const auto email, column("contacts", "email", "t"));
    HS_ASSIGN_OR_RETURN(const auto first, column("contacts", "firstname", "t"));
    HS_ASSIGN_OR_RETURN(const auto last, column("contacts", "lastname", "t"));
    HS_ASSIGN_OR_RETURN(const auto stage, column("contacts", "lifecyclestage", "t"));
    HS_ASSIGN_OR_RETURN(const auto owner, column("contacts", "hubspot_owner_id", "t"));
    HS_ASSIGN_OR_RETURN(const auto company, primary_company("contacts", "t"));
    return fmt::format(
        "SELECT t.id AS contact_id, {0} AS email, {1} AS first_name, {2} AS last_name,\n"
        "  {3} AS lifecycle_stage, {4} AS lifecycle_stage_label,\n"
        "  {5} AS owner_id, {6} AS owner_name, {7},\n"
        "  t.created_at AS created_at, t.updated_at AS updated_at\n"
        "FROM active_contacts t\n"
        "LEFT JOIN owners o ON o.id = {5}{8}",
        email, first, last, stage, option_label("contacts", "lifecyclestage", stage), owner,
        owner_name("o"), company.columns, company.join);
}

Result<std::string> SqliteLinks::companies_report() {
    HS_ASSIGN_OR_RETURN(const bool contacts, object_exists("active_contacts"));
    HS_ASSIGN_OR_RETURN(const bool deals, object_exists("active_deals"));
    HS_ASSIGN_OR_RETURN(const auto name, column("companies", "name", "c"));
    HS_ASSIGN_OR_RETURN(const auto domain, column("companies", "domain", "c"));
    HS_ASSIGN_OR_RETURN(const auto industry, column("companies", "industry", "c"));
    HS_ASSIGN_OR_RETURN(const auto owner, column("companies", "hubspot_owner_id", "c"));
    HS_ASSIGN_OR_RETURN(const auto stage, column("deals", "dealstage", "d"));
    HS_ASSIGN_OR_RETURN(const auto pipeline, column("deals", "pipeline", "d"));
    HS_ASSIGN_OR_RETURN(const auto amount, column("deals", "amount", "d"));
    const std::string count_contacts =
        contacts ? "(SELECT count(DISTINCT a.to_id) FROM associations a JOIN active_contacts x "
                   "ON x.id = a.to_id WHERE a.from_type = 'companies' AND a.from_id = c.id AND "
                   "a.to_type = 'contacts')"
                 : "NULL";
    // Open deals: linked, in a stage that is not closed.
    const std::string open_deals = fmt::format(
        "FROM associations a JOIN active_deals d ON d.id = a.to_id "
        "LEFT JOIN pipeline_stages s ON s.object_type = 'deals' AND s.pipeline_id = {} AND "
        "s.id = {} WHERE a.from_type = 'companies' AND a.from_id = c.id AND a.to_type = 'deals' "
        "AND coalesce(s.is_closed, 0) = 0",
        pipeline, stage);
    const std::string count_deals =
        deals ? "(SELECT count(DISTINCT d.id) " + open_deals + ")" : "NULL";
    const std::string sum_deals = deals ? "(SELECT total(x.amount) FROM (SELECT DISTINCT d.id, " +
                                              amount + " AS amount " + open_deals + ") x)"
                                        : "NULL";
    return fmt::format(
        "SELECT c.id AS company_id, {0} AS name, {1} AS domain, {2} AS industry,\n"
        "  {3} AS industry_label, {4} AS owner_id, {5} AS owner_name,\n"
        "  {6} AS contacts, {7} AS open_deals, {8} AS open_deal_amount,\n"
        "  c.created_at AS created_at, c.updated_at AS updated_at\n"
        "FROM active_companies c\n"
        "LEFT JOIN owners o ON o.id = {4}",
        name, domain, industry, option_label("companies", "industry", industry), owner,
        owner_name("o"), count_contacts, count_deals, sum_deals);
}

Result<std::string> SqliteLinks::tickets_report() {
    HS_ASSIGN_OR_RETURN(const bool contacts, object_exists("active_contacts"));
    HS_ASSIGN_OR_RETURN(const auto subject, column("tickets", "subject", "k"));
    HS_ASSIGN_OR_RETURN(const auto pipeline, column("tickets", "hs_pipeline", "k"));
    HS_ASSIGN_OR_RETURN(const auto stage, column("tickets", "hs_pipeline_stage", "k"));
    HS_ASSIGN_OR_RETURN(const auto priority, column("tickets", "hs_ticket_priority", "k"));
    HS_ASSIGN_OR_RETURN(const auto owner, column("tickets", "hubspot_owner_id", "k"));
    HS_ASSIGN_OR_RETURN(const auto company, primary_company("tickets", "k"));
    HS_ASSIGN_OR_RETURN(const auto email, column("contacts", "email", "t"));
    std::string joins = company.join;
    std::string contact_cols = "NULL AS contact_id, NULL AS contact_email";
    if (contacts) {
        contact_cols = "t.id AS contact_id, " + email + " AS contact_email";
        joins += "\nLEFT JOIN active_contacts t ON t.id = " +
                 primary_link("tickets", "k.id", "contacts");
    }
    return fmt::format(
        "SELECT k.id AS ticket_id, {0} AS subject, {1} AS pipeline_id, p.label AS pipeline,\n"
        "  {2} AS stage_id, s.label AS stage, s.is_closed AS is_closed,\n"
        "  {3} AS priority, {4} AS priority_label, {5} AS owner_id, {6} AS owner_name,\n"
        "  {7}, {8}, k.created_at AS created_at, k.updated_at AS updated_at\n"
        "FROM active_tickets k\n"
        "LEFT JOIN pipelines p ON p.object_type = 'tickets' AND p.id = {1}\n"
        "LEFT JOIN pipeline_stages s ON s.object_type = 'tickets' AND s.pipeline_id = {1} AND "
        "s.id = {2}\n"
        "LEFT JOIN owners o ON o.id = {5}{9}",
        subject, pipeline, stage, priority, option_label("tickets", "hs_ticket_priority", priority),
        owner, owner_name("o"), company.columns, contact_cols, joins);
}

Status SqliteLinks::replace_view(std::string_view name, const std::string& select) {
    const std::string create = fmt::format("CREATE VIEW {} AS\n{}", quote_identifier(name), select);
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        db_.prepare("SELECT sql FROM sqlite_schema WHERE type = 'view' AND "
                                    "name = ?1"));
    st.bind(1, name);
    const int rc = st.step();
    if (rc == SQLITE_ROW && st.column_text(0) == create) return Status::Ok();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.error(rc, "reading the report views");
    st = sql::Statement();
    return transaction(fmt::format("the view {}", name), [&]() -> Status {
        HS_RETURN_IF_ERROR(db_.exec(fmt::format("DROP VIEW IF EXISTS {}", quote_identifier(name)),
                                    "replacing a report view"));
        return db_.exec(create, "creating a report view");
    });
}

Status SqliteLinks::refresh_views() {
    HS_RETURN_IF_ERROR(writable());
    struct ViewDef {
        const char* name;
        const char* table;  // the view needs this type's active view
        Result<std::string> (SqliteLinks::*build)();
    };
    const ViewDef views[] = {
        {kDealsReportView, "active_deals", &SqliteLinks::deals_report},
        {kContactsReportView, "active_contacts", &SqliteLinks::contacts_report},
        {kCompaniesReportView, "active_companies", &SqliteLinks::companies_report},
        {kTicketsReportView, "active_tickets", &SqliteLinks::tickets_report},
    };
    for (const ViewDef& v : views) {
        HS_ASSIGN_OR_RETURN(const bool present, object_exists(v.table));
        if (!present) continue;
        HS_ASSIGN_OR_RETURN(const std::string select, (this->*v.build)());
        HS_RETURN_IF_ERROR(replace_view(v.name, select));
    }
    return Status::Ok();
}

}  // namespace

std::unique_ptr<LinkMirror> make_sqlite_links(sql::Database& db, bool read_only, Clock& clock) {
    return std::make_unique<SqliteLinks>(db, read_only, clock);
}

}  // namespace hubsync
