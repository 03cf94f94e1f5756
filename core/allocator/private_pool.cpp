// PrivatePool and PrivatePoolScope (Note [Private pools] in core/allocator/private_pool.h).
#include "core/allocator/private_pool.h"

#include <atomic>

#include "core/error.h"
#include "core/logging.h"

namespace ember::memory {

namespace {
std::atomic<uint32_t> g_next_pool_id{1};
}  // namespace

PrivatePool::PrivatePool(Device device) : device_(device), id_(0) {
  const uint32_t id = g_next_pool_id.fetch_add(1, std::memory_order_relaxed);
  EMBER_CHECK(id <= kMaxPoolId, "ember supports at most ", kMaxPoolId, " private memory pools per process, and ",
              "this would be pool ", id);
  id_ = static_cast<PoolId>(id);
  allocator_for(device_);  // the device's allocator exists before the pool is used
}

PrivatePool::~PrivatePool() {
  try {
    allocator_for(device_).release_pool(id_);
  } catch (const std::exception& e) {
    logging::error("releasing private memory pool {} on {} failed: {}", id_, device_.str(), e.what());
  }
}

PrivatePoolScope::PrivatePoolScope(std::shared_ptr<PrivatePool> pool)
    : pool_(std::move(pool)), previous_id_(detail::tls_active_pool.id), previous_device_(detail::tls_active_pool.device) {
  EMBER_CHECK(pool_ != nullptr, "PrivatePoolScope: expected a pool, but got none");
  detail::tls_active_pool = {pool_->id(), pool_->device()};
}

PrivatePoolScope::~PrivatePoolScope() { detail::tls_active_pool = {previous_id_, previous_device_}; }

}  // namespace ember::memory
