// Ingest correctness follow-ups (issue 2): CRLF bodies longer than 64 KB keep no '\r', directories
// mixing mbox exports, Maildirs and .eml files give every message exactly once, and .eml.gz files
// are decompressed. Every case runs on real mail from the corpora.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "../../parsers/src/eml_source.h"
#include "interlocutor/parsers/message_parser.h"
#include "mime_test_util.h"

using namespace ilc;
using namespace ilc::parsers;
using namespace ilc::test;
namespace fs = std::filesystem;

namespace {

// The corpus file named in the defect report, found by name wherever the lists corpus keeps it.
std::string find_corpus_file(const std::string& root, const std::string& name) {
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file() && e.path().filename() == name) return e.path().string();
    return {};
}

void write_gzip(const std::string& path, const std::string& data) {
    fs::create_directories(fs::path(path).parent_path());
    gzFile g = gzopen(path.c_str(), "wb");
    REQUIRE(g != nullptr);
    REQUIRE(gzwrite(g, data.data(), static_cast<unsigned>(data.size())) == static_cast<int>(data.size()));
    gzclose(g);
}

// A base64 encoding with 76-character lines (RFC 2045 section 6.8), CRLF line breaks.
std::string base64_crlf(const std::string& in) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out, line;
    for (size_t i = 0; i < in.size(); i += 3) {
        uint32_t v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
        line += a[(v >> 18) & 63];
        line += a[(v >> 12) & 63];
        line += i + 1 < in.size() ? a[(v >> 6) & 63] : '=';
        line += i + 2 < in.size() ? a[v & 63] : '=';
        if (line.size() >= 76) {
            out += line + "\r\n";
            line.clear();
        }
    }
    return out + line + "\r\n";
}

}  // namespace

TEST_CASE("CRLF: a 118 KB list message keeps no carriage return past 64 KB", "[parsers.crlf][corpora]") {
    std::string path = find_corpus_file(ILC_CORPORA "/lists", "001187.c8c0e44b481a.eml");
    REQUIRE(!path.empty());
    std::string lf = slurp(path);
    REQUIRE(lf.size() > 100000);
    Message from_lf = parse_message(lf, SourcePos{});
    REQUIRE(from_lf.body_text.size() > (64u << 10));
    CHECK(from_lf.body_text.find('\r') == std::string::npos);

    // The same message as Windows clients and IMAP servers give it: CRLF line endings.
    std::string crlf = to_crlf(lf);
    Message from_crlf = parse_message(crlf, SourcePos{});
    CHECK(from_crlf.body_text.find('\r') == std::string::npos);
    CHECK(from_crlf.body_text == from_lf.body_text);

    // Through the mbox reader with block sizes that put a block boundary inside CRLF pairs.
    std::string mbox = "From list@example.org Mon Jul  1 14:08:12 2024\r\n" + crlf;
    for (size_t block : {size_t(1) << 16, size_t(4093), size_t(65537)}) {
        auto raws = read_mbox_buffer(mbox, block);
        REQUIRE(raws.size() == 1);
        Message m = parse_message(raws[0]);
        INFO("block " << block);
        CHECK(m.body_text.find('\r') == std::string::npos);
        CHECK(m.body_text == from_lf.body_text);
    }
}

TEST_CASE("CRLF: a synthetic 200 KB CRLF body round-trips in 8bit, quoted-printable and base64",
          "[parsers.crlf]") {
    std::string text;
    for (int i = 0; text.size() < 200000; ++i)
        text += "Ligne " + std::to_string(i) + " : le devis révisé est joint, merci de confirmer.\n";
    std::string crlf_text = to_crlf(text);
    std::string head = "Message-ID: <crlf@x>\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n";
    for (const auto& [cte, body] : std::vector<std::pair<std::string, std::string>>{
             {"8bit", crlf_text}, {"base64", base64_crlf(crlf_text)}}) {
        Message m = parse_message(head + "Content-Transfer-Encoding: " + cte + "\r\n\r\n" + body, SourcePos{});
        INFO(cte);
        CHECK(m.body_text.find('\r') == std::string::npos);
        CHECK(m.body_text == text);
    }
    // A lone CR (old Mac line ending) is a line break too, and the HTML path gives no '\r' either.
    Message mac = parse_message("Subject: mac\r\n\r\none\rtwo\r\n", SourcePos{});
    CHECK(mac.body_text == "one\ntwo\n");
    std::string html = "<p>" + std::string(70000, 'a') + "</p>\r\n<p>b\r\nc</p>\r\n";
    Message h = parse_message(head.substr(0, head.find("Content-Type")) + "Content-Type: text/html\r\n\r\n" + html,
                              SourcePos{});
    CHECK(h.body_text.find('\r') == std::string::npos);
}

