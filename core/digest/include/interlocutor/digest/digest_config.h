#pragma once
// What the digest reads from the config file (docs/CONFIG.md): account display names in
// [accounts] ("acme.com = Acme") and the team's reps in [reps] ("Isabelle Charpentier =
// isabelle.charpentier@ardentis.fr, icharpentier@ardentis.fr"). The detectors' parser
// (detect::parse_config) does not know these lines, so split_config() hands it the rest of the
// file with the digest's lines blanked, which keeps its line numbers in error messages right.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/result.h"

namespace ilc::digest {

// One rep of the team: the name the manager knows them by and their addresses (lower-case).
struct Rep {
    std::string name;
    std::vector<std::string> addresses;
};

struct DigestConfig {
    std::map<std::string, std::string> account_names;  // organization (lower-case) -> display name
    std::vector<Rep> reps;
};

struct SplitConfig {
    DigestConfig digest;
    std::string rest;  // the text for detect::parse_config, same line count
};

// Takes the digest's lines out of config text. Errors name the line, like the detectors' parser.
Result<SplitConfig> split_config(std::string_view text);

}  // namespace ilc::digest
