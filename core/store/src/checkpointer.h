#pragma once
// Private: copies a writer's WAL into the store file on a thread of its own (docs/PERFORMANCE.md,
// "Checkpoints in the background").
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace ilc::store::detail {

// After each committed batch the writer calls request() and goes on storing the next one; this
// thread runs a PASSIVE checkpoint on its own connection to the file. A checkpoint syncs the WAL,
// copies its pages into the file and syncs the file: on the writer's connection (SQLite's
// automatic checkpoint, every 1,000 pages) those waits for the disk held up the writer, and the
// checkpoint made when the store closed synced up to 2 x 16 MiB after the last message was
// stored. Here they overlap with the parsing and storing of the next batches, and the close only
// has the last batch left. Failures are ignored, as SQLite ignores those of its automatic
// checkpoints: the WAL keeps the pages, the close's checkpoint (or a later one) copies them.
//
// A store being created without a WAL (OpenOptions::bulk_create) has nothing to checkpoint: there
// the thread only syncs the file (sync_only), so that its pages reach the disk while the next
// batches are parsed and the sync that ends the creation has little left to wait for.
class Checkpointer {
public:
    explicit Checkpointer(std::string path, bool sync_only = false) : path_(std::move(path)), sync_only_(sync_only) {}
    ~Checkpointer();  // waits for a running checkpoint, closes the connection
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    // Non-blocking: a checkpoint runs soon (one for several requests made while one runs).
    void request();
    // Stops the thread (after the checkpoint or sync under way) and closes its connection or
    // descriptor. Returns false when a sync of a sync_only Checkpointer failed: Linux reports a
    // failed writeback to one fdatasync only, so the creation's last sync may not see it again.
    bool finish();

private:
    void run();
    // Runs `work` once per wake-up (requests made meanwhile merged into one) until stopped.
    void serve_requests(const std::function<void()>& work);

    std::string path_;
    bool sync_only_ = false;
    std::atomic<bool> sync_failed_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    bool wanted_ = false, stop_ = false;
    std::thread thread_;  // started by the first request()
};

}  // namespace ilc::store::detail