TEST_CASE(".eml.gz: a gzipped single message is decompressed", "[parsers.eml][corpora]") {
    std::string dir = temp_dir("emlgz");
    std::string original = slurp(ILC_CORPORA "/dev/eml/INBOX/1.eml");
    REQUIRE(!original.empty());
    write_gzip(dir + "/INBOX/1.eml.gz", original);
    CHECK(detect_source_kind(dir + "/INBOX/1.eml.gz") == SourceKind::eml_file);
    auto s = open_source(dir + "/INBOX/1.eml.gz");
    REQUIRE(s.ok());
    auto msgs = read_all(**s);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].bytes == original);
    CHECK(msgs[0].pos.folder == "INBOX");
    Message from_gz = parse_message(msgs[0]);
    Message plain = parse_message(original, SourcePos{});
    CHECK(from_gz.message_id == plain.message_id);
    CHECK_FALSE(from_gz.synthetic_id);
    CHECK(from_gz.body_text == plain.body_text);

    // A truncated .eml.gz keeps what was decompressed and never crashes; an empty gzip member is
    // an empty message (reported by the parser), not an error of the source.
    std::string gz = slurp(dir + "/INBOX/1.eml.gz");
    write_file(dir + "/cut/1.eml.gz", gz.substr(0, gz.size() / 2));
    auto cut = open_source(dir + "/cut/1.eml.gz");
    REQUIRE(cut.ok());
    auto cm = read_all(**cut);
    REQUIRE(cm.size() == 1);
    CHECK(!cm[0].bytes.empty());
    CHECK(original.compare(0, cm[0].bytes.size(), cm[0].bytes) == 0);

    // In a tree, a corrupt .gz (gzip magic, then garbage) is a clear error naming the file; the
    // good messages around it are still read.
    write_file(dir + "/INBOX/0.eml.gz", std::string("\x1f\x8b\x08\x00", 4) + std::string(64, 'x'));
    auto tree = open_source(dir + "/INBOX");
    REQUIRE(tree.ok());
    auto tm = read_all(**tree);
    REQUIRE(tm.size() == 1);
    CHECK(tm[0].bytes == original);
    auto err = (*tree)->error();
    REQUIRE(err);
    CHECK(err->message.find("0.eml.gz") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("mixed directory: mbox exports, Thunderbird folders, a Maildir and .eml(.gz) files, every message once",
          "[parsers.eml][parsers.mbox][corpora]") {
    const std::string enron = ILC_CORPORA "/enron-mbox/";
    std::string dir = temp_dir("mixed");
    std::string root = dir + "/export";
    // Each line of the manifest is "kind path" for Python to count independently.
    std::ostringstream manifest;

    // A folder of mbox exports: symlinks named .mbox, a gzipped one, one with a BOM and blank lines.
    fs::create_directories(root + "/mbox");
    fs::create_symlink(enron + "enron.allen-p.inbox", root + "/mbox/allen-inbox.mbox");
    fs::create_symlink(enron + "enron.allen-p._sent_mail", root + "/mbox/allen-sent.mbox");
    manifest << "mbox " << enron << "enron.allen-p.inbox\nmbox " << enron << "enron.allen-p._sent_mail\n";
    write_gzip(root + "/mbox/giron-sent.mbox.gz", slurp(enron + "enron.giron-d._sent_mail"));
    manifest << "mbox " << enron << "enron.giron-d._sent_mail\n";
    write_file(root + "/mbox/bom.mbox", "\xEF\xBB\xBF\r\n\n" + slurp(enron + "enron.watson-k.weather"));
    manifest << "mbox " << root << "/mbox/bom.mbox\n";

    // A Thunderbird "Local Folders" directory: mbox files without extension, .msf indexes, .sbd subfolders.
    fs::create_directories(root + "/Local Folders/Inbox.sbd");
    fs::create_symlink(enron + "enron.lokay-m.inbox", root + "/Local Folders/Inbox");
    write_file(root + "/Local Folders/Inbox.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n< <(a=c)> // (f=iso-8859-1)\n");
    fs::create_symlink(enron + "enron.allen-p.deleted_items", root + "/Local Folders/Inbox.sbd/Clients");
    manifest << "mbox " << enron << "enron.lokay-m.inbox\nmbox " << enron << "enron.allen-p.deleted_items\n";

    // A Maildir with a Maildir++ subfolder, from real list mail.
    std::vector<std::string> list_files;
    for (const auto& e : fs::directory_iterator(ILC_CORPORA "/lists/open-iscsi/cur")) list_files.push_back(e.path().string());
    std::sort(list_files.begin(), list_files.end());
    REQUIRE(list_files.size() > 30);
    for (const char* sub : {"cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"})
        fs::create_directories(root + "/Lists/" + sub);
    for (size_t i = 0; i < 30; ++i) {
        std::string to = root + "/Lists/" + (i < 20 ? "cur/" : i < 25 ? "new/" : ".Sent/cur/") +
                         fs::path(list_files[i]).filename().string() + (i < 20 || i >= 25 ? ":2,S" : "");
        fs::copy_file(list_files[i], to);
    }
    manifest << "maildir " << root << "/Lists\n";

    // Loose .eml files, one gzipped, and a file that is not mail.
    fs::create_directories(root + "/loose");
    for (int i = 1; i <= 5; ++i)
        fs::copy_file(std::string(ILC_CORPORA "/dev/eml/Sent/") + std::to_string(i) + ".eml",
                      root + "/loose/" + std::to_string(i) + ".eml");
    write_gzip(root + "/loose/6.eml.gz", slurp(ILC_CORPORA "/dev/eml/Sent/6.eml"));
    write_file(root + "/loose/notes.txt", "not a message\n");
    manifest << "eml " << root << "/loose/1.eml\neml " << root << "/loose/2.eml\neml " << root << "/loose/3.eml\n"
             << "eml " << root << "/loose/4.eml\neml " << root << "/loose/5.eml\nemlgz " << root << "/loose/6.eml.gz\n";

    write_file(dir + "/manifest.txt", manifest.str());
    write_file(dir + "/count.py",
               "import email, gzip, mailbox, sys\n"
               "total = 0\n"
               "for line in open(sys.argv[1]):\n"
               "    kind, path = line.rstrip('\\n').split(' ', 1)\n"
               "    if kind == 'mbox': n = len(mailbox.mbox(path, create=False))\n"
               "    elif kind == 'maildir':\n"
               "        md = mailbox.Maildir(path, factory=None, create=False)\n"
               "        n = len(md) + sum(len(md.get_folder(f)) for f in md.list_folders())\n"
               "    elif kind == 'eml': n = 1 if email.message_from_binary_file(open(path, 'rb'))['Message-ID'] else 0\n"
               "    else: n = 1 if email.message_from_bytes(gzip.open(path).read())['Message-ID'] else 0\n"
               "    total += n\n"
               "print(total)\n");
    std::string out = run_command("python3 " + dir + "/count.py " + dir + "/manifest.txt");
    size_t expected = 0;
    std::istringstream(out) >> expected;
    REQUIRE(expected > 1000);

    CHECK(detect_source_kind(root) == SourceKind::eml_tree);
    auto s = open_source(root);
    REQUIRE(s.ok());
    std::set<std::pair<std::string, int64_t>> positions;
    std::map<std::string, size_t> folders;
    size_t total = 0;
    while (auto raw = (*s)->next()) {
        ++total;
        CHECK(positions.insert({raw->pos.path, raw->pos.offset}).second);  // nothing read twice
        CHECK(raw->bytes.compare(0, 5, "From ") != 0);                     // every mbox was split
        CHECK(looks_like_message(std::string_view(raw->bytes).substr(0, 4096)));
        ++folders[raw->pos.folder];
    }
    CHECK(!(*s)->error());
    CHECK(total == expected);
    auto& tree = static_cast<EmlSource&>(**s);
    CHECK(tree.mbox_files() == 6);
    CHECK(tree.maildirs() == 1);
    CHECK(tree.skipped_files() == 2);  // notes.txt and Inbox.msf
    CHECK((*s)->bytes_done() == (*s)->bytes_total());
    // Folder names: the mbox's name, the Thunderbird hierarchy without ".sbd", the Maildir's place.
    CHECK(folders["mbox/allen-sent"] > 0);
    CHECK(folders["mbox/giron-sent"] > 0);
    CHECK(folders["Local Folders/Inbox"] > 0);
    CHECK(folders["Local Folders/Inbox/Clients"] > 0);
    CHECK(folders["Lists"] == 25);
    CHECK(folders["Lists/Sent"] == 5);
    CHECK(folders["loose"] == 6);
    std::printf("mixed directory: %zu messages in %zu folders (Python: %zu)\n", total, folders.size(), expected);
    fs::remove_all(dir);
}
