// The digest's part of the config file: account display names and the team's reps.
#include "interlocutor/digest/digest_config.h"

#include <algorithm>

#include "digest_private.h"
#include "interlocutor/config_text.h"

namespace ilc::digest {
namespace {

using config::split_list;
using config::trim;

Error line_error(int line_no, const std::string& what) {
    return Error{ErrorCode::parse, "config line " + std::to_string(line_no) + ": " + what,
                 "see docs/CONFIG.md, section \"Account names and reps\""};
}

}  // namespace

Result<SplitConfig> split_config(std::string_view text) {
    SplitConfig out;
    std::string section;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t nl = text.find('\n', pos);
        std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        const bool last = nl == std::string_view::npos;
        pos = last ? text.size() + 1 : nl + 1;
        ++line_no;
        std::string_view line = trim(raw);
        bool ours = false;
        if (!line.empty() && line.front() == '[' && line.back() == ']') {
            section = detail::ascii_lower(trim(line.substr(1, line.size() - 2)));
            ours = section == "reps";
        } else if (!line.empty() && line.front() != '#' && line.front() != ';') {
            auto eq = line.find('=');
            std::string key = eq == std::string_view::npos ? "" : std::string(trim(line.substr(0, eq)));
            std::string_view value = eq == std::string_view::npos ? std::string_view{} : trim(line.substr(eq + 1));
            if (auto hash = value.find(" #"); hash != std::string_view::npos) value = trim(value.substr(0, hash));
            if (section == "reps") {
                ours = true;
                if (eq == std::string_view::npos) return line_error(line_no, "expected 'Rep Name = address, address'");
                if (key.empty()) return line_error(line_no, "a rep needs a name before '='");
                Rep rep{key, split_list(value)};
                if (rep.addresses.empty()) return line_error(line_no, "rep '" + key + "' has no address");
                for (const auto& a : rep.addresses)
                    if (a.find('@') == std::string::npos || a.front() == '@' || a.back() == '@')
                        return line_error(line_no, "'" + a + "' is not an address (rep '" + key + "')");
                out.digest.reps.push_back(std::move(rep));
            } else if (section == "accounts" && eq != std::string_view::npos && key.find('.') != std::string::npos) {
                // Any key of [accounts] with a dot is an organization, whose value is its name in
                // the mail ("Weekly update — Acme — week 47" rather than "acme.com").
                ours = true;
                if (value.empty()) return line_error(line_no, "account '" + key + "' needs a name after '='");
                out.digest.account_names[detail::ascii_lower(key)] = std::string(value);
            }
        }
        if (!ours) out.rest.append(raw);
        if (!last) out.rest += '\n';
    }
    return out;
}

}  // namespace ilc::digest
