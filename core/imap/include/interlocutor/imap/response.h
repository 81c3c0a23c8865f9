#pragma once
// The IMAP4rev1 response parser (RFC 3501 section 7 and the formal syntax of section 9), kept
// apart from the socket so it can be tested and fuzzed on plain bytes. The reader hands it one
// complete response: the line and every literal it announced ({n} CRLF followed by n bytes).
//
// Untagged data (FETCH, LIST, SEARCH, CAPABILITY, STATUS, ...) is tokenized into a tree of
// Values; status responses (OK/NO/BAD/BYE/PREAUTH, tagged or untagged) keep their response
// code ([UIDVALIDITY 3857529045]) and the human text apart, since that text may hold anything.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/result.h"

namespace ilc::imap {

struct Value {
    enum class Kind { atom, string, nil, list };
    Kind kind = Kind::nil;
    std::string text;           // atom (incl. numbers, BODY[...] sections) or string/literal bytes
    std::vector<Value> items;   // list

    bool is_atom(std::string_view a) const;   // case-insensitive
    bool is_list() const { return kind == Kind::list; }
    std::optional<int64_t> number() const;     // a non-negative decimal atom
    // nstring/astring as text: NIL is empty.
    const std::string& str() const { return text; }
};

enum class ResponseType { untagged, tagged, continuation };
enum class Condition { none, ok, no, bad, bye, preauth };

struct Response {
    ResponseType type = ResponseType::untagged;
    std::string tag;                 // tagged only
    Condition status = Condition::none;    // a status response (tagged, or untagged OK/NO/BAD/BYE/PREAUTH)
    std::string code;                // response code name, upper-cased: "UIDVALIDITY", "ALERT", ...
    std::vector<Value> code_args;    // what follows the code name inside the brackets
    std::string text;                // human text of a status response or of a continuation
    // Untagged data: "* 12 FETCH (...)" gives number 12, name "FETCH", data [the list];
    // "* LIST (...) "/" INBOX" gives name "LIST", data [list, "/", INBOX].
    std::optional<int64_t> number;
    std::string name;                // upper-cased
    std::vector<Value> data;
};

struct ParseLimits {
    int max_depth = 64;              // nested lists (BODYSTRUCTURE of deep MIME trees)
    size_t max_items = 1'000'000;    // values in one response
};

// Parses one complete response. A malformed one is an Error with code protocol and a message
// that shows where it went wrong; it never throws or reads past the input.
Result<Response> parse_response(std::string_view bytes, const ParseLimits& limits = {});

// If the line (without CRLF) ends with a literal announcement "{n}" or "{n+}", its size.
// Used by the reader to know how many bytes to read before the response continues.
std::optional<uint64_t> trailing_literal_size(std::string_view line);

// The value of a FETCH data item by name (case-insensitive), e.g. "UID", "BODYSTRUCTURE",
// "BODY[HEADER]", from a FETCH response's list.
const Value* fetch_item(const Response& r, std::string_view name);

// A BODYSTRUCTURE (RFC 3501 section 7.4.2) as a tree with section numbers.
struct BodyPart {
    std::string section;             // "" for a top-level single part ("TEXT" fetches its body), "1", "1.2", ...
    std::string type, subtype;       // lower-cased
    std::string boundary;            // multipart only
    std::string encoding;            // single part
    int64_t size = 0;
    bool is_multipart = false;
    std::vector<BodyPart> children;
};
Result<BodyPart> parse_bodystructure(const Value& v, const ParseLimits& limits = {});

}  // namespace ilc::imap
