#pragma once
// The two back ends behind SqlConnection; only sql_connection.cpp creates them.
#include <memory>
#include <string>

#include "interlocutor/team/sql_connection.h"

namespace ilc::team::detail {

Result<std::unique_ptr<SqlConnection>> open_sqlite(const std::string& path);
Result<std::unique_ptr<SqlConnection>> open_postgresql(const std::string& url);

}  // namespace ilc::team::detail
