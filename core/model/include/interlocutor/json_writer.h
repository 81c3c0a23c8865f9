#pragma once
// A small streaming JSON writer with deterministic key order (the order of the calls).
// Used for the CLI's JSON contract (SPEC "Command line and JSON"); strings must be UTF-8,
// invalid bytes are replaced by U+FFFD so the output is always valid JSON.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace ilc {

class JsonWriter {
public:
    explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

    JsonWriter& begin_object() { value_prefix(); out_ += '{'; stack_.push_back({true, true}); return *this; }
    JsonWriter& end_object() { close('}'); return *this; }
    JsonWriter& begin_array() { value_prefix(); out_ += '['; stack_.push_back({false, true}); return *this; }
    JsonWriter& end_array() { close(']'); return *this; }

    JsonWriter& key(std::string_view k) {
        auto& f = stack_.back();
        if (!f.first) out_ += ',';
        f.first = false;
        newline();
        write_string(k);
        out_ += pretty_ ? ": " : ":";
        after_key_ = true;
        return *this;
    }
    JsonWriter& value(std::string_view s) { value_prefix(); write_string(s); return *this; }
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b) { value_prefix(); out_ += b ? "true" : "false"; return *this; }
    JsonWriter& value(int v) { return value(static_cast<long long>(v)); }
    JsonWriter& value(long v) { return value(static_cast<long long>(v)); }
    JsonWriter& value(unsigned v) { return value(static_cast<unsigned long long>(v)); }
    JsonWriter& value(long long v) { value_prefix(); out_ += std::to_string(v); return *this; }
    JsonWriter& value(unsigned long v) { value_prefix(); out_ += std::to_string(v); return *this; }
    JsonWriter& value(unsigned long long v) { value_prefix(); out_ += std::to_string(v); return *this; }
    JsonWriter& value(double v) {
        value_prefix();
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", v);
        out_ += buf;
        return *this;
    }
    JsonWriter& null() { value_prefix(); out_ += "null"; return *this; }
    template <typename T>
    JsonWriter& kv(std::string_view k, const T& v) { key(k); return value(v); }
    JsonWriter& kv_null(std::string_view k) { key(k); return null(); }

    const std::string& str() const { return out_; }
    std::string take() { return std::move(out_); }

    static void append_escaped(std::string& out, std::string_view s) {
        static const char* hex = "0123456789abcdef";
        size_t i = 0;
        while (i < s.size()) {
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (c < 0x80) {
                switch (c) {
                    case '"': out += "\\\""; break;
                    case '\\': out += "\\\\"; break;
                    case '\n': out += "\\n"; break;
                    case '\r': out += "\\r"; break;
                    case '\t': out += "\\t"; break;
                    default:
                        if (c < 0x20 || c == 0x7f) {
                            out += "\\u00";
                            out += hex[c >> 4];
                            out += hex[c & 15];
                        } else {
                            out += static_cast<char>(c);
                        }
                }
                ++i;
                continue;
            }
            // Validate one UTF-8 sequence; replace invalid bytes with U+FFFD.
            size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
            bool ok = len != 0 && i + len <= s.size();
            for (size_t k = 1; ok && k < len; ++k)
                ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
            if (ok) {
                out.append(s.substr(i, len));
                i += len;
            } else {
                out += "\xef\xbf\xbd";
                ++i;
            }
        }
    }

private:
    struct Frame { bool is_object; bool first; };
    void newline() {
        if (!pretty_) return;
        out_ += '\n';
        out_.append(stack_.size() * 2, ' ');
    }
    void value_prefix() {
        if (after_key_) { after_key_ = false; return; }
        if (stack_.empty()) return;
        auto& f = stack_.back();
        if (!f.first) out_ += ',';
        f.first = false;
        newline();
    }
    void close(char c) {
        bool empty = stack_.back().first;
        stack_.pop_back();
        if (!empty) newline();
        out_ += c;
    }
    void write_string(std::string_view s) {
        out_ += '"';
        append_escaped(out_, s);
        out_ += '"';
    }
    bool pretty_;
    bool after_key_ = false;
    std::vector<Frame> stack_;
    std::string out_;
};

}  // namespace ilc
