#pragma once
// Our own streaming mbox splitter (GMime/MimeKit style): reads the input in large blocks into one
// carry buffer that holds only the current message, and records each message's byte offset and
// length so a stored row points back into its file. Handles mboxo, mboxrd, mboxcl/cl2, CRLF,
// missing final newline, truncated files, NUL bytes and absurdly long lines (linear time).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gzip_stream.h"
#include "interlocutor/parsers/source.h"

namespace ilc::parsers {

// True for a plausible "From " separator line: "From " + sender + an asctime-like date
// (`From addr Day Mon dd hh:mm:ss yyyy`, weekday optional, a zone may follow).
bool looks_like_from_line(std::string_view line);

// Removes one '>' from lines matching ^>+From (mboxrd, RFC 4155 appendix; applied to mboxo too).
std::string mbox_unquote(std::string_view raw);

class MboxReader : public Source {
public:
    // `block_size` is how much is read at a time; tests set it tiny to check that block
    // boundaries never change the result (GMime's onebyte test idea).
    MboxReader(std::unique_ptr<ByteInput> in, std::string path, std::string folder, const ParserOptions& opts = {},
               size_t block_size = 1 << 20);

    std::optional<RawMessage> next() override;
    std::optional<Error> error() const override;
    int64_t bytes_done() const override { return in_->bytes_done(); }
    int64_t bytes_total() const override { return in_->bytes_total(); }
    void seek(int64_t offset) override { skip_before_ = offset; }

private:
    enum class State { init, headers, body, done };

    bool fill();                       // reads one block; false at the end of the input
    size_t line_end();                 // index after the line at scan_ ('\n' included), npos at the end
    bool peek_line(int64_t off, std::string_view* line);  // first bytes of the line at file offset off
    RawMessage finish(size_t end, bool at_eof);
    void begin_message(int64_t offset);
    void check_content_length();
    std::optional<RawMessage> next_unfiltered();

    std::unique_ptr<ByteInput> in_;
    std::string path_, folder_;
    ParserOptions opts_;
    size_t block_size_;

    std::string buf_;          // carry buffer: the current message and the data read after it
    int64_t base_ = 0;         // file offset of buf_[0]
    bool eof_ = false;
    size_t start_ = 0;         // index of the current message's first kept byte
    size_t scan_ = 0;          // index of the next line to examine
    size_t search_ = 0;        // where the '\n' search of the line at scan_ resumes (linear long lines)
    State state_ = State::init;
    bool prev_blank_ = false;
    bool seen_message_ = false;
    int64_t msg_offset_ = 0;   // file offset of the current message
    int64_t body_offset_ = -1; // file offset of its body
    int64_t header_end_ = -1;  // file offset of the blank line that ends its header block
    bool oversize_ = false;    // past max_message_bytes: bytes are dropped, the message is reported
    std::string from_line_;
    std::vector<Warning> warnings_;
    int64_t skip_before_ = -1;
};

}  // namespace ilc::parsers
