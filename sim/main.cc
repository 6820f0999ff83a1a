// hubspot-sim: serves the HubSpot simulator on loopback until SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "model/endpoints.h"
#include "sim/simulator.h"

namespace {

const char kUsage[] =
    "usage: hubspot-sim --port P [--contacts N] [--companies N] [--deals N] [--tickets N]\n"
    "                   [--custom-records N] [--owners N] [--custom-properties M] [--seed S]\n"
    "                   [--id-spacing K]\n"
    "                   [--token-ttl SECONDS] [--no-rate-limits] [--auto-consent]\n"
    "                   [--client-id ID --client-secret SECRET] [--redirect-uri URI ...]\n"
    "                   [--index-delay MS[:MAX_MS]] [--max-url-length N]\n"
    "                   [--tls-cert FILE --tls-key FILE] [--rotate-refresh-tokens "
    "[--rotation-grace]]\n"
    "                   [--scopes \"SCOPE ...\"] [--hub-id ID] [--threads N]\n"
    "                   [--fail PATH_PREFIX:STATUS[:COUNT]] [--token-outage] [--legacy-off]\n"
    "                   [--rate-limit N] [--daily-limit N] [--latency MS[:JITTER_MS]]\n"
    "                   [--latency-per-kb MS] [--max-connections N]\n"
    "Serves the HubSpot authorize page, token endpoints, CRM objects (contacts, companies,\n"
    "deals, tickets, the custom object pets), properties, owners, pipelines and custom object\n"
    "schemas on 127.0.0.1, on the legacy paths (/oauth/v1, /oauth/v3, /crm/v3,\n"
    "/crm-object-schemas/v3) and on every dated API version ({versions}).\n"
    "  --companies, --deals, --tickets, --custom-records   generated records of each type;\n"
    "                 default contacts/5, contacts/2, contacts/10 and contacts/20\n"
    "  --owners       generated owners (default 10; every fifth archived, every seventh a queue)\n"
    "  --id-spacing   generated ids step by K, each record somewhere in its step (default 3: a\n"
    "                 third of the id space is records; 1: no gaps)\n"
    "  --legacy-off   answer 404 on every legacy path, as HubSpot will once they retire\n"
    "  --fail         answer STATUS (e.g. 423, 477, 502-504, 521-524) on matching paths;\n"
    "                 COUNT -1 = always. More faults: POST /_sim/faults (docs/sim.md)\n"
    "  --rate-limit   requests per rolling 10 s for the account (110; 100/190/250 for\n"
    "                 private apps by plan)\n"
    "  --daily-limit  requests per UTC day for the account (default: no daily cap)\n"
    "  --latency      hold every answer MS (+-JITTER_MS) of real time; --latency-per-kb adds\n"
    "                 MS (decimals allowed) per KiB of response body\n";

std::string usage() {
    std::string versions;
    for (const auto& v : hubsync::api_versions())
        versions += (versions.empty() ? "" : ", ") + std::string(v.name);
    std::string text = kUsage;
    text.replace(text.find("{versions}"), 10, versions);
    return text;
}

bool parse_long(const char* text, long long& out) {
    char* end = nullptr;
    out = std::strtoll(text, &end, 10);
    return end != text && *end == '\0';
}

bool parse_double(const char* text, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end != text && *end == '\0';
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "hubspot-sim: %s\n%s", message.c_str(), usage().c_str());
    return 64;
}

}  // namespace

