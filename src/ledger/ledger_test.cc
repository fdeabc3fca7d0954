// Tests of the stored ledger: appends and signed heads (ledger.h), the tree
// kept in the store against the in-memory reference (stored_tree.h, merkle.h),
// full verification and the tampering it must catch (verify.h), entry proofs
// (proof.h), and what survives a transaction that never commits.
//
// Every test runs on a real SQLite store in a fresh directory. Tampering is
// done the way an attacker with the data directory would: the store is closed
// and records.db is edited through a second SQLite connection.
#include "ledger/ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/testing/test_files.h"
#include "common/time_format.h"
#include "crypto/signing_key.h"
#include "ledger/entry_builder.h"
#include "ledger/merkle.h"
#include "ledger/proof.h"
#include "ledger/stored_tree.h"
#include "ledger/tree_head.h"
#include "ledger/verify.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace mamori::ledger {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::Time Start() {
  return absl::FromCivil(absl::CivilSecond(2026, 4, 1, 9, 0, 0), absl::UTCTimeZone());
}

template <typename T>
T ValueOf(absl::StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : T{};
}

std::string Bytes(const Hash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

Hash FlipBit(Hash hash, size_t bit) {
  hash[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return hash;
}

std::string FlipByte(std::string bytes, size_t at) {
  bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
  return bytes;
}

nlohmann::json TestEntry(int64_t n) { return {{"kind", "test"}, {"n", n}}; }

// The reference model: an in-memory MerkleTree over the leaf hashes of the
// entries' bytes, which never looks at the stored hashes or nodes.
MerkleTree ModelOf(const std::vector<store::LedgerEntryRow>& rows) {
  MerkleTree model;
  for (const store::LedgerEntryRow& row : rows) model.Append(LeafHash(row.entry));
  return model;
}

// The stored nodes of entry `seq` in `model`: the complete subtrees ending at
// it, level 1 upward, as an attacker rewriting the whole tree computes them.
std::string NodesOf(const MerkleTree& model, uint64_t seq) {
  std::string nodes;
  for (int level = 1; level <= std::countr_one(seq); ++level) {
    nodes += Bytes(ValueOf(model.Node(level, seq >> level)));
  }
  return nodes;
}

// A second connection to records.db, for editing it behind the store's back.
class RecordsFile {
 public:
  explicit RecordsFile(const std::filesystem::path& dir) {
    const std::string path = (dir / store::kRecordsFileName).string();
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  }
  ~RecordsFile() { sqlite3_close(db_); }
  RecordsFile(const RecordsFile&) = delete;
  RecordsFile& operator=(const RecordsFile&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error != nullptr ? error : "") << " in: " << sql;
    sqlite3_free(error);
  }

  // UPDATE <table> SET <column> = `value` (a blob) WHERE <key> = `key`.
  void SetBlob(std::string_view table, std::string_view column, std::string_view key_column,
               int64_t key, std::string_view value) {
    Run("UPDATE " + std::string(table) + " SET " + std::string(column) + " = ?1 WHERE " +
            std::string(key_column) + " = ?2",
        [&](sqlite3_stmt* stmt) {
          sqlite3_bind_blob(stmt, 1, value.data(), static_cast<int>(value.size()),
                            SQLITE_TRANSIENT);
          sqlite3_bind_int64(stmt, 2, key);
        });
    EXPECT_EQ(sqlite3_changes(db_), 1) << table << "." << column << " of " << key;
  }

  // Writes a whole entry row, replacing the one with its seq.
  void PutEntry(const store::LedgerEntryRow& row) {
    Run("INSERT OR REPLACE INTO ledger_entries (seq, entry, leaf_hash, nodes) "
        "VALUES (?1, ?2, ?3, ?4)",
        [&](sqlite3_stmt* stmt) {
          sqlite3_bind_int64(stmt, 1, row.seq);
          sqlite3_bind_blob(stmt, 2, row.entry.data(), static_cast<int>(row.entry.size()),
                            SQLITE_TRANSIENT);
          sqlite3_bind_blob(stmt, 3, row.leaf_hash.data(), static_cast<int>(row.leaf_hash.size()),
                            SQLITE_TRANSIENT);
          sqlite3_bind_blob(stmt, 4, row.nodes.data(), static_cast<int>(row.nodes.size()),
                            SQLITE_TRANSIENT);
        });
  }

 private:
  void Run(const std::string& sql, const std::function<void(sqlite3_stmt*)>& bind) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_) << " in: " << sql;
    bind(stmt);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db_) << " in: " << sql;
    sqlite3_finalize(stmt);
  }

  sqlite3* db_ = nullptr;
};

// Compares every complete node, the root of every size, and inclusion and
// consistency proofs for many (index, size) and (old, new) pairs.
// `exhaustive` compares every pair.
::testing::AssertionResult SameAsModel(const SubtreeSource& tree, const MerkleTree& model,
                                       bool exhaustive = false) {
  const uint64_t n = model.size();
  if (tree.size() != n) {
    return ::testing::AssertionFailure() << "size " << tree.size() << " != " << n;
  }
  for (int level = 0; (uint64_t{1} << level) <= n; ++level) {
    for (uint64_t index = 0; ((index + 1) << level) <= n; ++index) {
      absl::StatusOr<Hash> node = tree.Node(level, index);
      if (!node.ok() || *node != ValueOf(model.Node(level, index))) {
        return ::testing::AssertionFailure()
               << "node (" << level << ", " << index << "): " << node.status();
      }
    }
  }
  for (uint64_t size = 0; size <= n; ++size) {
    absl::StatusOr<Hash> root = RootOf(tree, size);
    if (!root.ok() || *root != ValueOf(model.RootAt(size))) {
      return ::testing::AssertionFailure() << "root at " << size << ": " << root.status();
    }
    std::set<uint64_t> indices, olds;
    if (exhaustive) {
      for (uint64_t i = 0; i <= size; ++i) {
        indices.insert(i);
        olds.insert(i);
      }
    } else {
      for (uint64_t i : {uint64_t{0}, uint64_t{1}, size / 4, size / 3, size / 2, size - 2, size - 1,
                         uint64_t{63}, uint64_t{64}, uint64_t{127}, uint64_t{128},
                         (size * 37 + 11) % (size + 1)}) {
        indices.insert(i);
      }
      for (uint64_t i : {uint64_t{0}, uint64_t{1}, size / 2, size - 1, size, uint64_t{63},
                         uint64_t{64}, uint64_t{65}, uint64_t{127}, uint64_t{128}, uint64_t{129},
                         uint64_t{192}, (size * 53 + 7) % (size + 1)}) {
        olds.insert(i);
      }
    }
    for (uint64_t index : indices) {
      if (index >= size) continue;
      absl::StatusOr<std::vector<Hash>> path = InclusionProofOf(tree, index, size);
      if (!path.ok() || *path != ValueOf(model.InclusionProof(index, size))) {
        return ::testing::AssertionFailure()
               << "inclusion of " << index << " in " << size << ": " << path.status();
      }
    }
    for (uint64_t old_size : olds) {
      if (old_size > size) continue;
      absl::StatusOr<std::vector<Hash>> proof = ConsistencyProofOf(tree, old_size, size);
      if (!proof.ok() || *proof != ValueOf(model.ConsistencyProof(old_size, size))) {
        return ::testing::AssertionFailure()
               << "consistency of " << old_size << " with " << size << ": " << proof.status();
      }
    }
  }
  return ::testing::AssertionSuccess();
}

class LedgerTest : public ::testing::Test {
 protected:
  LedgerTest() : clock_(Start()), key_(MakeKey(7)) {}

