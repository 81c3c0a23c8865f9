#pragma once
// The schema's migrations, described in schema.cpp's header comment and docs/STORE.md.
#include <sqlite3.h>

#include <vector>

#include "interlocutor/result.h"

namespace ilc::store::detail {

// migrations()[i] takes a database from version i to version i + 1: its `sql`, then `convert`
// when set (for what SQL alone cannot do, e.g. encoding rows with codec.h), then `sql_after`
// when set. The store runs every missing step in one transaction.
struct Migration {
    const char* sql = nullptr;
    Status (*convert)(sqlite3* db) = nullptr;
    const char* sql_after = nullptr;
};
const std::vector<Migration>& migrations();
int current_schema_version();
// The tables of current_schema_version(), created at once in a new (empty) file: what every
// migration applied to an empty file creates, in one step (schema.cpp, kCurrent).
const char* current_schema();

}  // namespace ilc::store::detail
