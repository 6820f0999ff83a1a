// Tests for the JSON pull parser and the response decoders: values exactly as sent, escapes,
// paging, error classification, and no crash on any truncated or corrupted body.
#include "api/decode.h"

#include <gtest/gtest.h>

#include <random>

#include "api/json_reader.h"
#include "page_gen.h"

namespace hubsync {
namespace {

using testing::make_page;
using testing::PageShape;

const Record& only_contact(const RecordPage& page) {
    EXPECT_EQ(page.records.size(), 1u);
    return page.records.front();
}

TEST(DecodeContactPage, DecodesRecordsValuesAndPaging) {
    const auto page = decode_record_page(R"({
      "results": [
        {"id": "101", "properties": {"email": "a@example.com", "phone": null, "empty": ""},
         "createdAt": "2024-09-11T13:27:39.356Z", "updatedAt": "2024-09-12T00:00:00.000Z",
         "archived": false},
        {"id": "9007199254740993", "properties": {}, "createdAt": "2023-01-01T00:00:00Z",
         "updatedAt": "2023-01-02T00:00:00Z", "archived": true,
         "archivedAt": "2024-02-03T04:05:06.789Z"}
      ],
      "paging": {"next": {"after": "MTAy", "link": "https://api.hubapi.com/x?after=MTAy"}}
    })");
    ASSERT_TRUE(page.ok()) << page.error().describe();
    ASSERT_EQ(page->records.size(), 2u);
    const Record& a = page->records[0];
    EXPECT_EQ(a.id, 101);
    EXPECT_EQ(a.created_at, "2024-09-11T13:27:39.356Z");
    EXPECT_EQ(a.updated_at, "2024-09-12T00:00:00.000Z");
    EXPECT_FALSE(a.archived);
    EXPECT_EQ(a.archived_at, "");
    ASSERT_EQ(a.properties.size(), 3u);
    EXPECT_EQ(a.properties[0].name, "email");
    EXPECT_EQ(a.properties[0].value, std::optional<std::string>("a@example.com"));
    EXPECT_EQ(a.properties[1].name, "phone");
    EXPECT_EQ(a.properties[1].value, std::nullopt);
    EXPECT_EQ(a.properties[2].value, std::optional<std::string>(""));
    const Record& b = page->records[1];
    EXPECT_EQ(b.id, 9007199254740993LL);  // beyond double precision: parsed as an integer
    EXPECT_TRUE(b.archived);
    EXPECT_EQ(b.archived_at, "2024-02-03T04:05:06.789Z");
    EXPECT_EQ(page->next_after, "MTAy");
    EXPECT_EQ(page->total, -1);
}

TEST(DecodeContactPage, LastPageHasNoPaging) {
    const auto page = decode_record_page(R"({"results":[{"id":"1","properties":{}}]})");
    ASSERT_TRUE(page.ok()) << page.error().describe();
    EXPECT_EQ(page->next_after, "");
    EXPECT_EQ(page->records.size(), 1u);
}

TEST(DecodeContactPage, SearchTotalAndNumericOffset) {
    const auto page =
        decode_record_page(R"({"total":12345,"results":[],"paging":{"next":{"after":200}}})");
    ASSERT_TRUE(page.ok()) << page.error().describe();
    EXPECT_EQ(page->total, 12345);
    EXPECT_EQ(page->next_after, "200");
    EXPECT_TRUE(page->records.empty());
}

TEST(DecodeContactPage, EscapesAndUnicode) {
    const auto page = decode_record_page(
        R"({"results":[{"id":"7","properties":{
            "simple":"q\"b\\s\/n\nr\rt\tb\bf\f",
            "latin":"Ren\u00e9e",
            "euro":"\u20AC",
            "emoji":"\ud83d\ude00",
            "raw":"Grüße 日本",
            "lone_high":"a\ud800b",
            "lone_low":"a\udc00b",
            "nul":"x\u0000y",
            "esc\"aped key":"v"}}]})");
    ASSERT_TRUE(page.ok()) << page.error().describe();
    const Record& c = only_contact(*page);
    EXPECT_EQ(**c.find("simple"), "q\"b\\s/n\nr\rt\tb\bf\f");
    EXPECT_EQ(**c.find("latin"),
              "Ren\xc3\xa9"
              "e");
    EXPECT_EQ(**c.find("euro"), "\xe2\x82\xac");
    EXPECT_EQ(**c.find("emoji"), "\xf0\x9f\x98\x80");
    EXPECT_EQ(**c.find("raw"), "Grüße 日本");
    EXPECT_EQ(**c.find("lone_high"),
              "a\xef\xbf\xbd"
              "b");
    EXPECT_EQ(**c.find("lone_low"),
              "a\xef\xbf\xbd"
              "b");
    EXPECT_EQ(**c.find("nul"), std::string("x\0y", 3));
    EXPECT_EQ(**c.find("esc\"aped key"), "v");
}

