// Runs the header decoders over every file of /work/shared/corpora/torture (files under 5 MB):
// nothing may throw, every decoded string must be valid UTF-8. Also checks the date parser on
// the Date headers of a real Enron mbox.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "interlocutor/parsers/headers.h"

using namespace ilc::parsers;
namespace fs = std::filesystem;

namespace {
std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool is_address_field(std::string_view n) {
    for (std::string_view a : {"from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "x-to", "x-cc"})
        if (n.size() == a.size() && std::equal(n.begin(), n.end(), a.begin(), [](char x, char y) { return std::tolower(
                                                                                                     static_cast<unsigned char>(x)) == y; }))
            return true;
    return false;
}

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}
}  // namespace

TEST_CASE("header decoders over the torture corpus", "[parsers.headers.corpus]") {
    const fs::path root = fs::path(ILC_CORPORA) / "torture";
    if (!fs::exists(root)) {
        WARN("torture corpus missing: " << root);
        return;
    }
    size_t files = 0, fields = 0, dates = 0, dates_ok = 0, addresses = 0, encoded_subjects = 0, undecoded_subjects = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied)) {
        if (!entry.is_regular_file() || entry.file_size() >= (5u << 20)) continue;
        const std::string raw = read_file(entry.path());
        ++files;
        INFO(entry.path().string());
        HeaderBlock hb;
        REQUIRE_NOTHROW(hb = split_header_block(raw));
        REQUIRE(hb.body_offset <= raw.size());
        for (const HeaderField& f : hb.fields) {
            ++fields;
            REQUIRE(f.offset >= 0);
            REQUIRE(size_t(f.offset) < raw.size());
            const std::string decoded = decode_rfc2047(f.value);
            CHECK(is_valid_utf8(decoded));
            if (iequal(f.name, "subject") && f.value.find("=?") != std::string::npos) {
                ++encoded_subjects;
                if (decoded.find("=?") != std::string::npos) ++undecoded_subjects;
            }
            if (is_address_field(f.name)) {
                for (const ilc::Mailbox& m : parse_address_list(f.value)) {
                    ++addresses;
                    CHECK(is_valid_utf8(m.name));
                    CHECK(is_valid_utf8(m.address));
                }
            } else if (iequal(f.name, "date")) {
                ++dates;
                if (parse_date(f.value)) ++dates_ok;
            } else if (iequal(f.name, "received")) {
                (void)parse_received_date(f.value);
            } else if (iequal(f.name, "message-id") || iequal(f.name, "references") || iequal(f.name, "in-reply-to")) {
                for (const std::string& id : parse_msg_ids(f.value)) CHECK_FALSE(id.empty());
            } else if (iequal(f.name, "content-type") || iequal(f.name, "content-disposition")) {
                const ContentType ct = parse_content_type(f.value);
                CHECK_FALSE(ct.type.empty());
                for (const MimeParam& p : ct.params) CHECK(is_valid_utf8(p.value));
            }
        }
    }
    // The corpus is thousands of real messages: these floors catch a decoder that silently gives up.
    CHECK(files > 1000);
    CHECK(fields > 10000);
    CHECK(addresses > 1000);
    CHECK(encoded_subjects > 40);
    CHECK(undecoded_subjects == 0);
    REQUIRE(dates > 1000);
    // The few failures are not dates ("Malformed Date.", "<HR>", a half-deleted time).
    CHECK(dates - dates_ok <= 5);
}

TEST_CASE("parse_date over the Date headers of a real Enron mbox", "[parsers.headers.corpus]") {
    const fs::path mbox = fs::path(ILC_CORPORA) / "enron-mbox" / "enron.allen-p.inbox";
    if (!fs::exists(mbox)) {
        WARN("enron mbox missing: " << mbox);
        return;
    }
    const std::string raw = read_file(mbox);
    size_t total = 0, ok = 0, from_lines = 0, from_ok = 0;
    size_t pos = 0;
    while (pos < raw.size()) {
        size_t eol = raw.find('\n', pos);
        if (eol == std::string::npos) eol = raw.size();
        std::string_view line(raw.data() + pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.substr(0, 6) == "Date: ") {
            ++total;
            if (auto d = parse_date(line.substr(6))) {
                ++ok;
                // Enron mail is from 1997-2002 and written in US Pacific time.
                CHECK(d->utc > 852076800);   // 1997-01-01
                CHECK(d->utc < 1041379200);  // 2003-01-01
            }
        } else if (line.substr(0, 5) == "From ") {
            ++from_lines;
            if (parse_mbox_from_date(line)) ++from_ok;
        }
        pos = eol + 1;
    }
    REQUIRE(total > 50);
    CHECK(ok == total);
    CHECK(from_ok == from_lines);
}
