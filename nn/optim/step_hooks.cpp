// Optimizer step hooks (Note [Optimizer step hooks] in nn/optim/optimizer.h): the per-optimizer
// and global tables, their handles, and Optimizer::StepScope, which runs them around a step.
#include <exception>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "nn/optim/optimizer.h"

namespace ember::optim {
namespace detail {

struct StepHookTable {
  std::mutex mutex;
  std::map<int64_t, OptimizerStepHook> pre, post;
  int64_t next_key = 1;
};

}  // namespace detail

namespace {

using Table = detail::StepHookTable;

const std::shared_ptr<Table>& global_table() {
  static const std::shared_ptr<Table> table = std::make_shared<Table>();
  return table;
}

int64_t add(Table& table, bool pre, OptimizerStepHook hook) {
  EMBER_CHECK(hook != nullptr, "register_step_", pre ? "pre" : "post", "_hook: expected a callable hook");
  const std::lock_guard lock(table.mutex);
  const int64_t key = table.next_key++;
  (pre ? table.pre : table.post).emplace(key, std::move(hook));
  return key;
}

// A copy taken under the lock, so a hook may register or remove hooks while they run.
std::vector<OptimizerStepHook> hooks_of(Table& table, bool pre) {
  const std::lock_guard lock(table.mutex);
  std::vector<OptimizerStepHook> out;
  for (const auto& [key, hook] : pre ? table.pre : table.post) out.push_back(hook);
  return out;
}

void run(Table& table, bool pre, Optimizer& optimizer) {
  for (const OptimizerStepHook& hook : hooks_of(table, pre)) hook(optimizer);
}

}  // namespace

void OptimizerHookHandle::remove() {
  if (const auto table = table_.lock()) {
    const std::lock_guard lock(table->mutex);
    table->pre.erase(key_);
    table->post.erase(key_);
  }
}

OptimizerHookHandle register_optimizer_step_pre_hook(OptimizerStepHook hook) {
  return OptimizerHookHandle(global_table(), add(*global_table(), true, std::move(hook)));
}
OptimizerHookHandle register_optimizer_step_post_hook(OptimizerStepHook hook) {
  return OptimizerHookHandle(global_table(), add(*global_table(), false, std::move(hook)));
}

Optimizer::Optimizer() : step_hooks_(std::make_shared<Table>()) {}

OptimizerHookHandle Optimizer::register_step_pre_hook(OptimizerStepHook hook) {
  return OptimizerHookHandle(step_hooks_, add(*step_hooks_, true, std::move(hook)));
}
OptimizerHookHandle Optimizer::register_step_post_hook(OptimizerStepHook hook) {
  return OptimizerHookHandle(step_hooks_, add(*step_hooks_, false, std::move(hook)));
}

Optimizer::StepScope::StepScope(Optimizer& optimizer, const char* profile_name)
    : optimizer_(optimizer), uncaught_at_start_(std::uncaught_exceptions()), outermost_(optimizer.step_depth_ == 0) {
  if (profile_name != nullptr) profile_.emplace(profile_name);
  if (outermost_) {  // a throwing hook leaves the depth as it was (no destructor runs)
    run(*global_table(), true, optimizer_);
    run(*optimizer_.step_hooks_, true, optimizer_);
  }
  ++optimizer_.step_depth_;
}

Optimizer::StepScope::~StepScope() noexcept(false) {
  --optimizer_.step_depth_;
  if (!outermost_ || std::uncaught_exceptions() != uncaught_at_start_) return;
  run(*optimizer_.step_hooks_, false, optimizer_);
  run(*global_table(), false, optimizer_);
}

}  // namespace ember::optim
