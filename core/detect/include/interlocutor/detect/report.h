#pragma once
// Writers for `interlocutor analyze --format json|text|csv` (SPEC "Command line and JSON").
#include <iosfwd>
#include <string>

#include "interlocutor/detect/analyze.h"

namespace ilc::detect {

// {"findings":[{"kind":...},...],"stakeholders":[...],"accounts":[...]}; ids bare.
std::string to_json(const AnalysisResult& r, bool pretty = false);
// The same text written to `out` as it is made, about a megabyte at a time (never whole in memory).
void write_json(std::ostream& out, const AnalysisResult& r, bool pretty = false);
// Readable in a terminal: grouped by account, the worst accounts first.
std::string to_text(const AnalysisResult& r);
// One line per finding: kind,account,thread_id,message_id,address,detail,suggestion (RFC 4180 quoting).
std::string to_csv(const AnalysisResult& r);

}  // namespace ilc::detect
