// Finding Thunderbird profiles and their local mail stores (ingest --thunderbird, issue 6), on a
// profile tree laid out as Thunderbird writes it and filled with the dev corpus's real mail.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "interlocutor/ingest/ingest.h"
#include "interlocutor/ingest/thunderbird.h"
#include "interlocutor/store/store.h"

namespace fs = std::filesystem;
using namespace ilc;

namespace {

const fs::path kDev = fs::path(ILC_CORPORA) / "dev";

fs::path fresh_dir(const std::string& name) {
    fs::path d = fs::temp_directory_path() / ("ilc-tb-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

void copy_tree(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    fs::copy(from, to, fs::copy_options::recursive);
}

// Two profiles as Thunderbird 128+ writes profiles.ini: one relative (the install default), one
// absolute; a third entry points at a folder that no longer exists.
fs::path make_root() {
    fs::path root = fresh_dir("root");
    fs::path other = fresh_dir("other");
    write(root / "profiles.ini",
          "[Install4F96D1932A9F858E]\nDefault=abcd.default-release\nLocked=1\n\n"
          "[Profile1]\nName=work\nIsRelative=0\nPath=" + other.string() + "\n\n"
          "[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\n\n"
          "[Profile2]\nName=gone\nIsRelative=1\nPath=gone.profile\n\n[General]\nStartWithLastProfile=1\nVersion=2\n");
    fs::path p = root / "abcd.default-release";
    fs::path local = p / "Mail" / "Local Folders";
    fs::create_directories(local);
    fs::copy_file(kDev / "mbox" / "INBOX.mbox", local / "Inbox");
    write(local / "Inbox.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n");
    write(local / "Trash", "");  // an empty folder holds no mail
    write(local / "filterlog.html", "<p>no filters</p>\n");
    fs::create_directories(local / "Archives.sbd");
    fs::copy_file(kDev / "mbox" / "Archives.mbox", local / "Archives.sbd" / "2026");
    write(local / "Archives", "");
    // An IMAP account cached in maildir format: cur/ new/ tmp/ per folder.
    copy_tree(kDev / "maildir" / ".Sent", p / "ImapMail" / "imap.ardentis.fr" / "Sent");
    write(p / "ImapMail" / "imap.ardentis.fr" / "msgFilterRules.dat", "version=\"9\"\n");
    // The second profile has no mail folder at all.
    write(other / "prefs.js", "user_pref(\"x\", 1);\n");
    return root;
}

}  // namespace

TEST_CASE("profiles.ini: relative and absolute profiles, install default, missing folders left out",
          "[plugin.thunderbird][issues.6]") {
    fs::path root = make_root();
    auto profiles = ingest::read_thunderbird_profiles(root.string());
    REQUIRE(profiles);
    REQUIRE(profiles->size() == 2);
    CHECK(profiles->at(0).name == "work");
    CHECK_FALSE(profiles->at(0).is_default);
    CHECK(profiles->at(1).name == "default-release");
    CHECK(profiles->at(1).is_default);
    CHECK(fs::path(profiles->at(1).path).filename() == "abcd.default-release");
}

TEST_CASE("stores: mbox files (not .msf, not empty) and maildir folders, with folder names",
          "[plugin.thunderbird][issues.6]") {
    fs::path root = make_root();
    auto stores = ingest::find_all_thunderbird_stores({root.string()});
    REQUIRE(stores);
    REQUIRE(stores->size() == 3);
    CHECK(stores->at(0).folder == "Sent");
    CHECK(stores->at(0).kind == ingest::StoreKind::maildir);
    CHECK(stores->at(1).folder == "Archives/2026");
    CHECK(stores->at(1).kind == ingest::StoreKind::mbox);
    CHECK(stores->at(2).folder == "Inbox");
    CHECK(stores->at(2).profile == "default-release");
}

TEST_CASE("no profiles.ini is a clear error, not an empty success", "[plugin.thunderbird][issues.6]") {
    fs::path empty = fresh_dir("empty");
    auto stores = ingest::find_all_thunderbird_stores({empty.string()});
    REQUIRE_FALSE(stores);
    CHECK(stores.error().message.find("profiles.ini") != std::string::npos);
    CHECK_FALSE(stores.error().hint.empty());
    write(empty / "profiles.ini", "[Profile0\nPath=\n=\n\x01\x02 garbage");
    auto garbage = ingest::read_thunderbird_profiles(empty.string());
    REQUIRE(garbage);
    CHECK(garbage->empty());
}

TEST_CASE("the stores found are ingested: every message of the dev corpus's folders, once",
          "[plugin.thunderbird][issues.6]") {
    fs::path root = make_root();
    auto stores = ingest::find_all_thunderbird_stores({root.string()});
    REQUIRE(stores);
    std::vector<std::string> paths;
    for (const auto& s : *stores) paths.push_back(s.path);
    fs::path db = fresh_dir("db") / "s.db";
    auto st = store::Store::open(db.string(), store::OpenMode::read_write);
    REQUIRE(st);
    ingest::IngestOptions opts;
    opts.me = {"isabelle.charpentier@ardentis.fr", "icharpentier@ardentis.fr"};
    auto sum = ingest::ingest_sources(*st.value(), paths, opts);
    REQUIRE(sum);
    // dev/README.txt: INBOX=224, Sent=247, Archives=99 messages (a few share no Message-ID).
    CHECK(sum->read == 224 + 247 + 99);
    CHECK(sum->sources.size() == 3);
    auto again = ingest::ingest_sources(*st.value(), paths, opts);
    REQUIRE(again);
    CHECK(again->stored == 0);
}
