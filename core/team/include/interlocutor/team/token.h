#pragma once
// Access tokens of the team service: "<user>.<64 hex>" handed out once; the database keeps a
// random salt and PBKDF2-HMAC-SHA256 of the secret part (OpenSSL), never the token itself.
#include <string>

namespace ilc::team {

constexpr int kPbkdf2Iterations = 100000;

std::string random_hex(size_t bytes);
std::string pbkdf2_hex(const std::string& secret, const std::string& salt_hex, int iterations);
std::string sha256_hex(const std::string& data);
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace ilc::team
