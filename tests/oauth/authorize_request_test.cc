// Authorize URL, PKCE and the checks on the redirect (shared by the listener and --paste).
#include "oauth/authorize_request.h"

#include <gtest/gtest.h>

#include <set>

namespace hubsync {
namespace {

TEST(AuthorizeRequest, Base64UrlHasNoPaddingAndUrlAlphabet) {
    EXPECT_EQ(base64url(""), "");
    EXPECT_EQ(base64url("f"), "Zg");
    EXPECT_EQ(base64url("fo"), "Zm8");
    EXPECT_EQ(base64url("foo"), "Zm9v");
    EXPECT_EQ(base64url("\xfb\xff"), "-_8");
}

TEST(AuthorizeRequest, PkceChallengeIsBase64UrlOfSha256) {
    // SHA-256("abc") = ba7816bf...f20015ad (FIPS 180-2), base64url without padding.
    EXPECT_EQ(pkce_challenge("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

TEST(AuthorizeRequest, UrlCarriesEveryParameter) {
    const auto req = make_authorize_request("https://app.hubspot.com/oauth/authorize", "cid-1",
                                            "oauth  crm.objects.contacts.read",
                                            "http://localhost:8976/callback");
    auto url = parse_url(req.url);
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url->host, "app.hubspot.com");
    EXPECT_EQ(url->path, "/oauth/authorize");
    // Scopes are space separated and the space is sent as %20, never '+'.
    EXPECT_NE(req.url.find("scope=oauth%20crm.objects.contacts.read&"), std::string::npos)
        << req.url;
    const Params p = parse_query(url->query);
    EXPECT_EQ(param(p, "client_id"), "cid-1");
    EXPECT_EQ(param(p, "redirect_uri"), "http://localhost:8976/callback");
    EXPECT_EQ(param(p, "state"), req.state);
    EXPECT_EQ(param(p, "code_challenge"), req.code_challenge);
    EXPECT_EQ(param(p, "code_challenge_method"), "S256");
    EXPECT_EQ(req.code_challenge, pkce_challenge(req.code_verifier));
}

TEST(AuthorizeRequest, OptionalScopesTravelAsOptionalScopeOnlyWhenThereAreSome) {
    const auto without = make_authorize_request("https://app.hubspot.com/oauth/authorize", "c",
                                                "oauth", "http://localhost:8976/callback");
    EXPECT_EQ(without.url.find("optional_scope"), std::string::npos) << without.url;
    const auto blank = make_authorize_request("https://app.hubspot.com/oauth/authorize", "c",
                                              "oauth", "http://localhost:8976/callback", "  ");
    EXPECT_EQ(blank.url.find("optional_scope"), std::string::npos) << blank.url;

    const auto with = make_authorize_request(
        "https://app.hubspot.com/oauth/authorize", "c", "oauth crm.objects.contacts.read",
        "http://localhost:8976/callback",
        "crm.objects.contacts.sensitive.read.v2  crm.objects.deals.sensitive.read.v2");
    // The singular name HubSpot reads, spaces as %20.
    EXPECT_NE(with.url.find("&optional_scope=crm.objects.contacts.sensitive.read.v2%20"
                            "crm.objects.deals.sensitive.read.v2&"),
              std::string::npos)
        << with.url;
    const Params p = parse_query(parse_url(with.url)->query);
    EXPECT_EQ(param(p, "scope"), "oauth crm.objects.contacts.read");
    EXPECT_EQ(param(p, "state"), with.state);
    EXPECT_EQ(param(p, "code_challenge"), with.code_challenge);
}

TEST(AuthorizeRequest, StateAndVerifierAreFreshAndLongEnough) {
    std::set<std::string> states;
    for (int i = 0; i < 20; ++i) {
        const auto req =
            make_authorize_request("https://x.test/a", "c", "oauth", "http://localhost:1/cb");
        // >= 128 bits: 22+ base64url characters; ours carry 256 bits.
        EXPECT_GE(req.state.size(), 43u);
        EXPECT_GE(req.code_verifier.size(), 43u);
        EXPECT_LE(req.code_verifier.size(), 128u);
        for (const char c : req.code_verifier)
            EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                        c == '.' || c == '~');
        EXPECT_TRUE(states.insert(req.state).second) << "state repeated";
        EXPECT_NE(req.state, req.code_verifier);
    }
}

TEST(RedirectCheck, AcceptsMatchingStateAndReturnsCode) {
    auto code = check_redirect_params({{"code", "abc123"}, {"state", "s-1"}}, "s-1");
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, "abc123");
}

TEST(RedirectCheck, RefusesStateMismatchMissingStateAndMissingCode) {
    auto wrong = check_redirect_params({{"code", "abc"}, {"state", "s-2"}}, "s-1");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(wrong.error().message.find("state"), std::string::npos);
    EXPECT_FALSE(check_redirect_params({{"code", "abc"}}, "s-1").ok());
    EXPECT_FALSE(check_redirect_params({{"code", "abc"}, {"state", ""}}, "s-1").ok());
    EXPECT_FALSE(check_redirect_params({{"state", "s-1"}}, "s-1").ok());
}

TEST(RedirectCheck, ReportsAccessDenied) {
    auto denied = check_redirect_params(
        {{"error", "access_denied"}, {"error_description", "user said no"}, {"state", "s"}}, "s");
    ASSERT_FALSE(denied.ok());
    EXPECT_EQ(denied.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(denied.error().message.find("access_denied"), std::string::npos);
    EXPECT_NE(denied.error().hint.find("hubsync authorize"), std::string::npos);
}

TEST(RedirectCheck, ErrorTextFromTheRedirectIsSanitised) {
    auto denied = check_redirect_params({{"error", "x\n<script>"}, {"state", "s"}}, "s");
    ASSERT_FALSE(denied.ok());
    EXPECT_EQ(denied.error().message.find('\n'), std::string::npos);
}

TEST(PastedRedirect, AcceptsTheFullUrlWithSurroundingNoise) {
    auto redirect = parse_url("http://localhost:8976/callback");
    ASSERT_TRUE(redirect.ok());
    auto code = parse_pasted_redirect("  'http://localhost:8976/callback?code=c%2F1&state=st'\r\n",
                                      *redirect, "st");
    ASSERT_TRUE(code.ok()) << code.error().describe();
    EXPECT_EQ(*code, "c/1");
}

TEST(PastedRedirect, AcceptsJustTheQuery) {
    auto redirect = parse_url("http://localhost:8976/callback");
    auto code = parse_pasted_redirect("?code=c1&state=st", *redirect, "st");
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, "c1");
}

TEST(PastedRedirect, RefusesOtherPathsStateMismatchDenialAndEmptyInput) {
    auto redirect = parse_url("http://localhost:8976/callback");
    EXPECT_EQ(parse_pasted_redirect("http://localhost:8976/other?code=c&state=st", *redirect, "st")
                  .error()
                  .kind,
              ErrorKind::kUsage);
    EXPECT_EQ(
        parse_pasted_redirect("http://localhost:8976/callback?code=c&state=zz", *redirect, "st")
            .error()
            .kind,
        ErrorKind::kAuthRequired);
    EXPECT_EQ(parse_pasted_redirect("http://localhost:8976/callback?error=access_denied&state=st",
                                    *redirect, "st")
                  .error()
                  .kind,
              ErrorKind::kAuthRequired);
    EXPECT_FALSE(parse_pasted_redirect("   ", *redirect, "st").ok());
}

TEST(ConstantTimeEquals, ComparesExactly) {
    EXPECT_TRUE(constant_time_equals("abc", "abc"));
    EXPECT_FALSE(constant_time_equals("abc", "abd"));
    EXPECT_FALSE(constant_time_equals("abc", "ab"));
    EXPECT_TRUE(constant_time_equals("", ""));
}

}  // namespace
}  // namespace hubsync
