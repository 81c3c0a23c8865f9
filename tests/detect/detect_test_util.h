#pragma once
// Builders for hand-made mailboxes: a few lines per message, dates in Europe/Paris local time.
#include <string>
#include <vector>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/message.h"
#include "interlocutor/thread.h"

namespace ilc::detect::test {

// UTC seconds of a local Paris time given as "YYYY-MM-DD HH:MM" (the offset is passed explicitly
// so the test states which side of a DST change it is on).
int64_t at(const std::string& local, int offset_hours = 1);

struct Box {
    std::vector<Message> msgs;
    std::vector<Thread> threads;
    AnalysisSettings settings;

    Box();
    // Adds a message; returns its index. to/cc: comma-free lists of addresses.
    size_t add(const std::string& id, const std::string& from, std::vector<std::string> to, int64_t date,
               const std::string& text = "", std::vector<std::string> cc = {});
    Message& last() { return msgs.back(); }
    // Puts the given messages into one thread (root = first).
    void thread(const std::vector<size_t>& members);
    AnalysisResult run() const { return analyze(msgs, threads, settings); }
};

// Marks a message with a cue family (what core/text fills at ingest).
void cue(Message& m, const std::string& family, const std::string& text = "");

}  // namespace ilc::detect::test
