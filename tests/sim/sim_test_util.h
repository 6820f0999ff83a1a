// Test helpers for the simulator suite: a plain POCO HTTP client (deliberately not the
// engine's transport) and JSON parsing.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sim/simulator.h"

namespace hubsync::sim::testing {

struct Reply {
    int status = 0;
    std::string reason;  // the status line's reason phrase
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string error;                           // transport failure, if any

    bool has_header(const std::string& name) const { return headers.count(name) > 0; }
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    Poco::JSON::Object::Ptr json() const {
        Poco::JSON::Parser parser;
        return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    }
};

inline Reply http(int port, const std::string& method, const std::string& target,
                  const std::string& body = {}, const std::string& content_type = {},
                  const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    Reply r;
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
        session.setTimeout(Poco::Timespan(10, 0));
        Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [k, v] : headers)
            req.set(k, v);
        if (!body.empty() || method == "POST" || method == "PATCH") {
            req.setContentLength(static_cast<std::streamsize>(body.size()));
            if (!content_type.empty()) req.setContentType(content_type);
        }
        session.sendRequest(req) << body;
        Poco::Net::HTTPResponse resp;
        std::istream& in = session.receiveResponse(resp);
        // Not getStatus(): POCO's status enum ends at 511, so 521-524 would be undefined
        // behaviour there; the library's write() prints the number.
        std::ostringstream head;
        resp.write(head);
        const std::string line = head.str();
        r.status = std::atoi(line.c_str() + std::min(line.size(), line.find(' ') + 1));
        r.reason = resp.getReason();
        for (const auto& [k, v] : resp) {
            std::string key = k;
            for (char& c : key)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[key] = v;
        }
        Poco::StreamCopier::copyToString(in, r.body);
        if (resp.hasContentLength() &&
            static_cast<std::streamsize>(r.body.size()) != resp.getContentLength64())
            r.error = "short body";
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return r;
}

inline Reply get(int port, const std::string& target, const std::string& token) {
    return http(port, "GET", target, {}, {}, {{"Authorization", "Bearer " + token}});
}

inline Reply post_json(int port, const std::string& target, const std::string& body,
                       const std::string& token) {
    return http(port, "POST", target, body, "application/json",
                {{"Authorization", "Bearer " + token}});
}

inline Reply post_form(int port, const std::string& target, const std::string& body) {
    return http(port, "POST", target, body, "application/x-www-form-urlencoded");
}

inline std::vector<std::string> ids_of(const Poco::JSON::Object::Ptr& page) {
    std::vector<std::string> out;
    auto results = page->getArray("results");
    for (std::size_t i = 0; i < results->size(); ++i)
        out.push_back(results->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
    return out;
}

// A started simulator on a free port with a ManualClock.
struct SimFixture {
    explicit SimFixture(SimOptions o = {}) {
        o.clock = &clock;
        sim = std::make_unique<Simulator>(o);
        auto st = sim->start();
        if (!st.ok()) throw std::runtime_error(st.error().describe());
        port = sim->port();
        token = sim->issue_tokens().access_token;
    }
    ManualClock clock;
    std::unique_ptr<Simulator> sim;
    int port = 0;
    std::string token;
};

}  // namespace hubsync::sim::testing
