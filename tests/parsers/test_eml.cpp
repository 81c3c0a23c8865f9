// .eml files and trees, Enron's CMU layout included.
#include <catch2/catch.hpp>
#include <filesystem>

#include "../../parsers/src/eml_source.h"
#include "mime_test_util.h"

using namespace ilc;
using namespace ilc::parsers;
using namespace ilc::test;
namespace fs = std::filesystem;

TEST_CASE("eml: content check tells mail from expected-output files", "[parsers.eml]") {
    CHECK(looks_like_message("Message-ID: <1@x>\r\nDate: Mon, 1 Jan 2001 00:00:00 -0800\r\n"));
    CHECK(looks_like_message("From a@b Mon Jul 20 14:24:21 2026\nSubject: x\n"));
    CHECK(looks_like_message("X-Mailer : old form\n"));
    CHECK_FALSE(looks_like_message("{\"threads\": []}\n"));
    CHECK_FALSE(looks_like_message("import mailbox\nprint(1)\n"));
    CHECK_FALSE(looks_like_message("\n\nSubject: after blank lines\n"));
    CHECK_FALSE(looks_like_message(""));
}

TEST_CASE("eml: a tree in natural order with folders relative to the root", "[parsers.eml]") {
    std::string root = temp_dir("eml");
    std::string msg = "Message-ID: <a@x>\r\nSubject: s\r\n\r\nbody\r\n";
    write_file(root + "/maildir/allen-p/inbox/10.", msg);
    write_file(root + "/maildir/allen-p/inbox/2.", msg);
    write_file(root + "/maildir/allen-p/inbox/1.", msg);
    write_file(root + "/maildir/allen-p/_sent_mail/1.", msg);
    write_file(root + "/maildir/allen-p/inbox/expected.json", "{\"count\": 3}\n");
    write_file(root + "/maildir/top.eml", msg);
    CHECK(detect_source_kind(root + "/maildir") == SourceKind::eml_tree);
    auto s = open_source(root + "/maildir");
    REQUIRE(s.ok());
    auto msgs = read_all(**s);
    REQUIRE(msgs.size() == 5);
    CHECK(msgs[0].pos.folder == "maildir");  // a file directly in the root
    CHECK(msgs[1].pos.folder == "allen-p/_sent_mail");
    CHECK(fs::path(msgs[2].pos.path).filename() == "1.");
    CHECK(fs::path(msgs[3].pos.path).filename() == "2.");
    CHECK(fs::path(msgs[4].pos.path).filename() == "10.");
    CHECK(msgs[4].pos.folder == "allen-p/inbox");
    CHECK(msgs[4].bytes == msg);
    CHECK(static_cast<EmlSource&>(**s).skipped_files() == 1);

    CHECK(detect_source_kind(root + "/maildir/top.eml") == SourceKind::eml_file);
    auto one = open_source(root + "/maildir/top.eml");
    REQUIRE(one.ok());
    auto om = read_all(**one);
    REQUIRE(om.size() == 1);
    CHECK(om[0].pos.folder == "maildir");
    fs::remove_all(root);
}

TEST_CASE("eml: Enron maildir trees count equals their file count", "[parsers.eml][corpora]") {
    size_t trees = 0, total = 0;
    for (auto it = fs::recursive_directory_iterator(ILC_CORPORA "/enron-maildir"); it != fs::recursive_directory_iterator(); ++it) {
        if (!it->is_directory() || it->path().filename() != "maildir") continue;
        size_t files = 0;
        for (auto& f : fs::recursive_directory_iterator(it->path()))
            if (f.is_regular_file()) ++files;
        auto s = open_source(it->path().string());
        REQUIRE(s.ok());
        auto msgs = read_all(**s);
        INFO(it->path().string());
        CHECK(msgs.size() == files);
        for (const auto& m : msgs) CHECK(m.pos.folder.find('/') != std::string::npos);  // <user>/<folder>
        ++trees;
        total += msgs.size();
        it.disable_recursion_pending();
    }
    std::printf("enron maildir: %zu trees, %zu messages\n", trees, total);
    CHECK(trees >= 2);
    CHECK(total > 2000);
}
