#pragma once
// Private: what every detector reads, computed once per analysis (one pass over the messages,
// one over each thread), so no detector rescans the mailbox.
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/business_days.h"
#include "interlocutor/detect/identity.h"

namespace ilc::detect {

// An interned string of one Context: a lower-case address or an account name. Two atoms of the
// same table are equal exactly when their strings are, so comparing or hashing one is a pointer
// operation and a per-address fact is a vector index (id). `<` compares the strings: a std::set
// or std::map of atoms iterates in the same order as one of strings. The default atom is "".
struct AtomEntry {
    std::string text;
    uint32_t id = 0;
};

class Atom {
public:
    Atom() = default;
    explicit Atom(const AtomEntry* e) : e_(e) {}
    const std::string& str() const;
    uint32_t id() const { return e_ ? e_->id : 0; }
    bool empty() const { return e_ == nullptr; }
    friend bool operator==(Atom a, Atom b) { return a.e_ == b.e_; }
    friend bool operator!=(Atom a, Atom b) { return a.e_ != b.e_; }
    friend bool operator<(Atom a, Atom b) { return a.e_ != b.e_ && a.str() < b.str(); }

private:
    const AtomEntry* e_ = nullptr;  // nullptr = ""
};

struct AtomHash {
    size_t operator()(Atom a) const { return std::hash<uint32_t>()(a.id()); }
};

class AtomTable {
public:
    // The atom of s as it is / ASCII lower-cased (the detectors' address form).
    Atom intern(std::string_view s);
    Atom intern_lower(std::string_view s);
    // Ids are 0 ("") .. size() - 1.
    size_t size() const { return entries_.size() + 1; }

private:
    // The index: open addressing with linear probing, at most half full, each slot keeping the
    // full hash so that a probe compares strings only on a hash match (a node-based map cost a
    // cache miss or three per look-up, and there are ten look-ups per message).
    struct Slot {
        uint64_t hash = 0;
        const AtomEntry* entry = nullptr;
    };
    void grow();
    std::deque<AtomEntry> entries_;  // stable: the index and the atoms point into it
    std::vector<Slot> slots_;
    std::string scratch_;
};

// Cue families the detectors test, as bits (MsgInfo::cues): one pass over a message's cues
// instead of a string search per test.
enum CueBit : uint16_t {
    kCueRecap = 1u << 0,
    kCueKeepInCopy = 1u << 1,
    kCueReschedule = 1u << 2,
    kCueBudget = 1u << 3,
    kCueTechnical = 1u << 4,
    kCueWaitingManagement = 1u << 5,
    kCueConsensus = 1u << 6,
    kCueNotUrgent = 1u << 7,
    kCueTopicTechnical = 1u << 8,
    kCueTopicBudget = 1u << 9,
    kCueTopicPlanning = 1u << 10,
    kCueTopicScope = 1u << 11,
};

// The address lists of every message, stored end to end in large blocks (no allocation per
// message and list); a block never moves, so the lists handed out stay valid.
class AtomLists {
public:
    // The lists one after the other; their start.
    const Atom* add(std::initializer_list<const std::vector<Atom>*> lists);

private:
    std::deque<std::vector<Atom>> blocks_;
};

struct MsgInfo {
    bool automated = false;
    bool duplicate = false;  // another copy of the same mail under another Message-ID (also sets automated)
    bool outbound = false;
    bool sender_internal = false;
    bool expects = false;
    uint16_t cues = 0;                   // CueBit set of the message's cue families
    // The sizes of the lists below, which lie end to end at `lists` (in Context::atom_lists):
    // one pointer and three counts instead of four spans (88 -> 48 bytes a message).
    uint32_t n_recipients = 0, n_ext = 0, n_accounts = 0;
    Atom from;                           // lower-case address
    Atom from_account;                   // "" when the sender is internal
    const Atom* lists = nullptr;
    // To + Cc, distinct, without the sender
    std::span<const Atom> recipients() const { return {lists, n_recipients}; }
    // the external ones
    std::span<const Atom> ext_recipients() const { return {lists + n_recipients, n_ext}; }
    // parallel to ext_recipients
    std::span<const Atom> ext_accounts() const { return {lists + n_recipients + n_ext, n_ext}; }
    // distinct accounts among recipients, in string order
    std::span<const Atom> accounts() const { return {lists + n_recipients + 2 * n_ext, n_accounts}; }
};

// Everything but the messages themselves (ContextOf below adds them): what stakeholders.cpp and
// the passes read, whichever record type (Message or the slim Mail) the analysis runs on.
struct Context {
    const AnalysisSettings& settings;
    Identity id;
    BusinessCalendar cal;
    int64_t now = 0;
    std::string lang;
    AtomTable atoms;
    AtomLists atom_lists;
    std::vector<MsgInfo> info;
    std::vector<int64_t> dates;  // msgs[i].date, side by side for sorting (one per message)
    // Per account: non-automated messages from it or from internal people to it, by date.
    std::unordered_map<Atom, std::vector<size_t>, AtomHash> account_msgs;
    // Per external person (atom id): the latest display name and signature title seen
    // ("" = none, as no empty name or title is kept; views into msgs' strings or owned_titles,
    // which outlive the Context's use).
    std::vector<std::string_view> names, titles;
    std::deque<std::string> owned_titles;
    // Two-way exchanges between the rep and each external person (atom id).
    std::vector<int> exchanges;
    // Each stakeholder's role (atom id; "" for addresses that are no stakeholder), set by
    // build_stakeholders for the all-in-copy topics.
    std::vector<std::string> roles;

    // What Identity says about each address (atom id), computed once per address (the public
    // suffix lookup is the costly part on large mailboxes).
    struct AddressFacts {
        bool known = false;
        bool internal = false;
        bool owner = false;
        Atom account;  // "" for internal addresses
        Atom person;   // Identity::person_key, interned on first use
        bool has_person = false;
    };
    std::vector<AddressFacts> address_facts;
    const AddressFacts& facts(Atom lower_address);
    Atom person_key(Atom lower_address);

    explicit Context(const AnalysisSettings& s);
    bool has_cue(size_t i, uint16_t bits) const { return (info[i].cues & bits) != 0; }
    std::string name_of(Atom address) const;
    int exchanges_of(Atom a) const { return a.id() < exchanges.size() ? exchanges[a.id()] : 0; }
};

// The Context over messages of type M (ilc::Message or detect::Mail: the fields the detectors
// read have the same names in both). Built in analyze.cpp, where both are instantiated.
template <class M>
struct ContextOf : Context {
    const std::vector<M>& msgs;
    // threads: used to pick which copy of a duplicated mail stands for it (the one in the
    // largest thread, so replies threaded to any copy are seen).
    ContextOf(const std::vector<M>& m, const AnalysisSettings& s, const std::vector<Thread>& threads);
};

void build_stakeholders(Context& ctx, AnalysisResult& out);

}  // namespace ilc::detect
