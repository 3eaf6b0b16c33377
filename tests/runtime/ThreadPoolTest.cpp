//===- ThreadPoolTest.cpp - parallel-for, chunking and thread count -------===//
#include "runtime/ThreadPool.h"
#include "runtime/Runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace {

/// Restores the default thread count when a test ends.
struct ThreadCount {
  explicit ThreadCount(int n) { adjoint_rt_set_num_threads(n); }
  ~ThreadCount() { adjoint_rt_set_num_threads(0); }
};

/// What a parallel-for did: how often each index was visited, and the
/// chunks it was cut into.
struct Record {
  std::vector<std::atomic<int>> visits;
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  explicit Record(int64_t n) : visits(n) {}
};

void recordChunk(int64_t begin, int64_t end, void *ctx) {
  Record &r = *static_cast<Record *>(ctx);
  for (int64_t i = begin; i < end; ++i)
    r.visits[i].fetch_add(1);
  std::lock_guard<std::mutex> lock(r.mutex);
  r.chunks.emplace_back(begin, end);
}

TEST(ParallelFor, VisitsEveryIndexOnceInFixedChunks) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadCount count(threads);
    ASSERT_EQ(adjoint_rt_num_threads(), threads);
    for (int64_t n : {0, 1, 2, 3, 7, 64, 100, 1000, 4097})
      for (int64_t grain : {-5, 0, 1, 2, 3, 7, 64, 1000, 5000}) {
        SCOPED_TRACE(testing::Message() << "threads " << threads << " n " << n
                                        << " grain " << grain);
        Record r(n);
        adjoint_rt_parallel_for(n, grain, recordChunk, &r);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(r.visits[i].load(), 1) << "index " << i;
        int64_t expected =
            n == 0 ? 0
                   : std::clamp<int64_t>(n / std::max<int64_t>(grain, 1), 1,
                                         threads);
        ASSERT_EQ(static_cast<int64_t>(r.chunks.size()), expected);
        std::sort(r.chunks.begin(), r.chunks.end());
        for (size_t i = 0; i < r.chunks.size(); ++i) {
          auto [begin, end] = r.chunks[i];
          EXPECT_EQ(begin, adjoint::rt::chunkBegin(n, expected, i));
          EXPECT_EQ(end, adjoint::rt::chunkBegin(n, expected, i + 1));
          if (expected > 1) {
            EXPECT_GE(end - begin, std::max<int64_t>(grain, 1));
          }
        }
      }
  }
}

TEST(ParallelFor, ChunksDifferInSizeByAtMostOne) {
  for (int64_t n : {1, 5, 17, 1000})
    for (int64_t chunks = 1; chunks <= std::min<int64_t>(n, 9); ++chunks) {
      EXPECT_EQ(adjoint::rt::chunkBegin(n, chunks, 0), 0);
      EXPECT_EQ(adjoint::rt::chunkBegin(n, chunks, chunks), n);
      for (int64_t i = 0; i < chunks; ++i) {
        int64_t size = adjoint::rt::chunkBegin(n, chunks, i + 1) -
                       adjoint::rt::chunkBegin(n, chunks, i);
        EXPECT_TRUE(size == n / chunks || size == n / chunks + 1);
      }
    }
}

void recordThread(int64_t, int64_t, void *ctx) {
  auto &ids = *static_cast<std::vector<std::thread::id> *>(ctx);
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  ids.push_back(std::this_thread::get_id());
}

TEST(ParallelFor, RunsInlineForOneChunkOrOneThread) {
  {
    ThreadCount count(2);
    std::vector<std::thread::id> ids;
    adjoint_rt_parallel_for(10, 10, recordThread, &ids);
    adjoint_rt_parallel_for(10, 100, recordThread, &ids);
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(ids[0], std::this_thread::get_id());
    EXPECT_EQ(ids[1], std::this_thread::get_id());
  }
  ThreadCount count(1);
  std::vector<std::thread::id> ids;
  adjoint_rt_parallel_for(1000, 1, recordThread, &ids);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], std::this_thread::get_id());
}

