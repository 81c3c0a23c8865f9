#include "detect_test_util.h"

#include <algorithm>
#include <cstdio>

#include "interlocutor/detect/business_days.h"

namespace ilc::detect::test {

int64_t at(const std::string& local, int offset_hours) {
    int y, mo, d, h = 0, mi = 0;
    std::sscanf(local.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi);
    return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 -
           offset_hours * 3600;
}

Box::Box() {
    settings.owners = {"rep@vendor.fr", "r.ep@vendor.fr"};
    settings.internal_domains = {"vendor.fr"};
    settings.managers = {"boss@vendor.fr"};
    settings.tz = "Europe/Paris";
    settings.holidays = {"2026-11-11"};
    settings.now = at("2026-11-12 10:00");
    settings.lang = "en";
}

size_t Box::add(const std::string& id, const std::string& from, std::vector<std::string> to, int64_t date,
                const std::string& text, std::vector<std::string> cc) {
    Message m;
    m.message_id = id;
    m.from.address = from;
    for (auto& a : to) m.to.push_back({"", a});
    for (auto& a : cc) m.cc.push_back({"", a});
    m.date = date;
    m.subject = "Project";
    m.new_text = text;
    m.body_text = text;
    m.expects_reply = text.find('?') != std::string::npos;
    msgs.push_back(std::move(m));
    return msgs.size() - 1;
}

void Box::thread(const std::vector<size_t>& members) {
    Thread t;
    t.id = msgs[members.front()].message_id;
    t.members = members;
    std::sort(t.members.begin(), t.members.end(), [&](size_t a, size_t b) { return msgs[a].date < msgs[b].date; });
    t.parent.assign(t.members.size(), -1);
    for (size_t k = 1; k < t.members.size(); ++k) t.parent[k] = static_cast<int>(k - 1);
    threads.push_back(std::move(t));
}

void cue(Message& m, const std::string& family, const std::string& text) {
    m.cues.push_back({family, text.empty() ? family : text});
    if (family == "request") m.expects_reply = true;
}

}  // namespace ilc::detect::test
