#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include "interlocutor/service/service.h"

namespace ilc::service {

namespace {
Error io_error(const std::string& what, const std::string& path) {
    return Error{ErrorCode::io, what + " " + path + ": " + std::strerror(errno), ""};
}
bool valid_token(const std::string& t) {
    if (t.size() < 32) return false;
    for (char c : t)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}
}  // namespace

Result<std::string> load_or_create_token(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat sb {};
        ::fstat(fd, &sb);
        if (sb.st_mode & 077) {
            ::close(fd);
            return Error{ErrorCode::auth, "the token file " + path + " is readable by other users",
                         "chmod 600 " + path + ", or delete it to get a new token"};
        }
        char buf[256];
        ssize_t n = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        if (n < 0) return io_error("cannot read", path);
        std::string t(buf, static_cast<size_t>(n));
        while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
        if (!valid_token(t))
            return Error{ErrorCode::auth, "the token file " + path + " does not hold a hex token",
                         "delete it to get a new token"};
        return t;
    }
    if (errno != ENOENT) return io_error("cannot open", path);

    unsigned char raw[32];
    int rfd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (rfd < 0) return io_error("cannot open", "/dev/urandom");
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = ::read(rfd, raw + got, sizeof raw - got);
        if (n <= 0) { ::close(rfd); return io_error("cannot read", "/dev/urandom"); }
        got += static_cast<size_t>(n);
    }
    ::close(rfd);
    static const char* hex = "0123456789abcdef";
    std::string t;
    for (unsigned char c : raw) t += hex[c >> 4], t += hex[c & 15];

    // O_EXCL + mode 0600 at creation: the file is never readable by others, not even briefly.
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("cannot create", path);
    std::string line = t + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        ::close(fd);
        return io_error("cannot write", path);
    }
    ::fchmod(fd, 0600);  // in case the umask made it stricter or the fs ignored the mode
    ::close(fd);
    return t;
}

}  // namespace ilc::service
