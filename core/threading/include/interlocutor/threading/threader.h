#pragma once
// Conversation threading (SPEC "Threading", docs/THREADING.md).
//
// JWZ / RFC 5256 REFERENCES links on Message-ID, In-Reply-To and References with Dovecot's
// THREAD REFS semantics (no subject merging of roots among messages that carry references),
// Outlook Thread-Index conversations, and a guarded subject fallback for mail that carries no
// threading header at all. The threader runs on plain records, not on the store, so tests
// drive it directly.
//
//   thread_messages     - thread a whole vector at once
//   Threader            - the same, incrementally: add() batches, threads() gives the result
//   normalize_subject   - the subject key used by the fallback ("Re: [list] RE : Foo" -> "foo")
//   render_thread_text  - an indented tree for `interlocutor threads --format text`
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/message.h"
#include "interlocutor/thread.h"

namespace ilc::threading {

// What the threader needs of one message. Ids are bare (no angle brackets).
struct ThreadInput {
    std::string message_id;
    bool synthetic_id = false;               // derived from headers, not a real Message-ID
    std::vector<std::string> in_reply_to;    // every id of In-Reply-To, in order
    std::vector<std::string> references;     // References ids, in order (oldest ancestor first)
    std::string subject;                     // decoded, UTF-8
    int64_t date = 0;                        // UTC seconds
    std::vector<std::string> participants;   // lower-case addresses From + To + Cc, From first
    std::string thread_index;                // Outlook Thread-Index, base64 as sent
    std::string thread_topic;                // Outlook Thread-Topic
    std::string list_id;                     // List-Id: mailing-list mail never joins by subject
};

struct ThreadingOptions {
    std::vector<std::string> owner_addresses;  // lower-case; never count as a shared participant
    int subject_window_days = 30;              // a fallback join needs a thread message closer than this
    bool subject_fallback = true;
};

// The fields of a normalized Message that threading reads.
ThreadInput thread_input_from(const ilc::Message& m);
// The same, moving the headers only threading reads (In-Reply-To, References, Thread-Index,
// Thread-Topic) out of `m` instead of copying them: for callers that keep the messages for the
// detectors, so that those headers are never held twice. They are left empty in `m`.
ThreadInput take_thread_input(ilc::Message& m);
// Frees what only threading reads of `m` (In-Reply-To, References, Thread-Index, Thread-Topic;
// left empty), for callers that keep the messages for the detectors after threading them.
void drop_threading_headers(ilc::Message& m);

// Threads of `messages`: every message is in exactly one thread. Threads are ordered by their
// earliest message (date, then input index); see ilc::Thread for the fields.
std::vector<ilc::Thread> thread_messages(const std::vector<ThreadInput>& messages,
                                         const ThreadingOptions& options = {});
// The same on Messages read in place: the threads of thread_input_from() of each, without
// building that copy (on a million messages the ThreadInputs were ~0.7 GB more at the peak of
// `analyze` and of the service's start-up). The messages must not change during the call.
// (Not an overload of thread_messages: `thread_messages({})` would become ambiguous.)
std::vector<ilc::Thread> thread_messages_in_place(const std::vector<ilc::Message>& messages,
                                                  const ThreadingOptions& options = {});

// A string of a block of text that outlives it, in one pointer (8 bytes instead of a
// string_view's 16: a million slim records hold ten strings each, docs/PERFORMANCE.md "Service on
// a large store"). The pointer is to the string's length (4 bytes, unaligned), its bytes follow;
// "" is no pointer. Reads as a std::string_view (view(), or converted where one is expected).
class TextRef {
public:
    TextRef() = default;
    // `at` is where a length was written (uint32_t, memcpy) followed by that many bytes.
    static TextRef at(const char* p) { TextRef r; r.p_ = p; return r; }
    std::string_view view() const {
        if (!p_) return {};
        uint32_t n;
        std::memcpy(&n, p_, sizeof n);
        return {p_ + sizeof n, n};
    }
    operator std::string_view() const { return view(); }
    bool empty() const { return p_ == nullptr; }
    size_t size() const { return view().size(); }
    const char* data() const { return view().data(); }
    // Identity: two refs of one interned string compare equal here (not a text comparison).
    const void* key() const { return p_; }
    friend bool operator==(TextRef a, TextRef b) { return a.view() == b.view(); }
    friend bool operator==(TextRef a, std::string_view b) { return a.view() == b; }
    friend auto operator<=>(TextRef a, TextRef b) { return a.view() <=> b.view(); }
    friend auto operator<=>(TextRef a, std::string_view b) { return a.view() <=> b; }

private:
    const char* p_ = nullptr;
};

// A mailbox whose strings live elsewhere (the analysis's slim records keep theirs in one shared
// block of text: detect::MailText).
struct MailboxView {
    TextRef address, name;
};

// A list of mailboxes stored elsewhere, in one pointer: to a slot holding the count (an integer
// cast to the slot's pointer type) followed by that many pointers to MailboxViews (each distinct mailbox stored once: detect::MailText). Iterates
// as a std::span<const MailboxView> would (the elements are const MailboxView&).
class MailboxList {
public:
    class iterator {
    public:
        using iterator_category = std::random_access_iterator_tag;
        using value_type = MailboxView;
        using difference_type = std::ptrdiff_t;
        using pointer = const MailboxView*;
        using reference = const MailboxView&;
        iterator() = default;
        explicit iterator(const MailboxView* const* p) : p_(p) {}
        reference operator*() const { return **p_; }
        pointer operator->() const { return *p_; }
        reference operator[](difference_type i) const { return *p_[i]; }
        iterator& operator++() { ++p_; return *this; }
        iterator operator++(int) { auto t = *this; ++p_; return t; }
        iterator& operator--() { --p_; return *this; }
        iterator operator--(int) { auto t = *this; --p_; return t; }
        iterator& operator+=(difference_type n) { p_ += n; return *this; }
        iterator& operator-=(difference_type n) { p_ -= n; return *this; }
        friend iterator operator+(iterator a, difference_type n) { return a += n; }
        friend iterator operator+(difference_type n, iterator a) { return a += n; }
        friend iterator operator-(iterator a, difference_type n) { return a -= n; }
        friend difference_type operator-(iterator a, iterator b) { return a.p_ - b.p_; }
        friend bool operator==(iterator a, iterator b) { return a.p_ == b.p_; }
        friend auto operator<=>(iterator a, iterator b) { return a.p_ <=> b.p_; }

