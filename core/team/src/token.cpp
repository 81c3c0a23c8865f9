#include "interlocutor/team/token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace ilc::team {

namespace {
std::string to_hex(const unsigned char* p, size_t n) {
    static const char* hex = "0123456789abcdef";
    std::string s;
    s.reserve(n * 2);
    for (size_t i = 0; i < n; ++i) {
        s += hex[p[i] >> 4];
        s += hex[p[i] & 15];
    }
    return s;
}
}  // namespace

std::string random_hex(size_t bytes) {
    std::vector<unsigned char> buf(bytes);
    if (RAND_bytes(buf.data(), int(bytes)) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
    return to_hex(buf.data(), bytes);
}

std::string pbkdf2_hex(const std::string& secret, const std::string& salt_hex, int iterations) {
    unsigned char out[32];
    PKCS5_PBKDF2_HMAC(secret.data(), int(secret.size()), reinterpret_cast<const unsigned char*>(salt_hex.data()),
                      int(salt_hex.size()), iterations, EVP_sha256(), sizeof out, out);
    return to_hex(out, sizeof out);
}

std::string sha256_hex(const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
    return to_hex(out, n);
}

bool constant_time_equal(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char d = 0;
    for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
    return d == 0;
}

}  // namespace ilc::team
