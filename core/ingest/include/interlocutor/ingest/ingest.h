#pragma once
// The ingest pipeline: every source given is read as a stream of raw messages, parsed and
// understood on all cores, and written by one writer in large transactions, with the source's
// progress committed in the same transaction so an interrupted run resumes where it stopped.
// Re-ingesting is idempotent: a Message-ID already stored is counted as a duplicate.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "interlocutor/parsers/options.h"
#include "interlocutor/result.h"
#include "interlocutor/store/store.h"

namespace ilc::ingest {

struct Progress {
    std::string source;        // the path being read
    int64_t bytes_done = 0;    // of this source
    int64_t bytes_total = 0;
    int64_t messages = 0;      // read so far, all sources
    double seconds = 0;        // since the ingest started
};

struct IngestOptions {
    std::vector<std::string> me;                 // owner addresses (--me); empty = keep stored or infer
    std::vector<std::string> internal_domains;   // --internal-domain; empty = keep stored / default
    parsers::ParserOptions parser;
    unsigned workers = 0;                        // parse threads; 0 = one per core
    size_t batch_messages = 4000;                // messages per write transaction
    bool force = false;                          // re-read sources even when unchanged since the last run
    std::function<void(const Progress&)> on_progress;  // called at most ~10 times a second
};

struct SourceSummary {
    std::string path;
    std::string kind;
    int64_t read = 0, stored = 0, duplicates = 0, repaired = 0, skipped = 0;
    bool unchanged = false;     // completed earlier and not modified since: not read again
    int64_t resumed_from = 0;   // byte offset (mbox) or message count (trees) an earlier run had reached
    std::string error;          // a source that could not be read at all (the others still are)
};

struct IngestSummary {
    int64_t read = 0, stored = 0, duplicates = 0, repaired = 0, skipped = 0;
    int64_t bytes = 0;
    double seconds = 0;
    std::vector<SourceSummary> sources;
    std::vector<store::IngestIssue> skipped_messages;   // every skipped message with its reason and position
    std::vector<store::IngestIssue> repairs;            // repaired messages (capped at 1000 for the summary)
    std::vector<std::string> owner;                     // the owner addresses in force after this ingest
    bool owner_inferred = false;
    int64_t total_messages = 0;                         // in the store after this ingest
};

Result<IngestSummary> ingest_sources(store::Store& store, const std::vector<std::string>& paths,
                                     const IngestOptions& options);

// Folder names that hint at sent mail (Sent, Envoyés, Sent Items, _sent_mail, Gesendet...).
bool is_sent_folder(std::string_view folder);

// The owner's addresses inferred from the From of sent-folder messages: the most frequent
// sender there, and its aliases: other senders with the same display name, on two or more mails
// for a full name, on at least a fifth of the main address's count for a one-word name.
std::vector<std::string> infer_owner(const std::vector<std::pair<std::string, std::string>>& sent_from_name_addr);

// Test hook, called after each committed batch by the file ingest and the IMAP sync: with
// ILC_TESTING_FAULTS=1 and ILC_TEST_ABORT_AFTER_BATCHES=N the process ends (exit 75, as a kill -9
// would) after the N-th; otherwise it does nothing.
void fault_injection_after_commit();
// Test hook, called on each parsed and understood message by the file ingest and the IMAP sync:
// with ILC_TESTING_FAULTS=1, a message whose subject contains ILC_TEST_THROW_ON_SUBJECT throws
// std::runtime_error, as a bug of ours on one message would; otherwise it does nothing.
void fault_injection_on_message(const Message& m);

}  // namespace ilc::ingest
