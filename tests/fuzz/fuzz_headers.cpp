// libFuzzer harness for the header decoders: every function must return (no crash, no hang,
// no sanitizer report) and give valid UTF-8 where it promises UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "interlocutor/parsers/headers.h"

using namespace ilc::parsers;

namespace {
void require_utf8(std::string_view s) {
    if (!is_valid_utf8(s)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    ParserOptions opts;
    opts.max_header_value = 4096;  // small limits so the truncation paths are reached
    opts.max_header_bytes = 1 << 16;
    opts.max_fields = 200;
    const HeaderBlock hb = split_header_block(in, opts);
    if (hb.body_offset > in.size()) std::abort();
    for (const HeaderField& f : hb.fields)
        if (f.value.size() > opts.max_header_value || f.offset < 0 || size_t(f.offset) >= in.size()) std::abort();
    // The split that stores only some fields (parse_message's) is the full split filtered: same
    // kept fields, warnings and body offset.
    auto keep = [](std::string_view name) { return name.size() % 2 == 0; };
    const HeaderBlock kept = split_header_block(in, opts, keep);
    std::vector<const HeaderField*> expected;
    for (const HeaderField& f : hb.fields)
        if (keep(f.name)) expected.push_back(&f);
    if (kept.fields.size() != expected.size() || kept.body_offset != hb.body_offset || !(kept.warnings == hb.warnings))
        std::abort();
    for (size_t i = 0; i < expected.size(); ++i)
        if (kept.fields[i].name != expected[i]->name || kept.fields[i].value != expected[i]->value ||
            kept.fields[i].offset != expected[i]->offset)
            std::abort();

    require_utf8(decode_rfc2047(in));
    for (const ilc::Mailbox& m : parse_address_list(in)) {
        require_utf8(m.name);
        require_utf8(m.address);
    }
    if (auto d = parse_date(in)) {
        if (d->tz_offset_min < -24 * 60 || d->tz_offset_min > 24 * 60) std::abort();
    }
    (void)parse_received_date(in);
    (void)parse_mbox_from_date(in);
    for (const std::string& id : parse_msg_ids(in))
        if (id.empty()) std::abort();
    const ContentType ct = parse_content_type(in);
    for (const MimeParam& p : ct.params) require_utf8(p.value);
    // The first line names a charset for the rest: exercises ICU converters.
    const size_t nl = in.find('\n');
    if (nl != std::string_view::npos && nl < 64) {
        bool ok = true;
        require_utf8(to_utf8(in.substr(nl + 1), in.substr(0, nl), &ok));
    }
    return 0;
}