TEST(DecodeContactPage, NonStringValuesKeptAsJsonText) {
    const auto page = decode_record_page(
        R"({"results":[{"id":"7","properties":{"n":-12.5e3,"t":true,"f":false,"o":{"a":[1,2]},"l":[]}}]})");
    ASSERT_TRUE(page.ok()) << page.error().describe();
    const Record& c = only_contact(*page);
    EXPECT_EQ(**c.find("n"), "-12.5e3");
    EXPECT_EQ(**c.find("t"), "true");
    EXPECT_EQ(**c.find("f"), "false");
    EXPECT_EQ(**c.find("o"), R"({"a":[1,2]})");
    EXPECT_EQ(**c.find("l"), "[]");
}

TEST(DecodeContactPage, SkipsUnknownMembers) {
    const auto page = decode_record_page(
        R"({"status":"COMPLETE","results":[{"id":"7","associations":{"companies":{"results":[{"id":"1","type":"x"}]}},
            "propertiesWithHistory":{"email":[{"value":"a","timestamp":"2024-01-01T00:00:00Z"}]},
            "properties":{"email":"a"},"url":null,"extra":[1,{"x":null},"s",true]}],"startedAt":"x"})");
    ASSERT_TRUE(page.ok()) << page.error().describe();
    EXPECT_EQ(**only_contact(*page).find("email"), "a");
}

TEST(DecodeContactPage, RejectsIdsThatAreNotDigitStrings) {
    for (const char* body : {
             R"({"results":[{"id":"12a","properties":{}}]})",
             R"({"results":[{"id":"","properties":{}}]})",
             R"({"results":[{"id":"-5","properties":{}}]})",
             R"({"results":[{"id":12,"properties":{}}]})",
             R"({"results":[{"id":null,"properties":{}}]})",
             R"({"results":[{"id":"99999999999999999999","properties":{}}]})",
             R"({"results":[{"properties":{}}]})",
             R"({"results":{"id":"1"}})",
             R"({"results":["1"]})",
             R"({"results":[{"id":"1","properties":"x"}]})",
             R"([1,2])",
         }) {
        const auto page = decode_record_page(body);
        ASSERT_FALSE(page.ok()) << body;
        EXPECT_EQ(page.error().kind, ErrorKind::kBadData) << body << ": " << page.error().message;
    }
}

TEST(DecodeContactPage, BrokenBodiesAreTransient) {
    for (const char* body : {
             "",
             "   ",
             "<html><body>502 Bad Gateway</body></html>",
             "Service Unavailable",
             R"({"results":[{"id":"1")",
             R"({"results":[]})"
             "garbage",
             R"({"results":[]}{"results":[]})",
             R"({"results":[{"id":"1","properties":{"a":"b)",
             R"({"results":[{"id":"1","properties":{"a":"\u12"}}]})",
             R"({"results":[{"id":"1","properties":{"a":"\q"}}]})",
             R"({"results":[01]})",
             R"({"results":[-]})",
             R"({"results":[1.]})",
             R"({"results":[1e]})",
             R"({"results" [])",
             R"({"results":[] "paging":{}})",
             R"({"results":[tru]})",
             // A shape problem early in a body that is then cut short: the cut wins.
             R"({"results":[{"id":"x"},{"id":"2)",
         }) {
        const auto page = decode_record_page(body);
        ASSERT_FALSE(page.ok()) << body;
        EXPECT_EQ(page.error().kind, ErrorKind::kTransient) << body << ": " << page.error().message;
        EXPECT_NE(page.error().message.find("retried"), std::string::npos);
    }
    const auto html = decode_record_page("\n<!DOCTYPE html><html>proxy error</html>");
    ASSERT_FALSE(html.ok());
    EXPECT_NE(html.error().message.find("HTML"), std::string::npos) << html.error().message;
}