  static crypto::SigningKey MakeKey(uint64_t seed) {
    common::DeterministicRandom random(seed);
    return crypto::SigningKey::Generate(random);
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore());
    ASSERT_NO_FATAL_FAILURE(OpenLedger());
  }

  void OpenStore() {
    absl::StatusOr<std::unique_ptr<store::Store>> store =
        store::OpenSqliteStore(dir_.path().string(), {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  void OpenLedger(LedgerOptions options = {}) {
    ledger_.reset();
    absl::StatusOr<std::unique_ptr<Ledger>> ledger =
        Ledger::Open(store_->ledger(), key_, clock_, options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ledger_ = *std::move(ledger);
  }

  // Closes the store so that records.db can be edited by another connection.
  void CloseStore() {
    ledger_.reset();
    store_.reset();
  }

  std::unique_ptr<store::Transaction> Begin() {
    absl::StatusOr<std::unique_ptr<store::Transaction>> tx = store_->records().BeginTransaction();
    EXPECT_TRUE(tx.ok()) << tx.status();
    return tx.ok() ? *std::move(tx) : nullptr;
  }

  // Appends `count` test entries in the open transaction.
  void AppendUncommitted(int count, std::string_view kind = "test") {
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<uint64_t> seq = ledger_->Append({{"kind", kind}, {"n", next_n_++}});
      ASSERT_TRUE(seq.ok()) << seq.status();
      ASSERT_EQ(*seq + 1, ledger_->size());
    }
  }

  // Appends `count` test entries in a transaction of their own.
  void AppendEntries(int count) {
    std::unique_ptr<store::Transaction> tx = Begin();
    ASSERT_NE(tx, nullptr);
    ASSERT_NO_FATAL_FAILURE(AppendUncommitted(count));
    ASSERT_TRUE(tx->Commit().ok());
  }

  // Signs a head in a transaction of its own.
  TreeHead Sign() {
    std::unique_ptr<store::Transaction> tx = Begin();
    std::optional<TreeHead> head = ValueOf(ledger_->SignHead());
    EXPECT_TRUE(head.has_value());
    EXPECT_TRUE(tx->Commit().ok());
    return head.value_or(TreeHead{});
  }

  std::vector<store::LedgerEntryRow> Rows() {
    std::vector<store::LedgerEntryRow> rows;
    EXPECT_TRUE(store_->ledger()
                    .ScanEntries(0, ValueOf(store_->ledger().CountEntries()),
                                 [&](const store::LedgerEntryRow& row) {
                                   rows.push_back(row);
                                   return absl::OkStatus();
                                 })
                    .ok());
    return rows;
  }

  std::vector<store::TreeHeadRow> HeadRows() { return ValueOf(store_->ledger().ListTreeHeads()); }

  VerifyReport Verify() { return Verify(key_.public_key()); }
  VerifyReport Verify(std::string_view public_key) {
    absl::StatusOr<VerifyReport> report = VerifyLedger(store_->ledger(), public_key);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.value_or(VerifyReport{});
  }

  common::testing::ScopedTempDir dir_;
  common::FakeClock clock_;
  crypto::SigningKey key_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Ledger> ledger_;
  int64_t next_n_ = 0;
};

// ---------------------------------------------------------------------------
// Appends and signed heads.
// ---------------------------------------------------------------------------

TEST_F(LedgerTest, EmptyLedger) {
  EXPECT_EQ(ledger_->size(), 0u);
  EXPECT_EQ(ledger_->signed_size(), 0u);
  EXPECT_FALSE(ledger_->HeadDue());
  EXPECT_EQ(ledger_->tree().Root(), EmptyTreeRoot());
  EXPECT_EQ(ledger_->public_key(), key_.public_key());
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 0u);
  EXPECT_EQ(report.tree_heads, 0u);
  EXPECT_FALSE(report.latest_head.has_value());
}

TEST_F(LedgerTest, AppendNumbersEntriesFromZeroAndStoresCanonicalBytes) {
  std::unique_ptr<store::Transaction> tx = Begin();
  EXPECT_EQ(ValueOf(ledger_->Append({{"kind", "change"}, {"change", "actor.add"}})), 0u);
  clock_.Advance(absl::Microseconds(1234567));
  // Keys in byte order at every depth, no whitespace, UTF-8 as is; a
  // caller's "at" is replaced by the ledger's time.
  EXPECT_EQ(ValueOf(ledger_->Append({{"z", 1},
                                     {"a", {{"y", true}, {"b", "日本"}, {"B", nullptr}}},
                                     {"at", "1999-01-01T00:00:00Z"},
                                     {"list", {3, "x", false}}})),
            1u);
  EXPECT_EQ(ValueOf(ledger_->Append(nlohmann::json::object())), 2u);
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(ledger_->size(), 3u);
  EXPECT_EQ(ValueOf(store_->ledger().CountEntries()), 3);

  const std::vector<std::string> expected = {
      R"({"at":"2026-04-01T09:00:00.000000Z","change":"actor.add","kind":"change"})",
      R"({"a":{"B":null,"b":"日本","y":true},"at":"2026-04-01T09:00:01.234567Z",)"
      R"("list":[3,"x",false],"z":1})",
      R"({"at":"2026-04-01T09:00:01.234567Z"})",
  };
  std::vector<store::LedgerEntryRow> rows = Rows();
  ASSERT_EQ(rows.size(), expected.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].seq, static_cast<int64_t>(i));
    EXPECT_EQ(rows[i].entry, expected[i]);
    EXPECT_EQ(rows[i].entry, CanonicalEntry(nlohmann::json::parse(expected[i])));
    EXPECT_EQ(rows[i].leaf_hash, Bytes(LeafHash(expected[i])));
  }
  // Entry 1 completes the subtree of leaves 0 and 1.
  EXPECT_EQ(rows[0].nodes, "");
  EXPECT_EQ(rows[1].nodes, Bytes(NodeHash(LeafHash(expected[0]), LeafHash(expected[1]))));
  EXPECT_EQ(rows[2].nodes, "");
  EXPECT_EQ(ledger_->tree().Root(), ModelOf(rows).Root());
}

// CanonicalEntry writes what nlohmann::json's compact dump (ensure_ascii
// off, invalid UTF-8 replaced) writes, by a faster route: check it on every
// kind of value, and on strings that need escaping.
TEST(CanonicalEntryTest, SameBytesAsNlohmannDump) {
  auto reference = [](const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const std::vector<std::string> strings = {"",
                                            "sub_AZLcQ3vX9k2mPq8RtY7wZg",
                                            "emp:agent-0042",
                                            "a\"quote",
                                            "back\\slash",
                                            "tab\tnew\nline\r",
                                            std::string("nul\0byte", 8),
                                            "\x01\x1f\x7f",
                                            "日本語 ü",
                                            "bad \xff\xfe utf-8",
                                            "truncated \xe6\x97",
                                            "~ and {} []",
                                            "del \x7f"};
  nlohmann::json entry = {{"kind", "decision"},
                          {"n", -42},
                          {"u", uint64_t{18446744073709551615ull}},
                          {"min", int64_t{-9223372036854775807LL - 1}},
                          {"zero", 0},
                          {"f", 0.1},
                          {"g", -1.5e300},
                          {"t", true},
                          {"nothing", nullptr},
                          {"empty_object", nlohmann::json::object()},
                          {"empty_array", nlohmann::json::array()},
                          {"nested", {{"b", {1, 2, {{"c", "d"}}}}, {"B", "x"}, {"a", nullptr}}}};
  for (size_t i = 0; i < strings.size(); ++i) {
    entry["s" + std::to_string(i)] = strings[i];
    entry[strings[i]] = i;  // as keys too
    EXPECT_EQ(CanonicalEntry(strings[i]), reference(strings[i])) << i;
  }
  entry["list"] = strings;
  entry["binary"] = nlohmann::json::binary({1, 2, 3});
  EXPECT_EQ(CanonicalEntry(entry), reference(entry));
  for (const nlohmann::json& scalar :
       {nlohmann::json(1.0), nlohmann::json(nullptr), nlohmann::json(false), nlohmann::json(-7)}) {
    EXPECT_EQ(CanonicalEntry(scalar), reference(scalar));
  }
}

TEST(TimestampFormatterTest, SameTextAsFormatTimestampMicros) {
  TimestampFormatter formatter;
  const absl::Time start = absl::FromUnixMicros(1'775'000'000'000'000);
  for (const absl::Duration offset :
       {absl::ZeroDuration(), absl::Microseconds(1), absl::Microseconds(999'999), absl::Seconds(1),
        absl::Microseconds(1'000'001), absl::Nanoseconds(1'500), absl::Seconds(1),
        absl::Hours(-24 * 400) + absl::Microseconds(123'456),
        absl::Seconds(86'399) + absl::Microseconds(999'999)}) {
    const absl::Time t = start + offset;
    EXPECT_EQ(formatter.Format(t), common::FormatTimestampMicros(t)) << offset;
  }
  // Before 1970: fractions count up from the earlier second.
  for (const int64_t micros : {int64_t{-1}, int64_t{-999'999}, int64_t{-1'000'000},
                               int64_t{-1'000'001}, int64_t{-86'400'000'000}}) {
    const absl::Time t = absl::FromUnixMicros(micros);
    EXPECT_EQ(formatter.Format(t), common::FormatTimestampMicros(t)) << micros;
  }
}

// The store's scan keeps one statement prepared: it must come back clean
// after a visitor stops it, and a visitor may read or scan meanwhile.
TEST_F(LedgerTest, ScanEntriesStopsResumesAndNests) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(10));
  store::LedgerStore& ledger = store_->ledger();
  std::vector<int64_t> seen;
  ASSERT_TRUE(ledger
                  .ScanEntries(3, 7,
                               [&](const store::LedgerEntryRow& row) {
                                 seen.push_back(row.seq);
                                 std::optional<store::LedgerEntryRow> got =
                                     ValueOf(ledger.GetEntry(row.seq));
                                 EXPECT_TRUE(got.has_value());
                                 if (got) {
                                   EXPECT_EQ(row.entry, got->entry);
                                   EXPECT_EQ(row.leaf_hash, got->leaf_hash);
                                   EXPECT_EQ(row.nodes, got->nodes);
                                 }
                                 return absl::OkStatus();
                               })
                  .ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{3, 4, 5, 6}));

  seen.clear();
  absl::Status stopped = ledger.ScanEntries(0, 10, [&](const store::LedgerEntryRow& row) {
    seen.push_back(row.seq);
    return row.seq == 2 ? absl::CancelledError("enough") : absl::OkStatus();
  });
  EXPECT_EQ(stopped, absl::CancelledError("enough"));
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2}));

  seen.clear();
  int inner_rows = 0;
  ASSERT_TRUE(ledger
                  .ScanEntries(0, 10,
                               [&](const store::LedgerEntryRow& row) {
                                 seen.push_back(row.seq);
                                 if (row.seq == 0) {
                                   EXPECT_TRUE(ledger
                                                   .ScanEntries(5, 10,
                                                                [&](const store::LedgerEntryRow&) {
                                                                  ++inner_rows;
                                                                  return absl::OkStatus();
                                                                })
                                                   .ok());
                                 }
                                 return absl::OkStatus();
                               })
                  .ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(inner_rows, 5);
  EXPECT_EQ(Rows().size(), 10u);
}

TEST_F(LedgerTest, Sha256HexIsLowercaseSha256) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(LedgerTest, AppendWithNoteKeepsTheNoteBesideTheEntry) {
  const std::string note = "本人から電話で依頼 (called on 2026-04-01)";
  std::unique_ptr<store::Transaction> tx = Begin();
  ASSERT_NO_FATAL_FAILURE(AppendUncommitted(2));
  const uint64_t seq =
      ValueOf(ledger_->AppendWithNote({{"kind", "decision"}, {"ground", "appi-27-1-2"}}, note));
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(seq, 2u);
  EXPECT_EQ(ValueOf(store_->ledger().GetNote(2)), std::optional<std::string>(note));
  EXPECT_EQ(ValueOf(store_->ledger().GetNote(1)), std::nullopt);
  std::optional<store::LedgerEntryRow> row = ValueOf(store_->ledger().GetEntry(2));
  ASSERT_TRUE(row.has_value());
  // The entry holds the note's hash, never the note.
  EXPECT_THAT(row->entry, Not(HasSubstr("電話")));
  nlohmann::json entry = nlohmann::json::parse(row->entry);
  EXPECT_EQ(entry["note_sha256"], Sha256Hex(note));
  EXPECT_EQ(entry["ground"], "appi-27-1-2");
  EXPECT_EQ(row->entry, CanonicalEntry(entry));
  EXPECT_TRUE(Verify().ok);
}

TEST_F(LedgerTest, HeadDueAfterOneSecond) {
  EXPECT_FALSE(ledger_->HeadDue());
  ASSERT_NO_FATAL_FAILURE(AppendEntries(1));
  EXPECT_FALSE(ledger_->HeadDue());
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_FALSE(ledger_->HeadDue());
  // More entries do not restart the wait.
  ASSERT_NO_FATAL_FAILURE(AppendEntries(5));
  EXPECT_FALSE(ledger_->HeadDue());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(ledger_->HeadDue());
  Sign();
  EXPECT_FALSE(ledger_->HeadDue());
  // With nothing unsigned, time alone never makes a head due.
  clock_.Advance(absl::Hours(1));
  EXPECT_FALSE(ledger_->HeadDue());
  ASSERT_NO_FATAL_FAILURE(AppendEntries(1));
  EXPECT_FALSE(ledger_->HeadDue());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(ledger_->HeadDue());
}

TEST_F(LedgerTest, HeadDueAfterAThousandUnsignedEntries) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(999));
  EXPECT_FALSE(ledger_->HeadDue());
  ASSERT_NO_FATAL_FAILURE(AppendEntries(1));
  EXPECT_TRUE(ledger_->HeadDue());
  TreeHead head = Sign();
  EXPECT_EQ(head.tree_size, 1000u);
  EXPECT_FALSE(ledger_->HeadDue());
  ASSERT_NO_FATAL_FAILURE(AppendEntries(999));
  EXPECT_FALSE(ledger_->HeadDue());
  ASSERT_NO_FATAL_FAILURE(AppendEntries(1));
  EXPECT_TRUE(ledger_->HeadDue());
}

TEST_F(LedgerTest, HeadDueFollowsTheOptions) {
  ASSERT_NO_FATAL_FAILURE(
      OpenLedger({.sign_every_entries = 3, .sign_every = absl::Milliseconds(10)}));
  ASSERT_NO_FATAL_FAILURE(AppendEntries(2));
  EXPECT_FALSE(ledger_->HeadDue());
  ASSERT_NO_FATAL_FAILURE(AppendEntries(1));
  EXPECT_TRUE(ledger_->HeadDue());
  Sign();
  ASSERT_NO_FATAL_FAILURE(AppendEntries(1));
  clock_.Advance(absl::Milliseconds(10));
  EXPECT_TRUE(ledger_->HeadDue());
}

TEST_F(LedgerTest, SignHeadSignsTheRootAndStoresIt) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(5));
  clock_.Advance(absl::Nanoseconds(1'500'999));  // truncated to whole microseconds
  TreeHead head = Sign();
  EXPECT_EQ(head.tree_size, 5u);
  EXPECT_EQ(head.timestamp, Start() + absl::Microseconds(1500));
  EXPECT_EQ(head.root_hash, ModelOf(Rows()).Root());
  EXPECT_TRUE(VerifyTreeHead(key_.public_key(), head));
  EXPECT_FALSE(VerifyTreeHead(MakeKey(8).public_key(), head));
  EXPECT_EQ(ledger_->signed_size(), 5u);

  std::vector<store::TreeHeadRow> rows = HeadRows();
  ASSERT_EQ(rows.size(), 1u);
  TreeHead stored = ValueOf(TreeHeadFromRow(rows[0]));
  EXPECT_EQ(stored.tree_size, head.tree_size);
  EXPECT_EQ(stored.timestamp, head.timestamp);
  EXPECT_EQ(stored.root_hash, head.root_hash);
  EXPECT_EQ(stored.signature, head.signature);
}

