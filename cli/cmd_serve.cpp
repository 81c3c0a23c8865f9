// interlocutor serve: the local HTTP service (SPEC "Local service"); the work is in service/.
#include <filesystem>
#include <iostream>

#include "common.h"

#if ILC_HAVE_SERVICE
#include "interlocutor/detect/settings.h"
#include "interlocutor/ingest/ingest.h"
#include "interlocutor/service/serve_app.h"
#include "interlocutor/service/service.h"
#include "interlocutor/store/store.h"
#endif
#if ILC_HAVE_SERVICE && ILC_HAVE_IMAP
#include <cstdlib>

#include "interlocutor/imap/imap.h"
#endif
#if ILC_HAVE_SERVICE && ILC_HAVE_TEAM
#include "interlocutor/team/publish.h"
#include "interlocutor/team/team_config.h"
#include "interlocutor/team/sql_connection.h"
#endif

namespace ilc::cli {

#if ILC_HAVE_TEAM
int cmd_team(int argc, char** argv);
#endif

#if !ILC_HAVE_SERVICE
int cmd_serve(int, char**) {
    std::cerr << "interlocutor serve: this build has no service (Poco); rebuild with service/\n";
    return kExitUsage;
}
#else
int cmd_serve(int argc, char** argv) {
    std::vector<OptionSpec> specs = {
        db_option(),
        {"port", true, false, "TCP port on 127.0.0.1 (default: 8765; 0 = any free port)", "N"},
        {"token-file", true, false, "the access token file, created with mode 0600 (default: <db dir>/token)", "FILE"},
        {"open", false, false, "print a dashboard URL that logs the browser in (holds the token: do not share)", ""},
        {"service-config", true, false, "the service's own settings (INI/.properties: serve.port, serve.sources...; docs/API.md)", "FILE"},
        {"static-dir", true, false, "the dashboard files (default: $ILC_STATIC_DIR, then the installed share/interlocutor/static)", "DIR"},
        {"log-file", true, false, "the service log (default: <db dir>/serve.log)", "FILE"},
        {"source", true, true, "a source POST /v1/ingest reads (besides the store's recorded sources)", "PATH"},
        {"sync-every", true, false, "also ingest the sources every N minutes (default: only on POST /v1/ingest)", "MINUTES"},
        {"team", true, false, "serve the team view of this team database instead (docs/TEAM.md)", "URL"},
        {"publish-team", true, false, "also publish to this team database at start and on a schedule (default: [team] url when [team] sets publish_every)", "URL"},
        {"publish-every", true, false, "the publish interval: 30s, 15m, 1h (default: [team] publish_every, then 15m)", "DURATION"},
    };
    for (auto& o : analysis_option_specs()) specs.push_back(o);
    specs.push_back({"help", false, false, "show this help", ""});
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("serve", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor serve [--db FILE] [--port N] [--token-file F] [--open] [--service-config FILE]\n"
                                 "                   [--source PATH]... [--sync-every MINUTES] [--publish-team URL [--publish-every D]]\n"
                                 "                   [analyze options]",
                                 "Serves the JSON API (docs/API.md) and the manager dashboard on 127.0.0.1 until\n"
                                 "interrupted (Ctrl-C / SIGTERM). Every request but /v1/health needs the token:\n"
                                 "'Authorization: Bearer <token>'. The store is reloaded when an ingest changes it;\n"
                                 "POST /v1/ingest reads the --source paths and the store's recorded sources again.",
                                 specs);
        return 0;
    }
    if (!args.positionals().empty()) return usage_error("serve", "unexpected argument '" + args.positionals()[0] + "'");
#if ILC_HAVE_TEAM
    // serve --team URL is the manager's team view: the same program as 'interlocutor team serve'.
    if (auto team = args.get("team")) {
        std::vector<std::string> fwd = {"interlocutor", "team", "serve", "--team", *team};
        if (auto p = args.get("port")) fwd.insert(fwd.end(), {"--port", *p});
        std::vector<char*> fargv;
        for (auto& a : fwd) fargv.push_back(a.data());
        fargv.push_back(nullptr);
        return cmd_team(static_cast<int>(fwd.size()), fargv.data());
    }
#else
    if (args.has("team")) return usage_error("serve", "this build has no team mode (libpq); rebuild with core/team");
#endif
    int port = 8765;
    if (auto p = args.get("port")) {
        try {
            size_t used = 0;
            port = std::stoi(*p, &used);
            if (used != p->size() || port < 0 || port > 65535) throw std::out_of_range("port");
        } catch (const std::exception&) {
            return usage_error("serve", "--port must be a number from 0 to 65535");
        }
    }
    int sync_every = 0;
    if (auto p = args.get("sync-every")) {
        try {
            size_t used = 0;
            sync_every = std::stoi(*p, &used);
            if (used != p->size() || sync_every < 1 || sync_every > 7 * 24 * 60) throw std::out_of_range("sync-every");
        } catch (const std::exception&) {
            return usage_error("serve", "--sync-every must be a number of minutes from 1 to 10080");
        }
    }
    auto analysis = read_analysis_options(args);
    if (!analysis) return option_error("serve", analysis.error());

