// The synthetic FR/EN sales mailbox (corpora/dev/eml): for every message the split is sane (no
// quoted-header or signature contact lines left in new_text), and the signature titles agree
// with labels.json's stakeholders (who signed with which title).
#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "interlocutor/text/understand.h"
#include "mini_mime.h"

namespace fs = std::filesystem;
using namespace ilc::text;

namespace {

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string l;
    while (std::getline(ss, l)) out.push_back(l);
    return out;
}

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

}  // namespace

TEST_CASE("dev mailbox: new_text holds no quoted header, quote marker or contact line", "[text.split][dev]") {
    int messages = 0, with_quote = 0, with_sig = 0, html_only = 0;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(ILC_CORPORA) / "dev/eml")) {
        if (!e.is_regular_file()) continue;
        ilc::Message m = ilc::test::read_eml_file(e.path().string());
        if (m.body_text.empty()) { ++html_only; continue; }  // needs the parsers' html_to_text()
        understand(m);
        ++messages;
        if (!m.quoted.empty()) ++with_quote;
        if (!m.signature.empty()) ++with_sig;
        INFO(e.path().string() << "\nnew_text:\n" << m.new_text);
        for (const std::string& l : lines_of(m.new_text)) {
            std::string t = l.substr(std::min(l.size(), l.find_first_not_of(" \t")));
            CHECK_FALSE(starts_with(t, "De :"));
            CHECK_FALSE(starts_with(t, "From:"));
            CHECK_FALSE(starts_with(t, "Envoy\xC3\xA9 :"));
            CHECK_FALSE(starts_with(t, "Sent:"));
            CHECK_FALSE(starts_with(t, ">"));
            CHECK_FALSE(starts_with(t, "-----"));
            CHECK_FALSE(starts_with(t, "Tel "));
            CHECK_FALSE(starts_with(t, "T. +"));
            CHECK(t.find("a \xC3\xA9" "crit :") == std::string::npos);
            CHECK_FALSE((t.size() > 6 && t.compare(t.size() - 6, 6, "wrote:") == 0));
        }
    }
    std::printf("dev mailbox: %d text/plain messages (%d HTML-only skipped), %d with quoted history, %d with a "
                "signature\n", messages, html_only, with_quote, with_sig);
    CHECK(messages >= 450);
    CHECK(with_quote > messages / 3);
    CHECK(with_sig > messages / 3);
}

TEST_CASE("dev mailbox: signature titles match the labelled stakeholders", "[text.signature][dev]") {
    std::ifstream in(fs::path(ILC_CORPORA) / "dev/labels.json");
    std::stringstream ss;
    ss << in.rdbuf();
    Poco::JSON::Parser parser;
    auto labels = parser.parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
    auto stakeholders = labels->getArray("stakeholders");
    std::map<std::string, std::pair<std::string, std::string>> expected;  // address -> (name, title)
    for (std::size_t i = 0; i < stakeholders->size(); ++i) {
        auto s = stakeholders->getObject(static_cast<unsigned>(i));
        if (s->getValue<bool>("dont_care") || s->isNull("title")) continue;
        expected[s->getValue<std::string>("address")] = {s->getValue<std::string>("name"),
                                                         s->getValue<std::string>("title")};
    }
    REQUIRE(expected.size() >= 10);
    std::map<std::string, bool> title_found, name_found;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(ILC_CORPORA) / "dev/eml")) {
        if (!e.is_regular_file()) continue;
        ilc::Message m = ilc::test::read_eml_file(e.path().string());
        auto it = expected.find(m.from.address);
        if (it == expected.end()) continue;
        understand(m);
        if (fold(m.signature_title) == fold(it->second.second)) title_found[it->first] = true;
        if (fold(m.signature_name) == fold(it->second.first)) name_found[it->first] = true;
    }
    int titles = 0, names = 0;
    for (const auto& [addr, nt] : expected) {
        if (title_found[addr]) ++titles;
        else std::printf("dev signature: no message of %s gave title '%s'\n", addr.c_str(), nt.second.c_str());
        if (name_found[addr]) ++names;
    }
    std::printf("dev signature: title found for %d/%zu labelled people, name for %d\n", titles, expected.size(), names);
    CHECK(titles >= static_cast<int>(expected.size() * 9 / 10));
    CHECK(names >= static_cast<int>(expected.size() * 8 / 10));
}