/// Two chunks that each wait until both have started: finishes only if two
/// threads run them at the same time.
struct Rendezvous {
  std::atomic<int> started{0};
  std::atomic<bool> met{true};
};

void meet(int64_t, int64_t, void *ctx) {
  Rendezvous &r = *static_cast<Rendezvous *>(ctx);
  r.started.fetch_add(1);
  // Bounded so that a broken pool fails the test instead of hanging it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (r.started.load() < 2)
    if (std::chrono::steady_clock::now() > deadline) {
      r.met = false;
      return;
    }
}

TEST(ParallelFor, TwoThreadsRunChunksConcurrently) {
  ThreadCount count(2);
  Rendezvous r;
  adjoint_rt_parallel_for(2, 1, meet, &r);
  EXPECT_TRUE(r.met.load());
  EXPECT_EQ(r.started.load(), 2);
}

struct Nested {
  int64_t inner;
  std::vector<std::atomic<int>> visits;
  std::atomic<bool> sameThread{true};
};

struct InnerContext {
  Nested *nested;
  int64_t row;
  std::thread::id owner;
};

void innerChunk(int64_t begin, int64_t end, void *ctx) {
  InnerContext &c = *static_cast<InnerContext *>(ctx);
  if (std::this_thread::get_id() != c.owner)
    c.nested->sameThread = false;
  for (int64_t j = begin; j < end; ++j)
    c.nested->visits[c.row * c.nested->inner + j].fetch_add(1);
}

void outerChunk(int64_t begin, int64_t end, void *ctx) {
  Nested &nested = *static_cast<Nested *>(ctx);
  for (int64_t row = begin; row < end; ++row) {
    InnerContext inner{&nested, row, std::this_thread::get_id()};
    adjoint_rt_parallel_for(nested.inner, 1, innerChunk, &inner);
  }
}

TEST(ParallelFor, NestedCallsRunInlineOnTheirTaskThread) {
  for (int threads : {1, 2, 4}) {
    ThreadCount count(threads);
    Nested nested{100, std::vector<std::atomic<int>>(8 * 100), {true}};
    adjoint_rt_parallel_for(8, 1, outerChunk, &nested);
    for (auto &v : nested.visits)
      ASSERT_EQ(v.load(), 1);
    EXPECT_TRUE(nested.sameThread.load());
  }
}

void sumChunk(int64_t begin, int64_t end, void *ctx) {
  auto &out = *static_cast<std::vector<float> *>(ctx);
  for (int64_t i = begin; i < end; ++i)
    out[i] = static_cast<float>(i) * 0.5f + 1.0f;
}

TEST(ParallelFor, OneAndTwoThreadsGiveTheSameResult) {
  std::vector<float> one(12345), two(12345);
  {
    ThreadCount count(1);
    adjoint_rt_parallel_for(12345, 100, sumChunk, &one);
  }
  {
    ThreadCount count(2);
    adjoint_rt_parallel_for(12345, 100, sumChunk, &two);
  }
  EXPECT_EQ(one, two);
}

TEST(ThreadCount, NonPositiveMeansEveryCore) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  ThreadCount count(3);
  EXPECT_EQ(adjoint_rt_num_threads(), 3);
  adjoint_rt_set_num_threads(0);
  EXPECT_EQ(adjoint_rt_num_threads(), static_cast<int32_t>(cores));
  adjoint_rt_set_num_threads(-4);
  EXPECT_EQ(adjoint_rt_num_threads(), static_cast<int32_t>(cores));
}

TEST(ThreadCount, EnvironmentSetsTheDefault) {
  // A fresh process (the thread-safe death-test style re-runs the program),
  // so the variable is read at the runtime's first use.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("ADJOINT_NUM_THREADS", "3", 1);
        std::exit(adjoint_rt_num_threads());
      },
      testing::ExitedWithCode(3), "");
  EXPECT_EXIT(
      {
        setenv("ADJOINT_NUM_THREADS", "zero", 1);
        std::exit(adjoint_rt_num_threads() ==
                          static_cast<int32_t>(
                              std::max(1u, std::thread::hardware_concurrency()))
                      ? 0
                      : 1);
      },
      testing::ExitedWithCode(0), "");
}

} // namespace
