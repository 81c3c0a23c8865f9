// split_header_block: fields, offsets, unfolding and the body offset, each malformed case run
// with LF and with CRLF (and bare CR where it makes sense).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "interlocutor/parsers/headers.h"

using namespace ilc::parsers;

namespace {
// Rewrites "\n" line ends of a test message to `eol`.
std::string with_eol(std::string_view lf_text, std::string_view eol) {
    std::string out;
    for (char c : lf_text) {
        if (c == '\n') out += eol;
        else out += c;
    }
    return out;
}

bool has_warning(const HeaderBlock& hb, std::string_view code) {
    for (const auto& w : hb.warnings)
        if (w.code == code) return true;
    return false;
}
}  // namespace

TEST_CASE("split_header_block: fields, folding and body offset", "[parsers.headers.split]") {
    for (std::string_view eol : {"\n", "\r\n", "\r"}) {
        INFO("eol size " << eol.size() << (eol == "\r" ? " (bare CR)" : ""));
        const std::string raw = with_eol(
            "From: A <a@x.com>\n"
            "Subject: a folded\n"
            "\tsubject line\n"
            "To:b@y.com\n"
            "X-Empty:\n"
            "X-Spaced :  value  \n"
            "\n"
            "Body line\n",
            eol);
        const HeaderBlock hb = split_header_block(raw);
        REQUIRE(hb.fields.size() == 5);
        CHECK(hb.fields[0].name == "From");
        CHECK(hb.fields[0].value == "A <a@x.com>");
        CHECK(hb.fields[0].offset == 0);
        CHECK(hb.fields[1].value == "a folded\tsubject line");
        CHECK(hb.fields[1].offset == int64_t(raw.find("Subject:")));
        CHECK(hb.fields[2].value == "b@y.com");
        CHECK(hb.fields[3].value.empty());
        CHECK(hb.fields[4].name == "X-Spaced");
        CHECK(hb.fields[4].value == "value");
        CHECK(raw.substr(hb.body_offset) == with_eol("Body line\n", eol));
        CHECK(hb.warnings.empty());
        REQUIRE(hb.find("subject") != nullptr);
        CHECK(hb.find("SUBJECT")->value == "a folded\tsubject line");
        CHECK(hb.find("Cc") == nullptr);
    }
}

TEST_CASE("split_header_block: malformed headers", "[parsers.headers.split]") {
    for (std::string_view eol : {"\n", "\r\n"}) {
        INFO("eol size " << eol.size());
        SECTION("missing blank line: the body starts at the first non-header line") {
            const std::string raw = with_eol("Subject: x\nFrom: a@b\nThis is the body\nmore\n", eol);
            const HeaderBlock hb = split_header_block(raw);
            CHECK(hb.fields.size() == 2);
            CHECK(raw.substr(hb.body_offset, 16) == "This is the body");
            CHECK(has_warning(hb, "no_blank_line"));
        }
        SECTION("mbox From_ line and >From lines are not fields") {
            const std::string raw =
                with_eol("From a@b Mon Jul 20 14:24:21 2026\nSubject: x\n>From a@b Mon Jul 20 14:24:21 2026\nTo: c@d\n\nbody", eol);
            const HeaderBlock hb = split_header_block(raw);
            REQUIRE(hb.fields.size() == 2);
            CHECK(hb.fields[0].name == "Subject");
            CHECK(hb.fields[0].offset == int64_t(raw.find("Subject")));
            CHECK(hb.fields[1].name == "To");
            CHECK(raw.substr(hb.body_offset) == "body");
        }
        SECTION("no body at all") {
            const std::string raw = with_eol("Subject: x\nTo: y", eol);
            const HeaderBlock hb = split_header_block(raw);
            CHECK(hb.fields.size() == 2);
            CHECK(hb.fields[1].value == "y");
            CHECK(hb.body_offset == raw.size());
        }
        SECTION("empty message and blank first line") {
            CHECK(split_header_block("").fields.empty());
            const std::string raw = with_eol("\nbody", eol);
            const HeaderBlock hb = split_header_block(raw);
            CHECK(hb.fields.empty());
            CHECK(raw.substr(hb.body_offset) == "body");
        }
        SECTION("8-bit and NUL bytes in values") {
            const std::string raw = with_eol(std::string("Subject: caf\xE9 \0x\nTo: a@b\n\n", 26), eol);
            const HeaderBlock hb = split_header_block(raw);
            REQUIRE(hb.fields.size() == 2);
            CHECK(hb.fields[0].value == std::string("caf\xE9 \0x", 7));
        }
        SECTION("a NUL in a field name ends the header") {
            const std::string raw = with_eol(std::string("Subject: x\nBad\0Name: y\n\n", 24), eol);
            const HeaderBlock hb = split_header_block(raw);
            CHECK(hb.fields.size() == 1);
            CHECK(has_warning(hb, "no_blank_line"));
        }
        SECTION("a continuation before any field is ignored") {
            const std::string raw = with_eol("  stray\nSubject: x\n\n", eol);
            const HeaderBlock hb = split_header_block(raw);
            REQUIRE(hb.fields.size() == 1);
            CHECK(hb.fields[0].value == "x");
            CHECK(has_warning(hb, "continuation_without_field"));
        }
        SECTION("a value that begins on the continuation line") {
            const std::string raw = with_eol("References:\n <a@b>\n <c@d>\n\n", eol);
            const HeaderBlock hb = split_header_block(raw);
            REQUIRE(hb.fields.size() == 1);
            CHECK(hb.fields[0].value == "<a@b> <c@d>");
        }
        SECTION("field count limit") {
            ParserOptions opts;
            opts.max_fields = 3;
            const std::string raw = with_eol("A: 1\nB: 2\nC: 3\nD: 4\n folded\nE: 5\n\nbody", eol);
            const HeaderBlock hb = split_header_block(raw, opts);
            CHECK(hb.fields.size() == 3);
            CHECK(has_warning(hb, "too_many_fields"));
            CHECK(raw.substr(hb.body_offset) == "body");
        }
        SECTION("header byte limit") {
            ParserOptions opts;
            opts.max_header_bytes = 20;
            // The limit counts kept bytes (name, colon, value): 12 per field here.
            const std::string raw = with_eol("A: 1234567890\nB: 1234567890\nC: 1234567890\n\nbody", eol);
            const HeaderBlock hb = split_header_block(raw, opts);
            CHECK(hb.fields.size() == 2);
            CHECK(has_warning(hb, "header_too_long"));
            CHECK(raw.substr(hb.body_offset, 2) == "C:");
        }
    }
}

