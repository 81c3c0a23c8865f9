#pragma once
// The analysis's slim records of a store read batch by batch (store::Store::scan_messages): each
// Message becomes a detect::Mail plus its threading headers, which go once the threads are built.
// What `analyze`, `digest` and the service's snapshot load (docs/PERFORMANCE.md, "Analysis on
// slim records").
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

    std::vector<Mail> mails;

private:
    MailMaker make_;
    std::vector<threading::ThreadHeaders> heads_;  // parallel to mails until thread()
};

}  // namespace ilc::detect
