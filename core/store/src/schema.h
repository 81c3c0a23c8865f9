#pragma once
// The schema's migrations, described in schema.cpp's header comment and docs/STORE.md.
#include <vector>

namespace ilc::store::detail {

// migrations()[i] is the SQL that takes a database from version i to version i + 1.
const std::vector<const char*>& migrations();
int current_schema_version();

}  // namespace ilc::store::detail
