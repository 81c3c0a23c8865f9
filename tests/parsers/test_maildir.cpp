// Maildir / Maildir++ source: folders, flags, order, and counts against Python's mailbox.Maildir.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "../../parsers/src/maildir_source.h"
#include "mime_test_util.h"

using namespace ilc;
using namespace ilc::parsers;
using namespace ilc::test;
namespace fs = std::filesystem;

TEST_CASE("maildir: flags from file names", "[parsers.maildir]") {
    Flags f = maildir_flags("1784724339.M616715P11108Q2.mx1,S=3463:2,FRS");
    CHECK(f.seen);
    CHECK(f.replied);
    CHECK(f.flagged);
    CHECK_FALSE(f.draft);
    Flags g = maildir_flags("123.abc:2,DTPa");
    CHECK(g.draft);
    CHECK(g.trashed);
    CHECK(g.passed);
    CHECK_FALSE(g.seen);
    CHECK_FALSE(maildir_flags("123.abc").seen);
    CHECK(maildir_flags("123.abc;2,S").seen);  // written where ':' is not allowed in file names
}

TEST_CASE("maildir: natural order", "[parsers.maildir]") {
    CHECK(natural_less("2.", "10."));
    CHECK_FALSE(natural_less("10.", "2."));
    CHECK(natural_less("a9", "a10"));
    CHECK(natural_less("abc", "abd"));
    CHECK_FALSE(natural_less("x", "x"));
}

TEST_CASE("maildir: Maildir++ folders, tmp ignored, deterministic order", "[parsers.maildir]") {
    std::string root = temp_dir("maildir");
    std::string msg = "From: a@x\nSubject: s\n\nbody\n";
    write_file(root + "/cur/2.host:2,S", msg);
    write_file(root + "/cur/1.host:2,RS", msg);
    write_file(root + "/new/3.host", msg);
    write_file(root + "/tmp/4.host", msg);  // a delivery in progress: never read
    write_file(root + "/.Sent/cur/5.host:2,S", msg);
    write_file(root + "/.Foo.Bar/new/6.host", msg);
    fs::create_directories(root + "/.NotAFolder");  // no cur/ or new/: not a Maildir++ folder
    CHECK(detect_source_kind(root) == SourceKind::maildir);
    auto s = open_source(root);
    REQUIRE(s.ok());
    auto msgs = read_all(**s);
    REQUIRE(msgs.size() == 5);
    CHECK(msgs[0].pos.folder == "INBOX");
    CHECK(fs::path(msgs[0].pos.path).filename() == "1.host:2,RS");
    CHECK(msgs[0].flags.replied);
    CHECK(fs::path(msgs[1].pos.path).filename() == "2.host:2,S");
    CHECK(fs::path(msgs[2].pos.path).filename() == "3.host");
    CHECK_FALSE(msgs[2].flags.seen);
    CHECK(msgs[3].pos.folder == "Foo.Bar");
    CHECK(msgs[4].pos.folder == "Sent");
    CHECK(msgs[4].flags.seen);
    CHECK(msgs[0].bytes == msg);
    CHECK(msgs[0].file_mtime > 0);
    CHECK((*s)->bytes_done() == (*s)->bytes_total());
    fs::remove_all(root);
}

TEST_CASE("maildir: dev corpus count equals Python's mailbox.Maildir", "[parsers.maildir][corpora]") {
    std::string root = ILC_CORPORA "/dev/maildir";
    // Python needs cur/, new/ and tmp/ in every folder; the dev corpus's subfolders have only
    // cur/. The script mirrors the tree with symlinks and the missing empty directories.
    std::string dir = temp_dir("pymaildir");
    write_file(dir + "/count.py",
               "import mailbox, os, sys\n"
               "root, t = sys.argv[1], sys.argv[2] + '/m'\n"
               "def mirror(src, dst):\n"
               "    os.makedirs(dst)\n"
               "    for sub in ('cur', 'new', 'tmp'):\n"
               "        s = os.path.join(src, sub)\n"
               "        if os.path.isdir(s): os.symlink(s, os.path.join(dst, sub))\n"
               "        else: os.makedirs(os.path.join(dst, sub))\n"
               "mirror(root, t)\n"
               "for n in os.listdir(root):\n"
               "    if n.startswith('.') and os.path.isdir(os.path.join(root, n)): mirror(os.path.join(root, n), os.path.join(t, n))\n"
               "md = mailbox.Maildir(t, factory=None, create=False)\n"
               "print('INBOX', len(md))\n"
               "for f in md.list_folders(): print(f, len(md.get_folder(f)))\n");
    std::string out = run_command("python3 " + dir + "/count.py " + root + " " + dir);
    fs::remove_all(dir);
    std::map<std::string, size_t> py;
    std::istringstream in(out);
    std::string name;
    size_t n;
    while (in >> name >> n) py[name] = n;
    REQUIRE(py.size() == 3);

    auto s = open_source(root);
    REQUIRE(s.ok());
    std::map<std::string, size_t> ours;
    std::set<std::string> seen_paths;
    for (const auto& m : read_all(**s)) {
        ++ours[m.pos.folder];
        CHECK(seen_paths.insert(m.pos.path).second);
        CHECK(!m.bytes.empty());
    }
    CHECK(ours == py);
}
