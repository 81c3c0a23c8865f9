#include "args.h"

#include <sstream>

namespace ilc::cli {

bool Args::parse(const std::vector<OptionSpec>& specs, int argc, char** argv, int first) {
    std::map<std::string, const OptionSpec*> by_name;
    for (const auto& s : specs) by_name[s.name] = &s;
    bool only_positionals = false;
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        if (only_positionals || a.size() < 2 || a.compare(0, 2, "--") != 0 || a == "-") {
            if (!only_positionals && a.size() > 1 && a[0] == '-' && a != "-") {
                error_ = "unknown option '" + a + "'";
                return false;
            }
            positionals_.push_back(a);
            continue;
        }
        if (a == "--") {
            only_positionals = true;
            continue;
        }
        std::string name = a.substr(2), value;
        bool inline_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inline_value = true;
        }
        auto it = by_name.find(name);
        if (it == by_name.end()) {
            error_ = "unknown option '--" + name + "'";
            return false;
        }
        const OptionSpec& spec = *it->second;
        if (spec.takes_value && !inline_value) {
            if (i + 1 >= argc) {
                error_ = "option '--" + name + "' needs a value (" + spec.metavar + ")";
                return false;
            }
            value = argv[++i];
        } else if (!spec.takes_value && inline_value) {
            error_ = "option '--" + name + "' takes no value";
            return false;
        }
        auto& slot = values_[name];
        if (!spec.repeatable && !slot.empty()) {
            error_ = "option '--" + name + "' given twice";
            return false;
        }
        slot.push_back(value);
    }
    return true;
}

std::optional<std::string> Args::get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::string Args::get_or(const std::string& name, const std::string& def) const {
    auto v = get(name);
    return v ? *v : def;
}

std::vector<std::string> Args::all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string format_help(const std::string& usage, const std::string& summary, const std::vector<OptionSpec>& specs) {
    std::ostringstream o;
    o << "usage: " << usage << "\n\n" << summary << "\n";
    if (!specs.empty()) o << "\noptions:\n";
    for (const auto& s : specs) {
        std::string left = "  --" + s.name + (s.takes_value ? " " + s.metavar : "");
        o << left;
        if (left.size() < 28) o << std::string(28 - left.size(), ' ');
        else o << "\n" << std::string(28, ' ');
        o << s.help << (s.repeatable ? " (repeatable)" : "") << "\n";
    }
    return o.str();
}

}  // namespace ilc::cli
