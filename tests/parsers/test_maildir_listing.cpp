// The Maildir source's one listing: MaildirSource::fingerprint() walks the tree once for the
// ingest's fingerprint and for the files next() lists (each file stat'ed once), and a file is
// read with one read when its listed size is still right. Same values and messages as before.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include "../../parsers/src/maildir_source.h"
#include "mime_test_util.h"

using namespace ilc;
using namespace ilc::parsers;
using namespace ilc::test;
namespace fs = std::filesystem;

namespace {

// Every message, loaded when the source defers reads (what the ingest's workers do).
std::vector<RawMessage> read_loaded(Source& s) {
    std::vector<RawMessage> out;
    while (auto m = s.next()) {
        if (m->unread) s.load(*m);
        out.push_back(std::move(*m));
    }
    return out;
}

// The fingerprint as the ingest defined it (a recursive_directory_iterator and a stat per
// file), computed independently of both walks.
Fingerprint independent_fingerprint(const std::string& root) {
    Fingerprint fp;
    int64_t files = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        std::error_code e2;
        if (!it->is_regular_file(e2)) continue;  // follows symlinks; symlinked dirs not entered
        struct stat st {};
        REQUIRE(::stat(it->path().c_str(), &st) == 0);
        ++files;
        fp.size += st.st_size;
        fp.mtime = std::max<int64_t>(fp.mtime, st.st_mtime);
    }
    fp.size = fp.size * 1000003 + files;
    return fp;
}

void append(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f << data;
}

}  // namespace

TEST_CASE("maildir: the listing walk gives the fingerprint and the messages of separate walks", "[parsers.maildir]") {
    std::string root = temp_dir("maildir-listing");
    std::string other = temp_dir("maildir-listing-other");
    const std::string msg = "From: a@x\nSubject: s\n\nbody\n";
    write_file(root + "/cur/2.host:2,S", msg);
    write_file(root + "/cur/10.host:2,RS", msg + "longer\n");
    write_file(root + "/cur/.hidden", "not a message, but counted in the sizes\n");
    write_file(root + "/cur/sub/7.host", msg);  // a directory in cur/: walked, not a message
    write_file(root + "/new/3.host", msg);
    write_file(root + "/tmp/4.host", msg);  // a delivery in progress: fingerprinted, never read
    write_file(root + "/dovecot-uidlist", "3 V1 N4\n");
    write_file(root + "/.Sent/cur/5.host:2,S", msg + "sent\n");
    write_file(root + "/.Foo.Bar/new/6.host", msg);
    write_file(other + "/cur/8.host:2,S", msg + "linked folder\n");
    write_file(other + "/new/9.host", msg + "linked file\n");
    // A symlinked folder and a symlink to a file: the walk does not enter the first (next()
    // lists it itself), the second is a message and counts.
    fs::create_directory_symlink(other, root + "/.Linked");
    fs::create_symlink(other + "/new/9.host", root + "/new/9.host");
    fs::create_symlink(root + "/missing", root + "/new/dangling");

    const Fingerprint want = independent_fingerprint(root);
    const Fingerprint alone = fingerprint_path(root);
    CHECK(alone.size == want.size);
    CHECK(alone.mtime == want.mtime);

    auto with = open_source(root);
    auto without = open_source(root);
    auto eager = open_source(root);
    auto later = open_source(root);
    REQUIRE(with.ok());
    REQUIRE(without.ok());
    REQUIRE(eager.ok());
    REQUIRE(later.ok());
    REQUIRE((*with)->defer_reads());
    REQUIRE((*without)->defer_reads());
    REQUIRE((*later)->defer_reads());
    const auto fp = (*with)->fingerprint();
    REQUIRE(fp);
    CHECK(fp->size == want.size);
    CHECK(fp->mtime == want.mtime);
    // Computed as next() lists the files: known once it has ended.
    REQUIRE((*later)->defer_fingerprint());
    CHECK_FALSE((*later)->fingerprint());

    const auto a = read_loaded(**with), b = read_loaded(**without), c = read_all(**eager);
    const auto d = read_loaded(**later);
    const auto fp_later = (*later)->fingerprint();
    REQUIRE(fp_later);
    CHECK(fp_later->size == want.size);
    CHECK(fp_later->mtime == want.mtime);
    REQUIRE(a.size() == 8);
    REQUIRE(b.size() == a.size());
    REQUIRE(c.size() == a.size());
    REQUIRE(d.size() == a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        INFO(a[i].pos.path);
        CHECK(a[i].pos.path == b[i].pos.path);
        CHECK(a[i].pos.path == c[i].pos.path);
        CHECK(a[i].pos.path == d[i].pos.path);
        CHECK(a[i].pos.length == d[i].pos.length);
        CHECK(a[i].bytes == d[i].bytes);
        CHECK(a[i].file_mtime == d[i].file_mtime);
        CHECK(a[i].pos.folder == d[i].pos.folder);
        CHECK(a[i].pos.folder == b[i].pos.folder);
        CHECK(a[i].pos.length == b[i].pos.length);
        CHECK(a[i].bytes == b[i].bytes);
        CHECK(a[i].bytes == c[i].bytes);
        CHECK(a[i].file_mtime == b[i].file_mtime);
        CHECK(a[i].file_mtime == c[i].file_mtime);
        CHECK(a[i].flags.seen == b[i].flags.seen);
        CHECK(a[i].warnings.size() == b[i].warnings.size());
    }
    // By name, bytewise ("10." before "2."); folders by name after INBOX.
    CHECK(fs::path(a[0].pos.path).filename() == "10.host:2,RS");
    CHECK(a[0].bytes == msg + "longer\n");
    CHECK(fs::path(a[1].pos.path).filename() == "2.host:2,S");
    CHECK(a[4].pos.folder == "Foo.Bar");
    CHECK(a[3].bytes == msg + "linked file\n");
    CHECK(a[5].pos.folder == "Linked");
    CHECK(a[5].bytes == msg + "linked folder\n");
    CHECK((*with)->bytes_total() == (*without)->bytes_total());
    CHECK((*with)->bytes_total() == (*eager)->bytes_total());
    CHECK((*with)->bytes_total() == (*later)->bytes_total());
    CHECK((*with)->bytes_done() == (*without)->bytes_done());
    fs::remove_all(root);
    fs::remove_all(other);
}

