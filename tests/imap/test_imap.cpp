// The IMAP response parser, BODYSTRUCTURE, URLs and modified UTF-7 names, without a network.
// The live behaviour (Dovecot, TLS, errors mid-FETCH) is in imap_dovecot_test.py.
#include <catch2/catch.hpp>

#include "interlocutor/imap/imap.h"
#include "interlocutor/imap/response.h"

using namespace ilc::imap;

TEST_CASE("untagged FETCH with literals, quoted strings, NIL and lists", "[imap.response]") {
    std::string hdr = "Subject: hi\r\nFrom: a@b.c\r\n\r\n";
    std::string raw = "* 12 FETCH (UID 345 FLAGS (\\Seen $Forwarded) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
                      "BODY[HEADER] {" + std::to_string(hdr.size()) + "}\r\n" + hdr + " X NIL)\r\n";
    auto r = parse_response(raw);
    REQUIRE(r.ok());
    CHECK(r->type == ResponseType::untagged);
    CHECK(r->number == 12);
    CHECK(r->name == "FETCH");
    REQUIRE(fetch_item(*r, "uid"));
    CHECK(fetch_item(*r, "UID")->number() == 345);
    CHECK(fetch_item(*r, "BODY[HEADER]")->text == hdr);
    CHECK(fetch_item(*r, "FLAGS")->items.size() == 2);
    CHECK(fetch_item(*r, "INTERNALDATE")->text == "17-Jul-1996 02:44:25 -0700");
    CHECK(fetch_item(*r, "X")->kind == Value::Kind::nil);
}

TEST_CASE("a literal holding CRLF, parentheses and quotes stays opaque", "[imap.response]") {
    std::string body = "line 1 (not a list\r\n\"unclosed\r\n) {12}\r\n";
    std::string raw = "* 1 FETCH (BODY[1] {" + std::to_string(body.size()) + "}\r\n" + body + " UID 7)\r\n";
    auto r = parse_response(raw);
    REQUIRE(r.ok());
    CHECK(fetch_item(*r, "BODY[1]")->text == body);
    CHECK(fetch_item(*r, "UID")->number() == 7);
}

