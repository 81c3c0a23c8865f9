#include "checkpointer.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

namespace ilc::store::detail {

Checkpointer::~Checkpointer() { finish(); }

bool Checkpointer::finish() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    return !sync_failed_;
}

void Checkpointer::request() {
    {
        std::lock_guard lk(mu_);
        wanted_ = true;
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    }
    cv_.notify_one();
}

void Checkpointer::serve_requests(const std::function<void()>& work) {
    std::unique_lock lk(mu_);
    for (;;) {
        cv_.wait(lk, [this] { return wanted_ || stop_; });
        if (stop_) break;
        wanted_ = false;
        lk.unlock();
        work();  // outside the lock: request() never waits for a checkpoint or a sync
        lk.lock();
    }
}

void Checkpointer::run() {
    if (sync_only_) {
        // fdatasync through a descriptor of our own: it writes the file's dirty pages, whichever
        // descriptor wrote them. A failure is remembered (finish()): the kernel reports a lost
        // writeback once, so the creation's last sync could return 0 after it. The descriptor
        // is closed only when the writer holds no lock on the file (Store::Impl's destructor
        // calls finish() outside any transaction): closing a descriptor of a file drops every
        // POSIX lock this process holds on it, SQLite's included.
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) sync_failed_ = true;
        serve_requests([&] {
            if (fd >= 0 && ::fdatasync(fd) != 0) sync_failed_ = true;
        });
        if (fd >= 0) ::close(fd);
        return;
    }
    sqlite3* db = nullptr;
    // Its own connection: a connection is used by one thread at a time (SQLITE_OPEN_NOMUTEX).
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        // The checkpoint syncs as the writer's own would (synchronous=NORMAL): the WAL before
        // the file is written, the file after; and never writes a rollback journal.
        sqlite3_exec(db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    } else {
        sqlite3_close_v2(db);
        db = nullptr;
    }
    serve_requests([&] {
        if (db) sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    });
    // Not the store's last connection (the writer's is still open): closing it checkpoints and
    // deletes nothing; the writer's close does.
    if (db) sqlite3_close_v2(db);
}

}  // namespace ilc::store::detail
