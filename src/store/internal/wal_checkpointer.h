// WalCheckpointer: checkpoints a WAL-mode SQLite file from a thread and a
// connection of its own, so that the connection that writes does not stall
// while the WAL is copied back into the database (with 16 KiB pages, 10 to
// 40 ms every second or two under the server's load: the slowest of its
// requests).
//
// It replaces SQLite's automatic checkpoint on the writing connection (it
// installs that connection's sqlite3_wal_hook). Once a commit leaves
// `background_pages` or more frames in the WAL that no checkpoint has
// copied yet, the checkpointer's thread runs a PASSIVE checkpoint, which
// never blocks the writer; the WAL then starts over at the first write
// transaction that finds it fully copied. Counting the uncopied frames, not
// all of them, matters under steady load, when the WAL seldom starts over:
// a checkpoint (two syncs) at every commit cost more than the commits. Nor
// does checkpointing a long WAL at every commit make it start over sooner:
// a checkpoint takes two syncs, and the writer commits again meanwhile, so
// it is seldom found fully copied either way (the audited reads ran ~25 %
// faster without that rule; docs/performance.md).
// Should the WAL reach `foreground_pages` (the writer never paused long
// enough for the copy to catch up), the writer checkpoints at such a
// commit itself, as SQLite's automatic checkpoint would: no commit comes
// during it, so it leaves the WAL fully copied unless a reader still needs
// its frames, and the next write starts it over. Durability is
// unchanged: commits are made durable by the writer (synchronous=FULL),
// and a checkpoint syncs the WAL before copying and the database after.
//
//   auto checkpointer = std::make_unique<WalCheckpointer>(db, 1000, 8000);
//   ... commits on db ...
//   checkpointer.reset();  // before closing db
//
// Thread-safety: construct and destroy on the writing connection's thread,
// and destroy before that connection is closed. The thread is started at
// the first checkpoint due, so a short-lived process never starts one.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/internal/sqlite_db.h"

namespace mamori::store::internal {

class WalCheckpointer {
 public:
  WalCheckpointer(SqliteDatabase& writer, int background_pages, int foreground_pages);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints run by the thread (for tests).
  int background_checkpoints() const;

 private:
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages);
  void Run();

  SqliteDatabase& writer_;
  const std::string path_;
  const int background_pages_;
  const int foreground_pages_;
  // Frames of the WAL the last checkpoint had copied into the database.
  std::atomic<int> copied_frames_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;       // GUARDED_BY(mutex_)
  bool stopping_ = false;  // GUARDED_BY(mutex_)
  int checkpoints_ = 0;    // GUARDED_BY(mutex_)
  std::thread thread_;     // started by the writer's thread, at the first one due
};

}  // namespace mamori::store::internal
