#include "interlocutor/detect/mail_corpus.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace ilc::detect {

char* MailText::reserve(size_t n) {
    if (n > left_) {
        // Blocks of 1 MiB (a longer string gets a block of its own): ~100 at 1M messages.
        const size_t size = std::max<size_t>(size_t{1} << 20, n);
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));  // not zeroed
        at_ = blocks_.back().get();
        left_ = size;
    }
    char* p = at_;
    at_ += n;
    left_ -= n;
    return p;
}

std::string_view MailText::add(std::string_view s) {
    if (s.empty()) return {};
    char* p = reserve(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
}

std::string_view MailText::intern(std::string_view s) {
    if (s.empty()) return {};
    if (auto it = interned_.find(s); it != interned_.end()) return *it;
    const std::string_view copy = add(s);
    interned_.insert(copy);
    return copy;
}

std::span<const MailAddress> MailText::add_list(const std::vector<Mailbox>& list) {
    if (list.empty()) return {};
    if (lists_.empty() || lists_.back().capacity() - lists_.back().size() < list.size())
        lists_.emplace_back().reserve(std::max<size_t>(size_t{1} << 14, list.size()));
    std::vector<MailAddress>& b = lists_.back();
    const size_t at = b.size();
    for (const Mailbox& m : list) b.push_back(mailbox(m));  // within capacity: earlier spans stay valid
    return {b.data() + at, list.size()};
}

std::string_view MailCorpus::id_view(const std::string& id) {
    if (id.empty()) return {};
    if (auto it = known_ids_.find(id); it != known_ids_.end()) return *it;
    const std::string_view copy = head_text_->add(id);
    known_ids_.insert(copy);
    return copy;
}

void MailCorpus::add(std::vector<Message>& batch, size_t total) {
    if (mails.empty()) {
        mails.reserve(total);
        heads_.reserve(total);
        known_ids_.reserve(total + total / 4);
    }
    for (auto& m : batch) {
        Heads h;
        h.in_reply_to = static_cast<uint32_t>(ids_.size());
        for (const auto& id : m.in_reply_to) ids_.push_back(id_view(id));
        h.references = static_cast<uint32_t>(ids_.size());
        for (const auto& id : m.references) ids_.push_back(id_view(id));
        h.thread_index = head_text_->add(m.thread_index);
        h.list_id = head_text_->intern(m.list_id);
        heads_.push_back(h);
        mails.push_back(make_(std::move(m)));
        // Later References to this message view its id in the Mails' text.
        if (!mails.back().message_id.empty()) known_ids_.insert(mails.back().message_id);
    }
}

std::vector<Thread> MailCorpus::thread(const threading::ThreadingOptions& options) {
    auto fields = [&](size_t i) {
        const Mail& m = mails[i];
        const Heads& h = heads_[i];
        const size_t end = i + 1 < heads_.size() ? heads_[i + 1].in_reply_to : ids_.size();
        const std::span<const std::string_view> in_reply_to(ids_.data() + h.in_reply_to, h.references - h.in_reply_to);
        const std::span<const std::string_view> references(ids_.data() + h.references, end - h.references);
        return threading::ThreadFields{m.message_id, in_reply_to, references, m.subject, m.date,
                                       h.thread_index, h.list_id, &m.from,    m.to,      m.cc};
    };
    std::vector<Thread> threads = threading::thread_fields_in_place(mails.size(), fields, options);
    std::vector<Heads>().swap(heads_);
    std::vector<std::string_view>().swap(ids_);
    std::unordered_set<std::string_view>().swap(known_ids_);
    head_text_ = std::make_unique<MailText>();
    return threads;
}

void MailCorpus::release() {
    std::vector<Mail>().swap(mails);
    std::vector<Heads>().swap(heads_);
    std::vector<std::string_view>().swap(ids_);
    std::unordered_set<std::string_view>().swap(known_ids_);
    head_text_ = std::make_unique<MailText>();
    make_ = MailMaker();  // its MailText, which held the Mails' strings
}

}  // namespace ilc::detect