    service::ServiceOptions opts;
    opts.port = port;
    opts.token_file = args.get_or("token-file", "");
    opts.static_dir = args.get_or("static-dir", "");
    opts.log_file = args.get_or("log-file", "");
    opts.sources = args.all("source");
    opts.sync_every_minutes = sync_every;
    // POST /v1/ingest runs the ordinary ingest pipeline in the service's background thread.
    opts.ingest_runner = [](const std::string& db, const std::vector<std::string>& sources,
                            const std::function<void(const service::IngestProgress&)>& on_progress)
        -> Result<service::IngestOutcome> {
        auto st = store::Store::open(db, store::OpenMode::read_write);
        if (!st) return st.error();
        service::IngestOutcome o;
        std::vector<std::string> files;
        for (const auto& src : sources) {
            if (src.rfind("imap://", 0) != 0 && src.rfind("imaps://", 0) != 0) {
                files.push_back(src);
                continue;
            }
#if ILC_HAVE_IMAP
            // IMAP folders are synced incrementally (docs/IMAP.md); the password comes from
            // ILC_IMAP_PASSWORD or ~/.netrc, since a service has no terminal to ask on.
            imap::SyncOptions so;
            const char* ca_env = std::getenv("ILC_IMAP_CA");
            so.connect.ca_file = ca_env ? ca_env : "";
            so.on_progress = [&](const imap::SyncProgress& p) {
                on_progress(service::IngestProgress{src + " " + p.folder, p.folder_done, p.folder_total, p.messages});
            };
            auto synced = imap::sync(*st.value(), src, so);
            if (!synced) {
                o.source_errors.push_back(src + ": " + synced.error().message);
                continue;
            }
            o.read += synced->fetched;
            o.stored += synced->stored;
            o.duplicates += synced->duplicates;
            o.repaired += synced->repaired;
            o.skipped += synced->skipped;
            o.total_messages = synced->total_messages;
#else
            o.source_errors.push_back(src + ": this build has no IMAP support");
#endif
        }
        if (files.empty()) return o;
        ingest::IngestOptions io;
        io.workers = 1;  // the service shares the machine with the mail client: one parse thread
        io.on_progress = [&](const ingest::Progress& p) {
            on_progress(service::IngestProgress{p.source, p.bytes_done, p.bytes_total, p.messages});
        };
        auto r = ingest::ingest_sources(*st.value(), files, io);
        if (!r) return r.error();
        o.read += r->read;
        o.stored += r->stored;
        o.duplicates += r->duplicates;
        o.repaired += r->repaired;
        o.skipped += r->skipped;
        o.total_messages = r->total_messages;
        for (const auto& src : r->sources)
            if (!src.error.empty()) o.source_errors.push_back(src.path + ": " + src.error);
        return o;
    };
    opts.snapshot.db_path = db_path(args);
    // A service set up with sources (IMAP folders, mailboxes) may start before anything was
    // ingested: it creates the empty store, and POST /v1/ingest (or --sync-every) fills it.
    if (!opts.sources.empty() && !std::filesystem::exists(opts.snapshot.db_path)) {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(opts.snapshot.db_path).parent_path(), ec);
        auto created = store::Store::open(opts.snapshot.db_path, store::OpenMode::read_write);
        if (!created) return runtime_error(created.error());
        if (!created.value()->open_note().empty())
            std::fprintf(stderr, "interlocutor serve: %s\n", created.value()->open_note().c_str());
    }
    opts.snapshot.settings = analysis->settings;
    auto& settings = opts.snapshot.settings;
    if (args.has("me")) settings.owners = args.all("me");
    if (args.has("internal-domain")) settings.internal_domains = args.all("internal-domain");

    // Block the stop signals before any thread starts, so only the application's sigwait gets them.
    service::block_stop_signals();
    service::ServeAppOptions app;
    app.config_file = args.get_or("service-config", "");
    app.port_given = args.has("port");
    app.print_open_url = args.has("open");
    app.out = &std::cout;

#if ILC_HAVE_TEAM
    // The rep's scheduled team publish (docs/TEAM.md): --publish-team, or the config's [team]
    // when it sets publish_every (a [team] url alone is for 'interlocutor publish'). It runs in
    // its own thread, logged in the service log, and never holds a lock a request needs.
    const TeamSettings& tcfg = analysis->team;
    std::string publish_url = args.get_or("publish-team", "");
    if (publish_url.empty() && tcfg.publish_every_seconds > 0) publish_url = tcfg.url;
    int publish_every = tcfg.publish_every_seconds > 0 ? tcfg.publish_every_seconds : 15 * 60;
    if (auto e = args.get("publish-every")) {
        auto secs = team::parse_duration_seconds(*e);
        if (!secs) return usage_error("serve", "--publish-every takes a duration like 30s, 15m or 1h (at least 1s)");
        if (publish_url.empty()) return usage_error("serve", "--publish-every needs --publish-team URL (or url in the config's [team])");
        publish_every = *secs;
    }
    if (args.has("publish-team") && publish_url.empty()) return usage_error("serve", "--publish-team needs a URL");
    if (tcfg.publish_every_seconds > 0 && publish_url.empty())
        return usage_error("serve", "the config's [team] sets publish_every but no url");
    std::unique_ptr<team::ScheduledPublisher> publisher;
    if (!publish_url.empty()) {
        team::PublishRequest request;
        request.db_path = opts.snapshot.db_path;
        request.rep = tcfg.rep;
        request.settings = analysis->settings;
        request.owners = args.all("me");
        request.internal_domains = args.all("internal-domain");
        request.policy.private_accounts = tcfg.private_accounts;
        request.policy.exclusive_contacts = tcfg.exclusive_contacts;
        app.on_started = [&publisher, publish_url, publish_every, request](const service::ServeAppOptions::LogLine& log) {
            log(false, "team publish: to " + team::redact_url(publish_url) + " now and every " +
                           std::to_string(publish_every) + " s");
            publisher = std::make_unique<team::ScheduledPublisher>(publish_url, request, publish_every, log);
            publisher->start();
        };
        app.on_stopping = [&publisher] {
            if (publisher) publisher->stop();
        };
    }
#else
    if (args.has("publish-team")) return usage_error("serve", "this build has no team mode (libpq); rebuild with core/team");
#endif
    return service::run_serve_app(opts, app);
}
#endif

}  // namespace ilc::cli