int main(int argc, char** argv) {
    hubsync::sim::SimOptions opts;
    opts.port = -1;
    std::vector<hubsync::sim::FaultRule> faults;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](long long& out) {
            if (i + 1 >= argc || !parse_long(argv[i + 1], out)) return false;
            ++i;
            return true;
        };
        auto text = [&](std::string& out) {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        long long n = 0;
        std::string s;
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage().c_str(), stdout);
            return 0;
        } else if (arg == "--port" && value(n) && n >= 0 && n < 65536) {
            opts.port = static_cast<int>(n);
        } else if (arg == "--contacts" && value(n) && n >= 0) {
            opts.contacts = static_cast<int>(n);
        } else if (arg == "--companies" && value(n) && n >= 0) {
            opts.companies = static_cast<int>(n);
        } else if (arg == "--deals" && value(n) && n >= 0) {
            opts.deals = static_cast<int>(n);
        } else if (arg == "--tickets" && value(n) && n >= 0) {
            opts.tickets = static_cast<int>(n);
        } else if (arg == "--custom-records" && value(n) && n >= 0) {
            opts.custom_records = static_cast<int>(n);
        } else if (arg == "--owners" && value(n) && n >= 0) {
            opts.owners = static_cast<int>(n);
        } else if (arg == "--custom-properties" && value(n) && n >= 0) {
            opts.custom_properties = static_cast<int>(n);
        } else if (arg == "--id-spacing" && value(n) && n >= 1 && n <= 1000) {
            opts.id_spacing = static_cast<int>(n);
        } else if (arg == "--seed" && value(n)) {
            opts.seed = static_cast<std::uint64_t>(n);
        } else if (arg == "--token-ttl" && value(n) && n > 0) {
            opts.token_ttl = std::chrono::seconds(n);
        } else if (arg == "--no-rate-limits") {
            opts.rate_limits = false;
        } else if (arg == "--auto-consent") {
            opts.auto_consent = true;
        } else if (arg == "--rotate-refresh-tokens") {
            opts.rotate_refresh_tokens = true;
        } else if (arg == "--rotation-grace") {
            opts.rotation_grace = true;
        } else if (arg == "--client-id" && text(s)) {
            opts.client_id = s;
        } else if (arg == "--client-secret" && text(s)) {
            opts.client_secret = s;
        } else if (arg == "--redirect-uri" && text(s)) {
            opts.redirect_uris.push_back(s);
        } else if (arg == "--tls-cert" && text(s)) {
            opts.tls_cert_file = s;
        } else if (arg == "--tls-key" && text(s)) {
            opts.tls_key_file = s;
        } else if (arg == "--max-url-length" && value(n) && n > 0) {
            opts.max_url_length = static_cast<std::size_t>(n);
        } else if (arg == "--hub-id" && value(n)) {
            opts.hub_id = n;
        } else if (arg == "--threads" && value(n) && n > 0) {
            opts.threads = static_cast<int>(n);
        } else if (arg == "--scopes" && text(s)) {
            opts.granted_scopes.clear();
            std::size_t start = 0;
            while (start < s.size()) {
                std::size_t end = s.find(' ', start);
                if (end == std::string::npos) end = s.size();
                if (end > start) opts.granted_scopes.push_back(s.substr(start, end - start));
                start = end + 1;
            }
        } else if (arg == "--index-delay" && text(s)) {
            long long lo = 0, hi = 0;
            const auto colon = s.find(':');
            if (!parse_long(s.substr(0, colon).c_str(), lo) ||
                (colon != std::string::npos && !parse_long(s.substr(colon + 1).c_str(), hi)))
                return usage_error("--index-delay takes MS or MIN_MS:MAX_MS");
            if (colon == std::string::npos) hi = lo;
            opts.index_delay_min = std::chrono::milliseconds(lo);
            opts.index_delay_max = std::chrono::milliseconds(hi);
        } else if (arg == "--fail" && text(s)) {
            // PATH_PREFIX:STATUS[:COUNT], COUNT -1 = always
            const auto a = s.rfind(':');
            const auto b = a == std::string::npos ? a : s.rfind(':', a - 1);
            long long status = 0, count = 1;
            bool ok = a != std::string::npos;
            std::string prefix;
            if (ok && b != std::string::npos &&
                parse_long(s.substr(b + 1, a - b - 1).c_str(), status)) {
                ok = parse_long(s.substr(a + 1).c_str(), count);
                prefix = s.substr(0, b);
            } else if (ok) {
                ok = parse_long(s.substr(a + 1).c_str(), status);
                prefix = s.substr(0, a);
            }
            if (!ok) return usage_error("--fail takes PATH_PREFIX:STATUS[:COUNT]");
            faults.push_back(hubsync::sim::FaultRule::fail_next(prefix, static_cast<int>(count),
                                                                static_cast<int>(status)));
        } else if (arg == "--rate-limit" && value(n) && n > 0) {
            opts.rate_limit = static_cast<int>(n);
        } else if (arg == "--daily-limit" && value(n) && n >= 0) {
            opts.daily_limit = n;
        } else if (arg == "--max-connections" && value(n) && n > 0) {
            opts.max_connections = static_cast<int>(n);
        } else if (arg == "--latency" && text(s)) {
            long long ms = 0, jitter = 0;
            const auto colon = s.find(':');
            if (!parse_long(s.substr(0, colon).c_str(), ms) || ms < 0 ||
                (colon != std::string::npos &&
                 (!parse_long(s.substr(colon + 1).c_str(), jitter) || jitter < 0)))
                return usage_error("--latency takes MS or MS:JITTER_MS");
            opts.latency = std::chrono::milliseconds(ms);
            opts.latency_jitter = std::chrono::milliseconds(jitter);
        } else if (arg == "--latency-per-kb" && text(s)) {
            if (!parse_double(s.c_str(), opts.latency_per_kb_ms) || opts.latency_per_kb_ms < 0)
                return usage_error("--latency-per-kb takes MS (e.g. 0.5)");
        } else if (arg == "--legacy-off") {
            opts.legacy_off = true;
        } else if (arg == "--token-outage") {
            faults.push_back(hubsync::sim::FaultRule::token_endpoint_outage());
        } else {
            return usage_error("bad or incomplete argument: " + arg);
        }
    }
    if (opts.port < 0) return usage_error("--port is required (0 picks a free port)");

    // Block the stop signals before any thread starts, then wait for one synchronously.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    hubsync::sim::Simulator sim(opts);
    for (auto& f : faults)
        sim.add_fault(f);
    if (auto status = sim.start(); !status.ok()) {
        std::fprintf(stderr, "hubspot-sim: %s\n", status.error().describe().c_str());
        return 69;
    }
    std::printf("listening on %s\n", sim.base_url().c_str());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&signals, &sig);
    sim.stop();
    return 0;
}
