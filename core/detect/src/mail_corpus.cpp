#include "interlocutor/detect/mail_corpus.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

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

MailString MailText::add(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > UINT32_MAX) throw std::length_error("a string of more than 4 GB in a message");
    const auto n = static_cast<uint32_t>(s.size());
    char* p = reserve(sizeof n + s.size());
    std::memcpy(p, &n, sizeof n);
    std::memcpy(p + sizeof n, s.data(), s.size());
    return MailString::at(p);
}

MailString MailText::intern(std::string_view s) {
    if (s.empty()) return {};
    // The set holds views of the bytes; the length is just before them.
    if (auto it = interned_.find(s); it != interned_.end()) return MailString::at(it->data() - sizeof(uint32_t));
    const MailString copy = add(s);
    interned_.insert(copy.view());
    return copy;
}

const MailAddress* MailText::interned_mailbox(const Mailbox& m) {
    const MailAddress box = mailbox(m);
    auto [it, fresh] = mailbox_ids_.try_emplace({box.address.key(), box.name.key()}, nullptr);
    if (fresh) {
        if (mailboxes_left_ == 0) {
            mailboxes_.push_back(std::make_unique<MailAddress[]>(4096));
            mailboxes_left_ = 4096;
        }
        MailAddress* slot = mailboxes_.back().get() + (4096 - mailboxes_left_--);
        *slot = box;
        it->second = slot;
    }
    return it->second;
}

MailAddressList MailText::add_list(const std::vector<Mailbox>& list) {
    if (list.empty()) return {};
    const size_t need = list.size() + 1;  // the count, then the mailboxes
    if (lists_.empty() || lists_.back().capacity() - lists_.back().size() < need)
        lists_.emplace_back().reserve(std::max<size_t>(size_t{1} << 14, need));
    std::vector<const MailAddress*>& b = lists_.back();
    const size_t at = b.size();
    // Within capacity: earlier lists stay valid.
    b.push_back(MailAddressList::count_slot(list.size()));
    for (const Mailbox& m : list) b.push_back(interned_mailbox(m));
    return MailAddressList(b.data() + at);
}

void MailText::seal() {
    std::unordered_set<std::string_view>().swap(interned_);
    std::unordered_map<std::pair<const void*, const void*>, const MailAddress*, PairHash>().swap(mailbox_ids_);
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
        if (!mails.back().message_id.empty()) known_ids_.insert(mails.back().message_id.view());
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
    // No Mail is added after the threads: the tables that found the repeated strings and
    // mailboxes go before the analysis, whose peak they would add to.
    make_.text()->seal();
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
