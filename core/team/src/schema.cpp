#include "schema.h"

namespace ilc::team::detail {

// The team schema. Every table is keyed by the rep who published it, so a publish is "delete
// the rep's rows, insert the new ones" inside one transaction. Nothing here holds mail text:
// threads keep their subject and dates, participants their address, findings a JSON detail of
// ids, counts and dates. Types are those both engines accept (TEXT, INTEGER, BIGINT).
//
//   team_schema        (version)                              one row per applied migration
//   team_reps          (rep PK, published_at, message_count)  one row per rep that published
//   team_accounts      (rep, account) PK, people, engaged, threads, last_activity
//   team_threads       (rep, thread_id) PK, account, subject, first_date, last_date, message_count
//   team_participants  (rep, thread_id, address) PK
//   team_contacts      rep, account, contact (NULL = exclusive), role, colleague, strength 1-5, exclusive
//   team_findings      rep, kind, account, thread_id, risk, reason, escalate, since, detail (JSON)
//   team_users         (name PK, role, salt, token_hash, iterations, created)  no plaintext token
const std::vector<Migration>& migrations() {
    static const std::vector<Migration> kMigrations = {
        {1, R"SQL(
CREATE TABLE team_reps (rep TEXT PRIMARY KEY, published_at BIGINT NOT NULL, message_count INTEGER NOT NULL);
CREATE TABLE team_accounts (rep TEXT NOT NULL, account TEXT NOT NULL, people INTEGER NOT NULL,
  engaged INTEGER NOT NULL, threads INTEGER NOT NULL, last_activity BIGINT NOT NULL, PRIMARY KEY (rep, account));
CREATE TABLE team_threads (rep TEXT NOT NULL, thread_id TEXT NOT NULL, account TEXT NOT NULL,
  subject TEXT NOT NULL, first_date BIGINT NOT NULL, last_date BIGINT NOT NULL, message_count INTEGER NOT NULL,
  PRIMARY KEY (rep, thread_id));
CREATE TABLE team_participants (rep TEXT NOT NULL, thread_id TEXT NOT NULL, address TEXT NOT NULL,
  PRIMARY KEY (rep, thread_id, address));
CREATE TABLE team_contacts (rep TEXT NOT NULL, account TEXT NOT NULL, contact TEXT, role TEXT,
  colleague TEXT NOT NULL, strength INTEGER NOT NULL, exclusive INTEGER NOT NULL);
CREATE TABLE team_findings (rep TEXT NOT NULL, kind TEXT NOT NULL, account TEXT NOT NULL,
  thread_id TEXT NOT NULL, risk INTEGER NOT NULL, reason TEXT NOT NULL, escalate INTEGER NOT NULL,
  since TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE team_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, salt TEXT NOT NULL,
  token_hash TEXT NOT NULL, iterations INTEGER NOT NULL, created BIGINT NOT NULL)
)SQL"},
        // The manager's queries read by kind and risk, by account, and a publish deletes by rep.
        {2, R"SQL(
CREATE INDEX team_findings_kind_risk ON team_findings (kind, risk);
CREATE INDEX team_findings_rep ON team_findings (rep);
CREATE INDEX team_threads_account ON team_threads (account, rep);
CREATE INDEX team_contacts_account ON team_contacts (account);
CREATE INDEX team_contacts_rep ON team_contacts (rep)
)SQL"},
    };
    return kMigrations;
}

}  // namespace ilc::team::detail
