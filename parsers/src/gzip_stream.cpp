#include "gzip_stream.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace ilc::parsers {
namespace {

class FileInput : public ByteInput {
public:
    FileInput(FILE* f, int64_t total) : f_(f), total_(total) {}
    ~FileInput() override { std::fclose(f_); }
    size_t read(char* buf, size_t n) override {
        size_t got = std::fread(buf, 1, n, f_);
        if (got < n && std::ferror(f_)) err_ = std::strerror(errno);
        done_ += static_cast<int64_t>(got);
        return got;
    }
    std::string error() const override { return err_; }
    int64_t bytes_done() const override { return done_; }
    int64_t bytes_total() const override { return total_; }

private:
    FILE* f_;
    int64_t total_;
    int64_t done_ = 0;
    std::string err_;
};

class GzipInput : public ByteInput {
public:
    GzipInput(gzFile g, int64_t total) : g_(g), total_(total) {
        // A bigger internal buffer than zlib's 8 KB default: fewer read() calls on big exports.
        gzbuffer(g_, 256 << 10);
    }
    ~GzipInput() override { gzclose(g_); }
    size_t read(char* buf, size_t n) override {
        if (n > (1u << 30)) n = 1u << 30;  // gzread takes an unsigned int length
        int got = gzread(g_, buf, static_cast<unsigned>(n));
        if (got < 0) {
            int code = 0;
            const char* msg = gzerror(g_, &code);
            err_ = std::string("gzip: ") + (msg ? msg : "read error");
            return 0;
        }
        if (got == 0) {
            // A truncated gzip stream ends with Z_BUF_ERROR: what was decompressed is kept.
            int code = 0;
            const char* msg = gzerror(g_, &code);
            if (code != Z_OK && err_.empty()) err_ = std::string("gzip: ") + (msg ? msg : "truncated");
        }
        return static_cast<size_t>(got);
    }
    std::string error() const override { return err_; }
    int64_t bytes_done() const override { return static_cast<int64_t>(gzoffset(g_)); }
    int64_t bytes_total() const override { return total_; }

private:
    gzFile g_;
    int64_t total_;
    std::string err_;
};

class MemoryInput : public ByteInput {
public:
    explicit MemoryInput(std::string_view d) : d_(d) {}
    size_t read(char* buf, size_t n) override {
        size_t k = std::min(n, d_.size() - pos_);
        if (k) std::memcpy(buf, d_.data() + pos_, k);
        pos_ += k;
        return k;
    }
    int64_t bytes_done() const override { return static_cast<int64_t>(pos_); }
    int64_t bytes_total() const override { return static_cast<int64_t>(d_.size()); }

private:
    std::string_view d_;
    size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<ByteInput> open_file_input(const std::string& path, bool gzip, std::string* err) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    int64_t total = ec ? 0 : static_cast<int64_t>(size);
    if (gzip) {
        gzFile g = gzopen(path.c_str(), "rb");
        if (!g) {
            if (err) *err = path + ": " + std::strerror(errno ? errno : EIO);
            return nullptr;
        }
        return std::make_unique<GzipInput>(g, total);
    }
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        if (err) *err = path + ": " + std::strerror(errno);
        return nullptr;
    }
    return std::make_unique<FileInput>(f, total);
}

std::unique_ptr<ByteInput> memory_input(std::string_view data) { return std::make_unique<MemoryInput>(data); }

bool is_gzip_file(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    unsigned char m[2] = {0, 0};
    size_t n = std::fread(m, 1, 2, f);
    std::fclose(f);
    return n == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

std::string read_file_head(const std::string& path, size_t n) {
    std::string err;
    auto in = open_file_input(path, is_gzip_file(path), &err);
    if (!in) return {};
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
        size_t k = in->read(out.data() + got, n - got);
        if (k == 0) break;
        got += k;
    }
    out.resize(got);
    return out;
}

}  // namespace ilc::parsers
