// The mbox reader: splitting, offsets, quoting, Content-Length, flags, gzip, small blocks, and
// message counts compared with an independent reader (Python's mailbox module) on real corpora.
#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <sstream>

#include "mime_test_util.h"

using namespace ilc;
using namespace ilc::parsers;
using namespace ilc::test;
namespace fs = std::filesystem;

namespace {

const std::string kThree =
    "From alice@example.com Mon Jul 20 14:24:21 2026\n"
    "From: alice@example.com\n"
    "Subject: one\n"
    "Status: RO\n"
    "X-Status: A\n"
    "\n"
    "Body one.\n"
    ">From the quoted line\n"
    ">>From twice quoted\n"
    "\n"
    "From bob@example.com Tue Jul 21 09:00:00 2026\n"
    "From: bob@example.com\n"
    "Subject: two\n"
    "\n"
    "Body two.\n"
    "\n"
    "From carol@example.com Wed Jul 22 10:00:00 2026\n"
    "From: carol@example.com\n"
    "Subject: three\n"
    "\n"
    "Body three.\n";

std::vector<std::string> mbox_files() {
    std::vector<std::string> files;
    for (const char* dir : {ILC_CORPORA "/enron-mbox", ILC_CORPORA "/dev/mbox"})
        for (auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file() && e.path().filename() != "SOURCE.txt") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("mbox: three messages, LF and CRLF, offsets point back into the file", "[parsers.mbox]") {
    for (Eol eol : {Eol::lf, Eol::crlf}) {
        std::string data = with_eol(kThree, eol);
        auto msgs = read_mbox_buffer(data);
        REQUIRE(msgs.size() == 3);
        std::string nl = eol == Eol::crlf ? "\r\n" : "\n";
        CHECK(msgs[0].mbox_from_line == "From alice@example.com Mon Jul 20 14:24:21 2026");
        // mboxrd unquoting: one '>' less.
        CHECK(msgs[0].bytes.find(nl + "From the quoted line" + nl) != std::string::npos);
        CHECK(msgs[0].bytes.find(nl + ">From twice quoted" + nl) != std::string::npos);
        // The separator's blank line is not part of the message.
        CHECK(msgs[1].bytes.substr(msgs[1].bytes.size() - 9 - nl.size()) == "Body two." + nl);
        for (const auto& m : msgs) {
            std::string raw = data.substr(static_cast<size_t>(m.pos.offset), static_cast<size_t>(m.pos.length));
            CHECK(raw.compare(0, 6, "From: ") == 0);
            CHECK(mbox_unquote(raw) == m.bytes);
            CHECK(m.warnings.empty());
        }
        CHECK(msgs[0].flags.seen);
        CHECK(msgs[0].flags.replied);
        CHECK_FALSE(msgs[1].flags.seen);
        CHECK(msgs[2].bytes == "From: carol@example.com" + nl + "Subject: three" + nl + nl + "Body three." + nl);
    }
}

TEST_CASE("mbox: tiny blocks give the same messages and offsets as one big block", "[parsers.mbox]") {
    // The dev INBOX (mboxrd) and a CRLF variant with hand-made malformations.
    std::string dev = slurp(ILC_CORPORA "/dev/mbox/Archives.mbox").substr(0, 200000);
    std::string hand = with_eol(kThree, Eol::crlf) + "no newline at the end";
    for (const std::string* data : {&dev, &hand}) {
        auto big = read_mbox_buffer(*data);
        REQUIRE(!big.empty());
        for (size_t block : {size_t(1), size_t(2), size_t(3), size_t(7), size_t(64), size_t(4093)}) {
            if (block < 7 && data->size() > 50000) continue;  // byte-at-a-time on the small input only
            auto small = read_mbox_buffer(*data, block);
            REQUIRE(small.size() == big.size());
            for (size_t i = 0; i < big.size(); ++i) {
                CHECK(small[i].pos.offset == big[i].pos.offset);
                CHECK(small[i].pos.length == big[i].pos.length);
                CHECK(small[i].bytes == big[i].bytes);
                CHECK(small[i].warnings.size() == big[i].warnings.size());
            }
        }
    }
    // One byte at a time over a 60 KB slice of the real mbox as well.
    std::string slice = dev.substr(0, 60000);
    auto a = read_mbox_buffer(slice), b = read_mbox_buffer(slice, 1);
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].bytes == b[i].bytes);
}

