#include "store/internal/wal_checkpointer.h"

#include <pthread.h>

#include <memory>

namespace mamori::store::internal {

WalCheckpointer::WalCheckpointer(SqliteDatabase& writer, int background_pages, int foreground_pages)
    : writer_(writer),
      path_(writer.path()),
      background_pages_(background_pages),
      foreground_pages_(foreground_pages) {
  sqlite3_wal_hook(writer_.handle(), &WalCheckpointer::OnCommit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_.handle(), nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int WalCheckpointer::background_checkpoints() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return checkpoints_;
}

// Runs on the writer's thread after each commit, with the frames now in the
// WAL. A checkpoint costs two syncs, so one is due for every
// `background_pages` frames not yet copied, not at every commit once the
// WAL is that long.
int WalCheckpointer::OnCommit(void* arg, sqlite3* db, const char* schema, int pages) {
  auto* self = static_cast<WalCheckpointer*>(arg);
  const int copied = self->copied_frames_.load(std::memory_order_relaxed);
  // Fewer frames than were copied: the WAL started over since.
  const int uncopied = pages >= copied ? pages - copied : pages;
  if (pages >= self->foreground_pages_) {
    // As SQLite's own automatic checkpoint: PASSIVE, errors ignored (BUSY
    // when the thread is checkpointing; it then does the work).
    int copied_now = 0;
    if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied_now) ==
        SQLITE_OK) {
      self->copied_frames_.store(copied_now, std::memory_order_relaxed);
    }
  } else if (uncopied >= self->background_pages_) {
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->due_ = true;
    }
    if (!self->thread_.joinable()) self->thread_ = std::thread(&WalCheckpointer::Run, self);
    self->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::Run() {
  pthread_setname_np(pthread_self(), "mamori-ckpt");  // for top -H and perf
  std::unique_ptr<SqliteDatabase> connection;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return due_ || stopping_; });
    if (stopping_) break;
    due_ = false;
    lock.unlock();
    if (connection == nullptr) {
      absl::StatusOr<std::unique_ptr<SqliteDatabase>> opened =
          SqliteDatabase::Open(path_, /*create=*/false);
      if (opened.ok() && (*opened)->Exec("PRAGMA synchronous=FULL").ok()) {
        connection = *std::move(opened);
      }
    }
    // A failure (BUSY while the writer checkpoints, an I/O error) leaves the
    // work to the next commit's wake-up or to the writer's own checkpoint.
    int copied = 0;
    const int rc = connection == nullptr
                       ? SQLITE_CANTOPEN
                       : sqlite3_wal_checkpoint_v2(connection->handle(), "main",
                                                   SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied);
    if (rc == SQLITE_OK) copied_frames_.store(copied, std::memory_order_relaxed);
    lock.lock();
    if (rc == SQLITE_OK) ++checkpoints_;
  }
  lock.unlock();
  connection.reset();  // not the last connection: closing it checkpoints nothing
}

}  // namespace mamori::store::internal