TEST_F(LedgerTest, SignHeadWithNothingNewReturnsTheLatestHead) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(3));
  TreeHead first = Sign();
  clock_.Advance(absl::Seconds(5));
  TreeHead again = Sign();
  EXPECT_EQ(again.tree_size, first.tree_size);
  EXPECT_EQ(again.timestamp, first.timestamp);
  EXPECT_EQ(again.root_hash, first.root_hash);
  EXPECT_EQ(again.signature, first.signature);
  EXPECT_EQ(HeadRows().size(), 1u);

  // After a reopen too.
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  TreeHead reopened = Sign();
  EXPECT_EQ(reopened.signature, first.signature);
  EXPECT_EQ(HeadRows().size(), 1u);
}

TEST_F(LedgerTest, SignHeadOnAnEmptyLedgerSignsTheEmptyTreeOnce) {
  TreeHead head = Sign();
  EXPECT_EQ(head.tree_size, 0u);
  EXPECT_EQ(head.root_hash, EmptyTreeRoot());
  EXPECT_TRUE(VerifyTreeHead(key_.public_key(), head));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Sign().signature, head.signature);
  EXPECT_EQ(HeadRows().size(), 1u);
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.tree_heads, 1u);
}

TEST_F(LedgerTest, ReopenKeepsSizeRootAndSignedSize) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(37));
  Sign();
  ASSERT_NO_FATAL_FAILURE(AppendEntries(6));
  const Hash root = ledger_->tree().Root();

  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_EQ(ledger_->size(), 43u);
  EXPECT_EQ(ledger_->signed_size(), 37u);
  EXPECT_EQ(ledger_->tree().Root(), root);
  // The unsigned tail waits a full period from the reopen.
  EXPECT_FALSE(ledger_->HeadDue());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(ledger_->HeadDue());

  // A closed and reopened store too; appends continue the numbering.
  CloseStore();
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_EQ(ledger_->size(), 43u);
  EXPECT_EQ(ledger_->signed_size(), 37u);
  EXPECT_EQ(ledger_->tree().Root(), root);
  std::unique_ptr<store::Transaction> tx = Begin();
  EXPECT_EQ(ValueOf(ledger_->Append(TestEntry(1000))), 43u);
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(ledger_->tree().Root(), ModelOf(Rows()).Root());
}

// ---------------------------------------------------------------------------
// The stored tree against the in-memory MerkleTree.
// ---------------------------------------------------------------------------

TEST_F(LedgerTest, StoredTreeRootsMatchAtEverySize) {
  MerkleTree model;
  for (int n = 1; n <= 70; ++n) {
    ASSERT_NO_FATAL_FAILURE(AppendEntries(1));
    std::optional<store::LedgerEntryRow> row =
        ValueOf(store_->ledger().GetEntry(static_cast<int64_t>(n - 1)));
    ASSERT_TRUE(row.has_value());
    model.Append(LeafHash(row->entry));
    ASSERT_EQ(ledger_->tree().Root(), model.Root()) << n;
    // A tree opened from the rows finds the same right edge.
    std::unique_ptr<StoredTree> reopened = ValueOf(StoredTree::Open(store_->ledger()));
    ASSERT_NE(reopened, nullptr);
    ASSERT_EQ(reopened->size(), static_cast<uint64_t>(n));
    ASSERT_EQ(reopened->Root(), model.Root()) << n;
  }
  EXPECT_TRUE(SameAsModel(ledger_->tree(), model, /*exhaustive=*/true));
}

TEST_F(LedgerTest, StoredTreeProofsMatchAcrossCachedLevels) {
  static_assert(StoredTree::kCachedLevel == 6, "the sizes below assume 64-leaf cache rows");
  ASSERT_NO_FATAL_FAILURE(AppendEntries(100));
  // The root of 100 = 64 + 32 + 4 leaves reads a level-6 node: the cache is
  // loaded now, and the appends below must extend it.
  ASSERT_TRUE(RootOf(ledger_->tree(), 100).ok());
  for (int count : {1, 27, 63, 64, 45}) ASSERT_NO_FATAL_FAILURE(AppendEntries(count));
  ASSERT_EQ(ledger_->size(), 300u);
  const MerkleTree model = ModelOf(Rows());
  EXPECT_TRUE(SameAsModel(ledger_->tree(), model));

  // Reopened: the cache is loaded from the rows at 300.
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_TRUE(SameAsModel(ledger_->tree(), model));
  std::unique_ptr<StoredTree> fresh = ValueOf(StoredTree::Open(store_->ledger()));
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(SameAsModel(*fresh, model));
}

TEST_F(LedgerTest, StoredTreeMatchesExhaustivelyAroundTheFirstCacheRow) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(60));
  ASSERT_TRUE(RootOf(ledger_->tree(), 60).ok());  // cache loaded while still empty
  ASSERT_NO_FATAL_FAILURE(AppendEntries(80));
  EXPECT_TRUE(SameAsModel(ledger_->tree(), ModelOf(Rows()), /*exhaustive=*/true));
}

