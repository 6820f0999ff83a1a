// Benchmark driver for the sync engine: one sync cycle against a running hubspot-sim with the
// client-side limiter set by flag, or the local floor (the same pages from memory, no HTTP).
//
//   bench_sync --url URL --token-file F --db PATH [--requests-per-10s N|auto] [--full |
//   --reconcile] bench_sync --floor --contacts N --custom-properties M --db PATH
//
// Prints one line of key=value pairs: contacts, requests (searches among them), wall, cpu, peak
// RSS, the most requests in flight at once, 429s received and the latency the client measured.
// Against a simulator the client is wired as `hubsync` wires it: a transport per concurrent
// request.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "http/transport.h"
#include "mirror/sqlite_mirror.h"
#include "oauth/static_token_source.h"
#include "sim/simulator.h"
#include "sync/sync_engine.h"

namespace {

using hubsync::HttpRequest;
using hubsync::HttpResponse;
using hubsync::HttpTransport;
using hubsync::Result;

struct Args {
    std::string url, token_file, db;
    // Effectively off by default: the benchmark measures throughput. 0 (`auto`) = what
    // HubSpot's (the simulator's) headers say, as `hubsync` does by default.
    int requests_per_10s = 1'000'000;
    int searches_per_second = 5;
    bool full = false;
    bool reconcile = false;  // the scheduled reconcile sweep alone
    bool range_reads = true;
    bool floor = false;
    int contacts = 100'000;
    int custom_properties = 26;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: bench_sync --url URL --token-file F --db PATH [--requests-per-10s N|auto] "
                 "[--searches-per-second N] [--no-range-reads] [--full | --reconcile]\n"
                 "       bench_sync --floor [--contacts N] [--custom-properties M] --db PATH\n");
    std::exit(64);
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (k == "--url")
            a.url = next();
        else if (k == "--token-file")
            a.token_file = next();
        else if (k == "--db")
            a.db = next();
        else if (k == "--requests-per-10s") {
            const std::string v = next();
            a.requests_per_10s = v == "auto" ? 0 : std::stoi(v);
        } else if (k == "--searches-per-second")
            a.searches_per_second = std::stoi(next());
        else if (k == "--full")
            a.full = true;
        else if (k == "--reconcile")
            a.reconcile = true;
        else if (k == "--no-range-reads")
            a.range_reads = false;
        else if (k == "--floor")
            a.floor = true;
        else if (k == "--contacts")
            a.contacts = std::stoi(next());
        else if (k == "--custom-properties")
            a.custom_properties = std::stoi(next());
        else
            usage();
    }
    if (a.db.empty() || (!a.floor && (a.url.empty() || a.token_file.empty()))) usage();
    return a;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double peak_rss_mb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

std::string key_of(const HttpRequest& r) {
    return r.method + ' ' + r.url + '\n' + r.body;
}

// Passes requests through and keeps every response, for the floor's replay.
class RecordingTransport final : public HttpTransport {
  public:
    explicit RecordingTransport(HttpTransport& inner) : inner_(inner) {}
    Result<HttpResponse> send(const HttpRequest& request) override {
        auto r = inner_.send(request);
        if (r.ok()) responses_[key_of(request)] = r.value();
        return r;
    }
    std::map<std::string, HttpResponse> responses_;

  private:
    HttpTransport& inner_;
};

// Answers from memory: the engine does everything it does in production except the network.
class ReplayTransport final : public HttpTransport {
  public:
    explicit ReplayTransport(const std::map<std::string, HttpResponse>& responses)
        : responses_(responses) {}
    Result<HttpResponse> send(const HttpRequest& request) override {
        auto it = responses_.find(key_of(request));
        if (it == responses_.end()) {
            std::fprintf(stderr, "replay: no recorded response for %s %s\n", request.method.c_str(),
                         request.url.c_str());
            HttpResponse r;
            r.status = 404;
            return r;
        }
        return it->second;
    }

  private:
    const std::map<std::string, HttpResponse>& responses_;
};