TEST(DecodeContactPage, DeepNestingFailsWithoutCrashing) {
    std::string deep = R"({"results":[],"x":)";
    deep += std::string(100000, '[');
    deep += std::string(100000, ']');
    deep += "}";
    const auto page = decode_record_page(deep);
    ASSERT_FALSE(page.ok());
    EXPECT_NE(page.error().message.find("nested too deeply"), std::string::npos)
        << page.error().message;
}

TEST(DecodeContactPage, HugePages) {
    PageShape shape;
    shape.contacts = 100;
    shape.properties = 600;
    const auto wide = decode_record_page(make_page(shape));
    ASSERT_TRUE(wide.ok()) << wide.error().describe();
    ASSERT_EQ(wide->records.size(), 100u);
    EXPECT_EQ(wide->records[99].properties.size(), 600u);
    EXPECT_EQ(wide->records[99].id, 1100);
    EXPECT_EQ(wide->next_after, "1101");

    shape.contacts = 10000;
    shape.properties = 5;
    const auto tall = decode_record_page(make_page(shape));
    ASSERT_TRUE(tall.ok()) << tall.error().describe();
    EXPECT_EQ(tall->records.size(), 10000u);
    EXPECT_EQ(**tall->records[1234].find("firstname"),
              "Ren\xc3\xa9"
              "e");
    EXPECT_EQ(**tall->records[1234].find("lastname"), "O'Brien \"Bob\"");
}

TEST(DecodeContactPage, EveryPrefixOfAValidPageFailsCleanly) {
    PageShape shape;
    shape.contacts = 3;
    shape.properties = 12;
    const std::string page = make_page(shape);
    ASSERT_TRUE(decode_record_page(page).ok());
    for (std::size_t n = 0; n < page.size(); ++n) {
        // A copy, so a read past the prefix is a read past an allocation (caught by ASan).
        const std::string prefix = page.substr(0, n);
        const auto r = decode_record_page(prefix);
        ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
        ASSERT_EQ(r.error().kind, ErrorKind::kTransient) << n << ": " << r.error().message;
    }
}

TEST(DecodeContactPage, RandomCorruptionNeverCrashes) {
    PageShape shape;
    shape.contacts = 4;
    shape.properties = 20;
    const std::string page = make_page(shape);
    std::mt19937 rng(12345);
    const char interesting[] = "{}[]\",:\\u0123456789abcdefnulltruefalse\x00\xff \n";
    int ok = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string mutated = page;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            const std::size_t at = rng() % mutated.size();
            switch (rng() % 4) {
                case 0:
                    mutated[at] = static_cast<char>(rng() & 0xFF);
                    break;
                case 1:
                    mutated[at] = interesting[rng() % (sizeof interesting - 1)];
                    break;
                case 2:
                    mutated.erase(at, 1 + rng() % 8);
                    break;
                default:
                    mutated.insert(at, 1, interesting[rng() % (sizeof interesting - 1)]);
            }
            if (mutated.empty()) mutated = "{";
        }
        const auto r = decode_record_page(mutated);
        if (r.ok()) {
            ++ok;
            for (const Record& c : r->records)
                EXPECT_GT(c.id, -1);
        } else {
            EXPECT_TRUE(r.error().kind == ErrorKind::kTransient ||
                        r.error().kind == ErrorKind::kBadData);
            EXPECT_FALSE(r.error().message.empty());
        }
        (void)decode_batch_read(mutated);
        (void)decode_properties(mutated);
        (void)decode_error_body(mutated);
    }
    // Most single flips inside string values still decode: the loop exercised both paths.
    EXPECT_GT(ok, 100);
    EXPECT_LT(ok, 20000);
}

TEST(DecodeBatchRead, MissingIdsFromErrors) {
    const auto r = decode_batch_read(R"({
      "status": "COMPLETE",
      "results": [{"id": "1", "properties": {"email": "a@b.c"}, "archived": false}],
      "numErrors": 1,
      "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND",
                  "message": "Could not get some CONTACT objects, they may be deleted or not exist.",
                  "context": {"ids": ["2", "3"]}}],
      "startedAt": "2024-01-01T00:00:00.000Z", "completedAt": "2024-01-01T00:00:00.100Z"})");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->records.size(), 1u);
    EXPECT_EQ(**r->records[0].find("email"), "a@b.c");
    EXPECT_EQ(r->missing, (std::vector<RecordId>{2, 3}));
}

