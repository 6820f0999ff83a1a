// bench_sim: measures how fast the simulator serves contact list pages (100 contacts x 50
// properties, rate limits off) and how much memory a million contacts take, alone and with the
// other object types in their default proportions; with --latency, how many requests it keeps
// in flight when every answer is held that long.
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "sim/simulator.h"

namespace {

long status_kib(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
    return -1;
}

long rss_kib() {
    return status_kib("VmRSS:");
}

std::string next_after(const std::string& body) {
    const auto at = body.rfind("\"after\":\"");
    if (at == std::string::npos) return {};
    const auto start = at + 9;
    return body.substr(start, body.find('"', start) - start);
}

// `clients` keep-alive clients, each sending `requests` list requests one after another, with
// every answer held `latency_ms`: wall time, throughput against the ideal, and the spread of
// single request times. Rate limits on (a burst also checks the limiter under load).
int latency_bench(int clients, int requests, int latency_ms, int max_connections,
                  bool rate_limits) {
    hubsync::sim::SimOptions o;
    o.contacts = 1000;
    o.rate_limits = rate_limits;
    o.rate_limit = 1'000'000'000;  // measure the limiter's cost, not its refusals
    o.latency = std::chrono::milliseconds(latency_ms);
    o.max_connections = max_connections;
    hubsync::sim::Simulator sim(o);
    if (!sim.start().ok()) return 1;
    const auto token = sim.issue_tokens().access_token;
    std::vector<std::vector<double>> took(static_cast<std::size_t>(clients));
    std::atomic<int> failed{0};
    std::vector<std::thread> workers;
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < clients; ++c) {
        workers.emplace_back([&, c] {
            Poco::Net::HTTPClientSession session("127.0.0.1",
                                                 static_cast<Poco::UInt16>(sim.port()));
            session.setKeepAlive(true);
            session.setTimeout(Poco::Timespan(60, 0));
            for (int i = 0; i < requests; ++i) {
                const auto t0 = std::chrono::steady_clock::now();
                Poco::Net::HTTPRequest req("GET", "/crm/v3/objects/contacts?limit=10",
                                           Poco::Net::HTTPMessage::HTTP_1_1);
                req.set("Authorization", "Bearer " + token);
                try {
                    session.sendRequest(req);
                    Poco::Net::HTTPResponse resp;
                    std::istream& in = session.receiveResponse(resp);
                    in.ignore(std::numeric_limits<std::streamsize>::max());
                    if (resp.getStatus() != 200) ++failed;
                } catch (const Poco::Exception&) {  // refused: more clients than the queue
                    ++failed;
                    session.reset();
                }
                took[static_cast<std::size_t>(c)].push_back(
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count());
            }
        });
    }
    for (auto& w : workers)
        w.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all;
    for (const auto& t : took)
        all.insert(all.end(), t.begin(), t.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all[static_cast<std::size_t>(p * (all.size() - 1))]; };
    std::printf(
        "latency %d ms, %d keep-alive clients x %d requests, max_connections %d, rate limits "
        "%s:\n  %.2f s wall, %.0f requests/s, per request p50 %.1f ms, p99 %.1f ms, max %.1f "
        "ms, failed or non-200: %d\n",
        latency_ms, clients, requests, max_connections, rate_limits ? "on" : "off", secs,
        static_cast<double>(all.size()) / secs, pct(0.5), pct(0.99), all.back(), failed.load());
    if (latency_ms > 0)
        std::printf("  all held at once would take %.2f s wall, %.0f requests/s\n",
                    requests * latency_ms / 1000.0, clients * 1000.0 / latency_ms);
    std::printf("  peak RSS of this process (server and clients): %.1f MiB\n",
                status_kib("VmHWM:") / 1024.0);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    int contacts = 200'000, memory_contacts = 1'000'000, clients = 2, seconds = 5, threads = 2;
    int latency = -1, requests = 10, max_connections = 256, rate_limits = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const int v = std::atoi(argv[i + 1]);
        if (a == "--contacts") contacts = v;
        if (a == "--memory-contacts") memory_contacts = v;
        if (a == "--clients") clients = v;
        if (a == "--seconds") seconds = v;
        if (a == "--threads") threads = v;
        if (a == "--latency") latency = v;
        if (a == "--requests") requests = v;
        if (a == "--max-connections") max_connections = v;
        if (a == "--rate-limits") rate_limits = v;
    }
    if (latency >= 0)
        return latency_bench(clients, requests, latency, max_connections, rate_limits != 0);

    // ---- memory: one million contacts held, generated lazily; then with the other types
    for (const bool others : {false, true}) {
        const long before = rss_kib();
        hubsync::sim::SimOptions o;
        o.contacts = memory_contacts;
        o.custom_properties = 26;
        if (!others) o.companies = o.deals = o.tickets = o.custom_records = 0;
        hubsync::sim::Simulator sim(o);
        const long after = rss_kib();
        std::size_t records = 0;
        for (const auto& type : sim.object_types())
            records += sim.record_ids(type, true).size();
        std::printf(
            "memory: %d contacts, %zu properties, %zu records of every type: RSS %.1f "
            "MiB (+%.1f MiB for the stores)\n",
            memory_contacts, sim.property_defs().size(), records, after / 1024.0,
            (after - before) / 1024.0);
    }

    // ---- throughput: list pages of 100 contacts x 50 properties
    hubsync::sim::SimOptions o;
    o.contacts = contacts;
    o.custom_properties = 26;  // 24 standard + 26 custom = 50 properties
    o.rate_limits = false;
    o.threads = threads;
    hubsync::sim::Simulator sim(o);
    if (!sim.start().ok()) return 1;
    const auto token = sim.issue_tokens().access_token;
    std::string props;
    for (const auto& d : sim.property_defs())
        props += (props.empty() ? "" : ",") + d.name;
    std::printf("serving: %d contacts, %zu properties per contact, %d server threads, %d clients\n",
                contacts, sim.property_defs().size(), threads, clients);

    std::atomic<long> served{0}, bytes{0}, pages{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    for (int c = 0; c < clients; ++c) {
        workers.emplace_back([&] {
            Poco::Net::HTTPClientSession session("127.0.0.1",
                                                 static_cast<Poco::UInt16>(sim.port()));
            session.setKeepAlive(true);
            std::string after, body;
            while (!stop) {
                Poco::Net::HTTPRequest req("GET",
                                           "/crm/v3/objects/contacts?limit=100&properties=" +
                                               props + (after.empty() ? "" : "&after=" + after),
                                           Poco::Net::HTTPMessage::HTTP_1_1);
                req.set("Authorization", "Bearer " + token);
                session.sendRequest(req);
                Poco::Net::HTTPResponse resp;
                std::istream& in = session.receiveResponse(resp);
                body.assign(static_cast<std::size_t>(resp.getContentLength64()), '\0');
                in.read(body.data(), static_cast<std::streamsize>(body.size()));
                if (resp.getStatus() != 200) {
                    std::fprintf(stderr, "status %d\n", resp.getStatus());
                    std::exit(1);
                }
                served += 100;
                bytes += static_cast<long>(body.size());
                ++pages;
                after = next_after(body);
            }
        });
    }
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
    for (auto& w : workers)
        w.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("throughput: %.0f contacts/s, %.0f pages/s, %.1f MB/s of JSON (%.0f bytes/page)\n",
                served / secs, pages / secs, bytes / secs / 1e6,
                static_cast<double>(bytes) / static_cast<double>(pages));
    // ---- search: the incremental-sync query over the whole set
    {
        const std::string body =
            R"({"filterGroups":[{"filters":[{"propertyName":"lastmodifieddate","operator":"GTE","value":"1736933400123"}]}],)"
            R"("sorts":[{"propertyName":"hs_object_id","direction":"ASCENDING"}],"limit":200,"properties":["email"]})";
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(sim.port()));
        const int runs = 5;
        std::string total;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < runs; ++i) {
            Poco::Net::HTTPRequest req("POST", "/crm/v3/objects/contacts/search",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
            req.set("Authorization", "Bearer " + token);
            req.setContentType("application/json");
            req.setContentLength(static_cast<std::streamsize>(body.size()));
            session.sendRequest(req) << body;
            Poco::Net::HTTPResponse resp;
            std::istream& in = session.receiveResponse(resp);
            std::string out(static_cast<std::size_t>(resp.getContentLength64()), '\0');
            in.read(out.data(), static_cast<std::streamsize>(out.size()));
            total = out.substr(0, out.find(','));
        }
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count() /
            runs;
        std::printf("search: %.1f ms per request over %d contacts (%s)\n", ms, contacts,
                    total.c_str());
    }
    std::printf("peak RSS of this process: %.1f MiB\n", status_kib("VmHWM:") / 1024.0);
    return 0;
}
