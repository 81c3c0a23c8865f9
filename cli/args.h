#pragma once
// A small, strict command-line parser shared by the verbs: `--name value`, `--name=value`,
// repeatable options, flags, positionals. Unknown options are an error naming the option.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ilc::cli {

struct OptionSpec {
    std::string name;         // without "--"
    bool takes_value = true;
    bool repeatable = false;
    std::string help;
    std::string metavar = "VALUE";
};

class Args {
public:
    // Parses argv after the verb. On error returns false and sets error().
    bool parse(const std::vector<OptionSpec>& specs, int argc, char** argv, int first);
    const std::string& error() const { return error_; }

    bool has(const std::string& name) const { return values_.count(name) > 0; }
    std::optional<std::string> get(const std::string& name) const;
    std::string get_or(const std::string& name, const std::string& def) const;
    std::vector<std::string> all(const std::string& name) const;
    const std::vector<std::string>& positionals() const { return positionals_; }

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positionals_;
    std::string error_;
};

std::string format_help(const std::string& usage, const std::string& summary, const std::vector<OptionSpec>& specs);

}  // namespace ilc::cli
