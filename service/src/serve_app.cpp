// The ServerApplication adapter: Poco's configuration and logging around Service. Poco
// exceptions stop here and become an exit code with a message, like every adapter.
#include "interlocutor/service/serve_app.h"

#include <Poco/AutoPtr.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/ServerApplication.h>
#include <pthread.h>

#include <csignal>
#include <filesystem>
#include <iostream>

namespace ilc::service {

namespace {

class ServeApp : public Poco::Util::ServerApplication {
public:
    ServeApp(ServiceOptions opts, ServeAppOptions app) : opts_(std::move(opts)), app_(std::move(app)) {}
    std::string failure;

protected:
    void initialize(Poco::Util::Application& self) override {
        Poco::Util::ServerApplication::initialize(self);
        // Poco's own handler would print a bare "Syntax error"; name the file and the key instead.
        try {
            configure();
        } catch (const Poco::Exception& e) {
            failure = (app_.config_file.empty() ? std::string() : app_.config_file + ": ") + e.displayText();
        }
    }

    void configure() {
        if (!app_.config_file.empty()) {
            if (!std::filesystem::is_regular_file(app_.config_file))
                throw Poco::FileNotFoundException("no such service config file (--service-config)");
            loadConfiguration(app_.config_file);
        }
        const auto& c = config();
        auto int_key = [&](const char* key, int def) {
            try {
                return c.getInt(key, def);
            } catch (const Poco::SyntaxException&) {
                throw Poco::InvalidArgumentException(std::string(key) + " must be a whole number, got '" + c.getString(key) + "'");
            }
        };
        if (!app_.port_given && c.has("serve.port")) opts_.port = int_key("serve.port", 0);
        if (opts_.port < 0 || opts_.port > 65535) throw Poco::InvalidArgumentException("serve.port must be from 0 to 65535");
        if (opts_.token_file.empty()) opts_.token_file = c.getString("serve.token_file", "");
        if (opts_.log_file.empty()) opts_.log_file = c.getString("serve.log_file", "");
        if (opts_.static_dir.empty()) opts_.static_dir = c.getString("serve.static_dir", "");
        if (opts_.sync_every_minutes <= 0) opts_.sync_every_minutes = int_key("serve.sync_every", 0);
        if (opts_.sync_every_minutes < 0) throw Poco::InvalidArgumentException("serve.sync_every must be a number of minutes >= 0");
        Poco::StringTokenizer sources(c.getString("serve.sources", ""), " ,",
                                      Poco::StringTokenizer::TOK_IGNORE_EMPTY | Poco::StringTokenizer::TOK_TRIM);
        for (const auto& src : sources) opts_.sources.push_back(src);
        if (opts_.log_file.empty()) {
            auto dir = std::filesystem::path(opts_.snapshot.db_path).parent_path();
            opts_.log_file = (dir.empty() ? std::filesystem::path(".") : dir).string() + "/serve.log";
        }
        // The application log and the request log share the file: one place to look.
        Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(opts_.log_file));
        file->setProperty("rotation", "10 M");
        file->setProperty("archive", "number");
        file->setProperty("purgeCount", "3");
        Poco::AutoPtr<Poco::PatternFormatter> fmt(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%SZ %p %t"));
        Poco::AutoPtr<Poco::FormattingChannel> chan(new Poco::FormattingChannel(fmt, file));
        logger().setChannel(chan);
        logger().setLevel(Poco::Message::PRIO_INFORMATION);
    }

    int main(const std::vector<std::string>&) override {
        if (!failure.empty()) return EXIT_CONFIG;
        auto svc = Service::start(opts_);
        if (!svc) {
            failure = svc.error().to_string();
            logger().error("interlocutor serve: " + failure);
            return EXIT_SOFTWARE;
        }
        auto& s = *svc.value();
        logger().information("interlocutor serve: started on " + s.url() + " (store " + opts_.snapshot.db_path +
                             ", dashboard " + s.static_dir() + ")");
        if (app_.out) {
            auto& out = *app_.out;
            out << "interlocutor serve: listening on " << s.url() << "\n"
                << "  token file: " << s.token_file() << "\n"
                << "  log: " << s.log_file() << "\n";
            if (app_.print_open_url) out << "  dashboard: " << s.url() << "?token=" << s.token() << "\n";
            out << "Press Ctrl-C to stop.\n" << std::flush;
        }
        if (app_.on_started) {
            // Poco's Logger is thread-safe: background threads write to the same service log.
            Poco::Logger& log = logger();
            app_.on_started([&log](bool error, const std::string& line) {
                if (error) log.error(line);
                else log.information(line);
            });
        }
        waitForTerminationRequest();
        logger().information("interlocutor serve: stopping (termination requested)");
        if (app_.out) *app_.out << "interlocutor serve: stopping\n" << std::flush;
        if (app_.on_stopping) app_.on_stopping();
        s.stop();
        svc.value().reset();
        logger().information("interlocutor serve: stopped");
        return EXIT_OK;
    }

private:
    ServiceOptions opts_;
    ServeAppOptions app_;
};

}  // namespace

void block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_serve_app(ServiceOptions opts, const ServeAppOptions& app) {
    try {
        ServeApp a(std::move(opts), app);
        // Our own options are parsed by the CLI; Poco sees only the program name.
        int rc = a.run(std::vector<std::string>{"interlocutor"});
        if (!a.failure.empty()) std::cerr << "interlocutor serve: " << a.failure << "\n";
        return rc;
    } catch (const Poco::Exception& e) {
        std::cerr << "interlocutor serve: " << e.displayText() << "\n";
        return Poco::Util::Application::EXIT_CONFIG;
    } catch (const std::exception& e) {
        std::cerr << "interlocutor serve: " << e.what() << "\n";
        return Poco::Util::Application::EXIT_SOFTWARE;
    }
}

}  // namespace ilc::service
