#pragma once
// Analysis settings and the config file (docs/CONFIG.md). Every threshold of SPEC "Findings"
// lives in Thresholds with the SPEC default.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/result.h"

namespace ilc::detect {

struct Thresholds {
    // awaiting_reply
    int awaiting_reply_business_days = 3;
    int over_chasing_count = 3;
    // awaiting_my_reply
    int awaiting_my_reply_business_days = 2;
    // The analysis horizon: a question older than this many calendar days (both awaiting kinds)
    // is stale, not awaiting; real mailboxes keep years of sent mail but only part of the inbox.
    // Off by default (0) because SPEC "Findings" has no upper bound; docs/CONFIG.md recommends 90
    // for multi-year archives.
    int awaiting_max_age_days = 0;
    // Mail to or from this many people (To+Cc) or more is a broadcast, not a conversation.
    int broadcast_min_recipients = 20;
    // An outside sender who wrote in this many different threads and was never written to by the
    // owner only broadcasts (promotions, mailings): their mail counts as automated. 0 = off, the
    // default: a prospect the rep keeps ignoring looks the same and must stay awaiting_my_reply.
    int one_way_sender_min_threads = 0;
    // all_in_copy
    int all_in_copy_min_recipients = 4;
    int all_in_copy_min_group_messages = 3;
    double all_in_copy_min_share = 0.6;       // group messages / outbound messages of the thread
    double all_in_copy_max_recap_share = 0.5; // recaps must be fewer than this share of them
    // stalled_deal
    int stalled_min_messages = 6;
    int stalled_min_inbound = 2;
    int stalled_quiet_business_days = 10;
    int stalled_min_outbound_after = 1;
    // An account silent for longer than this (calendar days) is a closed or lost deal, not a
    // stalling one. Off by default (0), like the awaiting horizon: the SPEC rule has no upper bound.
    int stalled_max_quiet_days = 0;
    int reschedule_min_messages = 2;
    int reschedule_window_days = 30;
    int reason_last_inbound = 5;
    int champion_window_days = 60;
    int consensus_min_people = 3;
    int manager_window_days = 90;
    // many_internal_contacts
    int many_internal_min_people = 4;
    int many_internal_window_days = 30;
};

// What a config file may set besides thresholds.
struct ConfigFile {
    Thresholds thresholds;
    std::vector<std::string> managers;
    std::vector<std::string> owners;
    std::vector<std::string> internal_domains;
    std::vector<std::vector<std::string>> account_merges;  // first element names the account
    std::string tz;
    std::string lang;
};

struct AnalysisSettings {
    std::vector<std::string> owners;            // owner addresses (lower-case)
    std::vector<std::string> internal_domains;  // empty = the owner's organizations
    std::vector<std::string> managers;
    std::vector<std::vector<std::string>> account_merges;
    std::string tz;                              // IANA name, "" = system zone
    std::set<std::string> holidays;              // ISO dates "YYYY-MM-DD"
    int64_t now = 0;                             // UTC seconds; 0 = the current time
    std::string lang;                            // "fr", "en" or "" = the mailbox's language
    Thresholds thresholds;
    // Threads analyze() may use: 0 = up to 2 on large mailboxes, 1 = none besides the caller's.
    // The result is the same either way (tests/detect checks it).
    int threads = 0;
};

// Parses config text (INI-like, see docs/CONFIG.md). Errors name the line.
Result<ConfigFile> parse_config(std::string_view text);
// Reads and parses a config file.
Result<ConfigFile> load_config(const std::string& path);
// Copies what the file sets into settings (lists are appended, scalars replaced when set).
void apply_config(const ConfigFile& cfg, AnalysisSettings& settings);
// Reads a holidays file: one ISO date a line, '#' comments and blank lines ignored.
Result<std::set<std::string>> load_holidays(const std::string& path);
// Parses an ISO 8601 instant ("2026-11-12T10:00:00+01:00", "...Z", or a bare date = midnight UTC).
Result<int64_t> parse_iso8601(std::string_view s);

}  // namespace ilc::detect