TEST_F(LedgerTest, NodeOutsideTheTreeIsOutOfRange) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(100));
  const StoredTree& tree = ledger_->tree();
  EXPECT_EQ(tree.Node(0, 100).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree.Node(2, 25).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree.Node(6, 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree.Node(7, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree.Node(63, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(tree.Node(6, 0).ok());
  EXPECT_EQ(RootOf(tree, 101).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(LedgerTest, RollbackToAfterARolledBackSavepointRestoresTheTree) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(100));
  Sign();
  ASSERT_TRUE(RootOf(ledger_->tree(), 100).ok());  // load the cache
  {
    std::unique_ptr<store::Transaction> outer = Begin();
    ASSERT_NO_FATAL_FAILURE(AppendUncommitted(10));
    const Ledger::Mark mark = ledger_->mark();
    const Hash root_at_mark = ledger_->tree().Root();
    {
      std::unique_ptr<store::Transaction> inner = Begin();  // a savepoint
      ASSERT_NO_FATAL_FAILURE(AppendUncommitted(100, "doomed"));
      ASSERT_TRUE(ledger_->SignHead().ok());
      EXPECT_EQ(ledger_->signed_size(), 210u);
      // Proofs now use cached nodes over the doomed entries.
      ASSERT_TRUE(RootOf(ledger_->tree(), 200).ok());
      ASSERT_TRUE(InclusionProofOf(ledger_->tree(), 199, 210).ok());
    }  // rolled back
    EXPECT_EQ(ValueOf(store_->ledger().CountEntries()), 110);
    EXPECT_EQ(HeadRows().size(), 1u);
    ledger_->RollbackTo(mark);
    EXPECT_EQ(ledger_->size(), 110u);
    EXPECT_EQ(ledger_->signed_size(), 100u);
    EXPECT_EQ(ledger_->tree().Root(), root_at_mark);
    EXPECT_TRUE(SameAsModel(ledger_->tree(), ModelOf(Rows())));

    // A savepoint that commits keeps its entries for the outer transaction.
    {
      std::unique_ptr<store::Transaction> inner = Begin();
      ASSERT_NO_FATAL_FAILURE(AppendUncommitted(30, "kept"));
      ASSERT_TRUE(inner->Commit().ok());
    }
    ASSERT_NO_FATAL_FAILURE(AppendUncommitted(50));
    ASSERT_TRUE(ledger_->SignHead().ok());
    ASSERT_TRUE(outer->Commit().ok());
  }
  std::vector<store::LedgerEntryRow> rows = Rows();
  ASSERT_EQ(rows.size(), 190u);
  for (const store::LedgerEntryRow& row : rows) EXPECT_THAT(row.entry, Not(HasSubstr("doomed")));
  const MerkleTree model = ModelOf(rows);
  EXPECT_EQ(ledger_->tree().Root(), model.Root());
  EXPECT_TRUE(SameAsModel(ledger_->tree(), model));
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_TRUE(SameAsModel(ledger_->tree(), model));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 190u);
  EXPECT_EQ(report.tree_heads, 2u);
  EXPECT_EQ(report.unsigned_entries, 0u);
}

TEST_F(LedgerTest, FailedAppendLeavesTheTreeUnchanged) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(3));
  const Hash root = ledger_->tree().Root();
  // Someone else took the next seq: the ledger's row cannot be stored.
  store::LedgerEntryRow intruder{3, "{}", Bytes(LeafHash("{}")), ""};
  ASSERT_TRUE(store_->ledger().AppendEntries({&intruder, 1}).ok());
  std::unique_ptr<store::Transaction> tx = Begin();
  EXPECT_FALSE(ledger_->Append(TestEntry(99)).ok());
  EXPECT_EQ(ledger_->size(), 3u);
  EXPECT_EQ(ledger_->tree().Root(), root);
}

TEST_F(LedgerTest, StagedEntriesReachTheStoreAtFlushAppendOrSignHead) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(2));
  std::unique_ptr<store::Transaction> tx = Begin();
  EXPECT_EQ(ledger_->Stage(TestEntry(10)), 2u);
  EXPECT_EQ(ledger_->Stage(TestEntry(11)), 3u);
  EXPECT_EQ(ledger_->size(), 4u);
  EXPECT_EQ(store_->ledger().CountEntries().value(), 2);  // kept in memory
  ASSERT_TRUE(ledger_->Flush().ok());
  EXPECT_EQ(store_->ledger().CountEntries().value(), 4);
  // Append stores what was staged before it, in order.
  EXPECT_EQ(ledger_->Stage(TestEntry(12)), 4u);
  EXPECT_EQ(ledger_->Append(TestEntry(13)).value(), 5u);
  EXPECT_EQ(store_->ledger().CountEntries().value(), 6);
  EXPECT_EQ(ledger_->Stage(TestEntry(14)), 6u);
  ASSERT_TRUE(ledger_->SignHead().ok());
  ASSERT_TRUE(tx->Commit().ok());
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 7u);
  EXPECT_EQ(report.unsigned_entries, 0u);
}

TEST_F(LedgerTest, BuiltEntriesAreStoredAsTheirJsonTwinsWouldBe) {
  const std::vector<std::string> categories = {"pd:Name", "pd:CallLog"};
  auto built = [&] {
    EntryBuilder entry;
    entry.Add("kind", "decision").Add("categories", categories).Add("n", int64_t{7});
    return entry;
  };
  const nlohmann::json twin = {{"kind", "decision"}, {"categories", categories}, {"n", 7}};
  std::unique_ptr<store::Transaction> tx = Begin();
  EXPECT_EQ(ledger_->Stage(built()), 0u);
  EXPECT_EQ(ledger_->Stage(twin), 1u);
  clock_.Advance(absl::Microseconds(5));
  EXPECT_EQ(ValueOf(ledger_->Append(built())), 2u);
  EXPECT_EQ(ValueOf(ledger_->Append(twin)), 3u);
  ASSERT_TRUE(ledger_->SignHead().ok());
  ASSERT_TRUE(tx->Commit().ok());
  std::vector<store::LedgerEntryRow> rows = Rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].entry,
            R"({"at":"2026-04-01T09:00:00.000000Z","categories":["pd:Name","pd:CallLog"],)"
            R"("kind":"decision","n":7})");
  EXPECT_EQ(rows[0].entry, rows[1].entry);
  EXPECT_EQ(rows[2].entry, rows[3].entry);
  EXPECT_NE(rows[0].entry, rows[2].entry);  // a later "at"
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST_F(LedgerTest, RollingBackDropsStagedEntries) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(3));
  const Hash root = ledger_->tree().Root();
  std::unique_ptr<store::Transaction> tx = Begin();
  const Ledger::Mark mark = ledger_->mark();
  ledger_->Stage(TestEntry(20));
  ledger_->Stage(TestEntry(21));
  ledger_->RollbackTo(mark);
  EXPECT_EQ(ledger_->size(), 3u);
  EXPECT_EQ(ledger_->tree().Root(), root);
  ASSERT_TRUE(ledger_->Flush().ok());
  EXPECT_EQ(store_->ledger().CountEntries().value(), 3);
  // The next entry takes the freed sequence number.
  EXPECT_EQ(ledger_->Stage(TestEntry(22)), 3u);
  ASSERT_TRUE(ledger_->SignHead().ok());
  ASSERT_TRUE(tx->Commit().ok());
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 4u);
}

// ---------------------------------------------------------------------------
// Verification, and the tampering it must catch.
// ---------------------------------------------------------------------------

TEST_F(LedgerTest, VerifyAcceptsAGoodLedger) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(10));
  Sign();
  ASSERT_NO_FATAL_FAILURE(AppendEntries(90));
  Sign();
  ASSERT_NO_FATAL_FAILURE(AppendEntries(7));
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  absl::StatusOr<VerifyReport> report =
      VerifyLedger(store_->ledger(), key_.public_key(),
                   [&](uint64_t done, uint64_t total) { progress.emplace_back(done, total); });
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries, 107u);
  EXPECT_EQ(report->tree_heads, 2u);
  EXPECT_EQ(report->unsigned_entries, 7u);
  ASSERT_TRUE(report->latest_head.has_value());
  EXPECT_EQ(report->latest_head->tree_size, 100u);
  EXPECT_FALSE(report->first_bad_entry.has_value());
  EXPECT_FALSE(report->bad_tree_head.has_value());
  EXPECT_EQ(report->problem, "");
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(uint64_t{107}, uint64_t{107}));

  nlohmann::json j = VerifyReportToJson(*report);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["entries"], 107);
  EXPECT_EQ(j["tree_heads"], 2);
  EXPECT_EQ(j["unsigned_entries"], 7);
  EXPECT_EQ(j["latest_head"]["tree_size"], 100);
  EXPECT_TRUE(j["first_bad_entry"].is_null());
  EXPECT_TRUE(j["bad_tree_head"].is_null());
}

// ---------------------------------------------------------------------------
// Verification from a verified head (VerifyLedgerFrom).
// ---------------------------------------------------------------------------

class LedgerVerifyFromTest : public LedgerTest {
 protected:
  // 3,000 entries with heads at 1,500 and 2,500 and an unsigned tail.
  void SetUp() override {
    LedgerTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(AppendEntries(1500));
    middle_ = Sign();
    ASSERT_NO_FATAL_FAILURE(AppendEntries(1000));
    clock_.Advance(absl::Seconds(1));
    latest_ = Sign();
    ASSERT_NO_FATAL_FAILURE(AppendEntries(500));
  }

  static VerifiedPoint PointOf(const TreeHead& head) {
    return {head.tree_size, std::string(reinterpret_cast<const char*>(head.root_hash.data()),
                                        head.root_hash.size())};
  }

  VerifyReport VerifyFrom(const VerifiedPoint& start) {
    absl::StatusOr<VerifyReport> report =
        VerifyLedgerFrom(store_->ledger(), key_.public_key(), start);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.value_or(VerifyReport{});
  }

  // Rewrites stored bytes with the store closed.
  void Tamper(const std::function<void(RecordsFile&)>& edit) {
    CloseStore();
    {
      RecordsFile file(dir_.path());
      edit(file);
    }
    ASSERT_NO_FATAL_FAILURE(OpenStore());
  }

  TreeHead middle_;
  TreeHead latest_;
};

TEST_F(LedgerVerifyFromTest, ChecksOnlyWhatCameAfterTheVerifiedHead) {
  VerifyReport report = VerifyFrom(PointOf(middle_));
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.verified_from, 1500u);
  // The entries and heads after the verified head.
  EXPECT_EQ(report.entries, 1500u);
  EXPECT_EQ(report.tree_heads, 1u);
  EXPECT_EQ(report.unsigned_entries, 500u);
  ASSERT_TRUE(report.latest_head.has_value());
  EXPECT_EQ(report.latest_head->tree_size, 2500u);
  EXPECT_FALSE(report.first_bad_entry.has_value());
  EXPECT_FALSE(report.bad_tree_head.has_value());
  nlohmann::json j = VerifyReportToJson(report);
  EXPECT_EQ(j["verified_from"], 1500);
  EXPECT_EQ(j["entries"], 1500);

  VerifyReport at_latest = VerifyFrom(PointOf(latest_));
  EXPECT_TRUE(at_latest.ok) << at_latest.problem;
  EXPECT_EQ(at_latest.verified_from, 2500u);
  EXPECT_EQ(at_latest.entries, 500u);
  EXPECT_EQ(at_latest.tree_heads, 0u);
  EXPECT_EQ(at_latest.unsigned_entries, 500u);
}

TEST_F(LedgerVerifyFromTest, FromTheLatestHeadWithNothingNewChecksNoEntry) {
  clock_.Advance(absl::Seconds(1));
  const TreeHead last = Sign();  // over all 3,000 entries
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  absl::StatusOr<VerifyReport> report =
      VerifyLedgerFrom(store_->ledger(), key_.public_key(), PointOf(last),
                       [&](uint64_t done, uint64_t total) { progress.emplace_back(done, total); });
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->verified_from, 3000u);
  EXPECT_EQ(report->entries, 0u);
  EXPECT_EQ(report->tree_heads, 0u);
  EXPECT_EQ(report->unsigned_entries, 0u);
  ASSERT_TRUE(report->latest_head.has_value());
  EXPECT_EQ(report->latest_head->tree_size, 3000u);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(uint64_t{0}, uint64_t{0}));
}

