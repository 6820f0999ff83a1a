// A fixture for end-to-end tests of the hubsync executable against an in-process simulator on
// the real clock: a temp dir with a private app token and a config, and helpers to run
// `hubsync` commands and read the mirror as a reporting tool would (read-only SQLite).
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/e2e_util.h"
#include "sim/simulator.h"

namespace hubsync::e2e {

// Reads the mirror with its own read-only connection, like the sqlite3 shell would.
class MirrorReader final {
  public:
    explicit MirrorReader(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path + " read-only");
        sqlite3_busy_timeout(db_, 5000);
    }
    ~MirrorReader() { sqlite3_close(db_); }
    MirrorReader(const MirrorReader&) = delete;
    MirrorReader& operator=(const MirrorReader&) = delete;

    std::vector<std::string> column(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("bad query: ") + sqlite3_errmsg(db_));
        std::vector<std::string> rows;
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(stmt, 0);
            rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
        }
        const std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
        sqlite3_finalize(stmt);
        if (!error.empty()) throw std::runtime_error("query failed: " + error);
        return rows;
    }
    std::int64_t count(const std::string& sql) { return std::stoll(column(sql).at(0)); }
    std::vector<std::int64_t> ids(const std::string& sql) {
        std::vector<std::int64_t> out;
        for (const auto& s : column(sql))
            out.push_back(std::stoll(s));
        return out;
    }

  private:
    sqlite3* db_ = nullptr;
};

inline Poco::JSON::Object::Ptr parse_json_object(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

struct SimSetup {
    int contacts = 1000;
    int custom_properties = 4;
    bool rate_limits = false;
    std::uint64_t seed = 7;
};

class ServiceTest : public ::testing::Test {
  protected:
    // Starts the simulator and writes the token file and a first config.
    void start(const SimSetup& setup) {
        sim::SimOptions so;
        so.contacts = setup.contacts;
        so.custom_properties = setup.custom_properties;
        so.rate_limits = setup.rate_limits;
        so.seed = setup.seed;
        so.token_ttl = std::chrono::hours(24);
        so.threads = 4;
        sim_ = std::make_unique<sim::Simulator>(so);
        ASSERT_TRUE(sim_->start().ok());
        token_ = sim_->issue_tokens().access_token;
        write_file(dir_ / "token", token_ + "\n",
                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        config_path_ = dir_ / "hubsync.conf";
        write_config();
    }

    // The config file, with `sync_extra` lines added to [sync]. Written by rename, as an
    // editor would, so a reload never sees half a file.
    void write_config(const std::string& sync_extra = "interval = 5m\n",
                      const std::string& level = "info") {
        std::ostringstream conf;
        conf << "[hubspot]\nprivate_app_token_file = " << (dir_ / "token")
             << "\napi_base_url = " << sim_->base_url() << "\n"
             << "[sync]\ndatabase = " << database() << "\nstate_dir = " << (dir_ / "state")
             << "\nrequests_per_10s = 190\n"
             << sync_extra << "[log]\nlevel = " << level << "\n";
        const std::string temp = config_path_ + ".new";
        write_file(temp, conf.str(),
                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        std::filesystem::rename(temp, config_path_);
    }

    std::string database() const { return dir_ / "hubspot.db"; }

    std::unique_ptr<ChildProcess> spawn_hubsync(const std::vector<std::string>& command,
                                                std::map<std::string, std::string> env = {}) {
        std::vector<std::string> args = {"--config", config_path_};
        args.insert(args.end(), command.begin(), command.end());
        SpawnOptions options;
        options.env = std::move(env);
        return std::make_unique<ChildProcess>(kHubsync, args, std::move(options));
    }

    struct Finished {
        int code = -1;
        std::string out, err;
    };
    // Runs a hubsync command to its end (at most `timeout`).
    Finished run_hubsync(const std::vector<std::string>& command, Duration timeout = 30s) {
        auto child = spawn_hubsync(command);
        const auto code = child->finish(timeout);
        EXPECT_TRUE(code.has_value()) << "hubsync " << command.front() << " did not finish in time";
        return {code.value_or(-1), child->out(), child->err()};
    }

    // The list requests of the backfill, in order.
    std::vector<sim::Simulator::RequestRecord> list_requests() const {
        std::vector<sim::Simulator::RequestRecord> out;
        for (auto& r : sim_->requests())
            if (r.method == "GET" && r.path == "/crm/objects/2026-09/contacts") out.push_back(r);
        return out;
    }

    std::vector<std::int64_t> truth_ids(bool include_archived) const {
        std::vector<std::int64_t> ids;
        for (const auto& c : sim_->truth(include_archived))
            ids.push_back(static_cast<std::int64_t>(c.id));
        return ids;
    }

    TempDir dir_;
    std::unique_ptr<sim::Simulator> sim_;
    std::string token_;
    std::string config_path_;
};

}  // namespace hubsync::e2e