TEST(DecodeProperties, ReadsDefinitions) {
    const auto r = decode_properties(R"({"results":[
      {"name":"email","label":"Email","type":"string","fieldType":"text","groupName":"contactinformation",
       "description":"A contact's email address","options":[],"calculated":false,"hasUniqueValue":true,
       "hidden":false,"hubspotDefined":true,"modificationMetadata":{"archivable":true}},
      {"name":"tier","label":"Tier","type":"enumeration","fieldType":"select","groupName":"custom",
       "description":null,"options":[{"label":"A","value":"a"}],"calculated":true}]})");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].name, "email");
    EXPECT_EQ((*r)[0].label, "Email");
    EXPECT_EQ((*r)[0].type, "string");
    EXPECT_EQ((*r)[0].field_type, "text");
    EXPECT_EQ((*r)[0].group_name, "contactinformation");
    EXPECT_EQ((*r)[0].description, "A contact's email address");
    EXPECT_TRUE((*r)[0].hubspot_defined);
    EXPECT_FALSE((*r)[0].calculated);
    EXPECT_EQ((*r)[1].type, "enumeration");
    EXPECT_TRUE((*r)[1].calculated);
    EXPECT_FALSE((*r)[1].hubspot_defined);

    EXPECT_EQ(decode_properties(R"({"results":[{"label":"x"}]})").error().kind,
              ErrorKind::kBadData);
    EXPECT_EQ(decode_properties(R"({"other":1})").error().kind, ErrorKind::kBadData);
}

TEST(DecodeErrorBody, ReadsKnownFieldsLeniently) {
    const ErrorBody b = decode_error_body(
        R"({"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c0ffee","policyName":"TEN_SECONDLY_ROLLING","links":{}})");
    EXPECT_EQ(b.status, "error");
    EXPECT_EQ(b.error_type, "RATE_LIMIT");
    EXPECT_EQ(b.correlation_id, "c0ffee");
    EXPECT_EQ(b.policy_name, "TEN_SECONDLY_ROLLING");
    EXPECT_EQ(b.message, "You have reached your ten_secondly_rolling limit.");
    const ErrorBody cut = decode_error_body(R"({"category":"RATE_LIMITS","correlationId":"ab)");
    EXPECT_EQ(cut.category, "RATE_LIMITS");
    EXPECT_EQ(cut.correlation_id, "");
    EXPECT_EQ(decode_error_body("<html>").message, "");
}

TEST(JsonReader, NumbersFollowTheGrammar) {
    for (const char* good : {"0", "-0", "12", "-3.25", "1e9", "1E+2", "2.5e-3"}) {
        JsonReader r(good);
        std::string_view n;
        EXPECT_TRUE(r.read_number(n) && r.at_end()) << good;
        EXPECT_EQ(n, good);
    }
    for (const char* bad : {"-", "1.", ".5", "1e", "1e+", "+1", "01x"}) {
        JsonReader r(bad);
        std::string_view n;
        EXPECT_FALSE(r.read_number(n) && r.at_end()) << bad;
    }
}

TEST(JsonReader, FailureLatchesAndReportsOffset) {
    JsonReader r(R"({"a" 1})");
    ASSERT_TRUE(r.begin_object());
    std::string_view key;
    EXPECT_FALSE(r.next_key(key));
    EXPECT_TRUE(r.failed());
    EXPECT_FALSE(r.skip_value());
    EXPECT_NE(r.error().find("expected ':' at byte 5"), std::string::npos) << r.error();
}

TEST(JsonString, EscapesForRequestBodies) {
    std::string out;
    append_json_string(out,
                       "a\"b\\c\nd\x01"
                       "é");
    EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001é\"");
    JsonReader r(out);
    std::string back;
    ASSERT_TRUE(r.read_string(back));
    EXPECT_EQ(back,
              "a\"b\\c\nd\x01"
              "é");
}

}  // namespace
}  // namespace hubsync
