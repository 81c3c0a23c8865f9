#include "mini_mime.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

namespace ilc::test {

namespace {

std::string lower(std::string s) {
    for (char& c : s) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return s;
}

std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x80) { out += static_cast<char>(c); continue; }
        if (c == 0x92) { out += "\xE2\x80\x99"; continue; }   // windows-1252 right quote
        if (c == 0x96) { out += "\xE2\x80\x93"; continue; }   // en dash
        if (c == 0x80) { out += "\xE2\x82\xAC"; continue; }   // euro
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
    return out;
}

std::string to_utf8(std::string_view s, const std::string& charset) {
    std::string cs = lower(charset);
    if (cs.find("8859") != std::string::npos || cs.find("1252") != std::string::npos ||
        cs.find("latin") != std::string::npos)
        return latin1_to_utf8(s);
    return std::string(s);
}

std::string qp_decode(std::string_view s, bool header) {
    std::string out;
    auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1; };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (header && s[i] == '_') { out += ' '; continue; }
        if (s[i] == '=' && i + 1 < s.size() && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
            ++i;
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            continue;
        }
        if (s[i] == '=' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
            continue;
        }
        out += s[i];
    }
    return out;
}

std::string b64_decode(std::string_view s) {
    std::string out;
    int val = 0, bits = -8;
    for (char c : s) {
        int d = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (d < 0) continue;
        val = (val << 6) + d;
        bits += 6;
        if (bits >= 0) { out += static_cast<char>((val >> bits) & 0xFF); bits -= 8; }
    }
    return out;
}

// RFC 2047 encoded-words; whitespace between adjacent encoded-words is dropped (section 6.2).
std::string decode_2047(std::string_view s) {
    std::string out;
    std::size_t i = 0;
    bool last_encoded = false;
    std::string pending_ws;
    while (i < s.size()) {
        if (s.substr(i, 2) == "=?") {
            std::size_t q1 = s.find('?', i + 2);
            std::size_t q2 = q1 == std::string_view::npos ? q1 : s.find('?', q1 + 1);
            std::size_t end = q2 == std::string_view::npos ? q2 : s.find("?=", q2 + 1);
            if (end != std::string_view::npos) {
                std::string charset(s.substr(i + 2, q1 - i - 2));
                char enc = static_cast<char>(s[q1 + 1] | 32);
                std::string_view payload = s.substr(q2 + 1, end - q2 - 1);
                std::string bytes = enc == 'b' ? b64_decode(payload) : qp_decode(payload, true);
                if (!last_encoded) out += pending_ws;
                pending_ws.clear();
                out += to_utf8(bytes, charset);
                last_encoded = true;
                i = end + 2;
                continue;
            }
        }
        if (s[i] == ' ' || s[i] == '\t') { pending_ws += s[i++]; continue; }
        out += pending_ws;
        pending_ws.clear();
        out += s[i++];
        last_encoded = false;
    }
    return out + pending_ws;
}

struct Part {
    std::vector<std::pair<std::string, std::string>> headers;  // lower-case name, raw value
    std::string_view body;
    std::string get(const std::string& name) const {
        for (const auto& [n, v] : headers) if (n == name) return v;
        return {};
    }
};

Part split_part(std::string_view raw) {
    Part p;
    std::size_t i = 0;
    while (i < raw.size()) {
        std::size_t j = raw.find('\n', i);
        if (j == std::string_view::npos) j = raw.size();
        std::string_view line = raw.substr(i, j - i);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        i = j + 1;
        if (line.empty()) break;
        if ((line[0] == ' ' || line[0] == '\t') && !p.headers.empty()) {
            p.headers.back().second += " ";
            std::size_t k = line.find_first_not_of(" \t");
            if (k != std::string_view::npos) p.headers.back().second += line.substr(k);
            continue;
        }
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string value(line.substr(colon + 1));
        value.erase(0, value.find_first_not_of(" \t"));
        p.headers.emplace_back(lower(std::string(line.substr(0, colon))), value);
    }
    p.body = i < raw.size() ? raw.substr(i) : std::string_view();
    return p;
}

std::string param(const std::string& header, const std::string& name) {
    std::string l = lower(header);
    std::size_t p = l.find(name + "=");
    if (p == std::string::npos) return {};
    std::size_t s = p + name.size() + 1;
    if (s < header.size() && header[s] == '"') {
        std::size_t e = header.find('"', s + 1);
        return header.substr(s + 1, e == std::string::npos ? std::string::npos : e - s - 1);
    }
    std::size_t e = header.find_first_of("; \t", s);
    return header.substr(s, e == std::string::npos ? std::string::npos : e - s);
}

