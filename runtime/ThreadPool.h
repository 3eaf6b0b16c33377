//===- ThreadPool.h - The runtime's persistent thread pool ------*- C++ -*-===//
//
// The C++ side of adjoint_rt_parallel_for: a pool of T-1 persistent workers
// that, together with the calling thread, run the numbered tasks of one job
// at a time. Thread t first runs the t-th contiguous share of the tasks, so
// repeated loops over the same data find it in the same core's cache, then
// takes over what remains of the others' shares (a thread descheduled by
// the OS does not hold everyone up). Which thread runs a task can therefore
// vary; what a task computes must depend only on its number, which is why
// callers cut their work into pieces whose boundaries depend on the problem
// (and at most on T), never on the scheduling.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace adjoint::rt {

/// A task body: runs task number `task` of a job with the job's context.
using TaskFn = void (*)(int64_t task, void *ctx);

/// A fixed set of worker threads that run jobs of numbered tasks.
class ThreadPool {
public:
  /// Starts threads-1 workers (the caller of run() is the last thread).
  explicit ThreadPool(int threads);
  /// Stops and joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// The number of threads that run a job, the caller included.
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs fn(0, ctx) ... fn(tasks-1, ctx) and returns when all are done.
  /// The caller runs them alone, in order, when tasks == 1, when there are
  /// no workers, when it is itself inside a task, or when another thread
  /// holds the pool.
  void run(int64_t tasks, TaskFn fn, void *ctx);

  /// True on a worker thread and on a caller while it runs pool tasks.
  static bool insideTask();

private:
  struct Job {
    TaskFn fn;
    void *ctx;
  };
  /// One thread's share of the current job's tasks: [next, end) are left.
  struct alignas(64) Share {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };

  void workerLoop(int self);
  /// Runs tasks of `job` until none is left, thread `self`'s share first.
  void runTasks(const Job &job, int self);

  std::vector<std::thread> workers_;
  std::unique_ptr<Share[]> shares_; // one per thread, set up by run()
  std::mutex dispatch_; // held by the one caller that owns the workers
  std::mutex mutex_;    // guards the fields below
  std::condition_variable wake_;
  std::condition_variable idle_;
  Job *current_ = nullptr;
  // Atomic so that waiting threads can spin on them before sleeping; they
  // change only under mutex_, which keeps the condition variables correct.
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0}; // workers holding a pointer to *current_
  bool stop_ = false;
};

/// The process-wide pool, created at first use with adjoint_rt_num_threads()
/// threads.
ThreadPool &globalPool();

/// Replaces the process-wide pool by one with `threads` threads.
void resetGlobalPool(int threads);

/// The number of chunks adjoint_rt_parallel_for cuts [0, n) into.
int64_t chunkCount(int64_t n, int64_t grain, int threads);

/// How many near-equal ranges to cut `total` pieces of work into for the
/// global pool: a few per thread that runs them (one inside a task), at
/// most `total`, at least one.
int64_t poolShares(int64_t total);

/// The first index of chunk i when [0, n) is cut into `chunks` chunks whose
/// sizes differ by at most one (the larger ones first); chunk i ends where
/// chunk i+1 begins, and chunkBegin(n, chunks, chunks) == n.
inline int64_t chunkBegin(int64_t n, int64_t chunks, int64_t i) {
  int64_t base = n / chunks, extra = n % chunks;
  return i * base + (i < extra ? i : extra);
}

/// Runs fn(first, last) on the global pool for each of poolShares(total)
/// near-equal ranges [first, last) of [0, total).
template <class F> void forRanges(int64_t total, F fn) {
  struct Job {
    int64_t total, ranges;
    F *fn;
  } job{total, poolShares(total), &fn};
  globalPool().run(
      job.ranges,
      [](int64_t i, void *ctx) {
        const Job &j = *static_cast<const Job *>(ctx);
        (*j.fn)(chunkBegin(j.total, j.ranges, i),
                chunkBegin(j.total, j.ranges, i + 1));
      },
      &job);
}

} // namespace adjoint::rt
