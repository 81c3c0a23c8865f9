// imap[s]:// URLs (a subset of RFC 5092: user, host, port, one mailbox) and modified UTF-7
// mailbox names (RFC 3501 section 5.1.3).
#include <cctype>
#include <cstdint>
#include <cstring>

#include "interlocutor/imap/imap.h"

namespace ilc::imap {

namespace {

std::string percent_decode(const std::string& s) {
    std::string o;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            o += s[i];
        }
    }
    return o;
}

const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

void put_utf8(std::string& o, uint32_t cp) {
    if (cp < 0x80) o += static_cast<char>(cp);
    else if (cp < 0x800) {
        o += static_cast<char>(0xC0 | (cp >> 6));
        o += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o += static_cast<char>(0xE0 | (cp >> 12));
        o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        o += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        o += static_cast<char>(0xF0 | (cp >> 18));
        o += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        o += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

std::string Url::canonical(const std::string& folder_name) const {
    return std::string(security == Security::implicit_tls ? "imaps://" : "imap://") + user + "@" + host +
           ((security == Security::implicit_tls && port == 993) || (security == Security::starttls && port == 143)
                ? ""
                : ":" + std::to_string(port)) +
           "/" + folder_name;
}

Result<Url> parse_url(const std::string& s) {
    Url u;
    std::string rest;
    auto bad = [&](const std::string& why) {
        return Error{ErrorCode::usage, "bad IMAP URL '" + s + "': " + why,
                     "write imaps://USER@HOST[:PORT]/[FOLDER] (the password comes from ILC_IMAP_PASSWORD, ~/.netrc or a prompt)"};
    };
    if (s.rfind("imaps://", 0) == 0) {
        u.security = Security::implicit_tls;
        u.port = 993;
        rest = s.substr(8);
    } else if (s.rfind("imap://", 0) == 0) {
        u.security = Security::starttls;
        u.port = 143;
        rest = s.substr(7);
    } else {
        return bad("it must start with imaps:// or imap://");
    }
    size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    if (slash != std::string::npos) u.folder = percent_decode(rest.substr(slash + 1));
    while (!u.folder.empty() && u.folder.back() == '/') u.folder.pop_back();
    size_t at = authority.rfind('@');
    if (at == std::string::npos) return bad("no user (USER@HOST)");
    std::string userinfo = authority.substr(0, at);
    if (userinfo.find(':') != std::string::npos)
        return bad("a password in the URL is refused: it would show in the process list and the shell history");
    u.user = percent_decode(userinfo);
    std::string hostport = authority.substr(at + 1);
    if (!hostport.empty() && hostport[0] == '[') {
        size_t close = hostport.find(']');
        if (close == std::string::npos) return bad("an IPv6 address without ']'");
        u.host = hostport.substr(1, close - 1);
        hostport = hostport.substr(close + 1);
        if (!hostport.empty() && hostport[0] != ':') return bad("unexpected text after the host");
        if (!hostport.empty()) hostport = "x" + hostport;
    }
    size_t colon = hostport.rfind(':');
    if (colon != std::string::npos) {
        std::string port = hostport.substr(colon + 1);
        if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(port) == 0 || std::stoi(port) > 65535)
            return bad("the port must be a number from 1 to 65535");
        u.port = static_cast<uint16_t>(std::stoi(port));
        if (u.host.empty()) u.host = hostport.substr(0, colon);
    } else if (u.host.empty()) {
        u.host = hostport;
    }
    if (u.user.empty()) return bad("an empty user");
    if (u.host.empty()) return bad("an empty host");
    return u;
}

// RFC 3501 section 5.1.3: "&" starts modified BASE64 of UTF-16 ("," for "/"), "-" ends it,
// "&-" is "&". Malformed shifts are kept as written rather than dropped.
std::string decode_mailbox_name(const std::string& in) {
    std::string o;
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '&') {
            o += in[i];
            continue;
        }
        size_t end = in.find('-', i + 1);
        if (end == std::string::npos) {
            o += in.substr(i);
            break;
        }
        if (end == i + 1) {
            o += '&';
            i = end;
            continue;
        }
        uint32_t bits = 0;
        int nbits = 0;
        std::u16string units;
        bool ok = true;
        for (size_t k = i + 1; k < end; ++k) {
            const char* p = std::strchr(kB64, in[k]);
            if (!p || !in[k]) {
                ok = false;
                break;
            }
            bits = (bits << 6) | static_cast<uint32_t>(p - kB64);
            nbits += 6;
            if (nbits >= 16) {
                nbits -= 16;
                units += static_cast<char16_t>((bits >> nbits) & 0xFFFF);
            }
        }
        if (!ok) {
            o += in.substr(i, end - i + 1);
            i = end;
            continue;
        }
        for (size_t k = 0; k < units.size(); ++k) {
            uint32_t cp = units[k];
            if (cp >= 0xD800 && cp < 0xDC00 && k + 1 < units.size() && units[k + 1] >= 0xDC00 && units[k + 1] < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (units[k + 1] - 0xDC00);
                ++k;
            }
            put_utf8(o, cp);
        }
        i = end;
    }
    return o;
}

std::string encode_mailbox_name(const std::string& in) {
    std::string o;
    std::u16string pending;
    auto flush = [&] {
        if (pending.empty()) return;
        o += '&';
        uint32_t bits = 0;
        int nbits = 0;
        for (char16_t u : pending) {
            bits = (bits << 16) | u;
            nbits += 16;
            while (nbits >= 6) {
                nbits -= 6;
                o += kB64[(bits >> nbits) & 0x3F];
            }
        }
        if (nbits > 0) o += kB64[(bits << (6 - nbits)) & 0x3F];
        o += '-';
        pending.clear();
    };
    for (size_t i = 0; i < in.size();) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        if (c >= 0x20 && c < 0x7F) {
            flush();
            o += c == '&' ? std::string("&-") : std::string(1, static_cast<char>(c));
            ++i;
            continue;
        }
        uint32_t cp = c;
        int len = 1;
        if (c >= 0xF0) cp = c & 0x07, len = 4;
        else if (c >= 0xE0) cp = c & 0x0F, len = 3;
        else if (c >= 0xC0) cp = c & 0x1F, len = 2;
        for (int k = 1; k < len && i + k < in.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
        i += len;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            pending += static_cast<char16_t>(0xD800 + (cp >> 10));
            pending += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
        } else {
            pending += static_cast<char16_t>(cp);
        }
    }
    flush();
    return o;
}

}  // namespace ilc::imap