TEST_F(LedgerVerifyFromTest, FromZeroIsTheFullVerification) {
  VerifyReport from_zero = VerifyFrom(VerifiedPoint{});
  VerifyReport full = Verify();
  EXPECT_TRUE(full.ok);
  EXPECT_EQ(VerifyReportToJson(from_zero), VerifyReportToJson(full));
  EXPECT_EQ(from_zero.entries, 3000u);
}

TEST_F(LedgerVerifyFromTest, AChangedEntryAfterTheHeadIsFound) {
  std::vector<store::LedgerEntryRow> rows = Rows();
  ASSERT_NO_FATAL_FAILURE(Tamper([&](RecordsFile& file) {
    file.SetBlob("ledger_entries", "entry", "seq", 2000, rows[2000].entry + " ");
  }));
  VerifyReport report = VerifyFrom(PointOf(middle_));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_entry, 2000u) << report.problem;
}

TEST_F(LedgerVerifyFromTest, OldEntriesAreTrustedThroughTheStoredNodesOfTheVerifiedRoot) {
  std::vector<store::LedgerEntryRow> rows = Rows();
  // An old entry's bytes alone: not rehashed from a verified head, by
  // design; a full verification finds it.
  ASSERT_NO_FATAL_FAILURE(Tamper([&](RecordsFile& file) {
    file.SetBlob("ledger_entries", "entry", "seq", 10, rows[10].entry + " ");
  }));
  EXPECT_TRUE(VerifyFrom(PointOf(middle_)).ok);
  EXPECT_FALSE(Verify().ok);
  // The stored node of the first 1,024 entries: the verified root no
  // longer follows.
  std::string nodes = rows[1023].nodes;
  ASSERT_GE(nodes.size(), 10u * 32u);
  nodes[9 * 32] = static_cast<char>(nodes[9 * 32] ^ 1);
  ASSERT_NO_FATAL_FAILURE(Tamper(
      [&](RecordsFile& file) { file.SetBlob("ledger_entries", "nodes", "seq", 1023, nodes); }));
  VerifyReport report = VerifyFrom(PointOf(middle_));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_tree_head, 1500u) << report.problem;
  EXPECT_EQ(report.first_bad_entry, std::nullopt);
  EXPECT_THAT(report.problem,
              HasSubstr("the ledger before entry 1500 no longer matches the verified head"));
  // The later head, whose root the changed node is also part of, was not
  // reached: the start is checked first.
  EXPECT_EQ(report.tree_heads, 0u);
}

TEST_F(LedgerVerifyFromTest, OldEntriesRewrittenWithTheirStoredNodesAreFound) {
  // Entry 10 and every stored hash over it rewritten to fit: each row is
  // consistent, but the frontier no longer hashes to the verified root.
  const std::vector<store::LedgerEntryRow> before = Rows();
  std::vector<store::LedgerEntryRow> rows = before;
  rows[10].entry += " ";
  const MerkleTree model = ModelOf(rows);
  ASSERT_NO_FATAL_FAILURE(Tamper([&](RecordsFile& file) {
    int rewritten = 0;
    for (store::LedgerEntryRow& row : rows) {
      row.leaf_hash = Bytes(LeafHash(row.entry));
      row.nodes = NodesOf(model, static_cast<uint64_t>(row.seq));
      const store::LedgerEntryRow& old = before[static_cast<size_t>(row.seq)];
      if (row.entry == old.entry && row.nodes == old.nodes) continue;
      file.PutEntry(row);
      ++rewritten;
    }
    EXPECT_GT(rewritten, 1);  // the entry and the nodes over it
  }));
  VerifyReport report = VerifyFrom(PointOf(middle_));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_tree_head, 1500u);
  EXPECT_THAT(report.problem,
              HasSubstr("the ledger before entry 1500 no longer matches the verified head"));
}

TEST_F(LedgerVerifyFromTest, AMissingFrontierRowIsFound) {
  // Row 1023 holds the stored node of the first 1,024 entries.
  ASSERT_NO_FATAL_FAILURE(
      Tamper([&](RecordsFile& file) { file.Exec("DELETE FROM ledger_entries WHERE seq = 1023"); }));
  VerifyReport report = VerifyFrom(PointOf(middle_));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_tree_head, 1500u);
  EXPECT_THAT(report.problem,
              HasSubstr("the ledger before entry 1500 no longer matches the verified head"));
  EXPECT_THAT(report.problem, HasSubstr("1023"));
}

TEST_F(LedgerVerifyFromTest, AStartThatIsNotAStoredHeadIsRefused) {
  VerifiedPoint wrong_root = PointOf(middle_);
  wrong_root.root_hash[0] = static_cast<char>(wrong_root.root_hash[0] ^ 1);
  VerifyReport report = VerifyFrom(wrong_root);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_tree_head, 1500u);
  EXPECT_NE(report.problem.find("no longer stored"), std::string::npos) << report.problem;
  VerifiedPoint no_head = PointOf(middle_);
  no_head.tree_size = 1499;
  EXPECT_FALSE(VerifyFrom(no_head).ok);
}

TEST_F(LedgerTest, VerifyWithAnotherPublicKeyNamesTheFirstHead) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(10));
  Sign();
  ASSERT_NO_FATAL_FAILURE(AppendEntries(10));
  Sign();
  for (const std::string& other : {MakeKey(8).public_key(), std::string(), std::string(32, 'k')}) {
    VerifyReport report = Verify(other);
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.bad_tree_head, std::optional<uint64_t>(10));
    EXPECT_EQ(report.first_bad_entry, std::nullopt);
    EXPECT_THAT(report.problem, HasSubstr("signature"));
  }
}

// The ledger the tamper cases start from: 45 entries, signed heads at 10, 25
// and 40, entries 40 to 44 unsigned.
constexpr int kTamperEntries = 45;
constexpr uint64_t kTamperHeads[] = {10, 25, 40};

struct TamperCase {
  std::string name;
  // Edits records.db; `rows` are the entries as stored before.
  std::function<void(RecordsFile& file, std::vector<store::LedgerEntryRow> rows)> tamper;
  std::optional<uint64_t> first_bad_entry;
  std::optional<uint64_t> bad_tree_head;
};

void PrintTo(const TamperCase& c, std::ostream* os) { *os << c.name; }

// Moves the rows from `first` on up by one seq, leaving `first` free.
void MakeRoom(RecordsFile& file, int64_t first) {
  // Through negative seqs: a single UPDATE may collide with itself.
  file.Exec("UPDATE ledger_entries SET seq = -(seq + 1) WHERE seq >= " + std::to_string(first));
  file.Exec("UPDATE ledger_entries SET seq = -seq WHERE seq < 0");
}

// Rewrites every row's leaf hash and nodes to fit the rows' entries.
void RewriteTree(RecordsFile& file, std::vector<store::LedgerEntryRow> rows) {
  const MerkleTree model = ModelOf(rows);
  for (store::LedgerEntryRow& row : rows) {
    row.leaf_hash = Bytes(LeafHash(row.entry));
    row.nodes = NodesOf(model, static_cast<uint64_t>(row.seq));
    file.PutEntry(row);
  }
}

std::string Forged(const std::string& entry) {
  nlohmann::json j = nlohmann::json::parse(entry);
  j["kind"] = "forged";
  return CanonicalEntry(j);
}

