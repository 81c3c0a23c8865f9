// The ingest pipeline (see ingest.h and docs/PERFORMANCE.md). Shape: three stages run at once on
// one source at a time. The caller's thread reads raw messages into small chunks; `workers`
// threads parse and understand the chunks, each taking the next unparsed one; a writer thread
// stores them in read order, one transaction per batch together with the source's progress.
// Peak memory is bounded by the raw bytes in flight (read but not yet stored).
#include "interlocutor/ingest/ingest.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <string_view>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "interlocutor/parsers/headers.h"
#include "interlocutor/parsers/message_parser.h"
#include "interlocutor/parsers/source.h"
#include "interlocutor/text/understand.h"

namespace ilc::ingest {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

const char* kind_name(parsers::SourceKind k) {
    switch (k) {
        case parsers::SourceKind::mbox: return "mbox";
        case parsers::SourceKind::maildir: return "maildir";
        case parsers::SourceKind::eml_file: return "eml";
        // A directory that is not a Maildir is read by content: .eml files, mbox files, a
        // Thunderbird .sbd tree, nested Maildirs; "eml" would misname most of them.
        case parsers::SourceKind::eml_tree: return "directory";
        case parsers::SourceKind::pst: return "pst";
        default: return "unknown";
    }
}

// Parsed (the RawMessage overload adds the mbox "From " line / mtime date fallbacks, the
// flags and the container's warnings) and understood.
void build_message(const parsers::RawMessage& raw, const parsers::ParserOptions& popts, Message& out) {
    out = parsers::parse_message(raw, popts);
    text::understand(out);
    fault_injection_on_message(out);
}

// A message is skipped (not stored) only when nothing of it can be used: no header at all and
// no body, or larger than the configured limit. Everything else is stored, with its warnings.
std::optional<std::string> skip_reason(const parsers::RawMessage& raw, const Message& m,
                                       const parsers::ParserOptions& popts) {
    if (raw.bytes.size() > popts.max_message_bytes) return "message larger than the limit";
    for (const auto& w : raw.warnings)
        if (w.code == "message_too_large") return "message larger than the limit (" + w.detail + ")";
    if (m.from.address.empty() && m.to.empty() && m.subject.empty() && m.body_text.empty() &&
        m.in_reply_to.empty() && m.references.empty())
        return "no header and no text: not a mail message";
    return std::nullopt;
}

// A batch also ends after this many bytes of raw mail: two batches are in memory at once (one
// parsed, one being written), and parsed messages take about four times their raw size, so with
// 5 KB messages 4,000 of them made peak RSS 94 MB against a 100 MB budget (bench/README.md).
constexpr size_t kMaxBatchBytes = 8u << 20;

// The unit of work between the stages: a few consecutive messages of one source, their parsed
// form and why each is skipped (nullopt: stored). The raw bytes are released once parsed: the
// writer only needs positions. Chunks are small so that the workers share the work evenly and
// the writer starts storing while the rest of the batch is parsed (Enron's 18,734 messages made
// only five 4,000-message batches: the first batch's reading and parsing and the last one's
// writing overlapped with nothing).
struct Chunk {
    std::vector<parsers::RawMessage> raws;
    std::vector<Message> msgs;
    std::vector<store::EncodedColumns> encoded;  // encoded by the worker: the writer only binds
    std::vector<std::optional<std::string>> skip;
    size_t raw_bytes = 0;
    bool ends_batch = false;  // the writer commits the transaction after storing this chunk
    bool parsed = false;
};

// A chunk ends after this many messages or bytes of raw mail (or at the end of a batch).
constexpr size_t kChunkMessages = 32;
constexpr size_t kChunkBytes = 256u << 10;
// The reader waits while this much raw mail is read but not yet stored: the same bound as the
// two 8 MiB batches of the former read/parse | write pipeline.
constexpr size_t kMaxInFlightBytes = 2 * kMaxBatchBytes;

// Chunks in read order, shared by the reader (push), the parse workers (take, parsed) and the
// writer (next_parsed). One mutex: a chunk is a few dozen messages, so locking is rare.
class ChunkQueue {
public:
    // Reader: false when the writer failed (stop): nothing more is wanted.
    bool push(std::unique_ptr<Chunk> c) {
        std::unique_lock lk(mu_);
        room_.wait(lk, [&] { return stopped_ || in_flight_ < kMaxInFlightBytes; });
        if (stopped_) return false;
        in_flight_ += c->raw_bytes;
        chunks_.push_back(std::move(c));
        work_.notify_one();
        return true;
    }
    // Reader: no more chunks.
    void close() {
        std::lock_guard lk(mu_);
        closed_ = true;
        work_.notify_all();
        done_.notify_all();
    }
    // On an error (the writer's, or an exception while reading): every stage gives up.
    void stop() {
        std::lock_guard lk(mu_);
        stopped_ = true;
        room_.notify_all();
        work_.notify_all();
        done_.notify_all();
    }
    // Worker: the next chunk to parse, nullptr once the queue is closed and every chunk taken.
    // The chunk stays owned by the queue (the writer pops it only once parsed). Chunks the
    // writer has stored are freed here on the way, outside the lock: freeing a chunk's messages
    // was 2 % of the writer's instructions, and the writer is the pipeline's busiest thread.
    Chunk* take() {
        for (;;) {
            std::vector<std::unique_ptr<Chunk>> stored;
            {
                std::unique_lock lk(mu_);
                work_.wait(lk, [&] { return stopped_ || closed_ || next_parse_ < chunks_.size() || !stored_.empty(); });
                stored.swap(stored_);
                if (stored.empty()) {
                    if (stopped_ || next_parse_ >= chunks_.size()) return nullptr;
                    return chunks_[next_parse_++].get();
                }
            }
            stored.clear();
        }
    }
    // Writer: a chunk it has stored, for a worker to free (the ones left when the workers have
    // ended go with the queue).
    void recycle(std::unique_ptr<Chunk> c) {
        std::lock_guard lk(mu_);
        stored_.push_back(std::move(c));
        if (stored_.size() == 1) work_.notify_one();
    }
    void parsed(Chunk* c) {
        std::lock_guard lk(mu_);
        c->parsed = true;
        done_.notify_one();
    }
    // Writer: the oldest chunk once parsed, in read order; nullptr when closed and drained, or
    // stopped.
    std::unique_ptr<Chunk> next_parsed() {
        std::unique_lock lk(mu_);
        done_.wait(lk, [&] {
            return stopped_ || (!chunks_.empty() && chunks_.front()->parsed) || (closed_ && chunks_.empty());
        });
        if (stopped_ || chunks_.empty()) return nullptr;
        std::unique_ptr<Chunk> c = std::move(chunks_.front());
        chunks_.pop_front();
        --next_parse_;  // the front was taken (it is parsed), so next_parse_ >= 1
        in_flight_ -= c->raw_bytes;
        room_.notify_one();
        return c;
    }

private:
    std::mutex mu_;
    std::condition_variable room_, work_, done_;
    std::deque<std::unique_ptr<Chunk>> chunks_;  // read order; the front is the next to store
    std::vector<std::unique_ptr<Chunk>> stored_;  // stored by the writer, to be freed by a worker
    size_t next_parse_ = 0;                       // index in chunks_ of the first chunk not taken
    size_t in_flight_ = 0;                        // raw bytes of the chunks in chunks_
    bool closed_ = false, stopped_ = false;
};


}  // namespace

