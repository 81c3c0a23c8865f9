#pragma once
// Name and job title from a signature block.
#include <string>
#include <string_view>

namespace ilc::text {

struct Signature {
    std::string name;     // first line (or part of "Name | Title", "Name, Title") that looks like a person's name
    std::string title;    // the job title after it (next line or next part); may be empty
};

// from_name, when known (the From display name), helps pick the name line. Handles
// "Name | Title | Company", "Name, Title", "Title – Company", "NAME Firstname".
Signature parse_signature(std::string_view signature, std::string_view from_name = {});

// True when the text looks like a job title (FR/EN keyword list: directeur, manager, CTO, …).
bool looks_like_title(std::string_view text);

}  // namespace ilc::text
