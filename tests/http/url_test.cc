// URL parsing, loopback detection and percent-encoding.
#include "http/url.h"

#include <gtest/gtest.h>

namespace hubsync {
namespace {

TEST(Url, ParsesAbsoluteUrls) {
    auto u = parse_url("http://localhost:8976/callback?code=a%20b&state=x#frag");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->scheme, "http");
    EXPECT_EQ(u->host, "localhost");
    EXPECT_EQ(u->port, 8976);
    EXPECT_EQ(u->path, "/callback");
    EXPECT_EQ(u->query, "code=a%20b&state=x");
    EXPECT_EQ(u->fragment, "frag");
    auto h = parse_url("HTTPS://API.HubAPI.com");
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->port, 443);
    EXPECT_EQ(h->path, "/");
    EXPECT_EQ(h->host, "api.hubapi.com");
    auto v6 = parse_url("http://[::1]:99/x");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6->host, "::1");
    EXPECT_TRUE(v6->is_loopback());
    EXPECT_EQ(v6->origin(), "http://[::1]:99");
}

TEST(Url, RefusesMalformed) {
    for (const char* bad :
         {"", "localhost:80/x", "ftp://x/", "http://", "http://h:0/", "http://h:99999/",
          "http://u:p@host/", "http://[::1/x", "http://h:12ab/"}) {
        EXPECT_FALSE(parse_url(bad).ok()) << bad;
    }
}

TEST(Url, LoopbackHosts) {
    for (const char* h : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "LOCALHOST"})
        EXPECT_TRUE(is_loopback_host(h)) << h;
    for (const char* h : {"example.com", "10.0.0.1", "127.0.0.1.evil.com", "localhost.evil",
                          "128.0.0.1", "127.0.0.256"})
        EXPECT_FALSE(is_loopback_host(h)) << h;
}

TEST(Url, EncodesAndDecodes) {
    EXPECT_EQ(url_encode("oauth crm.objects.contacts.read"), "oauth%20crm.objects.contacts.read");
    EXPECT_EQ(url_encode("a&b=c/d"), "a%26b%3Dc%2Fd");
    EXPECT_EQ(url_decode("a+b%20c", true), "a b c");
    EXPECT_EQ(url_decode("a+b%2", false), "a+b%2");
    const Params p = parse_query("code=x%2By&state=s+t&empty=&flag");
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(param(p, "code"), "x+y");
    EXPECT_EQ(param(p, "state"), "s t");
    EXPECT_TRUE(has_param(p, "flag"));
    EXPECT_EQ(encode_query({{"scope", "a b"}, {"x", "1"}}), "scope=a%20b&x=1");
}

}  // namespace
}  // namespace hubsync