TEST_CASE("split_header_block: a 10 MB header line is truncated in linear time", "[parsers.headers.split]") {
    for (std::string_view eol : {"\n", "\r\n", "\r"}) {
        std::string raw = "Subject: ";
        raw.append(10u << 20, 'x');
        raw += eol;
        raw += " folded-more";
        raw += eol;
        raw += "To: a@b";
        raw += eol;
        raw += eol;
        raw += "body";
        const auto t0 = std::chrono::steady_clock::now();
        const HeaderBlock hb = split_header_block(raw);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
        REQUIRE(hb.fields.size() == 2);
        CHECK(hb.fields[0].value.size() == ParserOptions{}.max_header_value);
        CHECK(hb.fields[1].value == "a@b");
        CHECK(has_warning(hb, "header_truncated"));
        CHECK(raw.substr(hb.body_offset) == "body");
        CHECK(ms < 2000);
    }
    // Many bare-CR lines: each line must not rescan to the end of the buffer.
    std::string raw;
    for (int i = 0; i < 200000; ++i) raw += "X-H: v\r";
    const auto t0 = std::chrono::steady_clock::now();
    const HeaderBlock hb = split_header_block(raw);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    CHECK(hb.fields.size() == 10000);  // the default max_fields
    CHECK(ms < 3000);
}

// parse_message splits with a `keep` predicate (only the fields it reads are stored): that split
// must be the full one filtered, with the same warnings and body offset, whatever the limits.
TEST_CASE("split_header_block with keep: the full split, filtered", "[parsers.headers.split]") {
    auto keep = [](std::string_view name) { return name.size() % 2 == 0; };  // "To", "From", ...
    auto check = [&](std::string_view raw, const ParserOptions& opts) {
        const HeaderBlock full = split_header_block(raw, opts);
        const HeaderBlock kept = split_header_block(raw, opts, keep);
        std::vector<const HeaderField*> expected;
        for (const HeaderField& f : full.fields)
            if (keep(f.name)) expected.push_back(&f);
        REQUIRE(kept.fields.size() == expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
            CHECK(kept.fields[i].name == expected[i]->name);
            CHECK(kept.fields[i].value == expected[i]->value);
            CHECK(kept.fields[i].offset == expected[i]->offset);
        }
        CHECK(kept.body_offset == full.body_offset);
        CHECK(kept.warnings == full.warnings);
    };
    ParserOptions tight;  // small limits: truncation, the header size cap and the field cap
    tight.max_header_value = 16;
    tight.max_header_bytes = 80;
    tight.max_fields = 3;
    for (std::string_view eol : {"\n", "\r\n", "\r"}) {
        for (std::string_view text :
             {"From: a@b\nSubject: a folded\n\tsubject line that is long\nTo: b@y.com\nX-Long-Name: v\n\nbody",
              "  leading fold\nTo: x\nReceived: from a\n  by b\n  for c; Mon, 1 Jan 2024 00:00:00 +0000\nCc: d\nno colon here\n",
              "From a@b Mon Jul 20 14:24:21 2026\nTo: c\n>From x\nFrom : spaced\nDate: Mon, 1 Jan 2024\n\n",
              "To: only header, no body"}) {
            const std::string raw = with_eol(text, eol);
            check(raw, ParserOptions{});
            check(raw, tight);
        }
    }
    const std::filesystem::path root = std::filesystem::path(ILC_CORPORA) / "torture";
    if (!std::filesystem::exists(root)) return;
    size_t files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
        if (!e.is_regular_file() || e.file_size() > (1u << 20)) continue;
        std::ifstream in(e.path(), std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        check(ss.str(), ParserOptions{});
        check(ss.str(), tight);
        ++files;
    }
    CHECK(files > 0);
}
