// The ingest pipeline (see ingest.h and docs/PERFORMANCE.md). Shape: the caller's thread reads
// raw messages from one source at a time into a batch; the batch is parsed and understood on
// `workers` threads (each takes a contiguous slice, so no locking per message); then a writer
// thread stores it in one transaction together with the source's progress, while the next batch
// is read and parsed. Peak memory is two batches of messages.
#include "interlocutor/ingest/ingest.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
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
        case parsers::SourceKind::eml_file:
        case parsers::SourceKind::eml_tree: return "eml";
        case parsers::SourceKind::pst: return "pst";
        default: return "unknown";
    }
}

// What tells us a source changed since it was last stored: size and mtime for a file; for a
// directory tree, the number of files, their total size and the newest mtime (a stat per file,
// much cheaper than reading them).
struct Fingerprint {
    int64_t size = 0, mtime = 0;
};

Fingerprint fingerprint(const std::string& path) {
    Fingerprint fp;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        int64_t files = 0;
        for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            struct stat st {};
            if (it->is_regular_file(ec) && ::stat(it->path().c_str(), &st) == 0) {
                ++files;
                fp.size += st.st_size;
                fp.mtime = std::max<int64_t>(fp.mtime, st.st_mtime);
            }
        }
        fp.size = fp.size * 1000003 + files;  // a moved/renamed-flag file changes the count mix
        return fp;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        fp.size = st.st_size;
        fp.mtime = st.st_mtime;
    }
    return fp;
}

// Parsed (the RawMessage overload adds the mbox "From " line / mtime date fallbacks, the
// flags and the container's warnings) and understood.
void build_message(const parsers::RawMessage& raw, const parsers::ParserOptions& popts, Message& out) {
    out = parsers::parse_message(raw, popts);
    text::understand(out);
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

// One batch of the pipeline: the raw messages (bytes released once parsed), their parsed
// form, and why each is skipped (nullopt: stored).
struct Batch {
    std::vector<parsers::RawMessage> raws;
    std::vector<Message> msgs;
    std::vector<std::optional<std::string>> skip;
};

// Tests simulate a crash mid-ingest: ILC_TEST_ABORT_AFTER_BATCHES=N ends the process right
// after the N-th committed batch, as a kill -9 would (exit code 75).
void fault_injection_after_commit() {
    static const char* env = std::getenv("ILC_TEST_ABORT_AFTER_BATCHES");
    static long remaining = env ? std::atol(env) : -1;
    if (remaining > 0 && --remaining == 0) std::_Exit(75);
}

}  // namespace

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

        const Fingerprint fp = fingerprint(path);
        auto prev_r = store.source_progress(path);
        if (!prev_r) return prev_r.error();
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

        // Two stages overlap (2 cores: parsing is ~80 % of the work, writing ~20 %): while the
        // writer thread stores batch k in one transaction, this thread reads batch k+1 and the
        // workers parse it. The Store is only ever used by one thread at a time: the writer owns it
        // between launch and join, and this thread touches it again only after the join.
        Batch cur, inflight;
        cur.raws.reserve(batch_size);
        std::future<Status> writer;
        auto join_writer = [&]() -> Status {
            if (!writer.valid()) return ok_status();
            return writer.get();
        };
        auto write = [&](Batch& b) -> Status {
            store::WriteBatch tx(store);
            if (!tx.status()) return tx.status();
            const size_t n = b.raws.size();
            for (size_t i = 0; i < n; ++i) {
                Message& m = b.msgs[i];
                ++ss.read;
                if (b.skip[i]) {
                    ++ss.skipped;
                    store::IngestIssue issue{path, b.raws[i].pos.offset, m.synthetic_id ? "" : m.message_id,
                                             "skipped", *b.skip[i]};
                    sum.skipped_messages.push_back(issue);
                    if (auto st = store.record_issue(issue); !st) return st;
                    continue;
                }
                if (!m.warnings.empty()) {
                    ++ss.repaired;
                    for (const auto& wn : m.warnings) {
                        store::IngestIssue issue{path, wn.offset >= 0 ? b.raws[i].pos.offset + wn.offset : b.raws[i].pos.offset,
                                                 m.message_id, wn.code, wn.detail};
                        if (sum.repairs.size() < 1000) sum.repairs.push_back(issue);
                        if (auto st = store.record_issue(issue); !st) return st;
                    }
                }
                if (is_sent_folder(m.source.folder)) sent_from.emplace_back(m.from.name, m.from.address);
                auto ins = store.insert_message(m);
                if (!ins) return ins.error();
                if (ins.value() == store::InsertOutcome::inserted) ++ss.stored;
                else ++ss.duplicates;
            }
            // Progress is committed with the messages it covers: a crash resumes exactly here.
            const auto& last = b.raws.back().pos;
            if (kind == parsers::SourceKind::mbox) prog.done_offset = last.offset + last.length;
            tree_count += static_cast<int64_t>(n);
            prog.message_count = kind == parsers::SourceKind::mbox ? prog.message_count + static_cast<int64_t>(n)
                                                                   : tree_count;
            prog.completed = false;
            if (auto st = store.set_source_progress(prog); !st) return st;
            if (auto st = tx.commit(); !st) return st;
            fault_injection_after_commit();
            return ok_status();
        };

        bool at_end = false;
        while (!at_end) {
            cur.raws.clear();
            size_t batch_bytes = 0;
            while (cur.raws.size() < batch_size && batch_bytes < kMaxBatchBytes) {
                auto r = source.next();
                if (!r) {
                    at_end = true;
                    break;
                }
                batch_bytes += r->bytes.size();
                cur.raws.push_back(std::move(*r));
                ++messages_seen;
                if (cur.raws.size() % 64 == 0) report(path, source.bytes_done(), source.bytes_total(), false);
            }
            if (cur.raws.empty()) break;

            // Parse + understand on every core: contiguous slices, no shared state. The raw bytes
            // are released as soon as a message is parsed: the writer only needs positions.
            const size_t n = cur.raws.size();
            cur.msgs.assign(n, Message{});
            cur.skip.assign(n, std::nullopt);
            const unsigned w = static_cast<unsigned>(std::min<size_t>(workers, n));
            std::vector<std::thread> pool;
            auto work = [&](size_t lo, size_t hi) {
                for (size_t i = lo; i < hi; ++i) {
                    build_message(cur.raws[i], options.parser, cur.msgs[i]);
                    cur.skip[i] = skip_reason(cur.raws[i], cur.msgs[i], options.parser);
                    std::string().swap(cur.raws[i].bytes);
                    cur.msgs[i].body_text.clear();
                    cur.msgs[i].body_text.shrink_to_fit();
                }
            };
            for (unsigned k = 1; k < w; ++k) pool.emplace_back(work, n * k / w, n * (k + 1) / w);
            work(0, n / w);
            for (auto& t : pool) t.join();

            if (auto st = join_writer(); !st) return st.error();
            report(path, source.bytes_done(), source.bytes_total(), false);
            std::swap(cur, inflight);
            writer = std::async(std::launch::async, [&write, &inflight] { return write(inflight); });
        }
        if (auto st = join_writer(); !st) return st.error();
        if (auto err = source.error()) {
            ss.error = err->to_string();
        } else {
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
