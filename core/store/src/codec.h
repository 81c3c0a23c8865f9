#pragma once
// Compact text encoding of the list-valued columns (reference ids, cues, warnings, meta lists):
// items separated by '\n', fields by '\t', and '\\', '\n', '\t' escaped with a backslash inside
// an item. It is several times faster to decode than JSON, which matters when loading every
// message at once, and stays readable in the sqlite3 shell.
#include <functional>
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

// Every mailbox of a message (From, Sender, Reply-To, To, Cc, Bcc) in one column (schema version
// 2; version 1 stored one `recipients` row each, 12 % of the ingest's instructions on Enron). One
// record per mailbox, "<role>\t<address>\t<name>", the role one letter: f(rom), s(ender),
// r(eply_to), t(o), c(c), b(cc); the "\t<name>" is left out when the name is empty. Records go
// in role order (f s r t c b) then header order; an absent From or Sender (address and name
// empty) has no record, as it had no row. A record always holds its role letter, so a
// non-empty list never encodes to "" and needs no "\e".
std::string encode_mailboxes(const Message& m);
// Sets m.from, m.sender and appends to m.reply_to, to, cc, bcc. Records with an unknown role
// are skipped (a hand-edited row never makes loading fail).
void decode_mailboxes(std::string_view text, Message& m);
// Calls on_mailbox(role letter, address, name) for every record, in order (the strings may be
// moved from): for readers that need only some roles (the threading scan).
void for_each_mailbox(std::string_view text,
                      const std::function<void(char role, std::string& address, std::string& name)>& on_mailbox);
// A version-1 role name ("from", "sender", "reply_to", "to", "cc", "bcc") as its letter; 0 if unknown.
char mailbox_role_letter(std::string_view role_name);
// Adds one mailbox with its role letter to m, as decode_mailboxes does; false for an unknown role.
bool add_mailbox(Message& m, char role, std::string address, std::string name);

}  // namespace ilc::store::detail