TEST_CASE("status responses keep the response code apart from the text", "[imap.response]") {
    auto r = parse_response("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
    REQUIRE(r.ok());
    CHECK(r->status == Condition::ok);
    CHECK(r->code == "UIDVALIDITY");
    CHECK(r->code_args.at(0).number() == 3857529045LL);
    CHECK(r->text == "UIDs valid");

    auto t = parse_response("a7 NO [AUTHENTICATIONFAILED] Authentication failed. \"odd quote\r\n");
    REQUIRE(t.ok());
    CHECK(t->type == ResponseType::tagged);
    CHECK(t->tag == "a7");
    CHECK(t->status == Condition::no);
    CHECK(t->code == "AUTHENTICATIONFAILED");

    auto p = parse_response("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n");
    REQUIRE(p.ok());
    CHECK(p->code_args.at(0).items.size() == 3);

    auto c = parse_response("+ \r\n");
    REQUIRE(c.ok());
    CHECK(c->type == ResponseType::continuation);
}

TEST_CASE("LIST with special-use, SEARCH, EXISTS", "[imap.response]") {
    auto l = parse_response("* LIST (\\HasNoChildren \\Sent) \".\" \"Envoy&AOk-s\"\r\n");
    REQUIRE(l.ok());
    CHECK(l->name == "LIST");
    REQUIRE(l->data.size() == 3);
    CHECK(l->data[0].items[1].text == "\\Sent");
    CHECK(decode_mailbox_name(l->data[2].text) == "Envoyés");
    auto s = parse_response("* SEARCH 2 84 882\r\n");
    REQUIRE(s.ok());
    CHECK(s->data.size() == 3);
    auto e = parse_response("* 23 EXISTS\r\n");
    REQUIRE(e.ok());
    CHECK(e->number == 23);
    CHECK(e->name == "EXISTS");
}

TEST_CASE("malformed responses are errors that say where", "[imap.response]") {
    for (const char* bad : {"* 1 FETCH (UID 1\r\n", "* 1 FETCH (BODY[1] {10}\r\nshort)\r\n",
                            "* 1 FETCH (UID \"never closed)\r\n", "* 1 FETCH (BODY[1 {3}\r\nabc)\r\n", "",
                            "a1 MAYBE done\r\n", "* 1 FETCH (UID 1))\r\n", "* 1 FETCH (BODY[] {x}\r\n)\r\n",
                            "* 1 FETCH (UID 1 \x01)\r\n"}) {
        INFO(bad);
        auto r = parse_response(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == ilc::ErrorCode::protocol);
        CHECK(r.error().message.find("malformed IMAP response") != std::string::npos);
    }
    // Nesting past the limit is refused, not a stack overflow.
    std::string deep = "* 1 FETCH " + std::string(5000, '(') + std::string(5000, ')') + "\r\n";
    CHECK_FALSE(parse_response(deep).ok());
}

TEST_CASE("trailing literal announcements", "[imap.response]") {
    CHECK(trailing_literal_size("* 1 FETCH (BODY[] {123}") == 123u);
    CHECK(trailing_literal_size("a APPEND x {5+}") == 5u);
    CHECK_FALSE(trailing_literal_size("* OK {not}"));
    CHECK_FALSE(trailing_literal_size("* OK done"));
    CHECK_FALSE(trailing_literal_size("{99999999999999999999999}"));
}

TEST_CASE("BODYSTRUCTURE of a nested multipart gives sections and boundaries", "[imap.bodystructure]") {
    // Dovecot's answer for multipart/mixed(multipart/alternative(text/plain, text/html), application/pdf).
    std::string raw =
        "* 1 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 120 4 NIL NIL NIL NIL)"
        "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 300 9 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"alt-b\") NIL NIL NIL)"
        "(\"application\" \"pdf\" (\"name\" \"q.pdf\") NIL NIL \"base64\" 90000 NIL (\"attachment\" (\"filename\" \"q.pdf\")) NIL NIL)"
        " \"mixed\" (\"boundary\" \"mix-b\") NIL NIL NIL))\r\n";
    auto r = parse_response(raw);
    REQUIRE(r.ok());
    auto b = parse_bodystructure(*fetch_item(*r, "BODYSTRUCTURE"));
    REQUIRE(b.ok());
    CHECK(b->is_multipart);
    CHECK(b->subtype == "mixed");
    CHECK(b->boundary == "mix-b");
    REQUIRE(b->children.size() == 2);
    CHECK(b->children[0].section == "1");
    CHECK(b->children[0].boundary == "alt-b");
    CHECK(b->children[0].children[1].section == "1.2");
    CHECK(b->children[0].children[1].subtype == "html");
    CHECK(b->children[1].section == "2");
    CHECK(b->children[1].type == "application");
    CHECK(b->children[1].size == 90000);

    auto single = parse_response("* 2 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1))\r\n");
    REQUIRE(single.ok());
    auto s = parse_bodystructure(*fetch_item(*single, "BODYSTRUCTURE"));
    REQUIRE(s.ok());
    CHECK_FALSE(s->is_multipart);
    CHECK(s->section.empty());
    CHECK(s->type == "text");

    Value notalist;
    notalist.kind = Value::Kind::atom;
    notalist.text = "x";
    CHECK_FALSE(parse_bodystructure(notalist).ok());
}

TEST_CASE("imap URLs", "[imap.url]") {
    auto u = parse_url("imaps://isabelle%40ardentis.fr@mail.example.com/Envoy%C3%A9s");
    REQUIRE(u.ok());
    CHECK(u->user == "isabelle@ardentis.fr");
    CHECK(u->host == "mail.example.com");
    CHECK(u->port == 993);
    CHECK(u->folder == "Envoyés");
    CHECK(u->security == Security::implicit_tls);
    CHECK(u->canonical("INBOX") == "imaps://isabelle@ardentis.fr@mail.example.com/INBOX");
    auto s = parse_url("imap://bob@127.0.0.1:10143/");
    REQUIRE(s.ok());
    CHECK(s->security == Security::starttls);
    CHECK(s->port == 10143);
    CHECK(s->folder.empty());
    CHECK(s->canonical("INBOX") == "imap://bob@127.0.0.1:10143/INBOX");
    // A password in the URL would end up in `ps` and the shell history: refused.
    auto p = parse_url("imaps://bob:secret@host/");
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().message.find("password") != std::string::npos);
    CHECK_FALSE(parse_url("http://bob@host/").ok());
    CHECK_FALSE(parse_url("imaps://host/").ok());
    CHECK_FALSE(parse_url("imaps://bob@host:99999/").ok());
}