struct Run {
    std::int64_t contacts = 0, requests = 0, searches = 0, rate_limited = 0;
    int in_flight_peak = 0;
    double wall = 0, cpu = 0, latency_ms = 0;
    std::string mode;
};

// `pool`: a transport per concurrent request, as `hubsync` wires the client (the floor's
// recording and replaying transports must see every request, so it passes false).
Result<Run> run_cycle(HttpTransport& transport, const std::string& base_url,
                      const std::string& token, const Args& a, bool pool) {
    hubsync::StaticTokenSource tokens(token);
    hubsync::ApiOptions api_opts;
    api_opts.base_url = base_url;
    api_opts.requests_per_10s = a.requests_per_10s;
    api_opts.searches_per_second = a.searches_per_second;
    if (pool) api_opts.make_transport = [] { return hubsync::make_poco_transport({}); };
    auto& clock = hubsync::SystemClock::instance();
    auto api = hubsync::make_hubspot_api(transport, tokens, clock, api_opts);
    hubsync::MirrorOptions mopts;
    mopts.clock = &clock;
    HS_ASSIGN_OR_RETURN(auto mirror, hubsync::SqliteMirror::open(a.db, mopts));
    hubsync::SyncOptions sync_opts;
    sync_opts.range_reads = a.range_reads;
    hubsync::SyncEngine engine(*api, *mirror, clock, sync_opts);
    hubsync::CycleRequest req;
    req.full = a.full;
    req.force_reconcile = a.reconcile;
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    HS_ASSIGN_OR_RETURN(auto report, engine.run_cycle(req));
    Run run;
    run.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run.cpu = cpu_seconds() - cpu0;
    run.contacts = report.records_written;
    run.requests = report.requests;
    run.mode = report.mode;
    const hubsync::ApiStats stats = api->stats();
    run.searches = stats.searches;
    run.rate_limited = stats.rate_limited;
    run.in_flight_peak = stats.budget.in_flight_peak;
    run.latency_ms = stats.budget.latency_ms;
    return run;
}

void print(const char* label, const Run& r) {
    std::printf(
        "%s mode=%s contacts=%lld requests=%lld searches=%lld wall_s=%.3f cpu_s=%.2f "
        "contacts_per_s=%.0f peak_rss_mb=%.1f in_flight_peak=%d rate_limited=%lld "
        "latency_ms=%.0f\n",
        label, r.mode.c_str(), static_cast<long long>(r.contacts),
        static_cast<long long>(r.requests), static_cast<long long>(r.searches), r.wall, r.cpu,
        r.wall > 0 ? static_cast<double>(r.contacts) / r.wall : 0.0, peak_rss_mb(),
        r.in_flight_peak, static_cast<long long>(r.rate_limited), r.latency_ms);
}

int fail(const hubsync::Error& e) {
    std::fprintf(stderr, "bench_sync: %s\n", e.message.c_str());
    return 1;
}

void remove_db(const std::string& db) {
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(db + suffix);
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    auto transport = hubsync::make_poco_transport({});
    if (!a.floor) {
        std::ifstream in(a.token_file);
        std::string token;
        std::getline(in, token);
        auto r = run_cycle(*transport, a.url, token, a, true);
        if (!r.ok()) return fail(r.error());
        print("http", r.value());
        return 0;
    }
    hubsync::sim::SimOptions so;
    so.contacts = a.contacts;
    so.custom_properties = a.custom_properties;
    so.seed = 3;
    so.rate_limits = false;
    hubsync::sim::Simulator sim(so);
    if (auto s = sim.start(); !s.ok()) return fail(s.error());
    const std::string token = sim.issue_tokens().access_token;
    RecordingTransport recorder(*transport);
    remove_db(a.db);
    auto fetched = run_cycle(recorder, sim.base_url(), token, a, false);
    if (!fetched.ok()) return fail(fetched.error());
    print("fetch", fetched.value());
    sim.stop();
    ReplayTransport replay(recorder.responses_);
    remove_db(a.db);
    auto floor = run_cycle(replay, sim.base_url(), token, a, false);
    if (!floor.ok()) return fail(floor.error());
    print("floor", floor.value());
    return 0;
}