std::vector<TamperCase> TamperCases() {
  using Rows = std::vector<store::LedgerEntryRow>;
  return {
      {"EntryBytesEdited",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "entry", "seq", 12, Forged(rows[12].entry));
       },
       12, std::nullopt},
      {"EntryByteFlipped",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "entry", "seq", 0, FlipByte(rows[0].entry, 3));
       },
       0, std::nullopt},
      // With its leaf hash recomputed, the edit shows in the first stored node
      // above it: the pair (12, 13), stored in row 13.
      {"EvenEntryEditedWithItsLeafHash",
       [](RecordsFile& f, Rows rows) {
         const std::string forged = Forged(rows[12].entry);
         f.SetBlob("ledger_entries", "entry", "seq", 12, forged);
         f.SetBlob("ledger_entries", "leaf_hash", "seq", 12, Bytes(LeafHash(forged)));
       },
       12, std::nullopt},
      {"OddEntryEditedWithItsLeafHash",
       [](RecordsFile& f, Rows rows) {
         const std::string forged = Forged(rows[13].entry);
         f.SetBlob("ledger_entries", "entry", "seq", 13, forged);
         f.SetBlob("ledger_entries", "leaf_hash", "seq", 13, Bytes(LeafHash(forged)));
       },
       12, std::nullopt},
      {"LeafHashMalformed",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "leaf_hash", "seq", 20, rows[20].leaf_hash.substr(0, 31));
       },
       20, std::nullopt},
      // Row 15 holds the subtrees (14..15), (12..15), (8..15), (0..15).
      {"StoredNodeEdited",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "nodes", "seq", 15, FlipByte(rows[15].nodes, 2 * 32 + 5));
       },
       8, std::nullopt},
      {"StoredNodeDropped",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "nodes", "seq", 15, rows[15].nodes.substr(0, 32));
       },
       12, std::nullopt},
      {"StoredNodesExtended",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "nodes", "seq", 6, rows[6].nodes + std::string(32, 'x'));
       },
       6, std::nullopt},
      {"FirstStoredNodesExtended",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "nodes", "seq", 0, rows[0].nodes + std::string(32, 'x'));
       },
       0, std::nullopt},
      {"MiddleRowDeleted",
       [](RecordsFile& f, Rows) { f.Exec("DELETE FROM ledger_entries WHERE seq = 17"); }, 17,
       std::nullopt},
      {"FirstRowDeleted",
       [](RecordsFile& f, Rows) { f.Exec("DELETE FROM ledger_entries WHERE seq = 0"); }, 0,
       std::nullopt},
      // A forged row with a proper leaf hash at 16; the old row 16 (no stored
      // nodes) is now row 17, which must hold the pair (16, 17).
      {"RowInserted",
       [](RecordsFile& f, Rows rows) {
         MakeRoom(f, 16);
         const std::string forged = Forged(rows[16].entry);
         f.PutEntry({16, forged, Bytes(LeafHash(forged)), ""});
       },
       16, std::nullopt},
      {"RowsSwapped",
       [](RecordsFile& f, Rows rows) {
         rows[12].seq = 14;
         rows[14].seq = 12;
         f.PutEntry(rows[12]);
         f.PutEntry(rows[14]);
       },
       12, std::nullopt},
      {"AdjacentRowsSwapped",
       [](RecordsFile& f, Rows rows) {
         rows[4].seq = 5;
         rows[5].seq = 4;
         f.PutEntry(rows[4]);
         f.PutEntry(rows[5]);
       },
       4, std::nullopt},
      {"FirstRowsSwapped",
       [](RecordsFile& f, Rows rows) {
         rows[0].seq = 1;
         rows[1].seq = 0;
         f.PutEntry(rows[0]);
         f.PutEntry(rows[1]);
       },
       0, std::nullopt},
      {"SignedTailTruncated",
       [](RecordsFile& f, Rows) { f.Exec("DELETE FROM ledger_entries WHERE seq >= 35"); }, 35, 40},
      {"AllEntriesDeleted", [](RecordsFile& f, Rows) { f.Exec("DELETE FROM ledger_entries"); }, 0,
       10},
      {"SignatureForged",
       [](RecordsFile& f, Rows) {
         f.Exec(
             "UPDATE tree_heads SET signature = "
             "substr(signature, 1, 10) || x'00' || substr(signature, 12) "
             "WHERE tree_size = 25");
       },
       std::nullopt, 25},
      {"HeadTimestampChanged",
       [](RecordsFile& f, Rows) {
         f.Exec("UPDATE tree_heads SET signed_at = signed_at + 1 WHERE tree_size = 10");
       },
       std::nullopt, 10},
      {"HeadSizeChanged",
       [](RecordsFile& f, Rows) {
         f.Exec("UPDATE tree_heads SET tree_size = 26 WHERE tree_size = 25");
       },
       std::nullopt, 26},
      {"HeadRootMalformed",
       [](RecordsFile& f, Rows) {
         f.Exec("UPDATE tree_heads SET root_hash = x'00' WHERE tree_size = 40");
       },
       std::nullopt, 40},
      // The attacker edits entry 12 and recomputes every leaf hash and node:
      // the rows agree with each other, but not with the head signed at 25.
      {"TreeRewritten",
       [](RecordsFile& f, Rows rows) {
         rows[12].entry = Forged(rows[12].entry);
         RewriteTree(f, rows);
       },
       10, 25},
      // ... and then puts the new root into the stored head.
      {"TreeAndHeadRootRewritten",
       [](RecordsFile& f, Rows rows) {
         rows[12].entry = Forged(rows[12].entry);
         RewriteTree(f, rows);
         f.SetBlob("tree_heads", "root_hash", "tree_size", 25,
                   Bytes(ValueOf(ModelOf(rows).RootAt(25))));
       },
       std::nullopt, 25},
      // Entry 30 removed, the rest moved down and the tree rewritten.
      {"RowRemovedAndTreeRewritten",
       [](RecordsFile& f, Rows rows) {
         rows.erase(rows.begin() + 30);
         for (size_t i = 0; i < rows.size(); ++i) rows[i].seq = static_cast<int64_t>(i);
         f.Exec("DELETE FROM ledger_entries WHERE seq >= 30");
         RewriteTree(f, rows);
       },
       25, 40},
  };
}

class LedgerTamperTest : public LedgerTest, public ::testing::WithParamInterface<TamperCase> {};

TEST_P(LedgerTamperTest, VerifyNamesTheFirstProblem) {
  const TamperCase& c = GetParam();
  int appended = 0;
  for (uint64_t head : kTamperHeads) {
    ASSERT_NO_FATAL_FAILURE(AppendEntries(static_cast<int>(head) - appended));
    appended = static_cast<int>(head);
    clock_.Advance(absl::Seconds(1));
    Sign();
  }
  ASSERT_NO_FATAL_FAILURE(AppendEntries(kTamperEntries - appended));
  VerifyReport before = Verify();
  ASSERT_TRUE(before.ok) << before.problem;
  ASSERT_EQ(before.tree_heads, 3u);
  ASSERT_EQ(before.unsigned_entries, 5u);

  std::vector<store::LedgerEntryRow> rows = Rows();
  CloseStore();
  {
    RecordsFile file(dir_.path());
    ASSERT_NO_FATAL_FAILURE(c.tamper(file, rows));
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_entry, c.first_bad_entry) << report.problem;
  EXPECT_EQ(report.bad_tree_head, c.bad_tree_head) << report.problem;
  EXPECT_NE(report.problem, "");
  nlohmann::json j = VerifyReportToJson(report);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["problem"], report.problem);
  if (c.first_bad_entry) {
    EXPECT_EQ(j["first_bad_entry"], *c.first_bad_entry);
  }
  if (c.bad_tree_head) {
    EXPECT_EQ(j["bad_tree_head"], *c.bad_tree_head);
  }
}

INSTANTIATE_TEST_SUITE_P(Tamper, LedgerTamperTest, ::testing::ValuesIn(TamperCases()),
                         [](const ::testing::TestParamInfo<TamperCase>& param_info) {
                           return param_info.param.name;
                         });

// The same on a ledger of 4,200 entries: verification hashes entries in
// aligned chunks of 1,024 on worker threads and checks them in order, so
// these cases sit on the chunks' edges and on the nodes above them.
constexpr int kChunkedEntries = 4200;
constexpr uint64_t kChunkedHeads[] = {1000, 2048, 3000, 4100};

std::vector<TamperCase> ChunkedTamperCases() {
  using Rows = std::vector<store::LedgerEntryRow>;
  return {
      {"FirstEntryOfAChunkEdited",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "entry", "seq", 1024, FlipByte(rows[1024].entry, 3));
       },
       1024, std::nullopt},
      {"LastEntryOfAChunkEdited",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "entry", "seq", 2047, FlipByte(rows[2047].entry, 3));
       },
       2047, std::nullopt},
      // Row 2047 holds levels 1 to 11; level 10 is the chunk 1024..2047.
      {"ChunkRootEdited",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "nodes", "seq", 2047, FlipByte(rows[2047].nodes, 9 * 32 + 1));
       },
       1024, std::nullopt},
      // Row 4095 holds levels 1 to 12; level 12 spans four chunks.
      {"NodeAboveTheChunksEdited",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "nodes", "seq", 4095, FlipByte(rows[4095].nodes, 11 * 32 + 1));
       },
       0, std::nullopt},
      {"NodeAboveTheChunksDropped",
       [](RecordsFile& f, Rows rows) {
         f.SetBlob("ledger_entries", "nodes", "seq", 2047, rows[2047].nodes.substr(0, 10 * 32));
       },
       0, std::nullopt},
      {"LastRowOfAChunkDeleted",
       [](RecordsFile& f, Rows) { f.Exec("DELETE FROM ledger_entries WHERE seq = 1023"); }, 1023,
       std::nullopt},
      {"RowsSwappedAcrossAChunkEdge",
       [](RecordsFile& f, Rows rows) {
         rows[1023].seq = 1024;
         rows[1024].seq = 1023;
         f.PutEntry(rows[1023]);
         f.PutEntry(rows[1024]);
       },
       1022, std::nullopt},
      {"TreeRewrittenAcrossChunks",
       [](RecordsFile& f, Rows rows) {
         rows[2500].entry = Forged(rows[2500].entry);
         f.Exec("BEGIN");  // one fsync, not 4,200
         RewriteTree(f, rows);
         f.Exec("COMMIT");
       },
       2048, 3000},
      {"LaterSignatureForged",
       [](RecordsFile& f, Rows) {
         f.Exec(
             "UPDATE tree_heads SET signature = "
             "substr(signature, 1, 10) || x'00' || substr(signature, 12) "
             "WHERE tree_size = 3000");
       },
       std::nullopt, 3000},
      {"SignedTailTruncatedInAChunk",
       [](RecordsFile& f, Rows) { f.Exec("DELETE FROM ledger_entries WHERE seq >= 3500"); }, 3500,
       4100},
  };
}

class LedgerChunkedTamperTest : public LedgerTest,
                                public ::testing::WithParamInterface<TamperCase> {};

TEST_P(LedgerChunkedTamperTest, VerifyNamesTheFirstProblem) {
  const TamperCase& c = GetParam();
  int appended = 0;
  for (uint64_t head : kChunkedHeads) {
    ASSERT_NO_FATAL_FAILURE(AppendEntries(static_cast<int>(head) - appended));
    appended = static_cast<int>(head);
    clock_.Advance(absl::Seconds(1));
    Sign();
  }
  ASSERT_NO_FATAL_FAILURE(AppendEntries(kChunkedEntries - appended));
  std::vector<uint64_t> progress;
  absl::StatusOr<VerifyReport> before =
      VerifyLedger(store_->ledger(), key_.public_key(),
                   [&](uint64_t done, uint64_t) { progress.push_back(done); });
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(before->ok) << before->problem;
  ASSERT_EQ(before->entries, static_cast<uint64_t>(kChunkedEntries));
  ASSERT_EQ(before->tree_heads, 4u);
  ASSERT_EQ(before->unsigned_entries, 100u);
  EXPECT_EQ(progress, std::vector<uint64_t>{kChunkedEntries});

  std::vector<store::LedgerEntryRow> rows = Rows();
  CloseStore();
  {
    RecordsFile file(dir_.path());
    ASSERT_NO_FATAL_FAILURE(c.tamper(file, rows));
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_entry, c.first_bad_entry) << report.problem;
  EXPECT_EQ(report.bad_tree_head, c.bad_tree_head) << report.problem;
  EXPECT_NE(report.problem, "");
}

INSTANTIATE_TEST_SUITE_P(Tamper, LedgerChunkedTamperTest, ::testing::ValuesIn(ChunkedTamperCases()),
                         [](const ::testing::TestParamInfo<TamperCase>& param_info) {
                           return param_info.param.name;
                         });