TEST_CASE("modified UTF-7 mailbox names", "[imap.utf7]") {
    CHECK(decode_mailbox_name("Envoy&AOk-s") == "Envoyés");
    CHECK(decode_mailbox_name("&ZeVnLIqe-") == "日本語");
    CHECK(decode_mailbox_name("Tom &- Jerry") == "Tom & Jerry");
    CHECK(decode_mailbox_name("broken &***") == "broken &***");
    for (std::string s : {"Envoyés", "Éléments envoyés", "日本語", "A & B", "plain", "emoji 😀"})
        CHECK(decode_mailbox_name(encode_mailbox_name(s)) == s);
    CHECK(encode_mailbox_name("Envoyés") == "Envoy&AOk-s");
}

// --- What the sync remembers about stored messages (core/imap/src/changes.h, docs/IMAP.md).
#include "changes.h"

TEST_CASE("UID sets round trip and refuse damaged or absurd values", "[imap.changes]") {
    using namespace ilc::imap::detail;
    std::vector<int64_t> uids{1, 2, 3, 5, 7, 8, 9, 100};
    CHECK(encode_uid_set(uids) == "1:3,5,7:9,100");
    auto back = decode_uid_set("1:3,5,7:9,100");
    REQUIRE(back);
    CHECK(*back == uids);
    CHECK(decode_uid_set("")->empty());
    CHECK(*decode_uid_set("9,3:4,4") == std::vector<int64_t>{3, 4, 9});  // sorted, distinct
    CHECK_FALSE(decode_uid_set("1:x"));
    CHECK_FALSE(decode_uid_set("5:3"));
    CHECK_FALSE(decode_uid_set("0"));
    CHECK_FALSE(decode_uid_set("-4"));
    CHECK_FALSE(decode_uid_set("1:,2"));
    // A damaged value must not make the sync allocate billions of UIDs.
    CHECK_FALSE(decode_uid_set("1:4000000000"));
    CHECK_FALSE(decode_uid_set("1:10,20:30", 15));
}

TEST_CASE("flag bits match the store's column and IMAP flag lists", "[imap.changes]") {
    using namespace ilc::imap::detail;
    auto r = parse_response("* 3 FETCH (UID 9 FLAGS (\\Seen \\ANSWERED $Forwarded \\Deleted custom))\r\n");
    REQUIRE(r.ok());
    const Value* fl = fetch_item(*r, "FLAGS");
    REQUIRE(fl);
    ilc::Flags f = parse_flags(*fl);
    CHECK(f.seen);
    CHECK(f.replied);
    CHECK(f.passed);
    CHECK(f.trashed);
    CHECK_FALSE(f.flagged);
    CHECK(flags_bits(f) == (1 | 2 | 16 | 32));
    CHECK(flags_bits(flags_from_bits(45)) == 45);
    CHECK(flags_text(f) == "seen replied trashed passed");
    CHECK(flags_text(ilc::Flags{}).empty());
}

TEST_CASE("flag overlay and removals survive a round trip; damaged lines are dropped", "[imap.changes]") {
    using namespace ilc::imap::detail;
    std::map<int64_t, FlagEntry> m{{4, {3, "a@x"}}, {10, {0, "b@y"}}};
    auto back = decode_flag_overlay(encode_flag_overlay(m));
    REQUIRE(back.size() == 2);
    CHECK(back[4].bits == 3);
    CHECK(back[4].message_id == "a@x");
    CHECK(back[10].message_id == "b@y");
    auto damaged = decode_flag_overlay("x\t1\tid\n7\t99\tid\n8\n9\t5\tok@z\n");
    REQUIRE(damaged.size() == 1);
    CHECK(damaged[9].bits == 5);

    std::vector<ilc::imap::Removal> rm{{"imaps://u@h/INBOX", 12, "m@x", 1700000000}, {"imaps://u@h/INBOX", 13, "", 1700000001}};
    auto rb = decode_removed("imaps://u@h/INBOX", encode_removed(rm));
    REQUIRE(rb.size() == 2);
    CHECK(rb[0].uid == 12);
    CHECK(rb[0].message_id == "m@x");
    CHECK(rb[1].message_id.empty());
    CHECK(rb[1].detected_at == 1700000001);
    CHECK(decode_removed("p", "garbage\n\t\t\n").empty());
}
