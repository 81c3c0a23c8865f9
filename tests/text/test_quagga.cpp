// Line-level evaluation of split_body() on Quagga's annotated corpora (Repke & Krestel, ECIR
// 2018): Enron "annotated_lines" (each body line prefixed B> body, H> quoted header, S>
// signature) and the ASF test set (Enno JSON, character-offset zones Header / Body /
// Body/Intro / Body/Outro / Body/Signature).
//
// Ground truth for our two-way split: a line belongs to the new part when it comes before the
// first line annotated as a (quoted) header; from that line on it is quoted history. Blank lines
// are not scored (either side is right), nor are ASF lines outside every annotated zone (some
// ASF files are annotated only for their first screen). Signature lines are the S / Body/Signature lines of the
// new part.
#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "interlocutor/text/split.h"

namespace fs = std::filesystem;
using ilc::text::LineKind;

namespace {

struct Truth {
    std::vector<std::string> lines;
    std::vector<char> kind;  // 'B', 'H', 'S' per line
};

struct Score {
    long lines = 0, correct = 0;
    long sig_tp = 0, sig_fp = 0, sig_fn = 0;
    int messages = 0;
    std::vector<std::string> worst;  // names of messages with errors, for diagnosis
    void add(const std::string& name, const Truth& t) {
        std::string body;
        for (const auto& l : t.lines) body += l + "\n";
        ilc::text::BodySplit s = ilc::text::split_body(body);
        std::size_t first_h = std::find(t.kind.begin(), t.kind.end(), 'H') - t.kind.begin();
        int errors = 0;
        for (std::size_t i = 0; i < t.lines.size() && i < s.lines.size(); ++i) {
            bool blank = t.lines[i].find_first_not_of(" \t\r") == std::string::npos;
            // Blank lines and lines the annotators left without any zone are not scored.
            if (blank || t.kind[i] == '?') continue;
            bool truth_quoted = i >= first_h;
            bool got_quoted = s.lines[i] == LineKind::quoted;
            ++lines;
            if (truth_quoted == got_quoted) ++correct; else ++errors;
            bool truth_sig = !truth_quoted && t.kind[i] == 'S';
            bool got_sig = s.lines[i] == LineKind::signature;
            if (truth_sig && got_sig) ++sig_tp;
            else if (got_sig) ++sig_fp;
            else if (truth_sig) ++sig_fn;
        }
        ++messages;
        if (errors) worst.push_back(name + " (" + std::to_string(errors) + ")");
    }
    double accuracy() const { return lines ? double(correct) / lines : 0; }
    void print(const char* what) const {
        double p = sig_tp + sig_fp ? double(sig_tp) / (sig_tp + sig_fp) : 0;
        double r = sig_tp + sig_fn ? double(sig_tp) / (sig_tp + sig_fn) : 0;
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        std::printf("%s: %d messages, %ld non-blank lines, new/quoted accuracy %.4f; signature lines "
                    "P %.3f R %.3f F1 %.3f (tp %ld fp %ld fn %ld)\n",
                    what, messages, lines, accuracy(), p, r, f1, sig_tp, sig_fp, sig_fn);
        if (std::getenv("ILC_TEXT_VERBOSE"))
            for (const auto& w : worst) std::printf("  errors in %s\n", w.c_str());
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Enron annotated_lines: RFC 5322 headers, a blank line, then "B>", "H>", "S>" prefixed lines.
Truth read_enron(const fs::path& p) {
    Truth t;
    std::string raw = slurp(p);
    std::istringstream in(raw);
    std::string line;
    bool body = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!body) { if (line.empty()) body = true; continue; }
        if (line.size() >= 2 && line[1] == '>' && (line[0] == 'B' || line[0] == 'H' || line[0] == 'S')) {
            t.kind.push_back(line[0]);
            t.lines.push_back(line.substr(2));
        } else if (line.empty()) {
            t.kind.push_back('B');
            t.lines.push_back("");
        }
    }
    return t;
}

// ASF: Enno JSON; offsets count code points (the annotation tool is Python).
Truth read_asf(const fs::path& p) {
    Truth t;
    Poco::JSON::Parser parser;
    auto obj = parser.parse(slurp(p)).extract<Poco::JSON::Object::Ptr>();
    std::string text = obj->getValue<std::string>("text");
    // Byte offset of every code point.
    std::vector<std::size_t> cp_byte;
    for (std::size_t i = 0; i < text.size(); ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) cp_byte.push_back(i);
    cp_byte.push_back(text.size());
    std::vector<char> byte_kind(text.size(), '?');
    auto dens = obj->getArray("denotations");
    // Any zone first, then signatures, headers last: a header wins where zones overlap.
    for (const char* want : {"", "Body/Signature", "Header"}) {
        for (std::size_t k = 0; k < dens->size(); ++k) {
            auto d = dens->getObject(static_cast<unsigned>(k));
            std::string type = d->getValue<std::string>("type");
            if (*want && type != want) continue;
            std::size_t s = std::min<std::size_t>(d->getValue<int>("start"), cp_byte.size() - 1);
            std::size_t e = std::min<std::size_t>(d->getValue<int>("end"), cp_byte.size() - 1);
            for (std::size_t b = cp_byte[s]; b < cp_byte[e]; ++b)
                byte_kind[b] = !*want ? 'B' : want[0] == 'H' ? 'H' : 'S';
        }
    }
    std::size_t i = 0;
    while (i <= text.size()) {
        std::size_t j = text.find('\n', i);
        if (j == std::string::npos) j = text.size();
        char k = '?';
        for (std::size_t b = i; b < j; ++b) {
            if (byte_kind[b] == 'H') { k = 'H'; break; }
            if (byte_kind[b] == 'S') k = 'S';
            if (byte_kind[b] == 'B' && k == '?') k = 'B';
        }
        t.lines.push_back(text.substr(i, j - i));
        t.kind.push_back(k);
        if (j == text.size()) break;
        i = j + 1;
    }
    return t;
}

const fs::path kQuagga = fs::path(ILC_CORPORA) / "torture/quagga-enron-asf-zones/Datasets";

}  // namespace

TEST_CASE("Quagga Enron annotated_lines: new/quoted line accuracy >= 0.95", "[text.split][quagga]") {
    Score score;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(kQuagga / "Enron/annotated_lines")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() > 100);
    for (const auto& f : files) score.add(f.filename().string(), read_enron(f));
    score.print("Quagga Enron annotated_lines");
    CHECK(score.lines > 3000);
    CHECK(score.accuracy() >= 0.95);
}

TEST_CASE("Quagga ASF test set: new/quoted line accuracy >= 0.95", "[text.split][quagga]") {
    Score score;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(kQuagga / "ASF/test"))
        if (e.path().extension() == ".ann") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() > 50);
    for (const auto& f : files) score.add(f.filename().string(), read_asf(f));
    score.print("Quagga ASF test");
    CHECK(score.lines > 1000);
    CHECK(score.accuracy() >= 0.95);
}