TEST_F(LedgerTest, OpenRefusesAHeadBeyondTheEntries) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(20));
  Sign();
  CloseStore();
  {
    RecordsFile file(dir_.path());
    file.Exec("DELETE FROM ledger_entries WHERE seq >= 15");
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(store_->ledger(), key_, clock_);
  EXPECT_EQ(ledger.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(ledger.status().message()), HasSubstr("ledger verify"));
}

TEST_F(LedgerTest, OpenRefusesAMissingRightEdgeRow) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(20));  // the right edge is rows 15 and 19
  CloseStore();
  {
    RecordsFile file(dir_.path());
    file.Exec("DELETE FROM ledger_entries WHERE seq = 15");
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  EXPECT_EQ(StoredTree::Open(store_->ledger()).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Ledger::Open(store_->ledger(), key_, clock_).status().code(),
            absl::StatusCode::kDataLoss);
}

// What verification cannot see, as documented: entries after the latest head
// rewritten consistently. They are reported as unsigned, for an auditor to
// check against a head kept elsewhere.
TEST_F(LedgerTest, VerifyCountsARewrittenUnsignedTailAsUnsigned) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(20));
  Sign();
  ASSERT_NO_FATAL_FAILURE(AppendEntries(4));
  std::vector<store::LedgerEntryRow> rows = Rows();
  CloseStore();
  {
    RecordsFile file(dir_.path());
    rows[22].entry = Forged(rows[22].entry);
    RewriteTree(file, rows);
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.unsigned_entries, 4u);
  ASSERT_TRUE(report.latest_head.has_value());
  EXPECT_EQ(report.latest_head->tree_size, 20u);
}

// ---------------------------------------------------------------------------
// Entry proofs.
// ---------------------------------------------------------------------------

class LedgerProofTest : public LedgerTest {
 protected:
  // Heads at these sizes, then 5 unsigned entries.
  static constexpr uint64_t kHeads[] = {1, 7, 64, 100, 129, 150};
  static constexpr uint64_t kSigned = 150;

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(LedgerTest::SetUp());
    uint64_t appended = 0;
    for (uint64_t head : kHeads) {
      ASSERT_NO_FATAL_FAILURE(AppendEntries(static_cast<int>(head - appended)));
      appended = head;
      clock_.Advance(absl::Seconds(1));
      Sign();
    }
    ASSERT_NO_FATAL_FAILURE(AppendEntries(5));
    rows_ = Rows();
    model_ = ModelOf(rows_);
  }

  static bool HasHead(uint64_t size) {
    return std::find(std::begin(kHeads), std::end(kHeads), size) != std::end(kHeads);
  }

  EntryProof Prove(uint64_t index, std::optional<uint64_t> against) {
    absl::StatusOr<EntryProof> proof =
        ProveEntry(store_->ledger(), ledger_->tree(), index, against);
    EXPECT_TRUE(proof.ok()) << proof.status();
    return proof.value_or(EntryProof{});
  }

  // Through the JSON text an auditor receives, and back.
  absl::StatusOr<EntryProof> RoundTrip(const nlohmann::json& j) {
    return EntryProofFromJson(nlohmann::json::parse(j.dump()));
  }

  absl::StatusCode CheckJson(const nlohmann::json& j) {
    absl::StatusOr<EntryProof> proof = RoundTrip(j);
    if (!proof.ok()) return proof.status().code();
    return CheckEntryProof(*proof, key_.public_key()).code();
  }

  absl::StatusCode Check(const EntryProof& proof) {
    return CheckEntryProof(proof, key_.public_key()).code();
  }

  std::vector<store::LedgerEntryRow> rows_;
  MerkleTree model_;
};

TEST_F(LedgerProofTest, EveryEntryProvesAgainstEveryHeadAndSize) {
  const std::optional<uint64_t> againsts[] = {std::nullopt, 1,  2,   5,   7,   50,  63,
                                              64,           65, 100, 128, 129, 149, 150};
  for (std::optional<uint64_t> against : againsts) {
    const uint64_t size = against.value_or(kSigned);
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE(::testing::Message() << "entry " << index << " against " << size);
      const EntryProof proof = Prove(index, against);
      const nlohmann::json j = EntryProofToJson(proof);
      EXPECT_EQ(j["format"], "mamori-entry-proof-v1");
      EXPECT_EQ(j["leaf_hash"], ToHex(LeafHash(rows_[index].entry)));
      absl::StatusOr<EntryProof> parsed = RoundTrip(j);
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      ASSERT_TRUE(CheckEntryProof(*parsed, key_.public_key()).ok())
          << CheckEntryProof(*parsed, key_.public_key());
      ASSERT_EQ(parsed->index, index);
      ASSERT_EQ(parsed->entry, rows_[index].entry);
      ASSERT_EQ(parsed->tree_size, size);
      ASSERT_EQ(parsed->root_hash, ValueOf(model_.RootAt(size)));
      ASSERT_EQ(parsed->inclusion, ValueOf(model_.InclusionProof(index, size)));
      ASSERT_EQ(parsed->consistency, ValueOf(model_.ConsistencyProof(size, kSigned)));
      ASSERT_EQ(parsed->head.tree_size, kSigned);
      ASSERT_EQ(parsed->head.root_hash, ValueOf(model_.RootAt(kSigned)));
      ASSERT_EQ(parsed->head.signature, proof.head.signature);
      ASSERT_EQ(parsed->head.timestamp, proof.head.timestamp);
      ASSERT_EQ(parsed->tree_size_head.has_value(), HasHead(size));
      if (parsed->tree_size_head) {
        ASSERT_EQ(parsed->tree_size_head->tree_size, size);
        ASSERT_EQ(parsed->tree_size_head->root_hash, parsed->root_hash);
        ASSERT_EQ(parsed->tree_size_head->signature,
                  ValueOf(store_->ledger().GetTreeHead(static_cast<int64_t>(size)))->signature);
      }
    }
  }
}

TEST_F(LedgerProofTest, ProofsFromAReopenedLedgerAreTheSame) {
  const EntryProof before = Prove(70, 100);
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  const EntryProof after = Prove(70, 100);
  EXPECT_EQ(EntryProofToJson(after), EntryProofToJson(before));
}

TEST_F(LedgerProofTest, EveryTamperedFieldIsCaught) {
  struct Probe {
    uint64_t index;
    std::optional<uint64_t> against;
  };
  for (Probe probe : {Probe{0, std::nullopt}, Probe{1, std::nullopt}, Probe{63, std::nullopt},
                      Probe{64, std::nullopt}, Probe{149, std::nullopt}, Probe{0, 1}, Probe{5, 7},
                      Probe{70, 100}, Probe{99, 100}, Probe{128, 129}, Probe{30, 50}}) {
    const uint64_t size = probe.against.value_or(kSigned);
    SCOPED_TRACE(::testing::Message() << "entry " << probe.index << " against " << size);
    const EntryProof good = Prove(probe.index, probe.against);
    const nlohmann::json j = EntryProofToJson(good);
    ASSERT_EQ(CheckJson(j), absl::StatusCode::kOk);
    constexpr auto kDataLoss = absl::StatusCode::kDataLoss;
    constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

    // The entry's text.
    {
      EntryProof p = good;
      p.entry = Forged(p.entry);
      EXPECT_EQ(Check(p), kDataLoss);
      nlohmann::json t = j;
      t["entry"] = p.entry;
      EXPECT_EQ(CheckJson(t), kDataLoss) << "leaf_hash no longer matches";
      t["leaf_hash"] = ToHex(LeafHash(p.entry));
      EXPECT_EQ(CheckJson(t), kDataLoss);
      t.erase("leaf_hash");
      EXPECT_EQ(CheckJson(t), kDataLoss);
      nlohmann::json u = j;
      u["leaf_hash"] = ToHex(FlipBit(LeafHash(good.entry), 0));
      EXPECT_EQ(CheckJson(u), kDataLoss);
      u["leaf_hash"] = "not hex";
      EXPECT_EQ(CheckJson(u), kInvalid);
    }
    // The index.
    for (int64_t delta : {-1, 1, 2, 64}) {
      const int64_t index = static_cast<int64_t>(probe.index) + delta;
      if (index < 0) continue;
      EntryProof p = good;
      p.index = static_cast<uint64_t>(index);
      EXPECT_EQ(Check(p), kDataLoss) << "index " << index;
      nlohmann::json t = j;
      t["index"] = index;
      EXPECT_EQ(CheckJson(t), kDataLoss) << "index " << index;
    }
    // Every hash of the inclusion path; a hash dropped or added.
    for (size_t i = 0; i < good.inclusion.size(); ++i) {
      nlohmann::json t = j;
      t["inclusion"][i] = ToHex(FlipBit(good.inclusion[i], 100));
      EXPECT_EQ(CheckJson(t), kDataLoss) << "inclusion " << i;
    }
    if (!good.inclusion.empty()) {
      EntryProof p = good;
      p.inclusion.pop_back();
      EXPECT_EQ(Check(p), kDataLoss);
    }
    {
      EntryProof p = good;
      p.inclusion.push_back(good.root_hash);
      EXPECT_EQ(Check(p), kDataLoss);
    }
    // Every hash of the consistency proof.
    for (size_t i = 0; i < good.consistency.size(); ++i) {
      nlohmann::json t = j;
      t["consistency"][i] = ToHex(FlipBit(good.consistency[i], 7));
      EXPECT_EQ(CheckJson(t), kDataLoss) << "consistency " << i;
    }
    if (!good.consistency.empty()) {
      EntryProof p = good;
      p.consistency.clear();
      EXPECT_EQ(Check(p), kDataLoss);
    }
    // The root and size of the tree the entry is proved in.
    {
      nlohmann::json t = j;
      t["root_hash"] = ToHex(FlipBit(good.root_hash, 255));
      EXPECT_EQ(CheckJson(t), kDataLoss);
    }
    for (int64_t delta : {-1, 1, 2}) {
      const int64_t tree_size = static_cast<int64_t>(size) + delta;
      EntryProof p = good;
      p.tree_size = static_cast<uint64_t>(tree_size);
      p.tree_size_head.reset();  // it would name the size
      EXPECT_EQ(Check(p), kDataLoss) << "tree_size " << tree_size;
      nlohmann::json t = j;
      t["tree_size"] = tree_size;
      EXPECT_EQ(CheckJson(t), kDataLoss) << "tree_size " << tree_size;
    }
    // The signed head.
    {
      nlohmann::json t = j;
      TreeHead h = good.head;
      h.signature = FlipByte(h.signature, 20);
      t["tree_head"] = TreeHeadToJson(h);
      EXPECT_EQ(CheckJson(t), kDataLoss);
      h = good.head;
      h.root_hash = FlipBit(h.root_hash, 3);
      t["tree_head"] = TreeHeadToJson(h);
      EXPECT_EQ(CheckJson(t), kDataLoss);
      h = good.head;
      h.tree_size += 1;
      t["tree_head"] = TreeHeadToJson(h);
      EXPECT_EQ(CheckJson(t), kDataLoss);
      h = good.head;
      h.timestamp += absl::Microseconds(1);
      t["tree_head"] = TreeHeadToJson(h);
      EXPECT_EQ(CheckJson(t), kDataLoss);
      // The readable time is checked against the signed one.
      t = j;
      t["tree_head"]["timestamp"] = "2020-01-01T00:00:00.000000Z";
      EXPECT_EQ(CheckJson(t), kInvalid);
      // Another genuine head: the consistency proof does not lead to it.
      t = j;
      t["tree_head"] =
          TreeHeadToJson(ValueOf(TreeHeadFromRow(*ValueOf(store_->ledger().GetTreeHead(129)))));
      EXPECT_EQ(CheckJson(t), kDataLoss);
      // A head signed by someone else.
      TreeHead other =
          SignTreeHead(MakeKey(8), good.head.tree_size, good.head.timestamp, good.head.root_hash);
      t["tree_head"] = TreeHeadToJson(other);
      EXPECT_EQ(CheckJson(t), kDataLoss);
    }
    // The head of exactly tree_size, when there is one.
    if (good.tree_size_head) {
      nlohmann::json t = j;
      TreeHead h = *good.tree_size_head;
      h.signature = FlipByte(h.signature, 0);
      t["tree_size_head"] = TreeHeadToJson(h);
      EXPECT_EQ(CheckJson(t), kDataLoss);
      t["tree_size_head"] = j["tree_head"];  // genuine, but of another size
      EXPECT_EQ(CheckJson(t), size == kSigned ? absl::StatusCode::kOk : kDataLoss);
      t.erase("tree_size_head");  // optional: the proof stands without it
      EXPECT_EQ(CheckJson(t), absl::StatusCode::kOk);
    }
  }
}

