//===- ThreadPool.cpp - The persistent thread pool and parallel-for -------===//
//
// One job runs at a time: its caller deals the tasks into per-thread shares
// and publishes the job under the mutex, wakes as many workers as it has
// spare tasks, runs tasks itself, then waits until no worker holds the job
// any more. The job lives on the caller's stack, so "no worker holds it"
// (active_ == 0 with current_ cleared) is the condition for returning, not
// merely "every task has finished".
//
// Waking a sleeping thread takes tens of microseconds, while compiled models
// issue parallel loops back to back; so both sides spin for a short while
// (Spin pauses, some tens of microseconds) before they sleep.
//
//===----------------------------------------------------------------------===//
#include "runtime/ThreadPool.h"
#include "runtime/Runtime.h"

#include <algorithm>
#include <cstdlib>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace adjoint::rt {

namespace {

/// Set on workers for their whole life and on a caller while it runs pool
/// tasks: a parallel-for issued from there runs inline.
thread_local bool tInsideTask = false;

/// Far more threads than any machine has cores; a larger request is capped
/// rather than allowed to exhaust the process.
constexpr int MaxThreads = 1024;

/// Pauses a waiting thread spins before it sleeps: some tens of
/// microseconds (a pause takes tens of cycles).
constexpr int Spin = 2000;

/// Tells the core that this thread is spinning.
inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

/// Spins until done() holds or Spin pauses have passed.
template <typename Pred> void spinUntil(Pred done) {
  for (int i = 0; i < Spin && !done(); ++i)
    pause();
}

int allCores() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(std::min<unsigned>(n, MaxThreads));
}

/// ADJOINT_NUM_THREADS when it is a positive integer, otherwise every core.
int defaultThreads() {
  if (const char *env = std::getenv("ADJOINT_NUM_THREADS")) {
    char *end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0)
      return static_cast<int>(std::min<long>(n, MaxThreads));
  }
  return allCores();
}

std::mutex globalMutex;
// Deliberately never destroyed: workers blocked in the pool at process exit
// are harmless, while destroying the pool from a static destructor could race
// with other static destructors that still run compiled code.
std::atomic<ThreadPool *> globalPtr{nullptr};

} // namespace

ThreadPool::ThreadPool(int threads) {
  int workers = std::clamp(threads, 1, MaxThreads) - 1;
  shares_ = std::make_unique<Share[]>(workers + 1);
  workers_.reserve(workers);
  for (int i = 1; i <= workers; ++i)
    workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

bool ThreadPool::insideTask() { return tInsideTask; }

void ThreadPool::runTasks(const Job &job, int self) {
  int n = threads();
  for (int i = 0; i < n; ++i) {
    Share &share = shares_[(self + i) % n];
    for (;;) {
      int64_t task = share.next.fetch_add(1, std::memory_order_relaxed);
      if (task >= share.end)
        break;
      job.fn(task, job.ctx);
    }
  }
}

void ThreadPool::workerLoop(int self) {
  tInsideTask = true;
  uint64_t seen = 0;
  for (;;) {
    spinUntil(
        [&] { return generation_.load(std::memory_order_acquire) != seen; });
    Job *job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
      if (stop_)
        return;
      seen = generation_.load();
      job = current_;
      if (!job)
        continue; // woken for a job its caller already finished alone
      ++active_;
    }
    runTasks(*job, self);
    std::lock_guard<std::mutex> lock(mutex_);
    if (active_.fetch_sub(1) == 1)
      idle_.notify_one();
  }
}

void ThreadPool::run(int64_t tasks, TaskFn fn, void *ctx) {
  if (tasks <= 0)
    return;
  if (tasks == 1 || workers_.empty() || tInsideTask || !dispatch_.try_lock()) {
    for (int64_t i = 0; i < tasks; ++i)
      fn(i, ctx);
    return;
  }
  Job job{fn, ctx};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // No worker holds a job here, so the shares are free to reset.
    for (int t = 0, n = threads(); t < n; ++t) {
      shares_[t].next.store(chunkBegin(tasks, n, t), std::memory_order_relaxed);
      shares_[t].end = chunkBegin(tasks, n, t + 1);
    }
    current_ = &job;
    generation_.fetch_add(1, std::memory_order_release);
  }
  int64_t helpers = tasks - 1;
  if (helpers >= static_cast<int64_t>(workers_.size()))
    wake_.notify_all();
  else
    for (int64_t i = 0; i < helpers; ++i)
      wake_.notify_one();

  tInsideTask = true;
  runTasks(job, 0);
  tInsideTask = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = nullptr;
  }
  spinUntil([&] { return active_.load(std::memory_order_acquire) == 0; });
  {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [&] { return active_.load() == 0; });
  }
  dispatch_.unlock();
}

ThreadPool &globalPool() {
  if (ThreadPool *pool = globalPtr.load(std::memory_order_acquire))
    return *pool;
  std::lock_guard<std::mutex> lock(globalMutex);
  if (!globalPtr.load(std::memory_order_relaxed))
    globalPtr.store(new ThreadPool(defaultThreads()),
                    std::memory_order_release);
  return *globalPtr.load(std::memory_order_relaxed);
}

void resetGlobalPool(int threads) {
  std::lock_guard<std::mutex> lock(globalMutex);
  ThreadPool *old = globalPtr.load(std::memory_order_relaxed);
  if (old && old->threads() == threads)
    return;
  globalPtr.store(new ThreadPool(threads), std::memory_order_release);
  delete old;
}

int64_t chunkCount(int64_t n, int64_t grain, int threads) {
  if (n <= 0)
    return 0;
  int64_t byGrain = n / std::max<int64_t>(grain, 1);
  return std::clamp<int64_t>(byGrain, 1, std::max(threads, 1));
}

int64_t poolShares(int64_t total) {
  int threads = ThreadPool::insideTask() ? 1 : globalPool().threads();
  return std::clamp<int64_t>(4 * int64_t(threads), 1,
                             std::max<int64_t>(total, 1));
}

} // namespace adjoint::rt

using namespace adjoint::rt;

namespace {

struct ForContext {
  adjoint_rt_task fn;
  void *ctx;
  int64_t n;
  int64_t chunks;
};

void runChunk(int64_t chunk, void *p) {
  const ForContext &f = *static_cast<const ForContext *>(p);
  f.fn(chunkBegin(f.n, f.chunks, chunk), chunkBegin(f.n, f.chunks, chunk + 1),
       f.ctx);
}

} // namespace

extern "C" void adjoint_rt_parallel_for(int64_t n, int64_t grain,
                                        adjoint_rt_task fn, void *ctx) {
  if (n <= 0)
    return;
  ThreadPool &pool = globalPool();
  ForContext f{fn, ctx, n, chunkCount(n, grain, pool.threads())};
  pool.run(f.chunks, runChunk, &f);
}

extern "C" void adjoint_rt_set_num_threads(int32_t n) {
  if (ThreadPool::insideTask())
    return;
  resetGlobalPool(n <= 0 ? allCores() : std::min<int>(n, MaxThreads));
}

extern "C" int32_t adjoint_rt_num_threads(void) {
  return globalPool().threads();
}
