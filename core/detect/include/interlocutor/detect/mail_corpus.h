#pragma once
// The analysis's slim records of a store read batch by batch (store::Store::scan_messages): each
// Message becomes a detect::Mail plus its threading headers, which go once the threads are built.
// What `analyze`, `digest` and the service's snapshot load (docs/PERFORMANCE.md, "Analysis on
// slim records").
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/threading/threader.h"

namespace ilc::detect {

class MailCorpus {
public:
    explicit MailCorpus(MailMaker make = MailMaker()) : make_(std::move(make)) {}
    // A scan_messages sink: the batch's Messages become Mails (they are moved from).
    void add(std::vector<Message>& batch, size_t total);
    // The threads of the Mails added, threaded in place (the threader reads each Mail and its
    // headers); the headers are freed.
    std::vector<Thread> thread(const threading::ThreadingOptions& options);

    // The Mails and their strings go (the Mails are views into the corpus's MailText).
    void release();
    // Where the Mails' strings live: keep it as long as the Mails if the corpus goes first.
    const std::shared_ptr<MailText>& text() const { return make_.text(); }

    std::vector<Mail> mails;  // their strings are in text()

private:
    // The threading headers, until thread(), compact: each id a view, of the Mail's own id when
    // it is a loaded message's (most References and In-Reply-To ids are), else of a copy in
    // head_text_ (one per id). A vector of strings per message and list was ~230 MB at 1M.
    struct Heads {
        // Where the message's In-Reply-To ids start in ids_, then its References ids (they end
        // where the next message's In-Reply-To ids start).
        uint32_t in_reply_to = 0, references = 0;
        MailString thread_index, list_id;  // in head_text_ (24 bytes a message with views: 40)
    };
    std::string_view id_view(const std::string& id);
    MailMaker make_;
    std::vector<Heads> heads_;  // parallel to mails
    std::vector<std::string_view> ids_;
    std::unordered_set<std::string_view> known_ids_;  // the Mails' ids and the other ids seen
    std::unique_ptr<MailText> head_text_ = std::make_unique<MailText>();
};

}  // namespace ilc::detect