TEST_CASE("maildir: fingerprint() only before the first next()", "[parsers.maildir]") {
    std::string root = temp_dir("maildir-listing-late");
    write_file(root + "/cur/1.host:2,S", "From: a@x\n\nbody\n");
    auto s = open_source(root);
    REQUIRE(s.ok());
    (*s)->defer_reads();
    REQUIRE((*s)->next());
    CHECK_FALSE((*s)->fingerprint());
    fs::remove_all(root);
}

TEST_CASE("maildir: a file that grows or shrinks between the listing and the read is read whole", "[parsers.maildir]") {
    std::string root = temp_dir("maildir-listing-grow");
    const std::string head = "From: a@x\nSubject: s\n\n";
    write_file(root + "/cur/1.grows:2,S", head + "first line\n");
    write_file(root + "/cur/2.shrinks:2,S", head + "a body that will be cut short\n");
    write_file(root + "/cur/3.same:2,S", head + "unchanged\n");
    write_file(root + "/cur/4.empty:2,S", "");
    auto s = open_source(root);
    REQUIRE(s.ok());
    REQUIRE((*s)->defer_reads());
    REQUIRE((*s)->fingerprint());  // the sizes are listed here
    // A big append: more than the one read of the listed size + 1 and more than one 64 KiB
    // read of the rest.
    std::string more;
    for (int i = 0; i < 20000; ++i) more += "line " + std::to_string(i) + " appended after the listing\n";
    append(root + "/cur/1.grows:2,S", more);
    write_file(root + "/cur/2.shrinks:2,S", head + "cut\n");
    auto msgs = read_loaded(**s);
    REQUIRE(msgs.size() == 4);
    CHECK(msgs[0].bytes == head + "first line\n" + more);
    CHECK(msgs[0].pos.length == int64_t(msgs[0].bytes.size()));
    CHECK(msgs[1].bytes == head + "cut\n");
    CHECK(msgs[2].bytes == head + "unchanged\n");
    CHECK(msgs[3].bytes.empty());
    CHECK(msgs[0].warnings.empty());
    // Without a listing (read_whole_file: fstat), the same bytes.
    bool too_large = true;
    auto whole = read_whole_file(root + "/cur/1.grows:2,S", 1 << 30, &too_large);
    REQUIRE(whole.ok());
    CHECK_FALSE(too_large);
    CHECK(*whole == msgs[0].bytes);
    fs::remove_all(root);
}

TEST_CASE("maildir: with defer_fingerprint(), files changed after the walk count as they are read", "[parsers.maildir]") {
    std::string root = temp_dir("maildir-listing-later");
    const std::string msg = "From: a@x\nSubject: s\n\nbody\n";
    write_file(root + "/cur/1.host:2,S", msg);
    write_file(root + "/cur/2.gone:2,S", msg);
    write_file(root + "/cur/3.grows:2,S", msg);
    write_file(root + "/new/4.host", msg);
    write_file(root + "/.Sent/cur/5.host:2,S", msg);
    auto s = open_source(root);
    REQUIRE(s.ok());
    REQUIRE((*s)->defer_reads());
    REQUIRE((*s)->defer_fingerprint());
    auto first = (*s)->next();  // the walk (names only) and the first file's stat
    REQUIRE(first);
    CHECK(fs::path(first->pos.path).filename() == "1.host:2,S");
    (*s)->load(*first);
    // Removed before next() stats it: not a message, not in the fingerprint. Grown: counted and
    // read with its new size.
    fs::remove(root + "/cur/2.gone:2,S");
    append(root + "/cur/3.grows:2,S", "more\n");
    auto rest = read_loaded(**s);
    REQUIRE(rest.size() == 3);
    CHECK(fs::path(rest[0].pos.path).filename() == "3.grows:2,S");
    CHECK(rest[0].bytes == msg + "more\n");
    CHECK(rest[0].pos.length == int64_t(rest[0].bytes.size()));
    CHECK(rest[2].pos.folder == "Sent");
    const auto fp = (*s)->fingerprint();
    REQUIRE(fp);
    const Fingerprint want = independent_fingerprint(root);
    CHECK(fp->size == want.size);
    CHECK(fp->mtime == want.mtime);
    CHECK((*s)->bytes_total() == int64_t(4 * msg.size() + 5));  // the four files read
    fs::remove_all(root);
}