// The crash tests' hook (ingest.h), for the file ingest and the IMAP sync alike.
void fault_injection_after_commit() {
    // Only with ILC_TESTING_FAULTS=1 as well (as the team publish's fault): a stray variable in
    // a user's environment must not kill a real run.
    static const char* armed = std::getenv("ILC_TESTING_FAULTS");
    static const char* env = armed && std::string_view(armed) == "1" ? std::getenv("ILC_TEST_ABORT_AFTER_BATCHES") : nullptr;
    static long remaining = env ? std::atol(env) : -1;
    if (remaining > 0 && --remaining == 0) std::_Exit(75);
}

void fault_injection_on_message(const Message& m) {
    static const char* armed = std::getenv("ILC_TESTING_FAULTS");
    static const char* marker = armed && std::string_view(armed) == "1" ? std::getenv("ILC_TEST_THROW_ON_SUBJECT") : nullptr;
    if (marker && *marker && m.subject.find(marker) != std::string::npos)
        throw std::runtime_error("test fault on a message");
}

Result<IngestSummary> ingest_sources(store::Store& store, const std::vector<std::string>& paths,
                                     const IngestOptions& options) {
    IngestSummary sum;
    const auto t0 = Clock::now();
    unsigned workers = options.workers ? options.workers : std::max(1u, std::thread::hardware_concurrency());
    const size_t batch_size = std::max<size_t>(1, options.batch_messages);

    // Owner settings: given ones replace the stored ones; otherwise the stored ones stay.
    if (!options.me.empty()) {
        std::vector<std::string> me;
        for (auto a : options.me) {
            std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
            me.push_back(a);
        }
        if (auto st = store.set_owner_addresses(me); !st) return st.error();
    }
    if (!options.internal_domains.empty()) {
        std::vector<std::string> d;
        for (auto a : options.internal_domains) {
            std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
            d.push_back(a);
        }
        if (auto st = store.set_internal_domains(d); !st) return st.error();
    }
    std::vector<std::pair<std::string, std::string>> sent_from;  // for owner inference

    int64_t messages_seen = 0;  // all sources, for the progress line
    auto last_report = Clock::now() - std::chrono::seconds(1);
    auto report = [&](const std::string& src, int64_t done, int64_t total, bool force_report) {
        if (!options.on_progress) return;
        auto now = Clock::now();
        if (!force_report && now - last_report < std::chrono::milliseconds(100)) return;
        last_report = now;
        options.on_progress(Progress{src, done, total, messages_seen,
                                     std::chrono::duration<double>(now - t0).count()});
    };

    for (const auto& given : paths) {
        SourceSummary ss;
        std::error_code ec;
        std::string path = fs::absolute(given, ec).lexically_normal().string();
        if (ec) path = given;
        ss.path = path;
        auto kind = parsers::detect_source_kind(path);
        ss.kind = kind_name(kind);

        auto opened = parsers::open_source(path, options.parser);
        if (!opened) {
            ss.error = opened.error().to_string();
            sum.sources.push_back(ss);
            continue;
        }
        auto& source = *opened.value();
        // A Maildir's files are opened and read by the parse workers (Source::load), this thread
        // only lists them: the open/read/close per message made the reader the pipeline's
        // bottleneck (0.9 s of system time on 100,000 files against 0.35 s for the same mbox).
        source.defer_reads();

        auto prev_r = store.source_progress(path);
        if (!prev_r) return prev_r.error();
        // The fingerprint is needed before reading only to tell whether a source stored whole
        // before is unchanged. Otherwise a Maildir computes it as next() lists its files
        // (fingerprint_later): its stat per file overlaps the parsing instead of delaying the
        // first message (0.12 s for 100,000 files). When it is needed first, a Maildir still
        // computes it from the walk its listing then uses: one fstatat per file either way.
        const bool fingerprint_later =
            !(prev_r.value() && prev_r.value()->completed && !options.force) && source.defer_fingerprint();
        parsers::Fingerprint fp;  // fingerprint_later: {0, 0} in the batches' progress until the end
        if (!fingerprint_later) {
            const std::optional<parsers::Fingerprint> listed = source.fingerprint();
            fp = listed ? *listed : parsers::fingerprint_path(path);
        }
        store::SourceProgress prog;
        prog.path = path;
        prog.kind = ss.kind;
        if (auto& prev = prev_r.value()) {
            if (prev->completed && prev->size == fp.size && prev->mtime == fp.mtime && !options.force) {
                ss.unchanged = true;
                sum.sources.push_back(ss);
                continue;
            }
            // An mbox that only grew (mail appended) resumes after what was stored; an interrupted
            // run resumes too. Anything else (shrunk, rewritten tree) is read again: duplicates are cheap.
            if (kind == parsers::SourceKind::mbox && prev->done_offset > 0 && fp.size >= prev->done_offset &&
                !options.force) {
                prog.done_offset = prev->done_offset;
                prog.message_count = prev->message_count;
                source.seek(prev->done_offset);
                ss.resumed_from = prev->done_offset;
            } else if (kind != parsers::SourceKind::mbox && !prev->completed && prev->message_count > 0 &&
                       !options.force) {
                // Trees are walked in a deterministic order: skip what the interrupted run
                // stored without parsing it again (reading is cheap next to parsing).
                prog.message_count = prev->message_count;
                for (int64_t k = 0; k < prev->message_count && source.next(); ++k) {
                }
                ss.resumed_from = prev->message_count;
            }
        }
        prog.size = fp.size;
        prog.mtime = fp.mtime;
        int64_t tree_count = (kind == parsers::SourceKind::mbox) ? 0 : prog.message_count;

        // Three stages overlap (docs/PERFORMANCE.md "Ingest pipeline"): this thread reads chunks,
        // `workers` threads parse them, the writer thread stores them in read order. A batch (one
        // transaction, committed with the source's progress) still ends at batch_size messages or
        // kMaxBatchBytes of raw mail. The Store is only ever used by one thread at a time: the
        // writer owns it between its start and its join, and this thread touches it again only
        // after the join.
        ChunkQueue queue;
        auto store_chunks = [&]() -> Status {
            std::optional<store::WriteBatch> tx;
            // The folder is the same for long runs of messages (a whole mbox file): whether it is
            // a sent folder is decided once per run, not once per message.
            std::string folder_seen;
            bool folder_known = false, folder_is_sent = false;
            auto commit = [&]() -> Status {
                // Progress is committed with the messages it covers: a crash resumes exactly here.
                prog.completed = false;
                if (auto st = store.set_source_progress(prog); !st) return st;
                Status st = tx->commit();
                tx.reset();
                if (!st) return st;
                fault_injection_after_commit();
                return ok_status();
            };
            while (std::unique_ptr<Chunk> c = queue.next_parsed()) {
                if (!tx) {
                    tx.emplace(store);
                    if (!tx->status()) return tx->status();
                }
                const size_t n = c->raws.size();
                for (size_t i = 0; i < n; ++i) {
                    Message& m = c->msgs[i];
                    ++ss.read;
                    if (c->skip[i]) {
                        ++ss.skipped;
                        store::IngestIssue issue{path, c->raws[i].pos.offset, m.synthetic_id ? "" : m.message_id,
                                                 "skipped", *c->skip[i]};
                        sum.skipped_messages.push_back(issue);
                        if (auto st = store.record_issue(issue); !st) return st;
                        continue;
                    }
                    if (!m.warnings.empty()) {
                        ++ss.repaired;
                        for (const auto& wn : m.warnings) {
                            store::IngestIssue issue{path, wn.offset >= 0 ? c->raws[i].pos.offset + wn.offset : c->raws[i].pos.offset,
                                                     m.message_id, wn.code, wn.detail};
                            if (sum.repairs.size() < 1000) sum.repairs.push_back(issue);
                            if (auto st = store.record_issue(issue); !st) return st;
                        }
                    }
                    if (!folder_known || m.source.folder != folder_seen) {
                        folder_is_sent = is_sent_folder(m.source.folder);
                        folder_seen = m.source.folder;
                        folder_known = true;
                    }
                    if (folder_is_sent) sent_from.emplace_back(m.from.name, m.from.address);
                    auto ins = store.insert_message(m, c->encoded[i]);
                    if (!ins) return ins.error();
                    if (ins.value() == store::InsertOutcome::inserted) ++ss.stored;
                    else ++ss.duplicates;
                }
                const auto& last = c->raws.back().pos;
                if (kind == parsers::SourceKind::mbox) prog.done_offset = last.offset + last.length;
                tree_count += static_cast<int64_t>(n);
                prog.message_count = kind == parsers::SourceKind::mbox ? prog.message_count + static_cast<int64_t>(n)
                                                                       : tree_count;
                if (c->ends_batch)
                    if (auto st = commit(); !st) return st;
                queue.recycle(std::move(c));
            }
            // The source ended in the middle of a batch: that batch ends here.
            return tx ? commit() : ok_status();
        };
        Status write_status = ok_status();
        std::thread writer([&] {
            write_status = store_chunks();
            if (!write_status) queue.stop();
        });

        // Read (deferred sources) + parse + understand, no shared state but the queue and the
        // source's load(), which is safe to call from any thread.
        auto work = [&] {
            while (Chunk* c = queue.take()) {
                const size_t n = c->raws.size();
                c->msgs.resize(n);
                c->skip.assign(n, std::nullopt);
                c->encoded.resize(n);
                for (size_t i = 0; i < n; ++i) {
                    // The parsers and the text layer are fuzzed and report bad mail as warnings;
                    // should one still throw on some message (a bug of ours, or memory running
                    // out on a huge one), that message is skipped and reported with its position
                    // and the reason, and every other message is stored: an exception escaping
                    // this thread would end the process and the whole ingest with it.
                    try {
                        if (c->raws[i].unread) source.load(c->raws[i]);
                        build_message(c->raws[i], options.parser, c->msgs[i]);
                        c->skip[i] = skip_reason(c->raws[i], c->msgs[i], options.parser);
                        if (!c->skip[i]) c->encoded[i] = store::encode_columns(c->msgs[i]);
                    } catch (const std::exception& e) {
                        c->msgs[i] = Message{};
                        c->skip[i] = std::string("could not be read (") + e.what() + "); please report it";
                    }
                    std::string().swap(c->raws[i].bytes);
                    c->msgs[i].body_text.clear();
                    c->msgs[i].body_text.shrink_to_fit();
                }
                queue.parsed(c);
            }
        };
        std::vector<std::thread> pool;
        for (unsigned k = 0; k < workers; ++k) pool.emplace_back(work);

        // Read: chunks of kChunkMessages / kChunkBytes, cut at every batch end too. Should reading
        // throw, the other stages are stopped and joined first (a joinable std::thread must not be
        // destroyed); the writer then commits what it stored so far, with its progress.
        size_t batch_count = 0, batch_bytes = 0;
        auto chunk = std::make_unique<Chunk>();
        auto stop_and_join = [&] {
            queue.stop();
            for (auto& t : pool) t.join();
            writer.join();
        };
        try {
            while (chunk) {
                auto r = source.next();
                if (!r) break;
                // A message not read yet (deferred) counts its file size: the same batches and
                // the same bound on the mail in flight as when this thread read it.
                const size_t bytes = r->unread ? size_t(r->pos.length) : r->bytes.size();
                chunk->raws.push_back(std::move(*r));
                chunk->raw_bytes += bytes;
                batch_bytes += bytes;
                ++batch_count;
                ++messages_seen;
                // Without a progress line bytes_total() is not asked for until the end, when a
                // deferred Maildir knows it from its listing instead of walking the folders again.
                if (messages_seen % 64 == 0 && options.on_progress)
                    report(path, source.bytes_done(), source.bytes_total(), false);
                chunk->ends_batch = batch_count >= batch_size || batch_bytes >= kMaxBatchBytes;
                if (chunk->ends_batch) batch_count = batch_bytes = 0;
                if (chunk->ends_batch || chunk->raws.size() >= kChunkMessages || chunk->raw_bytes >= kChunkBytes) {
                    // push() fails when the writer failed: stop reading (chunk stays null).
                    if (queue.push(std::move(chunk))) chunk = std::make_unique<Chunk>();
                }
            }
            if (chunk && !chunk->raws.empty()) queue.push(std::move(chunk));
        } catch (...) {
            stop_and_join();
            throw;
        }
        queue.close();
        for (auto& t : pool) t.join();
        writer.join();
        if (!write_status) return write_status.error();
        if (auto err = source.error()) {
            ss.error = err->to_string();
        } else {
            if (fingerprint_later)
                if (const auto listed = source.fingerprint()) {
                    prog.size = listed->size;
                    prog.mtime = listed->mtime;
                }
            prog.completed = true;
            if (auto st = store.set_source_progress(prog); !st) return st.error();
        }
        sum.bytes += source.bytes_total();
        report(path, source.bytes_total(), source.bytes_total(), true);
        sum.read += ss.read;
        sum.stored += ss.stored;
        sum.duplicates += ss.duplicates;
        sum.repaired += ss.repaired;
        sum.skipped += ss.skipped;
        sum.sources.push_back(ss);
    }

    // Owner: given, else stored, else inferred from the sent folders' senders.
    auto owner = store.owner_addresses();
    if (!owner) return owner.error();
    sum.owner = owner.value();
    if (sum.owner.empty()) {
        sum.owner = infer_owner(sent_from);
        if (!sum.owner.empty()) {
            sum.owner_inferred = true;
            if (auto st = store.set_owner_addresses(sum.owner); !st) return st.error();
        }
    }
    auto counts = store.counts();
    if (counts) sum.total_messages = counts->messages;
    sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return sum;
}

}  // namespace ilc::ingest