    private:
        const MailboxView* const* p_ = nullptr;
    };
    using value_type = MailboxView;
    using const_iterator = iterator;
    MailboxList() = default;
    // `at`: the count (count_slot()), then that many MailboxView pointers (nullptr: the empty list).
    explicit MailboxList(const MailboxView* const* at) : p_(at) {}
    static const MailboxView* count_slot(size_t n) { return reinterpret_cast<const MailboxView*>(static_cast<uintptr_t>(n)); }
    size_t size() const { return p_ ? static_cast<size_t>(reinterpret_cast<uintptr_t>(*p_)) : 0; }
    bool empty() const { return size() == 0; }
    iterator begin() const { return iterator(items()); }
    iterator end() const { return iterator(items() + size()); }
    const MailboxView& operator[](size_t i) const { return *items()[i]; }
    const MailboxView& front() const { return *items()[0]; }
    const MailboxView& back() const { return *items()[size() - 1]; }

private:
    const MailboxView* const* items() const { return p_ ? p_ + 1 : nullptr; }
    const MailboxView* const* p_ = nullptr;
};

// What the threader reads of one message whose fields live in the caller's own records, as views
// (the strings they view must stay in place during the call): the analysis's slim records
// (detect::Mail) with their threading headers beside them (detect::MailCorpus). Participants are
// computed from from/to/cc as thread_input_from() lists them.
struct ThreadFields {
    std::string_view message_id;
    std::span<const std::string_view> in_reply_to, references;
    std::string_view subject;
    int64_t date = 0;
    std::string_view thread_index, list_id;
    const MailboxView* from = nullptr;
    MailboxList to, cc;
};
// The headers only threading reads of a message (and its List-Id), kept beside a caller's
// record until the threads are built (ThreadFields points into them).
struct ThreadHeaders {
    std::vector<std::string> in_reply_to, references;
    std::string thread_index, list_id;
};
// Moves In-Reply-To, References and Thread-Index out of `m` (left empty) and copies List-Id.
ThreadHeaders take_thread_headers(ilc::Message& m);
// The threads of the `count` messages at(0) .. at(count - 1), as thread_messages() on their
// ThreadInputs, without building them (no copy of the ids, subjects and participants).
std::vector<ilc::Thread> thread_fields_in_place(size_t count, const std::function<ThreadFields(size_t)>& at,
                                                const ThreadingOptions& options = {});

// Incremental threading. add() appends messages (their indices continue after the ones already
// added); threads() always equals thread_messages() on everything added so far, in the order
// added. Messages are processed in (date, index) order: a batch whose messages all sort after
// the ones already processed is processed on top of the current state; a batch with an older
// message (a late parent) makes the state be rebuilt, which is linear in the messages held.
class Threader {
public:
    explicit Threader(ThreadingOptions options = {});
    ~Threader();
    Threader(Threader&&) noexcept;
    Threader& operator=(Threader&&) noexcept;

    void add(const std::vector<ThreadInput>& messages);
    void add(ThreadInput message);
    std::vector<ilc::Thread> threads() const;
    size_t size() const;
    // How many times add() had to rebuild because of an out-of-order message (for tests and logs).
    size_t rebuilds() const;

private:
    friend std::vector<ilc::Thread> thread_messages(const std::vector<ThreadInput>&, const ThreadingOptions&);
    friend std::vector<ilc::Thread> thread_messages_in_place(const std::vector<ilc::Message>&, const ThreadingOptions&);
    friend std::vector<ilc::Thread> thread_fields_in_place(size_t, const std::function<ThreadFields(size_t)>&,
                                                           const ThreadingOptions&);
    struct State;
    std::unique_ptr<State> state_;
};

// True when the subject starts with a reply or forward marker ("Re:", "TR:", "AW:", ...), after
// list tags: only such a message may join a thread by subject (a fresh subject starts a thread).
bool has_reply_marker(std::string_view subject);

// The subject key of the fallback: reply/forward prefixes in many languages ("Re:", "RE :",
// "Re[2]:", "Fwd:", "Fw:", "TR:", "Réf :", "AW:", "WG:", "SV:", "VS:", "Antw:", ...), list tags
// ("[foo-list]", "[EXT]") and a trailing "(fwd)", repeated, in any case, are removed; whitespace
// is collapsed and the result lower-cased.
std::string normalize_subject(std::string_view subject);

// An indented tree, one line a message: "YYYY-MM-DD HH:MM  <indent><sender>  <subject>".
std::string render_thread_text(const ilc::Thread& thread, const std::vector<ThreadInput>& messages);
std::string render_thread_text(const ilc::Thread& thread, const std::vector<ilc::Message>& messages);
// The same with the sender shown per message given apart (senders[i] for messages[i]), for callers
// that hold ThreadInputs but want the display names a Message would show.
std::string render_thread_text(const ilc::Thread& thread, const std::vector<ThreadInput>& messages,
                               const std::vector<std::string>& senders);

}  // namespace ilc::threading