TEST_CASE("mbox: Content-Length is honored only when it lands on a separator", "[parsers.mbox]") {
    for (Eol eol : {Eol::lf, Eol::crlf}) {
        // mboxcl2: the body holds an unquoted "From " line after a blank line; Content-Length spans it.
        std::string body = "line\n\nFrom here on, plain text Mon Jul 20 14:24:21 2026\nend\n";
        std::string b = with_eol(body, eol);
        std::string data = with_eol("From a@x Mon Jul 20 14:24:21 2026\nSubject: cl\nContent-Length: ", eol) +
                           std::to_string(b.size()) + with_eol("\n\n", eol) + b +
                           with_eol("\nFrom b@x Mon Jul 20 14:24:22 2026\nSubject: next\n\nbody\n", eol);
        auto msgs = read_mbox_buffer(data);
        REQUIRE(msgs.size() == 2);
        CHECK(msgs[0].bytes.find("plain text") != std::string::npos);
        CHECK(msgs[0].warnings.empty());
        for (size_t block : {size_t(1), size_t(5)}) {
            auto small = read_mbox_buffer(data, block);
            REQUIRE(small.size() == 2);
            CHECK(small[0].bytes == msgs[0].bytes);
        }

        // A wrong count is ignored with a warning, and "From " splitting takes over.
        std::string wrong = with_eol("From a@x Mon Jul 20 14:24:21 2026\nSubject: cl\nContent-Length: 3\n\n", eol) + b;
        auto w = read_mbox_buffer(wrong);
        REQUIRE(w.size() == 2);
        CHECK(has_warning(w[0].warnings, "bad_content_length"));
        // A count past the end of the file is ignored too.
        std::string past = with_eol("From a@x Mon Jul 20 14:24:21 2026\nContent-Length: 99999\n\nshort\n", eol);
        auto p = read_mbox_buffer(past);
        REQUIRE(p.size() == 1);
        CHECK(has_warning(p[0].warnings, "bad_content_length"));
    }
}

TEST_CASE("mbox: tolerant separators", "[parsers.mbox]") {
    for (Eol eol : {Eol::lf, Eol::crlf}) {
        // mboxo bodies with an unquoted "From " after text: not a separator (no date-like tail).
        std::string a = with_eol(
            "From a@x Mon Jul 20 14:24:21 2026\nSubject: a\n\nHello\nFrom my point of view, yes.\n", eol);
        CHECK(read_mbox_buffer(a).size() == 1);
        // Two files concatenated without a blank line between them: a real separator line splits.
        std::string b = with_eol("From a@x Mon Jul 20 14:24:21 2026\nSubject: a\n\nHello\n"
                                 "From b@x Tue Jul 21 14:24:21 2026\nSubject: b\n\nWorld\n", eol);
        auto mb = read_mbox_buffer(b);
        REQUIRE(mb.size() == 2);
        CHECK(mb[1].mbox_from_line.rfind("From b@x", 0) == 0);
        // After a blank line any "From " line separates (mboxo/mboxrd rule, like Python's mailbox).
        std::string c = with_eol("From a@x Mon Jul 20 14:24:21 2026\nSubject: a\n\nHello\n\nFrom here\n", eol);
        CHECK(read_mbox_buffer(c).size() == 2);
    }
    CHECK(looks_like_from_line("From MAILER-DAEMON Mon Apr 18 14:23:23 2022"));
    CHECK(looks_like_from_line("From a@b Sat, 1 Jan 2000 10:00:00 +0000\r\n"));
    CHECK(looks_like_from_line("From a@b  Mon Jul  6 04:05:06 2026 +0200"));
    CHECK_FALSE(looks_like_from_line("From what I saw in May 2026, yes"));
    CHECK_FALSE(looks_like_from_line("From: a@b"));
}

