#pragma once
// Byte inputs the container readers pull blocks from: a plain file, a gzip file (zlib, streaming,
// concatenated members accepted), or a memory buffer (tests, fuzzing). Only one block is ever
// requested at a time, so peak memory does not depend on the input size.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ilc::parsers {

class ByteInput {
public:
    virtual ~ByteInput() = default;
    // Reads up to n bytes into buf; returns 0 at the end of the input or on an error (see error()).
    virtual size_t read(char* buf, size_t n) = 0;
    // An error that ended the input early ("" when none).
    virtual std::string error() const { return {}; }
    // Bytes of the underlying file consumed so far, and its total size (compressed sizes for gzip).
    virtual int64_t bytes_done() const = 0;
    virtual int64_t bytes_total() const = 0;
};

// Opens a plain file, or a gzip file when `gzip` is true. Returns nullptr with *err set on failure.
std::unique_ptr<ByteInput> open_file_input(const std::string& path, bool gzip, std::string* err);
// A view over caller-owned memory that must outlive the input.
std::unique_ptr<ByteInput> memory_input(std::string_view data);

// True when the file starts with the gzip magic bytes (RFC 1952 section 2.3.1: ID1 31, ID2 139).
bool is_gzip_file(const std::string& path);
// Up to n first bytes of a file, decompressed when it is gzip ("" when unreadable).
std::string read_file_head(const std::string& path, size_t n);

}  // namespace ilc::parsers
