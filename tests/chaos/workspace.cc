#include <sqlite3.h>

#include <sstream>

#include "chaos.h"

namespace hubsync::chaos {

void Outcome::record(const testing::TruthCheck& check) {
    lost_rows = check.lost();
    duplicated_rows = check.extra;
    if (!check.integrity_ok) fail("PRAGMA integrity_check failed");
    if (check.lost() != 0 || check.extra != 0) {
        std::string why = "mirror differs from HubSpot: " + std::to_string(check.missing) +
                          " missing, " + std::to_string(check.differing) + " stale, " +
                          std::to_string(check.extra) + " extra";
        for (std::size_t i = 0; i < check.lines.size() && i < 3; ++i)
            why += "; " + check.lines[i];
        fail(why);
    }
}

std::optional<std::string> read_only_text(const std::string& database, const std::string& sql,
                                          const std::optional<std::string>& parameter) {
    sqlite3* db = nullptr;
    std::optional<std::string> out;
    if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
            if (parameter) sqlite3_bind_text(stmt, 1, parameter->c_str(), -1, SQLITE_TRANSIENT);
            if (sqlite3_step(stmt) == SQLITE_ROW)
                if (const auto* text = sqlite3_column_text(stmt, 0))
                    out = reinterpret_cast<const char*>(text);
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return out;
}

bool quick_check(const std::string& database) {
    return read_only_text(database, "PRAGMA quick_check") == "ok";
}

void progress(const Options& options, const std::string& line) {
    if (!options.verbose) return;
    std::fprintf(stderr, "chaos: %s\n", line.c_str());
    std::fflush(stderr);
}

Workspace::Workspace(const Options& options, const std::string& name,
                     const sim::SimOptions& sim_options, std::filesystem::path database_dir)
    : options_(options), dir_(options.work / name) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "state");
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
    std::filesystem::permissions(dir_ / "state", std::filesystem::perms::owner_all);
    database_dir_ = database_dir.empty() ? dir_ : database_dir;
    sim_ = std::make_unique<sim::Simulator>(sim_options);
    const auto started = sim_->start();
    if (!started.ok()) throw std::runtime_error("simulator: " + started.error().describe());
    e2e::write_file((dir_ / "token").string(), sim_->issue_tokens().access_token + "\n",
                    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    config_path_ = (dir_ / "hubsync.conf").string();
    write_config("");
}

Workspace::~Workspace() {
    sim_->stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void Workspace::write_config(const std::string& sync_extra, const std::string& hubspot_extra,
                             bool private_app, const std::string& level) {
    std::ostringstream conf;
    conf << "[hubspot]\n";
    if (private_app) conf << "private_app_token_file = " << (dir_ / "token").string() << "\n";
    conf << "api_base_url = " << sim_->base_url() << "\n"
         << hubspot_extra << "[sync]\ndatabase = " << database() << "\nstate_dir = " << state_dir()
         << "\n"
         << sync_extra << "[log]\nlevel = " << level << "\n";
    const std::string temp = config_path_ + ".new";
    e2e::write_file(temp, conf.str(),
                    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::filesystem::rename(temp, config_path_);
}

std::unique_ptr<e2e::ChildProcess> Workspace::spawn(const std::vector<std::string>& command) const {
    std::vector<std::string> args = {"--config", config_path_};
    args.insert(args.end(), command.begin(), command.end());
    return std::make_unique<e2e::ChildProcess>(options_.hubsync, args);
}

int Workspace::run(const std::vector<std::string>& command, Millis timeout, std::string* err) {
    auto child = spawn(command);
    const auto code = child->finish(timeout);
    if (err != nullptr) *err = child->err();
    return code.value_or(-1);
}

void Workspace::mutate(std::mt19937_64& rng, int scale, bool gdpr_deletes) {
    auto live = sim_->contact_ids(false);
    if (live.size() < 10) return;
    const auto pick = [&] {
        return live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(rng)];
    };
    for (int i = 0; i < 30 * scale; ++i)
        sim_->update_contact(pick(), {{"firstname", "Chaos" + std::to_string(rng() % 100000)}});
    for (int i = 0; i < scale; ++i) {
        sim_->create_contact({{"email", "chaos" + std::to_string(rng() % 1000000) + "@example.com"},
                              {"firstname", "New"}});
        sim_->archive(pick());
        live = sim_->contact_ids(false);
        const RecordId a = pick();
        const RecordId b = pick();
        if (a != b) sim_->merge(a, b);
        live = sim_->contact_ids(false);
        if (!gdpr_deletes) continue;
        sim_->gdpr_delete(pick());
        live = sim_->contact_ids(false);
    }
}

testing::TruthCheck Workspace::check() const {
    MirrorOptions ro;
    ro.read_only = true;
    auto mirror = SqliteMirror::open(database(), ro);
    if (!mirror.ok()) {
        testing::TruthCheck failed;
        failed.lines.push_back("cannot open the mirror: " + mirror.error().describe());
        failed.missing = static_cast<std::int64_t>(sim_->truth(true).size());
        return failed;
    }
    return testing::check_against_truth(*sim_, **mirror, 20);
}

}  // namespace hubsync::chaos