TEST_F(LedgerProofTest, MalformedProofsAreInvalidArguments) {
  const nlohmann::json good = EntryProofToJson(Prove(70, 100));
  auto with = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = good;
    edit(j);
    return EntryProofFromJson(j).status();
  };
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> cases = {
      {"not an object", [](nlohmann::json& j) { j = nlohmann::json::array(); }},
      {"format", [](nlohmann::json& j) { j["format"] = "mamori-entry-proof-v2"; }},
      {"format missing", [](nlohmann::json& j) { j.erase("format"); }},
      {"index negative", [](nlohmann::json& j) { j["index"] = -1; }},
      {"index text", [](nlohmann::json& j) { j["index"] = "70"; }},
      {"entry", [](nlohmann::json& j) { j["entry"] = 5; }},
      {"tree_size", [](nlohmann::json& j) { j.erase("tree_size"); }},
      {"root_hash short", [](nlohmann::json& j) { j["root_hash"] = "abcd"; }},
      {"root_hash not hex", [](nlohmann::json& j) { j["root_hash"] = std::string(64, 'g'); }},
      {"inclusion", [](nlohmann::json& j) { j["inclusion"] = "x"; }},
      {"inclusion item", [](nlohmann::json& j) { j["inclusion"][0] = 1; }},
      {"consistency", [](nlohmann::json& j) { j.erase("consistency"); }},
      {"tree_head", [](nlohmann::json& j) { j.erase("tree_head"); }},
      {"tree_head signature", [](nlohmann::json& j) { j["tree_head"]["signature"] = "AAAA"; }},
      {"tree_head signature base64", [](nlohmann::json& j) { j["tree_head"]["signature"] = "!!"; }},
      {"tree_head size", [](nlohmann::json& j) { j["tree_head"]["tree_size"] = -3; }},
      {"tree_head timestamp_us", [](nlohmann::json& j) { j["tree_head"].erase("timestamp_us"); }},
      {"tree_head timestamp", [](nlohmann::json& j) { j["tree_head"]["timestamp"] = 12; }},
      {"tree_size_head", [](nlohmann::json& j) { j["tree_size_head"] = "yes"; }},
  };
  for (const auto& [name, edit] : cases) {
    EXPECT_EQ(with(edit).code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST_F(LedgerProofTest, ProveEntryRefusesWhatTheHeadDoesNotCover) {
  // Entry 150 exists but no head covers it yet.
  EXPECT_EQ(ledger_->size(), 155u);
  EXPECT_EQ(ProveEntry(store_->ledger(), ledger_->tree(), 150, std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProveEntry(store_->ledger(), ledger_->tree(), 1000, std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProveEntry(store_->ledger(), ledger_->tree(), 3, 151).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProveEntry(store_->ledger(), ledger_->tree(), 10, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProveEntry(store_->ledger(), ledger_->tree(), 0, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, ProveEntryBeforeAnyHeadIsAFailedPrecondition) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(3));
  EXPECT_EQ(ProveEntry(store_->ledger(), ledger_->tree(), 0, std::nullopt).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ProveEntry(store_->ledger(), ledger_->tree(), 0, 1).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---------------------------------------------------------------------------
// Transactions that never commit.
// ---------------------------------------------------------------------------

TEST_F(LedgerTest, UncommittedAppendsAreGoneAfterRollbackTo) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(20));
  Sign();
  const Hash root = ledger_->tree().Root();
  const Ledger::Mark mark = ledger_->mark();
  {
    std::unique_ptr<store::Transaction> tx = Begin();
    ASSERT_NO_FATAL_FAILURE(AppendUncommitted(70, "doomed"));
    ASSERT_TRUE(ledger_->AppendWithNote({{"kind", "doomed"}}, "a note").ok());
    ASSERT_TRUE(RootOf(ledger_->tree(), 91).ok());  // load the cache mid-transaction
    ASSERT_TRUE(ledger_->SignHead().ok());
  }  // destroyed without Commit
  ledger_->RollbackTo(mark);
  EXPECT_EQ(ledger_->size(), 20u);
  EXPECT_EQ(ledger_->signed_size(), 20u);
  EXPECT_EQ(ledger_->tree().Root(), root);
  EXPECT_FALSE(ledger_->HeadDue());
  EXPECT_EQ(ValueOf(store_->ledger().GetNote(90)), std::nullopt);
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 20u);
  EXPECT_EQ(report.tree_heads, 1u);

  // The ledger carries on from the committed state.
  ASSERT_NO_FATAL_FAILURE(AppendEntries(50));
  Sign();
  EXPECT_TRUE(SameAsModel(ledger_->tree(), ModelOf(Rows())));
  report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 70u);
  EXPECT_EQ(report.tree_heads, 2u);
}

TEST_F(LedgerTest, UncommittedAppendsAreGoneAfterReopen) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(20));
  Sign();
  ASSERT_NO_FATAL_FAILURE(AppendEntries(3));
  const Hash root = ledger_->tree().Root();
  {
    std::unique_ptr<store::Transaction> tx = Begin();
    ASSERT_NO_FATAL_FAILURE(AppendUncommitted(40, "doomed"));
    ASSERT_TRUE(ledger_->SignHead().ok());
  }
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_EQ(ledger_->size(), 23u);
  EXPECT_EQ(ledger_->signed_size(), 20u);
  EXPECT_EQ(ledger_->tree().Root(), root);
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 23u);
  EXPECT_EQ(report.unsigned_entries, 3u);
  ASSERT_NO_FATAL_FAILURE(AppendEntries(2));
  EXPECT_EQ(ledger_->tree().Root(), ModelOf(Rows()).Root());
  EXPECT_TRUE(Verify().ok);
}

// A process killed in the middle of a transaction: the next open sees exactly
// what was committed.
TEST_F(LedgerTest, KilledProcessLosesOnlyTheUncommittedTransaction) {
  ASSERT_NO_FATAL_FAILURE(AppendEntries(20));
  Sign();
  CloseStore();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No gtest assertions here: exit codes tell the parent what went wrong.
    auto store = store::OpenSqliteStore(dir_.path().string(), {});
    if (!store.ok()) _exit(10);
    auto ledger = Ledger::Open((*store)->ledger(), key_, clock_);
    if (!ledger.ok()) _exit(11);
    {
      auto tx = (*store)->records().BeginTransaction();
      if (!tx.ok()) _exit(12);
      for (int i = 0; i < 5; ++i) {
        if (!(*ledger)->Append(TestEntry(100 + i)).ok()) _exit(13);
      }
      if (!(*tx)->Commit().ok()) _exit(14);
    }
    auto tx = (*store)->records().BeginTransaction();
    if (!tx.ok()) _exit(15);
    for (int i = 0; i < 500; ++i) {
      if (!(*ledger)->Append(TestEntry(200 + i)).ok()) _exit(16);
    }
    if (!(*ledger)->SignHead().ok()) _exit(17);
    kill(getpid(), SIGKILL);
    _exit(18);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  ASSERT_NO_FATAL_FAILURE(OpenStore());
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  EXPECT_EQ(ledger_->size(), 25u);
  EXPECT_EQ(ledger_->signed_size(), 20u);
  std::vector<store::LedgerEntryRow> rows = Rows();
  ASSERT_EQ(rows.size(), 25u);
  EXPECT_EQ(nlohmann::json::parse(rows[24].entry)["n"], 104);
  EXPECT_EQ(ledger_->tree().Root(), ModelOf(rows).Root());
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 25u);
  EXPECT_EQ(report.tree_heads, 1u);
  EXPECT_EQ(report.unsigned_entries, 5u);
}

}  // namespace
}  // namespace mamori::ledger
