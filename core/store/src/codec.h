#pragma once
// Compact text encoding of the list-valued columns (reference ids, cues, warnings, meta lists):
// items separated by '\n', fields by '\t', and '\\', '\n', '\t' escaped with a backslash inside
// an item. It is several times faster to decode than JSON, which matters when loading every
// message at once, and stays readable in the sqlite3 shell.
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/message.h"

namespace ilc::store::detail {

// An empty list encodes to "" (stored as NULL); a list holding one empty string encodes to
// "\\e" so that the two stay distinct.
std::string encode_list(const std::vector<std::string>& items);
std::vector<std::string> decode_list(std::string_view text);

std::string encode_cues(const std::vector<Message::Cue>& cues);
std::vector<Message::Cue> decode_cues(std::string_view text);

std::string encode_warnings(const std::vector<Warning>& warnings);
std::vector<Warning> decode_warnings(std::string_view text);

}  // namespace ilc::store::detail
