#pragma once
// The [team] section of the config file (docs/CONFIG.md): where and how this rep shares with the
// team. `publish` and `serve` read it; the detectors' parser (detect::parse_config) refuses
// keys it does not know, so split_team_config() takes the sharing keys of [team] out of the text
// first and blanks their lines, which keeps the line numbers of the detectors' error messages
// right (the way digest::split_config does for [accounts] and [reps]). The detectors' own global
// keys (managers, tz...), which they also accept in [team], are left to them.
//
//   [team]
//   url = postgresql://ilc@db.example/ilc_team
//   rep = isabelle
//   private_accounts = secret-prospect.fr, other.fr
//   exclusive_contacts = ceo@acme.com
//   publish_every = 15m
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/result.h"

namespace ilc::team {

struct TeamConfig {
    bool present = false;                         // the file has a [team] section
    std::string url;                              // the team database ("" = not set)
    std::string rep;                              // the name to publish under ("" = not set)
    std::vector<std::string> private_accounts;    // lower-case organizations
    std::vector<std::string> exclusive_contacts;  // lower-case addresses
    std::optional<int> publish_every_seconds;     // serve's schedule, when set
};

struct SplitTeamConfig {
    TeamConfig team;
    std::string rest;  // the text with the sharing keys' lines blanked: same line count
};

// Takes the [team] section out of config text. Errors name the line ("config line 7: ...").
Result<SplitTeamConfig> split_team_config(std::string_view text);

// "30s", "15m", "1h" (a bare number is seconds) -> seconds; nullopt when malformed, under 1 s or
// over a week. Shared by publish --every, serve --publish-every and [team] publish_every.
std::optional<int> parse_duration_seconds(std::string_view text);

}  // namespace ilc::team
