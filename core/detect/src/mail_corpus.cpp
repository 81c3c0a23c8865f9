#include "interlocutor/detect/mail_corpus.h"

namespace ilc::detect {

void MailCorpus::add(std::vector<Message>& batch, size_t total) {
    if (mails.empty()) {
        mails.reserve(total);
        heads_.reserve(total);
    }
    for (auto& m : batch) {
        heads_.push_back(threading::take_thread_headers(m));
        mails.push_back(make_(std::move(m)));
    }
}

std::vector<Thread> MailCorpus::thread(const threading::ThreadingOptions& options) {
    auto fields = [&](size_t i) {
        const Mail& m = mails[i];
        const threading::ThreadHeaders& h = heads_[i];
        return threading::ThreadFields{&m.message_id, &h.in_reply_to,  &h.references, &m.subject, m.date,
                                       &h.thread_index, &h.list_id,     &m.from,       &m.to,      &m.cc};
    };
    std::vector<Thread> threads = threading::thread_fields_in_place(mails.size(), fields, options);
    std::vector<threading::ThreadHeaders>().swap(heads_);
    return threads;
}

}  // namespace ilc::detect