// The first text/plain leaf, depth-first; falls back to the first text/* leaf.
bool find_text(std::string_view raw, const std::string& want, std::string& out, int depth) {
    if (depth > 20) return false;
    Part p = split_part(raw);
    std::string ct = lower(p.get("content-type"));
    if (ct.empty()) ct = "text/plain";
    if (ct.rfind("multipart/", 0) == 0) {
        std::string boundary = param(p.get("content-type"), "boundary");
        if (boundary.empty()) return false;
        std::string delim = "--" + boundary;
        std::size_t pos = p.body.find(delim);
        while (pos != std::string_view::npos) {
            std::size_t start = p.body.find('\n', pos);
            if (start == std::string_view::npos) break;
            if (p.body.substr(pos + delim.size(), 2) == "--") break;
            std::size_t next = p.body.find(delim, start);
            std::string_view sub = p.body.substr(start + 1, next == std::string_view::npos ? std::string_view::npos : next - start - 1);
            if (find_text(sub, want, out, depth + 1)) return true;
            pos = next;
        }
        return false;
    }
    if (ct.rfind(want, 0) != 0) return false;
    std::string cte = lower(p.get("content-transfer-encoding"));
    std::string bytes = cte.find("quoted") != std::string::npos ? qp_decode(p.body, false)
                      : cte.find("base64") != std::string::npos ? b64_decode(p.body) : std::string(p.body);
    out = to_utf8(bytes, param(p.get("content-type"), "charset"));
    return true;
}

std::string address_of(std::string from) {
    // RFC 5322 comments ("x@y.fr (Jean Dupont)") are not part of the address.
    for (std::size_t p = from.find('('); p != std::string::npos; p = from.find('(')) {
        std::size_t e = from.find(')', p);
        from.erase(p, e == std::string::npos ? std::string::npos : e - p + 1);
    }
    std::size_t lt = from.rfind('<');
    std::string a = lt == std::string::npos ? from : from.substr(lt + 1, from.find('>', lt) - lt - 1);
    a.erase(0, a.find_first_not_of(" \t"));
    while (!a.empty() && (a.back() == ' ' || a.back() == '\t')) a.pop_back();
    return lower(a);
}

}  // namespace

Message read_eml(std::string_view raw) {
    Message m;
    Part top = split_part(raw);
    std::string from = decode_2047(top.get("from"));
    m.from.address = address_of(from);
    std::size_t lt = from.rfind('<');
    if (lt != std::string::npos) {
        m.from.name = from.substr(0, lt);
        m.from.name.erase(std::remove(m.from.name.begin(), m.from.name.end(), '"'), m.from.name.end());
        while (!m.from.name.empty() && m.from.name.back() == ' ') m.from.name.pop_back();
    }
    m.subject = decode_2047(top.get("subject"));
    // Date: enough of RFC 5322 section 3.3 for the return-date year: "[Day, ]DD Mon YYYY".
    {
        std::string d = top.get("date");
        if (std::size_t comma = d.find(','); comma != std::string::npos) d = d.substr(comma + 1);
        int day = 0, year = 0;
        char mon[4] = {0};
        if (std::sscanf(d.c_str(), " %d %3s %d", &day, mon, &year) == 3) {
            static const char* names = "JanFebMarAprMayJunJulAugSepOctNovDec";
            const char* p = std::strstr(names, mon);
            if (p) {
                std::tm tm{};
                tm.tm_year = year - 1900;
                tm.tm_mon = static_cast<int>((p - names) / 3);
                tm.tm_mday = day;
                m.date = static_cast<int64_t>(timegm(&tm));
            }
        }
    }
    m.auto_submitted = top.get("auto-submitted");
    m.precedence = top.get("precedence");
    m.list_id = top.get("list-id");
    m.list_unsubscribe = top.get("list-unsubscribe");
    m.x_autoreply = top.get("x-autoreply");
    m.x_autorespond = top.get("x-autorespond");
    m.content_type = top.get("content-type");
    m.is_report = lower(m.content_type).rfind("multipart/report", 0) == 0;
    std::string text;
    // HTML-only mail needs the parsers' html_to_text(); the tests skip it (empty body_text).
    if (find_text(raw, "text/plain", text, 0)) m.body_text = text;
    return m;
}

Message read_eml_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return read_eml(ss.str());
}

}  // namespace ilc::test