TEST_CASE("mbox: gzip files are decompressed while streaming", "[parsers.mbox]") {
    std::string dir = temp_dir("gz");
    std::string src = ILC_CORPORA "/dev/mbox/Sent.mbox";
    std::string data = slurp(src);
    std::string gz = dir + "/Sent.mbox.gz";
    gzFile g = gzopen(gz.c_str(), "wb");
    REQUIRE(g);
    // Two gzip members, as `cat a.gz b.gz` produces: zlib reads them as one stream.
    size_t half = data.size() / 2;
    gzwrite(g, data.data(), static_cast<unsigned>(half));
    gzclose(g);
    g = gzopen(gz.c_str(), "ab");
    gzwrite(g, data.data() + half, static_cast<unsigned>(data.size() - half));
    gzclose(g);

    CHECK(detect_source_kind(gz) == SourceKind::mbox);
    auto plain = open_source(src);
    auto zipped = open_source(gz);
    REQUIRE(plain.ok());
    REQUIRE(zipped.ok());
    auto a = read_all(**plain), b = read_all(**zipped);
    REQUIRE(a.size() == b.size());
    REQUIRE(!a.empty());
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].bytes == b[i].bytes);
        CHECK(a[i].pos.offset == b[i].pos.offset);
    }
    CHECK(b[0].pos.folder == "Sent");
    CHECK((*zipped)->bytes_done() == (*zipped)->bytes_total());

    // A truncated gzip file keeps what it could decompress and says so.
    std::string cut = slurp(gz).substr(0, fs::file_size(gz) / 3);
    write_file(dir + "/cut.mbox.gz", cut);
    auto t = open_source(dir + "/cut.mbox.gz");
    REQUIRE(t.ok());
    auto tm = read_all(**t);
    CHECK(!tm.empty());
    CHECK(tm.size() < a.size());
    CHECK(has_warning(tm.back().warnings, "truncated"));
    fs::remove_all(dir);
}

TEST_CASE("mbox: folder names and open errors", "[parsers.mbox]") {
    auto s = open_source(ILC_CORPORA "/enron-mbox/enron.allen-p._sent_mail");
    REQUIRE(s.ok());
    auto m = (*s)->next();
    REQUIRE(m);
    CHECK(m->pos.folder == "enron.allen-p._sent_mail");
    auto inbox = open_source(ILC_CORPORA "/dev/mbox/INBOX.mbox");
    REQUIRE(inbox.ok());
    CHECK((*inbox)->next()->pos.folder == "INBOX");

    auto missing = open_source("/nonexistent/dir/mail.mbox");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("/nonexistent/dir/mail.mbox") != std::string::npos);
    CHECK(detect_source_kind("/nonexistent") == SourceKind::unknown);
}

TEST_CASE("mbox: message counts equal Python's mailbox.mbox on every corpus mbox", "[parsers.mbox][corpora]") {
    auto files = mbox_files();
    REQUIRE(files.size() > 100);
    std::string list;
    for (const auto& f : files) list += f + "\n";
    std::string dir = temp_dir("pycount");
    write_file(dir + "/files.txt", list);
    std::string out = run_command(
        "python3 -c \"import mailbox,sys\nfor p in open(sys.argv[1]).read().split():\n"
        "    print(len(mailbox.mbox(p, create=False)), p)\" " + dir + "/files.txt");
    fs::remove_all(dir);
    std::map<std::string, size_t> py;
    std::istringstream in(out);
    size_t n;
    std::string p;
    while (in >> n >> p) py[p] = n;
    REQUIRE(py.size() == files.size());

    size_t total = 0;
    for (const auto& f : files) {
        auto s = open_source(f);
        REQUIRE(s.ok());
        auto msgs = read_all(**s);
        total += msgs.size();
        INFO(f);
        // Python splits at every "From " at a line start; we do not split at a "From " line that
        // follows a non-blank line unless it looks like a real separator. No corpus file has
        // such a line, so the counts agree exactly.
        CHECK(msgs.size() == py[f]);
        CHECK((*s)->bytes_done() == (*s)->bytes_total());
    }
    std::printf("mbox corpus: %zu files, %zu messages\n", files.size(), total);
}
