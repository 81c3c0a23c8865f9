// Finding Thunderbird's profiles and their local mail stores (see thunderbird.h).
#include "interlocutor/ingest/thunderbird.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace ilc::ingest {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

bool starts_with_from(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    char buf[5] = {};
    f.read(buf, 5);
    return f.gcount() == 5 && std::string(buf, 5) == "From ";
}

// Thunderbird keeps indexes and state beside the mail; none of these is a mailbox.
bool is_metadata(const fs::path& p) {
    static const char* kSkip[] = {".msf", ".dat", ".json", ".html", ".sqlite", ".mab", ".js", ".ini", ".log", ".tmp"};
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* s : kSkip)
        if (ext == s) return true;
    return false;
}

// "Archives.sbd/2026" -> "Archives/2026": .sbd folders hold the subfolders of a folder.
std::string folder_name(const fs::path& account_dir, const fs::path& p) {
    std::string rel = fs::relative(p, account_dir).generic_string();
    std::string out;
    size_t pos = 0;
    while (pos <= rel.size()) {
        size_t slash = rel.find('/', pos);
        std::string part = rel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (part.size() > 4 && part.compare(part.size() - 4, 4, ".sbd") == 0) part.resize(part.size() - 4);
        if (!out.empty()) out += '/';
        out += part;
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    return out;
}

void scan_account(const ThunderbirdProfile& profile, const fs::path& account_dir, std::vector<ThunderbirdStore>& out) {
    std::error_code ec;
    fs::recursive_directory_iterator it(account_dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        std::error_code e2;
        if (it->is_directory(e2)) {
            // A maildir folder: cur/ (and new/, tmp/) inside; its own subfolders live in a .sbd
            // next to it, so nothing below it needs scanning.
            if (fs::is_directory(p / "cur", e2)) {
                out.push_back({p.string(), StoreKind::maildir, folder_name(account_dir, p), profile.name});
                it.disable_recursion_pending();
            }
            continue;
        }
        if (!it->is_regular_file(e2) || is_metadata(p)) continue;
        if (it->file_size(e2) == 0 || e2) continue;
        if (!starts_with_from(p)) continue;
        out.push_back({p.string(), StoreKind::mbox, folder_name(account_dir, p), profile.name});
    }
}

}  // namespace

std::vector<std::string> thunderbird_default_roots() {
    const char* home = std::getenv("HOME");
    if (!home || !*home) return {};
    fs::path h(home);
    return {(h / ".thunderbird").string(), (h / "snap/thunderbird/common/.thunderbird").string(),
            (h / ".var/app/org.mozilla.Thunderbird/.thunderbird").string()};
}

Result<std::vector<ThunderbirdProfile>> read_thunderbird_profiles(const std::string& root) {
    fs::path ini = fs::path(root) / "profiles.ini";
    std::ifstream f(ini);
    if (!f)
        return Error{ErrorCode::not_found, "no Thunderbird profiles.ini in " + root,
                     "start Thunderbird once, or give the mail folders to 'interlocutor ingest' directly"};
    // profiles.ini is an INI file: [ProfileN] sections with Name, IsRelative, Path, Default; the
    // [Install<hash>] sections name the profile each installation opens by default.
    std::map<std::string, std::map<std::string, std::string>> sections;
    std::vector<std::string> order;
    std::string section, line;
    while (std::getline(f, line)) {
        line = trim(line);
        if (line.empty() || line[0] == ';' || line[0] == '#') continue;
        if (line.front() == '[' && line.back() == ']') {
            section = line.substr(1, line.size() - 2);
            if (!sections.count(section)) order.push_back(section);
            sections[section];
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string::npos || section.empty()) continue;
        sections[section][trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    std::vector<std::string> install_defaults;
    for (const auto& name : order)
        if (name.rfind("Install", 0) == 0 && sections[name].count("Default")) install_defaults.push_back(sections[name]["Default"]);
    std::vector<ThunderbirdProfile> out;
    for (const auto& name : order) {
        if (name.rfind("Profile", 0) != 0) continue;
        auto& s = sections[name];
        if (!s.count("Path") || s["Path"].empty()) continue;
        bool relative = s.count("IsRelative") ? s["IsRelative"] != "0" : true;
        fs::path p = relative ? fs::path(root) / s["Path"] : fs::path(s["Path"]);
        std::error_code ec;
        if (!fs::is_directory(p, ec)) continue;
        ThunderbirdProfile prof;
        prof.name = s.count("Name") ? s["Name"] : s["Path"];
        prof.path = fs::absolute(p, ec).lexically_normal().string();
        prof.is_default = (s.count("Default") && s["Default"] == "1") ||
                          std::find(install_defaults.begin(), install_defaults.end(), s["Path"]) != install_defaults.end();
        out.push_back(std::move(prof));
    }
    return out;
}

std::vector<ThunderbirdStore> find_thunderbird_stores(const ThunderbirdProfile& profile) {
    std::vector<ThunderbirdStore> out;
    for (const char* top : {"Mail", "ImapMail"}) {
        fs::path dir = fs::path(profile.path) / top;
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        // One folder per account (server host name, or "Local Folders").
        for (const auto& account : fs::directory_iterator(dir, fs::directory_options::skip_permission_denied, ec))
            if (account.is_directory(ec)) scan_account(profile, account.path(), out);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return out;
}

Result<std::vector<ThunderbirdStore>> find_all_thunderbird_stores(const std::vector<std::string>& roots) {
    auto list = roots.empty() ? thunderbird_default_roots() : roots;
    std::vector<ThunderbirdStore> out;
    bool any_ini = false;
    std::string where;
    for (const auto& r : list) where += (where.empty() ? "" : ", ") + r;
    Error last{ErrorCode::not_found, "no Thunderbird profiles.ini found (looked in " + (where.empty() ? "$HOME, unset" : where) + ")",
               "start Thunderbird once, or give the mail folders to 'interlocutor ingest' directly"};
    for (const auto& root : list) {
        auto profiles = read_thunderbird_profiles(root);
        if (!profiles) {
            if (!roots.empty()) last = profiles.error();
            continue;
        }
        any_ini = true;
        for (const auto& p : profiles.value()) {
            auto stores = find_thunderbird_stores(p);
            out.insert(out.end(), stores.begin(), stores.end());
        }
    }
    if (!any_ini) return last;
    return out;
}

}  // namespace ilc::ingest
