// render_thread_text: the tree of one thread as `interlocutor threads --format text` prints it.
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "interlocutor/threading/threader.h"

namespace ilc::threading {
namespace {

std::string format_date(int64_t utc) {
    std::time_t t = static_cast<std::time_t>(utc);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) return "0000-00-00 00:00";  // gmtime_r fails only for absurd years
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

// Depth-first over the tree: members are sorted by date, so children come out in date order.
std::string render(const ilc::Thread& thread, const std::function<std::string(size_t)>& line_of,
                   const std::function<int64_t(size_t)>& date_of) {
    const size_t n = thread.members.size();
    std::vector<std::vector<size_t>> children(n);
    std::vector<size_t> roots;
    for (size_t p = 0; p < n; ++p) {
        int parent = p < thread.parent.size() ? thread.parent[p] : -1;
        if (parent >= 0 && static_cast<size_t>(parent) < n && static_cast<size_t>(parent) != p)
            children[parent].push_back(p);
        else
            roots.push_back(p);
    }
    std::string out;
    std::vector<std::pair<size_t, int>> stack;
    for (auto r = roots.rbegin(); r != roots.rend(); ++r) stack.emplace_back(*r, 0);
    std::vector<bool> seen(n, false);
    while (!stack.empty()) {
        auto [p, depth] = stack.back();
        stack.pop_back();
        if (seen[p]) continue;  // a malformed parent vector must not loop
        seen[p] = true;
        size_t m = thread.members[p];
        out += format_date(date_of(m));
        out += "  ";
        out.append(static_cast<size_t>(depth) * 2, ' ');
        out += line_of(m);
        out += '\n';
        for (auto c = children[p].rbegin(); c != children[p].rend(); ++c) stack.emplace_back(*c, depth + 1);
    }
    return out;
}

}  // namespace

std::string render_thread_text(const ilc::Thread& thread, const std::vector<ThreadInput>& messages) {
    return render(
        thread,
        [&](size_t m) {
            const ThreadInput& in = messages.at(m);
            std::string from = in.participants.empty() ? std::string("(unknown)") : in.participants.front();
            return from + "  " + in.subject;
        },
        [&](size_t m) { return messages.at(m).date; });
}

std::string render_thread_text(const ilc::Thread& thread, const std::vector<ThreadInput>& messages,
                               const std::vector<std::string>& senders) {
    return render(
        thread, [&](size_t m) { return senders.at(m) + "  " + messages.at(m).subject; },
        [&](size_t m) { return messages.at(m).date; });
}

std::string render_thread_text(const ilc::Thread& thread, const std::vector<ilc::Message>& messages) {
    return render(
        thread,
        [&](size_t m) {
            const ilc::Message& msg = messages.at(m);
            std::string from = !msg.from.name.empty() ? msg.from.name
                               : !msg.from.address.empty() ? msg.from.address : std::string("(unknown)");
            return from + "  " + msg.subject;
        },
        [&](size_t m) { return messages.at(m).date; });
}

}  // namespace ilc::threading
