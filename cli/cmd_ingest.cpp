// interlocutor ingest SOURCE... : mailbox exports into the store, with progress and a summary.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>

#include "common.h"
#include "interlocutor/ingest/ingest.h"
#include "interlocutor/ingest/thunderbird.h"
#include "interlocutor/json_writer.h"
#if ILC_HAVE_IMAP
#include <cstdlib>

#include "interlocutor/imap/imap.h"
#endif

namespace ilc::cli {

namespace {

std::string human_bytes(double b) {
    char buf[32];
    if (b >= 1 << 30) std::snprintf(buf, sizeof buf, "%.1f GB", b / (1 << 30));
    else if (b >= 1 << 20) std::snprintf(buf, sizeof buf, "%.1f MB", b / (1 << 20));
    else std::snprintf(buf, sizeof buf, "%.0f KB", b / 1024);
    return buf;
}

std::string base_name(const std::string& p) {
    auto s = p.find_last_of('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

void print_summary_text(const ingest::IngestSummary& s, std::ostream& o) {
    o << "ingest: " << s.read << " messages read, " << s.stored << " stored, " << s.duplicates
      << " duplicates, " << s.repaired << " repaired, " << s.skipped << " skipped";
    char buf[64];
    std::snprintf(buf, sizeof buf, " in %.2f s", s.seconds);
    o << buf;
    if (s.seconds > 0 && s.read > 0) {
        std::snprintf(buf, sizeof buf, " (%.0f msg/s, %s/s)", s.read / s.seconds,
                      human_bytes(s.bytes / s.seconds).c_str());
        o << buf;
    }
    o << "\n";
    for (const auto& src : s.sources) {
        o << "  " << src.path << " [" << src.kind << "]: ";
        if (!src.error.empty() && src.read == 0) o << "ERROR " << src.error;
        else if (src.unchanged) o << "unchanged since the last ingest, not read again";
        else {
            o << src.read << " read, " << src.stored << " stored, " << src.duplicates << " duplicates";
            if (src.repaired) o << ", " << src.repaired << " repaired";
            if (src.skipped) o << ", " << src.skipped << " skipped";
            if (src.resumed_from) o << " (resumed at " << src.resumed_from << ")";
            if (!src.error.empty()) o << "; stopped early: " << src.error;
        }
        o << "\n";
    }
    if (!s.skipped_messages.empty()) {
        o << "skipped messages:\n";
        for (const auto& i : s.skipped_messages)
            o << "  " << i.source_path << " @" << i.offset << ": " << i.detail << "\n";
    }
    if (!s.repairs.empty()) {
        std::map<std::string, int> by_code;
        for (const auto& r : s.repairs) ++by_code[r.code];
        o << "repairs by kind:";
        for (const auto& [code, n] : by_code) o << " " << code << "=" << n;
        o << " (details: 'interlocutor inspect --message-id ID')\n";
    }
    o << "store: " << s.total_messages << " messages; owner: ";
    if (s.owner.empty()) o << "unknown (give --me ADDRESS)";
    for (size_t i = 0; i < s.owner.size(); ++i) o << (i ? ", " : "") << s.owner[i];
    if (s.owner_inferred) o << " (inferred from the sent folders)";
    o << "\n";
}

void print_summary_json(const ingest::IngestSummary& s, std::ostream& o) {
    JsonWriter w(true);
    w.begin_object();
    w.kv("read", s.read).kv("stored", s.stored).kv("duplicates", s.duplicates).kv("repaired", s.repaired);
    w.kv("skipped", s.skipped).kv("seconds", s.seconds).kv("bytes", s.bytes).kv("total_messages", s.total_messages);
    w.key("owner").begin_array();
    for (const auto& a : s.owner) w.value(a);
    w.end_array().kv("owner_inferred", s.owner_inferred);
    w.key("sources").begin_array();
    for (const auto& src : s.sources) {
        w.begin_object().kv("path", src.path).kv("kind", src.kind).kv("read", src.read).kv("stored", src.stored);
        w.kv("duplicates", src.duplicates).kv("repaired", src.repaired).kv("skipped", src.skipped);
        w.kv("unchanged", src.unchanged).kv("resumed_from", src.resumed_from).kv("error", src.error).end_object();
    }
    w.end_array();
    w.key("skipped_messages").begin_array();
    for (const auto& i : s.skipped_messages)
        w.begin_object().kv("source", i.source_path).kv("offset", i.offset).kv("reason", i.detail).end_object();
    w.end_array();
    w.key("repairs").begin_array();
    for (const auto& i : s.repairs)
        w.begin_object().kv("source", i.source_path).kv("offset", i.offset).kv("message_id", i.message_id)
            .kv("code", i.code).kv("detail", i.detail).end_object();
    w.end_array();
    w.end_object();
    o << w.str() << "\n";
}

}  // namespace

int cmd_ingest(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        db_option(),
        {"me", true, true, "an address of the mailbox owner (default: inferred from the sent folders)", "ADDR"},
        {"internal-domain", true, true, "a domain of the owner's company (default: the owner's)", "DOMAIN"},
        {"workers", true, false, "parse threads (default: one per core)", "N"},
        {"batch", true, false, "messages per write transaction (default: 4000)", "N"},
        {"force", false, false, "read every source again, even unchanged ones", ""},
        {"thunderbird", false, false, "also read the local mail stores of the user's Thunderbird profiles", ""},
        {"quiet", false, false, "no progress line", ""},
        {"format", true, false, "summary format: text (default) or json", "FORMAT"},
#if ILC_HAVE_IMAP
        {"imap-ca", true, false, "CA certificates (PEM) to trust for imaps:// and imap:// (default: ILC_IMAP_CA, else the system's)", "FILE"},
        {"imap-full-flags", false, false, "without CONDSTORE on the server, also read every stored message's flags to find changes", ""},
#endif
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("ingest", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor ingest SOURCE... [options]",
                                 "Reads mbox files (also .gz, mboxrd/cl), Maildir/Maildir++ folders and .eml files or\n"
                                 "trees into the store. Re-ingesting is idempotent; an interrupted run resumes.",
                                 specs);
        return 0;
    }
    // --thunderbird: the mbox files and maildir folders of every Thunderbird profile join the sources.
    std::vector<std::string> sources = args.positionals();
    if (args.has("thunderbird")) {
        auto stores = ingest::find_all_thunderbird_stores();
        if (!stores) return runtime_error(stores.error());
        for (const auto& st : stores.value()) sources.push_back(st.path);
        if (stores->empty()) std::cerr << "ingest: the Thunderbird profiles hold no local mail store yet\n";
    }
    if (sources.empty())
        return usage_error("ingest", args.has("thunderbird") ? "no Thunderbird mail store found"
                                                             : "give at least one SOURCE (a file or directory), or --thunderbird");
    const std::string format = args.get_or("format", "text");
    if (format != "text" && format != "json") return usage_error("ingest", "--format must be text or json");

    ingest::IngestOptions opts;
    opts.me = args.all("me");
    opts.internal_domains = args.all("internal-domain");
    opts.force = args.has("force");
    if (auto w = args.get("workers")) {
        try {
            opts.workers = static_cast<unsigned>(std::stoul(*w));
        } catch (...) {
            return usage_error("ingest", "--workers needs a number");
        }
    }
    if (auto b = args.get("batch")) {
        try {
            opts.batch_messages = std::stoul(*b);
        } catch (...) {
            return usage_error("ingest", "--batch needs a number");
        }
    }
    const bool tty = isatty(STDERR_FILENO) && !args.has("quiet");
    if (tty) {
        opts.on_progress = [](const ingest::Progress& p) {
            int pct = p.bytes_total > 0 ? static_cast<int>(100.0 * p.bytes_done / p.bytes_total) : 0;
            std::fprintf(stderr, "\r\033[K  %s  %3d%%  %lld messages  %.1f s", base_name(p.source).c_str(), pct,
                         static_cast<long long>(p.messages), p.seconds);
            std::fflush(stderr);
        };
    }
    // A store this run creates is filled without a WAL until the run ends (docs/STORE.md, "First ingest").
    store::OpenOptions open_opts;
    open_opts.bulk_create = true;
    auto st = store::Store::open(db_path(args), store::OpenMode::read_write, open_opts);
    if (!st) return runtime_error(st.error());
    if (!st.value()->open_note().empty()) std::fprintf(stderr, "interlocutor: %s\n", st.value()->open_note().c_str());
#if ILC_HAVE_IMAP
    // imap:// and imaps:// sources are synced by core/imap (docs/IMAP.md); the others are files.
    std::vector<std::string> file_sources;
    for (const auto& src : sources) {
        if (src.rfind("imap://", 0) != 0 && src.rfind("imaps://", 0) != 0) {
            file_sources.push_back(src);
            continue;
        }
        imap::SyncOptions so;
        so.me = opts.me;
        so.internal_domains = opts.internal_domains;
        const char* ca_env = std::getenv("ILC_IMAP_CA");
        so.connect.ca_file = args.get_or("imap-ca", ca_env ? ca_env : "");
        if (args.has("imap-full-flags")) so.full_flags = true;
        if (tty)
            so.on_progress = [](const imap::SyncProgress& p) {
                std::fprintf(stderr, "\r\033[K  %s  %lld/%lld  %lld messages  %.1f s", p.folder.c_str(),
                             static_cast<long long>(p.folder_done), static_cast<long long>(p.folder_total),
                             static_cast<long long>(p.messages), p.seconds);
                std::fflush(stderr);
            };
        auto synced = imap::sync(*st.value(), src, so);
        if (tty) std::fprintf(stderr, "\r\033[K");
        if (!synced) return runtime_error(synced.error());
        std::cout << (format == "json" ? imap::summary_json(synced.value()) : imap::summary_text(synced.value()));
    }
    if (file_sources.empty()) return kExitOk;
    sources = file_sources;
#endif
    auto sum = ingest::ingest_sources(*st.value(), sources, opts);
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (!sum) return runtime_error(sum.error());
    if (format == "json") print_summary_json(sum.value(), std::cout);
    else print_summary_text(sum.value(), std::cout);
    bool any_error = false;
    for (const auto& s : sum->sources) any_error |= !s.error.empty() && s.read == 0;
    return any_error ? kExitError : kExitOk;
}

}  // namespace ilc::cli
