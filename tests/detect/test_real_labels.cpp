// Real data: the dev corpus' ground truth (labels.json) for organizations and signature roles.
#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/identity.h"

using namespace ilc::detect;

namespace {

Poco::JSON::Object::Ptr labels() {
    std::ifstream in(std::string(ILC_CORPORA) + "/dev/labels.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    Poco::JSON::Parser p;
    return p.parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("every labeled stakeholder's organization is its account", "[detect.real]") {
    auto l = labels();
    auto people = l->getArray("stakeholders");
    REQUIRE(people);
    REQUIRE(people->size() > 20);
    for (size_t i = 0; i < people->size(); ++i) {
        auto s = people->getObject(static_cast<unsigned>(i));
        std::string address = s->getValue<std::string>("address");
        INFO(address);
        CHECK(organization_of(address) == s->getValue<std::string>("account"));
    }
}

TEST_CASE("every labeled signature title gives the labeled role", "[detect.real]") {
    auto l = labels();
    auto people = l->getArray("stakeholders");
    int checked = 0;
    for (size_t i = 0; i < people->size(); ++i) {
        auto s = people->getObject(static_cast<unsigned>(i));
        if (s->getValue<bool>("dont_care") || s->isNull("title")) continue;
        std::string title = s->getValue<std::string>("title");
        INFO(title);
        CHECK(role_from_title(title) == s->getValue<std::string>("role"));
        ++checked;
    }
    CHECK(checked > 40);
}
